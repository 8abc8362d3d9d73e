"""Print the quality table of the README: every baseline and the default pipeline on one corpus.

    survival-search --db /tmp/fm.sqlite import ../shared/corpora/fm3-05-70
    python scripts/quality_table.py --db /tmp/fm.sqlite ../shared/eval/dev.jsonl

Rows: BM25 only; BM25 top-100 reranked by all-MiniLM-L6-v2 cosine; all-MiniLM-L6-v2 dense alone;
the two lists fused by reciprocal rank; the first stage as the app orders it (by the model's
calibrated prior: what shows before reranking); the default pipeline (shipped reranker,
default settings) on the CPU path the app uses.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.evaluation import evaluate, load_queries, relevant_by_answers  # noqa: E402
from core.loading import load_encoder, load_reranker  # noqa: E402
from core.safety import open_or_recover  # noqa: E402
from core.search import SearchEngine  # noqa: E402
from core.tokenizer import tokenize  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("queries")
    parser.add_argument("--db", required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--backend", default="auto", choices=["auto", "onnx", "torch"], help="reranker backend on a CPU"
    )
    args = parser.parse_args()
    store = open_or_recover(args.db, scheduled_backup=False)
    encoder, notice = load_encoder(args.device)
    if encoder is None:
        sys.exit(notice)
    from core.dense import embed_missing

    embed_missing(store, encoder)
    reranker, notice = load_reranker(None, args.device, backend=args.backend)
    engine = SearchEngine(store, reranker=reranker, encoder=encoder, reranker_notice=notice)
    queries = load_queries(args.queries)
    relevant = relevant_by_answers(store, queries)
    runs: dict[str, dict[str, list[str]]] = {k: {} for k in ("bm25", "bm25+cos", "dense", "rrf", "first", "default")}
    seconds = []
    for q in queries:
        bm25 = [pid for pid, _ in engine.index.top(tokenize(q.query), 100)]
        vector = encoder.encode_query(q.query)
        dense = engine.dense.top(vector, 100)
        cos = dict(engine.dense.top(vector, len(engine.dense)))
        runs["bm25"][q.qid] = bm25
        runs["bm25+cos"][q.qid] = sorted(bm25, key=lambda pid: -cos.get(pid, -1.0))
        runs["dense"][q.qid] = [pid for pid, _ in dense]
        candidates, _ = engine.first_stage(q.query)
        runs["first"][q.qid] = [c.id for c in candidates[:100]]
        runs["rrf"][q.qid] = [c.id for c in sorted(candidates, key=lambda c: -c.fused)[:100]]
        t0 = time.perf_counter()
        result = engine.search(q.query, k=100)
        seconds.append(time.perf_counter() - t0)
        runs["default"][q.qid] = [h.id for h in result.hits]
    names = {
        "bm25": "BM25 only",
        "bm25+cos": "BM25 top-100 reranked by all-MiniLM-L6-v2 cosine",
        "dense": "all-MiniLM-L6-v2 dense alone",
        "rrf": "BM25 + dense fused by reciprocal rank",
        "first": "first stage as shown before reranking (BM25 + dense, ordered by the calibrated prior)",
        "default": (
            f"default pipeline ({reranker.name if reranker else 'no reranker'}, {getattr(reranker, 'backend', '')})"
        ),
    }
    print(f"{len(queries)} queries, {store.count()} passages, {args.queries}")
    print("| pipeline | nDCG@10 | MRR@10 | R@10 | R@50 | R@100 |")
    print("|---|---|---|---|---|---|")
    for key, name in names.items():
        m, _ = evaluate(runs[key], relevant)
        print(
            f"| {name} | {m['ndcg@10']:.3f} | {m['mrr@10']:.3f} | {m['recall@10']:.3f}"
            f" | {m['recall@50']:.3f} | {m['recall@100']:.3f} |"
        )
    print(f"default pipeline: {np.median(seconds) * 1000:.0f} ms/query median on this machine")


if __name__ == "__main__":
    main()
