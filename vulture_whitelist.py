"""Names vulture reports as unused that a framework reads (make lint runs vulture with this).

Never imported or run: vulture only parses it, and every name written here counts as used.
Textual's ``on_*``/``action_*``/``compose``/``BINDINGS``..., the step dispatchers (``do_*``,
``step_*``, ``_on_<Event>``) and test servers' ``route_*`` are ignored by name in
``[tool.vulture]`` (pyproject.toml); what is left is listed here, one group per framework.
"""

# ruff: noqa
# mypy: ignore-errors

_ = object()

# Textual reads these attributes of the App and of widgets
_.sub_title  # App: the header's second line
_.animation_level  # App: "none" in the snapshot tests
_.theme  # TextArea: the highlight theme
_.virtual_size  # ScrollView: the scrollable size
_.cursor_position  # Input: where the caret is
_.show_root, _.guide_depth  # Tree: looks
_.NOTIFICATION_TIMEOUT  # App: seconds a notice stays (a TUI test keeps them)
_.LINES, _.ICON_NODE, _.ICON_NODE_EXPANDED  # Tree: guide characters and icons
_.discover  # command palette Provider: the commands shown before typing
_.get_default_screen  # App: the first screen (the workbench's WorkbenchScreen)
_.watch_compact  # KeyFooter: watcher of Footer.compact
_.refresh_styles  # ScreenResume: whether the resumed screen restyles its widgets

# the text-stream protocol: code that writes to sys.stdout may call these
_.writelines  # cli.controls.ShownStream: shows controls in lines written together

# uvicorn.Server and the standard library's servers read these
_.should_exit  # uvicorn.Server: stop serving
_.main_loop  # uvicorn.Server: serve() awaits it (webserver.PromptServer overrides it)
_.close_connection, _.daemon_threads, _.block_on_close  # http.server / socketserver
_.log_message  # BaseHTTPRequestHandler: silenced request log

# httpx calls the transport's method
_.handle_async_request  # httpx.AsyncBaseTransport

# Python calls a module's __getattr__ for a name it lacks (PEP 562: names imported lazily)
__getattr__  # runbench.core.journal: the PostgreSQL backend

# the protocol of __aexit__
tb  # traceback argument

# benchmarks/bench_scale.py reads Outcome's fields by name (getattr) in its report
_.accepted_per_s, _.completed_per_s, _.wrk_cpu_share, _.serve_cpu_per_run, _.server_cpu_per_run

# Landed by issue 14 before its reader (the TUI's metrics view): remove from here once read
_.exposition  # Metrics: every sample by name, for tests and the TUI
