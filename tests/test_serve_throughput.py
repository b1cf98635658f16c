"""What serve's cheaper hand-overs must keep: a turn's deliveries are claimed in the order
they arrived (their ids, made together, sort in that order), and response heads held
until their body still go out when the loop's turn ends, for every connection."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from runbench.core.journal import Journal
from runbench.webguards import _OneWrite, _TurnEnd
from test_serve_protocol import FakeCycle, FakeProtocol, FakeTransport


async def test_one_turns_deliveries_are_claimed_in_the_order_they_arrived(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "runs.db")
    try:
        admitted = await asyncio.gather(
            *(journal.admit("hook", {"n": n}, delivery_id=f"d-{n}") for n in range(40))
        )
        claims = journal.claim(40)
    finally:
        journal.close()
    ids = [run_id for run_id, created in admitted if created and run_id is not None]
    assert len(set(ids)) == 40
    assert all(re.fullmatch(r"[0-9a-f]{32}", run_id) for run_id in ids)
    assert ids == [claim.row.id for claim in claims]
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
