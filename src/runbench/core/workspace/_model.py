"""The workspace model: integrations, methods, runbooks and steps as plain data.

These dataclasses are what the engine, the CLI and the TUI read. They are built from
TOML by ``runbench.core.workspace._schema`` and never written back directly: edits go through the
store's TOML document so comments and unknown keys survive. Every object keeps the key
path it came from so errors can point at a line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from runbench.core.errors import suggest

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODY_TYPES = ("json", "form", "text", "none")
AUTH_TYPES = ("none", "api_key", "bearer", "basic", "oauth2")
STEP_KINDS = (
    "method",
    "halo",
    "sql",
    "ai",
    "condition",
    "sleep",
    "foreach",
    "next",
    "runbook",
    "end",
)
AI_TYPES = ("ability", "agent")
"""Halo's two AI step types (auto_action 25 and 26); runbench runs both the same way."""
INPUT_TYPES = ("string", "int", "float", "bool", "array", "object")
DEFAULT_AI_MODEL = "gpt-4o-mini"
OUTPUT_TYPES = ("any", "string", "int", "float", "bool", "array", "object", "datetime")
OPERATORS = (
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "greater_than",
    "greater_or_equal",
    "less_than",
    "less_or_equal",
    "includes",
    "not_includes",
    "has_value",
    "no_value",
    "matches",
    "any_value",
)
UNARY_OPERATORS = ("has_value", "no_value", "any_value")

# Which keys of a step are edges, per kind, with the label the flowchart shows.
EDGE_KEYS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "method": (("on_success", "success"), ("on_failure", "failure")),
        "halo": (("on_success", "success"), ("on_failure", "failure")),
        "sql": (("on_success", "success"), ("on_failure", "failure")),
        "ai": (("on_success", "success"), ("on_failure", "failure")),
        "condition": (("on_true", "met"), ("on_false", "not met")),
        "sleep": (("next", "next"),),
        "foreach": (("on_item", "item"), ("on_empty", "empty")),
        "next": (("loop", "loop"), ("on_done", "done")),
        "runbook": (),
        "end": (),
    }
)
KeyPath = tuple[str, ...]
HaloFields = Mapping[str, Any]
"""Halo's own ids and numbers kept for export and push (``halo = { id = ..., ... }``)."""


@dataclass(frozen=True)
class SecretRef:
    """A value read at run time from the environment or the workspace's secrets file."""

    source: str  # "env" | "secret"
    name: str

    def __str__(self) -> str:
        return f"{{{self.source} = {self.name!r}}}"


Secretish = str | SecretRef


@dataclass(frozen=True)
class Auth:
    """How an integration authenticates. Only the fields of ``type`` matter."""

    type: str = "none"
    # api_key
    name: str = ""
    location: str = "header"  # header | query
    value: Secretish = ""
    # bearer (also the header oauth2 writes)
    token: Secretish = ""
    header: str = "Authorization"
    prefix: str = "Bearer"
    # basic / oauth2 password grant
    username: Secretish = ""
    password: Secretish = ""
    # oauth2
    grant: str = "client_credentials"
    token_url: str = ""
    client_id: Secretish = ""
    client_secret: Secretish = ""
    scope: str = ""
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """Request limits of an integration, with Halo-like defaults."""

    connect_timeout: float = 30.0
    read_timeout: float = 30.0
    max_response_bytes: int = 50 * 1024 * 1024
    follow_redirects: bool = True
    max_redirects: int = 10
    verify: bool | str = True
    total_timeout: float = 120.0
    """Seconds for a whole call (connect, redirects, the body): a server that trickles
    bytes cannot hold a run forever. A step's ``timeout`` replaces it when given."""


@dataclass(frozen=True)
class Output:
    """An output variable: a path over the response and the type to coerce to. A
    ``secret`` output is usable in templates but never stored or shown."""

    name: str
    path: str
    type: str = "any"
    secret: bool = False


EXPECT_TYPES = ("string", "int", "float", "number", "bool", "array", "object", "null", "any")
"""An ``expect.outputs`` value that is one of these names checks the type, not the value."""


@dataclass(frozen=True)
class Expect:
    """What a test of a method must show (``expect = { status = 200, ... }``): the status
    (default: any 2xx), output values or types, header values (contained, names in any
    case) and a maximum time in milliseconds."""

    status: int | None = None
    outputs: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    max_ms: float | None = None


@dataclass(frozen=True)
class Method:
    """One request template of an integration."""

    id: str
    integration: str
    verb: str = "GET"
    path: str = ""
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body_type: str = "none"
    body: str = ""
    auth: str = "inherit"  # inherit | none
    outputs: tuple[Output, ...] = ()
    title: str = ""
    test_values: Mapping[str, Any] = field(default_factory=dict)
    halo: HaloFields = field(default_factory=dict)
    expect: Expect | None = None

    @property
    def ref(self) -> str:
        return f"{self.integration}.{self.id}"


@dataclass(frozen=True)
class Integration:
    """A base URL plus authentication, with its methods."""

    id: str
    base_url: str
    title: str = ""
    auth: Auth = field(default_factory=Auth)
    limits: Limits = field(default_factory=Limits)
    methods: Mapping[str, Method] = field(default_factory=dict)
    halo: HaloFields = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """One row of a condition: ``left op right``."""

    left: str
    op: str
    right: Any = None


@dataclass(frozen=True)
class Retry:
    """When a failed call is tried again, and how long to wait between attempts."""

    attempts: int = 1
    backoff: str = "exponential"  # exponential | fixed
    delay: float = 1.0
    max_delay: float = 60.0
    on: tuple[int, ...] = (429, 500, 502, 503, 504)
    network_errors: bool = True
    idempotent: bool = False
    """POST and PATCH are retried after the request may have reached the server only
    when the step says repeating it is safe (``idempotent = true``)."""


@dataclass(frozen=True)
class Step:
    """One box of a runbook's flowchart. Which fields matter depends on ``kind``."""

    id: str
    kind: str
    title: str = ""
    method: str = ""  # "integration.method" for kind=method
    action: str = ""  # halo action id for kind=halo
    body: str | None = None  # halo: body template (None: the action's default)
    args: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[Output, ...] = ()
    edges: Mapping[str, str] = field(default_factory=dict)  # edge key -> target step id
    match: str = "all"
    rules: tuple[Rule, ...] = ()
    seconds: float = 0.0
    items: str = ""
    runbook: str = ""
    result: str = "success"
    message: str = ""
    timeout: float | None = None
    retry: Retry | None = None
    query: str = ""  # sql: the query, <<variables>> bound as parameters
    database: Secretish = ""  # sql: a database URL; "" = the Halo integration's report API
    max_rows: int = 1000  # sql: more rows than this fail the step
    integration: str = ""  # ai: the OpenAI-compatible integration
    model: str = ""  # ai: the model asked ("" = DEFAULT_AI_MODEL)
    prompt: str = ""  # ai: the prompt template ("" = the args as lines)
    json_answer: bool = False  # ai: ask for a JSON document as the answer
    ai_type: str = "ability"  # ai: Halo's AI ability (25) or AI agent (26)
    halo: HaloFields = field(default_factory=dict)

    def edge(self, key: str) -> str | None:
        return self.edges.get(key)


@dataclass(frozen=True)
class InputSpec:
    """One input of a runbook: its type, default, and where in the payload it comes from."""

    name: str
    type: str = "string"
    default: Any = None
    has_default: bool = False
    source: str = ""  # optional path over the payload ("from")
    description: str = ""


@dataclass(frozen=True)
class Endpoint:
    """How the public endpoint of a runbook authenticates callers."""

    auth: str = "none"  # none | basic | signature
    username: Secretish = ""
    password: Secretish = ""
    secrets: tuple[Secretish, ...] = ()
    header: str = "X-Signature"
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: str = ""
    timestamp_header: str = ""
    tolerance: float = 300.0
    delivery_header: str = "X-Delivery-Id"
    halo_webhook: bool = False
    max_body: int = 1024 * 1024


@dataclass(frozen=True)
class Runbook:
    """A flowchart of steps from ``start``, with its inputs, limits and public endpoint."""

    id: str
    start: str
    steps: Mapping[str, Step]
    title: str = ""
    public: bool = False
    endpoint: Endpoint = field(default_factory=Endpoint)
    inputs: Mapping[str, InputSpec] = field(default_factory=dict)
    max_concurrent: int = 0  # 0: unlimited
    max_steps: int = 1000
    max_duration: float = 3600.0
    halo: HaloFields = field(default_factory=dict)
    schedule: str = ""  # a cron expression; `runbench serve` starts a run at each tick


@dataclass(frozen=True)
class Workspace:
    """A whole workspace file. ``lines`` maps key paths to 1-based line numbers."""

    path: str
    name: str = ""
    halo: str = ""
    variables: Mapping[str, Any] = field(default_factory=dict)
    integrations: Mapping[str, Integration] = field(default_factory=dict)
    runbooks: Mapping[str, Runbook] = field(default_factory=dict)
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    retention_days: float = 0.0  # `runbench serve` prunes finished runs older; 0: keep all

    def line_of(self, keys: KeyPath) -> int | None:
        """The line of ``keys``, or of its nearest ancestor that has one."""
        for n in range(len(keys), 0, -1):
            line = self.lines.get(keys[:n])
            if line is not None:
                return line
        return None

    def unknown_runbook(self, name: str) -> str:
        """What to say when ``name`` names no runbook here: the closest name, else the runbooks
        there are (every caller, CLI or engine, says it the same way)."""
        close = suggest(name, self.runbooks)
        names = sorted(self.runbooks)
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif names:
            more = f" and {len(names) - 8} more" if len(names) > 8 else ""
            hint = "its runbooks: " + ", ".join(names[:8]) + more
        else:
            hint = "it has no runbook yet"
        return f"no runbook '{name}' in {self.path} ({hint})"

    def method(self, ref: str) -> Method | None:
        integration, _, method = ref.partition(".")
        found = self.integrations.get(integration)
        return found.methods.get(method) if found else None
