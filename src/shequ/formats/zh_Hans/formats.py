"""zh-Hans: 1,234,567 (Django's own zh_Hans formats give 1234567)."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
