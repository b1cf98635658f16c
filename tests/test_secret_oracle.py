"""The test oracle for secrets (``secret_oracle``) searches a stored file's distinct
NUL-separated pieces once each, to be fast on a journal's WAL. That must find exactly what
searching the whole text finds, or the at-rest checks built on it would be weaker."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from hypothesis import example, given
from hypothesis import strategies as st

from secret_oracle import leaks, leaks_in_whole

SECRET = "s3cr/et&<x>+é"

# pieces made of the secret's fragments and of what the decoders read (escapes, %XX,
# entities, line breaks, base64), so decodings meet, and break, at the NULs between them
FRAGMENTS = st.sampled_from(
    [
        SECRET[:5],
        SECRET[5:],
        json.dumps(SECRET)[1:-1],
        quote(SECRET, safe=""),
        base64.b64encode(SECRET.encode()).decode(),
        "\\u00",
        "e9",
        "%",
        "%C3",
        "&amp;",
        "&#",
        "\\",
        "\n  ",
        "\r\n",
        "\ud83d",
        "\\ud83d",
        "x",
    ]
)
PIECES = st.lists(st.lists(FRAGMENTS, max_size=6).map("".join), max_size=6)


@given(pieces=PIECES, repeats=st.lists(st.integers(0, 5), max_size=12), nuls=st.integers(1, 3))
@example(pieces=[SECRET[:5] + "\r\n  " + SECRET[5:], "x"], repeats=[1, 0, 1, 0], nuls=2)
@example(pieces=[quote(SECRET, safe="")[:-3], "%A9"], repeats=[0, 1], nuls=1)  # cut by a NUL
def test_distinct_pieces_find_what_the_whole_text_finds(
    pieces: list[str], repeats: list[int], nuls: int
) -> None:
    chosen = [pieces[i % len(pieces)] for i in repeats] if pieces else []
    text = ("\0" * nuls).join(chosen)
    secrets = [SECRET, SECRET[2:9]]
    assert leaks(text, secrets) == leaks_in_whole(text, secrets)


def test_a_secret_once_among_repeated_padded_pages_is_found() -> None:
    page = "header" + "\0" * 200 + '{"kept": "plain"}' + "\0" * 300
    hidden = "row " + json.dumps(SECRET).replace("&", "\\u0026") + "\0"
    wal = page * 50 + hidden + page * 50
    assert leaks(wal, [SECRET]) == [f"{SECRET!r} (as is > json)"]
    assert leaks(page * 100, [SECRET]) == []


def test_a_secret_holding_a_nul_is_looked_for_in_the_whole_text() -> None:
    secret = "ab\0cd-secret"
    assert leaks("pad\0\0pad\0" + secret + "\0pad", [secret]) == [f"{secret!r} (as is)"]
