"""A workspace set up for the "no secret at rest" checks: its secrets file written as
`runbench secret set` writes it (0600), and its journal created and held open by a reader,
so that the WAL and shared-memory files stay on disk for the check to search (the last
connection to close would fold them into the database and delete them)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from runbench.core.journal import Journal
from runbench.core.secrets import secrets_file


@contextmanager
def workspace_at_rest(workspace: Path, secrets: Mapping[str, str]) -> Iterator[Path]:
    """Write ``secrets`` beside ``workspace`` and keep its journal's files on disk while the
    block runs; yields the secrets file (its folder holds the journal)."""
    stored = secrets_file(workspace)
    stored.parent.mkdir()
    lines = "".join(f"{name} = {json.dumps(value)}\n" for name, value in secrets.items())
    stored.write_text(lines, encoding="utf-8")
    os.chmod(stored, 0o600)
    Journal.for_workspace(workspace).close()
    holder = sqlite3.connect(stored.parent / "runs.db")
    holder.execute("SELECT count(*) FROM runs").fetchall()
    try:
        yield stored
    finally:
        holder.close()
