"""Backups with SQLite's online backup API, rotated, made before destructive work."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import paths

if TYPE_CHECKING:
    from .store import CorpusStore

log = logging.getLogger(__name__)

KEEP_BACKUPS = 10


def backup_folder_for(store: CorpusStore) -> Path:
    folder = store.path.parent / "backups"
    if store.path.parent == paths.data_dir():
        folder = paths.backups_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def backup(store: CorpusStore, dest: Path) -> Path:
    """Copy the live database to ``dest`` consistently (SQLite backup API), atomically."""
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.unlink(missing_ok=True)
    target = sqlite3.connect(str(tmp))
    try:
        with store._lock:
            store.db.conn.backup(target)
    finally:
        target.close()
    tmp.replace(dest)
    return dest


def backup_before(store: CorpusStore, reason: str) -> Path | None:
    """Rotating backup named after ``reason``; failures are logged, never fatal to the caller."""
    try:
        folder = backup_folder_for(store)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        dest = backup(store, folder / f"{store.path.stem}-{stamp}-{reason}.sqlite")
        old = sorted(folder.glob(f"{store.path.stem}-*.sqlite"))
        for stale in old[:-KEEP_BACKUPS]:
            stale.unlink(missing_ok=True)
        return dest
    except (OSError, sqlite3.Error) as exc:
        log.warning("backup before %s failed: %s", reason, exc)
        return None
