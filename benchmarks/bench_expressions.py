"""How fast are compiled output paths? Against jmespath (the usual peer) and hand-written
Python indexing (the floor), on realistic Halo/OpenAI responses, all measured in this run.

Every contender is a function of the same scope dict {"response": body}; the floor functions
are what a person would write by hand for each lookup (a for-loop for filters).
Run: python benchmarks/bench_expressions.py   (about 10-20 s)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jmespath
from results import record

from runbench.core.expressions import compile_path

Lookup = Callable[[dict[str, Any]], Any]


def make_response() -> dict[str, Any]:
    completion = {
        "id": "cmpl-9",
        "object": "text_completion",
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "text": "Restart the print spooler.", "finish_reason": "stop"},
            {"index": 1, "text": "Check the toner.", "finish_reason": "length"},
        ],
        "usage": {"prompt_tokens": 31, "completion_tokens": 12, "total_tokens": 43},
    }
    output = [
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "message", "id": "msg_1", "content": [{"type": "output_text", "text": "Hi"}]},
    ]
    ticket = {
        "id": 1234,
        "summary": "Printer on fire",
        "customfields": [
            {"id": 200 + i, "name": f"CF{i}", "value": f"value {i}", "type": 0} for i in range(50)
        ],
    }
    tickets = [
        {"id": 1000 + i, "summary": f"ticket {i}", "client_id": i % 17, "owner": {"id": i % 9}}
        for i in range(200)
    ]
    return {**completion, "output": output, "ticket": ticket, "tickets": tickets}


# (runbench path, jmespath expression, hand-written floor)
LOOKUPS: list[tuple[str, str, Lookup]] = [
    ("response^choices[0]^text!", "choices[0].text", lambda s: s["response"]["choices"][0]["text"]),
    (
        "response^usage^total_tokens",
        "usage.total_tokens",
        lambda s: s["response"]["usage"]["total_tokens"],
    ),
    (
        "response^tickets[-1]^summary",
        "tickets[-1].summary",
        lambda s: s["response"]["tickets"][-1]["summary"],
    ),
]


def _floor_cf(s: dict[str, Any]) -> Any:
    for field in s["response"]["ticket"]["customfields"]:
        if field.get("id") == 246:
            return field["value"]
    return None


def _floor_output(s: dict[str, Any]) -> Any:
    for item in s["response"]["output"]:
        if item.get("type") == "message":
            return item["content"][0]["text"]
    return None


def _floor_owner(s: dict[str, Any]) -> Any:
    for ticket in s["response"]["tickets"]:
        owner = ticket.get("owner")
        if isinstance(owner, dict) and owner.get("id") == 8:
            return ticket["id"]
    return None


def _floor_ticket(s: dict[str, Any]) -> Any:
    for ticket in s["response"]["tickets"]:
        if ticket.get("id") == 1150:
            return ticket["client_id"]
    return None


LOOKUPS += [
    (
        "response^ticket^customfields[id=246]^value",
        "ticket.customfields[?id==`246`] | [0].value",
        _floor_cf,
    ),
    (
        "response^output[type=message]^content[0]^text!",
        "output[?type=='message'] | [0].content[0].text",
        _floor_output,
    ),
    ("response^tickets[id=1150]^client_id", "tickets[?id==`1150`] | [0].client_id", _floor_ticket),
    ("response^tickets[owner^id=8]^id", "tickets[?owner.id==`8`] | [0].id", _floor_owner),
]


def ns_per_call(func: Lookup, scope: dict[str, Any], budget: float = 0.08) -> float:
    """Best of 5 timed loops, each sized to take about `budget` seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            func(scope)
        if time.perf_counter() - start > budget / 10:
            break
        number *= 4
    number = max(1, int(number * (budget / 10) / (time.perf_counter() - start) * 10))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(number):
            func(scope)
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e9


def main() -> None:
    body = make_response()
    scope = {"response": body}
    rows: list[tuple[str, float, float, float]] = []
    totals = [0.0, 0.0, 0.0]
    for path_text, jmes_text, floor in LOOKUPS:
        path = compile_path(path_text)
        jmes = jmespath.compile(jmes_text)

        ours = path.evaluate  # what a caller holds: the compiled path's bound method

        def peer(s: dict[str, Any], jmes: Any = jmes) -> Any:
            return jmes.search(s["response"])

        expected = floor(scope)
        assert expected is not None, path_text
        assert ours(scope) == expected == peer(scope), path_text
        times = [ns_per_call(f, scope) for f in (ours, peer, floor)]
        totals = [t + x for t, x in zip(totals, times, strict=True)]
        rows.append((path_text, times[0], times[1], times[2]))

    print(
        f"{'lookup':48} {'runbench':>9} {'jmespath':>9} {'floor':>8} {'rb/jmes':>8} {'rb/floor':>9}"
    )
    for name, ours_ns, peer_ns, floor_ns in [
        *rows,
        ("ALL (one pass over the set)", totals[0], totals[1], totals[2]),
    ]:
        print(
            f"{name:48} {ours_ns:8.0f}n {peer_ns:8.0f}n {floor_ns:7.0f}n "
            f"{ours_ns / peer_ns:8.3f} {ours_ns / floor_ns:9.2f}"
        )
    print("ns/op per lookup; ratios < 1.0 vs jmespath mean faster; floor = hand-written Python")
    record("all lookups vs jmespath", totals[0] / totals[1], 1.0)
    record("all lookups vs hand-written Python", totals[0] / totals[2])


if __name__ == "__main__":
    main()
