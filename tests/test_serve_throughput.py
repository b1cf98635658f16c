"""What serve's cheaper hand-overs must keep: a turn's deliveries are claimed in the order
they arrived (their ids, made together, sort in that order), and response heads held
until their body still go out when the loop's turn ends, for every connection."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from runbench.core.journal import Journal
from runbench.core.journal._ids import RunIds
from runbench.serve.protocol import _OneWrite, _TurnEnd
from test_serve_protocol import FakeCycle, FakeProtocol, FakeTransport


def test_ids_made_together_are_unique_share_their_time_and_ascend() -> None:
    ids = RunIds(clock=lambda: 1_700_000_000.123).many(500)
    assert len(set(ids)) == 500
    assert ids == sorted(ids)
    assert {run_id[:12] for run_id in ids} == {f"{1_700_000_000_123:012x}"}
    assert all(re.fullmatch(r"[0-9a-f]{32}", run_id) for run_id in ids)


def test_ids_made_one_at_a_time_still_come_from_the_clock_and_the_pool() -> None:
    ids = RunIds(clock=lambda: 2.5)
    first, second = ids.new(), ids.new()
    assert first != second
    assert first[:12] == second[:12] == f"{2500:012x}"


async def test_one_turns_deliveries_are_claimed_in_the_order_they_arrived(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "runs.db")
    try:
        admitted = await asyncio.gather(
            *(journal.admit("hook", {"n": n}, delivery_id=f"d-{n}") for n in range(40))
        )
        claims = journal.claim(40)
    finally:
        journal.close()
    assert [run_id for run_id, _ in admitted] == [claim.row.id for claim in claims]
    assert [claim.row.inputs["n"] for claim in claims] == list(range(40))


async def test_heads_held_on_many_connections_go_out_when_the_turn_ends() -> None:
    loop = asyncio.get_running_loop()
    turn_end = _TurnEnd()
    connections = []
    for _ in range(3):
        transport, protocol = FakeTransport(), FakeProtocol(loop, FakeCycle(response_started=True))
        connections.append((_OneWrite(transport, protocol, turn_end), transport))  # type: ignore[arg-type]
    for wrapped, _ in connections:
        wrapped.write(b"HTTP/1.1 200 OK\r\n\r\n")
    connections[0][0].write(b"body")  # this one's body followed: one write, not held again
    assert [transport.writes for _, transport in connections] == [
        [b"HTTP/1.1 200 OK\r\n\r\nbody"],
        [],
        [],
    ]
    await asyncio.sleep(0)  # one turn of the loop, not a time
    assert [transport.writes for _, transport in connections] == [
        [b"HTTP/1.1 200 OK\r\n\r\nbody"],
        [b"HTTP/1.1 200 OK\r\n\r\n"],
        [b"HTTP/1.1 200 OK\r\n\r\n"],
    ]
