"""The PostgreSQL journal's writes that answer nothing, held and sent merged.

Most of a run's writes are fire-and-forget: a step's start and end, an exchange, the
run's status and end. Sent one by one, each is a statement of its own, and a statement
costs the journal's thread more than the server's work: psycopg converts and dumps it,
and waits on the socket, and every wait hands the GIL to a busy event loop, which may
keep it for the interpreter's switch interval (5 ms) before the thread goes on.

So the backend holds these writes until something needs the database (a statement whose
result is read, a savepoint, the commit) and sends fewer statements:

* a step's start and its end in the same batch become one finished row (the end step of
  a run always does: its start is not waited for), and every step row of the batch goes
  in one multi-row INSERT (so do exchanges);
* a run's status changes in one batch are merged into one UPDATE, the later value
  winning, as the UPDATEs in order would leave it.

UPDATEs stay one row each, by primary key: an UPDATE joined to a list of rows was planned
once, while the table was small, as a scan of the whole table, and kept that plan. The
statements of a batch are then one statement (data-modifying WITH queries), sent alone,
atomic without BEGIN and COMMIT: one wait for the server, one statement for psycopg to
convert. Its text depends on how many rows of each kind it writes: a few dozen shapes in
bench_scale, each prepared once by psycopg.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from runbench.core.journal._backend import EXCHANGE_FIELDS, Row

_STARTED = ("run_id", "seq", "step", "kind", "base", "vars", "unset", "loops", "started")
"""What ``insert_step`` carries, in its order."""
_ENDED = ("edge", "target", "duration_ms", "outputs", "error", "loops_after", "finished")
"""What ``finish_step`` sets."""
_STEP_END = frozenset(_ENDED)
_STEPS = _STARTED + _ENDED
_TYPES: dict[str, dict[str, str]] = {
    "runs": {"created": "float8", "started": "float8", "finished": "float8"}
    | {"lease_until": "float8", "crashes": "int8"},
    "steps": {"seq": "int8", "base": "int8", "started": "float8", "duration_ms": "float8"}
    | {"finished": "int8"},
    "exchanges": {"step_seq": "int8", "attempt": "int8", "elapsed_ms": "float8"},
}
"""Columns that are not text, by table (an array parameter needs its element type)."""


def _column(table: str, name: str, values: list[Any]) -> list[Any]:
    """One array's values, of one element type (psycopg dumps a list by its first item)."""
    kind = _TYPES[table].get(name)
    if kind == "float8":
        return [None if v is None else float(v) for v in values]
    if kind == "int8":
        return [None if v is None else int(v) for v in values]
    return values


def _arrays(table: str, names: Sequence[str]) -> str:
    return ", ".join(f"%s::{_TYPES[table].get(name, 'text')}[]" for name in names)


@functools.cache
def _insert(table: str, names: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM unnest({_arrays(table, names)})"


def insert_rows(table: str, rows: Sequence[Mapping[str, Any]]) -> tuple[str, list[Any]]:
    """An INSERT of ``rows`` (the same columns each) whose text does not depend on how
    many there are: one array per column, made into rows by ``unnest``."""
    names = tuple(rows[0])
    columns = [_column(table, name, [row[name] for row in rows]) for name in names]
    return _insert(table, names), columns


class HeldWrites:
    """Writes held until the next statement (see the module docstring)."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], dict[str, Any]] = {}  # started here, maybe ended
        self._step_ends: dict[tuple[str, int], dict[str, Any]] = {}  # started before
        self._runs: dict[str, dict[str, Any]] = {}
        self._exchanges: list[Row] = []

    def __bool__(self) -> bool:
        return bool(self._steps or self._step_ends or self._runs or self._exchanges)

    def clear(self) -> None:
        self._steps.clear()
        self._step_ends.clear()
        self._runs.clear()
        self._exchanges.clear()

    def start_step(self, values: Row) -> None:
        row = dict(zip(_STARTED, values, strict=True))
        self._steps[(row["run_id"], row["seq"])] = row

    def finish_step(self, run_id: str, seq: int, values: Mapping[str, Any]) -> None:
        started = self._steps.get((run_id, seq))
        if started is not None and _STEP_END.issuperset(values):
            started.update(values)
        else:
            self._step_ends.setdefault((run_id, seq), {}).update(values)

    def set_run(self, run_id: str, values: Mapping[str, Any]) -> None:
        self._runs.setdefault(run_id, {}).update(values)

    def add_exchange(self, values: Row) -> None:
        self._exchanges.append(values)

    def statements(self) -> list[tuple[str, Sequence[Any]]]:
        """The held writes as one statement where they can be (see ``_one_statement``),
        else as few, with PostgreSQL's ``$1`` markers (for a raw cursor: psycopg need not
        parse them); then holds nothing."""
        apart = bool(self._step_ends.keys() & self._steps.keys())
        found = self._apart()
        if apart or len(found) < 2:
            return [(_numbered(sql, 1), params) for sql, params in found]
        return [_one_statement(found)]

    def _apart(self) -> list[tuple[str, Sequence[Any]]]:
        """The held writes as few statements (in an order any order would do: each row
        is written by one of them); then holds nothing."""
        found: list[tuple[str, Sequence[Any]]] = []
        if self._steps:
            rows = [
                tuple(row.get(name, 0 if name == "finished" else None) for name in _STEPS)
                for row in self._steps.values()
            ]
            found.append(_values_insert("steps", _STEPS, rows))
        for (run_id, seq), values in self._step_ends.items():
            sets = ", ".join(f"{name}=%s" for name in values)
            sql = f"UPDATE steps SET {sets} WHERE run_id=%s AND seq=%s"
            found.append((sql, (*values.values(), run_id, seq)))
        for run_id, values in self._runs.items():
            sets = ", ".join(f"{name}=%s" for name in values)
            found.append((f"UPDATE runs SET {sets} WHERE id=%s", (*values.values(), run_id)))
        if self._exchanges:
            found.append(_values_insert("exchanges", EXCHANGE_FIELDS, self._exchanges))
        self.clear()
        return found


def _one_statement(statements: Sequence[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    """Statements as one: all but the last as data-modifying WITH queries. PostgreSQL runs
    each of them to completion, on one snapshot, atomically with the last: the same rows
    written as by the statements in a transaction, since none of them writes a row
    another one writes or needs to see (``statements`` sends them apart when a step's
    end would update the row its start inserts). One statement is one Parse/Bind/Execute
    and, alone in a batch, needs no BEGIN, COMMIT or pipeline: a run's end (its last step,
    its status) is one trip that psycopg prepares once per shape."""
    parts: list[str] = []
    params: list[Any] = []
    for sql, values in statements:
        parts.append(_numbered(sql, len(params) + 1))
        params.extend(values)
    *first, last = parts
    ctes = ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(first))
    return f"WITH {ctes} {last}", params


@functools.lru_cache(maxsize=256)  # keys are whole statements, up to ~50 KB each
def _numbered(sql: str, first: int) -> str:
    """``sql``'s ``%s`` markers as ``$first``, ``$first+1``, ... (none of the texts made
    here has another ``%``)."""
    pieces = sql.split("%s")
    numbered = [pieces[0]]
    for n, piece in enumerate(pieces[1:], first):
        numbered.append(f"${n}{piece}")
    return "".join(numbered)


def _values_insert(table: str, names: Sequence[str], rows: Sequence[Row]) -> tuple[str, list[Any]]:
    """A multi-row INSERT: its text depends on the number of rows, few in a batch, so
    psycopg's cache of converted and prepared statements still serves it."""
    one = "(" + ",".join(["%s"] * len(names)) + ")"
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES {','.join([one] * len(rows))}"
    return sql, [value for row in rows for value in row]


TAKEN = frozenset({"status", "owner", "lease_until", "started"})
"""What a claim sets on a queued run, where the queue's runs hold none but the status."""


def give_back(values: Mapping[str, Any], ids: list[str]) -> tuple[str, list[Any]]:
    """The statement that puts runs a take of queued runs held back in the queue, unless
    they changed since (it matches the status and owner the take set)."""
    sets = ", ".join(f"{name}=NULL" for name in values if name != "status")
    return (
        f"UPDATE runs SET status='queued'{', ' if sets else ''}{sets} WHERE id = ANY(%s)"
        " AND status IS NOT DISTINCT FROM %s AND owner IS NOT DISTINCT FROM %s",
        [ids, values.get("status", "queued"), values.get("owner")],
    )


__all__ = ["TAKEN", "HeldWrites", "give_back", "insert_rows"]
