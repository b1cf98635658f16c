"""The sandbox's Halo configuration: runbooks (``/api/Webhook``, type 1) and custom
integrations (``/api/CustomIntegration``), so ``runbench pull``/``push`` have a Halo to
talk to offline.

Like Halo, a save is a ``POST`` of a JSON array: an object with a known ``id`` replaces
that record, one without gets a new id (a guid for runbooks, an integer for integrations,
and for every method that has none an integer ``id`` and a ``guid``). Runbooks keep
whatever fields they are given (Halo's schema is wide and runbench only reads some), and
a save is checked the way a Halo save fails: steps must be an array of objects with unique
``step_id``s. All or nothing per request, like the rest of the sandbox.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from typing import Any

from runbench.sandbox.store import InputError

Record = dict[str, Any]
SUMMARY_KEYS = ("id", "name", "type", "active", "runbook_start_type")


class ConfigStore:
    """Runbooks by guid and integrations by id; ``on_change`` persists after a save."""

    def __init__(self, on_change: Callable[[], None] = lambda: None) -> None:
        self._lock = threading.RLock()
        self._webhooks: dict[str, Record] = {}
        self._integrations: dict[int, Record] = {}
        self._on_change = on_change

    # -- runbooks ----------------------------------------------------------------------
    def webhooks(self, kind: int | None = None, details: bool = False) -> list[Record]:
        with self._lock:
            found = [w for w in self._webhooks.values() if kind is None or w.get("type") == kind]
            if details:
                return copy.deepcopy(found)
            return [{k: w[k] for k in SUMMARY_KEYS if k in w} for w in found]

    def webhook(self, guid: str) -> Record | None:
        with self._lock:
            found = self._webhooks.get(guid)
            return copy.deepcopy(found) if found is not None else None

    def save_webhooks(self, items: list[Any]) -> list[Record]:
        staged = [self._checked_webhook(item, n) for n, item in enumerate(items)]
        with self._lock:
            for record in staged:
                self._webhooks[record["id"]] = record
            saved = copy.deepcopy(staged)
        self._on_change()  # not under the lock: the store's writer takes it for a snapshot
        return saved

    @staticmethod
    def _checked_webhook(item: Any, n: int) -> Record:
        where = f"Webhook[{n}]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(item).__name__}")
        record = copy.deepcopy(item)
        if not str(record.get("name") or "").strip():
            raise InputError(f"{where}: 'name' is required")
        steps = record.setdefault("steps", [])
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            raise InputError(f"{where}: steps must be an array of objects")
        numbers = [s.get("step_id") for s in steps]
        if len(set(numbers)) != len(numbers) or not all(isinstance(x, int) for x in numbers):
            raise InputError(f"{where}: every step needs its own integer step_id")
        record["id"] = str(record.get("id") or uuid.uuid4())
        record.setdefault("type", 1)
        return record

    # -- custom integrations -----------------------------------------------------------
    def integrations(self, details: bool = False) -> list[Record]:
        with self._lock:
            found = [self._integrations[key] for key in sorted(self._integrations)]
            if details:
                return copy.deepcopy(found)
            return [{k: v for k, v in i.items() if k != "methods"} for i in found]

    def integration(self, integration_id: int) -> Record | None:
        with self._lock:
            found = self._integrations.get(integration_id)
            return copy.deepcopy(found) if found is not None else None

    def save_integrations(self, items: list[Any]) -> list[Record]:
        with self._lock:
            staged = copy.deepcopy(self._integrations)
            saved = [self._save_integration(staged, item, n) for n, item in enumerate(items)]
            self._integrations = staged
            out = copy.deepcopy([staged[i] for i in saved])
        self._on_change()  # not under the lock: the store's writer takes it for a snapshot
        return out

    def _save_integration(self, staged: dict[int, Record], item: Any, n: int) -> int:
        where = f"CustomIntegration[{n}]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(item).__name__}")
        record = copy.deepcopy(item)
        if not str(record.get("name") or "").strip():
            raise InputError(f"{where}: 'name' is required")
        known = record.get("id")
        if known is not None and (not isinstance(known, int) or isinstance(known, bool)):
            raise InputError(f"{where}: id must be an integer, got {known!r}")
        record["id"] = known if known else max(staged, default=0) + 1
        methods = record.setdefault("methods", [])
        if not isinstance(methods, list) or not all(isinstance(m, dict) for m in methods):
            raise InputError(f"{where}: methods must be an array of objects")
        used = {m.get("id") for i in staged.values() for m in i.get("methods", [])}
        next_id = max((x for x in used if isinstance(x, int)), default=0) + 1
        for method in methods:
            if not isinstance(method.get("id"), int) or not method["id"]:
                method["id"], next_id = next_id, next_id + 1
            method.setdefault("guid", str(uuid.uuid4()))
            method["integration_id"] = record["id"]
        staged[record["id"]] = record
        return int(record["id"])

    # -- persistence -------------------------------------------------------------------
    def snapshot(self) -> Record:
        with self._lock:
            return {
                "webhooks": copy.deepcopy(list(self._webhooks.values())),
                "integrations": copy.deepcopy(list(self._integrations.values())),
            }

    def restore(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        with self._lock:
            for item in data.get("webhooks") or []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    self._webhooks[item["id"]] = item
            for item in data.get("integrations") or []:
                if isinstance(item, dict) and isinstance(item.get("id"), int):
                    self._integrations[item["id"]] = item


__all__ = ["ConfigStore"]
