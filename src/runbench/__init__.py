"""runbench: a terminal workbench for HTTP custom integrations and runbooks.

One start-up cost is cut here, before any module imports httpx: httpx's ``__init__``
imports its own command-line client (``httpx._main``: click, rich.console, pygments,
~80 ms of CPU, a quarter of `runbench run`'s start-up) whenever click is installed,
and uvicorn installs it. runbench never calls ``httpx.main``; marking the module absent
makes httpx fall back to its stub (documented behaviour when the CLI extras are
missing). A process that imported httpx before runbench keeps its real one.
"""

import sys

__version__ = "0.1.0"

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "absent"
