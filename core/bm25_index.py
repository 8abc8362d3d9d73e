"""BM25 first stage: rank_bm25's BM25Okapi scores, computed only where a query term occurs.

``rank_bm25.BM25Okapi.get_scores`` walks every document in Python for each query
term. This index keeps an inverted index (term -> documents, term frequencies)
and evaluates the very same floating-point expression on the documents that
contain at least one query term, so the scores are bit-identical to rank_bm25
for a corpus built in the same order, at a small fraction of the cost.

Layout, sized for a million passages on a laptop:

- a compact *base* segment in CSR form: the postings of term ``t`` are
  ``docs[offsets[t]:offsets[t+1]]`` (int32 slots, ascending) with their term
  frequencies in ``tfs`` (the narrowest unsigned type that holds them);
- a small *live* segment (term -> {slot: tf}) for passages added since the base
  was built, and an ``alive`` mask for removed ones; :meth:`compact` merges them
  into the base without re-sorting it.

:meth:`build` makes the base directly, in vectorised chunks (no per-document
Python dictionaries), and the index is saved to / loaded from a ``.npz`` file so
start-up does not re-tokenize the corpus. Scoring accumulates each query
term's contributions into one reusable dense array, in query order, exactly as
rank_bm25 adds them.
"""

from __future__ import annotations

import math
import os
import threading
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from pathlib import Path

import numpy as np

_FORMAT = 2
_BUILD_CHUNK = 16384  # documents per vectorised build step; local doc numbers fit in uint16
_LIVE_LIMIT = 20_000  # documents in the live segment (Python dicts) before it is merged into the base
_EMPTY_SLOTS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0)


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


class _Vocabulary(dict):
    """term -> id, handing out the next id to an unseen term (so ids follow first appearance)."""

    def __missing__(self, term: str) -> int:
        tid = self[term] = len(self)
        return tid


def _tf_dtype(max_tf: int) -> type[np.unsignedinteger] | type[np.int32]:
    if max_tf < 2**8:
        return np.uint8
    if max_tf < 2**16:
        return np.uint16
    return np.int32


class _CsrBuilder:
    """Turns ``(doc_id, tokens)`` in corpus order into CSR postings, a chunk of documents at a time.

    Pass one maps tokens to ids (first-appearance order, like rank_bm25's dictionaries) and
    counts each chunk's ``(term, doc)`` pairs with one sort; pass two scatters the chunks into
    the final arrays by term, so no global sort of all postings is ever needed.
    """

    def __init__(self) -> None:
        self.vocab = _Vocabulary()
        self.doc_ids: list[str] = []
        self.doc_lens: list[np.ndarray] = []
        self.df = np.zeros(0, dtype=np.int64)
        self.chunks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []  # (first slot, terms, local docs, tfs)

    def add_chunk(self, ids: Sequence[str], token_lists: Sequence[Sequence[str]]) -> None:
        lens = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        self._add(ids, lens, chain.from_iterable(token_lists))

    def add_chunk_of_strings(self, ids: Sequence[str], strings: Sequence[str]) -> None:
        """Whitespace-joined tokens; one split per chunk (the tokenizer joins with single spaces)."""
        flat = " ".join(strings).split()
        lens = np.fromiter((s.count(" ") + 1 if s else 0 for s in strings), dtype=np.int64, count=len(strings))
        if int(lens.sum()) != len(flat):  # irregular whitespace: split document by document
            lists = [s.split() for s in strings]
            lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
            flat = list(chain.from_iterable(lists))
        self._add(ids, lens, flat)

    def _add(self, ids: Sequence[str], lens: np.ndarray, tokens: Iterable[str]) -> None:
        total = int(lens.sum())
        terms = np.fromiter(map(self.vocab.__getitem__, tokens), dtype=np.int64, count=total)
        first = len(self.doc_ids)
        self.doc_ids.extend(ids)
        self.doc_lens.append(lens)
        if not total:
            return
        local = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
        keys, tfs = np.unique((terms << 16) | local, return_counts=True)  # sorted by term, then document
        terms_u = (keys >> 16).astype(np.int32)
        if len(self.df) < len(self.vocab):
            self.df = np.concatenate([self.df, np.zeros(len(self.vocab) - len(self.df), dtype=np.int64)])
        self.df += np.bincount(terms_u, minlength=len(self.df))
        self.chunks.append((first, terms_u, (keys & 0xFFFF).astype(np.uint16), tfs.astype(_tf_dtype(int(tfs.max())))))

    def finish(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(offsets, docs, tfs)`` of the whole corpus; the chunks are freed as they are placed."""
        n_terms = len(self.vocab)
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(self.df, out=offsets[1:])
        max_tf = max((int(c[3].max()) for c in self.chunks), default=0)
        docs = np.empty(int(offsets[-1]), dtype=np.int32)
        tfs = np.empty(int(offsets[-1]), dtype=_tf_dtype(max_tf))
        cursor = offsets[:-1].copy()
        self.chunks.reverse()
        while self.chunks:
            first, terms, local, chunk_tfs = self.chunks.pop()
            starts = np.flatnonzero(np.r_[True, terms[1:] != terms[:-1]])
            counts = np.diff(np.r_[starts, len(terms)])
            group_terms = terms[starts]
            rank = np.arange(len(terms), dtype=np.int64) - np.repeat(starts, counts)
            pos = cursor[terms] + rank
            docs[pos] = local.astype(np.int32) + first
            tfs[pos] = chunk_tfs
            cursor[group_terms] += counts
        return offsets, docs, tfs


def _chunks(docs: Iterable[tuple[str, Sequence[str]]], size: int) -> Iterator[list[tuple[str, Sequence[str]]]]:
    it = iter(docs)
    while batch := list(islice(it, size)):
        yield batch


class BM25Index:
    """Incremental inverted index scoring exactly like ``rank_bm25.BM25Okapi``.

    Safe to query from one thread while another applies edits: every public method
    takes the index's lock.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        self.k1 = k1
        self.b = b
        self.epsilon = epsilon
        self._lock = threading.RLock()
        self._term_ids: dict[str, int] = {}
        self._df = _GrowableInt()
        self._doc_ids: list[str | None] = []
        self._slot_of: dict[str, int] = {}
        self._doc_len = _GrowableInt()
        self._alive = np.zeros(16, dtype=bool)
        self._dead = 0
        self._total_len = 0
        # Base segment (CSR): postings of term t are [offsets[t], offsets[t+1]).
        self._base_offsets = np.zeros(1, dtype=np.int64)
        self._base_docs = np.zeros(0, dtype=np.int32)
        self._base_tfs = np.zeros(0, dtype=np.uint8)
        # Live segment: term id -> {slot: tf}, for documents added since the base was built.
        self._live: dict[int, dict[int, int]] = {}
        self._live_docs = 0
        # Derived, rebuilt on demand after an edit.
        self._avg_idf_cache: float | None = None
        self._norm_cache: np.ndarray | None = None
        # Scratch for scoring: per-slot score accumulator and "touched" flags, zero between queries.
        self._acc = np.zeros(0)
        self._seen = np.zeros(0, dtype=bool)

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, docs: Iterable[tuple[str, Sequence[str]]], **params: float) -> BM25Index:
        """Build a compact index from ``(doc_id, tokens)`` pairs, in corpus order.

        Vectorised a chunk of documents at a time: about a million passages a minute on
        one core. A repeated ``doc_id`` replaces the earlier document, as :meth:`add` would.
        """
        builder = _CsrBuilder()
        for batch in _chunks(docs, _BUILD_CHUNK):
            builder.add_chunk([d for d, _ in batch], [t for _, t in batch])
        return cls._from_builder(builder, **params)

    @classmethod
    def build_from_strings(cls, docs: Iterable[tuple[str, str]], **params: float) -> BM25Index:
        """Like :meth:`build`, from whitespace-joined token strings (as the corpus database stores them)."""
        builder = _CsrBuilder()
        for batch in _chunks(docs, _BUILD_CHUNK):
            builder.add_chunk_of_strings([d for d, _ in batch], [s for _, s in batch])
        return cls._from_builder(builder, **params)

    @classmethod
    def _from_builder(cls, builder: _CsrBuilder, **params: float) -> BM25Index:
        index = cls(**params)
        index._term_ids = dict(builder.vocab)
        index._df = _GrowableInt(builder.df)
        doc_len = np.concatenate(builder.doc_lens) if builder.doc_lens else np.zeros(0, dtype=np.int64)
        index._doc_len = _GrowableInt(doc_len)
        index._total_len = int(doc_len.sum())
        index._base_offsets, index._base_docs, index._base_tfs = builder.finish()
        index._doc_ids = builder.doc_ids  # type: ignore[assignment]
        n = len(index._doc_ids)
        index._alive = np.ones(max(16, n), dtype=bool)
        index._alive[n:] = False
        index._slot_of = {d: i for i, d in enumerate(builder.doc_ids)}
        if len(index._slot_of) != n:  # repeated ids: the last one wins, as with add()
            for slot, doc_id in enumerate(builder.doc_ids):
                if index._slot_of[doc_id] != slot:
                    index._kill(slot, None)
            index.compact()
        return index

    def add(self, doc_id: str, tokens: Sequence[str], old_tokens: Sequence[str] | None = None) -> None:
        """Add a document, or replace it if ``doc_id`` is already indexed (``old_tokens`` speed that up)."""
        with self._lock:
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
            self._edited()
            if self._live_docs >= _LIVE_LIMIT:  # bounds the memory of a bulk import into an open index
                self.compact()

    def remove(self, doc_id: str, tokens: Sequence[str] | None = None) -> bool:
        """Remove a document; returns False if it was not indexed.

        Pass the document's ``tokens`` when known: it spares a scan of the whole vocabulary.
        """
        with self._lock:
            slot = self._slot_of.pop(doc_id, None)
            if slot is None:
                return False
            self._kill(slot, tokens)
            return True

    def _kill(self, slot: int, tokens: Sequence[str] | None) -> None:
        self._alive[slot] = False
        self._doc_ids[slot] = None
        self._dead += 1
        self._total_len -= int(self._doc_len.view[slot])
        df = self._df.view
        tids = [self._term_ids[t] for t in set(tokens) if t in self._term_ids] if tokens is not None else None
        for tid in tids if tids is not None else self._terms_of_slot(slot):
            df[tid] -= 1
            live = self._live.get(tid)
            if live is not None:
                live.pop(slot, None)
        self._edited()

    def _edited(self) -> None:
        self._avg_idf_cache = None
        self._norm_cache = None

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
        """Fold the live segment and deletions into the base arrays (slots renumbered).

        The base stays sorted: removing documents keeps the order of the others, and every
        live slot is past every base slot, so live postings go at the end of their term's run.
        """
        with self._lock:
            if not self._live_docs and not self._dead:
                return
            n_slots = len(self._doc_ids)
            alive = self._alive[:n_slots]
            remap = (np.cumsum(alive) - 1).astype(np.int32)
            docs, tfs, offsets = self._base_docs, self._base_tfs, self._base_offsets
            if self._dead and len(docs):
                keep = alive[docs]
                if not keep.all():
                    kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
                    np.cumsum(keep, out=kept_before[1:])
                    offsets = kept_before[offsets]
                    docs, tfs = docs[keep], tfs[keep]
                    del keep, kept_before
                docs = remap[docs]
            n_terms = len(self._term_ids)
            if len(offsets) - 1 < n_terms:
                offsets = np.concatenate([offsets, np.full(n_terms + 1 - len(offsets), offsets[-1], dtype=np.int64)])
            live = [(tid, postings) for tid, postings in self._live.items() if postings]
            if live:
                new_terms = np.concatenate([np.full(len(p), tid, dtype=np.int64) for tid, p in live])
                new_slots = np.concatenate([np.fromiter(p.keys(), dtype=np.int64, count=len(p)) for _, p in live])
                new_tfs = np.concatenate([np.fromiter(p.values(), dtype=np.int64, count=len(p)) for _, p in live])
                order = np.lexsort((new_slots, new_terms))
                new_terms, new_slots, new_tfs = new_terms[order], new_slots[order], new_tfs[order]
                dtype = np.promote_types(tfs.dtype, _tf_dtype(int(new_tfs.max())))
                ends = offsets[new_terms + 1]
                docs = np.insert(docs, ends, remap[new_slots])
                tfs = np.insert(tfs.astype(dtype, copy=False), ends, new_tfs.astype(dtype))
                offsets = offsets.copy()
                offsets[1:] += np.cumsum(np.bincount(new_terms, minlength=n_terms))
            self._base_offsets, self._base_docs, self._base_tfs = offsets, docs.astype(np.int32, copy=False), tfs
            if self._dead:
                self._doc_ids = [d for d in self._doc_ids if d is not None]
                self._slot_of = {d: i for i, d in enumerate(self._doc_ids)}  # type: ignore[misc]
                self._doc_len = _GrowableInt(self._doc_len.view[alive])
            n = len(self._doc_ids)
            self._alive = np.ones(max(16, n), dtype=bool)
            self._alive[n:] = False
            self._live = {}
            self._live_docs = 0
            self._dead = 0
            self._edited()

    # ------------------------------------------------------------------ scoring
    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slot_of

    @property
    def avgdl(self) -> float:
        return self._total_len / len(self._slot_of) if self._slot_of else 0.0

    def _average_idf(self) -> float:
        """rank_bm25's average idf: summed left to right in first-appearance order, like its dict."""
        if self._avg_idf_cache is None:
            n = len(self._slot_of)
            df = self._df.view
            df = df[df > 0]
            if not len(df):
                self._avg_idf_cache = 0.0
            else:
                # math.log (not numpy's SIMD log) on each distinct df; add.accumulate sums sequentially.
                distinct, where = np.unique(df, return_inverse=True)
                log = math.log
                idfs = np.array([log(n - f + 0.5) - log(f + 0.5) for f in distinct.tolist()])[where]
                self._avg_idf_cache = float(np.add.accumulate(idfs)[-1]) / len(idfs)
        return self._avg_idf_cache

    def idf(self, term: str) -> float:
        with self._lock:
            tid = self._term_ids.get(term)
            if tid is None:
                return 0.0
            freq = int(self._df.view[tid])
            if freq <= 0:
                return 0.0
            n = len(self._slot_of)
            value = math.log(n - freq + 0.5) - math.log(freq + 0.5)
            return self.epsilon * self._average_idf() if value < 0 else value

    def _norms(self) -> np.ndarray:
        """Per slot, rank_bm25's ``k1 * (1 - b + b * doc_len / avgdl)``, evaluated the same way."""
        if self._norm_cache is None:
            self._norm_cache = self.k1 * (1 - self.b + self.b * self._doc_len.view / self.avgdl)
        return self._norm_cache

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """Slots and term frequencies of term ``tid`` (removed slots included; callers mask them)."""
        if tid + 1 < len(self._base_offsets):
            lo, hi = int(self._base_offsets[tid]), int(self._base_offsets[tid + 1])
        else:
            lo = hi = 0
        docs: np.ndarray = self._base_docs[lo:hi]
        tfs: np.ndarray = self._base_tfs[lo:hi]
        live = self._live.get(tid)
        if live:
            docs = np.concatenate([docs, np.fromiter(live.keys(), dtype=np.int32, count=len(live))])
            tfs = np.concatenate([tfs.astype(np.int64), np.fromiter(live.values(), dtype=np.int64, count=len(live))])
        return docs, tfs

    def score(self, query_tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Scores of every document containing a query term: ``(slots, scores)``, slots ascending.

        Each query token counts once per occurrence, as in rank_bm25, and adds its
        ``idf * tf * (k1 + 1) / (tf + norm)`` in query order: the same float operations.
        """
        with self._lock:
            if not self._slot_of:
                return _EMPTY_SLOTS, _EMPTY_SCORES
            terms: list[tuple[float, int]] = []
            for term in query_tokens:
                tid = self._term_ids.get(term)
                if tid is not None and self._df.view[tid] > 0:
                    terms.append((self.idf(term), tid))
            if not terms:
                return _EMPTY_SLOTS, _EMPTY_SCORES
            n_slots = len(self._doc_ids)
            if len(self._acc) < n_slots:
                self._acc = np.zeros(n_slots + n_slots // 8 + 16)
                self._seen = np.zeros(len(self._acc), dtype=bool)
            acc, seen, norms, k1_plus_1 = self._acc, self._seen, self._norms(), self.k1 + 1
            for idf, tid in terms:
                docs, tfs = self._postings(tid)
                acc[docs] += idf * (tfs * k1_plus_1 / (tfs + norms[docs]))
                seen[docs] = True
            slots = np.flatnonzero(seen[:n_slots])
            scores = acc[slots]
            acc[slots] = 0.0
            seen[slots] = False
            if self._dead:
                keep = self._alive[slots]
                slots, scores = slots[keep], scores[keep]
            return slots, scores

    def scores_of(self, query_tokens: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray:
        """Scores of the given documents, the same floats :meth:`score` gives them (0 where no term occurs).

        For candidates found another way (by embedding) that BM25's top list left out: a binary
        search per query term and document, not a pass over every posting.
        """
        with self._lock:
            out = np.zeros(len(doc_ids))
            slots = np.array([self._slot_of.get(d, -1) for d in doc_ids], dtype=np.int64)
            known = slots >= 0
            if not known.any():
                return out
            wanted = slots[known]
            acc = np.zeros(len(wanted))
            norms, k1_plus_1 = self._norms()[wanted], self.k1 + 1
            for term in query_tokens:
                tid = self._term_ids.get(term)
                if tid is None or self._df.view[tid] <= 0:
                    continue
                tfs = self._tfs_of(tid, wanted)
                acc += self.idf(term) * (tfs * k1_plus_1 / (tfs + norms))  # tf 0 adds exactly 0.0, as in score()
            out[known] = acc
            return out

    def _tfs_of(self, tid: int, slots: np.ndarray) -> np.ndarray:
        """Term frequency of term ``tid`` in each of ``slots`` (0 where absent)."""
        tfs = np.zeros(len(slots))
        if tid + 1 < len(self._base_offsets):
            lo, hi = int(self._base_offsets[tid]), int(self._base_offsets[tid + 1])
            docs = self._base_docs[lo:hi]
            if len(docs):
                pos = np.minimum(np.searchsorted(docs, slots), len(docs) - 1)
                found = docs[pos] == slots
                tfs[found] = self._base_tfs[lo:hi][pos[found]]
        live = self._live.get(tid)
        if live:
            for i, slot in enumerate(slots.tolist()):
                tf = live.get(slot)
                if tf is not None:
                    tfs[i] = tf
        return tfs

    def top(self, query_tokens: Sequence[str], n: int) -> list[tuple[str, float]]:
        """The ``n`` best ``(doc_id, score)``; ties keep corpus order, like a stable sort."""
        with self._lock:
            slots, scores = self.score(query_tokens)
            if not len(slots) or n <= 0:
                return []
            if len(slots) > n:
                part = np.argpartition(-scores, n - 1)[:n]
                threshold = scores[part].min()
                part = np.flatnonzero(scores >= threshold)
            else:
                part = np.arange(len(slots))
            order = part[np.lexsort((slots[part], -scores[part]))][:n]
            doc_ids = self._doc_ids
            return [(doc_ids[int(slots[i])], float(scores[i])) for i in order]  # type: ignore[misc]

    def doc_order(self) -> list[str]:
        """Indexed ids in slot order (the corpus order rank_bm25 would see)."""
        with self._lock:
            return [d for d in self._doc_ids if d is not None]

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path, stamp: str) -> None:
        """Write the compacted index to ``path`` atomically, tagged with the corpus ``stamp``."""
        with self._lock:
            self.compact()
            tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")  # two windows may save
            terms = sorted(self._term_ids, key=self._term_ids.__getitem__)
            with open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    format=np.array([_FORMAT]),
                    stamp=np.array([stamp]),
                    params=np.array([self.k1, self.b, self.epsilon]),
                    terms=_pack_strings(terms),
                    doc_ids=_pack_strings(self._doc_ids),  # type: ignore[arg-type]
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
                terms = _unpack_strings(data["terms"])
                index._doc_ids = _unpack_strings(data["doc_ids"])  # type: ignore[assignment]
                index._term_ids = {t: i for i, t in enumerate(terms)}
                index._df = _GrowableInt(data["df"])
                index._doc_len = _GrowableInt(data["doc_len"])
                index._base_offsets = data["offsets"]
                index._base_docs = data["docs"]
                index._base_tfs = data["tfs"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # a damaged cache is rebuilt
            return None
        n = len(index._doc_ids)
        if len(index._doc_len) != n or len(index._df) != len(index._term_ids):
            return None
        index._slot_of = {d: i for i, d in enumerate(index._doc_ids)}  # type: ignore[misc]
        index._alive = np.ones(max(16, n), dtype=bool)
        index._alive[n:] = False
        index._total_len = int(index._doc_len.view.sum())
        return index


def _pack_strings(items: Sequence[str]) -> np.ndarray:
    """NUL-joined UTF-8 bytes: compact in the .npz and fast to split again."""
    return np.frombuffer("\x00".join(items).encode("utf-8"), dtype=np.uint8)


def _unpack_strings(data: np.ndarray) -> list[str]:
    blob = data.tobytes().decode("utf-8")
    return blob.split("\x00") if blob else []
