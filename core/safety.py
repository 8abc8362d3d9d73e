"""Data safety: backups (SQLite's online backup API), restore, "Check corpus", recovery, atomic folders.

What the app and the CLI call:

* :func:`open_or_recover` opens the corpus, turns a damaged or foreign file into a
  :class:`~core.errors.CorpusDamagedError` that lists the ways forward (the file is never
  overwritten silently), and makes the scheduled daily backup.
* :func:`backup_before` makes a rotating backup before destructive work (import, bulk delete,
  migration, training that writes judgments); :func:`backup_now` is the user's own backup.
* :func:`list_backups`, :func:`restore_backup` and :func:`start_fresh` are the ways forward;
  both keep the current file aside before replacing it in one atomic ``os.replace``.
* :func:`check_corpus` runs ``PRAGMA integrity_check`` and our own invariants and reports
  in plain words (``repair=True`` backs up, then fixes what can be recomputed).
* :func:`atomic_folder` lets a writer (training, model export) build a folder under a
  temporary name and move it in place only when it is complete.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import paths
from .errors import (
    CorpusBusyError,
    CorpusCorruptError,
    CorpusDamagedError,
    CorpusError,
    CorpusWriteError,
    SurvivalSearchError,
)

if TYPE_CHECKING:
    from .store import CorpusStore

log = logging.getLogger(__name__)

KEEP_BACKUPS = 10  # automatic backups kept per corpus; the user's own ("manual", "before-restore") are never rotated
KEPT_REASONS = frozenset({"manual", "before-restore"})
BACKUP_EVERY = timedelta(days=1)  # the scheduled backup at open, when the newest one is older than this
_STAMP_FORMAT = "%Y%m%d-%H%M%S-%f"
_SQLITE_HEADER = b"SQLite format 3\x00"

Recovery = Literal["none", "restore-latest", "start-fresh"]


# ---------------------------------------------------------------------------------------------- backups
@dataclass
class BackupInfo:
    """One backup file of a corpus."""

    path: Path
    created: datetime
    reason: str
    size: int

    def describe(self) -> str:
        """'2024-05-01 12:00:03  before import  (3.2 MB)'."""
        why = {"manual": "made by you", "daily": "daily", "before-restore": "the corpus as it was before a restore"}
        reason = why.get(self.reason, f"before {self.reason.replace('-', ' ')}")
        return f"{self.created:%Y-%m-%d %H:%M:%S}  {reason}  ({self.size / 1e6:.1f} MB)"


def backup_folder(db_path: str | Path) -> Path:
    """Where the backups of the corpus at ``db_path`` live (``backups/`` beside it), created on demand."""
    db_path = Path(db_path)
    folder = paths.backups_dir() if db_path.parent == paths.data_dir() else db_path.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def backup_folder_for(store: CorpusStore) -> Path:
    return backup_folder(store.path)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy_database(source: sqlite3.Connection, dest: Path) -> Path:
    """Copy the database behind ``source`` to ``dest`` with the backup API, via a temp file moved in place.

    The copy is a single self-contained file (rollback-journal mode), durable before it is renamed.
    """
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with closing(sqlite3.connect(str(tmp))) as target:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def backup(store: CorpusStore, dest: Path) -> Path:
    """Copy the live database to ``dest`` consistently (SQLite backup API), atomically."""
    with store._lock:
        return _copy_database(store.db.conn, Path(dest))


def _backup_name(db_path: Path, reason: str) -> str:
    return f"{db_path.stem}-{datetime.now().strftime(_STAMP_FORMAT)}-{reason}.sqlite"


def _rotate(db_path: Path) -> None:
    automatic = [b for b in list_backups(db_path) if b.reason not in KEPT_REASONS]
    for stale in automatic[KEEP_BACKUPS:]:
        stale.path.unlink(missing_ok=True)


def backup_before(store: CorpusStore, reason: str) -> Path | None:
    """Rotating backup named after ``reason``; failures are logged and return None, never raise."""
    try:
        dest = backup(store, backup_folder(store.path) / _backup_name(store.path, reason))
        _rotate(store.path)
        log.info("backed up %s to %s (before %s)", store.path, dest, reason)
        return dest
    except (OSError, sqlite3.Error) as exc:
        log.warning("backup before %s failed: %s", reason, exc)
        return None


def backup_now(store: CorpusStore, dest: str | Path | None = None) -> Path:
    """The user's own backup: to ``dest`` (a file or a folder) or the backups folder. Raises CorpusWriteError."""
    if dest is None:
        target = backup_folder(store.path) / _backup_name(store.path, "manual")
    else:
        target = Path(dest).expanduser()
        if target.is_dir():
            target = target / _backup_name(store.path, "manual")
        if target.resolve() == store.path.resolve():
            raise CorpusWriteError("A backup cannot be written over the corpus itself; choose another file.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return backup(store, target)
    except (OSError, sqlite3.Error) as exc:
        raise CorpusWriteError(f"Could not write the backup {target}: {exc}. The corpus was not changed.") from exc


def list_backups(db_path: str | Path) -> list[BackupInfo]:
    """Backups of the corpus at ``db_path`` in its backups folder, newest first."""
    db_path = Path(db_path)
    folder = db_path.parent / "backups" if db_path.parent != paths.data_dir() else paths.backups_dir()
    if not folder.is_dir():
        return []
    pattern = re.compile(rf"^{re.escape(db_path.stem)}-(\d{{8}}-\d{{6}}-\d{{6}})-([a-z0-9][a-z0-9-]*)\.sqlite$")
    found: list[BackupInfo] = []
    for path in folder.iterdir():
        match = pattern.match(path.name)
        if not match or not path.is_file():
            continue
        try:
            created = datetime.strptime(match.group(1), _STAMP_FORMAT)
            size = path.stat().st_size
        except (ValueError, OSError):
            continue
        found.append(BackupInfo(path, created, match.group(2), size))
    return sorted(found, key=lambda b: b.created, reverse=True)


def backup_if_due(store: CorpusStore, every: timedelta = BACKUP_EVERY) -> Path | None:
    """The scheduled backup: made when the newest backup of a non-empty corpus is older than ``every``.

    The corpus is quick-checked first, so a damaged file never pushes good backups out of the
    rotation: then CorpusCorruptError is raised and no backup is made.
    """
    newest = next(iter(list_backups(store.path)), None)
    if newest is not None and datetime.now() - newest.created < every:
        return None
    with store._lock:
        try:
            if not store.count():
                return None
            damage = [r[0] for r in store.db.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            damage = [str(exc)]
    if damage != ["ok"]:
        raise CorpusCorruptError(
            f"The corpus file {store.path} is damaged ({damage[0]}). No backup was made of it, so the "
            "existing backups stay good."
        )
    return backup_before(store, "daily")


# ---------------------------------------------------------------------------------------------- restore / recover
@dataclass
class RestoreResult:
    """What :func:`restore_backup` or :func:`start_fresh` did."""

    db_path: Path
    restored_from: Path | None  # None: started from the built-in corpus
    kept_aside: Path | None  # the previous file (a "before-restore" backup, or NAME.damaged-TIME); None if none
    passages: int

    def summary(self) -> str:
        source = f"the backup {self.restored_from.name}" if self.restored_from else "the built-in corpus"
        text = f"Restored {self.db_path} from {source} ({self.passages:,} passages)."
        if self.kept_aside:
            text += f" The previous file was kept as {self.kept_aside}."
        return text


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True, timeout=1.0)


def verify_backup(path: str | Path) -> int:
    """Check that ``path`` is a complete, undamaged corpus this app can open; returns its passage count."""
    from .store import APPLICATION_ID, SCHEMA_VERSION

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise CorpusError(f"Cannot read the backup {path}: {exc.strerror or exc}.") from None
    if header != _SQLITE_HEADER:
        raise CorpusCorruptError(f"{path} is not a corpus backup (not an SQLite database).")
    try:
        with closing(_read_only(path)) as conn:
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
            if problems != ["ok"]:
                raise CorpusCorruptError(f"The backup {path} is damaged ({problems[0]}); choose another one.")
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if app_id != APPLICATION_ID or "passages" not in tables:
                raise CorpusCorruptError(f"{path} is not a Survival Search corpus backup.")
            if version > SCHEMA_VERSION:
                raise CorpusError(f"The backup {path} was written by a newer Survival Search (schema {version}).")
            return int(conn.execute("SELECT count(*) FROM passages").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise CorpusCorruptError(f"The backup {path} is damaged ({exc}); choose another one.") from None


def _probe(db_path: Path) -> Literal["missing", "healthy", "damaged"]:
    """Whether the corpus file exists and opens; raises CorpusBusyError when another instance has it open.

    "damaged" also covers a file that is not a Survival Search corpus. A healthy file is left
    checkpointed (everything in the main file, no write-ahead log).
    """
    from .store import APPLICATION_ID

    if not db_path.exists() or db_path.stat().st_size == 0:
        return "missing"
    try:
        with open(db_path, "rb") as fh:
            if fh.read(16) != _SQLITE_HEADER:
                return "damaged"
    except OSError as exc:
        raise CorpusError(f"Cannot read the corpus file {db_path}: {exc.strerror or exc}.") from None
    conn = sqlite3.connect(str(db_path), timeout=0.5, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")  # fails while any other connection (another window) has the file open
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID or "passages" in tables
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if tables and not ours:
            return "damaged"
    except sqlite3.DatabaseError as exc:
        message = str(exc).lower()
        if "locked" in message or "busy" in message:
            raise CorpusBusyError(
                f"The corpus {db_path} is open in another Survival Search window or process. "
                "Close it and try again; nothing was changed."
            ) from None
        return "damaged"
    finally:
        conn.close()
    return "healthy"


def _keep_damaged_aside(db_path: Path) -> Path:
    """Copy a damaged corpus (and move its write-ahead log) to NAME.damaged-TIME beside it."""
    aside = db_path.with_name(f"{db_path.name}.damaged-{datetime.now():%Y%m%d-%H%M%S}")
    shutil.copyfile(db_path, aside)
    with open(aside, "rb+") as fh:
        os.fsync(fh.fileno())
    for suffix in ("-wal", "-journal"):
        companion = db_path.with_name(db_path.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    db_path.with_name(db_path.name + "-shm").unlink(missing_ok=True)
    _fsync_dir(db_path.parent)
    return aside


def _replace_database(db_path: Path, fill: Callable[[Path], None]) -> Path | None:
    """Build the new corpus with ``fill(tmp)``, keep the current one aside, then move the new one in place."""
    db_path = Path(db_path)
    state = _probe(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.{uuid.uuid4().hex[:8]}.restoring")
    try:
        fill(tmp)
        for suffix in ("-wal", "-shm"):
            db_path.with_name(tmp.name + suffix).unlink(missing_ok=True)
        kept: Path | None = None
        if state == "healthy":
            with closing(sqlite3.connect(str(db_path))) as current:
                kept = _copy_database(current, backup_folder(db_path) / _backup_name(db_path, "before-restore"))
            wal = db_path.with_name(db_path.name + "-wal")
            if wal.exists() and wal.stat().st_size:
                raise CorpusBusyError(
                    f"The corpus {db_path} was opened by another program meanwhile; nothing was changed."
                )
        elif state == "damaged":
            kept = _keep_damaged_aside(db_path)
        os.replace(tmp, db_path)
        _fsync_dir(db_path.parent)
    except OSError as exc:
        raise CorpusWriteError(f"Could not replace {db_path} ({exc.strerror or exc}); it was left as it was.") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return kept


def _count(db_path: Path) -> int:
    with closing(_read_only(db_path)) as conn:
        return int(conn.execute("SELECT count(*) FROM passages").fetchone()[0])


def restore_backup(db_path: str | Path, backup_path: str | Path | None = None) -> RestoreResult:
    """Replace the corpus at ``db_path`` with a backup (default: the newest), atomically.

    The backup is verified first; the current file is kept aside (a "before-restore" backup, or
    ``NAME.damaged-TIME`` if it does not open). Close every store on ``db_path`` before calling:
    while one is open this raises CorpusBusyError and changes nothing.
    """
    db_path = Path(db_path)
    if backup_path is None:
        backups = list_backups(db_path)
        if not backups:
            raise CorpusError(f"There are no backups of {db_path} (looked in {backup_folder(db_path)}).")
        backup_path = backups[0].path
    backup_path = Path(backup_path).expanduser()
    verify_backup(backup_path)

    def fill(tmp: Path) -> None:
        with closing(_read_only(backup_path)) as source:
            _copy_database(source, tmp)

    kept = _replace_database(db_path, fill)
    return RestoreResult(db_path, backup_path, kept, _count(db_path))


def start_fresh(db_path: str | Path, builtin_folder: Path | None = None) -> RestoreResult:
    """Replace the corpus at ``db_path`` with a new one from the built-in passages, keeping the current aside."""
    from .builtin import populate_from_builtin
    from .store import CorpusStore

    db_path = Path(db_path)

    def fill(tmp: Path) -> None:
        with CorpusStore(tmp, create_from_builtin=False) as fresh:
            if builtin_folder is None:
                populate_from_builtin(fresh)
            else:
                populate_from_builtin(fresh, builtin_folder)
            fresh.set_meta("builtin", "loaded")
            fresh.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            fresh.db.execute("PRAGMA journal_mode=DELETE")

    kept = _replace_database(db_path, fill)
    return RestoreResult(db_path, None, kept, _count(db_path))


def open_or_recover(
    db_path: str | Path | None = None,
    *,
    recovery: Recovery = "none",
    scheduled_backup: bool = True,
    builtin: bool | None = None,
) -> CorpusStore:
    """Open the corpus (default place when ``db_path`` is None), the way the app and the CLI should.

    A corpus that does not exist yet is created from the built-in passages at the default place
    (``builtin=None``); a new file named explicitly (``--db NEW``) starts empty, so that it holds
    exactly what the user imports into it (``builtin=True`` seeds it anyway).

    A damaged or foreign file raises :class:`CorpusDamagedError` (message in plain words, ``.backups``
    newest first) and is left untouched, unless ``recovery`` says what to do: ``"restore-latest"``
    (newest backup) or ``"start-fresh"`` (built-in corpus); both keep the damaged file aside.
    A corpus in use by another instance that cannot be opened raises CorpusBusyError.
    After opening, the scheduled backup runs when the newest backup is older than a day.
    """
    from .store import CorpusStore

    path = Path(db_path) if db_path else paths.default_db_path()
    seed = (db_path is None) if builtin is None else builtin
    try:
        return _open_checked(path, scheduled_backup, seed)
    except CorpusCorruptError as exc:
        if recovery == "none":
            backups = list_backups(path)
            newest = (
                f"The newest backup is from {backups[0].created:%Y-%m-%d %H:%M}."
                if backups
                else ("No backup of it was found.")
            )
            raise CorpusDamagedError(
                f"{exc} {newest} Restoring a backup or starting from the built-in corpus keeps this file "
                f"aside as {path.name}.damaged-<time>.",
                path=path,
                backups=backups,
            ) from exc
        if recovery == "restore-latest":
            result = restore_backup(path)
        elif recovery == "start-fresh":
            result = start_fresh(path)
        else:
            raise ValueError(f"unknown recovery {recovery!r}") from exc
        log.warning("%s", result.summary())
        return CorpusStore(path)


def _open_checked(path: Path, scheduled_backup: bool, builtin: bool = True) -> CorpusStore:
    """Open, read the basics (damage there raises CorpusCorruptError), make the scheduled backup."""
    from .store import CorpusStore, classify_sqlite_error

    is_new = not path.exists()
    store = CorpusStore(path, create_from_builtin=builtin)
    if is_new and not builtin:
        log.warning("created a new, empty corpus at %s", path)
    try:
        with store._lock:
            store.db.execute("SELECT count(*) FROM passages").fetchone()
            store.db.execute("SELECT count(*) FROM meta").fetchone()
        if scheduled_backup:
            backup_if_due(store)
        store.builtin_update = _apply_builtin_update(store)
    except sqlite3.DatabaseError as exc:
        store.close()
        raise classify_sqlite_error(exc, path, "open") from exc
    except BaseException:
        store.close()
        raise
    return store


def _apply_builtin_update(store: CorpusStore):  # noqa: ANN202 - BuiltinUpdate | None
    """A newer built-in library, applied to passages the user never edited; a failure never stops the opening."""
    from .builtin_update import BuiltinUpdate, update_from_builtin

    try:
        return update_from_builtin(store)
    except (SurvivalSearchError, ValueError) as exc:  # e.g. a full disk: each write rolled back, tried again later
        log.warning("built-in library update of %s failed: %s", store.path, exc)
        return BuiltinUpdate(skipped=str(exc))


# ---------------------------------------------------------------------------------------------- check
@dataclass
class CheckReport:
    """The findings of :func:`check_corpus`, in plain words."""

    path: Path
    problems: list[str] = field(default_factory=list)  # something is wrong
    notes: list[str] = field(default_factory=list)  # worth knowing, nothing wrong
    repaired: list[str] = field(default_factory=list)  # what repair=True fixed
    counts: dict[str, int] = field(default_factory=dict)
    backup: Path | None = None  # the backup made before repairing

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        verdict = "no problems found." if self.ok else f"{len(self.problems)} problem(s) found."
        out = [f"Corpus {self.path}: {verdict}"]
        if self.counts:
            out.append("Holds " + ", ".join(f"{n:,} {what}" for what, n in self.counts.items()) + ".")
        out += [f"Problem: {p}" for p in self.problems]
        out += [f"Repaired: {r}" for r in self.repaired]
        out += [f"Note: {n}" for n in self.notes]
        if self.backup:
            out.append(f"A backup was made before repairing: {self.backup}")
        return out

    def summary(self) -> str:
        """The whole report as text, one finding a line (what a "Check corpus" dialog shows)."""
        return "\n".join(self.lines())


def _examples(ids: list[str]) -> str:
    shown = ", ".join(ids[:5])
    return f" (e.g. {shown})" if ids else ""


def _expected_schema() -> dict[str, set[str]]:
    import sqlite_utils

    from .store import MIGRATIONS

    db = sqlite_utils.Database(memory=True)
    for migration in MIGRATIONS:
        migration(db)
    return {t.name: {c.name for c in t.columns} for t in db.tables}


def check_corpus(store: CorpusStore, *, repair: bool = False) -> CheckReport:
    """Run SQLite's integrity check and our invariants; with ``repair``, back up then fix what can be recomputed.

    Invariants: the schema version and application id; every table and column of the schema;
    every passage has an id, a title, a text, a content hash matching its text, search terms
    matching its title and text, and a list of topics; every embedding belongs to an existing
    passage and has a whole vector; every judgment has a query and a label between 0 and 1;
    every bookmark points at a passage. Repairable: hashes, search terms, application id,
    orphan embeddings and bookmarks. Damage found by SQLite itself is not repairable: restore a backup.
    """
    report = CheckReport(store.path)
    found = _find_problems(store, report)
    if repair and found.fixable:
        report.backup = backup_before(store, "repair")
        if report.backup is None:
            report.notes.append("Nothing was repaired: a backup could not be made first (is the disk full?).")
        else:
            _repair(store, found, report)
            report.problems.clear()
            report.notes.clear()
            _find_problems(store, report)
    return report


@dataclass
class _Found:
    bad_hash: list[str] = field(default_factory=list)
    bad_tokens: list[str] = field(default_factory=list)
    orphan_embeddings: int = 0
    bad_vectors: int = 0
    orphan_bookmarks: int = 0
    app_id: bool = False

    @property
    def fixable(self) -> bool:
        return bool(
            self.bad_hash
            or self.bad_tokens
            or self.orphan_embeddings
            or self.bad_vectors
            or self.orphan_bookmarks
            or self.app_id
        )


def _find_problems(store: CorpusStore, report: CheckReport) -> _Found:
    from .store import APPLICATION_ID, SCHEMA_VERSION, content_hash
    from .tokenizer import tokenize

    found = _Found()
    db = store.db
    with store._lock:
        try:
            damage = [r[0] for r in db.execute("PRAGMA integrity_check(20)")]
        except sqlite3.DatabaseError as exc:
            damage = [str(exc)]
        if damage != ["ok"]:
            report.problems.append(
                "SQLite found damage in the file itself: "
                + "; ".join(damage[:3])
                + ". Restore a backup (survival-search restore) rather than keep editing this file."
            )
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                report.problems.append(f"The schema version is {version}; this app expects {SCHEMA_VERSION}.")
            if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                found.app_id = True
                report.problems.append("The file is not marked as a Survival Search corpus (application id).")
            expected = _expected_schema()
            actual = {t.name: {c.name for c in t.columns} for t in db.tables}
            for table, columns in expected.items():
                if table not in actual:
                    report.problems.append(f"The table '{table}' is missing.")
                elif columns - actual[table]:
                    missing = sorted(columns - actual[table])
                    report.problems.append(f"The table '{table}' lacks the column(s) {missing}.")
            if any(table not in actual for table in ("passages", "judgments", "embeddings", "bookmarks")):
                return found

            empty: list[str] = []
            bad_topics: list[str] = []
            total = 0
            last = 0
            while True:
                rows = db.execute(
                    "SELECT rowid, id, title, text, content_hash, tokens, topics FROM passages"
                    " WHERE rowid > ? ORDER BY rowid LIMIT 2000",
                    [last],
                ).fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                for _, pid, title, text, digest, tokens, topics in rows:
                    total += 1
                    if not pid or not (title or "").strip() or not (text or "").strip():
                        empty.append(str(pid or "(no id)"))
                        continue
                    if digest != content_hash(text):
                        found.bad_hash.append(pid)
                    if (tokens or "") != " ".join(tokenize(f"{title}\n{text}")):
                        found.bad_tokens.append(pid)
                    try:
                        ok_topics = isinstance(json.loads(topics or "[]"), list)
                    except (TypeError, ValueError):
                        ok_topics = False
                    if not ok_topics:
                        bad_topics.append(pid)
            if empty:
                report.problems.append(f"{len(empty)} passage(s) have no id, title or text{_examples(empty)}.")
            if found.bad_hash:
                report.problems.append(
                    f"{len(found.bad_hash)} passage(s) have a content hash that does not match their text"
                    f"{_examples(found.bad_hash)}: duplicates may go unnoticed (repairable)."
                )
            if found.bad_tokens:
                report.problems.append(
                    f"{len(found.bad_tokens)} passage(s) have missing or outdated search terms"
                    f"{_examples(found.bad_tokens)}: keyword search may miss them (repairable)."
                )
            if bad_topics:
                report.problems.append(f"{len(bad_topics)} passage(s) have unreadable topics{_examples(bad_topics)}.")

            found.orphan_embeddings = db.execute(
                "SELECT count(*) FROM embeddings WHERE passage_id NOT IN (SELECT id FROM passages)"
            ).fetchone()[0]
            if found.orphan_embeddings:
                report.problems.append(
                    f"{found.orphan_embeddings} embedding(s) belong to passages that no longer exist (repairable)."
                )
            sizes = db.execute(
                "SELECT model, length(vector), count(*) FROM embeddings GROUP BY model, length(vector)"
            ).fetchall()
            by_model: dict[str, list[tuple[int, int]]] = {}
            for model, size, n in sizes:
                by_model.setdefault(model, []).append((n, size or 0))
            for groups in by_model.values():
                _, common = max(groups)  # the length most vectors of this model have
                found.bad_vectors += sum(n for n, size in groups if size != common or size == 0 or size % 2)
            if found.bad_vectors:
                report.problems.append(
                    f"{found.bad_vectors} embedding(s) have a damaged vector; they will be recomputed (repairable)."
                )
            stale = db.execute(
                "SELECT count(*) FROM embeddings e JOIN passages p ON p.id = e.passage_id"
                " WHERE e.content_hash != p.content_hash"
            ).fetchone()[0]
            if stale:
                report.notes.append(f"{stale} embedding(s) are from an older text and will be recomputed.")

            bad_labels = db.execute(
                "SELECT id FROM judgments WHERE label IS NULL OR typeof(label) NOT IN ('real', 'integer')"
                " OR label < 0 OR label > 1"
            ).fetchall()
            if bad_labels:
                ids = [str(r[0]) for r in bad_labels]
                report.problems.append(
                    f"{len(ids)} judgment(s) have a label outside 0..1{_examples(ids)}; training would refuse them."
                )
            no_query = db.execute("SELECT count(*) FROM judgments WHERE trim(coalesce(query, '')) = ''").fetchone()[0]
            if no_query:
                report.problems.append(f"{no_query} judgment(s) have no query.")
            gone = db.execute(
                "SELECT count(*) FROM judgments WHERE passage_id NOT IN (SELECT id FROM passages)"
            ).fetchone()[0]
            if gone:
                report.notes.append(f"{gone} judgment(s) refer to passages that were deleted; they are kept.")
            found.orphan_bookmarks = db.execute(
                "SELECT count(*) FROM bookmarks WHERE passage_id NOT IN (SELECT id FROM passages)"
            ).fetchone()[0]
            if found.orphan_bookmarks:
                report.problems.append(
                    f"{found.orphan_bookmarks} bookmark(s) point at passages that no longer exist (repairable)."
                )
            report.counts = {
                "passages": total,
                "judgments": db.execute("SELECT count(*) FROM judgments").fetchone()[0],
                "bookmarks": db.execute("SELECT count(*) FROM bookmarks").fetchone()[0],
                "embeddings": db.execute("SELECT count(*) FROM embeddings").fetchone()[0],
            }
        except sqlite3.DatabaseError as exc:
            report.problems.append(f"The check stopped on damage it could not read past ({exc}). Restore a backup.")
    return found


def _repair(store: CorpusStore, found: _Found, report: CheckReport) -> None:
    from .store import APPLICATION_ID, Change, content_hash
    from .tokenizer import tokenize

    def run() -> Change:
        change = Change()
        db = store.db
        for pid in dict.fromkeys(found.bad_hash + found.bad_tokens):
            title, text, old = db.execute("SELECT title, text, tokens FROM passages WHERE id = ?", [pid]).fetchone()
            tokens = tokenize(f"{title}\n{text}")
            db.execute(
                "UPDATE passages SET content_hash = ?, tokens = ? WHERE id = ?",
                [content_hash(text), " ".join(tokens), pid],
            )
            change.updated.append((pid, tokens, (old or "").split()))
        if found.orphan_embeddings:
            db.execute("DELETE FROM embeddings WHERE passage_id NOT IN (SELECT id FROM passages)")
        if found.bad_vectors:
            common: dict[str, int] = {}
            for model, size, _ in db.execute(
                "SELECT model, length(vector), count(*) FROM embeddings GROUP BY model, length(vector)"
                " ORDER BY count(*) DESC"
            ).fetchall():
                common.setdefault(model, size or 0)
            for model, size in common.items():
                db.execute("DELETE FROM embeddings WHERE model = ? AND length(vector) != ?", [model, size])
            db.execute("DELETE FROM embeddings WHERE vector IS NULL OR length(vector) = 0 OR length(vector) % 2")
        if found.orphan_bookmarks:
            db.execute("DELETE FROM bookmarks WHERE passage_id NOT IN (SELECT id FROM passages)")
        if found.app_id:
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        return change

    store._write("repair", run)
    if found.bad_hash:
        report.repaired.append(f"recomputed the content hash of {len(found.bad_hash)} passage(s)")
    if found.bad_tokens:
        report.repaired.append(f"recomputed the search terms of {len(found.bad_tokens)} passage(s)")
    if found.orphan_embeddings or found.bad_vectors:
        report.repaired.append(f"removed {found.orphan_embeddings + found.bad_vectors} orphan or damaged embedding(s)")
    if found.orphan_bookmarks:
        report.repaired.append(f"removed {found.orphan_bookmarks} bookmark(s) of deleted passages")
    if found.app_id:
        report.repaired.append("marked the file as a Survival Search corpus")


def check_file(db_path: str | Path) -> CheckReport:
    """Check the corpus at ``db_path`` without creating one; a file that does not open is reported, not raised."""
    from .store import CorpusStore

    path = Path(db_path)
    report = CheckReport(path)
    if not path.exists():
        report.problems.append(f"There is no corpus at {path}.")
        return report
    try:
        store = CorpusStore(path, create_from_builtin=False)
    except CorpusError as exc:
        report.problems.append(str(exc))
        return report
    with store:
        return check_corpus(store)


# ---------------------------------------------------------------------------------------------- atomic folders
@contextmanager
def atomic_folder(dest: str | Path) -> Iterator[Path]:
    """Write a folder (a trained model, an export) under a temporary name, then move it to ``dest``.

    Usage::

        with atomic_folder(output) as tmp:
            model.save_pretrained(tmp)
            (tmp / "README.md").write_text(card)
        # here ``output`` holds the complete folder; on an exception or Ctrl-C it is unchanged

    The temporary folder is a sibling of ``dest`` (same file system, so the move is a rename);
    files are fsynced before it. An existing ``dest`` is replaced: it is renamed to
    ``.NAME.old-TIME`` first and deleted after the new folder is in place (a kill in that
    instant leaves it there, never a half-written ``dest``).
    """
    dest = Path(dest).expanduser()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        yield tmp
        for folder, _, files in os.walk(tmp):
            for name in files:
                with open(os.path.join(folder, name), "rb") as fh:
                    os.fsync(fh.fileno())
        if dest.exists() or dest.is_symlink():
            old = dest.with_name(f".{dest.name}.old-{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}")
            os.rename(dest, old)
            try:
                os.rename(tmp, dest)
            except BaseException:
                os.rename(old, dest)
                raise
            _fsync_dir(dest.parent)
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
        else:
            os.rename(tmp, dest)
            _fsync_dir(dest.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
