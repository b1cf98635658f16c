"""What the expression checker finds for a path, as plain data, and a ``ResponseScope``
that keeps a response parsed (a big one in a child process) so the checker can ask it
path after path.

The first check against a 50 MiB body used to parse it in a thread: ``json.loads`` holds
the GIL for a second or more, so the whole workbench froze. Above ``OFFLOAD_THRESHOLD``
the parsed scope lives in ``python -m runbench.tui.state.response_scope`` instead, started on
the first check for a response and stopped when a newer answer arrives for the method,
when the checker moves to another response, or when the app ends. The checker (in a thread worker) sends the path text; the child compiles
and evaluates it and answers with a :class:`Checked`, the same plain data
:func:`check_path` gives in process for small bodies (parsed once in the checker's
thread, as before), so both look alike once rendered.

Protocol: stdin gets one JSON line (status, header pairs, body size), the UTF-8 body,
then one JSON string per line (a path); stdout answers ``{"ready": true}`` once parsed,
then one JSON object (a Checked) per path. The child exits at EOF on stdin, so it never
outlives the workbench. If it cannot start or dies, :meth:`ResponseScope.check` parses the
body in the calling thread instead (the old, freezing way, but the right answer).

No textual or rich here: the child should start fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import IO, Any

from runbench.core.child import ChildSpec, die_with_parent, end, read_frame, spawn, write_frame
from runbench.core.errors import ExpressionError, NoMatchError, PathSyntaxError
from runbench.core.expressions import compile_path
from runbench.core.http import OFFLOAD_THRESHOLD, Headers, ResponseRecord, output_scope

RESULT_LIMIT = 20_000
"""Characters of a found value shown (the rest is cut, with a note)."""


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one path; ``kind`` says which fields matter.

    * ``value``: ``type_name``, ``raw``, ``shown`` (cut to RESULT_LIMIT), ``more`` (cut chars)
    * ``syntax``: ``position`` (0-based), ``reason``, ``expression``
    * ``invalid`` (compile failed otherwise) / ``error`` (evaluation failed): ``message``
    * ``no_match``: ``message``, ``segment``
    * ``no_scope``: valid, but there is no response to check it against
    """

    kind: str
    message: str = ""
    segment: str = ""
    position: int = 0
    reason: str = ""
    expression: str = ""
    type_name: str = ""
    raw: bool = False
    shown: str = ""
    more: int = 0

    @property
    def usable(self) -> bool:
        """Could the path be an output (it compiles)?"""
        return self.kind not in ("syntax", "invalid")


def check_path(text: str, scope: Mapping[str, Any] | None) -> Checked:
    """Compile ``text`` and evaluate it over ``scope`` (None: no response yet)."""
    try:
        path = compile_path(text)
    except PathSyntaxError as exc:
        return Checked(
            "syntax", position=exc.position, reason=exc.reason, expression=exc.expression
        )
    except ExpressionError as exc:
        return Checked("invalid", message=str(exc))
    if scope is None:
        return Checked("no_scope")
    try:
        value = path.evaluate(scope)
    except NoMatchError as exc:
        return Checked("no_match", message=str(exc), segment=exc.segment)
    except ExpressionError as exc:
        return Checked("error", message=str(exc))
    return found(value, path.raw)


def found(value: Any, raw: bool) -> Checked:
    """A found value as the checker shows it: raw text, else indented JSON, cut."""
    kind = type(value).__name__ if value is not None else "null"
    if raw and isinstance(value, str):
        shown = value
    else:
        shown = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return Checked(
        "value",
        type_name=kind,
        raw=raw,
        shown=shown[:RESULT_LIMIT],
        more=max(len(shown) - RESULT_LIMIT, 0),
    )


class _Stopped(Exception):
    """stop() was called while a check was under way."""


class ResponseScope:
    """One response's parsed scope: here for a body up to ``threshold`` characters, else
    in a child process started on first use. Creating one does no work.

    Thread-safe: checks are serialized (one request and answer at a time); ``stop()``
    never waits for them. After ``stop()`` a later check starts a new child."""

    def __init__(
        self,
        response: ResponseRecord,
        *,
        threshold: int = OFFLOAD_THRESHOLD,
        python: str = sys.executable,
    ) -> None:
        self.response = response
        self.big = len(response.body) > threshold
        self.python = python
        self._lock = threading.Lock()  # one check at a time
        self._state = threading.Lock()  # guards _child and _stops, never held during I/O
        self._child: subprocess.Popen[bytes] | None = None
        self._stops = 0
        self._ready = False
        self._local: dict[str, Any] | None = None  # the scope, parsed here after a failure

    @property
    def ready(self) -> bool:
        """Has the child parsed the body (or is the scope here)?"""
        return self._ready or self._local is not None

    def check(
        self,
        text: str,
        *,
        waiting: Callable[[], None] = lambda: None,
        wanted: Callable[[], bool] = lambda: True,
    ) -> Checked | None:
        """What ``text`` finds; blocks (call it from a thread). ``waiting`` is called
        first when a big body is still being parsed. None when ``wanted()`` turned False
        while an earlier check ran (a newer keystroke made this one moot) or when
        ``stop()`` cut this one short."""
        if self.big and not self.ready:
            waiting()
        with self._lock:
            if not wanted():
                return None
            if self._local is None and not self.big:
                self._local = self.response.scope()
            if self._local is not None:
                return check_path(text, self._local)
            stops = self._stops
            try:
                return self._ask(text, stops)
            except _Stopped:
                return None
            except (OSError, ValueError, TypeError, KeyError):
                if self._stops != stops:
                    return None
                self.stop()
                self._local = self.response.scope()
                return check_path(text, self._local)

    def stop(self) -> None:
        """End the child (if any); safe to call from any thread, more than once."""
        with self._state:
            self._stops += 1
            child, self._child = self._child, None
            self._ready = False
        end(child)

    def _ask(self, text: str, stops: int) -> Checked:
        child = self._child
        if child is None:
            child = self._start()
            with self._state:
                if self._stops == stops:
                    self._child = child
            if self._child is not child:
                end(child)
                raise _Stopped
        stdin, stdout = _pipes(child)
        if not self._ready:
            _expect_ready(stdout)
            self._ready = True
        stdin.write(json.dumps(text).encode() + b"\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise OSError("the scope process ended")
        return Checked(**json.loads(line))

    def _start(self) -> subprocess.Popen[bytes]:
        child = spawn(ChildSpec("runbench.tui.state.response_scope", self.python))
        body = self.response.body.encode("utf-8", "surrogatepass")
        header = {
            "status": self.response.status,
            "headers": self.response.headers,
            "size": len(body),
        }
        try:
            stdin, _ = _pipes(child)
            write_frame(stdin, header, body)
        except OSError:
            end(child)
            raise
        return child


def _pipes(child: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    if child.stdin is None or child.stdout is None:
        raise OSError("the scope process has no pipes")
    return child.stdin, child.stdout


def _expect_ready(stdout: IO[bytes]) -> None:
    line = stdout.readline()
    if not line or json.loads(line) != {"ready": True}:
        raise OSError("the scope process could not parse the response")


def _child_main() -> None:
    die_with_parent()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    header, raw = read_frame(stdin)
    body = raw.decode("utf-8", "surrogatepass")
    headers: Headers = tuple((k, v) for k, v in header["headers"])
    scope = output_scope(body, header["status"], headers)[0]
    stdout.write(b'{"ready": true}\n')
    stdout.flush()
    for line in stdin:
        checked = check_path(json.loads(line), scope)
        stdout.write(json.dumps(asdict(checked)).encode() + b"\n")
        stdout.flush()


__all__ = ["OFFLOAD_THRESHOLD", "RESULT_LIMIT", "Checked", "ResponseScope", "check_path", "found"]


if __name__ == "__main__":
    _child_main()
