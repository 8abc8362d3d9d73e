"""The `bench` command(s) of survival-search."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path


def register(
    sub: argparse._SubParsersAction,
    db: argparse.ArgumentParser,
    commands: dict[str, Callable[[argparse.Namespace], int]],
) -> None:
    """Add this module's sub-commands to the parser and their handlers to ``commands``."""
    p = sub.add_parser(
        "bench",
        parents=[db],
        help="measure speed: our pipeline side by side with the naive one",
        description=(
            "Benchmark this machine: BM25 first stage (inverted index vs rank_bm25), reranking (int8 ONNX vs "
            "CrossEncoder.predict fp32) for K = 10/20/50/100, end-to-end answers, index build, memory, reopen and "
            "cold start, at several corpus sizes (synthetic survival-manual text). --cuda measures the GPU part alone."
        ),
    )
    p.add_argument("--sizes", default="1k,10k,100k", help="corpus sizes, e.g. 1k,10k,100k,1M (default 1k,10k,100k)")
    p.add_argument("--model", metavar="DIR", help="cross-encoder to bench (default: the shipped one, else a stand-in)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument(
        "--cuda", action="store_true", help="only the CUDA part: fp16 vs fp32 rerank ms on the GPU (< 2 min)"
    )
    p.add_argument("--queries", type=int, default=40, help="first-stage queries per size (default 40)")
    p.add_argument("--rerank-queries", type=int, default=6, help="queries of the K sweep (default 6)")
    p.add_argument("--e2e-queries", type=int, default=8, help="end-to-end queries per size (default 8)")
    p.add_argument(
        "--e2e-k",
        type=int,
        default=None,
        help="candidates reranked end to end and on the dev set (default: as the app, 10 for the shipped model)",
    )
    p.add_argument("--no-dev", action="store_true", help="skip the dev-set nDCG (../shared/eval)")
    p.add_argument("--no-cold-start", action="store_true", help="skip the cold-start and GUI launches")
    p.add_argument(
        "--workdir", metavar="DIR", help="keep the generated corpora here (default: a temporary cache folder)"
    )
    p.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)  # tests: no child processes
    commands["bench"] = cmd_bench


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench_report import render
    from .benchmark import BenchOptions, parse_sizes, run_bench, run_cuda_bench

    model = Path(args.model) if args.model else None
    if args.cuda:
        report = run_cuda_bench(model, in_process=args.in_process)
    else:
        try:
            sizes = parse_sizes(args.sizes)
        except ValueError as exc:
            print(f"error: --sizes: {exc}", file=sys.stderr)
            return 2
        options = BenchOptions(
            sizes=sizes,
            model=model,
            queries=max(1, args.queries),
            rerank_queries=max(1, args.rerank_queries),
            e2e_queries=max(1, args.e2e_queries),
            e2e_k=max(1, args.e2e_k) if args.e2e_k else None,
            dev=not args.no_dev,
            cold_start=not args.no_cold_start,
            workdir=Path(args.workdir) if args.workdir else None,
            in_process=args.in_process,
            progress=lambda message: print(f"bench: {message}", file=sys.stderr, flush=True),
        )
        report = run_bench(options)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0
