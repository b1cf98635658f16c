"""format_body: cancelled while its child formats, the child is ended and the caller hears
``FormatCancelled``. Before, the viewer's worker thread waited for the child whatever
happened (a newer response, the workbench quitting: asyncio's exit waits for worker
threads, so quitting over a 50 MiB body waited for its formatting)."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from runbench.core.child import ChildSpec
from runbench.tui.state import body_lines
from runbench.tui.state.body_lines import EXACT_LIMIT, FormatCancelled, Lines, format_body

NEVER_DONE = "#!/bin/sh\ncat > /dev/null\nexec tail -f /dev/null\n"
"""A formatter that never finishes: it reads its body, then follows a file that never grows."""


def test_a_cancelled_format_ends_its_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "never_done"
    script.write_text(NEVER_DONE)
    script.chmod(0o755)
    children: list[subprocess.Popen[bytes]] = []
    spawn = body_lines.spawn

    def stuck(spec: ChildSpec, **kwargs: Any) -> subprocess.Popen[bytes]:
        child = spawn(ChildSpec(spec.module, str(script)), **kwargs)
        children.append(child)
        return child

    monkeypatch.setattr(body_lines, "spawn", stuck)
    previewed = threading.Event()
    body = json.dumps([{"n": i, "pad": "x" * 64} for i in range(EXACT_LIMIT // 64)])
    assert len(body) > EXACT_LIMIT

    def preview(_: Lines) -> None:
        previewed.set()

    with pytest.raises(FormatCancelled):
        format_body(body, "application/json", preview, in_process=True, cancelled=previewed.is_set)
    assert len(children) == 1
    assert children[0].poll() is not None  # ended, not left formatting
