"""Check the built-in corpus files against the shipping rules (core/corpus_check.py).

    python scripts/check_builtin_corpus.py [FOLDER] [--no-review] [--reference ../shared/corpora/fm3-05-70]

Prints one line per problem and a count of passages per topic; exits 1 when anything must be fixed.
``--reference`` also flags any run of 10 words copied from the Markdown files under that folder.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import paths  # noqa: E402
from core.corpus_check import check_folder, read_rows  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=paths.BUILTIN_CORPUS_DIR)
    parser.add_argument("--no-review", action="store_true", help="do not require the medical review record")
    parser.add_argument("--reference", type=Path, help="folder of source Markdown that must not be copied")
    args = parser.parse_args()
    reference = None
    if args.reference:
        reference = [p.read_text(encoding="utf-8") for p in sorted(args.reference.rglob("*.md"))]
    problems = check_folder(args.folder, require_review=not args.no_review, reference_texts=reference)
    for problem in problems:
        print(problem)
    rows, _ = read_rows(args.folder)
    topics = Counter(t for row in rows for t in row.data.get("topics", []))
    print(f"\n{len(rows)} passages; per topic: " + ", ".join(f"{t} {n}" for t, n in topics.most_common()))
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
