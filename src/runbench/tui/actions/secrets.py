"""Secrets from the workbench (a mixin of the app): which references will not resolve
here, and setting a missing one without leaving the workbench.

The problems the app shows include ``check_secret_references`` (the same check as
``runbench check``): an ``env:`` name unset in this environment, a ``secret:`` name
missing from ``.runbench/secrets.toml``. A missing ``secret:`` can be set from the
overview's button or the palette ("Set a secret"): the value is typed into a password
field, written to the secrets file (mode 0600) and never shown, logged or kept.
"""

from __future__ import annotations

from typing import Any

from runbench.core.errors import RunbenchError
from runbench.core.secrets import check_name, secret_names, secrets_file, set_secret
from runbench.core.workspace import Problem, Workspace, check_secret_references, secret_references
from runbench.tui.actions.base import WorkbenchBase
from runbench.tui.screens.dialogs import Field, FormDialog
from runbench.tui.widgets.overview import OverviewForm


class SecretActions(WorkbenchBase):
    """See the module docstring."""

    _secret_names: set[str] | None = None
    _secrets_unusable: str | None = None

    def known_secrets(self) -> set[str]:
        """The names in the secrets file (read once, and again after a set)."""
        if self._secret_names is None:
            self._secret_names, self._secrets_unusable = secret_names(self.document.path)
        return self._secret_names

    def reference_problems(self, workspace: Workspace) -> list[Problem]:
        path = str(secrets_file(self.document.path))
        found = check_secret_references(workspace, self.environ, self.known_secrets(), path)
        if self._secrets_unusable:
            found.append(Problem(path, None, "warning", self._secrets_unusable))
        return found

    def missing_secrets(self) -> list[str]:
        names = self.known_secrets()
        missing = [
            ref.name
            for _, ref in secret_references(self.workspace)
            if ref.source == "secret" and ref.name not in names
        ]
        return list(dict.fromkeys(missing))

    def on_overview_form_set_secret(self, event: OverviewForm.SetSecret) -> None:
        self.action_set_secret(event.names[0] if event.names else "")

    def action_set_secret(self, name: str = "") -> None:
        suggestion = name or next(iter(self.missing_secrets()), "")
        fields = [
            Field("name", "Name", suggestion, placeholder='as in { secret = "NAME" }'),
            Field("value", "Value", "", placeholder="not shown", password=True),
        ]

        def check(values: dict[str, str]) -> str | None:
            try:
                check_name(values["name"].strip())
            except RunbenchError as exc:
                return str(exc)
            return None if values["value"] else "an empty value is not saved"

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            try:
                path = set_secret(self.document.path, values["name"].strip(), values["value"])
            except (RunbenchError, OSError) as exc:
                self.notify(str(exc), title="Secret not set", severity="error")
                return
            self._secret_names = None
            self.reread(full=True)
            self.notify(f"{values['name'].strip()} set in {path} (mode 600)")

        hint = f"kept in {secrets_file(self.document.path)} (mode 600), never shown"
        self.push_screen(
            FormDialog(
                "Set a secret",
                fields,
                validate=check,
                hint=hint,
                id="set-secret",
                # the name is known: start in the value, never type a secret in clear
                focus="value" if suggestion else None,
            ),
            done,
        )

    def secret_commands(self) -> list[tuple[str, str, Any]]:
        return [
            (
                "Set a secret",
                "a { secret = NAME } value, kept in .runbench/secrets.toml",
                self.action_set_secret,
            )
        ]


__all__ = ["SecretActions"]
