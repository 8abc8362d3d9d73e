"""``survival-search bench``: the project's pipeline side by side with the naive one, on this machine.

Naive pipeline: ``rank_bm25.BM25Okapi.get_scores`` over every document, then
``CrossEncoder.predict`` in fp32 (the torch ``Reranker``) on the same candidates.
Ours: the inverted BM25 index and the CPU fast path (ONNX Runtime int8), or
torch fp16 on CUDA (``--cuda``).

Each measurement that needs a clean process (corpus import and index build with
their peak memory, reopening a corpus, cold start, the GUI) runs as a task in a
child process (``python -m core.benchmark TASK JSON``) that prints one JSON line;
:func:`run_bench` runs them and gathers the figures. The report is rendered by
:mod:`core.bench_report`. Tasks that need torch import it themselves: the
parent never does.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import paths

K_VALUES = (10, 20, 50, 100)
CUDA_K_VALUES = (20, 50, 100)
RESULT_TAG = "BENCH-RESULT "
DEV_QUERIES = paths.PACKAGE_ROOT.parent / "shared" / "eval" / "dev.jsonl"
DEV_CORPUS = paths.PACKAGE_ROOT.parent / "shared" / "corpora" / "fm3-05-70"

BENCH_QUERIES = [
    "how do I purify water from a stream",
    "friend is shivering and confused",
    "start a fire with wet wood",
    "which wild plants are safe to eat",
    "find north without a compass",
    "signal a rescue aircraft with a mirror",
    "what to do after a snake bite",
    "build a shelter in the snow",
    "how long can you survive without water",
    "treat a deep cut that keeps bleeding",
    "signs of heat stroke",
    "make a water filter from sand and charcoal",
    "how to boil water without a pot",
    "catch fish without a hook",
    "keep warm at night without a sleeping bag",
    "what to pack in a survival kit",
    "stay calm when lost in the woods",
    "navigate using the stars at night",
    "treat frostbite on toes",
    "ferro rod tinder bird nest",
    "is rainwater safe to drink",
    "purification tablets how long to wait",
    "splint a broken leg",
    "debris hut insulation leaves",
    "edible insects protein",
    "hypothermia first aid wet clothes",
    "collect water with a solar still",
    "avoid poisonous mushrooms",
    "set a snare for rabbits",
    "cross a fast river safely",
    "build a signal fire on a ridge",
    "dehydration symptoms dark urine",
    "blisters on feet while hiking",
    "shade shelter in the desert",
    "tie a bowline knot",
    "bear encounter what to do",
    "lightning storm in the open",
    "clean a wound without antiseptic",
    "cook food over an open fire",
    "transpiration bag water from leaves",
]


@dataclass
class BenchOptions:
    """What one ``survival-search bench`` run measures."""

    sizes: list[int] = field(default_factory=lambda: [1_000, 10_000, 100_000])
    model: Path | None = None
    queries: int = 40  # first-stage queries per corpus size
    naive_queries: int | None = None  # rank_bm25 queries per size; None: all below 1M, 8 at 1M and above
    rerank_queries: int = 6  # queries of the K = 10/20/50/100 sweep
    e2e_queries: int = 8
    e2e_k: int = 20
    dev: bool = True
    cold_start: bool = True
    gui: bool = True
    workdir: Path | None = None
    keep: bool = False
    in_process: bool = False  # run tasks in this process (tests: fast, but no per-task memory figures)
    progress: Callable[[str], None] = lambda message: None


# ---------------------------------------------------------------------------------------------- helpers
def stats(samples_ms: list[float]) -> dict[str, float]:
    if not samples_ms:
        return {"p50": float("nan"), "p95": float("nan"), "n": 0}
    values = np.asarray(samples_ms, dtype=float)
    return {"p50": float(np.median(values)), "p95": float(np.percentile(values, 95)), "n": int(len(values))}


def rss_mb() -> float:
    """Resident memory of this process now (MB)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, AttributeError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB): VmHWM, which, unlike ru_maxrss, does not inherit the parent's."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024
    except ImportError:  # Windows
        return float("nan")


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def machine() -> dict[str, Any]:
    """CPU model, cores, memory and instruction sets, as far as the platform tells."""
    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "")
        flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
        info["simd"] = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f" {f}" in flags]
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
        info["memory_gb"] = round(int(mem[1]) / 2**20, 1)
    except (OSError, StopIteration, IndexError, ValueError):
        info["cpu"] = platform.processor()
    from .onnx_backend import cpu_threads

    info["cores"] = cpu_threads()
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        pass
    return info


def parse_sizes(text: str) -> list[int]:
    """'1k,10k,100k,1M' -> [1000, 10000, 100000, 1000000]."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1], 1)
        number = float(part[:-1] if scale > 1 else part)
        if number <= 0:
            raise ValueError(f"corpus size {part!r} must be positive")
        sizes.append(int(number * scale))
    if not sizes:
        raise ValueError("no corpus size given")
    return sizes


def size_label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


# ---------------------------------------------------------------------------------------------- the model
def resolve_model(requested: Path | None, workdir: Path) -> tuple[Path, str]:
    """The reranker to bench and how it was chosen: --model, the shipped default, or a built stand-in."""
    from .loading import default_model_dir

    if requested is not None:
        return Path(requested), "given with --model"
    shipped = default_model_dir()
    if shipped is not None:
        return shipped, "the shipped default reranker"
    bi_encoder = paths.bi_encoder_dir()
    if bi_encoder is None:
        raise SystemExit(
            "No reranker to benchmark: no --model, no shipped model, and no all-MiniLM-L6-v2 to build a stand-in from."
        )
    folder = paths.cache_dir() / "bench" / "standin-minilm-l6-cross-encoder"
    if not (folder / "config.json").is_file():
        build_standin(bi_encoder, folder)
    return folder, (
        "STAND-IN: no trained reranker is installed, so a cross-encoder of the same architecture was built from the "
        "all-MiniLM-L6-v2 weights with an untrained relevance head (speed is representative; its quality is not)"
    )


def build_standin(bi_encoder: Path, folder: Path) -> None:
    """``CrossEncoder(all-MiniLM-L6-v2, num_labels=1)`` saved to ``folder`` (seeded, atomic)."""
    import torch
    from sentence_transformers import CrossEncoder
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # "classifier weights newly initialised": that is the point here
    transformers_logging.disable_progress_bar()
    torch.manual_seed(0)
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    CrossEncoder(str(bi_encoder), num_labels=1, device="cpu").save_pretrained(str(tmp))
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)


# ---------------------------------------------------------------------------------------------- tasks
def task_corpus(args: dict[str, Any]) -> dict[str, Any]:
    """Import ``size`` synthetic passages into a new corpus, build the index; time both sides' first stage."""
    from rank_bm25 import BM25Okapi

    from .bench_corpus import SyntheticCorpus
    from .dense import EMBEDDING_MODEL
    from .search import SearchEngine
    from .store import CorpusStore
    from .tokenizer import tokenize

    size, db = int(args["size"]), Path(args["db"])
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    out: dict[str, Any] = {"size": size}
    started = time.perf_counter()
    store = CorpusStore(db, create_from_builtin=False)
    batch: list = []
    for passage in SyntheticCorpus(size).passages():
        batch.append(passage)
        if len(batch) == 10_000:
            store.add_passages(batch, skip_duplicates=False)
            batch = []
    if batch:
        store.add_passages(batch, skip_duplicates=False)
    out["import_s"] = time.perf_counter() - started
    out["passages"] = store.count()
    if args.get("vectors"):  # random unit vectors: the dense stage costs the same as with real ones
        rng = np.random.default_rng(0)
        ids = [pid for pid, _ in store.iter_token_strings()]
        for start in range(0, len(ids), 20_000):
            chunk = ids[start : start + 20_000]
            vectors = rng.standard_normal((len(chunk), 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.save_embeddings(EMBEDDING_MODEL, dict(zip(chunk, vectors)))
    rss_before = rss_mb()
    started = time.perf_counter()
    engine = SearchEngine(store)  # builds the index from the stored tokens and saves it beside the database
    out["index_build_s"] = time.perf_counter() - started
    out["peak_rss_mb"] = peak_rss_mb()
    out["index_rss_mb"] = rss_mb() - rss_before
    out["index_file_mb"] = db.with_name(db.name + ".bm25.npz").stat().st_size / 2**20
    queries = BENCH_QUERIES[: int(args["queries"])]
    tokens = {q: tokenize(q) for q in queries}
    ours: dict[str, list[tuple[str, float]]] = {}
    ours_ms = []
    for q in queries:
        samples = []
        for _ in range(3):
            t0 = time.perf_counter()
            ours[q] = engine.index.top(tokens[q], 100)
            samples.append(_ms(t0))
        ours_ms.append(float(np.median(samples)))
    out["ours_ms"] = stats(ours_ms)
    # the naive side: rank_bm25 over the same tokens in the same order
    n_naive = int(args["naive_queries"])
    rss_before = rss_mb()
    started = time.perf_counter()
    order = [pid for pid, _ in store.iter_token_strings()]
    naive = BM25Okapi([sys.intern(w) for w in t] for _, t in store.iter_tokens())  # streamed; shared strings
    out["naive_build_s"] = time.perf_counter() - started
    out["naive_rss_mb"] = rss_mb() - rss_before
    naive_ms: dict[str, float] = {}
    identical = 0
    for q in queries[:n_naive]:
        t0 = time.perf_counter()
        scores = naive.get_scores(tokens[q])
        top = np.argsort(-scores, kind="stable")[:100]
        naive_ms[q] = _ms(t0)
        want = [(order[i], float(scores[i])) for i in top if scores[i] != 0]
        got = [hit for hit in ours[q] if hit[1] != 0]
        identical += got == want
    out["naive_ms"] = stats(list(naive_ms.values()))
    out["naive_ms_by_query"] = naive_ms
    out["top100_identical"] = [identical, len(naive_ms)]
    store.close()
    return out


def task_reopen(args: dict[str, Any]) -> dict[str, Any]:
    """Open an existing corpus in a fresh process: load the saved index, answer BM25 queries; time and memory."""
    from .search import SearchEngine
    from .store import CorpusStore
    from .tokenizer import tokenize

    rss_start = rss_mb()
    started = time.perf_counter()
    store = CorpusStore(Path(args["db"]), create_from_builtin=False)
    engine = SearchEngine(store)
    reopen_s = time.perf_counter() - started
    samples = []
    for q in BENCH_QUERIES[: int(args["queries"])]:
        t0 = time.perf_counter()
        engine.index.top(tokenize(q), 100)
        samples.append(_ms(t0))
    result = {"reopen_s": reopen_s, "first_stage_ms": stats(samples), "rss_mb": rss_mb(), "rss_at_start_mb": rss_start}
    store.close()
    return result


def _candidate_sets(n_queries: int, k: int) -> list[tuple[str, list[str]]]:
    """Per bench query, ``k`` real passages (built-in corpus, BM25 order), padded with synthetic ones."""
    from .bench_corpus import SyntheticCorpus
    from .bm25_index import BM25Index
    from .builtin import builtin_passages
    from .reranker import passage_input
    from .tokenizer import tokenize

    passages = builtin_passages() if paths.BUILTIN_CORPUS_DIR.is_dir() else []
    if len(passages) < k:
        passages += list(SyntheticCorpus(k - len(passages), seed=7).passages())
    texts = {p.id: passage_input(p.title, p.text) for p in passages}
    index = BM25Index.build((p.id, tokenize(f"{p.title}\n{p.text}")) for p in passages)
    sets = []
    for q in BENCH_QUERIES[:n_queries]:
        ranked = [pid for pid, _ in index.top(tokenize(q), k)]
        ranked += [pid for pid in texts if pid not in set(ranked)][: k - len(ranked)]
        sets.append((q, [texts[pid] for pid in ranked]))
    return sets


def _top_overlap(a: np.ndarray, b: np.ndarray, n: int = 10) -> int:
    return len(set(np.argsort(-a, kind="stable")[:n].tolist()) & set(np.argsort(-b, kind="stable")[:n].tolist()))


def task_models(args: dict[str, Any]) -> dict[str, Any]:
    """Rerank K sweep, dev-set nDCG and end-to-end figures: the fast path against torch fp32."""
    from .onnx_backend import OnnxDenseEncoder, OnnxReranker
    from .reranker import Reranker

    model = Path(args["model"])
    out: dict[str, Any] = {}
    started = time.perf_counter()
    fast = OnnxReranker(model)
    out["fast_load_s"] = time.perf_counter() - started  # includes the one-time export when not cached yet
    out["fast_backend"] = f"{fast.backend}, {fast.max_length}-token budget, batches of {fast.batch_size}"
    started = time.perf_counter()
    encoder = OnnxDenseEncoder()
    out["encoder_load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    naive = Reranker(model, device="cpu")  # CrossEncoder.predict, fp32, the model's own max length
    out["naive_load_s"] = time.perf_counter() - started  # sentence-transformers import + load
    out["naive_backend"] = f"{naive.backend} CrossEncoder.predict, max length {naive.max_length}, batches of 32"
    out["rerank"] = _rerank_sweep(fast, naive, int(args["rerank_queries"]))
    if args.get("dev"):
        out["dev"] = _dev_ndcg(fast, naive, encoder, int(args["e2e_k"]), Path(args["workdir"]))
    out["e2e"] = {}
    for size, db in args["stores"].items():
        out["e2e"][size] = _end_to_end(
            Path(db), fast, naive, encoder, int(args["e2e_k"]), int(args["e2e_queries"]), args["naive_bm25_ms"][size]
        )
    return out


def _rerank_sweep(fast: Any, naive: Any, n_queries: int) -> dict[str, Any]:
    sets = _candidate_sets(n_queries, max(K_VALUES))
    fast.score("warm up", [sets[0][1][0]])
    naive.score("warm up", [sets[0][1][0]])
    times: dict[int, dict[str, list[float]]] = {k: {"naive": [], "ours": []} for k in K_VALUES}
    overlaps = []
    for q, passages in sets:
        for k in K_VALUES:
            t0 = time.perf_counter()
            want = naive.score(q, passages[:k])
            times[k]["naive"].append(_ms(t0))
            t0 = time.perf_counter()
            got = fast.score(q, passages[:k])
            times[k]["ours"].append(_ms(t0))
            if k == max(K_VALUES):
                overlaps.append(_top_overlap(want, got))
    return {
        "by_k": {str(k): {side: stats(v) for side, v in sides.items()} for k, sides in times.items()},
        "top10_overlap_at_100": float(np.mean(overlaps)) if overlaps else float("nan"),
        "queries": len(sets),
    }


def _dev_ndcg(fast: Any, naive: Any, encoder: Any, k: int, workdir: Path) -> dict[str, Any]:
    """nDCG@10 on shared/eval/dev.jsonl over FM 3-05.70: the engine with the fast reranker vs with fp32."""
    if not DEV_QUERIES.is_file() or not DEV_CORPUS.is_dir():
        return {"skipped": f"{DEV_QUERIES} or {DEV_CORPUS} not found"}
    from .dense import embed_missing
    from .evaluation import evaluate, load_queries, relevant_by_answers
    from .importers import import_paths
    from .search import SearchEngine, SearchSettings
    from .store import CorpusStore

    cache = paths.cache_dir() / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    db = cache / "fm3-05-70-dev.sqlite"
    digest = ";".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in sorted(DEV_CORPUS.iterdir()))
    store = CorpusStore(db, create_from_builtin=False)
    if store.get_meta("bench_source") != digest:
        store.close()
        for stale in cache.glob(db.name + "*"):
            stale.unlink()
        store = CorpusStore(db, create_from_builtin=False)
        import_paths(store, [DEV_CORPUS])
        store.set_meta("bench_source", digest)
    embedded = embed_missing(store, encoder)  # cached across runs: vectors are kept in the database
    queries = load_queries(DEV_QUERIES)
    relevant = relevant_by_answers(store, queries)
    settings = SearchSettings(candidates=k)
    runs: dict[str, dict[str, list[str]]] = {"first stage": {}, "fp32": {}, "ours": {}}
    times: dict[str, list[float]] = {"fp32": [], "ours": []}
    overlaps = []
    for name, reranker in (("fp32", naive), ("ours", fast)):
        engine = SearchEngine(store, reranker=reranker, encoder=encoder, settings=settings)
        for q in queries:
            result = engine.search(q.query, k=100)
            runs[name][q.qid] = [h.id for h in result.hits]
            times[name].append(result.timings_ms.get("rerank_ms", float("nan")))
            if name == "fp32":
                runs["first stage"][q.qid] = [c.id for c in engine.first_stage(q.query)[0]][:100]
    for q in queries:
        overlaps.append(len(set(runs["fp32"][q.qid][:10]) & set(runs["ours"][q.qid][:10])))
    ndcg = {name: evaluate(run, relevant)[0].get("ndcg@10", float("nan")) for name, run in runs.items()}
    passages = store.count()
    store.close()
    return {
        "queries": len(queries),
        "passages": passages,
        "reranked": k,
        "ndcg@10": ndcg,
        "rerank_ms": {name: stats(v) for name, v in times.items()},
        "top10_overlap": float(np.mean(overlaps)),
        "embedded_now": embedded,
    }


def _end_to_end(
    db: Path, fast: Any, naive: Any, encoder: Any, k: int, n_queries: int, naive_bm25_ms: dict[str, float]
) -> dict[str, Any]:
    """The engine answering with the fast path; the naive answer time from its parts on the same candidates."""
    from .dense import EMBEDDING_MODEL
    from .reranker import passage_input
    from .search import SearchEngine, SearchSettings
    from .store import CorpusStore

    store = CorpusStore(db, create_from_builtin=False)
    has_vectors = bool(store.db.execute("SELECT 1 FROM embeddings WHERE model = ? LIMIT 1", [EMBEDDING_MODEL]).fetchone())
    engine = SearchEngine(store, reranker=fast, encoder=encoder if has_vectors else None, settings=SearchSettings(candidates=k))
    engine.search("warm up the engine")  # loads the vectors and the saved index
    ours, first, naive_total, ranks = [], [], [], []
    for q in [q for q in BENCH_QUERIES if q in naive_bm25_ms][:n_queries]:
        result = engine.search(q)
        t = result.timings_ms
        ours.append(t["total_ms"])
        first.append(sum(t.get(part, 0.0) for part in ("bm25_ms", "embed_query_ms", "dense_ms", "fusion_ms")))
        head = engine.first_stage(q)[0][:k]
        passages = store.get_many(c.id for c in head)
        t0 = time.perf_counter()
        naive.score(q, [passage_input(passages[c.id].title, passages[c.id].text) for c in head])
        dense_and_fusion = t.get("embed_query_ms", 0.0) + t.get("dense_ms", 0.0) + t.get("fusion_ms", 0.0)
        naive_total.append(naive_bm25_ms[q] + dense_and_fusion + _ms(t0))
        ranks.append(t.get("reranked", 0))
    store.close()
    return {
        "ours_ms": stats(ours),
        "first_results_ms": stats(first),
        "naive_ms": stats(naive_total),
        "reranked": k,
        "dense": "random unit vectors (timing stand-in)" if has_vectors else "off (no vectors at this size)",
    }


def task_cold_start(args: dict[str, Any]) -> dict[str, Any]:
    """Launch -> answers, in this fresh process (the parent passes its launch time)."""
    launched = float(args["launched"])
    marks = {"interpreter": time.time() - launched}
    from .loading import load_encoder, load_reranker
    from .search import SearchEngine
    from .store import CorpusStore

    marks["imports"] = time.time() - launched
    store = CorpusStore(Path(args["db"]), create_from_builtin=False)
    engine = SearchEngine(store)
    marks["corpus_open"] = time.time() - launched
    query = "how do I purify water from a stream"
    engine.search(query, rerank=False)
    marks["first_results_bm25"] = time.time() - launched
    encoder, _ = load_encoder("auto")
    engine.set_encoder(encoder)
    reranker, notice = load_reranker(args["model"], "auto")
    engine.set_reranker(reranker, notice)
    marks["reranker_ready"] = time.time() - launched
    result = engine.search(query)
    marks["first_reranked_answer"] = time.time() - launched
    heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
    store.close()
    return {"marks_s": marks, "reranked": result.reranked, "backend": reranker.backend if reranker else None, "heavy_imports": heavy}


def task_gui(args: dict[str, Any]) -> dict[str, Any]:
    """Launch the desktop app offscreen; time window shown, corpus open, first answers, reranker ready."""
    launched = float(args["launched"])
    marks: dict[str, float] = {}
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import app.main as app_main
    from app.main_window import MainWindow

    original_services = app_main.default_services

    def services(db: Any) -> Any:
        found = original_services(db)
        open_engine, load_reranker = found.open_engine, found.load_reranker

        def opened() -> Any:
            engine = open_engine()
            marks.setdefault("corpus_open", time.time() - launched)
            search = engine.search

            def timed_search(*a: Any, **kw: Any) -> Any:
                result = search(*a, **kw)
                marks.setdefault("first_answer", time.time() - launched)
                if result.reranked:
                    marks.setdefault("first_reranked_answer", time.time() - launched)
                return result

            engine.search = timed_search
            return engine

        def reranker(_folder: Any, device: str) -> Any:
            loaded = load_reranker(args["model"], device) if load_reranker else (None, "")
            marks.setdefault("reranker_ready", time.time() - launched)
            return loaded

        found.open_engine, found.load_reranker = opened, reranker
        return found

    app_main.default_services = services
    show = MainWindow.show

    def shown(window: Any) -> None:
        show(window)
        marks.setdefault("window_shown", time.time() - launched)
        window.search_box.setText("how do I purify water from a stream")

    MainWindow.show = shown  # type: ignore[method-assign]

    def check() -> None:  # on the GUI thread: stop once the reranked answer is in (or it is clearly not coming)
        now = time.time() - launched
        ready = marks.get("reranker_ready")
        if "first_reranked_answer" in marks or (ready and now > ready + 5) or now > float(args.get("timeout", 60)):
            QApplication.quit()

    app_main.application()
    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(100)
    app_main.run_app(db=args["db"])
    return {"marks_s": marks}


def task_cuda(args: dict[str, Any]) -> dict[str, Any]:
    """fp16 rerank on CUDA (one batch, warmed), against fp32 on the same GPU; agreement of the two."""
    import torch

    from .reranker import Reranker

    if not torch.cuda.is_available():
        return {"skipped": "no CUDA device visible to torch"}
    model = Path(args["model"])
    started = time.perf_counter()
    fp16 = Reranker(model, device="cuda")
    load_s = time.perf_counter() - started
    fp32 = Reranker(model, device="cuda")
    fp32.model.float()
    reps = int(args.get("reps", 30))
    sets = _candidate_sets(min(reps, len(BENCH_QUERIES)), max(CUDA_K_VALUES))
    fp32.score("warm up", sets[0][1])
    out: dict[str, Any] = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "load_s": load_s}
    by_k: dict[str, Any] = {}
    for k in CUDA_K_VALUES:
        t16, t32 = [], []
        for i in range(reps):
            q, passages = sets[i % len(sets)]
            t0 = time.perf_counter()
            fp16.score(q, passages[:k])
            t16.append(_ms(t0))
            t0 = time.perf_counter()
            fp32.score(q, passages[:k])
            t32.append(_ms(t0))
        by_k[str(k)] = {"fp16": stats(t16), "fp32": stats(t32)}
    overlaps = [_top_overlap(fp32.score(q, p), fp16.score(q, p)) for q, p in sets]
    out.update({"by_k": by_k, "top10_overlap_at_100": float(np.mean(overlaps)), "max_length": fp16.max_length})
    return out


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "corpus": task_corpus,
    "reopen": task_reopen,
    "models": task_models,
    "cold": task_cold_start,
    "gui": task_gui,
    "cuda": task_cuda,
}


def run_task(name: str, args: dict[str, Any], *, in_process: bool = False, timeout: float | None = None) -> dict[str, Any]:
    """Run a task in a fresh Python process (or here) and return its figures; failures become {'error': ...}."""
    if in_process:
        try:
            return TASKS[name](args)
        except Exception as exc:  # a failed part is reported, the rest of the bench goes on
            return {"error": f"{type(exc).__name__}: {exc}"}
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    command = [sys.executable, "-m", "core.benchmark", name, json.dumps({**args, "launched": time.time()})]
    try:
        done = subprocess.run(
            command, cwd=paths.PACKAGE_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"error": f"exit {done.returncode}: " + " | ".join(tail)}


# ---------------------------------------------------------------------------------------------- the run
def run_bench(options: BenchOptions) -> dict[str, Any]:
    """Every CPU figure of the report, as one JSON-able dict."""
    say = options.progress
    workdir = options.workdir or paths.cache_dir() / "bench" / f"run-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"machine": machine(), "device": "cpu", "sizes": {}}
    model, how = resolve_model(options.model, workdir)
    report["model"] = {"folder": str(model), "chosen": how}
    stores: dict[str, str] = {}
    naive_bm25: dict[str, dict[str, float]] = {}
    try:
        for size in options.sizes:
            label = size_label(size)
            say(f"corpus {label}: generating, importing, indexing, timing BM25 (ours and rank_bm25)…")
            db = workdir / f"synthetic-{label}.sqlite"
            n_naive = options.naive_queries or (options.queries if size < 1_000_000 else 8)
            figures = run_task(
                "corpus",
                {"size": size, "db": str(db), "queries": options.queries, "naive_queries": min(n_naive, options.queries),
                 "vectors": size <= 100_000},
                in_process=options.in_process,
            )
            report["sizes"][label] = figures
            if "error" not in figures:
                stores[label] = str(db)
                naive_bm25[label] = figures.pop("naive_ms_by_query")
        say("reranker: K sweep, dev-set nDCG, end-to-end (the first run also exports the model to ONNX)…")
        report["models"] = run_task(
            "models",
            {"model": str(model), "rerank_queries": options.rerank_queries, "dev": options.dev, "e2e_k": options.e2e_k,
             "e2e_queries": options.e2e_queries, "stores": stores, "naive_bm25_ms": naive_bm25, "workdir": str(workdir)},
            in_process=options.in_process,
        )
        for label, db in stores.items():
            say(f"corpus {label}: reopening in a fresh process…")
            report["sizes"][label]["reopen"] = run_task(
                "reopen", {"db": db, "queries": options.queries}, in_process=options.in_process
            )
        cold_db = stores.get("10k") or next(iter(stores.values()), None)
        if options.cold_start and cold_db:
            say("cold start: launch -> reranked answer…")
            report["cold_start"] = {"corpus": Path(cold_db).stem, **_cold_start(cold_db, model, options.in_process)}
            if options.gui:
                report["gui"] = _gui(cold_db, model, options.in_process)
    finally:
        if not options.keep and options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return report


def _cold_start(db: str, model: Path, in_process: bool) -> dict[str, Any]:
    figures = run_task("cold", {"db": db, "model": str(model), "launched": time.time()}, in_process=in_process)
    if in_process:
        return figures
    started = time.time()
    command = [sys.executable, "-m", "core", "ask", "how do I purify water from a stream", "--db", db, "--model", str(model), "--json"]
    done = subprocess.run(command, cwd=paths.PACKAGE_ROOT, capture_output=True, text=True, check=False)
    reranked = done.returncode == 0 and json.loads(done.stdout or "{}").get("reranked")
    figures["cli_ask_s"] = time.time() - started if done.returncode == 0 else None
    figures["cli_ask_reranked"] = bool(reranked)
    return figures


def _gui(db: str, model: Path, in_process: bool) -> dict[str, Any]:
    if in_process:
        return {"skipped": "not measured in-process"}
    try:
        import importlib.util

        if importlib.util.find_spec("app.main") is None or importlib.util.find_spec("PySide6") is None:
            return {"skipped": "no desktop app (app.main) or no PySide6"}
    except (ImportError, ValueError):
        return {"skipped": "no desktop app"}
    return run_task("gui", {"db": db, "model": str(model), "timeout": 60}, timeout=120)


def run_cuda_bench(model: Path | None, reps: int = 30, in_process: bool = False) -> dict[str, Any]:
    """The CUDA part alone (kept short: a lent GPU machine lacks rank-bm25 and the corpus tools)."""
    workdir = paths.cache_dir() / "bench"
    folder, how = resolve_model(model, workdir)
    report: dict[str, Any] = {"machine": machine(), "device": "cuda", "model": {"folder": str(folder), "chosen": how}}
    report["cuda"] = run_task("cuda", {"model": str(folder), "reps": reps}, in_process=in_process)
    return report


def _main(argv: list[str]) -> int:
    name, args = argv[0], json.loads(argv[1])
    paths.force_offline()
    result = TASKS[name](args)
    print(RESULT_TAG + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
