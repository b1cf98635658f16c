"""`runbench completion bash|zsh|fish`: a completion script for the shell, on stdout.

Install it the usual way for the shell, e.g.
``runbench completion bash > ~/.local/share/bash-completion/completions/runbench``,
``runbench completion zsh > "${fpath[1]}/_runbench"`` or
``runbench completion fish > ~/.config/fish/completions/runbench.fish``.
bash and zsh scripts come from shtab (it reads the parser, so every subcommand and
option is there, and workspace arguments complete file names); shtab has no fish
support, so the fish script is written here from the same parser.
"""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh", "fish")
FILE_ARGUMENTS = frozenset({"workspace", "data", "ticket_json", "action_json", "state_dir"})


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete for")


def full_parser() -> argparse.ArgumentParser:
    """Every subcommand's real parser, workspace-like arguments completing file names."""
    import shtab

    from runbench.cli.main import build_parser

    parser = build_parser(full=True)
    for action in _all_actions(parser):
        if action.dest in FILE_ARGUMENTS:
            action.complete = shtab.FILE  # type: ignore[attr-defined]
    return parser


def _all_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    found = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += _all_actions(child)
    return found


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def fish_script(parser: argparse.ArgumentParser) -> str:
    """Subcommands when none is given yet, then each subcommand's options and choices."""
    from runbench.cli.main import COMMANDS

    commands = _subcommands(parser)
    lines = [
        "# fish completion for runbench (runbench completion fish)",
        "complete -c runbench -f",
        "complete -c runbench -l version -d 'print the version'",
    ]
    for name, sub in commands.items():
        description = _quoted(COMMANDS.get(name, ""))
        lines.append(f"complete -c runbench -n __fish_use_subcommand -a {name} -d {description}")
        when = f"__fish_seen_subcommand_from {name}"
        for action in sub._actions:
            lines += _fish_option(when, action)
    return "\n".join(lines) + "\n"


def _fish_option(when: str, action: argparse.Action) -> list[str]:
    text = _quoted(action.help or "")
    if not action.option_strings:
        if action.choices:
            choices = " ".join(str(c) for c in action.choices)
            return [f"complete -c runbench -n '{when}' -a '{choices}' -d {text}"]
        if action.dest in FILE_ARGUMENTS:
            return [f"complete -c runbench -n '{when}' -F"]
        return []
    parts = [f"complete -c runbench -n '{when}'"]
    for option in action.option_strings:
        if option.startswith("--"):
            parts.append(f"-l {option[2:]}")
        elif option != "-h":
            parts.append(f"-s {option[1:]}")
    if action.nargs != 0:
        parts.append("-F" if action.dest in FILE_ARGUMENTS else "-r")
    parts.append(f"-d {text}")
    return [" ".join(parts)]


def _quoted(text: str) -> str:
    """``text`` (its first 60 characters) as one fish word in single quotes."""
    return "'" + text[:60].replace("\\", "\\\\").replace("'", "\\'") + "'"


def run(args: argparse.Namespace) -> int:
    parser = full_parser()
    if args.shell == "fish":
        print(fish_script(parser), end="")
        return 0
    import shtab

    print(shtab.complete(parser, shell=args.shell), end="")
    return 0
