"""The core must stay UI-free.

Importing all of it must not load textual. rich may appear only because httpx's own
optional CLI module imports it when installed; no core module may import rich itself.
"""

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import runbench.core

CORE = Path(runbench.core.__file__).parent
PRIVATE_NAME = re.compile(r"runbench\.core\.\w+\._")
"""Text every import of a room's private module spells out (checked before parsing: only
the few files that contain it are parsed, not all of src/, tests/ and benchmarks/)."""


def core_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(runbench.core.__path__, "runbench.core.")]


def test_core_does_not_load_textual() -> None:
    modules = core_modules()
    assert "runbench.core.workspace._store" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_no_core_module_imports_ui_libraries() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        text = path.read_text()
        if "textual" not in text and "rich" not in text:
            continue  # an import of either names it
        for node in ast.walk(ast.parse(text)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("textual", "rich")
            ]
    assert offenders == []


def test_check_command_does_not_load_the_tui() -> None:
    code = (
        "import sys\n"
        "from runbench.cli.main import main\n"
        f"main(['check', {str(CORE.parents[2] / 'workspaces' / 'demo.toml')!r}])\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "False"


def _room_of(module: str) -> str | None:
    """``runbench.core.<room>`` when ``module`` is a private module of that room."""
    parts = module.split(".")
    if len(parts) >= 4 and parts[:2] == ["runbench", "core"] and parts[3].startswith("_"):
        return ".".join(parts[:3])
    return None


def test_private_core_modules_are_imported_only_inside_their_room() -> None:
    """Other layers, other rooms, tests and benchmarks use a room's public package."""
    root = CORE.parents[2]
    offenders = []
    for top in ("src", "tests", "benchmarks"):
        for path in (root / top).rglob("*.py"):
            here = (
                ".".join(path.relative_to(root / "src").with_suffix("").parts)
                if top == "src"
                else ""
            )
            text = path.read_text()
            if not PRIVATE_NAME.search(text):
                continue  # no import here can name a private module
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    room = _room_of(name)
                    if room and not here.startswith(room + "."):
                        offenders.append(f"{path.relative_to(root)}:{node.lineno}: {name}")
    assert offenders == []
