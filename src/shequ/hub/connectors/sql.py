"""SQL connector: read an upstream database table or query into ``sql.parquet``.

PostgreSQL goes through psycopg 3 with a server-side (named) cursor, MySQL/MariaDB through
pymysql's unbuffered ``SSCursor``; either way rows arrive ``batch_size`` at a time and each
batch becomes one Parquet row group, so memory stays bounded however big the table is.

Only reading is allowed, twice over: the query must look like one SELECT/WITH statement, and
it runs inside a READ ONLY transaction so the database itself refuses any write the simple
check misses (``SELECT nextval(...)``, a data-modifying CTE). Still give the hub a read-only
database account: a SELECT can call functions with other side effects.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from shequ.hub.ingest.staging import IngestError

from .base import (
    Connector,
    Errors,
    Fetched,
    number_value,
    reject_unknown,
    require_mapping,
    text_value,
)

if TYPE_CHECKING:
    import pyarrow as pa

DIALECTS = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql"}
DIALECTS["mariadb"] = "mysql"
CONNECT_TIMEOUT = 10  # seconds
IDENTIFIER = re.compile(r"^[^\W\d]\w*(\.[^\W\d]\w*)?$")
# Words that have no business in a read-only harvest query (outside literals and comments).
WRITE_WORDS = {"insert", "update", "delete", "merge", "drop", "alter", "create", "truncate"}
WRITE_WORDS |= {"grant", "revoke", "into", "handler", "rename"}


class SqlConnector(Connector):
    """A table or SELECT from PostgreSQL or MySQL/MariaDB → ``sql.parquet``."""

    kind: ClassVar[str] = "sql"
    secret_keys: ClassVar[tuple[str, ...]] = ("url",)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        config = require_mapping(config)
        errors = Errors()
        reject_unknown(config, {"url", "query", "table", "batch_size"}, errors)
        url = text_value(config, "url", errors, required=True)
        if url:
            try:
                DbUrl.parse(url)
            except ValueError as exc:
                errors.add("url", str(exc))
        query = text_value(config, "query", errors, required=False)
        table = text_value(config, "table", errors, required=False)
        if bool(query) == bool(table):
            errors.add("query", "Give either a query or a table, not both and not neither.")
        elif table and not IDENTIFIER.match(table):
            errors.add("table", "Must be a table name or schema.table: letters, digits and _.")
        elif query and (problem := read_only_problem(query, dialect_of(url))):
            errors.add("query", problem)
        batch = number_value(config, "batch_size", errors, default=50000, minimum=1, integer=True)
        errors.raise_if_any()
        return {"url": url, "query": query, "table": table, "batch_size": batch}

    @classmethod
    def fetch(cls, config: Mapping[str, Any], workdir: Path) -> Fetched:
        cfg = cls.checked_config(config)
        db = DbUrl.parse(cfg["url"])
        sql = cfg["query"] or select_table(cfg["table"], db.dialect)
        what = f"table {cfg['table']}" if cfg["table"] else "query"
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "sql.parquet"
        read = _read_postgresql if db.dialect == "postgresql" else _read_mysql
        try:
            rows, notes = read(db, sql, cfg["batch_size"], path)
        except BaseException:
            path.unlink(missing_ok=True)  # never leave half a file for a reader to trust
            raise
        notes.insert(0, f"{rows} row{'' if rows == 1 else 's'}")
        return Fetched(path=path, format="parquet", name=f"{db.redacted} {what}", notes=notes)


@dataclass(frozen=True)
class DbUrl:
    dialect: str  # "postgresql" | "mysql"
    url: str  # as given, with the password: never put it in a message
    user: str
    password: str
    host: str
    port: int | None
    database: str

    @classmethod
    def parse(cls, url: str) -> DbUrl:
        parts = urlsplit(url)
        dialect = DIALECTS.get(parts.scheme.split("+")[0].lower())
        if dialect is None:
            raise ValueError("Must start with postgresql:// or mysql:// (or mariadb://).")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("The port must be a number.") from None
        database = unquote(parts.path.lstrip("/"))
        if not database or "/" in database:
            raise ValueError("Must name the database, e.g. postgresql://user@host:5432/db.")
        if dialect == "mysql" and not parts.hostname:
            raise ValueError("Must name the host, e.g. mysql://user@host:3306/db.")
        return cls(
            dialect=dialect,
            url=url,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=port,
            database=database,
        )

    @property
    def redacted(self) -> str:
        """The URL for people: the password shown as ***."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))

    def scrub(self, message: str) -> str:
        """A database message with the password (raw or URL-encoded) blotted out."""
        for secret in {self.password, quote(self.password, safe="")} - {""}:
            message = message.replace(secret, "***")
        return message


def dialect_of(url: str) -> str:
    try:
        return DbUrl.parse(url).dialect
    except ValueError:
        return "postgresql"


def select_table(table: str, dialect: str) -> str:
    """``SELECT *`` from a validated identifier, quoted so reserved words and case survive."""
    quote_char = "`" if dialect == "mysql" else '"'
    return "SELECT * FROM " + ".".join(f"{quote_char}{p}{quote_char}" for p in table.split("."))


def read_only_problem(query: str, dialect: str = "postgresql") -> str | None:
    """Why ``query`` is not a single SELECT/WITH statement, or None when it looks like one."""
    if dialect == "mysql" and "/*!" in query:
        return "MySQL executable comments (/*! ... */) are not allowed."
    try:
        code = skeleton(query, dialect)
    except ValueError as exc:
        return str(exc)
    code = code.strip().rstrip(";").strip()
    if ";" in code:
        return "Only one statement is allowed."
    words = re.findall(r"[^\W\d]\w*", code.lower())
    if not words or words[0] not in ("select", "with"):
        return "Only a SELECT (or WITH ... SELECT) query is allowed."
    bad = sorted(WRITE_WORDS.intersection(words))
    if bad:
        return f"A read-only query cannot contain {bad[0].upper()}."
    return None


def skeleton(query: str, dialect: str) -> str:
    """The query with comments, string literals and quoted names blanked out."""
    out: list[str] = []
    i, n = 0, len(query)
    while i < n:
        ch, two = query[i], query[i : i + 2]
        if two == "--" or (ch == "#" and dialect == "mysql"):
            end = query.find("\n", i)
            i = n if end < 0 else end
            out.append(" ")
        elif two == "/*":
            end = query.find("*/", i + 2)
            if end < 0:
                raise ValueError("The query has an unclosed /* comment.")
            i = end + 2
            out.append(" ")
        elif ch in "'\"`":
            i = _skip_quoted(query, i, backslash=dialect == "mysql")
            out.append(" _ ")
        elif ch == "$" and dialect == "postgresql" and (m := re.match(r"\$\w*\$", query[i:])):
            end = query.find(m.group(), i + len(m.group()))
            if end < 0:
                raise ValueError("The query has an unclosed dollar-quoted string.")
            i = end + len(m.group())
            out.append(" _ ")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _skip_quoted(query: str, start: int, *, backslash: bool) -> int:
    """Index just past the quoted text starting at ``start`` (doubled quotes escape)."""
    quote_char, i = query[start], start + 1
    while i < len(query):
        if backslash and query[i] == "\\":
            i += 2
        elif query[i] == quote_char:
            if query[i + 1 : i + 2] == quote_char:
                i += 2
            else:
                return i + 1
        else:
            i += 1
    raise ValueError(f"The query has an unclosed {quote_char} quote.")


# Reading ------------------------------------------------------------------------------------


def _read_postgresql(db: DbUrl, sql: str, batch: int, path: Path) -> tuple[int, list[str]]:
    import psycopg

    conninfo = "postgresql" + db.url[db.url.index(":") :]  # drop a +driver suffix
    try:
        with psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT) as conn:
            conn.execute("SET TRANSACTION READ ONLY")
            with conn.cursor(name="shequ_fetch") as cur:
                cur.itersize = batch
                cur.execute(sql)
                names = [d.name for d in cur.description or []]
                columns = [_pg_column(d.type_code) for d in cur.description or []]
                batches = iter(lambda: cur.fetchmany(batch), [])
                result = write_parquet(path, names, columns, batches)
            conn.rollback()
            return result
    except psycopg.Error as exc:
        message = db.scrub(" ".join(str(exc).split()))
        raise IngestError(f"PostgreSQL {db.redacted}: {message}") from exc


def _read_mysql(db: DbUrl, sql: str, batch: int, path: Path) -> tuple[int, list[str]]:
    import pymysql
    import pymysql.cursors

    try:
        conn = pymysql.connect(
            host=db.host,
            port=db.port or 3306,
            user=db.user,
            password=db.password,
            database=db.database,
            charset="utf8mb4",
            connect_timeout=CONNECT_TIMEOUT,
            cursorclass=pymysql.cursors.SSCursor,
        )
    except pymysql.MySQLError as exc:
        raise IngestError(f"MySQL {db.redacted}: {db.scrub(_mysql_message(exc))}") from exc
    try:
        with conn.cursor() as cur:
            cur.execute("START TRANSACTION READ ONLY")
            cur.execute(sql)
            names = [d[0] for d in cur.description or []]
            columns = [_mysql_column(int(d[1]), unsigned) for d, unsigned in _mysql_fields(cur)]
            batches = iter(lambda: list(cur.fetchmany(batch)), [])
            result = write_parquet(path, names, columns, batches)
        conn.rollback()
        return result
    except pymysql.MySQLError as exc:
        raise IngestError(f"MySQL {db.redacted}: {db.scrub(_mysql_message(exc))}") from exc
    finally:
        conn.close()


def _mysql_fields(cur: Any) -> list[tuple[Sequence[Any], bool]]:
    """Each column's description and whether it is UNSIGNED (not in the DB-API description)."""
    from pymysql.constants import FLAG

    fields = getattr(getattr(cur, "_result", None), "fields", None) or []
    flags = [bool(getattr(f, "flags", 0) & FLAG.UNSIGNED) for f in fields]
    description = cur.description or []
    if len(flags) != len(description):
        flags = [False] * len(description)
    return list(zip(description, flags, strict=True))


def _mysql_message(exc: Exception) -> str:
    if len(exc.args) == 2 and isinstance(exc.args[0], int):
        return f"error {exc.args[0]}: {exc.args[1]}"
    return str(exc)


# Values → Arrow -----------------------------------------------------------------------------


@dataclass
class Column:
    """How one result column lands in Parquet: its Arrow type and a value converter."""

    type_name: str  # "string", "bool", "int64", "float64", "date32", "timestamp", ...
    convert: Callable[[Any], Any] | None = None  # None: the driver's value as is
    only: type | tuple[type, ...] | None = None  # values of other types become NULL
    invalid: int = 0

    def arrow_type(self) -> pa.DataType:
        import pyarrow as pa

        types: dict[str, Callable[[], pa.DataType]] = {
            "string": pa.string,
            "bool": pa.bool_,
            "int16": pa.int16,
            "int32": pa.int32,
            "int64": pa.int64,
            "uint64": pa.uint64,
            "float64": pa.float64,
            "date32": pa.date32,
            "timestamp": lambda: pa.timestamp("us"),
            "timestamptz": lambda: pa.timestamp("us", tz="UTC"),
            "time": lambda: pa.time64("us"),
        }
        return types[self.type_name]()

    def values(self, raw: Iterable[Any]) -> list[Any]:
        out = []
        for value in raw:
            if value is not None and self.only is not None and not isinstance(value, self.only):
                self.invalid += 1  # e.g. MySQL's 0000-00-00 arrives as text
                value = None
            if value is not None and self.convert is not None:
                value = self.convert(value)
            out.append(value)
        return out


def as_text(value: Any) -> str:
    """Text for a string column: decimals exact, bytes as hex, JSON kept as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.timedelta):
        return duration_text(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=as_text)
    return str(value)


def duration_text(value: dt.timedelta) -> str:
    """``-838:59:59`` style, as MySQL writes TIME, rather than Python's ``1 day, 1:00:00``."""
    micro = abs(value) // dt.timedelta(microseconds=1)
    seconds, micro = divmod(micro, 1_000_000)
    text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    text += f".{micro:06d}" if micro else ""
    return ("-" if value < dt.timedelta(0) else "") + text


def _bits(value: Any) -> Any:
    return int.from_bytes(value, "big") if isinstance(value, bytes) else value


PG_TYPES: dict[int, Column] = {
    16: Column("bool"),
    21: Column("int16"),
    23: Column("int32"),
    20: Column("int64"),
    700: Column("float64"),
    701: Column("float64"),
    1082: Column("date32", only=dt.date),
    1114: Column("timestamp", only=dt.datetime),
    1184: Column("timestamptz", only=dt.datetime),
    1083: Column("time", only=dt.time),
}


def _pg_column(oid: int) -> Column:
    known = PG_TYPES.get(oid)
    if known is None:  # numeric, text, bytea, json, uuid, interval, arrays, …
        return Column("string", as_text)
    return Column(known.type_name, known.convert, known.only)


def _mysql_column(code: int, unsigned: bool = False) -> Column:
    from pymysql.constants import FIELD_TYPE as T

    if code == T.LONGLONG and unsigned:
        return Column("uint64", only=int)
    if code in (T.TINY, T.SHORT, T.LONG, T.LONGLONG, T.INT24, T.YEAR):
        return Column("int64", only=int)
    if code in (T.FLOAT, T.DOUBLE):
        return Column("float64", only=float)
    if code in (T.DATE, T.NEWDATE):
        return Column("date32", only=dt.date)
    if code in (T.DATETIME, T.TIMESTAMP):
        return Column("timestamp", only=dt.datetime)  # zero dates arrive as text → NULL
    if code == T.BIT:
        return Column("int64", _bits)
    return Column("string", as_text)  # DECIMAL, TIME, text, BLOB (hex), JSON, ENUM, …


def write_parquet(
    path: Path, names: Sequence[str], columns: Sequence[Column], batches: Iterator[Sequence[Any]]
) -> tuple[int, list[str]]:
    """Stream row batches into one Parquet file; return (rows, notes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names, notes = unique_names(names)
    schema = pa.schema([pa.field(n, c.arrow_type()) for n, c in zip(names, columns, strict=True)])
    rows = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in batches:
            arrays = [_array(batch, i, names[i], c) for i, c in enumerate(columns)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            rows += len(batch)
    for name, column in zip(names, columns, strict=True):
        if column.invalid:
            notes.append(f"column {name}: {column.invalid} invalid values (e.g. zero dates) → NULL")
    return rows, notes


def _array(batch: Sequence[Any], index: int, name: str, column: Column) -> pa.Array:
    import pyarrow as pa

    try:
        return pa.array(column.values(row[index] for row in batch), type=column.arrow_type())
    except (pa.ArrowException, OverflowError, TypeError, ValueError) as exc:
        raise IngestError(
            f"column {name!r}: cannot store a value as {column.type_name}: {exc}"
        ) from exc


def unique_names(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Column names made unique (``id``, ``id_2``) so Parquet readers can tell them apart."""
    seen: set[str] = set()
    out: list[str] = []
    notes: list[str] = []
    for name in names:
        new, n = name or "column", 1
        while new in seen:
            n += 1
            new = f"{name or 'column'}_{n}"
        if new != name:
            notes.append(f"column {name!r} renamed {new!r}")
        seen.add(new)
        out.append(new)
    return out, notes
