"""Halo's report API in the sandbox: ``POST /api/Report`` runs SQL over the sandbox's data.

Halo answers ``[{"sql": "...", "_loadreportonly": true}]`` with the query's rows under
``report.rows``. The sandbox has no SQL Server, so it copies its records into an in-memory
SQLite database for each query (tables ``tickets``, ``actions``, ``clients``, ``sites``,
``users``, ``assets``; one column per field, arrays and objects as JSON text) and runs the
query there, read-only, with a row cap and a deadline. The SQL is SQLite's: Halo's own
table names (``FAULTS``...) and T-SQL (``TOP``) are not understood; ``N'text'`` literals,
which runbench writes for Halo, are.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runbench.sandbox.bodies import BodyError, read_json
from runbench.sandbox.halo_api import HaloApi
from runbench.sandbox.store import HaloState

TABLES: Mapping[str, str] = {
    "tickets": "Tickets",
    "actions": "Actions",
    "clients": "Client",
    "sites": "Site",
    "users": "Users",
    "assets": "Asset",
}
MAX_ROWS = 10_000
SECONDS = 5.0


class ReportError(ValueError):
    """The query cannot run; the message goes back with a 400."""


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    return json.dumps(value, ensure_ascii=False)


def _load(connection: sqlite3.Connection, state: HaloState) -> None:
    for table, resource in TABLES.items():
        records = state.records(resource)
        columns = list(dict.fromkeys(key for record in records for key in record)) or ["id"]
        names = ", ".join(f'"{c}"' for c in columns)
        connection.execute(f'CREATE TABLE "{table}" ({names})')
        marks = ", ".join("?" for _ in columns)
        connection.executemany(
            f'INSERT INTO "{table}" VALUES ({marks})',
            [[_cell(record.get(c)) for c in columns] for record in records],
        )


def national_literals(sql: str) -> str:
    """T-SQL's ``N'text'`` as SQLite's ``'text'`` (only outside string literals)."""
    out: list[str] = []
    quoted = False
    for index, char in enumerate(sql):
        if char == "'":
            quoted = not quoted
        elif (
            not quoted
            and char in "Nn"
            and sql[index + 1 : index + 2] == "'"
            and not (index and (sql[index - 1].isalnum() or sql[index - 1] == "_"))
        ):
            continue
        out.append(char)
    return "".join(out)


def run_report(state: HaloState, sql: str) -> dict[str, Any]:
    """``{"columns": [...], "rows": [...]}`` of ``sql`` over a snapshot of ``state``."""
    connection = sqlite3.connect(":memory:")
    try:
        _load(connection, state)
        connection.execute("PRAGMA query_only = ON")
        deadline = time.monotonic() + SECONDS
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        try:
            cursor = connection.execute(national_literals(sql))
            records = cursor.fetchmany(MAX_ROWS + 1)
        except sqlite3.Error as exc:
            known = ", ".join(TABLES)
            raise ReportError(f"the report's SQL failed: {exc} (tables: {known})") from None
        if len(records) > MAX_ROWS:
            raise ReportError(f"the report returned more than {MAX_ROWS} rows; add a LIMIT")
        columns = [str(c[0]) for c in cursor.description or ()]
        rows = [dict(zip(columns, record, strict=False)) for record in records]
        return {"columns": [{"name": c} for c in columns], "rows": rows}
    finally:
        connection.close()


class ReportApi:
    """``POST /api/Report``: bearer-protected like the rest of the sandbox's Halo API."""

    def __init__(self, api: HaloApi) -> None:
        self.api = api

    def routes(self) -> list[Route]:
        return [
            Route(path, self.report, methods=["POST"]) for path in ("/api/Report", "/api/report")
        ]

    async def report(self, request: Request) -> Response:
        refused = self.api.refuse(request)
        if refused is not None:
            return refused
        try:
            payload = await read_json(request)
        except BodyError as exc:
            return _bad(f"Report: {exc}", exc.status)
        item = payload[0] if isinstance(payload, list) and payload else payload
        sql = item.get("sql") if isinstance(item, dict) else None
        if not isinstance(sql, str) or not sql.strip():
            return _bad('Report: send [{"sql": "SELECT ...", "_loadreportonly": true}]')
        try:
            report = run_report(self.api.state, sql)
        except ReportError as exc:
            return _bad(str(exc))
        return JSONResponse({"id": 0, "name": "runbench report", "sql": sql, "report": report})


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": "bad_request", "message": message}, status_code=status)


__all__ = ["ReportApi", "TABLES", "national_literals", "run_report"]
