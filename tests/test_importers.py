import json

from core.chunker import chunk_markdown, pack_paragraphs
from core.importers import export_passages, import_paths


def _words(n: int, word: str = "water") -> str:
    return " ".join([word] * n)


def test_markdown_is_split_on_headings_and_keeps_the_path():
    text = f"# Chapter 6: Water\n\n## Sources\n\n{_words(80)}.\n\n## Stills\n\n{_words(70, 'still')}.\n"
    chunks = chunk_markdown(text)
    assert [c.headings for c in chunks] == [("Chapter 6: Water", "Sources"), ("Chapter 6: Water", "Stills")]
    assert chunks[0].title == "Chapter 6: Water › Sources"


def test_paragraphs_are_packed_between_60_and_250_words():
    paragraphs = [_words(30)] * 10 + [_words(400, "long") + "."]
    packed = pack_paragraphs(paragraphs)
    sizes = [len(p.split()) for p in packed]
    assert all(s <= 250 for s in sizes)
    assert all(s >= 60 for s in sizes[:-1])


def test_import_folder_recursively_with_report(store, tmp_path):
    docs = tmp_path / "docs" / "deep" / "er"
    docs.mkdir(parents=True)
    (docs / "rafts.md").write_text(f"# Rafts\n\n{_words(70, 'raft')}\n", encoding="utf-8")
    (tmp_path / "docs" / "page.html").write_text(
        "<html><head><title>Knots</title><script>x()</script></head>"
        f"<body><h1>Bowline</h1><p>{_words(65, 'loop')}</p></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "docs" / "notes.txt").write_text(f"{_words(61, 'note')}\n\n{_words(5, 'tail')}", encoding="utf-8")
    (tmp_path / "docs" / "picture.png").write_bytes(b"\x89PNG\x00\x00")
    report = import_paths(store, [tmp_path / "docs"])
    assert report.files == 3 and report.added == 3 and not report.errors
    titles = {p.title for p in store.iter_passages()}
    assert {"Rafts", "Bowline", "Notes"} <= titles
    again = import_paths(store, [tmp_path / "docs"])
    assert again.added == 0 and again.skipped_duplicates == 3


def test_bad_files_get_a_clear_message_and_nothing_of_them_lands(store, tmp_path):
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin.txt").write_bytes("caf\xe9 ".encode("latin-1") * 30)
    (tmp_path / "bad.jsonl").write_text('{"text": "fine row"}\n{not json\n', encoding="utf-8")
    before = store.count()
    report = import_paths(store, [tmp_path])
    messages = " | ".join(report.errors)
    assert "empty" in messages and "binary" in messages and "not UTF-8" in messages
    assert "bad.jsonl, line 2" in messages
    assert store.count() == before


def test_export_import_round_trip_is_lossless(store, tmp_path):
    out = tmp_path / "export.jsonl"
    assert export_passages(store, out) == store.count()
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["id"] == "s-001" and rows[0]["text"]
    from core.store import CorpusStore

    other = CorpusStore(tmp_path / "other.sqlite", create_from_builtin=False)
    report = import_paths(other, [out])
    assert report.added == store.count()
    assert [p.to_dict() for p in other.iter_passages()] == [p.to_dict() for p in store.iter_passages()]
    other.close()


def test_fm_manual_imports_when_present(store):
    from pathlib import Path

    import pytest

    manual = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "fm3-05-70"
    if not manual.is_dir():
        pytest.skip("../shared is not present")
    report = import_paths(store, [manual])
    assert report.added > 800 and not report.errors
