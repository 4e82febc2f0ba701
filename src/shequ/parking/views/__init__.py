"""The parking pages, one module per feature (``urls`` maps them)."""
