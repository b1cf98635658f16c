"""The core must stay UI-free: importing all of it must not load textual or rich."""

import pkgutil
import subprocess
import sys

import runbench.core


def test_core_does_not_import_textual_or_rich() -> None:
    modules = [m.name for m in pkgutil.walk_packages(runbench.core.__path__, "runbench.core.")]
    assert "runbench.core.store" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_check_command_does_not_load_the_tui() -> None:
    code = (
        "import sys\n"
        "from runbench.cli.main import main\n"
        "main(['check', 'workspaces/demo.toml'])\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "False"
