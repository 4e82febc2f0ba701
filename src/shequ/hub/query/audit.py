"""What the audit log keeps of each query, refused or run: the SQL with its literals masked, the
datasets, versions and grants read, the personal columns returned in clear.
"""

from __future__ import annotations

import time
from typing import Any

from sqlglot import exp

from shequ.core import pii
from shequ.core.permissions import Perm, prefixes_for
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.hub.models import Dataset
from shequ.hub.query import policy
from shequ.hub.query.binding import Run
from shequ.hub.query.errors import QueryError
from shequ.hub.query.masking import audit_sql, audit_text
from shequ.hub.query.result import QueryResult
from shequ.hub.tableschema import TableSchema

AUDIT_SQL_CHARS = 2000


def clear_exposed(run: Run, tree: exp.Expression) -> list[str]:
    """Clear personal columns the query may have returned: named, or behind a * or COLUMNS."""
    clear = {(name, col) for name, v in run.views.items() for col in v.access.clear}
    if not clear:
        return []
    # SELECT *, t.* and COLUMNS(…) may return every column; count(*) returns none.
    wide = any(isinstance(s.parent, exp.Select | exp.Column) for s in tree.find_all(exp.Star))
    wide = wide or any(True for _ in tree.find_all(exp.Columns))
    named = {c.name.lower() for c in tree.find_all(exp.Column)}
    return sorted(
        f"{run.views[view].dataset.key}.{col}" for view, col in clear if wide or col in named
    )


def audit_region(run: Run) -> str:
    regions = [v.dataset.region.code for v in run.views.values() if v.dataset.region]
    if regions:
        return regions[0]
    if run.user is not None:
        # The code of the user's first hub region (a prefix padded back to 12 digits).
        for prefix in prefixes_for(run.user, Perm.HUB):
            return prefix.ljust(12, "0")
    return ""


def _audit_kinds(run: Run) -> dict[str, str]:
    """Column name -> PII kind, over the datasets the query reads (or names, when refused
    before they were read), for masking the literals of its SQL."""
    schemas = [v.schema for v in run.views.values()]
    if not schemas and run.sql:
        try:
            names = {t.name.lower() for t in policy.parse(run.sql).find_all(exp.Table) if t.name}
        except Exception:  # the SQL is masked as free text anyway
            names = set()
        for data in Dataset.objects.filter(key__in=sorted(names)).values_list("schema", flat=True):
            try:
                schemas.append(TableSchema.from_dict(data))
            except ValueError:
                continue
    return {name.lower(): kind for s in schemas for name, kind in s.pii_fields().items()}


def _common(run: Run) -> dict[str, Any]:
    # Literal values never reach the audit log: they are masked as the column they are
    # compared with would be in a result (``phone = '138****5678'``).
    sql, run.replaced = audit_sql(run.sql, _audit_kinds(run))
    details: dict[str, Any] = {
        "sql": sql[:AUDIT_SQL_CHARS],
        "sql_truncated": len(sql) > AUDIT_SQL_CHARS,
        "datasets": {name: v.version for name, v in run.views.items()},
        "grants": sorted({g for v in run.views.values() for g in v.access.grant_ids}),
        "duration_ms": round((time.monotonic() - run.start) * 1000),
    }
    if run.user is None:
        details["system"] = True
        details["clear_requested"] = run.clear
        if run.purpose:
            details["purpose"] = pii.mask_text(run.purpose[:500])
    return details


def audit_success(run: Run, result: QueryResult) -> None:
    record(
        "hub.query",
        actor=run.user,
        region_code=audit_region(run),
        **_common(run),
        rows=result.rows,
        truncated=result.truncated,
        clear_pii=result.clear_pii,
    )


def audit_refused(run: Run, exc: QueryError) -> None:
    record(
        "hub.query.refused",
        actor=run.user,
        region_code=audit_region(run),
        **_common(run),
        status=exc.status,
        error=audit_text(exc.message, run.replaced)[:1000],
        rows=0,
        clear_pii=[],
    )


def refuse(user: User, sql: str, message: str, status: int = 403) -> QueryError:
    """Audit a query refused before it reached the engine (e.g. no hub permission); the error."""
    error = QueryError(message, status)
    audit_refused(Run(user=user, sql=sql if isinstance(sql, str) else ""), error)
    return error
