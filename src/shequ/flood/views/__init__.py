"""Flood watch pages: the live map, a point's page, the duty officer's alert inbox."""
