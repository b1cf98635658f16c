"""Output-variable paths (`response^choices[0]^text!`): parse once, evaluate fast, explain misses.

Halo's output variables pick one value out of a JSON response with a tiny grammar (`^child`,
`[n]`, `[prop=value]`, a trailing `!`). Runbench evaluates the same few paths on every response
of every run, and the workbench re-evaluates them on each keystroke, so a path is compiled
once into a reusable, hashable `CompiledPath` made of two things:

* a tuple of step objects: the reference evaluator. When a path finds nothing it says exactly
  where and what was there instead ("no key 'texxt' in response^choices[0] (keys: ...)"),
  because Halo's only message is "Failed result reached".
* a straight-line function generated from those steps for the happy path. Its source holds
  only names chosen here (keys, indexes and filters are bound as closure constants, never
  pasted into code). On any surprise it hands over to the reference evaluator, so the two
  always agree and only the reference evaluator ever raises.

Our extensions (`status` and `headers` roots, negative indexes, quoted names and values,
nested filter properties) are spellings Halo rejects, so no Halo path changes meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NoReturn, cast

from runbench.core.errors import (
    NoMatchError,
    PathSyntaxError,
    UnknownVariableError,
    suggest,
)
from runbench.core.expressions._path_steps import (
    _Child,
    _Header,
    _Index,
    _make_filter,
    _Miss,
    _Slow,
    _Step,
)

OUTPUT_ROOTS: tuple[str, ...] = ("response", "status", "headers")
"""Roots of an output-variable path: the body, the status code, the response headers."""

Scope = Mapping[str, Any]

_NAME_STOPS = frozenset('^[]!="<>')
_INDEX = re.compile(r"-?[0-9]+(?=\])")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


# ----------------------------------------------------------------------------- evaluation


def _reference(text: str, root: str, steps: tuple[_Step, ...], scope: Scope) -> Any:
    try:
        value = scope[root]
    except KeyError:
        raise UnknownVariableError(root, known=list(scope)) from None
    where = root
    for step in steps:
        try:
            value = step.apply(value, where)
        except _Miss as miss:
            raise NoMatchError(str(miss), expression=text, segment=step.text) from None
        where += step.text
    return value


MAX_GENERATED_STEPS = 64
"""Longer paths are walked step by step instead of compiled: the generated function takes
one argument per step, and binding thousands of keyword arguments takes quadratic time
(a path of 16,000 steps took 13 s to compile)."""


def _generate(text: str, root: str, steps: tuple[_Step, ...]) -> Callable[[Scope], Any]:
    """Build `evaluate(scope)` as straight-line code; any surprise goes to `_reference`."""
    consts: dict[str, Any] = {
        "R": root,
        "S": _Slow,
        "L": list,
        "E": (KeyError, IndexError, TypeError, _Slow),
        "slow": partial(_reference, text, root, steps),
    }
    body = ["v = scope[R]"]
    for number, step in enumerate(steps):
        code, consts[f"k{number}"] = step.emit()
        body += code.format(k=f"k{number}").split("\n")
    source = (
        f"def make({', '.join(consts)}):\n"
        "    def evaluate(scope):\n"
        "        try:\n"
        + "".join(f"            {line}\n" for line in body)
        + "            return v\n"
        "        except E:\n"
        "            pass\n"
        "        return slow(scope)\n"
        "    return evaluate\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<runbench path {text!r}>", "exec"), {}, namespace)
    return cast(Callable[[Scope], Any], namespace["make"](**consts))


@dataclass(frozen=True)
class CompiledPath:
    """A parsed path; build with `compile_path`. Immutable, hashable, safe to share.

    Its straight-line code is generated on the first `evaluate`, not when it is parsed:
    checking a workspace parses every path and evaluates none, and generating one costs a
    `compile` (a few hundred microseconds; most of `check` and of the workbench's start).
    Two threads evaluating it first at once generate the same code twice: harmless."""

    text: str
    root: str
    raw: bool
    _steps: tuple[_Step, ...] = field(repr=False)
    _fast: Callable[[Scope], Any] | None = field(
        init=False, default=None, repr=False, compare=False
    )

    def evaluate(self, scope: Scope) -> Any:
        """The value the path points at. `scope` maps root names to values.

        Raises NoMatchError (where it stopped and what was there) or, when the root has no
        value in `scope`, UnknownVariableError."""
        fast = self._fast
        if fast is None:
            steps = self._steps
            fast = (
                _generate(self.text, self.root, steps)
                if len(steps) <= MAX_GENERATED_STEPS
                else partial(_reference, self.text, self.root, steps)
            )
            object.__setattr__(self, "_fast", fast)
        return fast(scope)


MAX_INDEX_DIGITS = 20
"""An index with more digits is beyond any array: it is kept as one just past this."""


def _index(digits: str) -> int:
    """``[n]``'s number; a very long one as the nearest that finds nothing as it would."""
    if len(digits.lstrip("-")) <= MAX_INDEX_DIGITS:
        return int(digits)
    beyond: int = 10**MAX_INDEX_DIGITS
    return -beyond if digits.startswith("-") else beyond


def evaluate_text(text: str, scope: Scope, *, roots: Collection[str] | None = OUTPUT_ROOTS) -> Any:
    """Compile and evaluate in one go (for one-off use; compile once when repeating)."""
    return compile_path(text, roots=roots).evaluate(scope)


# ----------------------------------------------------------------------------- parsing


def compile_path(text: str, *, roots: Collection[str] | None = OUTPUT_ROOTS) -> CompiledPath:
    """Parse a whole path. `roots=None` accepts any variable name as the root (templates)."""
    return compile_path_at(text, 0, roots=roots, stop="")[0]


def compile_path_at(
    text: str, start: int, *, roots: Collection[str] | None, stop: str
) -> tuple[CompiledPath, int]:
    """Parse a path that starts at `start` and ends where `stop` begins ("" = end of text).

    Returns the path and the index of `stop`. Errors carry positions in the whole `text`."""
    return _Parser(text, start, roots, stop).parse()


class _Parser:
    def __init__(self, text: str, start: int, roots: Collection[str] | None, stop: str) -> None:
        self.text, self.pos, self.roots, self.stop = text, start, roots, stop
        self.special = roots is not None  # status/headers roots have their own rules

    def fail(self, message: str, at: int | None = None) -> NoReturn:
        position = self.pos if at is None else at
        raise PathSyntaxError(message, expression=self.text, position=position)

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def parse(self) -> tuple[CompiledPath, int]:
        start = self.pos
        root = self.root()
        steps: list[_Step] = []
        raw = False
        while (char := self.peek()) in ("^", "["):
            self.check_root_allows(root, char, not steps)
            steps.append(self.child(root, not steps) if char == "^" else self.bracket())
        if self.peek() == "!":
            raw = True
            self.pos += 1
        self.finish(raw)
        return CompiledPath(self.text[start : self.pos], root, raw, tuple(steps)), self.pos

    def root(self) -> str:
        start = self.pos
        name = self.bare_name()
        if self.roots is None:
            if not name or not (name[0].isalpha() or name[0] == "_"):
                self.fail("expected a variable name (a letter or '_' first)", start)
            return self.spaced_name(name)
        if name not in self.roots:
            expected = ", ".join(self.roots)
            hint = suggest(name, self.roots) if name else []
            did = f" (did you mean {hint[0]!r}?)" if hint else ""
            found = f"found {name!r}" if name else "found nothing"
            self.fail(f"expected a root ({expected}), {found}{did}", start)
        return name

    def check_root_allows(self, root: str, char: str, first: bool) -> None:
        if not self.special:
            return
        if root == "status":
            self.fail("'status' is the HTTP status code: it takes no '^' or '[' parts")
        if root == "headers" and first and char == "[":
            self.fail("expected '^' and a header name after 'headers' (headers^Content-Type)")

    def child(self, root: str, first: bool) -> _Step:
        start = self.pos
        self.pos += 1
        name = self.name("expected a property name after '^'")
        text = self.text[start : self.pos]
        if self.special and root == "headers" and first:
            return _Header(text, name)
        return _Child(text, name)

    def bracket(self) -> _Step:
        start = self.pos
        self.pos += 1
        match = _INDEX.match(self.text, self.pos)
        if match:
            self.pos = match.end() + 1
            return _Index(self.text[start : self.pos], _index(match.group()))
        props = [self.name("expected an index [n] or a filter [prop=value] after '['")]
        while self.peek() == "^":
            self.pos += 1
            props.append(self.name("expected a property name after '^'"))
        if self.peek() != "=":
            self.fail("expected '=' and a value: a filter is [prop=value], an index is [n]")
        self.pos += 1
        quoted = self.peek() == '"'
        if quoted:
            value = self.quoted()
            if self.peek() != "]":
                self.fail("expected ']' after the quoted value")
        else:
            end = self.text.find("]", self.pos)
            if end < 0:
                self.fail("expected ']' to close the filter", len(self.text))
            value, self.pos = self.text[self.pos : end], end
        self.pos += 1
        return _make_filter(self.text[start : self.pos], tuple(props), value, quoted)

    def name(self, expected: str) -> str:
        if self.peek() == '"':
            return self.quoted()
        name = self.bare_name()
        if not name:
            found = self.peek()
            if found.isspace():
                self.fail(f'{expected}; names with spaces are quoted: ^"odd name"')
            self.fail(f"{expected}, found {found!r}" if found else expected)
        return name

    def spaced_name(self, name: str) -> str:
        """A variable name may hold single spaces between words, as Halo's do
        (``<<OpenAITicket Type>>``); a space before ``>>``, ``^`` or another space ends it."""
        text = self.text
        while self.peek() == " " and self.pos + 1 < len(text):
            following = text[self.pos + 1]
            if following.isspace() or following in _NAME_STOPS:
                break
            self.pos += 1
            name += " " + self.bare_name()
        return name

    def bare_name(self) -> str:
        text, start = self.text, self.pos
        end = start
        while end < len(text) and text[end] not in _NAME_STOPS and not text[end].isspace():
            end += 1
        self.pos = end
        return text[start:end]

    def quoted(self) -> str:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(chars)
            if char == "\\" and self.pos + 1 < len(self.text):
                self.pos += 1
                char = self.text[self.pos]
            chars.append(char)
            self.pos += 1
        self.fail("expected a closing '\"' for this quoted text", start)

    def finish(self, raw: bool) -> None:
        char = self.peek()
        if self.text.startswith(self.stop, self.pos) if self.stop else not char:
            return
        ending = f"'{self.stop}'" if self.stop else "the end of the path"
        if raw:
            self.fail(f"expected {ending} after '!' ('!' comes last)")
        if not char:
            self.fail(f"expected {ending} to close the reference")
        if char.isspace():
            self.fail(f'expected {ending}, found a space (quote odd names: ^"odd name")')
        self.fail(f"expected '^', '[', '!' or {ending}, found {char!r}")
