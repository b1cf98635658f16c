"""Child processes for work that must not hold this process's GIL: one helper, four uses.

Parsing or re-indenting a 50 MiB JSON body holds the GIL for seconds, so the workbench and
the executor hand it to ``python -m <module>``: output paths over a big body
(``core.http``), the expression checker's parsed response (``tui.state.response_scope``)
the response viewer's formatting (``tui.state.format_child``) and its search of a big
body (``tui.state.search_child``, handed the formatted file's descriptor: ``pass_fds``).
They share what is
easy to get wrong, here, once:

* the command (this interpreter, ``-m module``), pipes, stderr dropped, and optionally a
  lower priority in the child so key presses come first (``ChildSpec``,
  ``lower_priority``: niced, and on Linux in a session of its own whose group is niced);
* the frame on stdin: one JSON header line, then the body, ``size`` bytes when the header
  says so, else up to EOF (``write_frame`` / ``read_frame``), written in slices so the
  parent never encodes or copies a 50 MiB body at once;
* ending a child: kill, reap and close its pipes, safe to repeat (``end``); and the child
  ending itself when its parent is gone, however it went (``die_with_parent``, first thing
  in every child's main: a lifeline pipe from ``spawn``, or a ``Lifeline`` passed by hand
  for serve's worker process, which is started its own way).

What each child answers stays with its caller (a JSON document, JSON lines, a binary
index): those protocols differ because the callers need different things.
"""

from runbench.core.child._process import (
    LIFELINE,
    PARENT_GONE,
    SLICE,
    ChildSpec,
    Lifeline,
    die_with_parent,
    end,
    frame_header,
    lower_priority,
    read_frame,
    spawn,
    spawn_async,
    write_frame,
)

__all__ = [
    "LIFELINE",
    "PARENT_GONE",
    "SLICE",
    "ChildSpec",
    "Lifeline",
    "die_with_parent",
    "end",
    "frame_header",
    "lower_priority",
    "read_frame",
    "spawn",
    "spawn_async",
    "write_frame",
]
