"""The one way runbench creates the folder its state lives in (``.runbench``).

Journals, secrets and the request history all write under a workspace, which is usually a
git checkout. Each writer used to make the folder itself, with slightly different modes and
``.gitignore`` texts; now each goes through ``private_folder``.
"""

from __future__ import annotations

import os
from pathlib import Path

GITIGNORE = "# runbench's state: run journal, secrets. Never commit it.\n*\n"


def private_folder(folder: Path) -> Path:
    """``folder`` made 0700 if missing; one we made, or any ``.runbench``, gets the
    ``.gitignore`` that keeps it out of git, and a ``.runbench`` of ours open to others is
    tightened to 0700. Every writer of runbench's state goes through here."""
    created = not folder.exists()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not (created or folder.name == ".runbench"):
        return folder
    try:
        info = folder.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            folder.chmod(0o700)
    except OSError:
        pass  # not ours to change (or gone): leave it
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text(GITIGNORE, encoding="utf-8")
    return folder
