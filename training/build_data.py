"""Build the training data of the shipped default reranker (``resources/models/survival-reranker``).

Inputs, all in this repository except the optional unlabelled text:

* ``resources/corpus/*.jsonl``: the built-in passages (written for this project);
* ``training/queries/*.jsonl``: questions written the way people type them, each
  pointing at the built-in passage that answers it (``{"query", "passage_id"}``);
* ``--unlabelled DIR`` (optional): any folder of documents used **as unlabelled
  text only** (e.g. the FM 3-05.70 manual). It is chunked like an import and
  its passages become extra candidates whose only signal is the teacher's score.

Output (``--out``): ``passages.jsonl`` (id, text as the reranker sees it) and
``groups.jsonl``: per query, its split (train / heldout), its positive and
candidates from BM25 and the bi-encoder, each with a label (1 the positive, 0
another built-in passage, null for unlabelled text) and the teacher score (the
all-MiniLM-L6-v2 cosine). Built-in passages are split 85/15 by a hash of their
id; questions about held-out passages never reach training and are used to
choose fusion weights and calibrate confidence.

    python training/build_data.py --unlabelled ../shared/corpora/fm3-05-70 --out work/train-data
    python training/build_data.py expand work/train-data --split train > work/pairs.jsonl
    python training/build_data.py expand work/train-data --split train --hard 2 > work/hard-pairs.jsonl
    python training/build_data.py heldout work/train-data --out work/heldout   # eval files: .jsonl + .qrels
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.bm25_index import BM25Index  # noqa: E402
from core.builtin import builtin_passages  # noqa: E402
from core.importers import find_files, passages_from_document  # noqa: E402
from core.records import ImportReport  # noqa: E402
from core.reranker import passage_input  # noqa: E402
from core.tokenizer import tokenize  # noqa: E402

HELDOUT_SHARE = 0.15
BM25_DEPTH = 12
DENSE_DEPTH = 12
RANDOM_NEGATIVES = 2
NEAR_POSITIVE = 0.9  # a built-in candidate this close to the answer's cosine is not labelled negative


def split_of(passage_id: str) -> str:
    digest = int(hashlib.sha1(passage_id.encode()).hexdigest()[:8], 16)
    return "heldout" if digest % 1000 < HELDOUT_SHARE * 1000 else "train"


def load_queries(folder: Path) -> list[dict[str, str]]:
    rows = []
    for file in sorted(folder.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def embed(texts: list[str], cache: Path) -> np.ndarray:
    """all-MiniLM-L6-v2 vectors, cached by text hash (embedding is slow on a CPU)."""
    from core.dense import DenseEncoder

    known: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    todo = [i for i, k in enumerate(keys) if k not in known]
    if todo:
        encoder = DenseEncoder(device="auto")
        for start in range(0, len(todo), 256):
            batch = todo[start : start + 256]
            vectors = encoder.encode([texts[i] for i in batch], batch_size=64)
            for i, v in zip(batch, vectors, strict=True):
                known[keys[i]] = v
            print(f"  embedded {min(start + 256, len(todo))}/{len(todo)}", file=sys.stderr)
        np.savez(cache, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys]).astype(np.float32)


def build(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pool: list[tuple[str, str, bool]] = []  # (id, reranker text, labelled?)
    for p in builtin_passages():
        pool.append((p.id, passage_input(p.title, p.text), True))
    if args.unlabelled:
        report = ImportReport()
        for number, file in enumerate(find_files([Path(args.unlabelled)], report)):
            for k, p in enumerate(passages_from_document(file, file.name)):
                pool.append((f"u{number:03d}-{k:04d}", passage_input(p.title, p.text), False))
    ids = [pid for pid, _, _ in pool]
    texts = [t for _, t, _ in pool]
    labelled = {pid for pid, _, lab in pool if lab}
    queries = [q for q in load_queries(ROOT / "training" / "queries") if q["passage_id"] in labelled]
    print(f"{len(pool)} passages ({len(labelled)} labelled), {len(queries)} queries", file=sys.stderr)

    cache = Path(args.cache) if args.cache else out.parent / "embeddings-cache.npz"
    passage_vecs = embed(texts, cache)
    query_vecs = embed([q["query"] for q in queries], cache)
    index = BM25Index.build((pid, tokenize(text)) for pid, text in zip(ids, texts, strict=True))
    position = {pid: i for i, pid in enumerate(ids)}
    rng = np.random.default_rng(42)
    labelled_ids = sorted(labelled)

    with open(out / "passages.jsonl", "w", encoding="utf-8") as fh:
        for pid, text, lab in pool:
            fh.write(json.dumps({"id": pid, "text": text, "labelled": lab}, ensure_ascii=False) + "\n")
    with open(out / "groups.jsonl", "w", encoding="utf-8") as fh:
        for number, (q, qv) in enumerate(zip(queries, query_vecs, strict=True)):
            positive = q["passage_id"]
            sims = passage_vecs @ qv
            dense = [ids[i] for i in np.argsort(-sims)[:DENSE_DEPTH]]
            bm25 = [pid for pid, _ in index.top(tokenize(q["query"]), BM25_DEPTH)]
            chosen = [positive] + [pid for pid in dict.fromkeys(dense + bm25) if pid != positive]
            randoms = [
                pid for pid in rng.choice(labelled_ids, RANDOM_NEGATIVES + 3, replace=False) if pid not in chosen
            ]
            chosen += randoms[:RANDOM_NEGATIVES]
            bm25_scores = dict(index.top(tokenize(q["query"]), len(ids)))
            positive_sim = float(sims[position[positive]])
            split = split_of(positive)
            candidates = []
            for pid in chosen:
                sim = float(sims[position[pid]])
                if pid == positive:
                    label: float | None = 1.0
                elif pid in labelled and (split == "heldout" or sim < NEAR_POSITIVE * positive_sim):
                    # held-out labels must not depend on the teacher, or they would favour it when weights are chosen
                    label = 0.0
                else:
                    # unlabelled text, or a built-in passage as close as the answer (possibly another answer)
                    label = None
                candidates.append(
                    {"id": pid, "label": label, "teacher": round(sim, 5), "bm25": round(bm25_scores.get(pid, 0.0), 4)}
                )
            row = {
                "qid": f"t{number:05d}",
                "query": q["query"],
                "split": split,
                "positive": positive,
                "candidates": candidates,
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        offtopic = [
            line.strip() for line in (ROOT / "training" / "offtopic.txt").read_text().splitlines() if line.strip()
        ]
        for number, (query, qv) in enumerate(zip(offtopic, embed(offtopic, cache), strict=True)):
            sims = passage_vecs @ qv
            bm25_scores = dict(index.top(tokenize(query), len(ids)))
            chosen = list(
                dict.fromkeys([ids[i] for i in np.argsort(-sims)[:DENSE_DEPTH]] + list(bm25_scores)[:BM25_DEPTH])
            )
            candidates = [
                {
                    "id": pid,
                    "label": 0.0,
                    "teacher": round(float(sims[position[pid]]), 5),
                    "bm25": round(bm25_scores.get(pid, 0.0), 4),
                }
                for pid in chosen
            ]
            row = {
                "qid": f"o{number:03d}",
                "query": query,
                "split": "offtopic",
                "positive": None,
                "candidates": candidates,
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {out / 'passages.jsonl'} and {out / 'groups.jsonl'}", file=sys.stderr)


def expand(args: argparse.Namespace) -> None:
    """Print training pairs (the ``train --pairs`` format) for one split of a built data folder."""
    folder = Path(args.folder)
    texts = {}
    for line in (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts[row["id"]] = row["text"]
    for line in (folder / "groups.jsonl").read_text(encoding="utf-8").splitlines():
        group = json.loads(line)
        if group["split"] != args.split:
            continue
        candidates = group["candidates"]
        if args.hard is not None:  # plain labelled pairs: the answer and its N hardest labelled negatives
            negatives = sorted((c for c in candidates if c["label"] == 0.0), key=lambda c: -c["teacher"])
            candidates = [c for c in candidates if c["label"] == 1.0] + negatives[: args.hard]
        for c in candidates:
            pair = {"query": group["query"], "passage": texts[c["id"]], "label": c["label"]}
            if args.hard is None:
                pair.update(group=group["qid"], teacher=c["teacher"])
            print(json.dumps(pair, ensure_ascii=False))


def heldout(args: argparse.Namespace) -> None:
    """Write the held-out questions as an ``eval`` query file and TREC qrels (the answer passage)."""
    groups = [
        json.loads(line) for line in (Path(args.folder) / "groups.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    groups = [g for g in groups if g["split"] == "heldout"]
    if args.sample and args.sample < len(groups):
        keep = np.random.default_rng(args.seed).choice(len(groups), args.sample, replace=False)
        groups = [groups[i] for i in sorted(keep)]
    out = Path(args.out)
    with (
        open(out.with_suffix(".jsonl"), "w", encoding="utf-8") as queries,
        open(out.with_suffix(".qrels"), "w") as qrels,
    ):
        for g in groups:
            queries.write(json.dumps({"qid": g["qid"], "query": g["query"]}, ensure_ascii=False) + "\n")
            qrels.write(f"{g['qid']} 0 {g['positive']} 1\n")
    print(f"wrote {len(groups)} held-out questions to {out.with_suffix('.jsonl')} and .qrels", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd")
    b = sub.add_parser("build")
    b.add_argument("--unlabelled", metavar="DIR")
    b.add_argument("--out", required=True)
    b.add_argument("--cache", help="embedding cache file (default: beside --out)")
    e = sub.add_parser("expand")
    e.add_argument("folder")
    e.add_argument("--split", default="train", choices=["train", "heldout", "offtopic"])
    e.add_argument(
        "--hard", type=int, metavar="N", help="only the answer and its N hardest labelled negatives, no teacher"
    )
    h = sub.add_parser("heldout")
    h.add_argument("folder")
    h.add_argument("--out", required=True, help="path stem: writes STEM.jsonl and STEM.qrels")
    h.add_argument("--sample", type=int, help="a random sample of this many questions")
    h.add_argument("--seed", type=int, default=42)
    argv = sys.argv[1:]
    if argv and argv[0] not in ("build", "expand", "heldout", "-h", "--help"):
        argv = ["build", *argv]
    args = parser.parse_args(argv)
    {"expand": expand, "heldout": heldout}.get(args.cmd, build)(args)


if __name__ == "__main__":
    main()
