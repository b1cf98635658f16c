"""The sandbox's Halo data: records, tokens, validation and persistence.

Kept apart from the HTTP layer so tests and the e2e harness can read what a run wrote
(``state.records("Tickets")``) without going through the API. Halo saves with one ``POST``
of a JSON array; a batch is applied to a staging copy and only committed if every item is
valid, so a bad item never leaves half a batch behind. The staging copy holds only the
records the save writes (``_Staged``), and the data file (``datafile``) logs only them, so
a save costs what it changes, not what the store holds. With a data file, every save is
on disk (fsynced) before it answers, and a killed sandbox never leaves a file it cannot
read; the disk is written outside the store's lock, in commit order (``datafile.Writer``).
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbench.core.errors import WorkspaceReadError
from runbench.sandbox._resources import REFERENCES, RESOURCES, ResourceSpec, find_resource
from runbench.sandbox.datafile import DataFile, Writer
from runbench.sandbox.seed import Record, seed_records

if TYPE_CHECKING:
    from runbench.sandbox.config import ConfigStore

TOKEN_LIFETIME = 3600
MAX_SAVE_ITEMS = 1000
"""Objects one save may hold: each is checked against the others (references, counts), so
200,000 in one request kept the sandbox's event loop busy for hours."""
_FORMAT_VERSION = 1


class InputError(ValueError):
    """A request the sandbox refuses with 400; the message goes into the response."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plain_text(note_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", note_html)).strip()


class _Staged:
    """One save's changes over the committed records: a record it writes is a new object
    here, everything else is read through, so nothing is copied that the save leaves
    alone. Its new ids follow the table's highest (kept, not searched per save)."""

    def __init__(self, data: dict[str, dict[int, Record]], top: dict[str, int]) -> None:
        self._data = data
        self.top = dict(top)
        self.changed: dict[str, dict[int, Record]] = {}

    def get(self, name: str, record_id: Any) -> Record | None:
        changed = self.changed.get(name, {})
        return changed[record_id] if record_id in changed else self._data[name].get(record_id)

    def put(self, name: str, record: Record) -> None:
        self.changed.setdefault(name, {})[record["id"]] = record
        self.top[name] = max(self.top.get(name, 0), record["id"])

    def new_id(self, name: str) -> int:
        return self.top.get(name, 0) + 1

    def actions(self) -> list[Record]:
        """Every action as the save leaves them."""
        changed = self.changed.get("Actions", {})
        return list({**self._data["Actions"], **changed}.values())


class HaloState:
    """All Halo records of one sandbox, safe to use from the server thread and tests."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        data_file: Path | None = None,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._writer: Writer | None = None
        if data_file is not None:
            self._writer = Writer(DataFile(data_file, fsync), self._lock, self._payload)
        self._tokens: dict[str, float] = {}
        self._data: dict[str, dict[int, Record]] = {spec.name: {} for spec in RESOURCES.values()}
        from runbench.sandbox.config import ConfigStore  # it raises this module's InputError

        self.config: ConfigStore = ConfigStore(self.persist)
        if self._writer is not None and self._writer.file.exists():
            self._load(self._writer.file)
        else:
            for name, rows in seed_records().items():
                self._data[name] = {row["id"]: row for row in rows}
        self._top = {name: max(table, default=0) for name, table in self._data.items()}

    # --- reading -------------------------------------------------------------------------

    def records(self, resource: str) -> list[Record]:
        """Copies of every record of ``resource`` (e.g. "Tickets"), in id order."""
        spec = self._spec(resource)
        with self._lock:
            table = self._data[spec.name]
            return [copy.deepcopy(table[key]) for key in sorted(table)]

    def get(self, resource: str, record_id: int) -> Record | None:
        """A copy of one record, or None."""
        spec = self._spec(resource)
        with self._lock:
            found = self._data[spec.name].get(record_id)
            return copy.deepcopy(found) if found is not None else None

    def query(
        self, resource: str, *, search: str = "", filters: Mapping[str, int] | None = None
    ) -> list[Record]:
        """Records whose search fields contain ``search`` and whose fields equal ``filters``."""
        spec = self._spec(resource)
        needle = search.lower()
        wanted = dict(filters or {})
        out = []
        for record in self.records(spec.name):
            if any(record.get(key) != value for key, value in wanted.items()):
                continue
            if needle and not any(needle in str(record.get(f) or "").lower() for f in spec.search):
                continue
            out.append(record)
        return out

    # --- writing -------------------------------------------------------------------------

    def save(self, resource: str, items: list[Any]) -> list[Record]:
        """Create or update every item (all or nothing) and return the saved records."""
        spec = self._spec(resource)
        if not items:
            raise InputError(f"{spec.name}: the array is empty; send at least one object")
        if len(items) > MAX_SAVE_ITEMS:
            raise InputError(
                f"{spec.name}: {len(items)} objects in one save; the sandbox takes at most "
                f"{MAX_SAVE_ITEMS} at a time: send them in parts"
            )
        with self._lock:
            staged = _Staged(self._data, self._top)
            saved = [self._save_one(staged, spec, item, n) for n, item in enumerate(items)]
            number = self._commit(staged)
            out = [copy.deepcopy(self._data[spec.name][rid]) for rid in saved]
        if self._writer is not None:
            self._writer.flush(number)  # on disk before it answers; the lock is free meanwhile
        return out

    def _commit(self, staged: _Staged) -> int:
        """Make a checked save's records the store's and queue them for the data file."""
        for name, records in staged.changed.items():
            self._data[name].update(records)
        self._top = staged.top
        if self._writer is None:
            return 0
        return self._writer.queue({name: list(rs.values()) for name, rs in staged.changed.items()})

    def _save_one(self, data: _Staged, spec: ResourceSpec, item: Any, n: int) -> int:
        """Validate and store one item of a save (in ``data``, the save's staging)."""
        where = f"{spec.name}[{n}]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(item).__name__}")
        fields = dict(item)
        record_id = fields.get("id")
        if record_id is not None and not _is_int(record_id):
            raise InputError(f"{where}: id must be an integer, got {record_id!r}")
        old = data.get(spec.name, record_id) if record_id is not None else None
        if record_id is None or record_id <= 0:
            fields.pop("id", None)
            record = self._new_record(data, spec.name, fields)
        elif old is not None:
            record = self._merge(spec.name, old, fields)
        else:
            raise InputError(
                f"{where}: no {spec.name} record with id {record_id}; "
                "leave id out (or 0) to create one, or use an existing id"
            )
        self._validate(data, spec, record, where)
        data.put(spec.name, record)
        if spec.name == "Actions":
            self._touch_ticket(data, record)
        return int(record["id"])

    def _new_record(self, data: _Staged, name: str, fields: Record) -> Record:
        record: Record = {"id": data.new_id(name)}
        now = self.now_iso()
        if name == "Tickets":
            record.update(
                {
                    "details": "",
                    "client_id": None,
                    "site_id": None,
                    "user_id": None,
                    "tickettype_id": 1,
                    "status_id": 1,
                    "customfields": [],
                    "dateoccurred": now,
                    "last_action_date": None,
                    "action_count": 0,
                }
            )
        elif name == "Actions":
            record.update(
                {"outcome": "Note", "hiddenfromuser": False, "datetime": now, "who": "API"}
            )
        return self._merge(name, record, fields)

    def _merge(self, name: str, old: Record, fields: Record) -> Record:
        record = copy.deepcopy(old)
        fields = dict(fields)
        if name == "Tickets" and "customfields" in fields:
            record["customfields"] = _merge_customfields(
                record.get("customfields") or [], fields.pop("customfields")
            )
        if name == "CustomTable" and "_add_rows" in fields:
            record["rows"] = _table_rows(fields.pop("_add_rows"))
        if name == "Actions" and "note_html" in fields and "note" not in fields:
            fields["note"] = _plain_text(str(fields["note_html"]))
        record.update(fields)
        record["id"] = old["id"]
        return record

    @staticmethod
    def _validate(data: _Staged, spec: ResourceSpec, record: Record, where: str) -> None:
        for field in spec.required:
            value = record.get(field)
            if value is None or value == "":
                raise InputError(f"{where}: '{field}' is required")
        for field, target in REFERENCES.get(spec.name, {}).items():
            value = record.get(field)
            if value is not None and (not _is_int(value) or data.get(target, value) is None):
                raise InputError(
                    f"{where}: {field} {value!r} does not exist "
                    f"(GET /api/{target} lists the existing ones)"
                )

    def _touch_ticket(self, data: _Staged, action: Record) -> None:
        ticket = dict(data.get("Tickets", action["ticket_id"]) or {})
        ticket["last_action_date"] = action.get("datetime") or self.now_iso()
        ticket["action_count"] = sum(
            1 for a in data.actions() if a.get("ticket_id") == ticket["id"]
        )
        data.put("Tickets", ticket)

    # --- tokens --------------------------------------------------------------------------

    def issue_token(self) -> str:
        """A new bearer token valid for ``TOKEN_LIFETIME`` seconds of the clock."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = self._clock() + TOKEN_LIFETIME
        return token

    def token_state(self, token: str) -> str:
        """One of: valid, expired, unknown."""
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if self._clock() < expiry else "expired"

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%S")

    # --- persistence ---------------------------------------------------------------------

    def _spec(self, resource: str) -> ResourceSpec:
        spec = find_resource(resource)
        if spec is None:
            known = ", ".join(s.name for s in RESOURCES.values())
            raise KeyError(f"unknown sandbox resource {resource!r}; known: {known}")
        return spec

    def persist(self) -> None:
        """Write the whole data file now (the config store calls this after a save)."""
        if self._writer is None:
            return
        with self._lock:
            number = self._writer.queue(None)
        self._writer.flush(number)

    def _payload(self) -> dict[str, Any]:
        """The whole store, for the writer (under the lock): new lists of records a save
        replaces, never changes in place, so they are serialized after the lock is freed."""
        return {
            "version": _FORMAT_VERSION,
            "resources": {
                name: [table[key] for key in sorted(table)] for name, table in self._data.items()
            },
            "config": self.config.snapshot(),
        }

    def _load(self, data_file: DataFile) -> None:
        path = str(data_file.path)
        try:
            text, saves = data_file.read()
            payload = json.loads(text)
        except (OSError, ValueError) as exc:
            raise WorkspaceReadError(
                f"cannot read sandbox data ({exc}); fix or delete the file to start from seed",
                file=path,
            ) from exc
        resources = payload.get("resources") if isinstance(payload, dict) else None
        if not isinstance(resources, dict):
            raise WorkspaceReadError(
                "not a sandbox data file (no 'resources' object); delete it to start from seed",
                file=path,
            )
        self.config.restore(payload.get("config"))
        self._put_rows(resources, replace=True)
        for save in saves:
            if isinstance(save.get("records"), dict):
                self._put_rows(save["records"], replace=False)

    def _put_rows(self, resources: dict[str, Any], *, replace: bool) -> None:
        """Rows read from the data file (a snapshot's tables, or a logged save's records)."""
        for name, rows in resources.items():
            spec = find_resource(name)
            if spec is None or not isinstance(rows, list):
                continue
            found = {
                row["id"]: row for row in rows if isinstance(row, dict) and _is_int(row.get("id"))
            }
            if replace:
                self._data[spec.name] = found
            else:
                self._data[spec.name].update(found)


def _merge_customfields(old: list[Any], new: Any) -> list[Any]:
    """Halo merges custom fields by id: sent ids change, others stay."""
    if not isinstance(new, list):
        raise InputError("Tickets: customfields must be an array of {id, name, value}")
    merged = [dict(cf) for cf in old if isinstance(cf, dict)]
    by_id = {cf.get("id"): cf for cf in merged}
    for cf in new:
        if not isinstance(cf, dict) or "id" not in cf:
            raise InputError("Tickets: every customfields entry needs an 'id'")
        if cf["id"] in by_id:
            by_id[cf["id"]].update(cf)
        else:
            merged.append(dict(cf))
            by_id[cf["id"]] = merged[-1]
    return merged


def _table_rows(rows: Any) -> list[Record]:
    """``_add_rows`` replaces every row (as in Halo: rows not sent are gone)."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError("CustomTable: _add_rows must be an array of objects")
    return [{**row, "id": n} for n, row in enumerate(rows, start=1)]
