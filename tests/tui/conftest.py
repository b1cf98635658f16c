"""Fixtures for the workbench tests: a private copy of the demo workspace, a mock HTTP
transport that answers the demo's methods, an app factory, and the real sandbox for
runbook runs (``sandbox_app``).

Three costs of the test harness, not of the workbench, are cut for every test here
(``pilot_costs``): each app's stylesheet parse, the pilot's wait that woke every widget, and
frames drawn where no test looks (a frame is drawn at each pause and as a test ends)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

import pilot_costs
from runbench.sandbox import RunningSandbox, start_in_thread
from runbench.tui.app import RunbenchApp

pilot_costs.install()  # rules parsed once per worker, waits for busy widgets, frames on demand

DEMO = Path(__file__).resolve().parents[2] / "workspaces" / "demo.toml"


@pytest.fixture
def workspace_file(tmp_path: Path) -> Path:
    target = tmp_path / "demo.toml"
    shutil.copyfile(DEMO, target)
    return target


def demo_handler(request: httpx.Request) -> httpx.Response:
    """Answers like the sandbox, without a socket."""
    path = request.url.path
    if path.endswith("/auth/token"):
        return httpx.Response(
            200, json={"access_token": "tok-123", "token_type": "Bearer", "expires_in": 3600}
        )
    if path.endswith("/completions"):
        prompt = json.loads(request.content)["prompt"]
        return httpx.Response(
            200,
            json={
                "id": "cmpl-1",
                "choices": [{"index": 0, "text": f"Answer to: {prompt}", "finish_reason": "stop"}],
            },
        )
    if path.startswith("/api/Tickets/"):
        return httpx.Response(
            200,
            json={
                "id": 1,
                "summary": "VPN not connecting",
                "client_id": 7,
                "tags": ["vpn", "network"],
            },
        )
    if path == "/api/Actions":
        return httpx.Response(201, json={"id": 42})
    return httpx.Response(404, json={"error": "not found"})


@pytest.fixture
def make_app(workspace_file: Path) -> Callable[..., RunbenchApp]:
    def make(cls: type[RunbenchApp] = RunbenchApp, **kwargs: object) -> RunbenchApp:
        kwargs.setdefault("transport", httpx.MockTransport(demo_handler))
        kwargs.setdefault("environ", {})
        kwargs.setdefault("overrides", {"sandbox": "http://sandbox.test"})
        return cls(workspace_file, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    """The real Halo + OpenAI sandbox on a free port of 127.0.0.1."""
    running = start_in_thread(host="127.0.0.1", port=0)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sandbox_app(
    make_app: Callable[..., RunbenchApp], sandbox: RunningSandbox
) -> Callable[..., RunbenchApp]:
    """An app whose runs go to the real sandbox (no mock transport)."""

    def make(**kwargs: object) -> RunbenchApp:
        kwargs.setdefault("transport", None)
        kwargs.setdefault("overrides", {"sandbox": sandbox.url})
        return make_app(**kwargs)

    return make
