"""A newer built-in library reaches an existing corpus, and nothing the user wrote is touched."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.builtin import builtin_passages, populate_from_builtin
from core.builtin_update import (
    GIVEN_KEY,
    HISTORY_FILE,
    RELEASE_KEY,
    fingerprint,
    record_release,
    update_from_builtin,
)
from core.records import Passage
from core.search import SearchEngine
from core.store import CorpusStore, content_hash

OLD_RELEASE_TIME = "2026-01-01T00:00:00+00:00"  # when the v1 passages first shipped, before any corpus here
V1 = [
    ("b-001", "Boiling water", "Boil water for one minute to make it safe."),
    ("b-002", "Nosebleed", "Pinch the nose for 10 minutes; see a doctor after 20 to 30 minutes."),
    ("b-003", "Tetanus", "See a doctor if your booster is five to ten years old."),
    ("b-004", "Lightning", "Wait 30 minutes after the last thunder."),
]


def _write_release(folder: Path, rows: list[tuple[str, str, str]], history: list[Path] = ()) -> Path:
    folder.mkdir(parents=True)
    with open(folder / "lib.jsonl", "w", encoding="utf-8") as fh:
        for pid, title, text in rows:
            fh.write(
                json.dumps({"id": pid, "title": title, "text": text, "source": "Test", "topics": ["water"]}) + "\n"
            )
    prints: dict[str, set[str]] = {}
    for older in [*history, folder]:
        for p in builtin_passages(older):
            prints.setdefault(p.id, set()).add(fingerprint(p))
    first = {p.id: OLD_RELEASE_TIME for older in history for p in builtin_passages(older)}
    history_data = {"fingerprints": {pid: sorted(v) for pid, v in prints.items()}, "first_shipped": first}
    (folder / HISTORY_FILE).write_text(json.dumps(history_data), encoding="utf-8")
    return folder


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    return _write_release(tmp_path / "v1", V1)


@pytest.fixture
def v2(tmp_path: Path, v1: Path) -> Path:
    rows = [
        V1[0],
        ("b-002", "Nosebleed", "Pinch the nose for 10 minutes; see a doctor after about 20 minutes."),
        ("b-003", "Tetanus", "A bite is a dirty wound: see a doctor if your booster is over 5 years old."),
        ("b-004", "Lightning", "Wait 30 minutes after the last thunder before going out again."),
        ("b-005", "Flash floods", "Never drive into floodwater: 30 cm of moving water can float a car."),
    ]
    return _write_release(tmp_path / "v2", rows, history=[v1])


def _corpus_from(tmp_path: Path, release: Path) -> CorpusStore:
    """A corpus made the way the app makes one: filled from the built-in library, release recorded."""
    store = CorpusStore(tmp_path / "user.sqlite", create_from_builtin=False)
    populate_from_builtin(store, release)
    store.set_meta("builtin", "loaded")
    record_release(store, release)
    return store


def test_unedited_passages_get_the_correction_and_user_edits_and_deletions_stay(tmp_path, v1, v2):
    store = _corpus_from(tmp_path, v1)
    store.update_passage("b-003", text="My own note: booster every 10 years, ask the clinic.")
    store.delete_passages(["b-004"])
    report = update_from_builtin(store, v2)
    assert report is not None
    assert sorted(report.corrected) == ["b-002"]
    assert report.added == ["b-005"]
    assert report.kept_edited == ["b-003"]
    assert store.get("b-002").text.endswith("after about 20 minutes.")
    assert store.get("b-003").text.startswith("My own note")  # the user's words, untouched
    assert store.get("b-004") is None  # deleted by the user: not brought back
    assert store.get("b-001").updated_at == store.get("b-001").created_at  # unchanged passages not rewritten
    assert report.summary() == (
        "Built-in library updated: 1 passage corrected and 1 new passage added. 1 passage you edited was kept "
        "as you wrote it."
    )
    hits = SearchEngine(store, persist_index=False).search("drive into floodwater").hits
    assert hits and hits[0].id == "b-005"
    assert update_from_builtin(store, v2) is None  # recorded: the next opening does nothing
    store.close()


def test_an_update_is_postponed_when_no_backup_can_be_made(tmp_path, v1, v2, monkeypatch):
    import core.safety

    store = _corpus_from(tmp_path, v1)
    monkeypatch.setattr(core.safety, "backup_before", lambda *_a: None)
    report = update_from_builtin(store, v2)
    assert report.skipped and not report.summary().startswith("Built-in library updated")
    assert store.get("b-002").text.endswith("20 to 30 minutes.") and store.get("b-005") is None
    monkeypatch.undo()
    assert sorted(update_from_builtin(store, v2).corrected) == ["b-002", "b-003", "b-004"]  # tried again later
    store.close()


def test_a_corpus_made_before_releases_were_recorded_gets_new_passages_not_deleted_ones(tmp_path, v1, v2):
    store = _corpus_from(tmp_path, v1)
    store.delete_passages(["b-004"])
    store.db.execute("DELETE FROM meta WHERE key IN (?, ?)", [GIVEN_KEY, RELEASE_KEY])  # as an older app left it
    report = update_from_builtin(store, v2)
    assert report.added == ["b-005"]  # new in v2; b-004 had shipped before this corpus was filled: deleted
    assert sorted(report.corrected) == ["b-002", "b-003"] and store.get("b-004") is None
    store.close()


def test_an_edit_made_in_another_window_during_the_update_is_kept(tmp_path, v1, v2, monkeypatch):
    import core.safety

    store = _corpus_from(tmp_path, v1)
    other = CorpusStore(store.path, create_from_builtin=False)
    real_backup = core.safety.backup_before

    def backup_then_edit_elsewhere(target, reason):  # noqa: ANN001, ANN202 - the gap between reading and writing
        other.update_passage("b-002", text="My clinic says 15 minutes of pinching.")
        return real_backup(target, reason)

    monkeypatch.setattr(core.safety, "backup_before", backup_then_edit_elsewhere)
    report = update_from_builtin(store, v2)
    assert "b-002" in report.kept_edited and "b-002" not in report.corrected
    assert store.get("b-002").text == "My clinic says 15 minutes of pinching."
    other.close()
    store.close()


def test_a_stored_passage_the_cleaning_now_refuses_counts_as_the_users_and_opening_goes_on(tmp_path, v1, v2):
    store = _corpus_from(tmp_path, v1)
    store.db.execute("UPDATE passages SET title = ? WHERE id = 'b-002'", ["T" * 5000])
    report = update_from_builtin(store, v2)
    assert "b-002" in report.kept_edited and store.get("b-002").title == "T" * 5000
    store.close()


def test_a_corpus_the_user_filled_is_never_touched(tmp_path, v2):
    store = CorpusStore(tmp_path / "own.sqlite", create_from_builtin=False)
    store.add_passage("Boiling water", "Boil water for one minute to make it safe.")
    assert update_from_builtin(store, v2) is None
    assert store.count() == 1
    store.close()


def test_corrected_and_new_passages_get_their_shipped_vectors(tmp_path, v1, v2):
    shipped = {p.id: p for p in builtin_passages(v2)}
    vectors = np.eye(len(shipped), 8, dtype=np.float32)
    np.savez(
        v2 / "embeddings.npz",
        model=np.array("test-model"),
        ids=np.array(list(shipped)),
        hashes=np.array([content_hash(p.text) for p in shipped.values()]),
        vectors=vectors,
    )
    store = _corpus_from(tmp_path, v1)
    update_from_builtin(store, v2)
    ids, matrix = store.embeddings_of("test-model", ["b-002", "b-005", "b-001"])
    assert sorted(ids) == ["b-002", "b-005"]  # b-001 did not change, so it was not re-embedded here
    store.close()


def test_the_shipped_history_lists_the_current_version_of_every_built_in_passage():
    """Fails when a shipped passage was edited without running scripts/builtin_history.py."""
    from core import paths
    from core.builtin_update import shipped_history

    history = shipped_history(paths.BUILTIN_CORPUS_DIR)
    stale = [p.id for p in builtin_passages() if fingerprint(p) not in history.get(p.id, ())]
    assert not stale, f"run scripts/builtin_history.py: {stale[:5]}"


def test_fingerprints_ignore_only_what_the_store_cleans():
    base = Passage(id="x", title="T", text="Boil water.", source="S", topics=["water"])
    assert fingerprint(base) == fingerprint(
        Passage(id="x", title=" T ", text="Boil water.\n", source="S ", topics=["Water"])
    )
    assert fingerprint(base) != fingerprint(
        Passage(id="x", title="T", text="Boil water!", source="S", topics=["water"])
    )
    assert fingerprint(base) != fingerprint(
        Passage(id="x", title="T", text="Boil water.", source="S2", topics=["water"])
    )
