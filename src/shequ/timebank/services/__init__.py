"""The time bank's domain: what views, API, CLI and jobs call (``public`` for other apps)."""
