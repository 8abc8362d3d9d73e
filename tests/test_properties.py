"""Property-based tests (Hypothesis): tokenizer, chunker, importers, and the lossless export -> import round trip."""

from __future__ import annotations

import string
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.chunker import MAX_WORDS, MIN_WORDS, chunk_html, chunk_markdown, chunk_text, pack_paragraphs
from core.errors import ImportFileError
from core.importers import export_passages, import_paths, passages_from_document, read_text
from core.records import Passage
from core.store import CorpusStore
from core.tokenizer import tokenize

FAST = settings(max_examples=200, deadline=None)
STORE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with the characters that break naive code: line and paragraph separators, quotes, commas,
# semicolons, tabs, CR, NUL, emoji, right-to-left letters, combining marks.
NASTY = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\r",
        "\u2028",
        "\u2029",
        "\x85",
        "\x0b",
        "\x0c",
        "\x1c",
        '"',
        "'",
        ",",
        ";",
        "\t",
        "\x00",
        "💧",
        "ماء",
        "מים",
        "e\u0301",
        "ß",
        "İ",
        "Σ",
        "[",
        "]",
        "{",
        "}",
        "\\",
        "# ",
        "```",
        "<p>",
        "&amp;",
    ]
)
TEXT = st.lists(st.one_of(st.text(min_size=1, max_size=12), NASTY), max_size=25).map("".join)
WORDS = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits + ".,!?'", min_size=1, max_size=10), min_size=1, max_size=40
)


# ------------------------------------------------------------------------------------------ tokenizer
@FAST
@given(TEXT)
def test_tokens_are_lowercase_ascii_words(text):
    for token in tokenize(text):
        assert token and token.isascii() and token.isalnum() and token == token.lower()


@FAST
@given(st.text(alphabet=string.printable))
def test_tokenizing_ignores_case(text):
    assert tokenize(text.upper()) == tokenize(text) == tokenize(text.lower())


@FAST
@given(TEXT)
def test_tokenizing_ignores_unicode_normal_form_and_accents(text):
    assert tokenize(unicodedata.normalize("NFC", text)) == tokenize(unicodedata.normalize("NFD", text))


@FAST
@given(TEXT, TEXT)
def test_tokenizing_splits_at_spaces(a, b):
    assert tokenize(f"{a} {b}") == tokenize(a) + tokenize(b)


# ------------------------------------------------------------------------------------------ chunker
@FAST
@given(st.lists(WORDS.map(" ".join), max_size=30))
def test_packing_keeps_every_word_in_order_within_the_size_limit(paragraphs):
    packed = pack_paragraphs(paragraphs)
    assert " ".join(packed).split() == " ".join(paragraphs).split()
    assert all(p.strip() for p in packed)
    assert all(len(p.split()) <= MAX_WORDS + MIN_WORDS for p in packed)


@FAST
@given(st.lists(st.integers(1, 400), max_size=12))
def test_packing_respects_the_limits_on_real_sized_paragraphs(sizes):
    paragraphs = [" ".join(f"w{i}" for i in range(n)) + "." for n in sizes]
    packed = pack_paragraphs(paragraphs)
    counts = [len(p.split()) for p in packed]
    assert sum(counts) == sum(sizes)
    assert all(c <= MAX_WORDS + MIN_WORDS for c in counts)


SECTION = st.tuples(
    st.integers(1, 4),
    st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=20).filter(str.strip),
    st.lists(WORDS.map(" ".join), min_size=1, max_size=4),
)


@FAST
@given(st.lists(SECTION, min_size=1, max_size=6))
def test_markdown_chunks_keep_every_body_word_under_its_heading(sections):
    markdown = "\n\n".join(
        f"{'#' * level} {heading}\n\n" + "\n\n".join(paragraphs) for level, heading, paragraphs in sections
    )
    chunks = chunk_markdown(markdown, "Doc")
    body = [w for _, _, paragraphs in sections for p in paragraphs for w in p.split()]
    assert [w for c in chunks for w in c.text.split()] == body
    last_headings = {heading.strip() for _, heading, _ in sections}
    assert all(c.headings and c.headings[-1] in last_headings for c in chunks)


@FAST
@given(TEXT)
def test_chunkers_never_fail_on_any_text(text):
    for chunks in (chunk_markdown(text, "T"), chunk_text(text, "T"), chunk_html(text, "T")):
        assert all(c.text.strip() for c in chunks)


# ------------------------------------------------------------------------------------------ importers
@FAST
@given(TEXT.filter(lambda t: t.strip() and "\x00" not in t), st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_read_text_decodes_what_was_written(text, encoding):
    text = text.encode("utf-8", "replace").decode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.txt"
        path.write_bytes(text.encode(encoding))
        if encoding == "utf-16" or text.encode("utf-8").strip():
            assert read_text(path) == text


@FAST
@given(st.binary(max_size=300), st.sampled_from([".md", ".txt", ".html", ".jsonl", ".csv"]))
@example(b"\xff\xfe\x00", ".md")
@example(b'{"text": "\\ud800"}', ".jsonl")
@example(b'text\n"', ".csv")
def test_any_bytes_either_import_or_are_refused_with_a_reason(data, suffix):
    from core.importers import passages_from_records

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(data)
        try:
            passages = (
                passages_from_records(path) if suffix in (".jsonl", ".csv") else passages_from_document(path, "s")
            )
        except ImportFileError as exc:
            assert str(exc).startswith(str(path))
        else:
            assert passages and all(p.text.strip() for p in passages)


@FAST
@given(st.lists(WORDS.map(" ".join), min_size=1, max_size=10))
def test_a_text_document_imports_every_word(paragraphs):
    text = "\n\n".join(paragraphs)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "notes.txt"
        path.write_text(text, encoding="utf-8")
        passages = passages_from_document(path, "notes.txt")
    assert [w for p in passages for w in p.text.split()] == text.split()


# ------------------------------------------------------------------------------------------ round trip
PASSAGE = st.builds(
    Passage,
    id=st.just(""),
    title=TEXT.filter(lambda t: t.replace("\x00", "").strip()),
    text=TEXT.filter(lambda t: t.replace("\x00", "").strip()),
    source=TEXT,
    section=TEXT,
    topics=st.lists(TEXT, max_size=4),
    origin=st.sampled_from(["user", "import", "builtin"]),
)


def _dicts(store: CorpusStore) -> list[dict]:
    return [p.to_dict() for p in store.iter_passages()]


@STORE
@given(st.lists(PASSAGE, min_size=1, max_size=8), st.sampled_from([".jsonl", ".csv"]), st.booleans())
def test_export_then_import_is_lossless(passages, suffix, with_duplicates):
    if with_duplicates:
        passages = passages + [
            Passage(id="", title=p.title, text=p.text.upper(), origin=p.origin) for p in passages[:2]
        ]
    with tempfile.TemporaryDirectory() as folder:
        with CorpusStore(Path(folder) / "a.sqlite", create_from_builtin=False) as source:
            source.add_passages(passages, skip_duplicates=False)
            out = Path(folder) / f"export{suffix}"
            assert export_passages(source, out) == source.count()
            with CorpusStore(Path(folder) / "b.sqlite", create_from_builtin=False) as target:
                report = import_paths(target, [out])
                assert report.errors == []
                assert _dicts(target) == _dicts(source)
                again = import_paths(target, [out])  # importing the same export twice adds nothing
                assert again.added == 0 and _dicts(target) == _dicts(source)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_round_trip_of_a_passage_at_the_size_limit(tmp_path, suffix):
    from core.store import MAX_TEXT_CHARS

    with CorpusStore(tmp_path / "a.sqlite", create_from_builtin=False) as source:
        source.add_passage(
            "Long", ("Layer up, stay dry. " * 20_000)[: MAX_TEXT_CHARS - 1] + "x", topics=["cold; wet", "a,b"]
        )
        export_passages(source, tmp_path / f"out{suffix}")
        with CorpusStore(tmp_path / "b.sqlite", create_from_builtin=False) as target:
            assert import_paths(target, [tmp_path / f"out{suffix}"]).errors == []
            assert _dicts(target) == _dicts(source)
