"""Data hub services: catalog, datasets and sources, ingestion runs."""
