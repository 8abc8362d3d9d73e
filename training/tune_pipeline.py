"""Choose the pipeline's reranking depth and fusion weights on held-out questions, over a whole corpus.

Runs the real first stage for every question, scores the top candidates once with the
reranker, then tries every combination offline. The candidates reranked are the ones the app
would rerank: the first stage's best by the model's calibrated prior (``--head prior``, the
default), or by reciprocal rank (``--head rrf``, the order before the prior existed); the depths
swept are prefixes of that order, and the weights swept change only the final combination. \
Selection uses only the file given with
``--select`` (our own held-out questions, never the shared dev set); ``--report`` files are
scored with the chosen settings for information only.

    python training/tune_pipeline.py --db CORPUS --select work/heldout.jsonl --select-qrels work/heldout.qrels \
        [--report ../shared/eval/dev.jsonl]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.evaluation import evaluate, load_qrels, load_queries, relevant_by_answers  # noqa: E402
from core.loading import load_encoder, load_reranker  # noqa: E402
from core.reranker import passage_input  # noqa: E402
from core.search import Calibration, SearchEngine, SearchSettings  # noqa: E402
from core.store import CorpusStore  # noqa: E402

DEPTHS = (10, 15, 20, 25, 30, 40, 50)
DENSE = (0.0, 2.0, 4.0, 8.0, 12.0, 16.0, 24.0, 32.0)
BM25 = (0.0, 0.5, 1.0, 2.0)
MAX_DEPTH = max(DEPTHS)


def collect(engine: SearchEngine, queries, head_by: str = "prior") -> dict[str, dict]:  # noqa: ANN001
    out = {}
    for number, q in enumerate(queries, start=1):
        candidates, _ = engine.first_stage(q.query)
        if head_by == "rrf":
            candidates.sort(key=lambda c: -c.fused)
        head = candidates[:MAX_DEPTH]
        passages = engine.store.get_many(c.id for c in head)
        raw = engine.reranker.score(q.query, [passage_input(passages[c.id].title, passages[c.id].text) for c in head])
        out[q.qid] = {
            "ids": [c.id for c in candidates[:100]],
            "raw": raw,
            "cos": np.array([c.dense_score or 0.0 for c in head]),
            "bm25": np.array([c.bm25_score or 0.0 for c in head]),
            "bm25_top": max((c.bm25_score or 0.0 for c in candidates), default=0.0),
        }
        if number % 25 == 0:
            print(f"  {number}/{len(queries)}", file=sys.stderr)
    return out


def ranking(features: dict, depth: int, wd: float, wb: float) -> list[str]:
    raw, cos, bm25 = features["raw"][:depth], features["cos"][:depth], features["bm25"][:depth]
    final = Calibration(dense_weight=wd, bm25_weight=wb).combine(raw, cos, bm25, features["bm25_top"])
    order = np.argsort(-final, kind="stable")
    head = [features["ids"][i] for i in order]
    return head + features["ids"][depth:]  # past the head: the unreranked rest, as the app shows it


def sweep(data: dict, relevant: dict) -> dict[tuple, dict]:
    results = {}
    for depth, wd, wb in itertools.product(DEPTHS, DENSE, BM25):
        runs = {qid: ranking(f, depth, wd, wb) for qid, f in data.items()}
        results[(depth, wd, wb)] = evaluate(runs, relevant)[0]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--select", required=True)
    parser.add_argument("--select-qrels")
    parser.add_argument("--report", action="append", default=[])
    parser.add_argument("--model")
    parser.add_argument("--head", choices=("prior", "rrf"), default="prior", help="which candidates are reranked")
    args = parser.parse_args()
    store = CorpusStore(Path(args.db), create_from_builtin=False)
    reranker, notice = load_reranker(args.model, "cpu")
    encoder, _ = load_encoder("cpu")
    assert reranker is not None, notice
    engine = SearchEngine(store, reranker=reranker, encoder=encoder, settings=SearchSettings(), persist_index=False)

    def relevance(path: str, qrels: str | None):  # noqa: ANN202
        queries = load_queries(path)
        return queries, (load_qrels(qrels) if qrels else relevant_by_answers(store, queries))

    queries, relevant = relevance(args.select, args.select_qrels)
    table = sweep(collect(engine, queries, args.head), relevant)
    best = max(table, key=lambda k: (round(table[k]["ndcg@10"], 4), -k[0]))
    print(
        json.dumps(
            {
                "selected_on": args.select,
                "best": {"depth": best[0], "dense_weight": best[1], "bm25_weight": best[2]},
                "figures": table[best],
            },
            indent=1,
        )
    )
    own = (engine.calibration.dense_weight, engine.calibration.bm25_weight)
    for depth in DEPTHS:
        top = max((k for k in table if k[0] == depth), key=lambda k: table[k]["ndcg@10"])
        mine = table.get((depth, *own))
        at_own = f"; at the model's weights {own}: {mine['ndcg@10']:.4f}" if mine else ""
        print(f"  depth {depth}: best {top} ndcg@10 {table[top]['ndcg@10']:.4f}{at_own}", file=sys.stderr)
    for path in args.report:
        queries, rel = relevance(path, None)
        rep = sweep(collect(engine, queries, args.head), rel)
        print(json.dumps({"report": path, "with_selected": rep[best]}, indent=1))
        for depth in DEPTHS:
            mine = rep.get((depth, *own))
            if mine:
                print(f"  report, depth {depth} at the model's weights: ndcg@10 {mine['ndcg@10']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
