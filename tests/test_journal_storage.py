"""How the journal stores things: private files, linear growth, caps, old formats, and
one-line errors for journals that cannot be used (issue 14.2, 14.14, 14.18)."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbench.cli.main import main
from runbench.core.errors import JournalError, RunError
from runbench.core.history import MethodTestHistory
from runbench.core.journal import SCHEMA_VERSION, Journal, is_truncated
from runbench.core.secrets import Redactor
from test_engine_support import engine, run_row, workspace

LOOP = """
    [runbooks.loop]
    start = "each"
    [runbooks.loop.inputs]
    items = { type = "array" }
    [runbooks.loop.steps.each]
    kind = "foreach"
    items = "<<items>>"
    outputs = { item = "response" }
    on_item = "next"
    on_empty = "done"
    [runbooks.loop.steps.next]
    kind = "next"
    loop = "each"
    on_done = "done"
    [runbooks.loop.steps.done]
    kind = "end"
    message = "done"
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- 14.2: private files -------------------------------------------------------------
def test_state_folder_is_private_and_ignored_by_git(tmp_path: Path) -> None:
    ws = tmp_path / "ws.toml"
    ws.write_text("")
    journal = Journal.for_workspace(ws)
    journal.create_run("r")
    journal.sync()
    folder = tmp_path / ".runbench"
    assert mode(folder) == 0o700
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    files = [folder / "runs.db", folder / "runs.db-wal", folder / "runs.db-shm"]
    assert all(path.exists() for path in files)
    assert {mode(path) for path in files} == {0o600}
    journal.close()


def test_an_existing_open_state_folder_and_database_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / ".runbench"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    Journal(folder / "runs.db").close()
    db = folder / "runs.db"
    db.chmod(0o644)
    Journal(db).close()
    assert (mode(folder), mode(db)) == (0o700, 0o600)


# -- 14.14: linear growth ------------------------------------------------------------
def stored_bytes(path: Path) -> int:
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT sum(length(vars) + length(loops) + coalesce(length(unset), 0)"
            " + coalesce(length(outputs), 0) + coalesce(length(loops_after), 0)) FROM steps"
        ).fetchone()
    return int(row[0])


async def loop_bytes(tmp_path: Path, n: int, secret: str = "") -> int:
    ws = workspace(tmp_path, LOOP)
    ws = dataclasses.replace(
        ws, runbooks={**ws.runbooks, "loop": _with_max_steps(ws.runbooks["loop"], 10 * n)}
    )
    path = tmp_path / f"runs-{n}.db"
    journal = Journal(path)
    items = [{"id": i, "name": f"item {i} {secret}", "pad": "x" * 100} for i in range(n)]
    eng = engine(ws, journal=journal)
    if secret:  # a known secret turns redaction on: it must not copy every value per step
        eng.secrets.redactor.add(secret)
    result = await eng.run("loop", inputs={"items": items})
    assert result.status == "success", result.error
    assert result.variables["item"] == items[-1]
    journal.close()
    return stored_bytes(path)


def _with_max_steps(runbook: Any, max_steps: int) -> Any:
    from dataclasses import replace

    return replace(runbook, max_steps=max_steps)


@pytest.mark.parametrize("secret", ["", "tok-Sup3r-Secret"])
async def test_foreach_writes_bytes_linear_in_its_items(tmp_path: Path, secret: str) -> None:
    small = await loop_bytes(tmp_path, 200, secret)
    double = await loop_bytes(tmp_path, 400, secret)
    assert 1.8 < double / small < 2.3  # O(N^2) would be ~4
    if secret:
        for found in tmp_path.glob("runs-*.db*"):
            assert secret.encode() not in found.read_bytes()


async def test_every_step_gets_back_the_variables_and_loops_it_started_from(
    tmp_path: Path,
) -> None:
    ws = workspace(tmp_path, LOOP)
    journal = Journal(tmp_path / "runs.db")
    items = ["a", "b", "c"]
    result = await engine(ws, journal=journal).run("loop", inputs={"items": items})
    steps = journal.steps(result.run_id)
    assert [s.step for s in steps] == ["each", "next", "next", "next", "done"]
    assert [s.variables_before.get("item") for s in steps] == [None, "a", "b", "c", "c"]
    assert all(s.variables_before["items"] == items for s in steps)
    assert [s.loops_before.get("each", {}).get("index") for s in steps] == [None, 0, 1, 2, None]
    assert steps[1].loops_before["each"]["items"] == items
    assert steps[3].loops_after == {}  # the loop ended
    point = journal.before_step(result.run_id, "done")
    assert point.variables["item"] == "c"
    assert point.loops == {}


names = st.sampled_from(["a", "b", "c", "d"])
scalars = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.booleans())
maps = st.dictionaries(names, st.one_of(scalars, st.lists(scalars, max_size=3)), max_size=4)
loop_states = st.dictionaries(
    st.sampled_from(["l1", "l2"]),
    st.fixed_dictionaries({"items": st.lists(scalars, max_size=3), "index": st.integers(0, 3)}),
    max_size=2,
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(maps, loop_states, maps, st.one_of(st.none(), loop_states)), max_size=6))
def test_any_sequence_of_steps_is_rebuilt_exactly(
    tmp_path_factory: pytest.TempPathFactory, steps: list[Any]
) -> None:
    journal = Journal(tmp_path_factory.mktemp("prop") / "runs.db")
    run_id = journal.create_run("r")
    for seq, (variables, loops, outputs, after) in enumerate(steps, 1):
        journal.start_step(run_id, seq, f"s{seq}", "method", variables, loops)
        journal.finish_step(
            run_id,
            seq,
            edge="next",
            target="x",
            duration_ms=1.0,
            outputs=outputs,
            error=None,
            loops=after,
        )
    rows = journal.steps(run_id)
    journal.close()
    for row, (variables, loops, outputs, after) in zip(rows, steps, strict=True):
        assert row.variables_before == variables
        assert row.loops_before == loops
        assert row.outputs == outputs
        assert row.loops_after == after


def test_values_over_the_cap_become_markers_and_such_a_run_does_not_resume(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "runs.db", value_cap=100)
    run_id = journal.create_run("r", inputs={"big": "x" * 500, "small": 1})
    journal.start_step(run_id, 1, "s", "method", {"big": "y" * 500, "ok": 2}, {})
    journal.set_status(run_id, "interrupted")
    row = run_row(journal, run_id)
    assert row is not None
    assert is_truncated(row.inputs["big"])
    assert row.inputs["small"] == 1
    assert row.inputs["big"]["$truncated"]["bytes"] == 502
    [step] = journal.steps(run_id)
    assert is_truncated(step.variables_before["big"])
    assert step.variables_before["ok"] == 2
    with pytest.raises(RunError, match="'big'.*over the journal's size cap"):
        journal.resume_point(run_id)
    journal.close()


# -- formats ---------------------------------------------------------------------------------
FIRST_FORMAT = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY, runbook TEXT NOT NULL, trigger TEXT NOT NULL DEFAULT 'cli',
    inputs TEXT NOT NULL DEFAULT '{}', context TEXT NOT NULL DEFAULT '{}',
    overrides TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL, error TEXT, message TEXT,
    current_step TEXT, parent_id TEXT, delivery_id TEXT UNIQUE, created REAL NOT NULL,
    started REAL, finished REAL, owner_pid INTEGER, owner_host TEXT
);
CREATE INDEX runs_status ON runs(status);
CREATE TABLE steps (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL,
    variables_before TEXT NOT NULL, loops_before TEXT NOT NULL DEFAULT '{}',
    outputs TEXT, loops_after TEXT, edge TEXT, target TEXT, started REAL NOT NULL,
    duration_ms REAL, error TEXT, finished INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE exchanges (
    run_id TEXT NOT NULL, step_seq INTEGER NOT NULL, attempt INTEGER NOT NULL,
    request TEXT, response TEXT, error TEXT, elapsed_ms REAL, step TEXT,
    PRIMARY KEY (run_id, step_seq, attempt)
) WITHOUT ROWID;
"""


def test_a_first_format_journal_is_upgraded_in_place(tmp_path: Path) -> None:
    import socket

    from test_journal import dead_pid

    path = tmp_path / "runs.db"
    with sqlite3.connect(path) as db:
        db.executescript(FIRST_FORMAT)
        host = socket.gethostname()
        db.execute(
            "INSERT INTO runs (id, runbook, status, created, delivery_id, owner_pid, owner_host)"
            " VALUES ('a1', 'r', 'success', 1, 'd-1', 5, ?), ('a2', 'r', 'running', 2, NULL, ?, ?)",
            (host, dead_pid(), host),
        )
        loops = json.dumps({"each": {"items": [1, 2], "index": 0}})
        db.execute(
            "INSERT INTO steps VALUES ('a2', 1, 'each', 'foreach', '{\"v\": 1}', '{}', "
            "'{\"item\": 1}', ?, 'on_item', 'next', 1, 1, NULL, 1)",
            (loops,),
        )
        db.execute(
            "INSERT INTO steps VALUES ('a2', 2, 'next', 'next', '{\"v\": 1, \"item\": 1}', ?, "
            "NULL, NULL, NULL, NULL, 2, NULL, NULL, 0)",
            (loops,),
        )
    journal = Journal(path)
    assert run_row(journal, "a1").status == "success"
    assert run_row(journal, "a2").status == "interrupted"  # its process is gone
    steps = journal.steps("a2")
    assert steps[0].loops_after == {"each": {"items": [1, 2], "index": 0}}
    assert steps[1].variables_before == {"v": 1, "item": 1}
    assert journal.enqueue("r", {}, delivery_id="d-1")[1] is False  # still deduplicated
    assert journal.enqueue("other", {}, delivery_id="d-1")[1] is True  # per runbook now
    journal.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_format_2_journal_gets_ordered_delivery_keys_and_keeps_deduplicating(
    tmp_path: Path,
) -> None:
    """Format 2 keyed a delivery by SHA-256 of runbook and id; format 3 by the id itself
    where short. A format 2 journal is re-keyed on open: its deliveries still repeat."""
    import hashlib

    path = tmp_path / "runs.db"
    journal = Journal(path)
    short, _ = journal.enqueue("r", {}, delivery_id="d-1")
    long_id = "L" * 200
    long, _ = journal.enqueue("r", {}, delivery_id=long_id)
    journal.enqueue("r", {})  # no delivery id: no key
    journal.close()
    with sqlite3.connect(path) as db:
        for delivery_id in ("d-1", long_id):
            old = hashlib.sha256(f"r\0{delivery_id}".encode()).hexdigest()
            db.execute("UPDATE runs SET delivery_key=? WHERE delivery_id=?", (old, delivery_id))
        db.execute("PRAGMA user_version=2")
    journal = Journal(path)
    assert journal.enqueue("r", {}, delivery_id="d-1") == (short, False)
    assert journal.enqueue("r", {}, delivery_id=long_id) == (long, False)
    assert journal.enqueue("r", {}, delivery_id="d-2")[1] is True
    journal.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        keys = {row[0] for row in db.execute("SELECT delivery_key FROM runs")}
    assert keys == {
        "1:r=d-1",
        "1:r=d-2",
        f"1:r#{hashlib.sha256(long_id.encode()).hexdigest()}",
        None,
    }


def test_a_journal_from_a_newer_runbench_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    Journal(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(JournalError, match="newer runbench"):
        Journal(path)


# -- 14.18: journals that cannot be used ----------------------------------------------------
def test_read_only_open_reads_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    writer = Journal(path)
    run_id = writer.create_run("r", inputs={"n": 1})
    writer.close()
    reader = Journal(path, readonly=True)
    assert run_row(reader, run_id).inputs == {"n": 1}
    new = reader.create_run("r")
    with pytest.raises(JournalError, match="read-only"):
        reader.sync(new)
    with pytest.raises(JournalError, match="read-only"):
        reader.mark_interrupted()
    assert [row.id for row in reader.runs()] == [run_id]
    reader.close()


def test_corrupt_journal_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    path.write_bytes(b"this is not sqlite, " * 200)
    with pytest.raises(JournalError) as caught:
        Journal(path)
    text = str(caught.value)
    assert "\n" not in text
    assert str(path) in text
    assert "corrupt" in text


def test_locked_journal_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    Journal(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(JournalError) as caught:
            Journal(path, busy_timeout=0.05)
        assert "locked by another process" in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_unwritable_folder_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(JournalError) as caught:
        Journal(blocker / "runs.db")  # a folder that cannot exist
    assert "\n" not in str(caught.value)
    assert "journal" in str(caught.value)


CLI_WORKSPACE = """
[runbooks.r]
start = "end"
public = true
[runbooks.r.steps.end]
kind = "end"
"""


def broken_journal(kind: str, folder: Path) -> Any:
    """A state folder whose journal is ``kind``; returns what keeps it so (or None)."""
    path = folder / "runs.db"
    if kind == "corrupt":
        folder.mkdir()
        path.write_bytes(b"not a database at all " * 100)
        return None
    Journal(path).close()
    if kind == "newer":
        with sqlite3.connect(path) as db:
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
        return None
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


@pytest.mark.parametrize("kind", ["corrupt", "newer", "locked"])
@pytest.mark.parametrize("command", ["run", "runs", "resume", "serve"])
def test_every_command_gives_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    command: str,
) -> None:
    from runbench.cli.main import main

    monkeypatch.setenv("RUNBENCH_BUSY_TIMEOUT", "0.05")
    ws = tmp_path / "ws.toml"
    ws.write_text(CLI_WORKSPACE)
    state = tmp_path / "state"
    holder = broken_journal(kind, state)
    args = {
        "run": ["run", str(ws), "r"],
        "runs": ["runs", str(ws)],
        "resume": ["resume", str(ws), "abc"],
        "serve": ["serve", str(ws), "--port", "0"],
    }[command]
    try:
        assert main([*args, "--state-dir", str(state)]) == 2
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"runbench {command}: journal {state / 'runs.db'}: ")
    assert {"corrupt": "corrupt", "newer": "newer runbench", "locked": "locked"}[kind] in err


def test_runs_reads_a_journal_it_cannot_write() -> None:
    """Read-only media or another user's journal: `runs` lists it (as root, the check
    runs as nobody, since root may write anywhere)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("as root this needs setpriv to drop privileges")
    folder = Path(tempfile.mkdtemp())  # pytest's tmp_path is 0700 all the way down
    folder.chmod(0o755)
    ws = folder / "ws.toml"
    ws.write_text(CLI_WORKSPACE)
    state = folder / "state"
    journal = Journal(state / "runs.db")
    run_id = journal.create_run("r")
    journal.close()
    for path in state.iterdir():
        path.chmod(0o444)
    state.chmod(0o555)
    command = [sys.executable, "-m", "runbench", "runs", str(ws), "--state-dir", str(state)]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", *command]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        state.chmod(0o755)
        shutil.rmtree(folder)
    assert done.returncode == 0, done.stderr
    assert run_id in done.stdout


@pytest.mark.parametrize("writer", ["test", "run"])
def test_the_state_folder_made_by_any_command_is_private_and_ignored(
    tmp_path: Path, writer: str
) -> None:
    """Under umask 000, whichever command makes ``.runbench`` first (``test`` writes the
    request history, ``run`` the journal)."""
    ws = tmp_path / "ws.toml"
    ws.write_text(
        'name = "w"\n[integrations.x]\nbase_url = "http://127.0.0.1:1"\n'
        '[integrations.x.methods.m]\npath = "/"\n[runbooks.r]\nstart = "e"\n'
        '[runbooks.r.steps.e]\nkind = "end"\n'
    )
    previous = os.umask(0)
    try:
        main(["test", str(ws), "x.m"] if writer == "test" else ["run", str(ws), "r"])
    finally:
        os.umask(previous)
    folder = tmp_path / ".runbench"
    assert mode(folder) == 0o700
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert {mode(p) for p in folder.glob("*.db*")} == {0o600}


def test_an_open_state_folder_is_tightened_by_the_request_history(tmp_path: Path) -> None:
    folder = tmp_path / ".runbench"
    folder.mkdir()
    folder.chmod(0o755)
    (tmp_path / "ws.toml").write_text('name = "w"\n')
    MethodTestHistory.for_workspace(tmp_path / "ws.toml").record(
        "x.m", {"request": None, "response": None}, Redactor(), "test"
    )
    assert mode(folder) == 0o700
    assert (folder / ".gitignore").exists()
