"""Core domain services: what views, the API, the CLI and jobs call."""
