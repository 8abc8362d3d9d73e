"""Questions people really type, asked of the built-in library with the default pipeline.

    python scripts/everyday_questions.py [--json] [--k 3]

Builds a fresh corpus from ``resources/corpus`` in a temporary folder (shipped vectors, the rest
embedded now), loads the shipped reranker with default settings, and prints each question's top
answers. ``ANSWERS`` lists, per question, the built-in passages a careful reader judged to answer it;
the script reports the rank of the first of them and exits 1 if any question has none in the top k.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.dense import embed_missing  # noqa: E402
from core.loading import load_encoder, load_reranker  # noqa: E402
from core.search import SearchEngine  # noqa: E402
from core.store import CorpusStore  # noqa: E402

# question -> ids of built-in passages that answer it (judged by reading them)
ANSWERS: dict[str, list[str]] = {
    "my friend is shivering and confused": [
        "env-002",
        "env-001",
        "env-016",
        "env-003",
        "cold-001",
        "cold-002",
        "cold-003",
    ],
    "which berries are safe": ["plant-011", "fdp-017", "fdp-031", "fdp-032"],
    "stream water ok to drink?": ["h2o-018", "water-001"],
    "how to signal a helicopter": ["signal-010", "nsp-091", "nsp-089"],
    "car stuck in snow what do I do": ["eds-118", "eds-119", "shelter-020"],
    "snake bit my leg": ["animal-001", "animal-004", "env-060", "env-063"],
    "cut on my hand wont stop bleeding": ["aid-001", "aid-002"],
    "lost in the woods what now": ["nav-001", "nsp-024", "psych-010", "nsp-146"],
    "how do i start a fire when everything is wet": ["ftk-045", "ftk-019"],
    "bee sting and my throat feels tight": ["animal-008"],
    "twisted my ankle miles from the car": ["aid-011", "med-167"],
    "power is out how long is the food in the fridge ok": ["kit-018"],
    "earthquake what do i do right now": ["eds-083", "eds-086", "eds-085"],
    "wildfire smoke outside is it safe to go out": ["eds-108", "eds-109"],
    "kid has had diarrhea for two days": ["med-147", "med-162", "aid-020"],
    "found a tick on me": ["animal-010"],
    "how do i find north without a compass": ["nav-008", "nav-009", "nav-010", "nav-011", "nsp-031"],
    "how long do i boil water": ["h2o-047", "water-001"],
    "toes white and numb after walking in snow": ["scm-086", "env-026", "cold-006", "cold-007", "cold-008"],
    "flood water coming into the house": ["eds-093"],
    "can i eat this mushroom": ["plant-010", "fdp-018", "fdp-019"],
    "bear came into camp at night": ["animal-017", "animal-015", "env-095"],
    "very hot headache and stopped sweating": ["heat-002"],
    "how to tie a tarp between two trees": ["ftk-135", "ftk-136", "shelter-008"],
    "car broke down in the desert should we walk out": ["eds-009", "dst-003", "kit-015"],
    "baby is hot and hasnt had a wet diaper all afternoon": ["hti-013", "med-162", "env-042"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = CorpusStore(Path(tmp) / "corpus.sqlite")
        encoder, notice = load_encoder("cpu")
        if encoder is None:
            print(notice, file=sys.stderr)
            return 2
        embed_missing(store, encoder)
        reranker, notice = load_reranker(None, "cpu")
        if reranker is None:
            print(notice, file=sys.stderr)
            return 2
        engine = SearchEngine(store, reranker=reranker, encoder=encoder, persist_index=False)
        rows, misses = [], 0
        for question, relevant in ANSWERS.items():
            result = engine.search(question, k=args.k)
            ids = [h.id for h in result.hits]
            rank = next((i + 1 for i, pid in enumerate(ids) if pid in relevant), None)
            misses += rank is None
            rows.append(
                {
                    "question": question,
                    "rank": rank,
                    "confident": result.confident,
                    "top": [{"id": h.id, "title": h.title, "confidence": h.confidence} for h in result.hits],
                }
            )
        store.close()
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for row in rows:
            top = row["top"][0] if row["top"] else {"id": "-", "title": "(nothing)", "confidence": None}
            mark = f"#{row['rank']}" if row["rank"] else "MISS"
            print(f"{mark:5s} {row['question']!r}\n      -> {top['id']}: {top['title']}")
            for other in row["top"][1:]:
                print(f"         {other['id']}: {other['title']}")
        print(f"\n{len(rows) - misses}/{len(rows)} questions answered by a judged passage in the top {args.k}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
