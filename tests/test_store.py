import sqlite3

import pytest

from core.errors import CorpusCorruptError, ValidationError
from core.store import SCHEMA_VERSION, CorpusStore


def test_builtin_passages_are_loaded_with_sources(store):
    assert store.count() == 8
    passage = store.get("s-001")
    assert passage.title == "Boiling water"
    assert passage.source == "Test source"
    assert passage.topics == ["water"]
    assert passage.created_at and passage.updated_at


def test_schema_version_wal_and_application_id(store):
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_add_edit_delete_and_restore(store):
    passage = store.add_passage("Ice travel", "Test ice with a pole before stepping on it.", "My notes", ["cold"])
    assert passage.id.startswith("u-")
    edited = store.update_passage(passage.id, text="Check ice thickness: at least 10 cm for walking.")
    assert "10 cm" in edited.text and edited.source == "My notes"
    deleted = store.delete_passages([passage.id])
    assert store.get(passage.id) is None
    store.restore_passages(deleted)
    assert store.get(passage.id).text == edited.text


def test_undo_of_a_delete_brings_back_bookmarks_and_vectors(store):
    import numpy as np

    kept, other = store.add_passage("Snow cave", "Dig into a deep drift."), store.add_passage("Tarp", "Pitch it low.")
    store.set_bookmark(kept.id, True)
    store.save_embeddings("m", {kept.id: np.ones(4, dtype=np.float32), other.id: np.zeros(4, dtype=np.float32)})
    deleted = store.delete_passages([kept.id, other.id])
    assert store.bookmarks() == [] and store.embeddings("m")[0] == []
    store.restore_passages(deleted)
    assert store.bookmarks() == [kept.id]
    ids, vectors = store.embeddings("m")
    assert sorted(ids) == sorted([kept.id, other.id])
    assert np.allclose(vectors[ids.index(kept.id)], 1.0)


def test_validation_refuses_empty_text_or_title(store):
    with pytest.raises(ValidationError, match="text is empty"):
        store.add_passage("Title", "   ")
    with pytest.raises(ValidationError, match="no title"):
        store.add_passage("", "Some text")
    assert store.count() == 8


def test_failed_write_changes_nothing(store):
    before = store.count()
    from core.records import Passage

    good = Passage(id="", title="A", text="first new passage", origin="import")
    bad = Passage(id="", title="B", text="", origin="import")
    with pytest.raises(ValidationError):
        store.add_passages([good, bad])
    assert store.count() == before


def test_duplicates_are_skipped_on_import(store):
    from core.records import Passage

    dup = Passage(
        id="",
        title="x",
        text=(
            "  BRING water to a rolling boil for at least one minute to kill germs; at altitudes above 2,000 metres"
            " boil for three minutes. Let it cool in a covered pot."
        ),
        origin="import",
    )
    added, skipped = store.add_passages([dup])
    assert (added, skipped) == ([], 1)


def test_judgments_and_bookmarks(store):
    store.add_judgment("how to boil water", "s-001", 1.0)
    store.set_bookmark("s-003", True)
    assert store.judgments()[0]["passage_id"] == "s-001"
    assert store.bookmarks() == ["s-003"]
    with pytest.raises(ValidationError):
        store.add_judgment("q", "s-001", 2.0)


def test_a_replacing_judgment_takes_the_place_of_the_earlier_one_in_one_write(store):
    store.add_judgment("how to boil water", "s-001", 1.0, origin="gui")
    store.add_judgment("how to boil water", "s-001", 1.0, origin="cli")
    store.add_judgment("how to boil water", "s-002", 1.0, origin="gui")
    seen = []
    store.subscribe(seen.append)
    store.add_judgment("how to boil water", "s-001", 0.0, origin="gui", replace=True)
    assert len(seen) == 1  # one transaction, one change
    rows = {(j["passage_id"], j["origin"]): j["label"] for j in store.judgments()}
    assert rows == {("s-001", "cli"): 1.0, ("s-002", "gui"): 1.0, ("s-001", "gui"): 0.0}
    assert len(store.judgments()) == 3  # the slip is gone, other origins and passages are kept


def test_listeners_hear_committed_changes(store):
    seen = []
    store.subscribe(seen.append)
    passage = store.add_passage("T", "text about rafts")
    store.delete_passages([passage.id])
    assert [bool(c.added) for c in seen] == [True, False]
    assert seen[1].removed[0][0] == passage.id


def test_foreign_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"this is not a database at all" * 10)
    with pytest.raises(CorpusCorruptError):
        CorpusStore(path)
    assert path.read_bytes().startswith(b"this is not")
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(CorpusCorruptError, match="another program"):
        CorpusStore(other)


def test_default_location_follows_the_environment(isolated_home):
    from core import paths

    assert paths.default_db_path().parent == isolated_home
