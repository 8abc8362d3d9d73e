"""The built-in corpus shipped in ``resources/corpus``: JSONL passages and their precomputed vectors.

The shipped files are only ever read; a user's corpus is a fresh database filled from them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import paths
from .records import Passage

if TYPE_CHECKING:
    from .store import CorpusStore

log = logging.getLogger(__name__)

EMBEDDINGS_FILE = "embeddings.npz"


def builtin_passages(folder: Path = paths.BUILTIN_CORPUS_DIR) -> list[Passage]:
    """Every passage of the built-in corpus, files in name order, lines in file order."""
    passages: list[Passage] = []
    for file in sorted(folder.glob("*.jsonl")):
        passages += parse_builtin_lines(file.read_text(encoding="utf-8").splitlines())
    return passages


def parse_builtin_lines(lines: Iterable[str]) -> list[Passage]:
    """Passages from the lines of one shipped JSONL file."""
    passages = []
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        passages.append(
            Passage(
                id=row["id"],
                title=row["title"],
                text=row["text"],
                source=row.get("source", ""),
                section=row.get("section", ""),
                topics=list(row.get("topics", [])),
                origin="builtin",
            )
        )
    return passages


def populate_from_builtin(store: CorpusStore, folder: Path = paths.BUILTIN_CORPUS_DIR) -> int:
    """Fill a new store with the built-in passages and their shipped vectors; returns passages added."""
    passages = builtin_passages(folder)
    added, _ = store.add_passages(passages, skip_duplicates=True)
    model, vectors = shipped_vectors(store, folder, [p.id for p in passages])
    if vectors:
        store.save_embeddings(model, vectors)
    log.info("created corpus %s with %d built-in passages", store.path, len(added))
    return len(added)


def shipped_vectors(store: CorpusStore, folder: Path, ids: Iterable[str]) -> tuple[str, dict[str, np.ndarray]]:
    """``(model, {id: vector})``: the shipped vectors of ``ids`` whose text in the store is the shipped text."""
    vectors_file = folder / EMBEDDINGS_FILE
    wanted = set(ids)
    if not wanted or not vectors_file.is_file():
        return "", {}
    with np.load(vectors_file, allow_pickle=False) as data:
        model = str(data["model"])
        hashes = store.content_hashes()
        vectors = {
            pid: vec
            for pid, digest, vec in zip(data["ids"].tolist(), data["hashes"].tolist(), data["vectors"], strict=True)
            if pid in wanted and hashes.get(pid) == digest
        }
    return model, vectors
