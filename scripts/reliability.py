"""How often the top answer is right at each displayed "match" level (a reliability table).

    python scripts/reliability.py --db CORPUS --queries Q.jsonl [--qrels Q.qrels] [--limit 200]

Runs each question through the default pipeline and groups the top answers by their displayed
percentage; "right" is the relevance rule of ``survival-search eval`` (the qrels when given, else the
answer phrases). Measured for the README: the 200 first held-out questions over the built-in library
plus FM 3-05.70, and ``../shared/eval/dev.jsonl`` over the manual alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.evaluation import load_qrels, load_queries, relevant_by_answers  # noqa: E402
from core.loading import load_encoder, load_reranker  # noqa: E402
from core.search import SearchEngine  # noqa: E402
from core.store import CorpusStore  # noqa: E402

BINS = ((0.95, 1.01), (0.8, 0.95), (0.5, 0.8), (0.2, 0.5), (0.0, 0.2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--qrels")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    store = CorpusStore(Path(args.db), create_from_builtin=False)
    queries = load_queries(args.queries)[: args.limit or None]
    relevant = load_qrels(args.qrels) if args.qrels else relevant_by_answers(store, queries)
    reranker, notice = load_reranker(None, "cpu")
    if reranker is None:
        sys.exit(notice)
    encoder, _ = load_encoder("cpu")
    engine = SearchEngine(store, reranker=reranker, encoder=encoder, persist_index=False)
    rows = []
    for q in queries:
        if relevant.get(q.qid):
            hits = engine.search(q.query).hits
            if hits:
                rows.append((hits[0].confidence or 0.0, hits[0].id in relevant[q.qid]))
    print(f"{len(rows)} questions; top answer right: {np.mean([ok for _, ok in rows]):.2f}")
    for lo, hi in BINS:
        inside = [(c, ok) for c, ok in rows if lo <= c < hi]
        if inside:
            shown, right = np.mean([c for c, _ in inside]), np.mean([ok for _, ok in inside])
            level = f"{lo:.0%}-{min(hi, 1):.0%}"
            print(f"  match {level}: {len(inside):3d} questions, shown {shown:.0%} on average, right {right:.0%}")


if __name__ == "__main__":
    main()
