"""Runbook and workspace edits: runbooks added, renamed (references follow), duplicated
and deleted; inputs, endpoint fields and workspace variables written where they belong."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from runbench.core.errors import SchemaError
from runbench.core.workspace import (
    RunbookEdits,
    SecretRef,
    WorkspaceDocument,
    check_workspace,
    read_workspace,
    runbook_references,
)

COMMENTED = Path(__file__).parent / "golden" / "commented.toml"
CALLER = """
[runbooks.caller]
start = "go"

[runbooks.caller.steps.go]
kind = "runbook"
runbook = "answer"
"""


def _document(tmp_path: Path, extra: str = "") -> WorkspaceDocument:
    path = tmp_path / "ws.toml"
    shutil.copyfile(COMMENTED, path)
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return WorkspaceDocument(path)


def test_rename_runbook_repoints_runbook_steps(tmp_path: Path) -> None:
    document = _document(tmp_path, CALLER)
    edits = RunbookEdits(document)
    workspace, _ = document.model()
    assert [label for _, label in runbook_references(workspace, "answer")] == ["caller.go"]
    assert edits.rename_runbook(workspace, "answer", "reply") == 1
    data = tomllib.loads(document.text())
    assert "answer" not in data["runbooks"]
    assert data["runbooks"]["reply"]["start"] == "ask"
    assert data["runbooks"]["caller"]["steps"]["go"]["runbook"] == "reply"
    assert "# The first step asks." in document.text()
    assert not [p for p in check_workspace(document.model()[0]) if p.is_error]
    with pytest.raises(SchemaError, match="already exists"):
        edits.rename_runbook(document.model()[0], "reply", "caller")


def test_add_duplicate_delete_runbook(tmp_path: Path) -> None:
    document = _document(tmp_path)
    edits = RunbookEdits(document)
    assert edits.add_runbook(document.model()[0], "triage", "Triage tickets") == "triage"
    workspace, _ = document.model()
    assert workspace.runbooks["triage"].title == "Triage tickets"
    assert edits.add_step(workspace, "triage", "ask", "method") == "ask"
    assert document.model()[0].runbooks["triage"].start == "ask"  # the first step starts
    edits.duplicate_runbook(document.model()[0], "answer", "answer_2")
    copy = document.model()[0].runbooks["answer_2"]
    assert set(copy.steps) == {"ask", "done", "failed"}
    assert copy.start == "ask"
    edits.delete_runbook("answer_2")
    assert "answer_2" not in document.text()
    assert "# end of file" in document.text()


def test_inputs_endpoint_and_variables(tmp_path: Path) -> None:
    document = _document(tmp_path)
    edits = RunbookEdits(document)
    edits.set_input("answer", "q", {"type": "string", "default": "hi", "description": "ask"})
    edits.set_input("answer", "n", {"type": "int", "default": 3})
    edits.set_input("answer", "question", {"type": "string", "default": "hi"}, old_name="q")
    runbook = document.model()[0].runbooks["answer"]
    assert list(runbook.inputs) == ["n", "question"]
    assert runbook.inputs["n"].default == 3
    edits.delete_input("answer", "n")
    edits.delete_input("answer", "question")
    assert "inputs" not in tomllib.loads(document.text())["runbooks"]["answer"]
    edits.set_endpoint("answer", "auth", "signature")
    edits.set_endpoint("answer", "secret", SecretRef("env", "SIGNING"))
    edits.set_endpoint("answer", "tolerance", 60.0)
    endpoint = document.model()[0].runbooks["answer"].endpoint
    assert endpoint.secrets == (SecretRef("env", "SIGNING"),)
    assert endpoint.tolerance == 60
    edits.set_endpoint("answer", "secret", "")
    assert document.model()[0].runbooks["answer"].endpoint.secrets == ()
    edits.set_variable("region", "eu")
    edits.set_variable("zone", [1, 2], old_name="region")
    edits.set_top("name", "")
    data = tomllib.loads(document.text())
    assert data["variables"] == {"base": "http://127.0.0.1:9", "zone": [1, 2]}
    assert "name" not in data


def test_input_description_is_read(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        '[runbooks.r]\nstart = "e"\ninputs = { q = { type = "int", description = "how many" } }\n'
        '[runbooks.r.steps.e]\nkind = "end"\n',
        encoding="utf-8",
    )
    workspace, problems = read_workspace(path)
    assert workspace.runbooks["r"].inputs["q"].description == "how many"
    assert not problems


def test_a_text_edit_that_breaks_the_toml_is_a_syntax_error_at_the_next_edit(
    tmp_path: Path,
) -> None:
    """replace_text leaves the parse to the next edit that needs the tree: a text that
    does not parse then says so as a workspace error, never a tomlkit traceback."""
    from runbench.core.errors import TomlSyntaxError
    from runbench.core.workspace import WorkspaceDocument

    path = tmp_path / "w.toml"
    path.write_text("a = 1\n", encoding="utf-8")
    document = WorkspaceDocument(path)
    document.replace_text("a = [\n")
    with pytest.raises(TomlSyntaxError) as caught:
        _ = document.doc
    assert str(path) in str(caught.value)
