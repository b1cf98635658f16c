"""End to end: every demo runbook runs with `runbench run` against a real sandbox.

The sandbox listens on a free port on 127.0.0.1; the demo workspace's `sandbox` variable is
pointed at it with --var. Afterwards the sandbox's own state shows what the runbooks did.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbench.cli.main import main
from runbench.sandbox import RunningSandbox, start_in_thread

DEMO = str(Path(__file__).resolve().parents[1] / "workspaces" / "demo.toml")


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(host="127.0.0.1", port=0)
    try:
        yield running
    finally:
        running.stop()


def run_demo(sandbox: RunningSandbox, tmp_path: Path, *args: str) -> int:
    return main(
        [
            "run",
            DEMO,
            *args,
            "--var",
            f"sandbox={sandbox.url}",
            "--state-dir",
            str(tmp_path / "state"),
            "--json",
        ]
    )


def test_ask_chatgpt_posts_the_answer_back_on_the_ticket(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = tmp_path / "action.json"
    action.write_text(json.dumps({"id": 9, "ticket_id": 1, "note": 'Why is my "VPN" down?'}))
    before = len(sandbox.app.state.halo.records("Actions"))
    code = run_demo(sandbox, tmp_path, "ask_chatgpt", "--ticket", "1", "--action-json", str(action))
    record = json.loads(capsys.readouterr().out)
    assert code == 0, record
    assert record["status"] == "success"
    assert [s["step"] for s in record["steps"]] == ["ask", "check", "post_back", "done"]
    actions = sandbox.app.state.halo.records("Actions")
    assert len(actions) == before + 1
    posted = actions[-1]
    assert posted["ticket_id"] == 1
    assert posted["outcome"] == "ChatGPT"
    assert posted["note_html"] == 'Sandbox answer to: Why is my "VPN" down?'
    assert record["message"] == f"Answered ticket 1 (action {posted['id']})"


def test_create_customer_creates_it_in_halo(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_demo(sandbox, tmp_path, "create_customer", "--var", "customer_name=Zeta Widgets")
    record = json.loads(capsys.readouterr().out)
    assert code == 0, record
    names = [c["name"] for c in sandbox.app.state.halo.records("Client")]
    assert "Zeta Widgets" in names
    created = next(
        c for c in sandbox.app.state.halo.records("Client") if c["name"] == "Zeta Widgets"
    )
    assert record["variables"]["CustomerId"] == created["id"]


def test_onboard_users_creates_company_users_and_skips_outsiders(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {u["name"] for u in sandbox.app.state.halo.records("Users")}
    code = run_demo(sandbox, tmp_path, "onboard_users")
    record = json.loads(capsys.readouterr().out)
    assert code == 0, record
    created = {u["name"] for u in sandbox.app.state.halo.records("Users")} - before
    assert created == {"Ada Lovelace", "Grace Hopper"}
    edges = [(s["step"], s["edge"]) for s in record["steps"] if s["step"] == "company_email"]
    assert edges == [
        ("company_email", "on_true"),
        ("company_email", "on_true"),
        ("company_email", "on_false"),
    ]


def test_ask_chatgpt_without_a_ticket_fails_naming_the_variable(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_demo(sandbox, tmp_path, "ask_chatgpt")
    record = json.loads(capsys.readouterr().out)
    assert code == 1
    assert record["status"] == "failure"
    assert "action" in (record["steps"][0]["error"] or "")


def test_the_demo_holds_garbage_collection_before_the_first_frame_as_tui_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`runbench demo` opens the same workbench as `runbench tui`, so it takes the same
    start-up hold (see tui.idle_gc) before the app is built; --headless draws nothing."""
    import gc

    from runbench.cli import cmd_demo
    from runbench.cli.main import build_parser
    from runbench.tui.app import RunbenchApp

    seen: list[bool] = []

    def run(_app: RunbenchApp) -> int:
        seen.append(gc.isenabled())
        return 0

    def headless(_path: Path, _overrides: object) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(RunbenchApp, "run", run)
    monkeypatch.setattr(cmd_demo, "headless", headless)
    args = build_parser("demo").parse_args(["demo", "--state-dir", str(tmp_path)])
    try:
        assert cmd_demo.run(args) == 0
    finally:
        gc.enable()
    args = build_parser("demo").parse_args(["demo", "--headless"])
    assert cmd_demo.run(args) == 0
    assert seen == [False, True]
