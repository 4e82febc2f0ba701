"""Hub forms, one module per feature."""
