"""`runbench import-curl 'curl ...'`: turn a curl command into a method.

With ``--workspace`` the method is added to that file (comments and layout kept; the file
is created if missing). If the integration exists, the URL must start with its base_url
and the path becomes the rest; otherwise the integration is created with base_url =
scheme://host and auth taken from the command (-u, an Authorization or API-key header).
Credentials are never written into the file: they become ``{ env = "NAME" }`` references,
and this command says which environment variables to set. Without ``--workspace`` the
TOML is printed instead (notes as comments), ready to paste.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import tomlkit

from runbench.core.curl import (
    CurlCommand,
    ImportPlan,
    default_integration_name,
    default_method_name,
    parse_curl,
    plan_import,
    url_under,
)
from runbench.core.errors import ConcurrentEditError, ExpressionError, UsageError
from runbench.core.expressions import Context, parse_template
from runbench.core.secrets import Redactor
from runbench.core.workspace import (
    Integration,
    Workspace,
    WorkspaceDocument,
    WorkspaceEdits,
    check_id,
    toml_item,
)


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument(
        "curl", metavar="CURL_COMMAND", help="the whole curl command, quoted ('curl https://...')"
    )
    parser.add_argument("--workspace", "-w", help="add the method to this workspace file")
    parser.add_argument("--integration", "-i", help="integration id (default: from the URL)")
    parser.add_argument("--name", "-n", help="method id (default: verb and last path part)")
    parser.add_argument("--replace", action="store_true", help="overwrite an existing method")


def plan_toml(plan: ImportPlan) -> str:
    doc = tomlkit.document()
    for note in plan.notes:
        doc.add(tomlkit.comment(note))
    for name, holds in plan.env:
        doc.add(tomlkit.comment(f"set {name} to {holds}"))
    integrations = tomlkit.table(is_super_table=True)
    integration = tomlkit.table()
    if plan.integration_table is not None:
        for key, value in plan.integration_table.items():
            if value is not None:
                integration[key] = toml_item(value)
    methods = tomlkit.table(is_super_table=True)
    method = tomlkit.table()
    for key, value in plan.method_table.items():
        if value is not None:
            method[key] = toml_item(value)
    methods[plan.method] = method
    integration["methods"] = methods
    integrations[plan.integration] = integration
    doc["integrations"] = integrations
    return tomlkit.dumps(doc)


def _rendered_base(workspace: Workspace, integration: Integration) -> str:
    try:
        return parse_template(integration.base_url).render(workspace.variables, Context.TEXT)
    except ExpressionError:
        return integration.base_url


def _pick_integration(
    workspace: Workspace, curl: CurlCommand, wanted: str | None
) -> tuple[str, str | None]:
    """(integration id, its base_url if it exists)."""
    if wanted:
        found = workspace.integrations.get(wanted)
        if found is None:
            return wanted, None
        base = _rendered_base(workspace, found)
        if url_under(curl.url, base) is None:
            raise UsageError(
                f"integration '{wanted}' has base_url {base}, which is not a prefix of "
                f"{Redactor().url(curl.url)}; "
                "pick another --integration (a new id creates one)"
            )
        return wanted, base
    for key, integration in workspace.integrations.items():
        base = _rendered_base(workspace, integration)
        if base and url_under(curl.url, base) is not None:
            return key, base
    name = default_integration_name(curl.url)
    while name in workspace.integrations:
        name += "_2"
    return name, None


SAVE_ATTEMPTS = 20
"""How often a save that lost a race (another process wrote the file meanwhile) is redone
on the new file before giving up."""


def save(path: Path, curl: CurlCommand, args: argparse.Namespace) -> ImportPlan:
    """Add the method to the workspace at ``path`` (created if missing). When another
    process changed the file between our read and our write, the method is added again
    to what is there now (merging), so neither change is lost."""
    try:
        with open(path, "x", encoding="utf-8"):  # exclusive: never truncates a racing writer's
            print(f"created {path}")
    except FileExistsError:
        pass
    except OSError as exc:
        raise UsageError(f"cannot create {path}: {exc.strerror or exc}") from None
    attempt = 1
    while True:
        doc = WorkspaceDocument(path)
        plan = _add(doc, path, curl, args)
        try:
            doc.save()
            return plan
        except ConcurrentEditError:
            if attempt >= SAVE_ATTEMPTS:
                raise
            attempt += 1


def _add(
    doc: WorkspaceDocument, path: Path, curl: CurlCommand, args: argparse.Namespace
) -> ImportPlan:
    workspace, _ = doc.model()
    integration, base = _pick_integration(workspace, curl, args.integration)
    method = args.name or default_method_name(curl.verb, curl.url)
    existing = workspace.integrations.get(integration)
    if existing is not None and method in existing.methods and not args.replace:
        raise UsageError(
            f"method {integration}.{method} already exists in {path}; use --name or --replace"
        )
    plan = plan_import(curl, integration=integration, method=method, base_url=base)
    edits = WorkspaceEdits(doc)
    if plan.integration_table is not None:
        edits.add_integration(workspace, integration, base or "", plan.integration_table)
    edits.add_method(workspace, integration, method, plan.method_table, replace=args.replace)
    return plan


def run(args: argparse.Namespace) -> int:
    curl = parse_curl(args.curl)
    if not args.workspace:
        integration = check_id(
            args.integration or default_integration_name(curl.url), (), "integration"
        )
        method = check_id(args.name or default_method_name(curl.verb, curl.url), (), "method")
        print(plan_toml(plan_import(curl, integration=integration, method=method)), end="")
        return 0
    plan = save(Path(args.workspace), curl, args)
    where = "new integration" if plan.integration_table is not None else "integration"
    print(
        f"added method {plan.integration}.{plan.method} to {args.workspace} "
        f"({where} {plan.integration}, base_url {plan.base_url})"
    )
    for note in plan.notes:
        print(f"note: {note}")
    for name, holds in plan.env:
        print(f"set {name} to {holds}: export {name}=...")
    return 0
