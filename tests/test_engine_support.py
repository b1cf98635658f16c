"""Shared helpers for the engine tests: a workspace from TOML text, a scripted HTTP API
served through httpx.MockTransport (the real Executor sends through it), and fake time.

No tests here; pytest collects the module harmlessly.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from runbench.core.engine import Engine, Event, Journal, RunRow
from runbench.core.workspace import Workspace, check_workspace, load_workspace

HEADER = """
name = "engine tests"
halo = "halo"

[variables]
base = "http://api.test"
greeting = "hello"

[integrations.api]
base_url = "<<base>>"

[integrations.api.methods.get_user]
verb = "GET"
path = "/users/<<user_id>>"
outputs = { UserName = "response^name!", UserAge = "response^age" }

[integrations.api.methods.post_note]
verb = "POST"
path = "/notes"
body_type = "json"
body = '{"text": "<<text!>>"}'
outputs = { NoteId = "response^id" }

[integrations.api.methods.status]
verb = "GET"
path = "/status/<<code>>"

[integrations.api.methods.slow]
verb = "GET"
path = "/slow"

[integrations.api.methods.list]
verb = "GET"
path = "/list"
outputs = { Items = "response^items" }

[integrations.halo]
base_url = "http://halo.test"
"""


def workspace(tmp_path: Path, body: str, *, header: str = HEADER, check: bool = True) -> Workspace:
    path = tmp_path / "ws.toml"
    path.write_text(textwrap.dedent(header) + "\n" + textwrap.dedent(body))
    ws = load_workspace(path)
    if check:
        errors = [p for p in check_workspace(ws) if p.is_error]
        assert not errors, errors
    return ws


@dataclass
class Api:
    """A scripted API: route handlers by (verb, path); records every request."""

    seen: list[httpx.Request] = field(default_factory=list)
    scripted: dict[str, list[httpx.Response | Exception]] = field(default_factory=dict)
    slow_seconds: float = 0.0  # /slow waits this long (real time) ...
    gate: asyncio.Event | None = None  # ... or until this is set

    def script(self, path: str, *responses: httpx.Response | Exception) -> None:
        self.scripted[path] = list(responses)

    def release(self) -> None:
        """Let the requests waiting at the gate through."""
        assert self.gate is not None, "Api(gate=asyncio.Event()) has no gate to release"
        self.gate.set()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if path == "/slow":
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(self.slow_seconds)
        queued = self.scripted.get(path)
        if queued:
            item = queued.pop(0) if len(queued) > 1 else queued[0]
            if isinstance(item, Exception):
                raise item
            return item
        if path.startswith("/users/"):
            user = path.rsplit("/", 1)[1]
            if user == "404":
                return httpx.Response(404, json={"error": "no such user"})
            return httpx.Response(200, json={"id": user, "name": f"User {user}", "age": "42"})
        if path == "/notes":
            payload = json.loads(request.content)
            return httpx.Response(201, json={"id": 7, "text": payload["text"]})
        if path == "/slow":
            return httpx.Response(200, json={"slow": True})
        if path.startswith("/status/"):
            return httpx.Response(int(path.rsplit("/", 1)[1]), json={})
        if path == "/list":
            return httpx.Response(200, json={"items": [{"name": "a"}, {"name": "b"}]})
        if path.startswith("/api/"):
            return httpx.Response(
                201, json={"id": 99, "path": path, "body": json.loads(request.content or b"null")}
            )
        return httpx.Response(404, json={"error": "unknown route"})

    def paths(self) -> list[str]:
        return [r.url.path for r in self.seen]


class FakeTime:
    """Injected clock, monotonic time and sleep: sleeping advances time instantly."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def engine(
    ws: Workspace,
    api: Api | None = None,
    *,
    journal: Journal | None = None,
    time: FakeTime | None = None,
    random: Callable[[], float] = lambda: 0.5,
    **kwargs: Any,
) -> Engine:
    api = api or Api()
    fake = time or FakeTime()
    return Engine(
        ws,
        journal=journal,
        environ={},
        transport=httpx.MockTransport(api),
        clock=fake.clock,
        monotonic=fake.monotonic,
        sleep=fake.sleep,
        random=random,
        **kwargs,
    )


def run_row(journal: Journal, run_id: str | None) -> RunRow:
    """The journal's row for a run the test knows exists."""
    assert run_id is not None, "the run has no id"
    row = journal.run(run_id)
    assert row is not None, f"no run {run_id} in the journal"
    return row


def kinds(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]
