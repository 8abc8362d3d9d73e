"""How often the app calls its top answer confident: off-topic questions (should be rare) and held-out ones.

    python scripts/confidence_check.py --db CORPUS [--heldout work/heldout2.jsonl] [--model DIR]

Runs each question through the whole default pipeline (``SearchEngine.search``) and counts
``result.confident``. Off-topic questions: ``training/offtopic.txt`` (nothing in the corpus
answers them). Held-out questions: a file written by ``training/build_data.py heldout`` (about
built-in passages the shipped model never trained on); the first 150 are used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.loading import load_encoder, load_reranker  # noqa: E402
from core.search import SearchEngine  # noqa: E402
from core.store import CorpusStore  # noqa: E402

LEVELS = (0.02, 0.05, 0.1, 0.2, 0.3)  # shares of questions whose top answer is below each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="a corpus (the built-in passages, optionally more)")
    parser.add_argument("--heldout", help="held-out questions (JSONL with a query field)")
    parser.add_argument("--model", help="cross-encoder folder (default: the shipped one)")
    args = parser.parse_args()
    store = CorpusStore(Path(args.db), create_from_builtin=False)
    reranker, notice = load_reranker(args.model, "cpu")
    if reranker is None:
        sys.exit(notice)
    encoder, _ = load_encoder("cpu")
    engine = SearchEngine(store, reranker=reranker, encoder=encoder, persist_index=False)
    lines = (ROOT / "training" / "offtopic.txt").read_text(encoding="utf-8").splitlines()
    sets = {"off-topic": [q.strip() for q in lines if q.strip() and not q.startswith("#")]}
    if args.heldout:
        with open(args.heldout, encoding="utf-8") as fh:
            sets["held-out"] = [json.loads(line)["query"] for line in fh][:150]
    for name, questions in sets.items():
        results = [engine.search(q) for q in questions]
        confident = sum(r.confident for r in results)
        share = confident / len(questions)
        print(f"{name}: {confident} of {len(questions)} questions answered confidently ({share:.1%})")
        tops = [r.hits[0].confidence or 0.0 if r.hits else 0.0 for r in results]
        below = ", ".join(f"< {level:.0%}: {sum(t < level for t in tops) / len(tops):.1%}" for level in LEVELS)
        print(f"  top answer's confidence {below}")


if __name__ == "__main__":
    main()
