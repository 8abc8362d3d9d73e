"""The corpus store: one SQLite file (through sqlite-utils) holding passages and judgments.

Every write runs in one transaction and bumps a random ``stamp`` kept in the
``meta`` table, which caches (the saved BM25 index) compare against. Listeners
registered with :meth:`CorpusStore.subscribe` hear about every committed change,
so the search index follows edits without a restart.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlite_utils

from . import paths
from .errors import CorpusBusyError, CorpusCorruptError, CorpusError, CorpusWriteError, ValidationError
from .records import Passage
from .tokenizer import tokenize

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
APPLICATION_ID = 0x53535243  # "SSRC": marks the file as a Survival Search corpus
OWN_WRITES_KEPT = 256  # recent writes remembered, so listeners can tell them from other programs' writes
MAX_TITLE_CHARS = 500
MAX_TEXT_CHARS = 200_000
BUSY_TIMEOUT_S = 5.0  # how long a write waits for another instance's write before saying the corpus is in use

TOPICS = (
    "water",
    "fire",
    "shelter",
    "food",
    "plants",
    "animals",
    "first-aid",
    "cold",
    "heat",
    "navigation",
    "signaling",
    "weather",
    "knots",
    "tools",
    "travel",
    "desert",
    "tropics",
    "sea",
    "mountains",
    "disasters",
    "psychology",
    "kit",
)

_PASSAGE_COLUMNS = "id, title, text, source, section, topics, origin, created_at, updated_at"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def content_hash(text: str) -> str:
    """Hash of a passage's text with case and whitespace folded: equal hashes are duplicates."""
    folded = re.sub(r"\s+", " ", text).strip().lower()
    return hashlib.sha1(folded.encode("utf-8")).hexdigest()


@dataclass
class Change:
    """What one committed write did to the searchable text."""

    added: list[tuple[str, list[str]]] = field(default_factory=list)  # (id, tokens)
    removed: list[tuple[str, list[str]]] = field(default_factory=list)  # (id, old tokens)
    updated: list[tuple[str, list[str], list[str]]] = field(default_factory=list)  # (id, tokens, old tokens)
    # the corpus stamp just before and after the write: a listener whose view was at ``stamp_before``
    # is current after applying this change; otherwise another program wrote in between
    stamp_before: str = ""
    stamp_after: str = ""
    embedded: list[str] = field(default_factory=list)  # passages whose vector (of ``embedded_model``) was saved
    embedded_model: str = ""


class DeletedPassages(list):
    """The passages one delete removed, with what hung on them, so that undo brings back all of it.

    A list of ``Passage`` (callers count and iterate it as before) plus ``bookmarks`` (id -> created_at)
    and ``embeddings`` (the stored vector rows; the restored text is the deleted text, so they still match).
    """

    def __init__(self, passages: Iterable[Passage] = ()) -> None:
        super().__init__(passages)
        self.bookmarks: dict[str, str] = {}
        self.embeddings: list[tuple] = []


def _row_to_passage(row: sqlite3.Row | tuple) -> Passage:
    id_, title, text, source, section, topics, origin, created, updated = row
    return Passage(
        id=id_,
        title=title,
        text=text,
        source=source or "",
        section=section or "",
        topics=json.loads(topics) if topics else [],
        origin=origin or "",
        created_at=created or "",
        updated_at=updated or "",
    )


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub(value: str) -> str:
    """Drop NUL characters (an export holding one reads as a binary file) and replace lone UTF-16
    surrogates (from a JSON "\\ud800" or a clipboard), which SQLite cannot store, by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", value.replace("\x00", ""))


def _scrub_all(values: list[object]) -> list[object]:
    return [scrub(v) if isinstance(v, str) else v for v in values]


def validate_passage(title: str, text: str, topics: Iterable[str] = ()) -> tuple[str, str, list[str]]:
    """Clean and check a passage's fields; raise ValidationError with a readable reason."""
    title = scrub(title or "").strip()
    text = scrub(text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationError("The passage text is empty. Write the passage before saving.")
    if not title:
        raise ValidationError("The passage has no title. Give it a short heading before saving.")
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError(f"The title is {len(title):,} characters long; keep it under {MAX_TITLE_CHARS}.")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(f"The passage is {len(text):,} characters long; split it below {MAX_TEXT_CHARS:,}.")
    clean_topics = sorted({c for c in (scrub(t or "").strip().lower() for t in topics) if c})
    return title, text, clean_topics


class CorpusStore:
    """Passages, relevance judgments, bookmarks and embeddings in one SQLite file."""

    def __init__(self, path: Path, *, create_from_builtin: bool = True) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._listeners: list[Callable[[Change], None]] = []
        self._own_writes: dict[str, str] = {}  # stamp before -> stamp after, for writes made through this object
        self.builtin_update = None  # what opening did to bring the built-in passages up to date (builtin_update.py)
        is_new = not self.path.exists() or self.path.stat().st_size == 0
        if is_new:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
            self.db = sqlite_utils.Database(conn)
            self._check_file(is_new)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate(builtin_pending=is_new and create_from_builtin)
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise self._classify(exc, "open") from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        # A first start killed half-way left "pending": the built-in passages are (re)loaded, duplicates skipped.
        try:
            pending = create_from_builtin and self.get_meta("builtin") == "pending"
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._classify(exc, "open") from exc
        if pending:
            from .builtin import populate_from_builtin
            from .builtin_update import record_release

            populate_from_builtin(self)
            self.set_meta("builtin", "loaded")
            record_release(self)

    # ------------------------------------------------------------------ opening
    def _check_file(self, is_new: bool) -> None:
        if is_new:
            return
        try:
            with open(self.path, "rb") as fh:
                header = fh.read(16)
        except OSError as exc:
            raise CorpusError(f"Cannot read the corpus file {self.path}: {exc.strerror or exc}.") from None
        if header != b"SQLite format 3\x00":
            raise CorpusCorruptError(
                f"{self.path} is not a Survival Search corpus (not an SQLite database). "
                "It was left untouched; restore a backup or start from the built-in corpus."
            )
        app_id = self.db.execute("PRAGMA application_id").fetchone()[0]
        tables = set(self.db.table_names())
        if app_id != APPLICATION_ID and tables and "passages" not in tables:
            raise CorpusCorruptError(
                f"{self.path} is an SQLite database of another program, not a Survival Search corpus. "
                "It was left untouched."
            )
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:  # checked before anything (even the journal mode) is written
            raise CorpusError(
                f"{self.path} was written by a newer Survival Search (schema {version}, this one knows "
                f"{SCHEMA_VERSION}). Update the app; the file was left untouched."
            )

    def _migrate(self, builtin_pending: bool = False) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CorpusError(
                f"{self.path} was written by a newer Survival Search (schema {version}, this one knows "
                f"{SCHEMA_VERSION}). Update the app; the file was left untouched."
            )
        if version == SCHEMA_VERSION:
            return
        if version > 0 or self.db.table_names():
            from .safety import backup_before

            if backup_before(self, f"migrate-v{version}") is None:
                raise CorpusWriteError(
                    f"{self.path} needs a schema upgrade (v{version} to v{SCHEMA_VERSION}) but no backup could be "
                    "written first, so it was left untouched. Free some disk space and open it again."
                )
        with self._lock, self._transaction():
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](self.db)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            self._set_meta("stamp", uuid.uuid4().hex)
            if builtin_pending:
                self._set_meta("builtin", "pending")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front (waiting up to
        BUSY_TIMEOUT_S for another instance), so a read-then-write never fails half-way on a stale snapshot."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            conn.rollback()
            raise

    def _classify(self, exc: sqlite3.Error, action: str) -> CorpusError:
        return classify_sqlite_error(exc, self.path, action)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> CorpusStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writes
    def subscribe(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def written_here(self, since: str | None, now: str) -> bool:
        """True if every write from stamp ``since`` to stamp ``now`` was made through this store object.

        Such writes reach this store's listeners (perhaps a moment later, from the writing thread); any
        other way from ``since`` to ``now`` means another program (or connection) wrote in between.
        """
        stamp: str | None = since or None
        with self._lock:
            for _ in range(OWN_WRITES_KEPT + 1):
                if stamp is None or stamp == now:
                    return stamp == now
                stamp = self._own_writes.get(stamp)
        return False

    def unsubscribe(self, listener: Callable[[Change], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _write(self, action: str, fn: Callable[[], Change | None]) -> Change:
        """Run ``fn`` in one transaction, bump the stamp, then tell listeners.

        Listeners hear of every write, also those that leave the searchable text alone (an empty
        change), so that they can tell this process's writes from another program's by the stamp.
        """
        with self._lock:
            try:
                with self._transaction():
                    before = self.get_meta("stamp", "") or ""
                    change = fn() or Change()
                    change.stamp_before, change.stamp_after = before, uuid.uuid4().hex
                    self._set_meta("stamp", change.stamp_after)
            except sqlite3.Error as exc:
                raise self._classify(exc, action) from exc
            self._own_writes[change.stamp_before] = change.stamp_after  # before any listener hears of it
            while len(self._own_writes) > OWN_WRITES_KEPT:
                self._own_writes.pop(next(iter(self._own_writes)))
        for listener in list(self._listeners):
            listener(change)
        return change

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [key, value])

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self._write("save settings in", lambda: self._set_meta(key, value))

    @property
    def stamp(self) -> str:
        return self.get_meta("stamp", "") or ""

    def _insert_rows(self, passages: Iterable[Passage], *, skip_duplicates: bool) -> tuple[list[str], int, Change]:
        change = Change()
        added: list[str] = []
        skipped = 0
        stamp = now_iso()
        added_now: set[str] = set()
        for p in passages:
            title, text, topics = validate_passage(p.title, p.text, p.topics)
            digest = content_hash(text)
            if skip_duplicates:
                same = {r[0] for r in self.db.execute("SELECT id FROM passages WHERE content_hash = ?", [digest])}
                # Text already in the corpus is a duplicate; so is a repeat inside this batch, unless it carries
                # its own id (a record of an export, where the user kept two passages with the same text).
                if same and not (p.id and same <= added_now):
                    skipped += 1
                    continue
            pid = scrub(p.id) or new_passage_id(p.origin)
            if self.db.execute("SELECT 1 FROM passages WHERE id = ?", [pid]).fetchone():
                if skip_duplicates:
                    skipped += 1
                    continue
                raise ValidationError(f"A passage with id {pid!r} already exists.")
            tokens = tokenize(f"{title}\n{text}")
            self.db.execute(
                "INSERT INTO passages (id, title, text, source, section, topics, origin, content_hash, tokens,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _scrub_all(
                    [
                        pid,
                        title,
                        text,
                        scrub(p.source).strip(),
                        scrub(p.section).strip(),
                        json.dumps(topics),
                        p.origin or "user",
                        digest,
                        " ".join(tokens),
                        p.created_at or stamp,
                        p.updated_at or stamp,
                    ]
                ),
            )
            added.append(pid)
            added_now.add(pid)
            change.added.append((pid, tokens))
        return added, skipped, change

    def add_passages(self, passages: Iterable[Passage], *, skip_duplicates: bool = True) -> tuple[list[str], int]:
        """Insert passages in one transaction; returns (added ids, duplicates skipped)."""
        result: dict[str, object] = {}

        def run() -> Change:
            added, skipped, change = self._insert_rows(passages, skip_duplicates=skip_duplicates)
            result["added"], result["skipped"] = added, skipped
            return change

        self._write("add passages to", run)
        return result["added"], result["skipped"]  # type: ignore[return-value]

    def add_passage(
        self,
        title: str,
        text: str,
        source: str = "",
        topics: Iterable[str] = (),
        section: str = "",
        origin: str = "user",
    ) -> Passage:
        """Add one passage typed by the user (duplicates allowed: the user asked for it)."""
        passage = Passage(
            id="", title=title, text=text, source=source, section=section, topics=list(topics), origin=origin
        )
        added, _ = self.add_passages([passage], skip_duplicates=False)
        return self.get(added[0])  # type: ignore[return-value]

    def update_passage(self, passage_id: str, **fields: object) -> Passage:
        """Change title/text/source/section/topics of a passage, in one transaction."""
        allowed = {"title", "text", "source", "section", "topics"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")

        def run() -> Change:
            return Change(updated=[self._update_row(passage_id, fields)])

        self._write("save the passage in", run)
        return self.get(passage_id)  # type: ignore[return-value]

    def replace_passages(
        self, passages: Iterable[Passage], *, keep_if: Callable[[Passage], bool] | None = None
    ) -> list[str]:
        """Give existing passages new title/text/source/section/topics (by id), all in one transaction.

        ``keep_if`` sees each stored passage inside the transaction; one it refuses (or one deleted
        meanwhile, with a ``keep_if``) is left as it is. Returns the ids replaced.
        """
        rows = [
            (p.id, {"title": p.title, "text": p.text, "source": p.source, "section": p.section, "topics": p.topics})
            for p in passages
        ]
        done: list[str] = []

        def run() -> Change:
            change = Change()
            for pid, fields in rows:
                if keep_if is not None:
                    current = self.get(pid)
                    if current is None or not keep_if(current):
                        continue
                change.updated.append(self._update_row(pid, fields))
                done.append(pid)
            return change

        if rows:
            self._write("update passages in", run)
        return done

    def _update_row(self, passage_id: str, fields: dict[str, object]) -> tuple[str, list[str], list[str]]:
        """Inside a transaction: rewrite one passage; its stored vector goes (the text may have changed)."""
        current = self.get(passage_id)
        if current is None:
            raise ValidationError(f"No passage with id {passage_id!r}: it may have been deleted.")
        title, text, topics = validate_passage(
            str(fields.get("title", current.title)),
            str(fields.get("text", current.text)),
            fields.get("topics", current.topics),  # type: ignore[arg-type]
        )
        old_tokens = self._tokens_of(passage_id)
        tokens = tokenize(f"{title}\n{text}")
        self.db.execute(
            "UPDATE passages SET title=?, text=?, source=?, section=?, topics=?, content_hash=?, tokens=?,"
            " updated_at=? WHERE id=?",
            _scrub_all(
                [
                    title,
                    text,
                    scrub(str(fields.get("source", current.source))).strip(),
                    scrub(str(fields.get("section", current.section))).strip(),
                    json.dumps(topics),
                    content_hash(text),
                    " ".join(tokens),
                    now_iso(),
                    passage_id,
                ]
            ),
        )
        self.db.execute("DELETE FROM embeddings WHERE passage_id = ?", [passage_id])
        return passage_id, tokens, old_tokens

    def delete_passages(self, passage_ids: Iterable[str]) -> DeletedPassages:
        """Delete passages in one transaction; returns them (for undo). A bulk delete is backed up first."""
        deleted = DeletedPassages()
        passage_ids = list(dict.fromkeys(passage_ids))
        if len(passage_ids) > 1:
            from .safety import backup_before

            backup_before(self, "delete")

        def run() -> Change:
            change = Change()
            for pid in passage_ids:
                passage = self.get(pid)
                if passage is None:
                    continue
                change.removed.append((pid, self._tokens_of(pid)))
                mark = self.db.execute("SELECT created_at FROM bookmarks WHERE passage_id = ?", [pid]).fetchone()
                if mark:
                    deleted.bookmarks[pid] = mark[0]
                deleted.embeddings.extend(
                    self.db.execute(
                        "SELECT passage_id, model, content_hash, vector FROM embeddings WHERE passage_id = ?", [pid]
                    ).fetchall()
                )
                self.db.execute("DELETE FROM embeddings WHERE passage_id = ?", [pid])
                self.db.execute("DELETE FROM bookmarks WHERE passage_id = ?", [pid])
                self.db.execute("DELETE FROM passages WHERE id = ?", [pid])
                deleted.append(passage)
            return change

        self._write("delete passages from", run)
        return deleted

    def restore_passages(self, passages: Iterable[Passage]) -> None:
        """Put deleted passages back with their ids, times, bookmarks and vectors (undo of a delete), atomically."""
        bookmarks: dict[str, str] = getattr(passages, "bookmarks", {})  # a plain list of passages has neither
        embeddings: list[tuple] = getattr(passages, "embeddings", [])
        restored = list(passages)

        def run() -> Change:
            added, _, change = self._insert_rows(restored, skip_duplicates=False)
            back = set(added)
            for pid, created in bookmarks.items():
                if pid in back:
                    self.db.execute(
                        "INSERT OR IGNORE INTO bookmarks (passage_id, created_at) VALUES (?, ?)", [pid, created]
                    )
            for pid, model, digest, vector in embeddings:
                if pid in back:
                    self.db.execute(
                        "INSERT OR REPLACE INTO embeddings (passage_id, model, content_hash, vector)"
                        " VALUES (?, ?, ?, ?)",
                        [pid, model, digest, vector],
                    )
            return change

        self._write("restore passages in", run)

    def _tokens_of(self, passage_id: str) -> list[str]:
        row = self.db.execute("SELECT tokens FROM passages WHERE id = ?", [passage_id]).fetchone()
        return row[0].split() if row and row[0] else []

    # ------------------------------------------------------------------ reads
    def count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM passages").fetchone()[0]

    def get(self, passage_id: str) -> Passage | None:
        with self._lock:
            row = self.db.execute(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id = ?", [passage_id]).fetchone()
        return _row_to_passage(row) if row else None

    def get_many(self, passage_ids: Iterable[str]) -> dict[str, Passage]:
        ids = list(passage_ids)
        out: dict[str, Passage] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for row in self.db.execute(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id IN ({marks})", chunk):
                    out[row[0]] = _row_to_passage(row)
        return out

    def iter_passages(self, batch: int = 2000) -> Iterator[Passage]:
        """Every passage in insertion order, read in batches (safe for large corpora)."""
        last = 0
        while True:
            with self._lock:
                rows = self.db.execute(
                    f"SELECT rowid, {_PASSAGE_COLUMNS} FROM passages WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    [last, batch],
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _row_to_passage(row[1:])
            last = rows[-1][0]

    def iter_tokens(self, batch: int = 5000) -> Iterator[tuple[str, list[str]]]:
        """``(id, tokens)`` of every passage in insertion order, without re-tokenizing."""
        for pid, tokens in self.iter_token_strings(batch):
            yield pid, tokens.split()

    def iter_token_strings(self, batch: int = 5000) -> Iterator[tuple[str, str]]:
        """``(id, space-joined tokens)`` of every passage in insertion order (what the BM25 build reads)."""
        last = 0
        while True:
            with self._lock:
                rows = self.db.execute(
                    "SELECT rowid, id, tokens FROM passages WHERE rowid > ? ORDER BY rowid LIMIT ?", [last, batch]
                ).fetchall()
            if not rows:
                return
            for _, pid, tokens in rows:
                yield pid, tokens or ""
            last = rows[-1][0]

    def topic_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for (topics,) in self.db.execute("SELECT topics FROM passages"):
                for t in json.loads(topics or "[]"):
                    counts[t] = counts.get(t, 0) + 1
        return counts

    def sources(self) -> dict[str, int]:
        with self._lock:
            rows = self.db.execute("SELECT source, count(*) FROM passages GROUP BY source ORDER BY 2 DESC").fetchall()
        return {r[0]: r[1] for r in rows}

    # ------------------------------------------------------------------ judgments and bookmarks
    def add_judgment(
        self, query: str, passage_id: str, label: float, origin: str = "gui", *, replace: bool = False
    ) -> int:
        """Store that ``passage_id`` answers ``query`` (label 1.0) or not (0.0); returns the judgment's id.

        With ``replace``, earlier judgments of the same origin for this query and passage are deleted in
        the same transaction: a changed mind (a slip of the mouse) leaves one judgment, not two that disagree.
        """
        query = scrub(query).strip()
        if not query:
            raise ValidationError("A judgment needs the query it was made for.")
        if not 0.0 <= float(label) <= 1.0:
            raise ValidationError("A relevance label must be between 0 and 1.")
        out: dict[str, int] = {}

        def run() -> None:
            if replace:
                self.db.execute(
                    "DELETE FROM judgments WHERE query = ? AND passage_id = ? AND origin = ?",
                    [query, passage_id, origin],
                )
            cur = self.db.execute(
                "INSERT INTO judgments (query, passage_id, label, origin, created_at) VALUES (?, ?, ?, ?, ?)",
                [query, passage_id, float(label), origin, now_iso()],
            )
            out["id"] = int(cur.lastrowid or 0)

        self._write("save the judgment in", run)
        return out["id"]

    def judgments(self) -> list[dict[str, object]]:
        with self._lock:
            rows = self.db.execute(
                "SELECT j.id, j.query, j.passage_id, j.label, j.origin, j.created_at, p.title, p.text"
                " FROM judgments j LEFT JOIN passages p ON p.id = j.passage_id ORDER BY j.id"
            ).fetchall()
        keys = ("id", "query", "passage_id", "label", "origin", "created_at", "title", "text")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def set_bookmark(self, passage_id: str, on: bool) -> None:
        def run() -> None:
            if on:
                self.db.execute(
                    "INSERT OR IGNORE INTO bookmarks (passage_id, created_at) VALUES (?, ?)", [passage_id, now_iso()]
                )
            else:
                self.db.execute("DELETE FROM bookmarks WHERE passage_id = ?", [passage_id])

        self._write("save the bookmark in", run)

    def bookmarks(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self.db.execute("SELECT passage_id FROM bookmarks ORDER BY created_at DESC")]

    # ------------------------------------------------------------------ embeddings
    def embeddings(self, model: str) -> tuple[list[str], np.ndarray]:
        """Stored passage vectors for ``model``: (ids, float32 matrix, unit length)."""
        with self._lock:
            rows = self.db.execute(
                "SELECT e.passage_id, e.vector FROM embeddings e JOIN passages p ON p.id = e.passage_id"
                " WHERE e.model = ? AND e.content_hash = p.content_hash ORDER BY p.rowid",
                [model],
            ).fetchall()
        return _vectors(rows)

    def passages_missing_embeddings(self, model: str, limit: int | None = None) -> list[tuple[str, str, str]]:
        """``(id, title, text)`` of passages with no current vector for ``model``."""
        sql = (
            "SELECT p.id, p.title, p.text FROM passages p LEFT JOIN embeddings e"
            " ON e.passage_id = p.id AND e.model = ? AND e.content_hash = p.content_hash"
            " WHERE e.passage_id IS NULL ORDER BY p.rowid"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            return [tuple(r) for r in self.db.execute(sql, [model]).fetchall()]  # type: ignore[misc]

    def embeddings_of(self, model: str, passage_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Current vectors of some passages for ``model`` (those without one are left out)."""
        found: list[tuple[str, bytes]] = []
        with self._lock:
            for start in range(0, len(passage_ids), 500):
                chunk = list(passage_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                found += self.db.execute(
                    "SELECT e.passage_id, e.vector FROM embeddings e JOIN passages p ON p.id = e.passage_id"
                    f" WHERE e.model = ? AND e.content_hash = p.content_hash AND e.passage_id IN ({marks})",
                    [model, *chunk],
                ).fetchall()
        return _vectors(found)

    def save_embeddings(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        def run() -> Change:
            saved = []
            for pid, vec in vectors.items():
                row = self.db.execute("SELECT content_hash FROM passages WHERE id = ?", [pid]).fetchone()
                if row is None:
                    continue  # deleted meanwhile
                self.db.execute(
                    "INSERT OR REPLACE INTO embeddings (passage_id, model, content_hash, vector) VALUES (?, ?, ?, ?)",
                    [pid, model, row[0], np.asarray(vec, dtype=np.float16).tobytes()],
                )
                saved.append(pid)
            return Change(embedded=saved, embedded_model=model)

        self._write("save embeddings in", run)

    def content_hashes(self) -> dict[str, str]:
        with self._lock:
            return dict(self.db.execute("SELECT id, content_hash FROM passages").fetchall())


def _vectors(rows: Sequence[tuple[str, bytes]]) -> tuple[list[str], np.ndarray]:
    """``(passage_id, fp16 vector bytes)`` rows as (ids, float32 matrix)."""
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16).reshape(len(rows), -1)
    return [r[0] for r in rows], matrix.astype(np.float32)


def classify_sqlite_error(exc: sqlite3.Error, path: Path, action: str = "read") -> CorpusError:
    """The CorpusError a user should see for an sqlite3 error met while working on the corpus at ``path``."""
    message = str(exc).lower()
    if "locked" in message or "busy" in message:
        return CorpusBusyError(
            f"The corpus is in use by another Survival Search window or process ({path}). "
            "Close the other one and try again."
        )
    if "full" in message:
        return CorpusWriteError("The disk is full: nothing was changed. Free some space and try again.")
    if "readonly" in message or "read-only" in message or "permission" in message:
        return CorpusWriteError(f"The corpus file is read-only ({path}): nothing was changed.")
    if "malformed" in message or "not a database" in message or "corrupt" in message:
        return CorpusCorruptError(
            f"The corpus file {path} is damaged ({exc}). It was left untouched; "
            "restore a backup (survival-search restore) or start from the built-in corpus."
        )
    return CorpusError(f"Could not {action} the corpus {path}: {exc}")


def new_passage_id(origin: str = "user") -> str:
    prefix = {"user": "u", "import": "p"}.get(origin, "p")
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _migration_0_to_1(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS passages (id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL,"
        " source TEXT NOT NULL DEFAULT '', section TEXT NOT NULL DEFAULT '', topics TEXT NOT NULL DEFAULT '[]',"
        " origin TEXT NOT NULL DEFAULT 'user', content_hash TEXT NOT NULL, tokens TEXT NOT NULL DEFAULT '',"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS passages_content_hash ON passages(content_hash)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS judgments (id INTEGER PRIMARY KEY, query TEXT NOT NULL, passage_id TEXT NOT NULL,"
        " label REAL NOT NULL, origin TEXT NOT NULL DEFAULT 'gui', created_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS embeddings (passage_id TEXT PRIMARY KEY, model TEXT NOT NULL,"
        " content_hash TEXT NOT NULL, vector BLOB NOT NULL)"
    )
    db.execute("CREATE TABLE IF NOT EXISTS bookmarks (passage_id TEXT PRIMARY KEY, created_at TEXT NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_migration_0_to_1]


def open_store(db_path: str | Path | None = None) -> CorpusStore:
    """Open the corpus at ``db_path`` (a new file starts empty) or at the default place (a new one
    starts from the built-in corpus)."""
    if db_path:
        return CorpusStore(Path(db_path), create_from_builtin=False)
    return CorpusStore(paths.default_db_path())
