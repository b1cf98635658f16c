"""Does a text still hold a secret? Decodes rather than lists spellings.

The acceptance check for "no secret at rest" must not share the Redactor's idea of what a
spelling is, or both would miss the same one. So this oracle undoes encodings instead:
JSON escapes (any depth), percent-encoding (``+`` as space or not), HTML entities, line
breaks with their indentation, in every order up to three deep; then looks for the secret
in each view and in the base64 decoding of every base64-looking run, at every offset.

A stored file (a journal's database and WAL) is mostly pages repeated frame after frame,
separated by NUL padding; it is searched with each NUL-separated piece once (below).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote, unquote_plus

_SHORT = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# a run of base64 characters, line breaks and escaped breaks or slashes; the plain
# characters matched a run at a time, not one alternative per character: 1.4-1.8 times
# faster over the 78 MB of views test_secret_encodings searches
_BASE64_RUN = re.compile(r"(?:[A-Za-z0-9+/_=\r\n-]+|\\[rn/\r\n])+")


def json_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        escape = match.group(1)
        return chr(int(escape[1:], 16)) if escape[0] == "u" else _SHORT[escape]

    joined = re.sub(r'\\(["\\/bfnrt]|u[0-9a-fA-F]{4})', one, text)
    return joined.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_DECODERS: dict[str, Callable[[str], str]] = {
    "json": json_unescape,
    "percent": unquote,
    "form": unquote_plus,
    "html": html.unescape,
    "unwrapped": lambda text: re.sub(r"\r?\n[ \t]*", "", text),
}


def views(text: str, depth: int = 3) -> dict[str, str]:
    found = {"as is": text}
    frontier = dict(found)
    for _ in range(depth):
        following = {}
        for name, view in frontier.items():
            for decoder, decode in _DECODERS.items():
                after = decode(view)
                if after != view and after not in found.values():
                    following[f"{name} > {decoder}"] = after
        found.update(following)
        frontier = following
    return found


def _base64_decodings(runs: Iterable[str], shortest: int) -> list[bytes]:
    """What each base64-looking run (``shortest`` long or more) decodes to, at every offset
    and in both alphabets."""
    found = []
    for run in runs:
        if len(run) < shortest:
            continue
        compact = re.sub(r"\\[rn]|[\r\n\\]", "", run).replace("\\/", "/")
        for alphabet in (compact, compact.replace("-", "+").replace("_", "/")):
            for start in range(4):
                chunk = alphabet[start:].rstrip("=")
                chunk = chunk[: len(chunk) - len(chunk) % 4]
                try:
                    found.append(base64.b64decode(chunk, validate=False))
                except (binascii.Error, ValueError):
                    continue
    return found


def distinct_pieces(text: str, secrets: list[str]) -> str:
    """``text`` with each NUL-separated piece kept once (in first-seen order).

    Finds the same secrets as ``text`` itself: no decoder reads, makes or removes a NUL
    character across a piece's edge (an escape, a %XX run, an entity or a line break never
    holds one), and neither does a base64 run; so each view of the whole text is the views
    of its pieces joined by NULs, and a secret without a NUL is in a view only if it is in
    one piece's part of it. A WAL of 600 kB is 50 kB of distinct pieces: 9 times less to
    decode (test_secret_encodings). A secret holding a NUL keeps the text whole."""
    if "\0" not in text or any("\0" in secret for secret in secrets):
        return text
    return "\0".join(dict.fromkeys(piece for piece in text.split("\0") if piece))


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """Each secret ``text`` still holds, with the decoding that shows it."""
    secrets = list(secrets)
    if not secrets:
        return []
    return leaks_in_whole(distinct_pieces(text, secrets), secrets)


def leaks_in_whole(text: str, secrets: list[str]) -> list[str]:
    """``leaks`` without taking repeated pieces out first (tests/test_secret_oracle.py)."""
    if not secrets:
        return []
    shown = views(text)
    shortest = min(len(secret.encode()) for secret in secrets) * 4 // 3
    runs = {run for view in shown.values() for run in _BASE64_RUN.findall(view)}
    decoded = b"\n".join(_base64_decodings(runs, shortest))
    found = []
    for secret in secrets:
        where = next((name for name, view in shown.items() if secret in view), None)
        if where is None and secret.encode() in decoded:
            where = "base64"
        if where is not None:
            found.append(f"{secret!r} ({where})")
    return found
