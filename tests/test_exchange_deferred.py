"""An answered call's request and response records are made at their first read
(``Exchange.deferred``): a run without a journal or a listener reads neither and makes
neither; a run with a journal makes them on the event loop's thread (where the redactor
is used) before the exchange goes to the journal's thread."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest

from runbench.core.engine import Journal
from runbench.core.http import Exchange, RequestRecord, ResponseRecord
from test_engine_support import engine, workspace
from test_journal_now import THREE_STEPS

REQUEST = RequestRecord("GET", "http://api.test/x", (("accept", "*/*"),), "")
RESPONSE = ResponseRecord(201, "Created", (("content-type", "application/json"),), "{}", 2, 1.5)


def made_by(calls: list[str]) -> Exchange:
    def records() -> tuple[RequestRecord, ResponseRecord]:
        calls.append(threading.current_thread().name)
        return REQUEST, RESPONSE

    return Exchange.deferred(records, 201, {"Id": 7}, {}, None, None, 3.0)


def test_a_deferred_exchange_answers_ok_without_its_records_and_makes_them_once() -> None:
    calls: list[str] = []
    exchange = made_by(calls)
    assert exchange.ok
    assert (exchange.status, exchange.outputs) == (201, {"Id": 7})
    assert calls == []
    assert (exchange.response, exchange.request) == (RESPONSE, REQUEST)
    assert (exchange.body_bytes, exchange.stored()["response"]["status"]) == (2, 201)
    assert len(calls) == 1
    eager = Exchange(REQUEST, RESPONSE, {"Id": 7}, {}, None, None, 3.0)
    assert made_by([]) == eager  # equality reads the records
    assert dataclasses.replace(made_by([]), attempts=2).response == RESPONSE
    assert made_by([]).to_dict() == eager.to_dict()
    with pytest.raises(AttributeError, match="no attribute 'requests'"):
        getattr(exchange, "requests")  # noqa: B009 (a misspelt name still fails)


def counted(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Exchanges made deferred, and the threads their records were made on."""
    made: list[str] = []
    threads: list[str] = []
    original = Exchange.deferred.__func__  # type: ignore[attr-defined]

    def deferred(cls: type[Exchange], records: Any, *args: Any, **kwargs: Any) -> Exchange:
        def counting() -> tuple[RequestRecord, ResponseRecord]:
            threads.append(threading.current_thread().name)
            return records()

        made.append(threading.current_thread().name)
        return original(cls, counting, *args, **kwargs)

    monkeypatch.setattr(Exchange, "deferred", classmethod(deferred))
    return made, threads


async def test_a_run_without_journal_or_listener_makes_no_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made, threads = counted(monkeypatch)
    result = await engine(workspace(tmp_path, THREE_STEPS)).run("three")
    assert result.status == "success", result.error
    assert (len(made), threads) == (3, [])


async def test_a_journaled_run_makes_them_on_the_loops_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made, threads = counted(monkeypatch)
    journal = Journal(tmp_path / "runs.db")
    try:
        result = await engine(workspace(tmp_path, THREE_STEPS), journal=journal).run("three")
        assert result.status == "success", result.error
        assert threads == made == [threading.current_thread().name] * 3
        stored = journal.exchanges(result.run_id)
        assert [x.request["url"] for x in stored if x.request] == [
            f"http://api.test/users/{n}" for n in (1, 2, 3)
        ]
    finally:
        journal.close()
