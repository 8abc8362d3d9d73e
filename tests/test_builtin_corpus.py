"""The shipped library meets its rules, and the checker that says so catches what it should."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core import paths
from core.builtin import builtin_passages
from core.corpus_check import check_folder, copied_runs, read_rows
from core.store import TOPICS

MANUAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "fm3-05-70"
MIN_PASSAGES = 1200


def test_shipped_corpus_passes_every_rule():
    problems = check_folder(paths.BUILTIN_CORPUS_DIR, require_review=True)
    assert not problems, "\n".join(str(p) for p in problems[:20])


def test_shipped_corpus_is_large_and_covers_every_topic():
    passages = builtin_passages()
    assert len(passages) >= MIN_PASSAGES
    per_topic = Counter(t for p in passages for t in p.topics)
    thin = {t: per_topic[t] for t in TOPICS if per_topic[t] < 25}
    assert not thin, f"topics with under 25 passages: {thin}"


def test_importing_the_shipped_folder_imports_only_its_passages():
    """The CLI suggests ``import resources/corpus`` to seed a new corpus: notes kept there would become passages."""
    from core.importers import SUPPORTED

    importable = {f.name for f in paths.BUILTIN_CORPUS_DIR.iterdir() if f.suffix.lower() in SUPPORTED}
    assert importable == {f.name for f in paths.BUILTIN_CORPUS_DIR.glob("*.jsonl")}


def test_every_medical_passage_records_its_review():
    rows, _ = read_rows(paths.BUILTIN_CORPUS_DIR)
    medical = [r for r in rows if "first-aid" in r.data["topics"]]
    assert len(medical) > 300
    assert all(str(r.data.get("reviewed", "")).startswith("2026-") for r in medical)


@pytest.mark.skipif(not MANUAL.is_dir(), reason="needs ../shared/corpora/fm3-05-70")
def test_no_sentence_is_copied_from_the_army_manual():
    reference = [p.read_text(encoding="utf-8") for p in sorted(MANUAL.rglob("*.md"))]
    rows, _ = read_rows(paths.BUILTIN_CORPUS_DIR)
    copies = copied_runs(rows, reference)
    assert not copies, "\n".join(f"{row.id}: '{sample}'" for row, sample in copies[:20])


def _row(pid: str, text: str, **extra: object) -> str:
    data = {"id": pid, "title": f"Title {pid}", "text": text, "source": "Survival Search editors, after a test"}
    data["topics"] = ["water"]
    data.update(extra)
    return json.dumps(data)


def test_checker_reports_each_kind_of_defect(tmp_path: Path):
    long_text = " ".join(f"word{i}" for i in range(120))
    other_text = " ".join(f"other{i}" for i in range(80))
    lines = [
        _row("a-1", long_text),
        _row("a-2", long_text + " extra"),  # near-duplicate of a-1
        _row("a-1", other_text),  # id used twice
        _row("a-4", "too short to be a passage"),
        _row("a-5", other_text.replace("other", "x"), topics=["cooking"]),
        _row("a-6", other_text.replace("other", "y"), topics=["first-aid"]),  # medical, no review record
        _row("a-7", other_text.replace("other", "z"), source=""),
        "{not json",
    ]
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    messages = {p.passage_id + ": " + p.message for p in check_folder(tmp_path)}
    expected = (
        "near-duplicate of a-1",
        "id already used",
        "words; a passage has",
        "not in core.store.TOPICS",
        "without its 'reviewed' record",
        "missing or empty: source",
        "not valid JSON",
    )
    for fragment in expected:
        assert any(fragment in m for m in messages), (fragment, messages)


def test_checker_finds_a_copied_run_of_words(tmp_path: Path):
    text = "Before drinking, boil the water hard for one full minute and let it cool " + "then " * 40
    (tmp_path / "c.jsonl").write_text(_row("c-1", text.strip()) + "\n", encoding="utf-8")
    source = "The manual says: boil the water hard for one full minute and let it cool in the pot."
    assert any("copies" in p.message for p in check_folder(tmp_path, reference_texts=[source]))
    assert not any("copies" in p.message for p in check_folder(tmp_path, reference_texts=["boil water first"]))
