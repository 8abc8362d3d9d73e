"""The ``train`` command: fine-tune a cross-encoder on labelled pairs and/or the app's judgments."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import SurvivalSearchError


def register(
    sub: argparse._SubParsersAction,
    db: argparse.ArgumentParser,
    commands: dict[str, Callable[[argparse.Namespace], int]],
) -> None:
    """Add this module's sub-commands to the parser and their handlers to ``commands``."""
    p = sub.add_parser(
        "train",
        parents=[db],
        help="fine-tune a cross-encoder",
        description=(
            "Fine-tune a cross-encoder from a base model folder on (query, passage, label) pairs. "
            "Defaults reproduce CrossEncoder.fit: BCE loss, lr 5e-5, batch 8, 3 epochs, seed 42, "
            "max length 256, fp16 on CUDA only."
        ),
    )
    p.add_argument("--base", metavar="DIR", help="base model folder (default: the shipped survival reranker)")
    p.add_argument("--out", metavar="DIR", required=True, help="folder to write the trained model to")
    p.add_argument(
        "--pairs", metavar="FILE", action="append", default=[], help="JSONL/CSV of query, passage, label (repeatable)"
    )
    p.add_argument(
        "--judgments", action="store_true", help="also train on the relevance judgments stored in the corpus"
    )
    p.add_argument(
        "--mine-negatives", type=int, default=0, metavar="N", help="add N BM25 hard negatives per query from the corpus"
    )
    p.add_argument("--eval-pairs", metavar="FILE", help="held-out pairs scored into the model card")
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--warmup-ratio", type=float, default=0.1)
    p.add_argument(
        "--fp16", action=argparse.BooleanOptionalAction, default=None, help="mixed precision (default: on CUDA only)"
    )
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument(
        "--distill-weight",
        type=float,
        default=0.0,
        help="weight of the listwise teacher term (rows with group + teacher)",
    )
    p.add_argument("--distill-temperature", type=float, default=0.05)
    p.add_argument("--groups-per-batch", type=int, default=4, help="query groups per batch when distilling")
    p.add_argument("--save-fp16", action="store_true", help="store the weights in fp16 (half the size)")
    p.add_argument(
        "--inherit-calibration",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep the base folder's search calibration (fusion weights, confidence), if it has one (default: yes)",
    )
    commands["train"] = cmd_train


def cmd_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .loading import default_model_dir
    from .training import TrainConfig, load_pairs, mine_hard_negatives, pairs_from_judgments, train

    base = Path(args.base) if args.base else default_model_dir()
    if base is None:
        raise SurvivalSearchError("No --base model folder given and no shipped reranker to start from.")
    pairs = [p for f in args.pairs for p in load_pairs(f)]
    store = None
    if args.judgments or args.mine_negatives:
        from .store import open_store

        store = open_store(args.db)
    try:
        if args.judgments:
            judged = pairs_from_judgments(store)
            print(f"{len(judged)} judgment(s) from {store.path}", file=sys.stderr)
            pairs += judged
        if args.mine_negatives:
            mined = mine_hard_negatives(store, pairs, args.mine_negatives)
            print(f"{len(mined)} hard negative(s) mined with BM25", file=sys.stderr)
            pairs += mined
    finally:
        if store is not None:
            store.close()
    cfg = TrainConfig(
        base=base,
        output=Path(args.out),
        lr=args.lr,
        batch_size=args.batch_size,
        epochs=args.epochs,
        seed=args.seed,
        max_length=args.max_length,
        warmup_ratio=args.warmup_ratio,
        fp16=args.fp16,
        device=args.device,
        distill_weight=args.distill_weight,
        distill_temperature=args.distill_temperature,
        groups_per_batch=args.groups_per_batch,
        save_fp16=args.save_fp16,
        inherit_calibration=args.inherit_calibration,
    )
    eval_pairs = load_pairs(args.eval_pairs) if args.eval_pairs else None
    print(f"Training on {len(pairs):,} pairs from {base} ...", file=sys.stderr)
    bar = tqdm(desc="Training", unit="step", file=sys.stderr)

    def progress(step: int, total: int, loss: float) -> None:
        bar.total = total
        bar.update(step - bar.n)
        bar.set_postfix(loss=f"{loss:.4f}")

    try:
        report = train(cfg, pairs, progress=progress, eval_pairs=eval_pairs)
    except KeyboardInterrupt:
        bar.close()
        print("Training stopped: no model folder was written.", file=sys.stderr)
        return 130
    bar.close()
    print(
        f"Wrote {report.output} ({report.steps} steps in {report.seconds:.0f} s on {report.device}"
        f"{', fp16' if report.fp16 else ''})."
    )
    for key, value in report.evaluation.items():
        print(f"  {key}: {value:.4f}")
    return 0
