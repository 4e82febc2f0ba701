"""``hub.query``: SQL (DuckDB dialect) over the hub datasets a user is granted.

Used by the SQL console, the API, the CLI and every app::

    from shequ.hub.query import run_query, run_query_system, QueryError

    result = run_query(user, "SELECT lot, count(*) FROM parking_events GROUP BY lot")
    result.table  # pyarrow.Table, personal columns masked unless granted in clear

See ``policy`` (what SQL may run), ``engine`` (the sandbox, masking and row scope, audit) and
``export`` (CSV, XLSX, Parquet).
"""

from shequ.hub.query.engine import run_query, run_query_system
from shequ.hub.query.errors import QueryError
from shequ.hub.query.policy import ALLOWED_FUNCTIONS
from shequ.hub.query.result import QueryResult

__all__ = ["ALLOWED_FUNCTIONS", "QueryError", "QueryResult", "run_query", "run_query_system"]
