"""What the workbench does behind the user's back once it is drawn: a mixin of the app.

The workbench starts without httpx, the executor or the engine (start-up time), so the
first ctrl+t or F5 used to import them on the message pump, and the key after it waited
85-176 ms. Now, once the first frame is on screen and no key came for a moment, a thread
imports them and builds the default TLS context (which reads the CA bundle), and the
first test only sends. A key pressed meanwhile is answered as usual: the thread gives up
the GIL every few milliseconds and the pump never waits on it (it waits only if it
imports the very module the thread is loading, which it would have had to load anyway).

Then the idle collector starts (see ``idle_gc``): its first full collection and freeze
come after start-up and warm-up, when the user is idle, never inside the first frame.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import TYPE_CHECKING

from textual import work

from runbench.tui.actions.base import WorkbenchBase
from runbench.tui.idle_gc import QUIET, IdleCollector, release

if TYPE_CHECKING:
    from runbench.core.http import TlsContexts

WARM_MODULES = (
    "runbench.core.http",
    "runbench.core.history",
    "runbench.core.engine",
    "runbench.tui.state.run_controller",
    "pygments.lexers",
    "pygments.lexers.data",
)
"""What the first test or run would import (the HTTP stack, the test history, the engine,
the lexers that colour its response)."""
TRANSPORT_MODULES = (
    "httpcore",
    "h11",
    "httpcore._backends.auto",
    "httpcore._backends.anyio",
    "anyio._backends._asyncio",
    "anyio.to_thread",
    "concurrent.futures.thread",
)
"""What httpx imports only when its first client is built and its first request sent
(internals of httpx's dependencies: a name that is gone is skipped)."""


def warm_up() -> TlsContexts:
    """Import ``WARM_MODULES`` (and ``TRANSPORT_MODULES``) and build the default TLS
    context (any thread)."""
    for name in WARM_MODULES:
        importlib.import_module(name)
    for name in TRANSPORT_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from runbench.core.http import TlsContexts

    tls = TlsContexts()
    tls.get(True)  # verify = true, the default: the CA bundle is read now, not on ctrl+t
    return tls


class BackgroundWork(WorkbenchBase):
    """Warm-up, then garbage collection while idle (see the module docstring)."""

    def start_background(self) -> None:
        """From ``on_mount``: the idle collector; after the first frame (``first_frame``),
        wait for a quiet moment."""
        self.collector = IdleCollector()

    def first_frame(self) -> None:
        """From ``on_mount`` after a refresh, background or not: the collector on again after
        start-up (see ``idle_gc.hold``: held until here, whatever starts after)."""
        if self.collector is None:
            release()
            return
        self.collector.drawn()
        self._when_idle()

    def _when_idle(self) -> None:
        collector = self.collector
        if collector is not None and not collector.idle():
            self.set_timer(QUIET, self._when_idle)  # a key came: not now
            return
        self._warm_up()

    @work(thread=True, exclusive=True, group="warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        tls = warm_up()
        self.call_from_thread(self._warmed, tls)

    def _warmed(self, tls: TlsContexts) -> None:
        if self.tls is None:
            self.tls = tls
        collector = self.collector
        if collector is not None and not collector.started:
            collector.start()
            self.set_interval(0.2, collector.tick, name="idle gc")
