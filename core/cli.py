"""``survival-search``: the command line. Each command is a few lines calling ``core``."""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import textwrap
import time
from pathlib import Path

from . import __version__, paths
from .errors import SurvivalSearchError

log = logging.getLogger("survival_search")


def _db_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a sub-command's own default must not erase `survival-search --db X COMMAND`
    parent.add_argument(
        "--db", metavar="PATH", default=argparse.SUPPRESS, help="corpus database file (default: the user data folder)"
    )
    parent.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log what happens")
    return parent


def _model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="DIR", help="cross-encoder model folder (default: the shipped reranker)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where the models run")
    parser.add_argument("--no-rerank", action="store_true", help="first stage only (BM25 + embeddings)")
    parser.add_argument("--no-dense", action="store_true", help="no embedding candidates: BM25 alone")
    parser.add_argument("--candidates", type=int, metavar="N", help="candidates the cross-encoder reranks")


def build_parser() -> argparse.ArgumentParser:
    db = _db_parent()
    parser = argparse.ArgumentParser(
        prog="survival-search",
        description="Offline survival answers: search a local library of passages.",
        parents=[db],
    )
    parser.add_argument("--version", action="version", version=f"survival-search {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("gui", parents=[db], help="open the desktop app (the default)", description="Open the desktop app.")

    ask = sub.add_parser(
        "ask", parents=[db], help="answer a question", description="Answer a question from the corpus."
    )
    ask.add_argument("question", nargs="?", help="the question (or use --queries)")
    ask.add_argument("--k", type=int, default=5, help="answers to show (default 5)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per query")
    ask.add_argument("--queries", metavar="FILE", help='JSONL file of {"qid", "query"} lines: batch mode')
    ask.add_argument("--topic", action="append", help="only passages with this topic (repeatable)")
    _model_args(ask)

    imp = sub.add_parser(
        "import",
        parents=[db],
        help="import files or folders",
        description="Import .md, .txt, .html, .jsonl or .csv files, or folders of them.",
    )
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--strict", action="store_true", help="import nothing if any file has an error")
    imp.add_argument("--no-embed", action="store_true", help="do not compute embeddings now (the app does it later)")
    imp.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])

    exp = sub.add_parser(
        "export",
        parents=[db],
        help="export every passage",
        description="Export every passage to JSONL (or CSV), importable again losslessly.",
    )
    exp.add_argument("file", metavar="FILE")

    sub.add_parser("stats", parents=[db], help="what the corpus holds", description="Show what the corpus holds.")

    ev = sub.add_parser(
        "eval",
        parents=[db],
        help="measure search quality",
        description="Score the pipeline on a query file (answer phrases) or TREC qrels.",
    )
    ev.add_argument("queries", metavar="QUERIES.jsonl", nargs="?", help='lines of {"qid", "query", "answers"}')
    ev.add_argument("--qrels", metavar="FILE", help="TREC qrels for relevance instead of answer phrases")
    ev.add_argument("--run", metavar="FILE", help="score this TREC run file instead of searching")
    ev.add_argument("--write-run", metavar="FILE", help="also write the ranking as a TREC run file")
    ev.add_argument("--per-query", action="store_true", help="print each query's figures")
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")
    _model_args(ev)

    emb = sub.add_parser(
        "embed",
        parents=[db],
        help="compute missing embeddings",
        description="Compute the embeddings of passages that have none.",
    )
    emb.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])

    from .cli_more import add_more_commands

    add_more_commands(sub, db)
    return parser


def _open_store(args: argparse.Namespace):  # noqa: ANN202
    from .cli_safety import open_store_for_cli

    return open_store_for_cli(args.db)


def _engine(args: argparse.Namespace, store, *, need_rerank: bool = True):  # noqa: ANN001, ANN202
    from .loading import load_encoder, load_reranker
    from .search import SearchEngine, SearchSettings

    notices: list[str] = []
    reranker = None
    notice = ""
    if need_rerank and not getattr(args, "no_rerank", False):
        reranker, notice = load_reranker(args.model, args.device)
        if notice:
            notices.append(notice)
    encoder = None
    if not getattr(args, "no_dense", False):
        encoder, enc_notice = load_encoder(args.device)
        if enc_notice:
            notices.append(enc_notice)
        elif store.passages_missing_embeddings(encoder.name, limit=1):
            _embed(store, encoder)
    settings = SearchSettings(candidates=getattr(args, "candidates", None))
    engine = SearchEngine(store, reranker=reranker, encoder=encoder, settings=settings, reranker_notice=notice)
    return engine, notices


def _embed(store, encoder) -> int:  # noqa: ANN001
    from tqdm import tqdm

    from .dense import embed_missing

    missing = len(store.passages_missing_embeddings(encoder.name))
    with tqdm(total=missing, desc="Embedding passages", unit="passage", file=sys.stderr) as bar:
        return embed_missing(store, encoder, progress=lambda done, total: bar.update(done - bar.n))


def cmd_ask(args: argparse.Namespace) -> int:
    if not args.question and not args.queries:
        raise SurvivalSearchError(
            'Give a question, e.g. survival-search ask "how do I purify water", or --queries FILE.'
        )
    with _open_store(args) as store:
        engine, notices = _engine(args, store)
        for notice in notices:
            print(f"note: {notice}", file=sys.stderr)
        if args.queries:
            from .evaluation import load_queries

            for q in load_queries(args.queries):
                result = engine.search(q.query, k=args.k, rerank=not args.no_rerank, topics=args.topic)
                print(json.dumps({"qid": q.qid, **result.to_dict()}, ensure_ascii=False))
            return 0
        result = engine.search(args.question, k=args.k, rerank=not args.no_rerank, topics=args.topic)
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
            return 0
        _print_result(result)
    return 0


def _print_result(result) -> None:  # noqa: ANN001
    if result.notice:
        print(result.notice)
        print()
    if not result.hits:
        return
    for rank, hit in enumerate(result.hits, start=1):
        sure = f"  [match {hit.confidence:.0%}]" if hit.confidence is not None else ""
        print(f"{rank}. {hit.title}{sure}")
        print(f"   source: {hit.source}" + (f" — {hit.section}" if hit.section and hit.section != hit.title else ""))
        body = textwrap.shorten(hit.text, width=420, placeholder=" …")
        print(textwrap.indent(textwrap.fill(body, width=88), "   "))
        print()
    stages = ", ".join(f"{k[:-3]} {v:.0f} ms" for k, v in result.timings_ms.items() if k.endswith("_ms"))
    how = f"reranked by {Path(result.model).name} on {result.device}" if result.reranked else "not reranked"
    print(f"({how}; {stages})")


def cmd_import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .importers import import_paths
    from .search import SearchEngine

    with _open_store(args) as store:
        engine = SearchEngine(store)  # opened first, its index follows the import instead of being rebuilt after it
        with tqdm(desc="Importing", unit="file", file=sys.stderr) as bar:

            def progress(done: int, total: int, name: str) -> None:
                bar.total = total
                bar.update(done - bar.n)
                bar.set_postfix_str(Path(name).name[:40] if name else "")

            report = import_paths(store, args.paths, strict=args.strict, progress=progress)
        for error in report.errors:
            print(f"error: {error}", file=sys.stderr)
        print(f"Import: {report.summary()}.")
        if report.added and not args.no_embed:
            from .loading import load_encoder

            encoder, notice = load_encoder(args.device)
            if encoder is None:
                print(f"note: {notice}", file=sys.stderr)
            else:
                _embed(store, encoder)
        engine.save_index()
    return 0 if report.added or not report.errors else 1


def cmd_export(args: argparse.Namespace) -> int:
    from .importers import export_passages

    with _open_store(args) as store:
        count = export_passages(store, args.file)
    print(f"Exported {count} passages to {args.file}.")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from .dense import EMBEDDING_MODEL

    with _open_store(args) as store:
        total = store.count()
        missing = len(store.passages_missing_embeddings(EMBEDDING_MODEL))
        print(f"Corpus: {store.path}")
        print(f"Passages: {total:,}  (embedded: {total - missing:,})")
        print(f"Judgments: {len(store.judgments()):,}   Bookmarks: {len(store.bookmarks()):,}")
        print("Topics: " + ", ".join(f"{t} {n}" for t, n in sorted(store.topic_counts().items())))
        print("Sources:")
        for source, count in list(store.sources().items())[:15]:
            print(f"  {count:6,}  {source}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .evaluation import evaluate, load_qrels, load_queries, load_run, relevant_by_answers, write_run

    with _open_store(args) as store:
        if args.run:
            if not args.qrels:
                raise SurvivalSearchError("Scoring a run file needs --qrels.")
            runs = load_run(args.run)
            relevant = load_qrels(args.qrels)
        else:
            if not args.queries:
                raise SurvivalSearchError("Give a QUERIES.jsonl file to evaluate.")
            queries = load_queries(args.queries)
            relevant = load_qrels(args.qrels) if args.qrels else relevant_by_answers(store, queries)
            engine, notices = _engine(args, store)
            for notice in notices:
                print(f"note: {notice}", file=sys.stderr)
            scored: dict[str, list[tuple[str, float]]] = {}
            started = time.perf_counter()
            for q in tqdm(queries, desc="Evaluating", unit="query", file=sys.stderr):
                result = engine.search(q.query, k=100, rerank=not args.no_rerank)
                scored[q.qid] = [(h.id, h.score) for h in result.hits]
            seconds = time.perf_counter() - started
            runs = {qid: [doc for doc, _ in ranked] for qid, ranked in scored.items()}
            if args.write_run:
                write_run(args.write_run, scored)
        means, per_query = evaluate(runs, relevant)
        if args.json:
            print(json.dumps({"queries": len(per_query), **{k: round(v, 4) for k, v in means.items()}}))
            return 0
        if args.per_query:
            for qid, figures in per_query.items():
                print(qid, " ".join(f"{k}={v:.3f}" for k, v in figures.items()))
        print(f"{len(per_query)} queries with relevant passages (of {len(relevant)})")
        for key, value in means.items():
            print(f"  {key:10} {value:.4f}")
        if not args.run:
            print(f"  time       {seconds / max(1, len(runs)) * 1000:.0f} ms/query")
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    from .loading import load_encoder

    with _open_store(args) as store:
        encoder, notice = load_encoder(args.device)
        if encoder is None:
            raise SurvivalSearchError(notice)
        print(f"Embedded {_embed(store, encoder)} passages.")
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from app.main import run_app
    except ImportError as exc:
        print(f"The desktop app is not available ({exc}). Use `survival-search ask \"QUESTION\"`.", file=sys.stderr)
        return 2
    return run_app(db=args.db)


COMMANDS = {
    "gui": cmd_gui,
    "ask": cmd_ask,
    "import": cmd_import,
    "export": cmd_export,
    "stats": cmd_stats,
    "eval": cmd_eval,
    "embed": cmd_embed,
}


def main(argv: list[str] | None = None) -> int:
    paths.force_offline()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.db = getattr(args, "db", None)
    args.verbose = getattr(args, "verbose", False)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    command = args.command or "gui"
    from .cli_more import MORE_COMMANDS

    handler = {**COMMANDS, **MORE_COMMANDS}[command]
    try:
        return handler(args)
    except SurvivalSearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # damage found while reading, past the checks made at open
        from .cli_safety import explain_sqlite_error

        print(f"error: {explain_sqlite_error(exc, args)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
