"""Choose fusion weights and calibrate confidence for a trained reranker, on held-out questions.

Never uses the shared dev set. Held-out questions are those about built-in passages
that ``build_data.py`` kept out of training; off-topic questions (``offtopic.txt``)
teach the calibration what "nothing answers this" looks like.

    python training/calibrate.py --data work/train-data --models resources/models/survival-reranker --write

For each model folder: scores every held-out and off-topic candidate, reports MRR@10
of the reranker alone, of the teacher (bi-encoder cosine), of BM25, and of the best
fusion ``rerank + a * cosine + b * bm25 / max(bm25)``; with ``--write`` it stores the
chosen weights and a Platt scaling (``survival_search.json``) in the best folder.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.search import normalize_bm25  # noqa: E402

DENSE_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
BM25_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)


def load(folder: Path) -> tuple[dict[str, str], list[dict]]:
    texts = {}
    for line in (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts[row["id"]] = row["text"]
    groups = [json.loads(line) for line in (folder / "groups.jsonl").read_text(encoding="utf-8").splitlines()]
    return texts, [g for g in groups if g["split"] in ("heldout", "offtopic")]


def score_groups(model_dir: Path, texts: dict[str, str], groups: list[dict], device: str) -> list[np.ndarray]:
    from core.loading import load_reranker

    reranker, notice = load_reranker(model_dir, device)  # what the app runs: int8 ONNX on a CPU, fp16 on CUDA
    if reranker is None:
        raise SystemExit(notice)
    return [reranker.score(g["query"], [texts[c["id"]] for c in g["candidates"]]) for g in groups]


def features(group: dict, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cos = np.array([c["teacher"] for c in group["candidates"]])
    bm25 = np.array([c["bm25"] for c in group["candidates"]])
    bm25 = normalize_bm25(bm25)
    labels = np.array([np.nan if c["label"] is None else c["label"] for c in group["candidates"]])
    return raw, cos, bm25, labels


def mrr(groups: list[dict], scores: list[np.ndarray]) -> float:
    """Reciprocal rank of the answer among the labelled candidates, cut at 10."""
    values = []
    for group, s in zip(groups, scores, strict=True):
        labels = np.array([np.nan if c["label"] is None else c["label"] for c in group["candidates"]])
        keep = ~np.isnan(labels)
        order = np.argsort(-s[keep], kind="stable")
        rank = int(np.flatnonzero(labels[keep][order] == 1.0)[0]) + 1
        values.append(1.0 / rank if rank <= 10 else 0.0)
    return float(np.mean(values))


def platt(scores: np.ndarray, labels: np.ndarray, steps: int = 3000) -> tuple[float, float]:
    """Logistic regression of relevance on the final score (balanced classes), by gradient descent."""
    a, b = 1.0, 0.0
    weights = np.where(labels == 1, 0.5 / max(1, labels.sum()), 0.5 / max(1, (1 - labels).sum()))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(a * scores + b)))
        grad = weights * (p - labels)
        a -= 0.5 * float((grad * scores).sum())
        b -= 0.5 * float(grad.sum())
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--write", action="store_true", help="store weights + calibration in the best model folder")
    parser.add_argument("--report", help="write the figures as JSON here")
    parser.add_argument("--dense-weight", type=float, help="use this cosine weight instead of choosing one")
    parser.add_argument("--bm25-weight", type=float, help="use this BM25 weight instead of choosing one")
    parser.add_argument("--sample", type=int, help="a random sample of this many held-out questions (faster)")
    args = parser.parse_args()
    texts, groups = load(Path(args.data))
    heldout = [g for g in groups if g["split"] == "heldout"]
    if args.sample and args.sample < len(heldout):
        keep = np.random.default_rng(42).choice(len(heldout), args.sample, replace=False)
        heldout = [heldout[i] for i in sorted(keep)]
    offtopic = [g for g in groups if g["split"] == "offtopic"]
    report: dict[str, object] = {"heldout_queries": len(heldout), "offtopic_queries": len(offtopic)}
    best = None
    for model_dir in map(Path, args.models):
        raw = score_groups(model_dir, texts, heldout + offtopic, args.device)
        raw_h = raw[: len(heldout)]
        feats = [features(g, r) for g, r in zip(heldout, raw_h, strict=True)]
        figures = {
            "mrr@10_reranker": mrr(heldout, [f[0] for f in feats]),
            "mrr@10_cosine": mrr(heldout, [f[1] for f in feats]),
            "mrr@10_bm25": mrr(heldout, [f[2] for f in feats]),
        }
        fused = {}
        for wd, wb in itertools.product(DENSE_WEIGHTS, BM25_WEIGHTS):
            fused[(wd, wb)] = mrr(heldout, [f[0] + wd * f[1] + wb * f[2] for f in feats])
        (wd, wb), value = max(fused.items(), key=lambda kv: (kv[1], -kv[0][0] - kv[0][1]))
        if args.dense_weight is not None and args.bm25_weight is not None:
            # weights chosen on the whole pipeline (tune_pipeline.py); only the calibration is fitted here
            wd, wb = args.dense_weight, args.bm25_weight
            value = mrr(heldout, [f[0] + wd * f[1] + wb * f[2] for f in feats])
        figures.update({"mrr@10_fused": value, "dense_weight": wd, "bm25_weight": wb})
        # calibration data: held-out candidates with labels, and every off-topic candidate as a negative
        finals, labels = [], []
        for f in feats:
            final = f[0] + wd * f[1] + wb * f[2]
            keep = ~np.isnan(f[3])
            finals.append(final[keep])
            labels.append(f[3][keep])
        for g, r in zip(offtopic, raw[len(heldout) :], strict=True):
            _, cos, bm25, _ = features(g, r)
            finals.append(r + wd * cos + wb * bm25)
            labels.append(np.zeros(len(r)))
        a, b = platt(np.concatenate(finals), np.concatenate(labels))
        top_off = [
            float(np.max(r + wd * features(g, r)[1] + wb * features(g, r)[2]))
            for g, r in zip(offtopic, raw[len(heldout) :], strict=True)
        ]
        top_in = [float(f[0][f[3] == 1.0][0] + wd * f[1][f[3] == 1.0][0] + wb * f[2][f[3] == 1.0][0]) for f in feats]
        conf = lambda x, a=a, b=b: 1 / (1 + np.exp(-(a * np.array(x) + b)))  # noqa: E731
        figures.update(
            {
                "platt_a": a,
                "platt_b": b,
                "answer_confident_share": float(np.mean(conf(top_in) >= 0.5)),
                "offtopic_confident_share": float(np.mean(conf(top_off) >= 0.5)),
            }
        )
        report[str(model_dir)] = figures
        print(json.dumps({str(model_dir): figures}, indent=1), file=sys.stderr)
        if best is None or figures["mrr@10_fused"] > best[1]["mrr@10_fused"]:
            best = (model_dir, figures)
    assert best is not None
    report["best"] = str(best[0])
    if args.write:
        model_dir, figures = best
        config = {
            "fusion": {"dense_weight": figures["dense_weight"], "bm25_weight": figures["bm25_weight"]},
            "calibration": {"a": figures["platt_a"], "b": figures["platt_b"], "confident_at": 0.5},
            "chosen_on": f"{len(heldout)} held-out + {len(offtopic)} off-topic questions (training/calibrate.py)",
            "heldout": {k: v for k, v in figures.items() if k.startswith(("mrr", "answer", "offtopic"))},
        }
        (model_dir / "survival_search.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
