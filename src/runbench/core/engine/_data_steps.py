"""The sql and ai steps: a query's rows, or a chat model's answer, as the step's response.

Both end like an HTTP step: ``on_success`` with the outputs set, ``on_failure`` with the
reason. A sql step reads rows from a database URL (SQLite, PostgreSQL) or, without one,
from Halo's report API through the workspace's Halo integration; its outputs are paths
over the rows (``response[0]^col``). An ai step sends its prompt to an OpenAI-compatible
integration's chat completions endpoint; its outputs are paths over the answer
(``response^choices[0]^message^content``, which may walk into a JSON answer). Database
calls are journaled like HTTP exchanges (the query, its parameters and the rows), redacted
with the run's secrets, so the workbench shows them the same way.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from runbench.core.engine._sql import (
    BoundQuery,
    Row,
    SqlError,
    bind,
    database_kind,
    report_rows,
    run_postgres,
    run_sqlite,
    sqlite_path,
)
from runbench.core.engine._steps import EDGE_FAIL, Outcome, StepKinds, describe_failure, first_line
from runbench.core.engine._variables import element_outputs
from runbench.core.errors import ExpressionError, HttpError, SecretError
from runbench.core.http import Exchange, RequestRecord, ResponseRecord
from runbench.core.workspace import DEFAULT_AI_MODEL, Method, Step

DEFAULT_SQL_SECONDS = 30.0
SQL_VARIABLE = "_runbench_sql"
AI_VARIABLE = "_runbench_ai_request"
REPORT_BODY = f'[{{"sql": "<<{SQL_VARIABLE}!>>", "_loadreportonly": true}}]'
"""Halo's report API: ``POST /api/Report`` runs ``sql`` and answers ``report.rows``
(seen in public Halo API clients; not in Halo's published docs)."""


class DataSteps(StepKinds):
    """``StepKinds`` plus the sql and ai handlers (the runner dispatches ``do_<kind>``)."""

    # -- sql -------------------------------------------------------------------------
    async def do_sql(self, step: Step) -> Outcome:
        if not step.database:
            return await self.halo_report(step)
        secrets = self.executor.secrets
        try:
            url = secrets.resolve(step.database)
        except SecretError as exc:
            return self.follow(step, EDGE_FAIL, error=f"database: {first_line(exc)}")
        password = urlsplit(url).password
        if password:
            secrets.remember(password)
        seconds = step.timeout or DEFAULT_SQL_SECONDS
        try:
            kind = database_kind(url)
            bound = bind(step.query, self.variables, "qmark" if kind == "sqlite" else "format")
        except (ExpressionError, SqlError) as exc:
            return self.follow(step, EDGE_FAIL, error=f"query: {first_line(exc)} (nothing run)")
        started = time.monotonic()
        try:
            if kind == "sqlite":
                path = sqlite_path(url, Path(self.workspace.path).resolve().parent)
                rows = await asyncio.to_thread(run_sqlite, path, bound, seconds, step.max_rows)
            else:
                rows = await run_postgres(url, bound, seconds, step.max_rows)
        except SqlError as exc:
            self.record_exchange(step.id, 1, self.sql_exchange(url, bound, started, error=exc))
            return self.follow(step, EDGE_FAIL, error=self.executor.redactor.text(str(exc)))
        self.record_exchange(step.id, 1, self.sql_exchange(url, bound, started, rows=rows))
        return self.rows_outcome(step, rows)

    async def halo_report(self, step: Step) -> Outcome:
        halo = self.workspace.halo
        if not halo or halo not in self.workspace.integrations:
            return self.follow(
                step,
                EDGE_FAIL,
                error="a sql step without database = ... asks Halo's report API, and the "
                'workspace has no Halo integration: set halo = "INTEGRATION" at the top',
            )
        try:
            bound = bind(step.query, self.variables, "literal")
        except ExpressionError as exc:
            return self.follow(step, EDGE_FAIL, error=f"query: {first_line(exc)} (nothing sent)")
        method = Method(
            id="_report",
            integration=halo,
            verb="POST",
            path="/api/Report",
            body_type="json",
            body=REPORT_BODY,
            title="Halo report (SQL)",
        )
        scope = {**self.variables, SQL_VARIABLE: bound.sql}
        executor = self.executor
        exchange = await self.attempts(step, lambda: executor.call(method, scope))
        if not exchange.ok or exchange.response is None:
            return self.follow(step, EDGE_FAIL, error=describe_failure(exchange))
        try:
            rows = report_rows(exchange.response.json())
        except HttpError as exc:
            return self.follow(step, EDGE_FAIL, error=first_line(exc))
        if rows is None:
            return self.follow(
                step, EDGE_FAIL, error="Halo's report API answered without report.rows"
            )
        if len(rows) > step.max_rows:
            return self.follow(
                step,
                EDGE_FAIL,
                error=f"the report returned {len(rows)} rows, more than max_rows = "
                f"{step.max_rows}; add TOP to the query or raise max_rows",
            )
        return self.rows_outcome(step, rows)

    def rows_outcome(self, step: Step, rows: list[Row]) -> Outcome:
        values, error = element_outputs(step.outputs, rows)
        if error is not None:
            return self.follow(step, EDGE_FAIL, error=error)
        self.set_outputs(step, values)
        return self.follow(step, "on_success", outputs=values)

    def sql_exchange(
        self,
        url: str,
        bound: BoundQuery,
        started: float,
        *,
        rows: Sequence[Row] | None = None,
        error: Exception | None = None,
    ) -> Exchange:
        """The database call as the journal and the workbench show an HTTP exchange."""
        redactor = self.executor.redactor
        elapsed = (time.monotonic() - started) * 1000
        request = RequestRecord("SQL", redactor.url(url), (), redactor.text(bound.shown()))
        if error is not None:
            message = redactor.text(str(error))
            return Exchange(request, None, {}, {}, message, "sql", elapsed)
        text = json.dumps(list(rows or ()), ensure_ascii=False)
        headers = (("content-type", "application/json"),)
        response = ResponseRecord(200, "OK", headers, redactor.text(text), len(text), elapsed)
        return Exchange(request, response, {}, {}, None, None, elapsed)

    # -- ai --------------------------------------------------------------------------
    async def do_ai(self, step: Step) -> Outcome:
        if step.integration not in self.workspace.integrations:
            why = f"no integration '{step.integration}' for the AI step"
            return self.follow(step, EDGE_FAIL, error=why)
        try:
            inputs = self.renderer.args(step.args, self.variables)
            prompt = (
                self.renderer.text(step.prompt, {**self.variables, **inputs})
                if step.prompt.strip()
                else input_lines(inputs)
            )
        except ExpressionError as exc:
            return self.follow(step, EDGE_FAIL, error=f"prompt: {first_line(exc)} (nothing sent)")
        request: dict[str, Any] = {
            "model": step.model or DEFAULT_AI_MODEL,
            "messages": [{"role": "user", "content": prompt}],
        }
        if step.json_answer:
            request["response_format"] = {"type": "json_object"}
        method = Method(
            id="_chat",
            integration=step.integration,
            verb="POST",
            path="/chat/completions",
            body_type="json",
            body=f"<<{AI_VARIABLE}>>",
            title=f"AI {step.ai_type}",
        )
        scope = {**self.variables, **inputs, AI_VARIABLE: request}
        executor = self.executor
        exchange = await self.attempts(
            step, lambda: executor.call(method, scope, extra_outputs=step.outputs)
        )
        if exchange.ok and not exchange.output_errors:
            self.set_outputs(step, exchange.outputs)
            return self.follow(step, "on_success", outputs=dict(exchange.outputs))
        return self.follow(step, EDGE_FAIL, error=describe_failure(exchange))


def input_lines(inputs: Mapping[str, Any]) -> str:
    """The prompt of an AI step without one: its input values, one ``name: value`` a line."""
    return "\n".join(
        f"{name}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for name, value in inputs.items()
    )


__all__ = ["DataSteps", "input_lines"]
