"""Hub pages, one module per feature."""
