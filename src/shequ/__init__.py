"""shequ (社区): a data hub and community services for a sub-district, community or village."""

__version__ = "0.1.0"

from shequ import forksafety as _forksafety

_forksafety.install()
