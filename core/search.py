"""The retrieval pipeline: BM25 and dense candidates, fused, reranked by the cross-encoder.

    query ──► BM25 top-N ──┐
              dense top-N ─┴─► both scores for each ──► ordered by the prior ──► cross-encoder on the top K ──► answers

Every candidate of either list gets both first-stage scores (its cosine, and its
BM25 score, looked up when the BM25 list left it out). The reranker's model
folder calibrates a prior from them (``a·cosine + b·bm25/max``): the same terms
that are added to the cross-encoder's score for the final order. The first
stage is ordered by that prior, so the K candidates reranked are those the
final order is most likely to put on top. With no calibrated reranker (none
loaded yet, or a folder without weights) the lists are fused by reciprocal rank.

First-stage results are available on their own (``rerank=False`` or the
``on_first_stage`` callback) so a window can show them at once and put the
reranked order in place when it is ready. Without a reranker the fused order
is the answer, and the result says it was not reranked.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bm25_index import BM25Index
from .dense import DenseEncoder, DenseIndex
from .records import NOT_CONFIDENT, NOTHING_ANSWERS, SearchHit, SearchResult
from .reranker import Reranker, passage_input
from .store import Change, CorpusStore
from .tokenizer import tokenize

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000
# Candidates reranked by default. Ordered by a calibrated prior, the first 10 hold nearly every answer the
# cross-encoder would put on top: on 500 held-out questions nDCG@10 was 0.806 at 10, 0.807-0.808 at 15-50
# (training/tune_pipeline.py). Fused by reciprocal rank only (a model folder without weights), the answer
# sits deeper: 40 on a CPU, 50 on CUDA, where more costs little.
PRIOR_DEPTH = 10
RRF_DEPTH_CPU = 40
RRF_DEPTH_CUDA = 50
PIPELINE_CONFIG = "survival_search.json"
# controls and lone surrogates (the tokenizer refuses them)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


# A top answer below this confidence, on a model whose confidence scaling was fitted (its folder's
# survival_search.json), means the library most likely has no answer at all. Measured with
# scripts/confidence_check.py (shipped model, built-in passages + FM 3-05.70): 0.7% of 150 answerable
# held-out questions have their top answer below 2%, and 80% of 40 off-topic ones; the level is the
# largest of 2/5/10/20/30% with at most 2% of answerable questions below it (5% already had 3.3%).
NOTHING_ANSWERS_BELOW = 0.02


@dataclass
class SearchSettings:
    """Knobs of the pipeline; the defaults are the shipped configuration."""

    results: int = 10
    candidates: int | None = None  # reranked per query; None: automatic (see rerank_count), trimmed by the budget
    bm25_depth: int = 100
    dense_depth: int = 100
    rrf_k: int = 60
    rerank_budget_ms: float | None = None  # CPU latency budget for reranking; None: no trimming


@dataclass
class Calibration:
    """How a model's raw scores become the final order and a confidence (from its folder)."""

    dense_weight: float = 0.0
    bm25_weight: float = 0.0
    platt_a: float = 1.0
    platt_b: float = 0.0
    confident_at: float = 0.5
    calibrated: bool = False  # the confidence scaling was fitted for this model (its folder says how)

    @classmethod
    def for_model(cls, folder: Path | None) -> Calibration:
        if folder is None or not (folder / PIPELINE_CONFIG).is_file():
            return cls()
        try:
            data = json.loads((folder / PIPELINE_CONFIG).read_text(encoding="utf-8"))
            fusion, platt = data.get("fusion", {}), data.get("calibration", {})
            return cls(
                dense_weight=float(fusion.get("dense_weight", 0.0)),
                bm25_weight=float(fusion.get("bm25_weight", 0.0)),
                platt_a=float(platt.get("a", 1.0)),
                platt_b=float(platt.get("b", 0.0)),
                confident_at=float(platt.get("confident_at", 0.5)),
                calibrated="a" in platt and "b" in platt,
            )
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("ignoring unreadable %s: %s", folder / PIPELINE_CONFIG, exc)
            return cls()

    @property
    def weighs_first_stage(self) -> bool:
        return bool(self.dense_weight or self.bm25_weight)

    def prior(self, dense: np.ndarray, bm25: np.ndarray, bm25_top: float | None = None) -> np.ndarray:
        """The first-stage part of the final score: weighted cosine plus BM25 relative to ``bm25_top``.

        ``bm25_top`` defaults to the best of ``bm25`` (the candidates' own maximum).
        """
        return self.dense_weight * dense + self.bm25_weight * normalize_bm25(bm25, bm25_top)

    def combine(
        self, rerank: np.ndarray, dense: np.ndarray, bm25: np.ndarray, bm25_top: float | None = None
    ) -> np.ndarray:
        """Final scores: the reranker's, calibrated with the cosine and the candidates' relative BM25."""
        return rerank + self.prior(dense, bm25, bm25_top)

    def confidence(self, final: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.platt_a * final + self.platt_b)))


@dataclass
class Candidate:
    id: str
    fused: float  # reciprocal-rank fusion of the two lists
    bm25_score: float | None = None
    bm25_rank: int | None = None
    dense_score: float | None = None
    dense_rank: int | None = None
    prior: float | None = None  # the calibrated first-stage score, when the reranker has weights

    @property
    def first_score(self) -> float:
        """What the first stage ordered by."""
        return self.fused if self.prior is None else self.prior


def normalize_bm25(scores: np.ndarray, top: float | None = None) -> np.ndarray:
    """BM25 scores relative to the best candidate's (0..1), the scale the fusion weights expect."""
    if top is None:
        top = scores.max() if len(scores) else 0.0
    return scores / top if top > 0 else scores


def clean_query(query: str) -> tuple[str, str]:
    """Strip control characters and cap the length; returns (query, notice for the user)."""
    text = _CONTROL.sub(" ", query or "")
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_QUERY_CHARS:
        return text[:MAX_QUERY_CHARS], f"Your question was shortened to its first {MAX_QUERY_CHARS:,} characters."
    return text, ""


class SearchEngine:
    """Answers queries over a :class:`CorpusStore`; follows every edit of the store."""

    def __init__(
        self,
        store: CorpusStore,
        *,
        reranker: Reranker | None = None,
        encoder: DenseEncoder | None = None,
        settings: SearchSettings | None = None,
        reranker_notice: str = "",
        persist_index: bool = True,
    ) -> None:
        self._index_lock = threading.RLock()
        self.store = store
        self.settings = settings or SearchSettings()
        self.encoder = encoder
        self.dense = DenseIndex(store)
        self.reranker_notice = reranker_notice
        self.calibration = Calibration()
        self.set_reranker(reranker, reranker_notice)
        self._index_path = store.path.with_name(store.path.name + ".bm25.npz") if persist_index else None
        self._index_stamp = ""  # the corpus stamp the BM25 index reflects
        self.other_writes_seen = 0  # times the index caught up with another program's writes
        self.index = self._open_index()
        store.subscribe(self._on_change)
        self._ms_per_candidate: float | None = None

    # ------------------------------------------------------------------ models
    def set_reranker(self, reranker: Reranker | None, notice: str = "") -> None:
        self.reranker = reranker
        self.reranker_notice = notice
        self.calibration = Calibration.for_model(reranker.folder if reranker else None)
        self._ms_per_candidate = None

    def set_encoder(self, encoder: DenseEncoder | None) -> None:
        self.encoder = encoder

    # ------------------------------------------------------------------ index
    def _open_index(self) -> BM25Index:
        stamp = self.store.stamp  # read before the text: a write during the build shows as a newer stamp
        self._index_stamp = stamp
        if self._index_path is not None and self._index_path.exists():
            loaded = BM25Index.load(self._index_path, stamp)
            if loaded is not None:
                return loaded
        index = BM25Index.build_from_strings(self.store.iter_token_strings())
        self._save_index(index, stamp)
        return index

    def follow_other_writers(self) -> bool:
        """Catch up now with another program's writes (the next search would); True if there were any."""
        with self._index_lock:
            return self._follow_other_writers()

    def _follow_other_writers(self) -> bool:
        """Rebuild the BM25 index if another program (a second window, ``survival-search import``) wrote.

        This process's own writes arrive through ``_on_change``; a stamp that moved without one of them
        means someone else changed the corpus. Costs one read of the stamp per search.
        """
        current = self.store.stamp
        if current == self._index_stamp or self.store.written_here(self._index_stamp, current):
            return False  # up to date, or only this process wrote: its changes are on their way to _on_change
        started = time.perf_counter()
        self.index = self._open_index()
        if self.store.stamp != self._index_stamp:
            # a write landed during the rebuild, which may or may not hold it: its change must not be applied
            # on top (that would count it twice), so rebuild once more at the next search instead
            self._index_stamp = ""
        self.other_writes_seen += 1
        log.info(
            "the corpus was changed by another program; search index renewed in %.2f s", time.perf_counter() - started
        )
        return True

    def _save_index(self, index: BM25Index, stamp: str) -> None:
        if self._index_path is None:
            return
        try:
            index.save(self._index_path, stamp)
        except OSError as exc:  # a cache: losing it costs start-up time, nothing else
            log.warning("could not save the BM25 index to %s: %s", self._index_path, exc)

    def _on_change(self, change: Change) -> None:
        # the store's listener runs on the thread that wrote; a search may be reading the index on another
        with self._index_lock:
            self.dense.apply(change)
            if change.stamp_before != self._index_stamp:
                # the index was rebuilt since (it holds this change already) or another program wrote first
                # (the next search rebuilds): applying it now could count it twice
                return
            self._index_stamp = change.stamp_after
            for pid, tokens in change.removed:
                self.index.remove(pid, tokens)
            for pid, tokens, old in change.updated:
                self.index.add(pid, tokens, old_tokens=old)
            for pid, tokens in change.added:
                self.index.add(pid, tokens)

    def detach(self) -> None:
        """Stop following the store's writes (an engine made for one job, dropped after it)."""
        self.store.unsubscribe(self._on_change)

    def save_index(self) -> None:
        """Persist the BM25 index so the next start does not rebuild it."""
        with self._index_lock:
            self._save_index(self.index, self._index_stamp)

    # ------------------------------------------------------------------ stages
    def first_stage(self, query: str, topics: Iterable[str] | None = None) -> tuple[list[Candidate], dict[str, float]]:
        """BM25 and dense candidates with both scores, best first by the calibrated prior (else reciprocal rank).

        Holds the index lock (not the slow reranking): a write on another thread waits for it.
        """
        with self._index_lock:
            self._follow_other_writers()
            return self._first_stage(query, topics)

    def _first_stage(self, query: str, topics: Iterable[str] | None) -> tuple[list[Candidate], dict[str, float]]:
        timings: dict[str, float] = {}
        s = self.settings
        allowed = self._topic_filter(topics)
        depth = s.bm25_depth if allowed is None else max(s.bm25_depth * 20, 2000)
        t0 = time.perf_counter()
        tokens = tokenize(query)
        bm25 = self.index.top(tokens, depth)
        if allowed is not None:
            bm25 = [h for h in bm25 if h[0] in allowed][: s.bm25_depth]
        timings["bm25_ms"] = (time.perf_counter() - t0) * 1000
        dense: list[tuple[str, float]] = []
        vector: np.ndarray | None = None
        if self.encoder is not None and s.dense_depth > 0:
            t0 = time.perf_counter()
            vector = self.encoder.encode_query(query)
            timings["embed_query_ms"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            dense = self.dense.top(vector, s.dense_depth if allowed is None else len(self.dense))
            if allowed is not None:
                dense = [h for h in dense if h[0] in allowed][: s.dense_depth]
            timings["dense_ms"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        candidates: dict[str, Candidate] = {}
        for rank, (pid, score) in enumerate(bm25, start=1):
            candidates[pid] = Candidate(pid, 1.0 / (s.rrf_k + rank), bm25_score=score, bm25_rank=rank)
        for rank, (pid, score) in enumerate(dense, start=1):
            cand = candidates.setdefault(pid, Candidate(pid, 0.0))
            cand.fused += 1.0 / (s.rrf_k + rank)
            cand.dense_score, cand.dense_rank = score, rank
        ordered = sorted(candidates.values(), key=lambda c: -c.fused)
        self._complete_scores(ordered, tokens, vector)
        if self.calibration.weighs_first_stage and ordered:
            for c, prior in zip(ordered, self._prior(ordered), strict=True):
                c.prior = float(prior)
            ordered.sort(key=lambda c: -c.first_score)  # stable: ties keep reciprocal-rank order
        timings["fusion_ms"] = (time.perf_counter() - t0) * 1000
        return ordered, timings

    def _complete_scores(self, candidates: list[Candidate], tokens: list[str], vector: np.ndarray | None) -> None:
        """Give each candidate found by one list its score in the other (ranks stay None)."""
        missing = [c for c in candidates if c.bm25_score is None]
        if missing:
            for c, score in zip(missing, self.index.scores_of(tokens, [c.id for c in missing]), strict=True):
                c.bm25_score = float(score)
        if vector is not None:
            cosines = self.dense.similarities(vector, [c.id for c in candidates if c.dense_score is None])
            for c in candidates:
                if c.dense_score is None:
                    c.dense_score = cosines.get(c.id)

    def _prior(self, candidates: list[Candidate]) -> np.ndarray:
        """Calibrated cosine + BM25 relative to the best BM25 score of all ``candidates``."""
        dense = np.array([c.dense_score if c.dense_score is not None else 0.0 for c in candidates])
        bm25 = np.array([c.bm25_score or 0.0 for c in candidates])
        return self.calibration.prior(dense, bm25)

    def _topic_filter(self, topics: Iterable[str] | None) -> set[str] | None:
        wanted = {t for t in topics or () if t}
        if not wanted:
            return None
        with self.store._lock:
            rows = self.store.db.execute("SELECT id, topics FROM passages").fetchall()
        return {pid for pid, t in rows if wanted & set(json.loads(t or "[]"))}

    def rerank_count(self) -> int:
        """How many candidates the cross-encoder scores: the setting, trimmed to the latency budget."""
        s = self.settings
        if s.candidates:
            count = s.candidates
        elif self.calibration.weighs_first_stage and self.encoder is not None and len(self.dense):
            count = PRIOR_DEPTH  # the prior needs the cosines: without them it is BM25's order alone
        else:
            count = RRF_DEPTH_CUDA if self.reranker is not None and self.reranker.device == "cuda" else RRF_DEPTH_CPU
        if s.rerank_budget_ms and self._ms_per_candidate:
            count = min(count, max(10, int(s.rerank_budget_ms / self._ms_per_candidate)))
        return count

    # ------------------------------------------------------------------ the whole pipeline
    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        rerank: bool = True,
        topics: Iterable[str] | None = None,
        on_first_stage: Callable[[SearchResult], None] | None = None,
    ) -> SearchResult:
        """Answer ``query``: the ``k`` best passages with per-stage scores and timings."""
        started = time.perf_counter()
        k = k or self.settings.results
        query, notice = clean_query(query)
        device = self.reranker.device if self.reranker else "cpu"
        model = str(self.reranker.folder) if self.reranker else None
        if not query:
            return SearchResult(query, [], False, model, device, {"total_ms": 0.0}, "Type a question to search.")
        candidates, timings = self.first_stage(query, topics)
        first = self._result(query, candidates[: max(k, 1)], None, False, model, device, dict(timings), notice)
        first.timings_ms["first_stage_ms"] = (time.perf_counter() - started) * 1000
        if on_first_stage is not None:
            on_first_stage(first)
        if not rerank or self.reranker is None or not candidates:
            why = "" if self.reranker is not None or not rerank else (self.reranker_notice or "No reranker loaded.")
            if not rerank:
                why = "Reranking was turned off."
            result = self._result(query, candidates[:k], None, False, model, device, timings, _join(notice, why))
            result.timings_ms["total_ms"] = (time.perf_counter() - started) * 1000
            if not candidates:
                result.notice = _join(result.notice, "No passage matches these words.")
                result.confident = False
            return result
        count = min(self.rerank_count(), len(candidates))
        head, tail = candidates[:count], candidates[count:]
        passages = self.store.get_many(c.id for c in candidates[: max(count, k)])
        head = [c for c in head if c.id in passages]
        t0 = time.perf_counter()
        raw = self.reranker.score(query, [passage_input(passages[c.id].title, passages[c.id].text) for c in head])
        elapsed = (time.perf_counter() - t0) * 1000
        timings["rerank_ms"] = elapsed
        timings["reranked"] = float(len(head))
        if head:
            per = elapsed / len(head)
            self._ms_per_candidate = per if self._ms_per_candidate is None else 0.7 * self._ms_per_candidate + 0.3 * per
        final = raw + np.array([c.prior or 0.0 for c in head])
        confidence = self.calibration.confidence(final)
        order = np.argsort(-final, kind="stable")
        scored = {head[i].id: (float(final[i]), float(raw[i]), float(confidence[i])) for i in order}
        ranked = [head[i] for i in order] + tail
        result = self._result(query, ranked[:k], scored, True, model, device, timings, notice)
        result.confident = bool(len(order)) and float(confidence[order[0]]) >= self.calibration.confident_at
        if not result.confident:
            top = float(confidence[order[0]]) if len(order) else 0.0
            nothing = self.calibration.calibrated and top < NOTHING_ANSWERS_BELOW  # measured for fitted scales only
            result.notice = _join(result.notice, NOTHING_ANSWERS if nothing else NOT_CONFIDENT)
        result.timings_ms["total_ms"] = (time.perf_counter() - started) * 1000
        return result

    def _result(
        self,
        query: str,
        ranked: list[Candidate],
        scored: dict[str, tuple[float, float, float]] | None,
        reranked: bool,
        model: str | None,
        device: str,
        timings: dict[str, float],
        notice: str,
    ) -> SearchResult:
        passages = self.store.get_many(c.id for c in ranked)
        hits: list[SearchHit] = []
        for c in ranked:
            p = passages.get(c.id)
            if p is None:
                continue
            final, raw, conf = scored.get(c.id, (None, None, None)) if scored else (None, None, None)
            hits.append(
                SearchHit(
                    id=p.id,
                    title=p.title,
                    text=p.text,
                    source=p.source,
                    section=p.section,
                    topics=p.topics,
                    score=final if final is not None else (_below_reranked(c) if reranked else c.first_score),
                    bm25_score=c.bm25_score,
                    bm25_rank=c.bm25_rank,
                    dense_score=c.dense_score,
                    dense_rank=c.dense_rank,
                    rerank_score=raw,
                    confidence=conf,
                )
            )
        return SearchResult(query, hits, reranked, model, device, timings, notice)


def _below_reranked(c: Candidate) -> float:
    """A score for candidates past the reranked head: below all of them, in first-stage order."""
    return -1000.0 + c.first_score


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
