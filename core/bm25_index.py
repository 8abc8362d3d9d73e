"""BM25 first stage: rank_bm25's BM25Okapi scores, computed only where a query term occurs.

``rank_bm25.BM25Okapi.get_scores`` walks every document in Python for each query
term. This index keeps an inverted index (term -> documents, term frequencies)
and evaluates the very same floating-point expression on the documents that
contain at least one query term, so the scores are bit-identical to rank_bm25
for a corpus built in the same order, at a small fraction of the cost.

The index is incremental: passages can be added, replaced and removed without a
rebuild. New postings go to a small "live" segment beside the compact base
(CSR arrays); :meth:`compact` folds them back in. It can be saved to and loaded
from a ``.npz`` file so start-up does not re-tokenize the corpus.
"""

from __future__ import annotations

import math
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

_FORMAT = 1


class _GrowableInt:
    """A numpy int64 vector with amortised O(1) append."""

    def __init__(self, values: np.ndarray | None = None) -> None:
        self._data = np.zeros(16, dtype=np.int64) if values is None or len(values) == 0 else values.astype(np.int64)
        self._size = 0 if values is None else len(values)

    def append(self, value: int) -> None:
        if self._size == len(self._data):
            self._data = np.concatenate([self._data, np.zeros(max(16, self._size), dtype=np.int64)])
        self._data[self._size] = value
        self._size += 1

    def __len__(self) -> int:
        return self._size

    @property
    def view(self) -> np.ndarray:
        return self._data[: self._size]


class BM25Index:
    """Incremental inverted index scoring exactly like ``rank_bm25.BM25Okapi``."""

    def __init__(self, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        self.k1 = k1
        self.b = b
        self.epsilon = epsilon
        self._term_ids: dict[str, int] = {}
        self._df = _GrowableInt()
        self._doc_ids: list[str | None] = []
        self._slot_of: dict[str, int] = {}
        self._doc_len = _GrowableInt()
        self._alive = np.zeros(16, dtype=bool)
        self._total_len = 0
        # Base segment (CSR): postings of term t are [offsets[t], offsets[t+1]).
        self._base_offsets = np.zeros(1, dtype=np.int64)
        self._base_docs = np.zeros(0, dtype=np.int32)
        self._base_tfs = np.zeros(0, dtype=np.int32)
        # Live segment: term id -> {slot: tf}, for documents added since the base was built.
        self._live: dict[int, dict[int, int]] = {}
        self._live_docs = 0
        self._avg_idf_cache: float | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, docs: Iterable[tuple[str, Sequence[str]]], **params: float) -> BM25Index:
        """Build a compact index from ``(doc_id, tokens)`` pairs, in corpus order."""
        index = cls(**params)
        for doc_id, tokens in docs:
            index.add(doc_id, tokens)
        index.compact()
        return index

    def add(self, doc_id: str, tokens: Sequence[str], old_tokens: Sequence[str] | None = None) -> None:
        """Add a document, or replace it if ``doc_id`` is already indexed (``old_tokens`` speed that up)."""
        if doc_id in self._slot_of:
            self.remove(doc_id, old_tokens)
        slot = len(self._doc_ids)
        self._doc_ids.append(doc_id)
        self._slot_of[doc_id] = slot
        self._doc_len.append(len(tokens))
        self._total_len += len(tokens)
        if slot >= len(self._alive):
            self._alive = np.concatenate([self._alive, np.zeros(max(16, slot), dtype=bool)])
        self._alive[slot] = True
        for term, tf in Counter(tokens).items():
            tid = self._term_ids.get(term)
            if tid is None:
                tid = len(self._term_ids)
                self._term_ids[term] = tid
                self._df.append(0)
            self._df.view[tid] += 1
            self._live.setdefault(tid, {})[slot] = tf
        self._live_docs += 1
        self._avg_idf_cache = None

    def remove(self, doc_id: str, tokens: Sequence[str] | None = None) -> bool:
        """Remove a document; returns False if it was not indexed.

        Pass the document's ``tokens`` when known: it spares a scan of the whole vocabulary.
        """
        slot = self._slot_of.pop(doc_id, None)
        if slot is None:
            return False
        self._alive[slot] = False
        self._doc_ids[slot] = None
        self._total_len -= int(self._doc_len.view[slot])
        df = self._df.view
        tids = [self._term_ids[t] for t in set(tokens) if t in self._term_ids] if tokens is not None else None
        for tid in tids if tids is not None else self._terms_of_slot(slot):
            df[tid] -= 1
            live = self._live.get(tid)
            if live is not None:
                live.pop(slot, None)
        self._avg_idf_cache = None
        return True

    def _terms_of_slot(self, slot: int) -> list[int]:
        terms = [tid for tid, postings in self._live.items() if slot in postings]
        if slot < self._base_slot_count:
            # Base postings are sorted by slot within each term: a binary search per term.
            offs = self._base_offsets
            docs = self._base_docs
            for tid in range(len(offs) - 1):
                lo, hi = offs[tid], offs[tid + 1]
                if lo < hi:
                    pos = lo + np.searchsorted(docs[lo:hi], slot)
                    if pos < hi and docs[pos] == slot:
                        terms.append(tid)
        return terms

    @property
    def _base_slot_count(self) -> int:
        return len(self._doc_ids) - self._live_docs

    def compact(self) -> None:
        """Fold the live segment and deletions into fresh base arrays (slots renumbered)."""
        alive_slots = [s for s, d in enumerate(self._doc_ids) if d is not None]
        remap = np.full(len(self._doc_ids) + 1, -1, dtype=np.int64)
        remap[alive_slots] = np.arange(len(alive_slots))
        n_terms = len(self._term_ids)
        term_chunks: list[np.ndarray] = []
        doc_chunks: list[np.ndarray] = []
        tf_chunks: list[np.ndarray] = []
        if len(self._base_docs):
            counts = np.diff(self._base_offsets)
            base_terms = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
            new_docs = remap[self._base_docs]
            keep = new_docs >= 0
            term_chunks.append(base_terms[keep])
            doc_chunks.append(new_docs[keep])
            tf_chunks.append(self._base_tfs[keep].astype(np.int64))
        for tid, postings in self._live.items():
            if postings:
                slots = np.fromiter(postings.keys(), dtype=np.int64, count=len(postings))
                tfs = np.fromiter(postings.values(), dtype=np.int64, count=len(postings))
                term_chunks.append(np.full(len(slots), tid, dtype=np.int64))
                doc_chunks.append(remap[slots])
                tf_chunks.append(tfs)
        if term_chunks:
            terms = np.concatenate(term_chunks)
            docs = np.concatenate(doc_chunks)
            tfs = np.concatenate(tf_chunks)
            order = np.lexsort((docs, terms))
            terms, docs, tfs = terms[order], docs[order], tfs[order]
        else:
            terms = docs = tfs = np.zeros(0, dtype=np.int64)
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=n_terms), out=offsets[1:])
        self._base_offsets = offsets
        self._base_docs = docs.astype(np.int32)
        self._base_tfs = tfs.astype(np.int32)
        doc_len = self._doc_len.view[alive_slots] if alive_slots else np.zeros(0, dtype=np.int64)
        self._doc_ids = [self._doc_ids[s] for s in alive_slots]
        self._slot_of = {d: i for i, d in enumerate(self._doc_ids)}  # type: ignore[misc]
        self._doc_len = _GrowableInt(doc_len)
        self._alive = np.ones(max(16, len(alive_slots)), dtype=bool)
        self._alive[len(alive_slots) :] = False
        self._live = {}
        self._live_docs = 0

    # ------------------------------------------------------------------ scoring
    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slot_of

    @property
    def avgdl(self) -> float:
        return self._total_len / len(self._slot_of) if self._slot_of else 0.0

    def _average_idf(self) -> float:
        """rank_bm25's average idf: summed in first-appearance order, like its dict."""
        if self._avg_idf_cache is None:
            n = len(self._slot_of)
            total = 0.0
            count = 0
            log = math.log
            for freq in self._df.view.tolist():
                if freq > 0:
                    total += log(n - freq + 0.5) - log(freq + 0.5)
                    count += 1
            self._avg_idf_cache = total / count if count else 0.0
        return self._avg_idf_cache

    def idf(self, term: str) -> float:
        tid = self._term_ids.get(term)
        if tid is None:
            return 0.0
        freq = int(self._df.view[tid])
        if freq <= 0:
            return 0.0
        n = len(self._slot_of)
        value = math.log(n - freq + 0.5) - math.log(freq + 0.5)
        return self.epsilon * self._average_idf() if value < 0 else value

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        if tid + 1 < len(self._base_offsets):
            lo, hi = int(self._base_offsets[tid]), int(self._base_offsets[tid + 1])
        else:
            lo = hi = 0
        docs = self._base_docs[lo:hi].astype(np.int64)
        tfs = self._base_tfs[lo:hi].astype(np.int64)
        if len(docs):
            keep = self._alive[docs]
            if not keep.all():
                docs, tfs = docs[keep], tfs[keep]
        live = self._live.get(tid)
        if live:
            docs = np.concatenate([docs, np.fromiter(live.keys(), dtype=np.int64, count=len(live))])
            tfs = np.concatenate([tfs, np.fromiter(live.values(), dtype=np.int64, count=len(live))])
        return docs, tfs

    def score(self, query_tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Scores of every document containing a query term: ``(slots, scores)``, slots ascending.

        Each query token counts once per occurrence, as in rank_bm25.
        """
        if not self._slot_of:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        per_token: list[tuple[float, np.ndarray, np.ndarray]] = []
        for term in query_tokens:
            tid = self._term_ids.get(term)
            if tid is None or self._df.view[tid] <= 0:
                continue
            docs, tfs = self._postings(tid)
            per_token.append((self.idf(term), docs, tfs))
        if not per_token:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        union = np.unique(np.concatenate([docs for _, docs, _ in per_token]))
        doc_len = self._doc_len.view[union]
        avgdl = self.avgdl
        k1, b = self.k1, self.b
        scores = np.zeros(len(union))
        for idf, docs, tfs in per_token:
            q_freq = np.zeros(len(union), dtype=np.int64)
            q_freq[np.searchsorted(union, docs)] = tfs
            scores += idf * (q_freq * (k1 + 1) / (q_freq + k1 * (1 - b + b * doc_len / avgdl)))
        return union, scores

    def top(self, query_tokens: Sequence[str], n: int) -> list[tuple[str, float]]:
        """The ``n`` best ``(doc_id, score)``; ties keep corpus order, like a stable sort."""
        slots, scores = self.score(query_tokens)
        if not len(slots):
            return []
        if len(slots) > n:
            part = np.argpartition(-scores, n - 1)[:n]
            threshold = scores[part].min()
            part = np.flatnonzero(scores >= threshold)
        else:
            part = np.arange(len(slots))
        order = part[np.lexsort((slots[part], -scores[part]))][:n]
        return [(self._doc_ids[int(slots[i])], float(scores[i])) for i in order]  # type: ignore[misc]

    def doc_order(self) -> list[str]:
        """Indexed ids in slot order (the corpus order rank_bm25 would see)."""
        return [d for d in self._doc_ids if d is not None]

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path, stamp: str) -> None:
        """Write the compacted index to ``path`` atomically, tagged with the corpus ``stamp``."""
        self.compact()
        tmp = path.with_name(path.name + ".tmp")
        terms = sorted(self._term_ids, key=self._term_ids.__getitem__)
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                format=np.array([_FORMAT]),
                stamp=np.array([stamp]),
                params=np.array([self.k1, self.b, self.epsilon]),
                terms=np.array("\n".join(terms)),
                doc_ids=np.array("\n".join(self._doc_ids)),  # type: ignore[arg-type]
                df=self._df.view,
                doc_len=self._doc_len.view,
                offsets=self._base_offsets,
                docs=self._base_docs,
                tfs=self._base_tfs,
            )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, stamp: str) -> BM25Index | None:
        """Load a saved index if it exists and matches ``stamp``; otherwise None."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"][0]) != _FORMAT or str(data["stamp"][0]) != stamp:
                    return None
                k1, b, eps = (float(x) for x in data["params"])
                index = cls(k1=k1, b=b, epsilon=eps)
                terms_blob = str(data["terms"])
                terms = terms_blob.split("\n") if terms_blob else []
                ids_blob = str(data["doc_ids"])
                index._doc_ids = ids_blob.split("\n") if ids_blob else []  # type: ignore[assignment]
                index._term_ids = {t: i for i, t in enumerate(terms)}
                index._df = _GrowableInt(data["df"])
                index._doc_len = _GrowableInt(data["doc_len"])
                index._base_offsets = data["offsets"]
                index._base_docs = data["docs"]
                index._base_tfs = data["tfs"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # a damaged cache is rebuilt
            return None
        index._slot_of = {d: i for i, d in enumerate(index._doc_ids)}  # type: ignore[misc]
        index._alive = np.ones(max(16, len(index._doc_ids)), dtype=bool)
        index._alive[len(index._doc_ids) :] = False
        index._total_len = int(index._doc_len.view.sum())
        return index
