"""`runbench run`, `runs` and `resume` against the sandbox on a real local port."""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.sandbox.server import RunningSandbox, start_in_thread

DEMO = Path(__file__).resolve().parents[1] / "workspaces" / "demo.toml"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_in_thread() as running:
        yield running


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo.toml"
    shutil.copy(DEMO, target)
    return target


def cli(*args: str, stdin: str = "", monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(list(args))


def test_run_json_record_and_progress(
    sandbox: RunningSandbox, demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(
        "run",
        str(demo),
        "create_customer",
        "--var",
        f"sandbox={sandbox.url}",
        "--var",
        "customer_name=Initech",
        "--json",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    record = json.loads(out)
    assert set(record) == {"run_id", "runbook", "status", "error", "message", "steps", "variables"}
    assert record["status"] == "success"
    assert record["runbook"] == "create_customer"
    assert record["message"].startswith("Created customer Initech with id ")
    assert [s["step"] for s in record["steps"]] == ["create", "done"]
    assert set(record["steps"][0]) == {"step", "kind", "edge", "duration_ms", "outputs", "error"}
    assert record["variables"]["customer_name"] == "Initech"  # --var on an input sets it
    assert "create" in err
    assert "on_success -> done" in err
    assert "succeeded" in err
    assert (demo.parent / ".runbench" / "runs.db").exists()
    assert "sandbox-secret" not in out


def test_run_with_ticket_and_action_context(
    sandbox: RunningSandbox, demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tmp_path / "action.json"
    action.write_text(json.dumps({"action": {"id": 5, "note": "How do I reset my password?"}}))
    code = cli(
        "run",
        str(demo),
        "ask_chatgpt",
        "--var",
        f"sandbox={sandbox.url}",
        "--ticket",
        "1",
        "--action-json",
        str(action),
        "--json",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "note:" not in err  # both given
    record = json.loads(out)
    assert record["variables"]["ticket"]["id"] == 1
    assert record["message"].startswith("Answered ticket 1 (action ")
    ticket = tmp_path / "ticket.json"
    ticket.write_text(json.dumps({"id": 1, "summary": "from a webhook"}))
    assert (
        cli(
            "run",
            str(demo),
            "ask_chatgpt",
            "--var",
            f"sandbox={sandbox.url}",
            "--ticket-json",
            str(ticket),
            "--action-json",
            str(action),
        )
        == 0
    )


def test_a_run_without_the_ticket_or_action_its_runbook_reads_says_how_to_give_them(
    sandbox: RunningSandbox, demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without them, ask_chatgpt's first step fails on an unknown variable, which says
    what but not where the value was to come from: a note before the run does."""
    code = cli("run", str(demo), "ask_chatgpt", "--var", f"sandbox={sandbox.url}")
    _, err = capsys.readouterr()
    assert code == 1
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: ask_chatgpt reads <<action>>, and this run has no action (give --action-json FILE)",
        "note: ask_chatgpt reads <<ticket>>, and this run has no ticket "
        "(give --ticket ID or --ticket-json FILE)",
    ]
    cli("run", str(demo), "ask_chatgpt", "--var", f"sandbox={sandbox.url}", "--ticket", "1")
    _, err = capsys.readouterr()
    assert [line for line in err.splitlines() if line.startswith("note:")] == notes[:1]
    cli("run", str(demo), "create_customer", "--var", f"sandbox={sandbox.url}")
    _, err = capsys.readouterr()
    assert "note:" not in err  # reads neither


def test_failure_end_exits_1(
    sandbox: RunningSandbox, demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(
        "run",
        str(demo),
        "ask_chatgpt",
        "--var",
        f"sandbox={sandbox.url}/nothing",
        "--ticket-json",
        "/dev/null",
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert "--ticket-json /dev/null" in err
    code = cli(
        "run", str(demo), "create_customer", "--var", f"sandbox={sandbox.url}/nothing", "--json"
    )
    out, err = capsys.readouterr()
    assert code == 1
    record = json.loads(out)
    assert record["status"] == "failure"
    assert record["steps"][0]["edge"] == "on_failure"
    assert "FAILED" in err


def test_usage_and_workspace_errors_exit_2(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def exits(code: int, *args: str) -> str:
        """``runbench`` with ``args`` exits with ``code``; its stderr (shown if it does not:
        this test failed once under load and its error was not kept)."""
        got = cli(*args)
        out, err = capsys.readouterr()
        assert got == code, f"exit {got}, not {code}; stderr: {err!r}; stdout: {out!r}"
        return err

    err = exits(2, "run", str(demo), "nope")
    assert f"no runbook 'nope' in {demo} (its runbooks: " in err
    assert "create_customer" in err  # the runbooks there are, so the user can pick one
    err = exits(2, "run", str(demo), "create_custmer")
    assert "(did you mean 'create_customer'?)" in err
    err = exits(2, "run", str(demo), "onboard_users", "--input", "site=3")
    assert "has no input 'site'" in err
    exits(2, "run", str(demo), "onboard_users", "--var", "broken")
    broken = tmp_path / "broken.toml"
    broken.write_text(
        DEMO.read_text().replace('method = "openai.completions"', 'method = "openai.nothing"')
    )
    err = exits(2, "run", str(broken), "ask_chatgpt")
    line = next(
        n for n, text in enumerate(broken.read_text().splitlines(), 1) if "openai.nothing" in text
    )
    assert f"{broken}:{line}: error:" in err
    required = tmp_path / "required.toml"
    required.write_text(
        '[runbooks.r]\nstart = "e"\n[runbooks.r.inputs]\nn = "int"\n'
        '[runbooks.r.steps.e]\nkind = "end"\n'
    )
    err = exits(2, "run", str(required), "r")
    assert "missing required input(s): n" in err
    exits(0, "run", str(required), "r", "--input", "n=3")


def test_step_prompt_over_stdin(
    sandbox: RunningSandbox,
    demo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = 's\np customer_name\nset customer_name="Changed Co"\nbogus\nc\n'
    code = cli(
        "run",
        str(demo),
        "create_customer",
        "--var",
        f"sandbox={sandbox.url}",
        "--step",
        "--json",
        stdin=script,
        monkeypatch=monkeypatch,
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "paused before 'create' (step)" in err
    assert "paused before 'done' (step)" in err
    assert 'customer_name = "Acme Widgets"' in err
    assert "unknown command 'bogus'" in err
    record = json.loads(out)
    assert record["message"].startswith("Created customer Changed Co with id")


def test_break_and_quit(
    sandbox: RunningSandbox,
    demo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli(
        "run",
        str(demo),
        "onboard_users",
        "--var",
        f"sandbox={sandbox.url}",
        "--break",
        "create_user",
        "--json",
        stdin="q\n",
        monkeypatch=monkeypatch,
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "paused before 'create_user' (breakpoint)" in err
    assert json.loads(out)["error"] == "stopped by user at step 'create_user'"
    assert cli("run", str(demo), "onboard_users", "--break", "nowhere") == 2


def test_runs_lists_and_shows_one(
    sandbox: RunningSandbox, demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    assert (
        cli(
            "run",
            str(demo),
            "create_customer",
            "--var",
            f"sandbox={sandbox.url}",
            "--state-dir",
            str(state),
            "--json",
        )
        == 0
    )
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert cli("runs", str(demo), "--state-dir", str(state)) == 0
    listing = capsys.readouterr().out
    assert run_id in listing
    assert "create_customer" in listing
    assert "success" in listing
    assert cli("runs", str(demo), run_id[:14], "--state-dir", str(state), "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["run"]["id"] == run_id
    assert [s["step"] for s in shown["steps"]] == ["create", "done"]
    assert shown["variables"]["CustomerId"] == shown["steps"][0]["outputs"]["CustomerId"]
    [exchange] = shown["exchanges"]
    assert exchange["request"]["url"].endswith("/api/Client")
    assert exchange["response"]["status"] in (200, 201)
    assert "sandbox-secret" not in json.dumps(shown, ensure_ascii=False)
    assert cli("runs", str(demo), run_id, "--state-dir", str(state)) == 0
    text = capsys.readouterr().out
    assert "exchanges:" in text
    assert "POST" in text
    assert cli("resume", str(demo), run_id, "--state-dir", str(state)) == 2
    assert "not interrupted" in capsys.readouterr().err
    assert cli("runs", str(demo), "ffffffff", "--state-dir", str(state)) == 2  # bad input
    assert "not in the journal" in capsys.readouterr().err
    assert cli("resume", str(demo), "ffffffff", "--state-dir", str(state)) == 2
    assert "list runs with `runbench runs`" in capsys.readouterr().err


def test_missing_ticket_is_a_clear_failure(
    sandbox: RunningSandbox, demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(
        "run", str(demo), "ask_chatgpt", "--var", f"sandbox={sandbox.url}", "--ticket", "987654"
    )
    assert code == 1
    assert "could not load ticket 987654" in capsys.readouterr().err


def test_a_workspace_without_runbooks_says_so() -> None:
    from runbench.core.workspace import Runbook, Workspace

    assert Workspace(path="w.toml").unknown_runbook("x") == (
        "no runbook 'x' in w.toml (it has no runbook yet)"
    )
    many = Workspace(
        path="w.toml", runbooks={f"r{n:02}": Runbook(f"r{n:02}", "s", {}) for n in range(10)}
    )
    assert many.unknown_runbook("zzz").endswith("r06, r07 and 2 more)")


def test_reading_runs_where_no_journal_exists_creates_nothing(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "nowhere" / "runs.db"
    assert cli("runs", str(demo), "--journal", str(typo)) == 0
    assert f"no runs yet (no journal at {typo})" in capsys.readouterr().out
    assert cli("runs", str(demo), "--journal", str(typo), "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli("runs", str(demo), "abc123", "--journal", str(typo)) == 2
    assert "no journal at" in capsys.readouterr().err
    assert cli("runs", "prune", str(demo), "--older-than", "1d", "--journal", str(typo)) == 0
    assert "nothing to prune" in capsys.readouterr().out
    assert cli("resume", str(demo), "abc123", "--journal", str(typo)) == 2
    assert "no journal at" in capsys.readouterr().err
    assert not typo.parent.exists()  # neither the file nor its folder was made
    assert not (demo.parent / ".runbench").exists()


def test_a_journal_url_runbench_does_not_speak_is_refused_not_taken_as_a_path(
    demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(demo.parent)
    for command in ("runs", "run"):
        args = [command, str(demo)] + (["create_customer"] if command == "run" else [])
        assert cli(*args, "--journal", "sqlite://user:hunter2@/runs.db") == 2
        err = capsys.readouterr().err
        assert "sqlite:// URLs are not understood" in err
        assert "postgresql://" in err
        assert "hunter2" not in err
    monkeypatch.setenv("RUNBENCH_JOURNAL", "mysql://db/runs")
    assert cli("runs", str(demo)) == 2
    assert "(RUNBENCH_JOURNAL)" in capsys.readouterr().err
    assert not (demo.parent / "sqlite:").exists()
    assert not (demo.parent / "mysql:").exists()
