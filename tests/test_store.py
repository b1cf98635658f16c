"""Store: round trips keep everything, saves are atomic and never clobber."""

import difflib
import os
import tomllib
from pathlib import Path

import pytest

from runbench.core.errors import (
    ConcurrentEditError,
    SchemaError,
    TomlSyntaxError,
    WorkspaceReadError,
)
from runbench.core.workspace import WorkspaceDocument, load_workspace, read_workspace

MESSY = '''# A workspace someone has lived in.
name   =   "Messy"     # trailing comment
halo = "halo"
future_key = { nested = [1, 2, 3] }   # unknown to runbench: must survive

[variables]
  base = "http://127.0.0.1:9"   # indented on purpose
count = 3

# integrations below
[integrations.halo]
title = 'Literal quotes'
base_url = "<<base>>"
auth = { type = "none" }
colour = "blue"  # unknown key

[integrations.halo.methods.get]
verb = "GET"
path = "/api/Tickets/<<id>>"
outputs = { Summary = "response^summary!" }


[runbooks.r]
start = "done"
[runbooks.r.steps.done]
kind = "end"
message = """multi
line"""
'''


def write(tmp_path: Path, text: str, name: str = "ws.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_round_trip_changes_exactly_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    doc = WorkspaceDocument(path)
    doc.set(["integrations", "halo", "methods", "get", "verb"], "POST")
    doc.save()
    after = path.read_text(encoding="utf-8")
    diff = [
        line
        for line in difflib.unified_diff(MESSY.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert diff == ['-verb = "GET"', '+verb = "POST"']
    assert load_workspace(path).integrations["halo"].methods["get"].verb == "POST"


def test_round_trip_without_edit_is_byte_identical(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    doc = WorkspaceDocument(path)
    doc.save()
    assert path.read_text(encoding="utf-8") == MESSY


def test_save_refuses_when_file_changed_on_disk(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    doc = WorkspaceDocument(path)
    doc.set(["name"], "Mine")
    theirs = MESSY.replace("count = 3", "count = 4")
    path.write_text(theirs, encoding="utf-8")
    with pytest.raises(ConcurrentEditError) as caught:
        doc.save()
    assert "changed on disk" in str(caught.value)
    assert str(path) in str(caught.value)
    assert path.read_text(encoding="utf-8") == theirs  # nothing of theirs lost
    assert doc.get(["name"]) == "Mine"  # nothing of ours lost either
    doc.reload()
    assert doc.get(["variables", "count"]) == 4
    doc.set(["name"], "Mine")
    doc.save()
    assert 'name   =   "Mine"' in path.read_text(encoding="utf-8")


def test_save_is_atomic_and_keeps_mode(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    os.chmod(path, 0o600)
    doc = WorkspaceDocument(path)
    doc.set(["variables", "count"], 5)
    doc.save()
    assert (path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["ws.toml"]  # no temp file left


def test_rename_and_delete_and_add(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    doc = WorkspaceDocument(path)
    doc.rename(["integrations", "halo", "methods", "get"], "fetch")
    doc.add_table(["integrations", "halo", "methods", "new"], {"verb": "DELETE", "path": "/x"})
    doc.delete(["future_key"])
    workspace, problems = doc.model()
    assert set(workspace.integrations["halo"].methods) == {"fetch", "new"}
    assert "# integrations below" in doc.text()


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\n[variables]\nbad = \n')
    with pytest.raises(TomlSyntaxError) as caught:
        read_workspace(path)
    assert caught.value.line == 3
    assert caught.value.column >= 1
    assert str(caught.value).startswith(f"{path}:3: TOML syntax error at column")


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceReadError, match="no such file"):
        read_workspace(tmp_path / "nope.toml")


def test_unknown_keys_survive_and_are_warned(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    _, problems = read_workspace(path)
    warnings = [str(p) for p in problems]
    assert any(":1" in w or "future_key" in w for w in warnings)
    assert any("colour" in w and ":15:" in w for w in warnings)


def test_added_table_in_the_middle_stays_separated(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    doc = WorkspaceDocument(path)
    doc.add_table(["integrations", "halo", "methods", "post"], {"verb": "POST"})
    doc.save()
    text = path.read_text(encoding="utf-8")
    assert '[integrations.halo.methods.post]\nverb = "POST"\n\n' in text
    assert load_workspace(path).integrations["halo"].methods["post"].verb == "POST"


RENAMABLE = """# a workspace
[runbooks.rb]
start = "a"

[runbooks.rb.steps.a]
kind = "end"
# about b, below
[runbooks.rb.steps.b]  # the middle one
kind = "end"

  [runbooks.rb.steps.b.retry]
  attempts = 2

[runbooks.rb.steps."c d"]
kind = "end"
inline = { b = 1 }
"""


def test_rename_of_a_header_table_changes_only_its_header_lines(tmp_path: Path) -> None:
    path = write(tmp_path, RENAMABLE)
    doc = WorkspaceDocument(path)
    doc.rename(["runbooks", "rb", "steps", "b"], "middle step")
    before, after = RENAMABLE.splitlines(), doc.text().splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [
        (
            "[runbooks.rb.steps.b]  # the middle one",
            '[runbooks.rb.steps."middle step"]  # the middle one',
        ),
        ("  [runbooks.rb.steps.b.retry]", '  [runbooks.rb.steps."middle step".retry]'),
    ]
    steps = tomllib.loads(doc.text())["runbooks"]["rb"]["steps"]
    assert list(steps) == ["a", "middle step", "c d"]  # kept its place
    assert steps["middle step"]["retry"] == {"attempts": 2}
    doc.set(["runbooks", "rb", "steps", "middle step", "kind"], "log")  # still editable
    assert tomllib.loads(doc.text())["runbooks"]["rb"]["steps"]["middle step"]["kind"] == "log"
    doc.rename(["runbooks", "rb", "steps", "c d"], "c")  # a quoted key
    assert "[runbooks.rb.steps.c]\n" in doc.text()


def test_rename_of_an_inline_table_moves_it_and_keeps_its_content(tmp_path: Path) -> None:
    path = write(tmp_path, RENAMABLE)
    doc = WorkspaceDocument(path)
    doc.rename(["runbooks", "rb", "steps", "c d", "inline"], "other")
    step = tomllib.loads(doc.text())["runbooks"]["rb"]["steps"]["c d"]
    assert step == {"kind": "end", "other": {"b": 1}}
    assert "# about b, below" in doc.text()
    with pytest.raises(SchemaError, match="already exists"):
        doc.rename(["runbooks", "rb", "steps", "a"], "c d")


def test_undo_and_redo_restore_whole_texts_and_typing_is_one_step(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    doc = WorkspaceDocument(path)
    keys = ["integrations", "halo", "methods", "get", "path"]
    for typed in ("/a", "/ab", "/abc"):  # typing in one field: one step
        doc.checkpoint("path", group=("path",))
        doc.set(keys, typed)
    doc.checkpoint("delete method")
    doc.delete(["integrations", "halo", "methods", "get"])
    assert doc.undo() == "delete method"
    assert doc.get(keys) == "/abc"
    assert doc.undo() == "path"
    assert doc.text() == MESSY
    assert not doc.dirty
    assert doc.undo() is None
    assert doc.redo() == "path"
    assert doc.get(keys) == "/abc"
    assert doc.dirty
    doc.checkpoint("verb")
    doc.set(["integrations", "halo", "methods", "get", "verb"], "PUT")
    assert doc.redo() is None  # a new edit drops what could be redone


def test_disk_state_diff_save_as_and_recreate(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    doc = WorkspaceDocument(path)
    doc.set(["name"], "Tidy")
    assert doc.disk_state() == "same"
    path.write_text(MESSY.replace("count = 3", "count = 4"), encoding="utf-8")
    assert doc.disk_state() == "changed"
    diff = doc.disk_diff()
    assert "-count = 4" in diff
    assert "+count = 3" in diff
    assert any(line.startswith("+name") and '"Tidy"' in line for line in diff.splitlines())
    path.unlink()
    assert doc.disk_state() == "missing"
    with pytest.raises(ConcurrentEditError, match="moved or deleted"):
        doc.save()
    doc.save(force=True)  # recreate
    assert tomllib.loads(path.read_text(encoding="utf-8"))["name"] == "Tidy"
    other = tmp_path / "copy.toml"
    doc.set(["name"], "Copy")
    doc.save_as(other)
    assert doc.path == other
    assert not doc.dirty
    assert tomllib.loads(other.read_text(encoding="utf-8"))["name"] == "Copy"
    with pytest.raises(WorkspaceReadError, match="no such folder"):
        doc.save_as(tmp_path / "nowhere" / "x.toml")
