"""The measurements of ``survival-search bench``, each run in a fresh process: ``python -m core.bench_tasks TASK JSON``.

A task takes a JSON object of arguments and returns a JSON object of figures, printed on one
line after ``RESULT_TAG``. :func:`core.benchmark.run_task` starts them and reads that line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import paths
from .benchmark import (
    BENCH_QUERIES,
    CUDA_K_VALUES,
    DEV_CORPUS,
    DEV_QUERIES,
    K_VALUES,
    RESULT_TAG,
    elapsed_ms,
    peak_rss_mb,
    rss_mb,
    stats,
)

OTHER_BUDGETS = (192, 256)  # the dev set is also scored at whichever of these the fast path does not use


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
            store.save_embeddings(EMBEDDING_MODEL, dict(zip(chunk, vectors, strict=True)))
    rss_before = rss_mb()
    started = time.perf_counter()
    engine = SearchEngine(store)  # builds the index from the stored tokens and saves it beside the database
    out["index_build_s"] = time.perf_counter() - started
    out["peak_rss_mb"] = peak_rss_mb()
    out["index_rss_mb"] = max(0.0, rss_mb() - rss_before)
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
            samples.append(elapsed_ms(t0))
        ours_ms.append(float(np.median(samples)))
    out["ours_ms"] = stats(ours_ms)
    # the naive side: rank_bm25 over the same tokens in the same order
    n_naive = int(args["naive_queries"])
    rss_before = rss_mb()
    started = time.perf_counter()
    order = [pid for pid, _ in store.iter_token_strings()]
    naive = BM25Okapi([sys.intern(w) for w in t] for _, t in store.iter_tokens())  # streamed; shared strings
    out["naive_build_s"] = time.perf_counter() - started
    out["naive_rss_mb"] = max(0.0, rss_mb() - rss_before)
    naive_ms: dict[str, float] = {}
    identical = 0
    for q in queries[:n_naive]:
        t0 = time.perf_counter()
        scores = naive.get_scores(tokens[q])
        top = np.argsort(-scores, kind="stable")[:100]
        naive_ms[q] = elapsed_ms(t0)
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
        samples.append(elapsed_ms(t0))
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
        out["dev"] = _dev_ndcg(fast, naive, encoder, args["e2e_k"])
    out["e2e"] = {}
    for size, db in args["stores"].items():
        out["e2e"][size] = _end_to_end(
            Path(db), fast, naive, encoder, args["e2e_k"], int(args["e2e_queries"]), args["naive_bm25_ms"][size]
        )
    return out


def _rerank_sweep(fast: Any, naive: Any, n_queries: int) -> dict[str, Any]:
    sets = _candidate_sets(n_queries, max(K_VALUES))
    fast.score("warm up", [sets[0][1][0]])
    naive.predict_scores("warm up", [sets[0][1][0]])
    times: dict[int, dict[str, list[float]]] = {k: {"naive": [], "ours": []} for k in K_VALUES}
    overlaps = []
    for q, passages in sets:
        for k in K_VALUES:
            t0 = time.perf_counter()
            want = naive.predict_scores(q, passages[:k])
            times[k]["naive"].append(elapsed_ms(t0))
            fast.forget_passages()  # every candidate tokenized in the timing, as for a new query
            t0 = time.perf_counter()
            got = fast.score(q, passages[:k])
            times[k]["ours"].append(elapsed_ms(t0))
            if k == max(K_VALUES):
                overlaps.append(_top_overlap(want, got))
    return {
        "by_k": {str(k): {side: stats(v) for side, v in sides.items()} for k, sides in times.items()},
        "top10_overlap_at_100": float(np.mean(overlaps)) if overlaps else float("nan"),
        "queries": len(sets),
    }


def _dev_ndcg(fast: Any, naive: Any, encoder: Any, k: int | None) -> dict[str, Any]:
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
    from .onnx_backend import OnnxReranker

    variants = [("fp32", naive), ("ours", fast)]
    for budget in OTHER_BUDGETS:  # the same int8 model reading more or fewer tokens: the speed/quality trade
        if budget != fast.max_length and budget <= naive.max_length:
            variants.append((f"ours at {budget} tokens", OnnxReranker(fast.folder, max_length=budget)))
    runs: dict[str, dict[str, list[str]]] = {"first stage": {}, **{name: {} for name, _ in variants}}
    times: dict[str, list[float]] = {name: [] for name, _ in variants}
    overlaps = []
    for name, reranker in variants:
        engine = SearchEngine(store, reranker=reranker, encoder=encoder, settings=settings)
        for q in queries:
            result = engine.search(q.query, k=100)
            runs[name][q.qid] = [h.id for h in result.hits]
            times[name].append(result.timings_ms.get("rerank_ms", float("nan")))
            if name == "ours":  # what was reranked (the count depends on the vectors, read at the first search)
                k = int(result.timings_ms.get("reranked", 0))
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
    db: Path, fast: Any, naive: Any, encoder: Any, k: int | None, n_queries: int, naive_bm25_ms: dict[str, float]
) -> dict[str, Any]:
    """The engine answering with the fast path; the naive answer time from its parts on the same candidates."""
    from .dense import EMBEDDING_MODEL
    from .reranker import passage_input
    from .search import SearchEngine, SearchSettings
    from .store import CorpusStore

    store = CorpusStore(db, create_from_builtin=False)
    has_vectors = bool(
        store.db.execute("SELECT 1 FROM embeddings WHERE model = ? LIMIT 1", [EMBEDDING_MODEL]).fetchone()
    )
    engine = SearchEngine(
        store, reranker=fast, encoder=encoder if has_vectors else None, settings=SearchSettings(candidates=k)
    )
    engine.search("warm up the engine")  # loads the vectors and the saved index
    k = engine.rerank_count()
    ours, first, naive_total = [], [], []
    for q in [q for q in BENCH_QUERIES if q in naive_bm25_ms][:n_queries]:
        result = engine.search(q)
        t = result.timings_ms
        ours.append(t["total_ms"])
        first.append(sum(t.get(part, 0.0) for part in ("bm25_ms", "embed_query_ms", "dense_ms", "fusion_ms")))
        head = engine.first_stage(q)[0][:k]
        passages = store.get_many(c.id for c in head)
        t0 = time.perf_counter()
        naive.predict_scores(q, [passage_input(passages[c.id].title, passages[c.id].text) for c in head])
        dense_and_fusion = t.get("embed_query_ms", 0.0) + t.get("dense_ms", 0.0) + t.get("fusion_ms", 0.0)
        naive_total.append(naive_bm25_ms[q] + dense_and_fusion + elapsed_ms(t0))
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
    return {
        "marks_s": marks,
        "reranked": result.reranked,
        "backend": reranker.backend if reranker else None,
        "heavy_imports": heavy,
    }


def task_gui(args: dict[str, Any]) -> dict[str, Any]:
    """Launch the desktop app (``survival-search gui``) offscreen and read its start-up trace.

    The app writes the trace itself when ``SURVIVAL_SEARCH_TRACE`` is set (app/startup_trace.py): window
    painted, corpus open, first answer, reranker ready, reranked answer; it types the question as soon as
    the corpus is open and quits once the reranked answer is in. It loads its own configured reranker.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="survival-bench-gui-") as tmp:
        trace = Path(tmp) / "trace.jsonl"
        env = {
            **os.environ,
            "SURVIVAL_SEARCH_TRACE": str(trace),
            "SURVIVAL_SEARCH_TRACE_QUERY": "how do I purify water from a stream",
            "QT_QPA_PLATFORM": "offscreen",
        }
        started = time.time()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "core", "gui", "--db", str(args["db"])],
                cwd=paths.PACKAGE_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=float(args.get("timeout", 90)),
                check=False,
            )
        except subprocess.TimeoutExpired:
            done = None
        events = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()] if trace.exists() else []
    if not events:
        why = "timed out" if done is None else f"exit {done.returncode}: {(done.stderr or '').strip()[-200:]}"
        return {"error": f"the app wrote no start-up trace ({why})"}
    marks = {row["event"]: row["t"] - started for row in events}
    backend = next((row.get("backend") for row in events if row["event"] == "reranker_ready"), None)
    return {"marks_s": marks, "backend": backend}


def task_cuda(args: dict[str, Any]) -> dict[str, Any]:
    """fp16 rerank on CUDA (one batch, warmed) with its parts, against fp32 and against ``CrossEncoder.predict``."""
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
    fp16.predict_scores("warm up", sets[0][1])
    out: dict[str, Any] = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "load_s": load_s}
    by_k: dict[str, Any] = {}
    for k in CUDA_K_VALUES:
        parts = ("fp16", "fp16 warm", "tokenize", "forward", "predict", "fp32")
        t: dict[str, list[float]] = {name: [] for name in parts}
        for i in range(reps):
            q, passages = sets[i % len(sets)]
            for name, reranker in (("fp16", fp16), ("fp32", fp32)):
                reranker.forget_passages()  # a new query's candidates: every one tokenized
                t0 = time.perf_counter()
                reranker.score(q, passages[:k])
                t[name].append(elapsed_ms(t0))
            t0 = time.perf_counter()
            fp16.score(q, passages[:k])  # the same candidates again (a refined query): tokens cached
            t["fp16 warm"].append(elapsed_ms(t0))
            fp16.forget_passages()
            t0 = time.perf_counter()
            batch = fp16._pairs.encode(q, passages[:k])
            t["tokenize"].append(elapsed_ms(t0))
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            fp16._forward(batch)  # ends with a copy to the host, so the GPU work is inside the timing
            t["forward"].append(elapsed_ms(t0))
            t0 = time.perf_counter()
            fp16.predict_scores(q, passages[:k])
            t["predict"].append(elapsed_ms(t0))
        by_k[str(k)] = {name: stats(v) for name, v in t.items()}
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


def main(argv: list[str]) -> int:
    name, args = argv[0], json.loads(argv[1])
    paths.force_offline()
    result = TASKS[name](args)
    print(RESULT_TAG + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
