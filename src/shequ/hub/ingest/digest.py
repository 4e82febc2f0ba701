"""A digest of the rows a run stores: the same content is recognised whatever its bytes.

For a dataset without a primary key, the only repeat the file's SHA-256 finds is the very
same bytes; the same table saved again in another encoding (GBK instead of UTF-8), with
other quoting or line endings, or with its rows in another order, would be appended a
second time and double the table. So the rows a run wrote are digested after typing (the
stored values, not their text): one DuckDB pass over the new data files hashing each row,
summed (and xor-ed) so that the digest does not depend on the order of the rows, which is
the order DuckDB's threads finished them. The row count is part of it, so a file holding
the rows twice is not the file holding them once.

``hash()`` is DuckDB's: the digest names the DuckDB version, so a digest made by another
version never matches (a repeat is then missed, never invented).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from shequ.hub.ingest.cells import ident, literal
from shequ.hub.tableschema import TableSchema


def content_digest(files: list[Path], schema: TableSchema, threads: int, memory_limit: str) -> str:
    """SHA-256 (hex) of the row count and the order-free sum and xor of the rows' hashes."""
    if not files:
        return ""
    row = ", ".join(ident(f.name) for f in schema.fields)
    sources = f"read_parquet([{', '.join(literal(str(f)) for f in files)}])"
    con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit})
    try:
        con.execute("SET enable_progress_bar = false")
        found = con.execute(
            "SELECT count(*), CAST(sum(h::HUGEINT) AS VARCHAR), bit_xor(h) "
            f"FROM (SELECT hash({row}) AS h FROM {sources})"
        ).fetchone()
    finally:
        con.close()
    assert found is not None
    count, total, xor = found
    columns = ",".join(f"{f.name}:{f.type}" for f in schema.fields)
    text = f"duckdb {duckdb.__version__}|{columns}|{count}|{total}|{xor}"
    return hashlib.sha256(text.encode()).hexdigest()
