"""Operations of `runbench serve`: JSON access logs and retention (issue 18.5)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from runbench.cli.cmd_serve import json_line
from runbench.core.journal import Journal
from runbench.core.workspace import load_workspace
from runbench.serve import build_app, start_in_thread
from test_serve import wait_final
from waits import wait_for

WORKSPACE = """
retention_days = 30
[runbooks.hello]
start = "done"
public = true
[runbooks.hello.steps.done]
kind = "end"
"""


def test_json_access_records_and_retention_at_start(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(WORKSPACE)
    shift = [0.0]
    journal = Journal(tmp_path / "runs.db", clock=lambda: time.time() + shift[0])
    old = journal.create_run("hello", trigger="serve")
    journal.finish_run(old, "success", None, "")
    journal.sync()
    shift[0] = 40 * 86400  # 40 days later
    records: list[dict[str, Any]] = []
    lines: list[str] = []
    app = build_app(
        load_workspace(path), journal=journal, log=lines.append, access_log=records.append
    )
    server = start_in_thread(app)
    try:
        pruned = "retention: deleted 1 run(s) older than 30 days"
        wait_for(lambda: any(pruned in line for line in lines))  # said once the rows are gone
        assert journal.run(old) is None  # pruned when serve started
        with httpx.Client(base_url=server.url) as http:
            accepted = http.post("/runbooks/hello?token=secret", json={})
            http.post("/runbooks/nope%0aforged", json={})
        run_id = accepted.json()["run_id"]
        wait_final(journal, run_id)
        wait_for(lambda: len(records) >= 2)
    finally:
        server.stop()
        journal.close()
    first, second = records[:2]
    assert first == {
        "client": "127.0.0.1",
        "method": "POST",
        "path": "/runbooks/hello",
        "status": 202,
        "runbook": "hello",
        "run_id": run_id,
        "ms": first["ms"],
    }
    assert second["status"] == 404
    assert second["runbook"] is None
    assert second["run_id"] is None
    assert "\n" not in second["path"]
    assert "secret" not in json.dumps(records)
    assert not any(line.startswith("POST ") for line in lines)  # records replace lines


def test_json_lines_carry_the_time(capsys: pytest.CaptureFixture[str]) -> None:
    json_line({"message": "hello"})
    record = json.loads(capsys.readouterr().out)
    assert record["message"] == "hello"
    assert record["time"].endswith("+00:00")


def test_log_stamps_are_formatted_once_a_second_and_follow_the_clock() -> None:
    from runbench.serve.logs import SecondStamp

    now = [1_000_000.2]
    stamp = SecondStamp(lambda: now[0])
    first = stamp()
    assert first == time.strftime("%H:%M:%S", time.localtime(1_000_000))
    now[0] = 1_000_000.9
    assert stamp() is first  # the same second: not formatted again
    now[0] = 1_000_061.0
    assert stamp() == time.strftime("%H:%M:%S", time.localtime(1_000_061))
    assert stamp() != first
