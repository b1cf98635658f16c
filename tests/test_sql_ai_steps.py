"""sql and ai steps end to end: a real sandbox on 127.0.0.1 (port 0) answers Halo's report
API and the chat completions; a SQLite file answers database URLs."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runbench.core.engine import Engine, Journal, RunResult
from runbench.core.engine import bind_sql as bind
from runbench.core.errors import RenderError
from runbench.core.workspace import check_workspace, load_workspace
from runbench.sandbox import RunningSandbox, start_in_thread
from runbench.sandbox.reports import national_literals


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_in_thread(host="127.0.0.1", port=0) as running:
        yield running


HEADER = """
name = "data steps"
halo = "halo"

[variables]
sandbox = "http://127.0.0.1:9"

[integrations.halo]
base_url = "<<sandbox>>"
auth = { type = "oauth2", token_url = "<<sandbox>>/auth/token", client_id = "runbench", client_secret = "sandbox-secret", scope = "all" }

[integrations.ai]
base_url = "<<sandbox>>/openai/v1"
auth = { type = "bearer", token = "sk-sandbox" }
"""


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "ws.toml"
    path.write_text(textwrap.dedent(header) + textwrap.dedent(body))
    errors = [p for p in check_workspace(load_workspace(path)) if p.is_error]
    assert not errors, errors
    return path


async def run(
    path: Path,
    sandbox: RunningSandbox | None,
    *,
    db_url: str = "",
    inputs: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> tuple[RunResult, Journal]:
    journal = Journal(path.parent / "runs.db")
    engine = Engine(load_workspace(path), journal=journal, environ={"DB_URL": db_url})
    variables = {"sandbox": sandbox.url} if sandbox else {}
    result = await engine.run("r", variables=variables, inputs=inputs, context=context)
    return result, journal


async def test_sql_step_against_halo_report_api_of_the_sandbox(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        """
        [runbooks.r]
        start = "find"
        inputs = { word = "string" }
        [runbooks.r.steps.find]
        kind = "sql"
        query = "SELECT id, summary FROM tickets WHERE client_id = 1 AND summary LIKE '%' || N'<<word>>' || '%'"
        outputs = { TicketId = "response[0]^id", Summary = "response[0]^summary!" }
        on_success = "done"
        on_failure = "failed"
        [runbooks.r.steps.done]
        kind = "end"
        message = "<<TicketId>>: <<Summary>>"
        [runbooks.r.steps.failed]
        kind = "end"
        result = "failure"
        """,
    )
    result, journal = await run(path, sandbox, inputs={"word": "VPN"})
    assert result.status == "success", result
    assert result.message == "1: VPN not connecting"
    exchange = journal.exchanges(result.run_id)[0]
    sent = json.loads(exchange.request["body"])
    assert sent[0]["sql"].endswith("LIKE '%' || N'VPN' || '%'")
    assert sent[0]["_loadreportonly"] is True
    assert exchange.request["url"].endswith("/api/Report")


async def test_sql_values_are_escaped_for_halo_and_bound_for_sqlite() -> None:
    hostile = "x' OR '1'='1"
    literal = bind("SELECT * FROM t WHERE name = <<n>>", {"n": hostile}, "literal")
    assert literal.sql == "SELECT * FROM t WHERE name = N'x'' OR ''1''=''1'"
    bound = bind(
        "SELECT * FROM t WHERE name = '<<n>>' AND id = <<i>>", {"n": hostile, "i": 3}, "qmark"
    )
    assert bound.sql == "SELECT * FROM t WHERE name = ? AND id = ?"
    assert bound.params == (hostile, 3)
    with pytest.raises(RenderError, match="inside a quoted SQL string"):
        bind("SELECT * FROM t WHERE name LIKE '%<<n>>%'", {"n": "a"}, "qmark")
    assert national_literals("SELECT N'a', 'N''x', ON'b'") == "SELECT 'a', 'N''x', ON'b'"


async def test_sql_step_on_a_sqlite_database_url_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "cmdb.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE hosts (name TEXT, owner TEXT)")
        connection.executemany(
            "INSERT INTO hosts VALUES (?, ?)", [("web1", "o'neil"), ("db1", "ops")]
        )
    path = write(
        tmp_path,
        """
        [runbooks.r]
        start = "find"
        [runbooks.r.steps.find]
        kind = "sql"
        database = { env = "DB_URL" }
        query = "SELECT name FROM hosts WHERE owner = <<owner>>"
        outputs = { Host = "response[0]^name!" }
        on_success = "done"
        on_failure = "failed"
        [runbooks.r.steps.done]
        kind = "end"
        message = "<<Host>>"
        [runbooks.r.steps.failed]
        kind = "end"
        result = "failure"
        """,
    )
    result, journal = await run(
        path, None, inputs={"owner": "o'neil"}, db_url=f"sqlite:///{db.name}"
    )
    assert result.status == "success", result
    assert result.message == "web1"
    row = journal.exchanges(result.run_id)[0]
    assert row.request["method"] == "SQL"
    assert "cmdb.db" not in row.request["url"]  # the URL is a secret: redacted
    assert '-- parameters: ["o\'neil"]' in row.request["body"]
    assert json.loads(row.response["body"]) == [{"name": "web1"}]


async def test_sql_step_failure_takes_the_failure_edge_with_the_reason(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    sqlite3.connect(db).close()
    path = write(
        tmp_path,
        f"""
        [runbooks.r]
        start = "find"
        [runbooks.r.steps.find]
        kind = "sql"
        database = "sqlite:///{db.name}"
        query = "SELECT * FROM nowhere"
        on_success = "done"
        on_failure = "failed"
        [runbooks.r.steps.done]
        kind = "end"
        [runbooks.r.steps.failed]
        kind = "end"
        result = "failure"
        """,
    )
    result, _ = await run(path, None)
    assert [s.edge for s in result.steps] == ["on_failure", None]
    assert "no such table: nowhere" in (result.steps[0].error or "")


async def test_sql_step_row_cap(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [runbooks.r]
        start = "find"
        [runbooks.r.steps.find]
        kind = "sql"
        database = "sqlite://:memory:"
        query = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 50) SELECT x FROM n"
        max_rows = 10
        on_success = "done"
        on_failure = "failed"
        [runbooks.r.steps.done]
        kind = "end"
        [runbooks.r.steps.failed]
        kind = "end"
        result = "failure"
        """,
    )
    result, _ = await run(path, None)
    assert "more than max_rows = 10" in (result.steps[0].error or "")


AI_RUNBOOK = """
[runbooks.r]
start = "triage"
[runbooks.r.steps.triage]
kind = "ai"
integration = "ai"
ai_type = "agent"
json_answer = true
args = { Summary = "<<ticket^summary!>>" }
prompt = "Classify: <<Summary>>"
outputs = { Answer = "response^choices[0]^message^content^answer!", "Prompt Words" = "response^choices[0]^message^content^prompt_words" }
on_success = "note"
on_failure = "failed"
[runbooks.r.steps.note]
kind = "halo"
action = "create_action"
body = '[{"ticket_id": <<ticket^id>>, "note_html": "<<Answer!>>", "outcome": "AI"}]'
on_success = "done"
on_failure = "failed"
[runbooks.r.steps.done]
kind = "end"
message = "<<Prompt Words>> words"
[runbooks.r.steps.failed]
kind = "end"
result = "failure"
"""


async def test_ai_step_against_the_sandbox(sandbox: RunningSandbox, tmp_path: Path) -> None:
    path = write(tmp_path, AI_RUNBOOK)
    ticket = {"id": 2, "summary": "Printer jam on floor 2"}
    result, journal = await run(path, sandbox, context={"ticket": ticket})
    assert result.status == "success", result
    assert result.message == "6 words"
    sent = json.loads(journal.exchanges(result.run_id)[0].request["body"])
    assert sent["messages"] == [{"role": "user", "content": "Classify: Printer jam on floor 2"}]
    assert sent["response_format"] == {"type": "json_object"}
    note = sandbox.app.state.halo.records("Actions")[-1]
    assert note["note_html"] == "Sandbox answer to: Classify: Printer jam on floor 2"


async def test_ai_step_without_a_prompt_sends_its_inputs(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    body = AI_RUNBOOK.replace('prompt = "Classify: <<Summary>>"\n', "").replace(
        "json_answer = true\n", ""
    )
    body = body.replace(
        'outputs = { Answer = "response^choices[0]^message^content^answer!", "Prompt Words" = "response^choices[0]^message^content^prompt_words" }',
        'outputs = { Answer = "response^choices[0]^message^content!", "Prompt Words" = "response^usage^prompt_tokens" }',
    )
    path = write(tmp_path, body)
    result, _ = await run(path, sandbox, context={"ticket": {"id": 1, "summary": "VPN"}})
    assert result.status == "success", result
    assert result.variables["Answer"] == "Sandbox answer to: Summary: VPN"


def test_sandbox_report_api_needs_a_token_and_is_read_only(sandbox: RunningSandbox) -> None:
    import httpx

    url = f"{sandbox.url}/api/Report"
    assert httpx.post(url, json=[{"sql": "SELECT 1"}]).status_code == 401
    token = httpx.post(
        f"{sandbox.url}/auth/token",
        data={"grant_type": "client_credentials", "client_id": "runbench"}
        | {"client_secret": "sandbox-secret"},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    ok = httpx.post(url, headers=headers, json=[{"sql": "SELECT name FROM clients WHERE id = 2"}])
    assert ok.json()["report"]["rows"] == [{"name": "Globex"}]
    refused = httpx.post(url, headers=headers, json=[{"sql": "DELETE FROM clients"}])
    assert refused.status_code == 400
    assert "readonly" in refused.json()["message"]
    assert len(sandbox.app.state.halo.records("Client")) >= 3


@pytest.mark.parametrize(
    ("step", "severity", "message"),
    [
        ('kind = "sql"\nquery = "SELECT 1"', "error", "sql (without database) step needs"),
        (
            'kind = "sql"\nquery = "SELECT 1"\ndatabase = "postgresql://u:pw@db/x"',
            "warning",
            "a password is written into the workspace file",
        ),
        ('kind = "sql"\nquery = "SELECT 1"\ndatabase = "mysql://db"', "error", "'mysql' is not"),
        ('kind = "sql"\nquery = ""\ndatabase = "sqlite:///x.db"', "error", "needs query"),
        ('kind = "ai"\nprompt = "hi"', "error", 'needs integration = "ID"'),
        ('kind = "ai"\nintegration = "nope"\nprompt = "x"', "error", "no integration 'nope'"),
        ('kind = "ai"\nintegration = "ai"', "error", "needs a prompt, or args"),
        ('kind = "ai"\nintegration = "ai"\nprompt = "<<Nope>>"', "warning", "<<Nope>> is never"),
    ],
)
def test_check_sql_and_ai_steps(tmp_path: Path, step: str, severity: str, message: str) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(
        '[integrations.ai]\nbase_url = "http://ai"\n[runbooks.r]\nstart = "s"\n'
        f'[runbooks.r.steps.s]\n{step}\non_success = "e"\non_failure = "e"\n'
        '[runbooks.r.steps.e]\nkind = "end"\n'
    )
    found = [p for p in check_workspace(load_workspace(path)) if message in p.message]
    assert [p.severity for p in found] == [severity], check_workspace(load_workspace(path))


async def test_sql_step_on_postgresql(tmp_path: Path, postgres_dsn: str) -> None:
    import psycopg

    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute("CREATE TABLE hosts (name text, owner text)")
        connection.execute("INSERT INTO hosts VALUES ('web1', 'o''neil'), ('db1', '50% ops')")
    path = write(
        tmp_path,
        """
        [runbooks.r]
        start = "find"
        [runbooks.r.steps.find]
        kind = "sql"
        database = { env = "DB_URL" }
        query = "SELECT name FROM hosts WHERE owner = <<owner>> OR owner LIKE '%' || <<part>> || '%' ORDER BY name"
        outputs = { Hosts = "response", First = "response[0]^name!" }
        on_success = "done"
        on_failure = "failed"
        [runbooks.r.steps.done]
        kind = "end"
        message = "<<First>>"
        [runbooks.r.steps.failed]
        kind = "end"
        result = "failure"
        """,
    )
    result, journal = await run(
        path, None, inputs={"owner": "o'neil", "part": "% op"}, db_url=postgres_dsn
    )
    assert result.status == "success", result
    assert result.variables["Hosts"] == [{"name": "db1"}, {"name": "web1"}]
    shown = journal.exchanges(result.run_id)[0]
    assert postgres_dsn not in json.dumps(shown.request)  # the URL is a secret
