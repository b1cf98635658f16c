"""Which characters text may not carry where it goes: one place, so the sets cannot drift.

Three readers take text the workbench did not write (an upstream answer, a rendered
variable, a request path) and each must keep some characters out:

* a terminal (the CLI's lines, the TUI's drawn lines) obeys C0 and C1 controls and DEL:
  ``ESC ] 52`` sets the clipboard, ``ESC [ 2 J`` clears the screen, ``\\x9b`` is a
  one-character CSI on some terminals. :data:`TERMINAL_CONTROLS` is that set, for both
  shells: the CLI *shows* them as ``\\xNN`` and keeps newline and tab (a path's syntax error
  points with a second line: :func:`shown_controls`); the TUI *drops* them, since a laid-out
  line holds neither newline nor tab and a dropped control takes no cell
  (:func:`without_controls`).
* an HTTP field value (:func:`header_control`) differs on purpose: tab is allowed (RFC 9110
  5.5: HTAB is field whitespace) and C1 code points are sent, not shown (encoded they are
  obs-text, which a field value may carry); what is refused is what ends or corrupts the
  field: the other C0 controls (CR and LF split a header) and DEL.
* one log line (:func:`log_safe`) differs on purpose too: it keeps only what
  :meth:`str.isprintable` calls printable, which also refuses Unicode line and paragraph
  separators and format characters (bidirectional overrides), since log viewers break lines
  on U+2028 and reorder text on U+202E: a crafted path could forge or disguise a line. It
  replaces with ``?`` (a log is read as text, a ``\\xNN`` there reads as the path's own) and
  caps the length.
"""

from __future__ import annotations

import re

_TERMINAL = "".join(chr(code) for code in (*range(0x20), *range(0x7F, 0xA0)))
TERMINAL_CONTROLS = re.compile(f"[{re.escape(_TERMINAL)}]")
"""C0 controls, DEL and the C1 controls: what a terminal may obey rather than show."""
_SHOWN = re.compile("[{}]".format(re.escape(_TERMINAL.replace("\n", "").replace("\t", ""))))

_HEADER_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


def without_controls(text: str) -> str:
    """``text`` without any character of :data:`TERMINAL_CONTROLS` (for drawn lines)."""
    return TERMINAL_CONTROLS.sub("", text) if TERMINAL_CONTROLS.search(text) else text


def shown_controls(text: str) -> str:
    """``text`` with every character of :data:`TERMINAL_CONTROLS` but newline and tab
    written as ``\\xNN`` (for terminal lines, which may go on over several lines)."""
    return _SHOWN.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def header_control(value: str) -> str | None:
    """The first character an HTTP field value cannot carry, or None (see the module)."""
    found = _HEADER_CONTROLS.search(value)
    return None if found is None else found.group()


def log_safe(text: str, limit: int = 200) -> str:
    """``text`` safe for one log line: at most ``limit`` characters, each unprintable one
    as ``?`` (a crafted path cannot forge or disguise a second line)."""
    if len(text) <= limit and text.isprintable():  # the usual path: no copy
        return text
    return "".join(c if c.isprintable() else "?" for c in text[:limit])
