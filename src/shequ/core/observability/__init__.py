"""Observability: Prometheus metrics at ``/metrics``, JSON logs, request ids (docs/operations.md).

``context`` holds the request a log line belongs to; ``logs`` formats records as JSON;
``metrics`` counts requests and gathers the platform's gauges at scrape time; ``middleware``
ties them to each request; ``views`` serves the scrape behind its token.
"""
