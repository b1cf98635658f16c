"""One definition of the control characters kept out of terminals, HTTP field values and
log lines (``core.controls``): the CLI shows and the TUI drops the same set; the header
check and the log line differ on purpose (tab and C1 in a field value; Unicode separators
and format characters in a log line)."""

from __future__ import annotations

from runbench.cli import controls as cli_controls
from runbench.core.controls import (
    TERMINAL_CONTROLS,
    header_control,
    log_safe,
    shown_controls,
    without_controls,
)
from runbench.tui import control_filter

C0 = [chr(code) for code in range(0x20)]
C1 = [chr(code) for code in range(0x80, 0xA0)]
LATIN = [chr(code) for code in range(0x20, 0x7F)] + [chr(code) for code in range(0xA0, 0x250)]


def test_the_cli_and_the_tui_share_one_set() -> None:
    assert control_filter.CONTROL is TERMINAL_CONTROLS
    assert control_filter.without_controls is without_controls
    assert cli_controls.shown_controls is shown_controls


def test_terminal_controls_are_c0_del_and_c1_only() -> None:
    for char in [*C0, "\x7f", *C1]:
        assert without_controls(f"a{char}b") == "ab", repr(char)
    for char in LATIN + ["\u2028", "\u202e", "✔"]:
        assert without_controls(f"a{char}b") == f"a{char}b", repr(char)


def test_the_cli_shows_what_the_tui_drops_but_newline_and_tab() -> None:
    for char in [*C0, "\x7f", *C1]:
        shown = shown_controls(char)
        if char in "\n\t":
            assert shown == char
        else:
            assert shown == f"\\x{ord(char):02x}"
    assert shown_controls("".join(LATIN)) == "".join(LATIN)


def test_a_header_value_keeps_tab_and_c1_and_refuses_the_rest_of_c0_and_del() -> None:
    for char in C0 + ["\x7f"]:
        assert header_control(f"v{char}w") == (None if char == "\t" else char), repr(char)
    for char in C1 + LATIN:
        assert header_control(f"v{char}w") is None, repr(char)
    assert header_control("a\r\nX-Injected: 1") == "\r"


def test_a_log_line_refuses_separators_and_format_characters_too() -> None:
    assert log_safe("/runbooks/ok") == "/runbooks/ok"
    assert log_safe("/a\nforged 200") == "/a?forged 200"
    assert log_safe("/a\u2028b\u202ec\x9bd") == "/a?b?c?d"
    assert log_safe("/" + "x" * 500, limit=20) == "/" + "x" * 19
