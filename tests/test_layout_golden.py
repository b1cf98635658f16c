"""Edits keep the file's layout: for each kind of insert, the diff against a commented
workspace is exactly the added lines, and those lines are the golden file's.

A new method goes after its integration's last method, a new integration after the last
integration (not under the ``# --- Runbooks ---`` comment), a new step after its
runbook's last step; comments stay with what follows them; one blank line between
tables; one inline-table style. Golden files live in ``tests/golden/inserts``; to
regenerate after an intended change, run with ``RUNBENCH_GOLDEN_UPDATE=1`` and read
the diff before committing.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from runbench.core.workspace import RunbookEdits, SecretRef, Workspace, WorkspaceDocument

GOLDEN = Path(__file__).parent / "golden"
COMMENTED = GOLDEN / "commented.toml"
Edit = Callable[[RunbookEdits, Workspace], object]


def _method(edits: RunbookEdits, ws: Workspace) -> object:
    name = edits.add_method(ws, "halo", "post_note")
    keys = ("integrations", "halo", "methods", name)
    edits.set(keys + ("verb",), "POST")
    edits.set(keys + ("body_type",), "json")
    edits.set_body(keys + ("body",), '{"note": "<<note!>>"}')
    edits.set_entry(keys + ("test_values",), "note", "hello")
    edits.set_entry(keys + ("test_values",), "ticket", 5)
    return name


def _endpoint(edits: RunbookEdits, _ws: Workspace) -> object:
    edits.set(("runbooks", "answer", "public"), True)
    edits.set_endpoint("answer", "auth", "signature")
    edits.set_endpoint("answer", "secret", SecretRef("secret", "answer_signing"))
    edits.set_endpoint("answer", "prefix", "sha256=")
    return "answer"


CASES: dict[str, Edit] = {
    "method_first_integration": lambda e, ws: e.add_method(ws, "chat", "models"),
    "method_last_integration": _method,
    "integration": lambda e, ws: e.add_integration(ws, "jira", "https://jira.example.com"),
    "step": lambda e, ws: e.add_step(ws, "answer", "check", "condition"),
    "runbook": lambda e, ws: e.add_runbook(ws, "triage"),
    "variable": lambda e, _ws: e.set_variable("region", "eu"),
    "endpoint": _endpoint,
    "inputs": lambda e, _ws: e.set_input("answer", "q", {"type": "string", "default": "hi"}),
    "duplicate_method": lambda e, ws: e.duplicate_method(ws, "chat", "ask", "ask_again"),
    "duplicate_step": lambda e, ws: e.duplicate_step(ws, "answer", "ask", "ask_again"),
    "duplicate_integration": lambda e, ws: e.duplicate_integration(ws, "halo", "halo_test"),
    "duplicate_runbook": lambda e, ws: e.duplicate_runbook(ws, "answer", "answer_copy"),
    "retry": lambda e, _ws: e.set_retry(("runbooks", "answer", "steps", "ask"), "attempts", 3),
}


def _edited(tmp_path: Path, edit: Edit) -> tuple[str, str]:
    path = tmp_path / "ws.toml"
    shutil.copyfile(COMMENTED, path)
    document = WorkspaceDocument(path)
    edit(RunbookEdits(document), document.model()[0])
    return COMMENTED.read_text(encoding="utf-8"), document.text()


def _added_lines(before: str, after: str) -> tuple[int, list[str]]:
    """(line after which lines were added, the added lines); fails on any other change.

    The longest common start and end of the two texts must make up all of ``before``:
    then ``after`` is ``before`` with one block of lines added in the middle."""
    old, new = before.splitlines(), after.splitlines()
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < len(old) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    diff = "\n".join(difflib.unified_diff(old, new, lineterm=""))
    assert start + end == len(old), diff
    assert len(new) > len(old), diff
    return start, new[start : len(new) - end]


@pytest.mark.parametrize("kind", CASES)
def test_insert_adds_exactly_the_golden_lines(tmp_path: Path, kind: str) -> None:
    before, after = _edited(tmp_path, CASES[kind])
    at, added = _added_lines(before, after)
    golden = GOLDEN / "inserts" / f"{kind}.toml"
    shown = f"# after line {at}\n" + "\n".join(added) + "\n"
    if os.environ.get("RUNBENCH_GOLDEN_UPDATE"):
        golden.write_text(shown, encoding="utf-8")
    assert shown == golden.read_text(encoding="utf-8")
    tomllib.loads(after)  # still TOML


def test_every_golden_edit_checks_like_the_original(tmp_path: Path) -> None:
    """No insert breaks the file: it reads back with the new table where asked."""
    for kind, edit in CASES.items():
        _, after = _edited(tmp_path, edit)
        data = tomllib.loads(after)
        assert data["runbooks"]["answer"]["steps"]["ask"]["args"] == {"q": "<<action^note!>>"}
        assert "# --- Runbooks" in after, kind
        assert after.rstrip().endswith("# end of file"), kind


def test_inline_tables_get_one_style_when_edited(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(
        '[integrations.a]\nbase_url = "u"\nauth = {type="bearer",token="x"}   # keep\n',
        encoding="utf-8",
    )
    document = WorkspaceDocument(path)
    RunbookEdits(document).set_auth_field("a", "header", "X-Key")
    assert 'auth = { type = "bearer", token = "x", header = "X-Key" }   # keep' in document.text()


def test_new_key_goes_before_the_blank_line_and_comment_that_end_a_table(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(
        '[integrations.a]\nbase_url = "u"\n\n# b next\n[integrations.b]\nbase_url = "v"\n',
        encoding="utf-8",
    )
    document = WorkspaceDocument(path)
    document.set(["integrations", "a", "title"], "A")
    assert document.text() == (
        '[integrations.a]\nbase_url = "u"\ntitle = "A"\n\n# b next\n[integrations.b]\nbase_url = "v"\n'
    )


def test_delete_keeps_the_comment_that_follows(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    shutil.copyfile(COMMENTED, path)
    document = WorkspaceDocument(path)
    document.delete(["integrations", "halo", "methods", "get_ticket"])
    text = document.text()
    assert "# --- Runbooks ----" in text
    assert "get_ticket" not in text
    assert 'auth = { type = "none" }\n\n# --- Runbooks' in text


def test_first_integration_goes_before_the_runbooks(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(
        'name = "x"\n\n# runbooks\n[runbooks.r]\nstart = "a"\n\n[runbooks.r.steps.a]\nkind = "end"\n',
        encoding="utf-8",
    )
    document = WorkspaceDocument(path)
    RunbookEdits(document).add_integration(document.model()[0], "api", "https://x")
    text = document.text()
    assert text.index("[integrations.api]") < text.index("# runbooks")
    assert text.startswith('name = "x"\n\n[integrations.api]\n')
