"""Saving a workspace: concurrent writers never lose an update silently (item 19), and a
symbolic link is saved through, with `.runbench/` beside its target (item 20)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from runbench.core.errors import ConcurrentEditError
from runbench.core.journal import Journal
from runbench.core.secrets import secrets_file
from runbench.core.workspace import WorkspaceDocument, load_workspace
from runbench.core.workspace import _store as store

START = 'name = "w"\n\n[variables]\nx = 1\n'

posix_only = pytest.mark.skipif(os.name != "posix", reason="flock and symlinks are POSIX")


@posix_only
def test_a_second_saver_waits_for_the_first_and_then_sees_the_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(START, encoding="utf-8")
    first, second = WorkspaceDocument(path), WorkspaceDocument(path)
    first.set(["variables", "a"], 1)
    second.set(["variables", "b"], 2)
    inside, release = threading.Event(), threading.Event()
    real_write = store.atomic_write

    def paused_write(target: Path, text: str) -> None:
        if "a = 1" in text:  # the first saver: stop between its compare and its rename
            inside.set()
            release.wait(30)
        real_write(target, text)

    monkeypatch.setattr(store, "atomic_write", paused_write)
    errors: list[BaseException] = []

    def save(doc: WorkspaceDocument) -> None:
        try:
            doc.save()
        except BaseException as exc:
            errors.append(exc)

    one = threading.Thread(target=save, args=(first,))
    one.start()
    assert inside.wait(30)
    two = threading.Thread(target=save, args=(second,))
    two.start()
    two.join(1.0)  # without the lock it would compare "unchanged" and write here
    release.set()
    one.join(30)
    two.join(30)
    assert [type(e) for e in errors] == [ConcurrentEditError]
    assert "a = 1" in path.read_text(encoding="utf-8")


@posix_only
def test_concurrent_import_curl_keeps_every_method(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    names = [f"m{i}" for i in range(4)]
    command = [sys.executable, "-m", "runbench.cli.main", "import-curl"]
    processes = [
        subprocess.Popen(
            [*command, f"curl https://api.example.com/v1/{n}", "-w", str(path), "-n", n],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in names
    ]
    answers = [p.communicate(timeout=120) for p in processes]  # reads and closes the pipes
    results = [(p.returncode, err) for p, (_, err) in zip(processes, answers, strict=True)]
    assert [code for code, _ in results] == [0] * len(names), results
    methods = load_workspace(path).integrations["example"].methods
    assert sorted(methods) == names


@posix_only
def test_saving_through_a_symlink_writes_the_target(tmp_path: Path) -> None:
    real = tmp_path / "repo" / "ws.toml"
    real.parent.mkdir()
    real.write_text(START, encoding="utf-8")
    os.chmod(real, 0o640)
    link = tmp_path / "home" / "ws.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    doc = WorkspaceDocument(link)
    doc.set(["variables", "y"], 2)
    doc.save()
    assert link.is_symlink()
    assert link.resolve() == real.resolve()
    assert "y = 2" in real.read_text(encoding="utf-8")
    assert real.stat().st_mode & 0o777 == 0o640
    assert secrets_file(link).parent == real.parent / ".runbench"
    journal = Journal.for_workspace(link)
    try:
        assert Path(journal.path).parent == real.parent / ".runbench"
    finally:
        journal.close()
