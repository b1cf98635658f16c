"""The Redactor's shortcuts blank exactly what the text-by-text path blanks.

``texts`` searches many texts joined in one scan, ``headers`` remembers pairs that showed
as they are, and ``url`` splits a URL without user info by hand: each must give what
``text`` gives value by value, and a secret (or a sensitive header name) learned after a
pair was remembered must still be blanked in it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from runbench.core.secrets import REDACTED, Redactor

SECRET = "s3cr3t-Value/+="
PIECES = st.sampled_from(
    [
        SECRET,
        "s3cr3t-Va",
        "lue/+=",
        "%73",
        "\n",
        "\\n",
        "…",
        "...",
        "&#",
        "\x00",
        " ",
        "a",
        "/",
        "+",
    ]
)
A_TEXT = st.lists(PIECES, max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(A_TEXT, max_size=6))
def test_texts_is_text_of_each(texts: list[str]) -> None:
    redactor = Redactor([SECRET])
    assert redactor.texts(texts) == [redactor.text(text) for text in texts]


def test_texts_without_a_known_secret_are_kept() -> None:
    assert Redactor().texts(["a", SECRET]) == ["a", SECRET]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(A_TEXT, min_size=1, max_size=5))
def test_headers_are_blanked_as_value_by_value(values: list[str]) -> None:
    redactor = Redactor([SECRET])
    pairs = [(f"X-H{index}", value) for index, value in enumerate(values)]
    expected = [(name, redactor.text(value)) for name, value in pairs]
    assert redactor.headers(pairs) == expected
    assert redactor.headers(pairs) == expected  # the second time from what it remembered


def test_a_remembered_header_is_blanked_once_its_secret_is_known() -> None:
    redactor = Redactor()
    pairs = [("X-Echo", f"value {SECRET}"), ("Accept", "*/*")]
    assert redactor.headers(pairs) == pairs
    redactor.add(SECRET)
    assert redactor.headers(pairs) == [("X-Echo", f"value {REDACTED}"), ("Accept", "*/*")]


def test_a_remembered_header_is_blanked_once_its_name_is_sensitive() -> None:
    redactor = Redactor()
    pairs = [("X-Custom", "abc123")]
    assert redactor.headers(pairs) == pairs
    redactor.sensitive_header("x-custom")
    assert redactor.headers(pairs) == [("X-Custom", REDACTED)]


def test_a_header_holding_a_secret_is_never_remembered_as_plain() -> None:
    redactor = Redactor([SECRET])
    pairs = [("X-Echo", SECRET)]
    assert redactor.headers(pairs) == [("X-Echo", REDACTED)]
    assert redactor.headers(pairs) == [("X-Echo", REDACTED)]


def test_sensitive_query_name_moves_the_version() -> None:
    redactor = Redactor()
    seen = redactor.version
    redactor.sensitive_query("sid")
    redactor.sensitive_query("SID")  # nothing new
    assert redactor.version == seen + 1


def test_url_query_and_fragment_without_user_info() -> None:
    redactor = Redactor([SECRET])
    url = f"https://h.example/p?page=2&token=abc&q={SECRET}#frag?key=kept-in-fragment"
    assert redactor.url(url) == (
        f"https://h.example/p?page=2&token={REDACTED}&q={REDACTED}#frag?key=kept-in-fragment"
    )


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | A_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(A_TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(values=st.dictionaries(st.sampled_from(["n", "token", "x"]), JSON_VALUES, max_size=3))
def test_stored_is_variables_and_kept_as_is_when_nothing_changes(values: dict[str, object]) -> None:
    """``stored`` (what serve writes for every delivery) skips the walk where it can: it
    must still equal ``variables``, and be the very mapping it was given when equal."""
    for redactor in (Redactor(), Redactor([SECRET]), Redactor(names=["token"])):
        stored = redactor.stored(values)
        assert stored == redactor.variables(values)
        if stored == values:
            assert stored is values


def test_url_with_user_info_blanks_its_query_and_keeps_the_fragment() -> None:
    redactor = Redactor()
    url = "https://me@h.example/p?email=a@b.example&token=t1#key=kept"
    assert (
        redactor.url(url) == f"https://me@h.example/p?email=a@b.example&token={REDACTED}#key=kept"
    )
    # not a URL urlsplit accepts (an unclosed IPv6 bracket): its query is still blanked
    assert redactor.url("http://[::1@h/?token=t2") == f"http://[::1@h/?token={REDACTED}"
