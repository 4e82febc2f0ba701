"""The data hub's catalog (数据目录): 10 categories and 72 data items, in ``catalog.yaml``."""

from pathlib import Path

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")
