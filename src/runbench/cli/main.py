"""The `runbench` command: one argparse parser, one module per subcommand.

Each subcommand lives in ``runbench.cli.cmd_<name>`` with two functions:
``add_parser(subparsers, name, help_text)`` and ``run(args) -> int``. A subcommand's
module is imported only when that subcommand is named: `runbench --help` and
`runbench --version` import no command module at all (their text comes from
``COMMANDS``), `runbench check` imports only the workspace reader, never the TUI or the
web server. Only `runbench completion` builds every parser (the script must know them).
Exit codes: 0 ok, 1 the thing checked/run failed, 2 usage, workspace or journal error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping, Sequence
from types import MappingProxyType, ModuleType

from runbench import __version__
from runbench.core.errors import JournalError, RunbenchError, UsageError, WorkspaceError

COMMANDS: Mapping[str, str] = MappingProxyType(
    {
        "init": "write a commented starter workspace",
        "check": "validate a workspace file",
        "eval": "evaluate an output path against a JSON document",
        "test": "run one integration method and show request, response, outputs",
        "import-curl": "turn a curl command into a method",
        "import-halo": "turn Halo runbook (and custom integration) JSON into a new workspace",
        "export-halo": "write runbooks (and integrations) as Halo's JSON",
        "pull": "fetch runbooks and integrations from Halo into a workspace (diff first)",
        "push": "upload runbooks and integrations to Halo (diff first)",
        "import-openapi": "add one method per operation of an OpenAPI 3 spec",
        "export-curl": "print the curl command that sends what `test` sends (secrets as $VARS)",
        "history": "list past tests of methods (request history)",
        "run": "run a runbook headless",
        "runs": "list past runs, or show one",
        "resume": "resume an interrupted run from its journal",
        "serve": "serve public runbook endpoints (webhooks)",
        "sandbox": "start the local Halo + OpenAI stand-in",
        "secret": "set, list or remove the secrets a workspace references",
        "tui": "open the workbench",
        "demo": "start the sandbox and open the workbench on the demo workspace",
        "completion": "print a shell completion script (bash, zsh or fish)",
    }
)


OWN_TERMINAL = frozenset({"tui", "demo", "serve", "sandbox"})
"""Commands that draw or log with their own terminal sequences (Textual, uvicorn); every
other command's output shows control characters on a terminal (``cli.controls``)."""


def _module(name: str) -> ModuleType | None:
    """The subcommand's module, or None while the command is only registered (its module
    has not landed yet). Any other failed import, inside the module, is a bug: it raises
    rather than turning the command into argparse's "invalid choice"."""
    module_name = f"runbench.cli.cmd_{name.replace('-', '_')}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def build_parser(only: str | None = None, *, full: bool = False) -> argparse.ArgumentParser:
    """The parser; only the subcommand ``only`` (or every one when ``full``) gets its
    real arguments, the others a placeholder with their one-line help."""
    parser = argparse.ArgumentParser(
        prog="runbench",
        description="A terminal workbench for HTTP custom integrations and runbooks.",
    )
    parser.add_argument("--version", action="version", version=f"runbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        if only is not None and name != only and not full:
            continue  # argparse needs only the named command (``runbench --help`` lists all)
        module = _module(name) if full or name == only else None
        if module is not None:
            module.add_parser(sub, name, help_text)
        elif not full:  # completion leaves out commands that have not landed
            placeholder = sub.add_parser(name, help=help_text)
            if name == only:  # main says it has not landed, whatever the arguments
                placeholder.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _error(command: str, exc: Exception) -> None:
    """One error line on stderr; an upstream answer's control characters quoted in it
    are shown, not obeyed, on a terminal (``cli.controls``)."""
    from runbench.cli.controls import for_terminal

    print(for_terminal(f"runbench {command}: {exc}", sys.stderr), file=sys.stderr)


def _not_utf8(args: Sequence[str]) -> UsageError | None:
    """The first argument that is not UTF-8 text (the shell passes bytes; Python keeps the
    stray ones as lone surrogates, which no workspace, journal or JSON runbench writes can
    hold: ``import-halo --name`` ended in a traceback), said plainly; None when all are."""
    for number, arg in enumerate(args, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = _shown(arg)
            return UsageError(
                f"argument {number} ('{shown}') is not UTF-8 text; runbench takes its "
                "arguments as UTF-8: retype it (or rename the file it names)"
            )
    return None


def _shown(arg: str) -> str:
    """``arg`` with its stray bytes as ``\\xNN``; a lone surrogate that stands for no byte
    (U+D800-DC7F, DD00-DFFF: not from the shell) as ``\\udNNN``."""
    try:
        raw = arg.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return arg.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(first if first in COMMANDS else None)
    args = parser.parse_args(args_list)
    if not args.command:
        parser.print_help()
        return 2
    undecodable = _not_utf8(args_list)
    if undecodable is not None:
        _error(args.command, undecodable)
        return 2
    module = _module(args.command)
    if module is None:
        print(f"runbench {args.command}: not in this version of runbench yet", file=sys.stderr)
        return 2
    try:
        if args.command in OWN_TERMINAL:
            return int(module.run(args))
        from runbench.cli.controls import shown_streams

        with shown_streams():
            return int(module.run(args))
    except (UsageError, WorkspaceError, JournalError) as exc:
        _error(args.command, exc)
        return 2
    except RunbenchError as exc:
        _error(args.command, exc)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except RecursionError:  # input nested deeper than any reader on the way can walk
        print(
            f"runbench {args.command}: the input is nested too deeply (arrays/objects inside "
            "each other) to be handled; flatten it",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
