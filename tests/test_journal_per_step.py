"""What a step costs the journal (issue 19.5), held to what it must still do: a step's
end stores the outputs its caller already redacted (not redacted twice), and WAL
checkpoints run on a connection of their own, so a commit made now does not wait for one."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from runbench.core.http import Exchange, RequestRecord, ResponseRecord
from runbench.core.journal import Journal, SqliteBackend
from runbench.core.secrets import REDACTED, Redactor

SECRET = "s3cr3t-token-value-0042"


def stored_outputs(path: Path, run_id: str) -> list[object]:
    """Each step row's ``outputs`` column as written."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT outputs FROM steps WHERE run_id=? ORDER BY seq", (run_id,))
        return [json.loads(text) for (text,) in rows]


async def test_a_steps_end_stores_the_outputs_its_caller_redacted(tmp_path: Path) -> None:
    redactor = Redactor()
    redactor.add(SECRET)
    outputs = {"Token": SECRET, "N": 7}
    journal = Journal(tmp_path / "runs.db")
    try:
        run_id = journal.create_run("r")
        await journal.begin_step(run_id, 1, "a", "method", {}, {}, redact=redactor)
        journal.finish_step(
            run_id,
            1,
            edge="on_success",
            target=None,
            duration_ms=1.0,
            outputs=outputs,
            error=None,
            redact=redactor,
            redacted=redactor.variables(outputs),
            later=True,
        )
        journal.finish_run(run_id, "success", None, "", later=True)
        await journal.committed(run_id)
        # the next step starts from the real value, which the journal knows by identity
        assert journal.steps(run_id)[0].outputs == {"Token": REDACTED, "N": 7}
    finally:
        journal.close()
    assert stored_outputs(tmp_path / "runs.db", run_id) == [{"Token": REDACTED, "N": 7}]
    for name in ("runs.db", "runs.db-wal"):
        path = tmp_path / name
        assert not path.exists() or SECRET.encode() not in path.read_bytes()


def test_a_checkpoint_does_not_wait_for_the_journals_connection(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path / "runs.db")
    try:
        assert backend.begin_now()
        backend.insert_step(("r", 1, "a", "method", 1, "{}", None, "{}", 1.0))
        backend.checkpoint()  # while the journal's connection is inside a transaction
        backend.commit()
        assert backend.begin_now()
        backend.insert_step(("r", 2, "b", "method", 0, "{}", None, "{}", 2.0))
        backend.commit()
        backend.checkpoint()
        assert [row[1] for row in backend.steps("r")] == [1, 2]
    finally:
        backend.close()


def stored_changes(path: Path, run_id: str) -> list[tuple[int, object, object]]:
    """Each step row's ``base``, ``vars`` and ``unset`` as written."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            "SELECT base, vars, unset FROM steps WHERE run_id=? ORDER BY seq", (run_id,)
        )
        return [
            (base, json.loads(vars_), unset and json.loads(unset)) for base, vars_, unset in rows
        ]


async def test_a_step_row_stores_what_changed_in_the_engines_own_dict(tmp_path: Path) -> None:
    """The journal's baseline moves by each step's changes (no copy of every variable per
    step); the engine changes its dict in place between steps, and folds outputs in."""
    journal = Journal(tmp_path / "runs.db")
    items = [1, 2]
    variables: dict[str, object] = {"a": 1, "items": items}
    seen = []
    try:
        run_id = journal.create_run("r")

        async def step(seq: int, outputs: dict[str, object]) -> None:
            await journal.begin_step(run_id, seq, f"s{seq}", "set", variables, {})
            seen.append(dict(variables))
            journal.finish_step(
                run_id, seq, edge="next", target=None, duration_ms=0.0, outputs=outputs, error=None
            )
            variables.update(outputs)

        await step(1, {})
        variables["a"] = 2
        del variables["items"]
        variables["c"] = "x"
        await step(2, {"d": items})  # an output: stored with the step's end, not again
        await step(3, {})
        variables["a"] = 3
        await step(4, {})
        journal.finish_run(run_id, "success", None, "")
        journal.sync(run_id)
        rebuilt = [row.variables_before for row in journal.steps(run_id)]
    finally:
        journal.close()
    assert stored_changes(tmp_path / "runs.db", run_id) == [
        (1, {"a": 1, "items": [1, 2]}, None),
        (0, {"a": 2, "c": "x"}, ["items"]),
        (0, {}, None),
        (0, {"a": 3}, None),
    ]
    assert rebuilt == seen


async def test_nothing_is_blanked_until_a_secret_is_known(tmp_path: Path) -> None:
    redactor = Redactor()
    journal = Journal(tmp_path / "runs.db")
    try:
        run_id = journal.create_run("r")
        await journal.begin_step(
            run_id, 1, "a", "set", {"Name": "n", "T": "t"}, {}, redact=redactor
        )
        redactor.secret_name("Name")
        redactor.add(SECRET)
        variables = {"Name": "m", "T": f"Bearer {SECRET}"}
        await journal.begin_step(run_id, 2, "b", "set", variables, {}, redact=redactor)
        journal.finish_run(run_id, "success", None, "")
        journal.sync(run_id)
        rows = [row.variables_before for row in journal.steps(run_id)]
    finally:
        journal.close()
    assert rows == [{"Name": "n", "T": "t"}, {"Name": REDACTED, "T": f"Bearer {REDACTED}"}]


def test_the_journal_keeps_of_an_exchange_its_request_response_error_and_time() -> None:
    request = RequestRecord("GET", "http://h/x", (("accept", "*/*"),), "")
    response = ResponseRecord(200, "OK", (("a", "1"), ("a", "2")), "{}", 2, 1.5)
    exchange = Exchange(request, response, {"T": SECRET}, {}, None, None, 2.25049)
    assert exchange.stored() == {
        "request": {"method": "GET", "url": "http://h/x", "headers": {"accept": "*/*"}, "body": ""},
        "response": response.to_dict(),
        "error": None,
        "elapsed_ms": 2.25,
    }
