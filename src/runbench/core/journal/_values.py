"""How values are stored: JSON, each value capped, and per step only what changed.

A foreach over N items used to write the whole variable map (the items among them) at
every step: O(N^2) bytes, 1.8 GB for a 900 KB input. Now a step row stores the variables
that changed since the journal last recorded the run (the first row of a run, or of a
process that took it over, is a full "base" snapshot), and the loop states the same way
(an items list is stored when its loop starts, then only the index moves). Readers
rebuild any step's variables by replaying the changes from the base before it.

"Changed" is decided by identity, with equality only for scalars, so a step costs
O(number of variables) and never compares or re-encodes a big value that stayed put.
The engine replaces values, it does not mutate them in place, which is what makes
identity a sound test.

Each stored value is capped (``DEFAULT_CAP``); a bigger one is replaced by a marker
``{"$truncated": {"bytes": N, "head": "..."}}`` so the journal's growth stays bounded and
a reader can tell that the value is incomplete (resume refuses such a run).
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_CAP = 4 << 20
TRUNCATED = "$truncated"
ALL = "$all"
HEAD = 200
_SCALARS = (str, int, float, bool, type(None))
_MISSING = object()
_encode = json.JSONEncoder(default=str, separators=(",", ":")).encode
_C_ENCODER: Callable[..., Callable[[Any, int], Sequence[str]]] | None = getattr(
    json.encoder, "c_make_encoder", None
)


def dumps(value: Any) -> str:
    """Compact JSON; anything JSON cannot hold becomes its ``str()``.

    What ``_encode`` gives, without its Python layers (``encode`` and ``iterencode`` build
    the same C encoder on every call, through two Python frames and a closure: about half
    the cost of a small value; the journal encodes a few per step). Circular references
    are still found: a fresh ``markers`` dict per call, as ``check_circular`` makes."""
    if _C_ENCODER is None:  # an interpreter without the C accelerator
        return _encode(value)
    encoder = _C_ENCODER(
        {}, str, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True
    )
    return "".join(encoder(value, 0))


def loads(text: str | None, empty: Any = None) -> Any:
    return empty if text is None else json.loads(text)


def capped(value: Any, cap: int) -> str:
    """``value`` as JSON, or the truncation marker when that is over ``cap`` characters
    (ASCII-only JSON, so characters are bytes)."""
    text = dumps(value)
    if len(text) <= cap:
        return text
    return dumps({TRUNCATED: {"bytes": len(text), "head": text[:HEAD]}})


def capped_map(values: Mapping[str, Any], cap: int) -> str:
    """A JSON object whose every value is capped on its own."""
    if not values:
        return "{}"
    text = dumps(values)
    if len(text) <= cap:
        return text  # no single value can be over the cap
    parts = [f"{dumps(str(name))}:{capped(value, cap)}" for name, value in values.items()]
    return "{" + ",".join(parts) + "}"


def is_truncated(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and TRUNCATED in value


def truncated_names(values: Mapping[str, Any]) -> list[str]:
    return [name for name, value in values.items() if is_truncated(value)]


def same(old: Any, new: Any) -> bool:
    """Unchanged for the journal: the same object, or an equal scalar."""
    return old is new or (type(old) is type(new) and type(new) in _SCALARS and old == new)


class Redacts(Protocol):
    """What blanks secrets in stored values (``runbench.core.secrets.Redactor``)."""

    names: set[str]

    @property
    def active(self) -> bool: ...

    def variable(self, name: str, value: Any) -> Any: ...

    def value(self, obj: Any) -> Any: ...


def blanks_nothing(redact: Redacts) -> bool:
    """No secret value and no secret name known: redacting would copy and change nothing."""
    return not redact.active and not redact.names


def redacted_map(values: Mapping[str, Any], redact: Redacts) -> Mapping[str, Any]:
    """Variables as they may be stored: secret names blanked, secrets in values blanked
    (``values`` itself when nothing could be)."""
    if blanks_nothing(redact):
        return values
    return {name: redact.variable(name, value) for name, value in values.items()}


def redacted_loops(loops: Mapping[str, Any], redact: Redacts) -> Mapping[str, Any]:
    """Loop states or their changes, redacted (None, a loop that ended, stays None)."""
    if blanks_nothing(redact):
        return loops
    return {name: None if state is None else redact.value(state) for name, state in loops.items()}


# -- changes -------------------------------------------------------------------------
@dataclass(slots=True)
class Change:
    """What a step row stores: a full snapshot (``base``) or what changed since (a
    step's outputs are folded into what the journal knows at its end, so they are not
    stored again at the next start)."""

    base: bool
    variables: dict[str, Any]
    unset: list[str]
    loops: dict[str, Any]


def diff_map(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    changed = {  # the same object (most variables, most steps) needs no call to ``same``
        name: value
        for name, value in new.items()
        if (before := old.get(name, _MISSING)) is not value
        and (before is _MISSING or not same(before, value))
    }
    return changed, [name for name in old if name not in new]


def diff_loops(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Per loop: None when it ended, else the keys of its state that changed."""
    found: dict[str, Any] = {name: None for name in old if name not in new}
    for name, state in new.items():
        before = old.get(name)
        if before is None:
            found[name] = dict(state)
            continue
        delta = {k: v for k, v in state.items() if k not in before or not same(before[k], v)}
        if delta:
            found[name] = delta
    return found


def apply_map(
    old: Mapping[str, Any], changed: Mapping[str, Any], unset: Iterable[str]
) -> dict[str, Any]:
    merged = {**old, **changed}
    for name in unset:
        merged.pop(name, None)
    return merged


def apply_loops(old: Mapping[str, Any], delta: Mapping[str, Any]) -> dict[str, Any]:
    if ALL in delta:  # written without a baseline: the whole map
        return dict(delta[ALL])
    merged = dict(old)
    for name, change in delta.items():
        if change is None:
            merged.pop(name, None)
        else:
            merged[name] = {**merged.get(name, {}), **change}
    return merged


def copy_loops(loops: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A snapshot of loop states (the engine moves ``index`` in place)."""
    return {name: dict(state) for name, state in loops.items()}


@dataclass
class Baseline:
    """What the journal last recorded of one run, to write the next step as changes."""

    variables: dict[str, Any] = field(default_factory=dict)
    loops: dict[str, dict[str, Any]] = field(default_factory=dict)


class Tracker:
    """Baselines of the runs this journal is writing (dropped when a run ends)."""

    def __init__(self) -> None:
        self._runs: dict[str, Baseline] = {}

    def step_started(
        self, run_id: str, variables: Mapping[str, Any], loops: Mapping[str, Any]
    ) -> Change:
        known = self._runs.get(run_id)
        if known is None:  # a copy: the baseline moves on before the row is encoded
            self._runs[run_id] = Baseline(dict(variables), copy_loops(loops))
            return Change(True, dict(variables), [], copy_loops(loops))
        # the baseline moves by the changes alone (no copy of every variable per step)
        changed, unset = diff_map(known.variables, variables)
        baseline = known.variables
        baseline.update(changed)
        for name in unset:
            del baseline[name]
        if not loops and not known.loops:  # the usual step: no loop anywhere
            return Change(False, changed, unset, {})
        after = copy_loops(loops)
        delta = diff_loops(known.loops, after)
        known.loops = after
        return Change(False, changed, unset, delta)

    def step_finished(
        self, run_id: str, outputs: Mapping[str, Any], loops: Mapping[str, Any] | None
    ) -> dict[str, Any] | None:
        """Fold the step's outputs into the baseline (readers do the same); the loop
        changes of the step, if it changed them."""
        known = self._runs.get(run_id)
        if known is None:
            return None if loops is None else {ALL: copy_loops(loops)}
        known.variables.update(outputs)
        if loops is None:
            return None
        after = copy_loops(loops)
        delta = diff_loops(known.loops, after)
        known.loops = after
        return delta

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)

    @property
    def runs(self) -> int:
        """How many runs this journal is writing (started a step, not ended)."""
        return len(self._runs)


__all__ = [
    "DEFAULT_CAP",
    "Redacts",
    "redacted_loops",
    "redacted_map",
    "TRUNCATED",
    "Baseline",
    "Change",
    "Tracker",
    "apply_loops",
    "apply_map",
    "capped",
    "capped_map",
    "copy_loops",
    "diff_loops",
    "diff_map",
    "dumps",
    "is_truncated",
    "loads",
    "same",
    "truncated_names",
]
