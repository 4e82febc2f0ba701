"""The access-control domain: what views, the API, jobs and the CLI call."""
