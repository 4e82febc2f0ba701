"""Access pages, one module per feature: points (and devices), alerts, passes, consent."""
