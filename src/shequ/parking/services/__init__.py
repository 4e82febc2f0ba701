"""Domain logic of shared parking; the API, pages, CLI and jobs call these functions."""
