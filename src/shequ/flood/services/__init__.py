"""The flood watch's domain: what views, API, CLI and jobs call."""
