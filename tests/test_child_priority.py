"""core.child.lower_priority: a child niced, and on Linux with autogroup in a session of its
own whose group is niced too (less: a busy machine must not starve it) (else the workbench's whole session share went to formatter
children, ahead of the terminal that draws each key). Run in a real child process: the
call changes the session of the process that makes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, os, sys
from runbench.core.child import lower_priority
lower_priority(7, autogroup=sys.argv[1])
group = open(sys.argv[1]).read() if os.path.exists(sys.argv[1]) else ""
print(json.dumps({"sid": os.getsid(0), "pid": os.getpid(), "nice": os.nice(0), "group": group}))
"""


def probe(autogroup: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, autogroup], capture_output=True, text=True, check=True
    )
    found: dict[str, object] = json.loads(done.stdout)
    return found


def expected_nice() -> int:
    return min(os.nice(0) + 7, 19)


@pytest.mark.skipif(not os.path.exists("/proc/self/autogroup"), reason="no autogroup here")
def test_child_leaves_for_its_own_niced_autogroup() -> None:
    found = probe("/proc/self/autogroup")
    assert found["sid"] == found["pid"]  # a session of its own
    assert found["sid"] != os.getsid(0)
    assert found["nice"] == expected_nice()
    group_nice = int(str(found["group"]).split(" nice ")[1])
    assert 0 < group_nice < 7  # niced, less than the child itself: load must not starve it


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no nice here")
def test_without_autogroup_the_child_is_niced_and_stays_in_the_session(tmp_path: Path) -> None:
    found = probe(str(tmp_path / "no-autogroup"))
    assert found["sid"] == os.getsid(0)
    assert found["nice"] == expected_nice()
    assert found["group"] == ""


SERVE_WORKER = """
import json, os
from runbench.serve.child import tie_to_parent
tie_to_parent(os.getppid())
print(json.dumps({"sid": os.getsid(0), "pid": os.getpid(), "nice": os.nice(0)}))
"""


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no nice here")
def test_serve_worker_process_is_niced_inside_the_servers_session() -> None:
    """`serve`'s worker process is niced in the server's own session: there the niceness
    weighs against the intake (CFS weights 110 against 1024), so accepting comes first. In
    a session of its own (as the workbench's children) its group took a share of its own
    and serve accepted fewer deliveries under a flood (bench_serve 0.63 -> 0.57)."""
    from runbench.serve.process import WORKER_NICE

    done = subprocess.run(
        [sys.executable, "-c", SERVE_WORKER], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    assert found["sid"] == os.getsid(0)  # the session of the process that started it
    assert found["nice"] == min(os.nice(0) + WORKER_NICE, 19)


NICED_TWICE = """
import json, os, sys
from runbench.core.child import lower_priority
lower_priority(7, own_session=False)  # after spawn niced it already: not 7 more
print(json.dumps({"nice": os.nice(0)}), flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no priorities here")
def test_spawn_nices_the_child_before_it_runs_and_lower_priority_does_not_add(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ChildSpec.niceness``: the child is niced by ``spawn`` itself, before its
    interpreter has started (a search child used to spend its first ~75 ms of CPU, its
    imports, at the workbench's priority, beside the key just typed); its own
    ``lower_priority`` then finds the niceness there and adds nothing."""
    from runbench.core.child import ChildSpec, end, spawn

    (tmp_path / "niced_twice.py").write_text(NICED_TWICE)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    wanted = min(os.nice(0) + 7, 19)
    child = spawn(ChildSpec("niced_twice", niceness=7))
    try:
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == wanted  # before any of its code
        assert child.stdout is not None
        assert json.loads(child.stdout.readline()) == {"nice": wanted}
    finally:
        assert child.stdin is not None
        child.stdin.close()
        end(child)
