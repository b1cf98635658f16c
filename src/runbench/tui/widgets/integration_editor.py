"""The integration editor: title, base URL and the auth form Halo shows for each type.

Only the fields the chosen auth type uses are visible (api_key: name, in, value; bearer:
token, header, prefix; basic: username, password; oauth2: grant, token URL, client id,
client secret, scope, params). Secrets are never displayed: a literal secret shows as
the mask, a reference as ``env:NAME`` / ``secret:NAME``; typing a literal is allowed but
warned about. Every change goes up as a message; nothing here writes the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from runbench.core.workspace import (
    AUTH_TYPES,
    SECRET_FIELDS,
    SECRETISH_FIELDS,
    Integration,
    Problem,
    SecretRef,
    parse_secret_text,
    secret_text,
)
from runbench.tui.messages import AuthEdited, EntryEdited, FieldEdited
from runbench.tui.widgets.field_input import FieldInput
from runbench.tui.widgets.kv_table import KeyValueTable

AUTH_FIELDS: dict[str, tuple[str, ...]] = {
    "none": (),
    "api_key": ("name", "in", "value"),
    "bearer": ("token", "header", "prefix"),
    "basic": ("username", "password"),
    "oauth2": ("grant", "token_url", "client_id", "client_secret", "scope", "params"),
}
LABELS = {
    "name": "Key name",
    "in": "Send in",
    "value": "Key value",
    "token": "Token",
    "header": "Header",
    "prefix": "Prefix",
    "username": "Username",
    "password": "Password",
    "grant": "Grant",
    "token_url": "Token URL",
    "client_id": "Client id",
    "client_secret": "Client secret",
    "scope": "Scope",
}
SELECTS = {"in": ("header", "query"), "grant": ("client_credentials", "password")}
SECRET_HINT = "env:NAME or secret:NAME"


def _row(label: str, widget: Any, field: str) -> Horizontal:
    return Horizontal(
        Label(label, classes="field-label"), widget, classes="field-row", id=f"row-{field}"
    )


class IntegrationEditor(VerticalScroll):
    """Edits one integration; :meth:`show` loads it (attributes down, messages up)."""

    def __init__(self, *, mask: str = "••••", id: str | None = None) -> None:
        super().__init__(id=id, classes="editor")
        self.mask = mask
        self.integration: Integration | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="integration-heading", classes="editor-title")
        yield _row("Title", FieldInput(id="int-title", compact=True), "title")
        yield _row(
            "Base URL",
            FieldInput(id="int-base_url", compact=True, placeholder="https://api.example.com"),
            "base_url",
        )
        auth = Select(
            [(kind, kind) for kind in AUTH_TYPES],
            allow_blank=False,
            value="none",
            id="auth-type",
            compact=True,
        )
        yield _row("Auth", auth, "type")
        for field, label in LABELS.items():
            widget: Any
            if field in SELECTS:
                widget = Select(
                    [(o, o) for o in SELECTS[field]],
                    allow_blank=False,
                    value=SELECTS[field][0],
                    id=f"auth-{field}",
                    compact=True,
                )
            else:
                hint = SECRET_HINT if field in SECRETISH_FIELDS else ""
                widget = FieldInput(id=f"auth-{field}", compact=True, placeholder=hint)
            yield _row(label, widget, field)
        yield KeyValueTable(
            "OAuth2 token parameter",
            value_label="Value",
            id="auth-params",
            hint="sent with the token request",
        )
        yield Static("", id="auth-warning", markup=False)
        yield Static("", id="integration-problems", markup=False)
        yield Static("", id="integration-summary", markup=False)

    # -- loading -------------------------------------------------------------------
    def show(self, integration: Integration) -> None:
        """Load every field from ``integration`` (no messages are sent for this)."""
        self.integration = integration
        auth = integration.auth
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#integration-heading", Label).update(f"Integration {integration.id}")
            self.query_one("#int-title", Input).value = integration.title
            self.query_one("#int-base_url", Input).value = integration.base_url
            self.query_one("#auth-type", Select).value = auth.type
            self.query_one("#auth-in", Select).value = auth.location
            self.query_one("#auth-grant", Select).value = auth.grant
            for field in ("name", "header", "prefix", "token_url", "scope"):
                self.query_one(f"#auth-{field}", Input).value = str(getattr(auth, field))
            for field in SECRETISH_FIELDS:
                value = getattr(auth, field)
                self.query_one(f"#auth-{field}", Input).value = secret_text(
                    value, field in SECRET_FIELDS, self.mask
                )
        self.query_one("#auth-params", KeyValueTable).show(sorted(auth.params.items()))
        self.query_one("#auth-warning", Static).update(self._literal_warning(integration))
        self._show_fields(auth.type)
        self.refresh_summary(integration)

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """What `runbench check` says about this integration (a secret reference that
        will not resolve here, a missing auth field), whole, one per line."""
        widget = self.query_one("#integration-problems", Static)
        widget.update("\n".join(f"! {p.message.split(': ', 1)[-1]}" for p in problems))
        widget.display = bool(problems)

    def refresh_summary(self, integration: Integration) -> None:
        """Update what depends on the model but is not typed into (after any edit)."""
        self.integration = integration
        names = ", ".join(f"{m.verb} {m.id}" for m in integration.methods.values()) or "none yet"
        self.query_one("#integration-summary", Static).update(
            f"Methods: {names}\n(select one in the tree; 'a' in the tree adds one)"
        )
        self.query_one("#auth-params", KeyValueTable).show(sorted(integration.auth.params.items()))

    def _literal_warning(self, integration: Integration) -> str:
        literal = [
            f
            for f in SECRET_FIELDS
            if f in AUTH_FIELDS[integration.auth.type]
            and getattr(integration.auth, f)
            and not isinstance(getattr(integration.auth, f), SecretRef)
        ]
        if not literal:
            return ""
        return (
            f"! {', '.join(literal)}: a literal secret is stored in the file; "
            "type env:NAME or secret:NAME to read it at run time instead"
        )

    def _show_fields(self, kind: str) -> None:
        wanted = AUTH_FIELDS.get(kind, ())
        for field in LABELS:
            self.query_one(f"#row-{field}").display = field in wanted
        self.query_one("#auth-params").display = "params" in wanted

    # -- events --------------------------------------------------------------------
    @on(Input.Changed, "#int-title, #int-base_url")
    def _top_field(self, event: Input.Changed) -> None:
        event.stop()
        if self.integration is None or event.input.id is None:
            return
        field = event.input.id.removeprefix("int-")
        self.post_message(FieldEdited(("integrations", self.integration.id, field), event.value))

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        event.stop()
        if self.integration is None or event.select.id is None or event.value is Select.NULL:
            return
        field = event.select.id.removeprefix("auth-")
        if field == "type":
            self._show_fields(str(event.value))
        self.post_message(AuthEdited(self.integration.id, field, str(event.value)))

    @on(
        Input.Changed,
        "#row-name Input, #row-header Input, #row-prefix Input, "
        "#row-token_url Input, #row-scope Input",
    )
    def _auth_plain(self, event: Input.Changed) -> None:
        event.stop()
        if self.integration is None or event.input.id is None:
            return
        field = event.input.id.removeprefix("auth-")
        self.post_message(AuthEdited(self.integration.id, field, event.value))

    @on(
        Input.Changed,
        "#row-value Input, #row-token Input, #row-username Input, "
        "#row-password Input, #row-client_id Input, #row-client_secret Input",
    )
    def _auth_secret(self, event: Input.Changed) -> None:
        event.stop()
        if self.integration is None or event.input.id is None or event.value == self.mask:
            return
        field = event.input.id.removeprefix("auth-")
        _, warning = parse_secret_text(event.value)
        masked = field in SECRET_FIELDS
        self.query_one("#auth-warning", Static).update(
            f"! {field}: {warning}" if warning and masked else ""
        )
        self.post_message(AuthEdited(self.integration.id, field, event.value, secret=True))

    @on(KeyValueTable.Changed, "#auth-params")
    def _params(self, event: KeyValueTable.Changed) -> None:
        event.stop()
        if self.integration is None:
            return
        keys = ("integrations", self.integration.id, "auth", "params")
        if event.values is None:
            self.post_message(EntryEdited(keys, event.old_name or "", None, event.old_name))
        else:
            self.post_message(
                EntryEdited(keys, event.values["name"], event.values["value"], event.old_name)
            )
