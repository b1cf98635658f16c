"""Which journal a command uses: a SQLite file beside the workspace, or a database.

``--journal`` (or the ``RUNBENCH_JOURNAL`` environment variable, for a service that
sets it once) takes a ``postgresql://`` URL, which every `serve` instance, `run`,
`runs` and `resume` can share; anything else is a path to a SQLite file. Without
either, the journal is ``.runbench/runs.db`` beside the workspace (``--state-dir``
moves that folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runbench.core.errors import JournalError
from runbench.core.journal._backend import Backend
from runbench.core.journal._journal import Journal

ENV = "RUNBENCH_JOURNAL"
SCHEMES = ("postgresql://", "postgres://")
# Any "scheme://": a URL, not a file name (a SQLite path never needs "://").
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_URL_USER = re.compile(r"://[^/@]*@")  # user:password@ in a URL we do not understand


def is_database_url(location: str) -> bool:
    return location.startswith(SCHEMES)


def journal_location(given: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """``--journal`` if given, else ``RUNBENCH_JOURNAL``, else None (the default file)."""
    env = os.environ if environ is None else environ
    location = given or env.get(ENV) or None
    if location and _URL.match(location) and not is_database_url(location):
        origin = "--journal" if given else ENV
        scheme = location.split("://", 1)[0]
        raise JournalError(
            f"journal {_URL_USER.sub('://***@', location)!r} ({origin}): {scheme}:// URLs are not "
            "understood; give a postgresql:// URL, or the path of a SQLite file "
            "(e.g. /var/lib/runbench/runs.db)"
        )
    return location


def redacted_location(location: str) -> str:
    """``location`` fit to print (a database URL without its password)."""
    if not is_database_url(location):
        return location
    from runbench.core.journal._postgres_schema import shown

    return shown(location)


def open_journal(
    location: str | None,
    workspace_path: str | Path,
    state_dir: str | Path | None = None,
    **kwargs: Any,
) -> Journal:
    """The journal at ``location`` (a database URL or a SQLite path; None: the default
    beside the workspace). ``kwargs`` go to :class:`Journal`."""
    if location and is_database_url(location):
        return postgres_journal(location, **kwargs)
    if location:
        return Journal(location, **kwargs)
    return Journal.for_workspace(workspace_path, state_dir, **kwargs)


def postgres_journal(dsn: str, **kwargs: Any) -> Journal:
    """A journal in the PostgreSQL database at ``dsn`` (``durable`` is the server's
    business there: every commit is synchronous unless it says otherwise). The PostgreSQL
    modules are imported here: a run on the SQLite file never needs them."""
    from runbench.core.journal._postgres import PostgresBackend
    from runbench.core.journal._postgres_schema import shown

    kwargs.pop("durable", None)
    kwargs.pop("busy_timeout", None)
    readonly = bool(kwargs.get("readonly", False))

    def backend() -> Backend:
        return PostgresBackend(dsn, readonly=readonly)

    return Journal(shown(dsn), backend=backend, **kwargs)


__all__ = [
    "ENV",
    "is_database_url",
    "journal_location",
    "open_journal",
    "postgres_journal",
    "redacted_location",
]
