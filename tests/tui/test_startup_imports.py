"""The workbench starts without loading what only a test, a run or an edit needs.

Start-up time is most of what a user waits for each time they open the workbench over
SSH; httpx, the engine (with sqlite3) and tomlkit together took a fifth of it. They load
on first use, and this test keeps it that way: a new import at start fails here, not in
a benchmark nobody runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "workspaces" / "demo.toml"
DEFERRED = (
    "httpx",
    "tomlkit",
    "sqlite3",
    "runbench.core.engine",
    "runbench.core.http",
    "runbench.core.flowchart._routing",
)

PROBE = """
import json, sys
from runbench.tui.app import RunbenchApp
app = RunbenchApp(sys.argv[1])
assert app.workspace.runbooks, "the workspace was read"
print(json.dumps(sorted(sys.modules)))
"""


def test_opening_the_workbench_defers_http_engine_and_tomlkit(tmp_path: Path) -> None:
    workspace = tmp_path / "demo.toml"
    shutil.copyfile(DEMO, workspace)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(workspace)], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert "textual.app" in loaded  # the probe really built the app
    assert not loaded & set(DEFERRED)


def test_first_edit_loads_tomlkit_and_keeps_the_file_text(tmp_path: Path) -> None:
    from runbench.core.workspace import WorkspaceDocument

    workspace = tmp_path / "demo.toml"
    shutil.copyfile(DEMO, workspace)
    document = WorkspaceDocument(workspace)
    assert document.text() == DEMO.read_text(encoding="utf-8")
    document.set(["integrations", "halo", "title"], "Halo (edited)")
    text = document.text()
    assert 'title = "Halo (edited)"' in text
    assert "# " in text  # comments survive the parse on first edit
    workspace_model, _ = document.model()
    assert workspace_model.integrations["halo"].title == "Halo (edited)"
