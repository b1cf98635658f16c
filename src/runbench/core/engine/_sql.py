"""SQL for ``kind = "sql"`` steps: binding ``<<variables>>`` and talking to a database.

A variable is never pasted into SQL text by string formatting. Against a database URL
(SQLite, or PostgreSQL when psycopg is installed) each ``<<ref>>`` becomes a placeholder
and its value a bound parameter. Halo's report API (``POST /api/Report`` with ``sql``) takes
SQL text only and no parameters, so there each value is written as a typed SQL literal
(strings quoted with ``'`` doubled, numbers checked to be finite numbers, objects as JSON
text): escaped, never spliced. A reference written inside quotes (``'<<name>>'``, as Halo
users do) is bound as a whole; one with other text in the same quotes is refused with a
hint, since its meaning would depend on pasting. Reads are capped (``max_rows``) and every
query has a deadline (SQLite's progress handler interrupts it; PostgreSQL's
``statement_timeout``).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import math
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from runbench.core.errors import RenderError
from runbench.core.expressions import VarRef, parse_template

Row = dict[str, Any]


class SqlError(Exception):
    """The database refused or failed the query; the message says what to change."""


@dataclass(frozen=True)
class BoundQuery:
    """SQL text with placeholders (or literals) and the parameters that go with them."""

    sql: str
    params: tuple[Any, ...]

    def shown(self) -> str:
        """The query and its parameters as the journal shows them."""
        if not self.params:
            return self.sql
        return f"{self.sql}\n-- parameters: {json.dumps(list(self.params), ensure_ascii=False)}"


def bind(query: str, variables: Mapping[str, Any], style: str) -> BoundQuery:
    """``query`` with each ``<<ref>>`` replaced for ``style``: ``qmark`` (``?``, SQLite),
    ``format`` (``%s``, psycopg) or ``literal`` (Halo's report API: typed SQL literals)."""
    parts = parse_template(query).parts
    pieces: list[str] = []
    params: list[Any] = []
    quoted = opened_at_end = drop_quote = False
    for index, part in enumerate(parts):
        if isinstance(part, str):
            if drop_quote:
                part, drop_quote = part[1:], False
            quoted, opened_at_end = _scan_quotes(part, quoted)
            pieces.append(part.replace("%", "%%") if style == "format" else part)
            continue
        ref = query[part.start : part.end]
        if quoted:
            after = parts[index + 1] if index + 1 < len(parts) else None
            if not (opened_at_end and isinstance(after, str) and after.startswith("'")):
                raise RenderError(_QUOTED_HELP.format(ref=ref))
            pieces[-1] = _drop_open_quote(pieces[-1])
        value = _value(query, part, variables)
        if quoted:  # '<<x>>' asks for text: bind the value as text
            value = value if value is None or isinstance(value, str) else _text(value)
            quoted, drop_quote = False, True
        if style == "literal":
            pieces.append(sql_literal(value, ref))
        else:
            pieces.append("?" if style == "qmark" else "%s")
            params.append(_param(value))
        opened_at_end = False
    return BoundQuery("".join(pieces), tuple(params))


_QUOTED_HELP = (
    "{ref} sits inside a quoted SQL string with other text; runbench binds variables as "
    "parameters, never pasted into the text: build the string with || (SQLite, PostgreSQL; "
    "+ on Halo's SQL Server) instead: name LIKE '%' || {ref} || '%'"
)


def _scan_quotes(text: str, quoted: bool) -> tuple[bool, bool]:
    """(inside a '...' literal at the end of ``text``, did its last character open one)."""
    opened = False
    for char in text:
        opened = False
        if char == "'":
            quoted = not quoted  # '' inside a literal toggles twice
            opened = quoted
    return quoted, opened


def _drop_open_quote(text: str) -> str:
    """Remove the quote that opened '<<x>>' (and the N of N'<<x>>')."""
    text = text[:-1]
    if text[-1:] in ("N", "n") and not (text[-2:-1].isalnum() or text[-2:-1] == "_"):
        text = text[:-1]
    return text


def _value(query: str, ref: VarRef, variables: Mapping[str, Any]) -> Any:
    return parse_template(query[ref.start : ref.end]).render_value(variables)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _param(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, ensure_ascii=False)


def sql_literal(value: Any, where: str) -> str:
    """``value`` as a T-SQL literal: N'text' with quotes doubled, a finite number, 1/0, NULL."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RenderError(f"{where}: {value} is not a number SQL can hold")
        return repr(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if "\x00" in text:
        raise RenderError(f"{where}: the value holds a NUL character, which SQL text cannot")
    return "N'" + text.replace("'", "''") + "'"


def rows_of(cursor_description: Any, records: Sequence[Sequence[Any]]) -> list[Row]:
    names = [str(column[0]) for column in cursor_description or ()]
    return [dict(zip(names, [_jsonable(v) for v in record], strict=False)) for record in records]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# -- databases ----------------------------------------------------------------------------


def database_kind(url: str) -> str:
    """``sqlite`` or ``postgresql``; SqlError for anything else."""
    scheme = url.partition(":")[0].lower()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise SqlError(f"'{scheme}' is not a database runbench opens (sqlite:///FILE, postgresql://)")


def sqlite_path(url: str, base: Path) -> str:
    """``sqlite:///rel.db`` (relative to ``base``), ``sqlite:////abs.db``, ``sqlite://:memory:``."""
    rest = url.split(":", 1)[1]
    if rest in ("//:memory:", ":memory:"):
        return ":memory:"
    if not rest.startswith("///"):
        raise SqlError("a SQLite URL is sqlite:///relative/file.db or sqlite:////absolute.db")
    path = Path(rest[3:])
    return str(path if path.is_absolute() else base / path)


def run_sqlite(path: str, bound: BoundQuery, seconds: float, max_rows: int) -> list[Row]:
    """Run one statement (blocking: call it in a thread); interrupted after ``seconds``."""
    deadline = time.monotonic() + seconds
    try:
        connection = sqlite3.connect(path, timeout=min(seconds, 5.0), check_same_thread=False)
    except sqlite3.Error as exc:
        raise SqlError(f"cannot open the SQLite database: {exc}") from None
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    try:
        cursor = connection.execute(bound.sql, bound.params)
        records = cursor.fetchmany(max_rows + 1)
        rows = rows_of(cursor.description, records)
        connection.commit()
    except sqlite3.OperationalError as exc:
        if time.monotonic() > deadline:
            raise SqlError(f"the query ran longer than {seconds:g} s and was stopped") from None
        raise SqlError(f"SQLite: {exc}") from None
    except sqlite3.Error as exc:
        raise SqlError(f"SQLite: {exc}") from None
    finally:
        connection.close()
    return _capped(rows, max_rows)


async def run_postgres(url: str, bound: BoundQuery, seconds: float, max_rows: int) -> list[Row]:
    """Run one statement over psycopg 3 (if installed), with connect and statement timeouts."""
    try:
        psycopg: Any = importlib.import_module("psycopg")
    except ImportError:
        raise SqlError(
            "PostgreSQL needs the psycopg driver: pip install 'runbench[postgres]'"
        ) from None
    options = f"-c statement_timeout={max(1, int(seconds * 1000))}"
    try:
        async with asyncio.timeout(seconds):
            connection = await psycopg.AsyncConnection.connect(
                url, connect_timeout=max(1, int(seconds)), options=options, autocommit=True
            )
            async with connection:
                cursor = await connection.execute(bound.sql, bound.params)
                records = await cursor.fetchmany(max_rows + 1) if cursor.description else []
                return _capped(rows_of(cursor.description, records), max_rows)
    except TimeoutError:
        raise SqlError(f"the query ran longer than {seconds:g} s and was stopped") from None
    except psycopg.Error as exc:
        host = urlsplit(url).hostname or "the server"
        raise SqlError(f"PostgreSQL at {host}: {str(exc).strip()}") from None


def _capped(rows: list[Row], max_rows: int) -> list[Row]:
    if len(rows) > max_rows:
        raise SqlError(
            f"the query returned more than max_rows = {max_rows} rows; add a LIMIT (or TOP) "
            "or raise max_rows on the step"
        )
    return rows


def report_rows(body: Any) -> list[Row] | None:
    """The rows of Halo's report API answer (``{"report": {"rows": [...]}}``), or None."""
    if isinstance(body, list) and body:
        body = body[0]
    report = body.get("report") if isinstance(body, dict) else None
    rows = report.get("rows") if isinstance(report, dict) else None
    return rows if isinstance(rows, list) else None


__all__ = [
    "BoundQuery",
    "Row",
    "SqlError",
    "bind",
    "database_kind",
    "report_rows",
    "run_postgres",
    "run_sqlite",
    "sql_literal",
    "sqlite_path",
]
