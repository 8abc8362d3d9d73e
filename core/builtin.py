"""The built-in corpus shipped in ``resources/corpus``: JSONL passages and their precomputed vectors.

The shipped files are only ever read; a user's corpus is a fresh database filled from them.
"""

from __future__ import annotations

import json
import logging
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
        for line in file.read_text(encoding="utf-8").splitlines():
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
    added, _ = store.add_passages(builtin_passages(folder), skip_duplicates=True)
    vectors_file = folder / EMBEDDINGS_FILE
    if vectors_file.is_file():
        with np.load(vectors_file, allow_pickle=False) as data:
            model = str(data["model"])
            hashes = store.content_hashes()
            vectors = {
                pid: vec
                for pid, digest, vec in zip(data["ids"].tolist(), data["hashes"].tolist(), data["vectors"], strict=True)
                if hashes.get(pid) == digest
            }
        if vectors:
            store.save_embeddings(model, vectors)
    log.info("created corpus %s with %d built-in passages", store.path, len(added))
    return len(added)
