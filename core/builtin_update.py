"""Bring a user's corpus up to date with a newer built-in library, never touching what the user wrote.

A corpus is filled from ``resources/corpus`` once, when it is created. A later release may correct a
built-in passage (a safer threshold, a clearer instruction) or add new ones; a user's corpus would
otherwise keep the old text for ever. At opening, when the shipped files changed since the corpus
last saw them:

* a built-in passage the user never edited (its fields equal a version we shipped, listed in
  ``history.json``) is replaced by the new version, with the new shipped vector;
* a passage the user edited is kept exactly as the user left it, and reported;
* a passage new in this release is added; one the user deleted stays deleted (the corpus records
  which built-in ids it was given; for a corpus made before that record existed, the ids that had
  shipped when it was filled, by ``history.json``'s first-shipped times);
* a backup is made first; if it cannot be, nothing is changed and the update waits for the next opening.

``python scripts/builtin_history.py`` rewrites ``history.json`` from the git history of the shipped files.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import paths
from .builtin import builtin_passages, shipped_vectors
from .errors import ValidationError
from .records import Passage, count_noun
from .store import scrub, validate_passage

if TYPE_CHECKING:
    from .store import CorpusStore

log = logging.getLogger(__name__)

HISTORY_FILE = "history.json"
RELEASE_KEY = "builtin_release"  # meta: the shipped files' digest this corpus was last brought up to
GIVEN_KEY = "builtin_ids"  # meta: JSON list of the built-in ids this corpus has been given


@dataclass
class BuiltinUpdate:
    """What one update did, in the words the app shows."""

    corrected: list[str] = field(default_factory=list)  # ids replaced by the new shipped version
    added: list[str] = field(default_factory=list)  # ids new in this release
    kept_edited: list[str] = field(default_factory=list)  # ids the user edited whose shipped text changed
    skipped: str = ""  # why nothing was done (no backup could be made)

    @property
    def changed(self) -> bool:
        return bool(self.corrected or self.added)

    def summary(self) -> str:
        if self.skipped:
            return f"The built-in library has an update that was not applied: {self.skipped}"
        parts = []
        if self.corrected:
            parts.append(f"{count_noun(len(self.corrected), 'passage')} corrected")
        if self.added:
            parts.append(f"{count_noun(len(self.added), 'new passage')} added")
        text = "Built-in library updated: " + " and ".join(parts) + "." if parts else ""
        if self.kept_edited:
            text += (
                f" {count_noun(len(self.kept_edited), 'passage')} you edited "
                f"{'was' if len(self.kept_edited) == 1 else 'were'} kept as you wrote "
                f"{'it' if len(self.kept_edited) == 1 else 'them'}."
            )
        return text.strip()


def fingerprint(passage: Passage) -> str:
    """Digest of the fields a user can edit, as the store keeps them (cleaned the same way)."""
    title, text, topics = validate_passage(passage.title, passage.text, passage.topics)
    fields = [title, text, scrub(passage.source).strip(), scrub(passage.section).strip(), topics]
    return hashlib.sha1(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def release_digest(folder: Path = paths.BUILTIN_CORPUS_DIR) -> str:
    """Digest of the shipped passage files' bytes: cheap to compute at every opening."""
    digest = hashlib.sha1()
    for file in sorted(folder.glob("*.jsonl")):
        digest.update(file.name.encode("utf-8") + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def shipped_history(folder: Path = paths.BUILTIN_CORPUS_DIR) -> dict[str, set[str]]:
    """Every fingerprint each built-in id ever shipped with (before this release)."""
    return _fingerprints(_history(folder))


def _fingerprints(history: dict) -> dict[str, set[str]]:
    return {pid: set(prints) for pid, prints in history.get("fingerprints", {}).items()}


def _history(folder: Path) -> dict:
    """``history.json``: ``fingerprints`` (id -> every version shipped) and ``first_shipped`` (id -> the ISO
    time of the commit it first shipped in; absent: new in this release)."""
    try:
        data = json.loads((folder / HISTORY_FILE).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return data
    except (OSError, ValueError) as exc:
        log.warning("no usable %s in %s (%s): only unchanged passages count as unedited", HISTORY_FILE, folder, exc)
        return {}


def record_release(store: CorpusStore, folder: Path = paths.BUILTIN_CORPUS_DIR) -> None:
    """Note that a corpus just filled from the built-in library holds this release."""
    store.set_meta(GIVEN_KEY, json.dumps(sorted(p.id for p in builtin_passages(folder))))
    store.set_meta(RELEASE_KEY, release_digest(folder))


def update_from_builtin(store: CorpusStore, folder: Path = paths.BUILTIN_CORPUS_DIR) -> BuiltinUpdate | None:
    """Apply a newer built-in library to a corpus that was filled from it; None when there is nothing to do."""
    if store.get_meta("builtin") != "loaded":
        return None  # a corpus the user filled themselves, or one still being created
    release = release_digest(folder)
    if store.get_meta(RELEASE_KEY) == release:
        return None
    shipped = {p.id: p for p in builtin_passages(folder)}
    held = store.get_many(shipped)
    recorded = _history(folder)
    given = _given(store, recorded.get("first_shipped", {}), held)
    history = _fingerprints(recorded)
    report = BuiltinUpdate()
    replacements: list[Passage] = []
    for pid, new in shipped.items():
        current = held.get(pid)
        if current is None:
            if pid not in given:
                report.added.append(pid)
            continue
        have = _fingerprint_or_none(current)
        if have == fingerprint(new):
            continue
        if have is not None and have in history.get(pid, ()):
            replacements.append(new)
        else:
            report.kept_edited.append(pid)
    if replacements or report.added:
        from .safety import backup_before

        if backup_before(store, "builtin-update") is None:
            report.skipped = "no backup of the corpus could be written first (is the disk full?)."
            log.warning("built-in update of %s postponed: %s", store.path, report.skipped)
            return report
        # checked again inside the write: another window may have edited one since it was read above
        report.corrected = store.replace_passages(
            replacements, keep_if=lambda p: _fingerprint_or_none(p) in history.get(p.id, ())
        )
        report.kept_edited += [p.id for p in replacements if p.id not in set(report.corrected)]
        report.added, _ = store.add_passages([shipped[pid] for pid in report.added], skip_duplicates=True)
        vectors_model, vectors = shipped_vectors(store, folder, report.corrected + report.added)
        if vectors:
            store.save_embeddings(vectors_model, vectors)
    store.set_meta(GIVEN_KEY, json.dumps(sorted(given | set(shipped))))
    store.set_meta(RELEASE_KEY, release)
    if report.changed or report.kept_edited:
        log.info("built-in update of %s: %s", store.path, report.summary())
    return report


def _given(store: CorpusStore, first_shipped: dict[str, str], held: dict[str, Passage]) -> set[str]:
    """The built-in ids this corpus has been given: recorded since this module exists; for an older corpus,
    those it holds plus every id that had shipped by the time it was filled (the rest the user deleted)."""
    recorded = store.get_meta(GIVEN_KEY)
    if recorded:
        try:
            return set(json.loads(recorded))
        except ValueError:
            log.warning("unreadable %s in %s: working it out again", GIVEN_KEY, store.path)
    with store._lock:
        row = store.db.execute("SELECT min(created_at) FROM passages WHERE origin = 'builtin'").fetchone()
    filled = _when(row[0] if row else None)
    if filled is None:
        return set(held)
    shipped_at = {pid: _when(at) for pid, at in first_shipped.items()}
    return set(held) | {pid for pid, at in shipped_at.items() if at is not None and at <= filled}


def _when(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _fingerprint_or_none(passage: Passage) -> str | None:
    """A stored passage the cleaning now refuses (e.g. a title since made too long) counts as the user's."""
    try:
        return fingerprint(passage)
    except ValidationError:
        return None
