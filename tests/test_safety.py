"""Data safety: backups, restore, "Check corpus", recovery from a damaged file, migrations, atomic folders."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import core.store as store_module
from core.errors import CorpusBusyError, CorpusDamagedError, CorpusError, CorpusWriteError
from core.records import Passage
from core.safety import (
    KEEP_BACKUPS,
    atomic_folder,
    backup_before,
    backup_if_due,
    backup_now,
    check_corpus,
    check_file,
    list_backups,
    open_or_recover,
    restore_backup,
    start_fresh,
)
from core.store import SCHEMA_VERSION, CorpusStore


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ids(store: CorpusStore) -> list[str]:
    return [p.id for p in store.iter_passages()]


# ------------------------------------------------------------------------------------------ backups
def test_backup_is_a_complete_self_contained_copy(store, tmp_path):
    store.add_passage("Raft", "Lash logs with rope.")
    dest = backup_now(store, tmp_path / "copy.sqlite")
    assert not Path(str(dest) + "-wal").exists()
    with CorpusStore(dest, create_from_builtin=False) as copy:
        assert _ids(copy) == _ids(store)


def test_automatic_backups_rotate_but_keep_the_users_own(store):
    backup_now(store)
    for _ in range(KEEP_BACKUPS + 3):
        assert backup_before(store, "import") is not None
    reasons = [b.reason for b in list_backups(store.path)]
    assert reasons.count("import") == KEEP_BACKUPS and reasons.count("manual") == 1
    times = [b.created for b in list_backups(store.path)]
    assert times == sorted(times, reverse=True)


def test_backup_failure_never_breaks_the_work_it_protects(store, monkeypatch):
    import core.safety as safety

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safety, "_copy_database", full)
    assert backup_before(store, "import") is None
    with pytest.raises(CorpusWriteError, match="No space left"):
        backup_now(store)


def test_import_and_bulk_delete_back_up_first(store, tmp_path):
    from core.importers import import_paths

    doc = tmp_path / "knots.md"
    doc.write_text("# Knots\n\n" + "Tie a bowline to make a fixed loop. " * 12, encoding="utf-8")
    import_paths(store, [doc])
    store.delete_passages(["s-001", "s-002"])
    store.delete_passages(["s-003"])  # a single delete is undoable in the app: no backup
    reasons = [b.reason for b in list_backups(store.path)]
    assert sorted(reasons) == ["delete", "import"]
    newest = list_backups(store.path)[0]
    with CorpusStore(newest.path, create_from_builtin=False) as before_delete:
        assert before_delete.get("s-001") is not None


def test_scheduled_backup_only_when_the_newest_is_old(store):
    assert backup_if_due(store) is not None
    assert backup_if_due(store) is None
    assert backup_if_due(store, every=timedelta(0)) is not None
    old = list_backups(store.path)
    assert len(old) == 2


def test_open_or_recover_makes_the_daily_backup(tmp_path, builtin_dir):
    path = tmp_path / "c.sqlite"
    from core.builtin import populate_from_builtin

    with CorpusStore(path, create_from_builtin=False) as first:
        populate_from_builtin(first, builtin_dir)
    open_or_recover(path).close()
    assert [b.reason for b in list_backups(path)] == ["daily"]
    open_or_recover(path).close()
    assert len(list_backups(path)) == 1


# ------------------------------------------------------------------------------------------ restore
def test_restore_puts_the_backup_back_and_keeps_the_current_aside(store, tmp_path):
    path = store.path
    backup_now(store)
    store.add_passage("After backup", "Written after the backup was made.")
    after = _ids(store)
    store.close()
    result = restore_backup(path)
    assert result.passages == 8 and result.kept_aside is not None
    with CorpusStore(path, create_from_builtin=False) as restored:
        assert len(_ids(restored)) == 8 and check_corpus(restored).ok
    with CorpusStore(result.kept_aside, create_from_builtin=False) as aside:  # nothing lost: undo the restore
        assert _ids(aside) == after
    assert any(b.reason == "before-restore" for b in list_backups(path))


def test_restore_refuses_while_the_corpus_is_open(store):
    backup_now(store)
    before = _ids(store)
    with pytest.raises(CorpusBusyError, match="open in another"):
        restore_backup(store.path)
    assert _ids(store) == before


def test_restore_refuses_a_damaged_or_foreign_backup(store, tmp_path):
    path = store.path
    store.close()
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    before = _digest(path)
    for candidate in (bad, foreign, tmp_path / "missing.sqlite"):
        with pytest.raises(CorpusError):
            restore_backup(path, candidate)
    assert _digest(path) == before


def test_restore_without_backups_says_so(tmp_path):
    with pytest.raises(CorpusError, match="no backups"):
        restore_backup(tmp_path / "c.sqlite")


# ------------------------------------------------------------------------------------------ damaged files
def _damage(path: Path) -> None:
    """Overwrite everything after the first page: the header is fine, the tables are garbage."""
    data = bytearray(path.read_bytes())
    data[4096:] = b"\x5a" * (len(data) - 4096)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("kind", ["not-sqlite", "foreign-sqlite", "truncated-header"])
def test_a_damaged_or_foreign_file_is_never_overwritten(tmp_path, kind):
    path = tmp_path / "corpus.sqlite"
    if kind == "not-sqlite":
        path.write_bytes(b"%PDF-1.4 definitely not a corpus" * 100)
    elif kind == "foreign-sqlite":
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER, amount REAL)")
            conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
        conn.close()
    else:
        path.write_bytes(b"SQLite fo")
    before = _digest(path)
    with pytest.raises(CorpusDamagedError) as caught:
        open_or_recover(path)
    assert "left untouched" in str(caught.value) and "damaged-<time>" in str(caught.value)
    assert caught.value.path == path and caught.value.backups == []
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.sqlite"]


def test_start_fresh_keeps_the_damaged_file_aside(tmp_path, builtin_dir):
    path = tmp_path / "corpus.sqlite"
    path.write_bytes(b"garbage" * 1000)
    result = start_fresh(path, builtin_dir)
    assert result.kept_aside.name.startswith("corpus.sqlite.damaged-")
    assert result.kept_aside.read_bytes() == b"garbage" * 1000
    with CorpusStore(path) as fresh:
        assert fresh.count() == 8 and check_corpus(fresh).ok


def test_open_or_recover_restores_the_latest_backup_of_a_damaged_corpus(store):
    path = store.path
    store.add_passage("Mine", "A passage the user wrote.")
    backup_now(store)
    store.close()
    _damage(path)
    report = check_file(path)  # the page damage may open fine: "Check corpus" finds it
    assert not report.ok and "damage" in " ".join(report.problems)
    store = open_or_recover(path, recovery="restore-latest")
    assert store.count() == 9 and check_corpus(store).ok
    store.close()
    assert any(
        p.name.startswith("corpus.sqlite.damaged-") or "before-restore" in p.name
        for p in list(path.parent.iterdir()) + list((path.parent / "backups").iterdir())
    )


def test_open_or_recover_can_start_fresh(tmp_path):
    path = tmp_path / "corpus.sqlite"
    path.write_bytes(b"\x00" * 3000 + b"junk")
    with open_or_recover(path, recovery="start-fresh") as fresh:
        assert fresh.get_meta("builtin") == "loaded"
    assert any(p.name.startswith("corpus.sqlite.damaged-") for p in tmp_path.iterdir())


def test_a_corpus_from_a_newer_app_is_refused_untouched(store):
    path = store.path
    store.db.execute("PRAGMA user_version=99")
    store.close()
    before = _digest(path)
    with pytest.raises(CorpusError, match="newer Survival Search"):
        CorpusStore(path)
    assert _digest(path) == before


# ------------------------------------------------------------------------------------------ check
def test_check_reports_a_healthy_corpus_in_plain_words(store):
    store.add_judgment("boil water", "s-001", 1.0)
    report = check_corpus(store)
    assert report.ok, report.lines()
    assert report.counts["passages"] == 8 and report.counts["judgments"] == 1
    assert "no problems found" in report.lines()[0]


def test_check_finds_broken_invariants_and_repair_fixes_what_can_be_recomputed(store):
    db = store.db
    with store._lock:
        db.execute("UPDATE passages SET content_hash = 'x' WHERE id = 's-001'")
        db.execute("UPDATE passages SET tokens = '' WHERE id = 's-002'")
        db.execute("INSERT INTO embeddings VALUES ('gone', 'm', 'h', x'0000')")
        db.execute("INSERT INTO embeddings VALUES ('s-003', 'm', 'h', x'00')")
        db.execute("INSERT INTO bookmarks VALUES ('gone', '2024')")
        db.execute("INSERT INTO judgments (query, passage_id, label, created_at) VALUES ('q', 's-001', 7, 'now')")
        db.execute("INSERT INTO judgments (query, passage_id, label, created_at) VALUES ('q', 'deleted', 1, 'now')")
        db.execute("PRAGMA application_id=0")
        db.conn.commit()
    report = check_corpus(store)
    text = "\n".join(report.lines())
    assert not report.ok
    for phrase in (
        "content hash",
        "search terms",
        "no longer exist",
        "damaged vector",
        "outside 0..1",
        "bookmark",
        "application id",
    ):
        assert phrase in text, phrase
    assert "refer to passages that were deleted" in text  # a note: judgments are the user's, kept
    repaired = check_corpus(store, repair=True)
    assert repaired.backup is not None and repaired.repaired
    assert [p for p in repaired.problems if "outside 0..1" not in p] == []  # labels are the user's to fix
    from core.search import SearchEngine

    assert SearchEngine(store, persist_index=False).search("purification tablets").hits[0].id == "s-002"


def test_check_file_does_not_create_a_corpus(tmp_path):
    report = check_file(tmp_path / "none.sqlite")
    assert not report.ok and "no corpus" in report.problems[0]
    assert not (tmp_path / "none.sqlite").exists()


# ------------------------------------------------------------------------------------------ migrations
def _fill_v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO passages (id, title, text, source, topics, origin, content_hash, tokens, created_at, updated_at)"
        " VALUES ('u-1', 'Old note', 'Boil water first.', 'me', '[\"water\"]', 'user', ?, ?, '2020', '2020')",
        [
            store_module.content_hash("Boil water first."),
            " ".join(store_module.tokenize("Old note\nBoil water first.")),
        ],
    )
    conn.execute("INSERT INTO judgments (query, passage_id, label, created_at) VALUES ('boil', 'u-1', 1.0, '2020')")


# How each earlier version's file looks: when SCHEMA_VERSION grows, add the new old version here
# (a function filling a database of that version with sample rows in that version's own schema).
FILL_AT_VERSION = {0: lambda conn: None, 1: _fill_v1}
EXPECTED_AFTER = {0: 0, 1: 1}  # passages each filled version holds


def _corpus_at_version(path: Path, version: int) -> Path:
    import sqlite_utils

    conn = sqlite3.connect(path)
    db = sqlite_utils.Database(conn)
    for step in store_module.MIGRATIONS[:version]:
        step(db)
    FILL_AT_VERSION[version](conn)
    conn.execute(f"PRAGMA user_version={version}")
    if version:
        conn.execute(f"PRAGMA application_id={store_module.APPLICATION_ID}")
    conn.commit()
    conn.close()
    return path


def test_every_version_has_a_migration_and_a_fixture():
    assert len(store_module.MIGRATIONS) == SCHEMA_VERSION
    assert set(range(SCHEMA_VERSION + 1)) <= set(FILL_AT_VERSION)


@pytest.mark.parametrize("version", range(SCHEMA_VERSION + 1))
def test_migrates_from_every_earlier_version_keeping_the_data(tmp_path, version):
    path = _corpus_at_version(tmp_path / "old.sqlite", version)
    with CorpusStore(path, create_from_builtin=False) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.count() == EXPECTED_AFTER[version]
        assert check_corpus(store).ok, check_corpus(store).lines()
        if EXPECTED_AFTER[version]:
            assert store.get("u-1").topics == ["water"] and store.judgments()[0]["label"] == 1.0
    backups = list_backups(path)
    if 0 < version < SCHEMA_VERSION:
        assert [b.reason for b in backups] == [f"migrate-v{version}"]
        conn = sqlite3.connect(backups[0].path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        conn.close()


def _add_column(db) -> None:  # noqa: ANN001 - a stand-in for a future v1 -> v2 migration
    db.execute("ALTER TABLE passages ADD COLUMN language TEXT NOT NULL DEFAULT 'en'")


def test_a_future_migration_backs_up_first_and_runs_in_one_transaction(tmp_path, monkeypatch):
    path = _corpus_at_version(tmp_path / "c.sqlite", SCHEMA_VERSION)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, _add_column])
    with CorpusStore(path, create_from_builtin=False) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert store.db.execute("SELECT language FROM passages").fetchone()[0] == "en"
    assert [b.reason for b in list_backups(path)] == [f"migrate-v{SCHEMA_VERSION}"]


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = _corpus_at_version(tmp_path / "c.sqlite", SCHEMA_VERSION)

    def half_done(db) -> None:  # noqa: ANN001
        db.execute("CREATE TABLE half (x)")
        db.execute("UPDATE passages SET title = 'changed'")
        raise sqlite3.OperationalError("simulated failure in the middle of a migration")

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, half_done])
    with pytest.raises(CorpusError, match="simulated failure"):
        CorpusStore(path, create_from_builtin=False)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "half" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert conn.execute("SELECT title FROM passages").fetchone()[0] == "Old note"
    conn.close()


def test_a_migration_without_a_backup_does_not_run(tmp_path, monkeypatch):
    import core.safety as safety

    path = _corpus_at_version(tmp_path / "c.sqlite", SCHEMA_VERSION)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, _add_column])
    monkeypatch.setattr(safety, "backup", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(CorpusWriteError, match="no backup could be written"):
        CorpusStore(path, create_from_builtin=False)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_a_first_start_killed_before_the_builtin_passages_landed_loads_them_next_time(
    tmp_path, builtin_dir, monkeypatch
):
    import core.builtin as builtin

    path = tmp_path / "c.sqlite"
    real = builtin.populate_from_builtin
    monkeypatch.setattr(builtin, "populate_from_builtin", lambda store: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        CorpusStore(path)
    monkeypatch.setattr(builtin, "populate_from_builtin", lambda store: real(store, builtin_dir))
    with CorpusStore(path) as store:
        assert store.get_meta("builtin") == "loaded" and store.count() == 8


# ------------------------------------------------------------------------------------------ atomic folders
def test_atomic_folder_moves_a_complete_folder_in_place(tmp_path):
    dest = tmp_path / "models" / "mine"
    with atomic_folder(dest) as tmp:
        assert tmp.parent == dest.parent and not dest.exists()
        (tmp / "config.json").write_text("{}")
    assert (dest / "config.json").read_text() == "{}"
    with atomic_folder(dest) as tmp:
        (tmp / "config.json").write_text('{"v": 2}')
    assert json.loads((dest / "config.json").read_text()) == {"v": 2}
    assert sorted(p.name for p in dest.parent.iterdir()) == ["mine"]


def test_atomic_folder_leaves_the_old_folder_on_failure_or_ctrl_c(tmp_path):
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "weights").write_text("old")
    for error in (RuntimeError("training diverged"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with atomic_folder(dest) as tmp:
                (tmp / "weights").write_text("half")
                raise error
    assert (dest / "weights").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_atomic_folder_when_the_final_rename_fails_keeps_the_old_folder(tmp_path, monkeypatch):
    import os

    import core.safety as safety

    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "weights").write_text("old")
    real_rename = os.rename

    def rename(src, dst):  # noqa: ANN001
        if ".partial-" in str(src):
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(safety.os, "rename", rename)
    with pytest.raises(OSError):
        with atomic_folder(dest) as tmp:
            (tmp / "weights").write_text("new")
    assert (dest / "weights").read_text() == "old"


def test_datetime_in_backup_names_sorts_like_time(store):
    first = backup_before(store, "import")
    second = backup_before(store, "delete")
    infos = list_backups(store.path)
    assert [i.path for i in infos] == [second, first]
    assert all(isinstance(i.created, datetime) for i in infos)
    assert "before import" in infos[1].describe()


def test_passages_added_through_add_passages_survive_a_backup_restore_cycle(store):
    path = store.path
    store.add_passages([Passage(id="", title=f"T{i}", text=f"unique text {i}", origin="import") for i in range(20)])
    ids = _ids(store)
    backup_now(store)
    store.delete_passages(ids[:10])
    store.close()
    restore_backup(path)
    with CorpusStore(path) as restored:
        assert _ids(restored) == ids


# ------------------------------------------------------------------------------------------ one transaction per change
WRITES = {
    "add_passage": lambda s: s.add_passage("Raft", "Lash dry logs together."),
    "add_passages": lambda s: s.add_passages([Passage(id="", title=f"T{i}", text=f"new text {i}") for i in range(5)]),
    "update_passage": lambda s: s.update_passage("s-001", text="Boil for one minute."),
    "delete_passages": lambda s: s.delete_passages(["s-001", "s-002"]),
    "restore_passages": lambda s: s.restore_passages(s.delete_passages(["s-003"])),
    "add_judgment": lambda s: s.add_judgment("boil water", "s-001", 1.0),
    "set_bookmark": lambda s: s.set_bookmark("s-001", True),
    "set_meta": lambda s: s.set_meta("theme", "dark"),
    "save_embeddings": lambda s: s.save_embeddings("m", {"s-001": [0.0] * 4, "s-002": [1.0] * 4}),
    "repair": lambda s: check_corpus(s, repair=True),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_every_change_is_one_write_transaction(store, name):
    if name == "repair":
        store.db.execute("UPDATE passages SET tokens = '' WHERE id = 's-001'")
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    WRITES[name](store)
    store.db.conn.set_trace_callback(None)
    words = [s.split()[0].upper() for s in statements]
    transactions = [i for i, w in enumerate(words) if w == "BEGIN"]
    assert all(statements[i] == "BEGIN IMMEDIATE" for i in transactions)
    assert len(transactions) == words.count("COMMIT") == (2 if name == "restore_passages" else 1)
    inside = set()
    for begin in transactions:
        end = words.index("COMMIT", begin)
        inside |= set(range(begin, end + 1))
    writes = ("INSERT", "UPDATE", "DELETE", "REPLACE")
    outside = [statements[i] for i, w in enumerate(words) if w in writes and i not in inside]
    assert outside == []


def test_the_daily_backup_is_not_made_of_a_damaged_file(store, monkeypatch):
    """Damage found by the quick check keeps the good backups in the rotation."""
    from core.errors import CorpusCorruptError

    backup_now(store)
    good = list_backups(store.path)
    real = store.db.execute

    def execute(sql, *args):  # noqa: ANN001, ANN202 - damage deep in a table, found only by the quick check
        return [("row 7 missing from index passages_content_hash",)] if "quick_check" in sql else real(sql, *args)

    monkeypatch.setattr(store.db, "execute", execute)
    with pytest.raises(CorpusCorruptError, match="No backup was made"):
        backup_if_due(store, every=timedelta(0))
    assert list_backups(store.path) == good


def test_page_damage_is_found_at_open(store):
    path = store.path
    store.close()
    data = bytearray(path.read_bytes())
    data[4096:] = b"\x5a" * (len(data) - 4096)
    path.write_bytes(bytes(data))
    with pytest.raises(CorpusDamagedError):
        open_or_recover(path)
