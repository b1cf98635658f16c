"""What a step costs the journal (issue 19.5), held to what it must still do: a step's
end stores the outputs its caller already redacted (not redacted twice), and WAL
checkpoints run on a connection of their own, so a commit made now does not wait for one."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

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
