"""Retrieval quality: nDCG@10, MRR@10, Recall@10/50/100 over a query file.

Relevance comes either from answer phrases (the rule of ``shared/eval``: a
passage is relevant when its lowercased, whitespace-collapsed text contains a
phrase) or from TREC qrels. Runs can be written and read in TREC format.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SurvivalSearchError
from .store import CorpusStore

CUTOFFS = (10, 50, 100)


@dataclass
class EvalQuery:
    qid: str
    query: str
    answers: list[str] = field(default_factory=list)
    topic: str = ""


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower())


def load_queries(path: str | Path) -> list[EvalQuery]:
    queries: list[EvalQuery] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            queries.append(EvalQuery(str(row["qid"]), row["query"], list(row.get("answers", [])), row.get("topic", "")))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SurvivalSearchError(f"{path}, line {number}: not a query line ({exc})") from None
    return queries


def relevant_by_answers(store: CorpusStore, queries: list[EvalQuery]) -> dict[str, set[str]]:
    """Passage ids relevant to each query under the answer-phrase rule."""
    phrases = {q.qid: [_fold(a) for a in q.answers if a.strip()] for q in queries}
    relevant: dict[str, set[str]] = {q.qid: set() for q in queries}
    for passage in store.iter_passages():
        body = _fold(passage.text)
        for qid, items in phrases.items():
            if any(a in body for a in items):
                relevant[qid].add(passage.id)
    return relevant


def load_qrels(path: str | Path) -> dict[str, set[str]]:
    """TREC qrels: ``qid iter docid rel`` per line; rel > 0 is relevant."""
    relevant: dict[str, set[str]] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise SurvivalSearchError(f"{path}, line {number}: a qrels line has 4 fields (qid iter docid rel)")
        relevant.setdefault(parts[0], set())
        if float(parts[3]) > 0:
            relevant[parts[0]].add(parts[2])
    return relevant


def load_run(path: str | Path) -> dict[str, list[str]]:
    """TREC run: ``qid Q0 docid rank score tag``; ranked by score, highest first."""
    rows: dict[str, list[tuple[float, int, str]]] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 6:
            raise SurvivalSearchError(f"{path}, line {number}: a run line has 6 fields (qid Q0 docid rank score tag)")
        rows.setdefault(parts[0], []).append((-float(parts[4]), int(parts[3]), parts[2]))
    return {qid: [doc for _, _, doc in sorted(items)] for qid, items in rows.items()}


def write_run(path: str | Path, runs: dict[str, list[tuple[str, float]]], tag: str = "survival-search") -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for qid, ranked in runs.items():
            for rank, (doc, score) in enumerate(ranked, start=1):
                fh.write(f"{qid} Q0 {doc} {rank} {score:.6f} {tag}\n")


def query_metrics(ranked: list[str], relevant: set[str]) -> dict[str, float]:
    gains = [1.0 if doc in relevant else 0.0 for doc in ranked[:10]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    first = next((i for i, g in enumerate(gains) if g), None)
    out = {"ndcg@10": dcg / ideal if ideal else 0.0, "mrr@10": 1.0 / (first + 1) if first is not None else 0.0}
    for cutoff in CUTOFFS:
        found = len(relevant.intersection(ranked[:cutoff]))
        out[f"recall@{cutoff}"] = found / len(relevant) if relevant else 0.0
    return out


def mean_metrics(per_query: Iterable[dict[str, float]]) -> dict[str, float]:
    rows = list(per_query)
    if not rows:
        return {}
    return {key: sum(r[key] for r in rows) / len(rows) for key in rows[0]}


def evaluate(
    runs: dict[str, list[str]], relevant: dict[str, set[str]], progress: Callable[[int, int], None] | None = None
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean and per-query metrics for queries that have at least one relevant passage."""
    per_query: dict[str, dict[str, float]] = {}
    for qid, rel in relevant.items():
        if rel:
            per_query[qid] = query_metrics(runs.get(qid, []), rel)
    return mean_metrics(per_query.values()), per_query
