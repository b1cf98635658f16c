"""The line of every key (what ``check`` points at) where strings hold what could end them
early or late: escaped quotes, a backslash before the closing quote, ``#`` and ``,`` inside
strings, literal strings with backslashes, multi-line strings and inline tables. The
scanner moves over a string or a comment a run at a time, so each must end exactly where
TOML ends it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from runbench.core.workspace import read_workspace

TEXT = "\n".join(
    [
        r'name = "a \"quoted\" # not a comment"  # a comment with "quotes',
        r"halo = 'C:\path\' # literal: the backslash ends nothing'",
        r"",
        r"[variables]",
        r'slash = "ends in a backslash \\"',
        r"after = 1",
        r"multi = '''",
        r"one",
        r"two'''",
        r'basic = """',
        "three \\",
        r'four \"""',
        r'"""',
        r"[variables.inline]",
        r"""a = { x = "}, y = 2", y = [1, "]", { z = 'q,#' }], w = 3 }""",
        r"b = [",
        r'  { c = "line\nbreak" },',
        r"  { d = 4 },",
        r"]",
        r"last = 5",
        r"",
    ]
)


def test_every_key_is_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(TEXT, encoding="utf-8")
    assert tomllib.loads(TEXT)["variables"]["after"] == 1  # the text is what TOML reads
    lines = read_workspace(path)[0].lines
    assert {keys: lines[keys] for keys in lines if keys[0] != "runbooks"} == {
        ("name",): 1,
        ("halo",): 2,
        ("variables",): 4,
        ("variables", "slash"): 5,
        ("variables", "after"): 6,
        ("variables", "multi"): 7,
        ("variables", "basic"): 10,
        ("variables", "inline"): 14,
        ("variables", "inline", "a"): 15,
        ("variables", "inline", "a", "x"): 15,
        ("variables", "inline", "a", "y"): 15,
        ("variables", "inline", "a", "y", "0"): 15,
        ("variables", "inline", "a", "y", "1"): 15,
        ("variables", "inline", "a", "y", "2"): 15,
        ("variables", "inline", "a", "y", "2", "z"): 15,
        ("variables", "inline", "a", "w"): 15,
        ("variables", "inline", "b"): 16,
        ("variables", "inline", "b", "0"): 17,
        ("variables", "inline", "b", "0", "c"): 17,
        ("variables", "inline", "b", "1"): 18,
        ("variables", "inline", "b", "1", "d"): 18,
        ("variables", "inline", "last"): 20,
    }
