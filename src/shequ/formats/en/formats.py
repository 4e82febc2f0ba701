"""en: 1,234,567, the same grouping as zh-Hans."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
