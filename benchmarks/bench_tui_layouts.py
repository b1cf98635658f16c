"""Layouts and restyles per key of the workbench: what each key makes Textual do.

Textual lays out a whole screen whenever any widget asks (a size that may change: a
``display`` flip, a class whose CSS changes a size, a ``Static.update`` of an auto-sized
widget, an Input's text growing) and restyles every widget under the outermost one whose
CSS has ``:focus-within`` when the focus moves inside it. Both cost CPU per key in
proportion to the whole workbench, not to the pane that changed, and slow the test suite
the same way. This counts them per key, headless at 80x24 (the workbench with the demo
workspace and a ~1 MB JSON response from a mock transport): screen layouts (a scroll is
not one), widgets restyled, and repaints of the whole screen. Counts, not times: the
same on any machine, so no floor is needed; the time the keys take is
``bench_tui_keys``'s and ``bench_tui_search``'s.

The keys: the search path of ``bench_tui_search`` (the zoomed body: ``/``, typing,
enter, ``n``/``N``, escape), then tree moves, focus moves, the tree and zoom toggles,
and typing in the method's path. Each key is counted from the press until the app is
still (no layout or repaint pending, no search or formatting worker running, no new
layout for two idle passes). ``--src DIR`` imports runbench from DIR (another checkout's
``src``) to count a version before a change in the same run.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

if "--src" in sys.argv:  # before runbench is imported
    sys.path.insert(0, sys.argv[sys.argv.index("--src") + 1])

import httpx
from results import record
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen
from textual.worker import WorkerState

from runbench.tui.app import RunbenchApp

VERBOSE = "-v" in sys.argv[1:]
DEMO = Path(__file__).resolve().parents[1] / "workspaces" / "demo.toml"
# (row label, Textual key): from the method editor's tree focused, a response loaded
KEYS: list[tuple[str, str]] = [
    ("ctrl+r zoom", "ctrl+r"),
    ("/ opens the bar", "slash"),
    ("type (searching)", "u"),
    ("type (searching)", "s"),
    ("enter (to the body)", "enter"),
    ("n / N", "n"),
    ("n / N", "N"),
    ("/ opens the bar", "slash"),
    ("escape (closes the bar)", "escape"),
    ("escape (clears)", "escape"),
    ("escape (unzooms)", "escape"),
    ("tree: to another kind", "down"),  # the halo integration
    ("tree: to another kind", "down"),  # its first method
    ("tree: method to method", "down"),
    ("tree: method to method", "up"),
    ("tab/shift+tab focus", "tab"),  # tree -> title
    ("tab/shift+tab focus", "tab"),  # title -> verb
    ("tab/shift+tab focus", "tab"),  # verb -> path
    ("", "end"),
    ("type in path", "x"),
    ("type in path", "backspace"),
    ("tab/shift+tab focus", "shift+tab"),
    ("tab/shift+tab focus", "shift+tab"),
    ("tab/shift+tab focus", "shift+tab"),  # back to the tree
    ("ctrl+b tree", "ctrl+b"),
    ("ctrl+b tree", "ctrl+b"),
    ("f1 help open/close", "f1"),
    ("f1 help open/close", "f1"),
]


def body() -> bytes:
    users = [
        {"id": i, "name": f"user {i}", "email": f"user{i}@example.com", "tags": ["a", "b"]}
        for i in range(8000)
    ]
    return json.dumps({"count": len(users), "users": users}).encode()


class Counts:
    """Layouts, restyled widgets and whole-screen repaints since the last ``take``."""

    def __init__(self) -> None:
        self.counter: Counter[str] = Counter()
        layout, update_nodes = Screen._refresh_layout, Stylesheet.update_nodes
        counter = self.counter

        def counted_layout(screen: Screen[Any], size: Any = None, scroll: bool = False) -> None:
            counter["layouts" if not scroll else "scrolls"] += 1
            if VERBOSE and not scroll:
                asked = {w for kids in screen._layout_widgets.values() for w in kids}
                print("    layout asked by", sorted(f"{type(w).__name__}#{w.id}" for w in asked))
            layout(screen, size, scroll)

        def counted_styles(sheet: Stylesheet, nodes: Any, animate: bool = False) -> None:
            nodes = list(nodes)
            counter["restyled"] += len(nodes)
            update_nodes(sheet, nodes, animate)

        setattr(Screen, "_refresh_layout", counted_layout)  # noqa: B010 (a benchmark's spy)
        setattr(Stylesheet, "update_nodes", counted_styles)  # noqa: B010

    def take(self) -> Counter[str]:
        taken = Counter(self.counter)
        self.counter.clear()
        return taken


def busy(app: RunbenchApp) -> bool:
    screen = app.screen
    working = any(
        worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
        and worker.group in ("search", "format")
        for worker in app.workers
    )
    return working or screen._layout_required or screen._repaint_required


async def still(app: RunbenchApp, pilot: Any, counts: Counts) -> None:
    """Until no work is pending and two idle passes asked for no layout."""
    quiet = 0
    for _ in range(2000):
        before = counts.counter["layouts"]
        await pilot.pause()
        if busy(app) or counts.counter["layouts"] != before:
            quiet = 0
            await asyncio.sleep(0.005)
            continue
        quiet += 1
        if quiet >= 2:
            return
    raise SystemExit("the workbench never went still")


async def count_keys(folder: Path) -> dict[str, list[Counter[str]]]:
    answer = body()

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answer, headers={"content-type": "application/json"})

    counts = Counts()
    app = RunbenchApp(
        folder / "demo.toml",
        transport=httpx.MockTransport(handler),
        environ={},
        overrides={"sandbox": "http://sandbox.test"},
    )
    found: dict[str, list[Counter[str]]] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await still(app, pilot, counts)
        await pilot.press("ctrl+t")
        for _ in range(2000):  # the response, then its formatting
            await still(app, pilot, counts)
            status = str(app.query_one("#response-status").render())
            if "200" in status and "formatting" not in status:
                break
        else:
            raise SystemExit("no formatted response")
        app.query_one("#tree").focus()
        await still(app, pilot, counts)
        counts.take()
        for label, key in KEYS:
            await pilot.press(key)
            await still(app, pilot, counts)
            taken = counts.take()
            if VERBOSE:
                focused = app.focused
                where = f"{type(focused).__name__}#{focused.id}" if focused else "nothing"
                print(f"  {key:10s} {dict(taken)} focus {where}")
            if label:
                found.setdefault(label, []).append(taken)
    return found


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(DEMO, Path(folder) / "demo.toml")
        found = asyncio.run(count_keys(Path(folder)))
    import runbench

    print(f"layouts, widgets restyled, per key (headless 80x24; runbench from {runbench.__file__})")
    print(f"  {'key':26s} {'layouts':>8s} {'restyled':>9s}   (each press)")
    total_layouts = total_restyled = presses = 0
    for label, taken in found.items():
        layouts = [each["layouts"] for each in taken]
        restyled = [each["restyled"] for each in taken]
        total_layouts += sum(layouts)
        total_restyled += sum(restyled)
        presses += len(taken)
        print(
            f"  {label:26s} {sum(layouts) / len(taken):8.1f} {sum(restyled) / len(taken):9.1f}"
            f"   ({', '.join(f'{n}/{r}' for n, r in zip(layouts, restyled, strict=True))})"
        )
    print(
        f"  {'all keys':26s} {total_layouts / presses:8.2f} {total_restyled / presses:9.1f}"
        f"   per key over {presses} keys"
    )
    slash = found["/ opens the bar"]
    record("layouts per key (mean over a typical mix)", total_layouts / presses, unit="layouts")
    record(
        "layouts of / (the find bar opening)", max(c["layouts"] for c in slash), 1, unit="layouts"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
