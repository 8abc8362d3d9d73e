"""``survival-search bench``: the project's pipeline side by side with the naive one, on this machine.

Naive pipeline: ``rank_bm25.BM25Okapi.get_scores`` over every document, then
``CrossEncoder.predict`` in fp32 (the torch ``Reranker``) on the same candidates.
Ours: the inverted BM25 index and the CPU fast path (ONNX Runtime int8), or
torch fp16 on CUDA (``--cuda``).

Each measurement that needs a clean process (corpus import and index build with
their peak memory, reopening a corpus, cold start, the GUI) runs as a task in a
child process (``python -m core.bench_tasks TASK JSON``, see :mod:`core.bench_tasks`)
that prints one JSON line; :func:`run_bench` runs them and gathers the figures. The report is rendered by
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
    e2e_k: int | None = None  # candidates reranked end to end and on the dev set; None: the app's own choice
    dev: bool = True
    cold_start: bool = True
    gui: bool = True
    workdir: Path | None = None  # keep the generated corpora here (default: a temporary folder, removed after)
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


def elapsed_ms(start: float) -> float:
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
def resolve_model(requested: Path | None) -> tuple[Path, str]:
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


def run_task(
    name: str, args: dict[str, Any], *, in_process: bool = False, timeout: float | None = None
) -> dict[str, Any]:
    """Run a task in a fresh Python process (or here) and return its figures; failures become {'error': ...}."""
    if in_process:
        from .bench_tasks import TASKS

        try:
            return TASKS[name](args)
        except Exception as exc:  # a failed part is reported, the rest of the bench goes on
            return {"error": f"{type(exc).__name__}: {exc}"}
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    command = [sys.executable, "-m", "core.bench_tasks", name, json.dumps({**args, "launched": time.time()})]
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
    model, how = resolve_model(options.model)
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
                {
                    "size": size,
                    "db": str(db),
                    "queries": options.queries,
                    "naive_queries": min(n_naive, options.queries),
                    "vectors": size <= 100_000,
                },
                in_process=options.in_process,
            )
            report["sizes"][label] = figures
            if "error" not in figures:
                stores[label] = str(db)
                naive_bm25[label] = figures.pop("naive_ms_by_query")
        say("reranker: K sweep, dev-set nDCG, end-to-end (the first run also exports the model to ONNX)…")
        report["models"] = run_task(
            "models",
            {
                "model": str(model),
                "rerank_queries": options.rerank_queries,
                "dev": options.dev,
                "e2e_k": options.e2e_k,
                "e2e_queries": options.e2e_queries,
                "stores": stores,
                "naive_bm25_ms": naive_bm25,
            },
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
                report["gui"] = _gui(cold_db, options.in_process)
    finally:
        if options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return report


def _cold_start(db: str, model: Path, in_process: bool) -> dict[str, Any]:
    figures = run_task("cold", {"db": db, "model": str(model), "launched": time.time()}, in_process=in_process)
    if in_process:
        return figures
    started = time.time()
    command = [
        sys.executable,
        "-m",
        "core",
        "ask",
        "how do I purify water from a stream",
        "--db",
        db,
        "--model",
        str(model),
        "--json",
    ]
    done = subprocess.run(command, cwd=paths.PACKAGE_ROOT, capture_output=True, text=True, check=False)
    reranked = done.returncode == 0 and json.loads(done.stdout or "{}").get("reranked")
    figures["cli_ask_s"] = time.time() - started if done.returncode == 0 else None
    figures["cli_ask_reranked"] = bool(reranked)
    return figures


def _gui(db: str, in_process: bool) -> dict[str, Any]:
    if in_process:
        return {"skipped": "not measured in-process"}
    try:
        import importlib.util

        if importlib.util.find_spec("app.main") is None or importlib.util.find_spec("PySide6") is None:
            return {"skipped": "no desktop app (app.main) or no PySide6"}
    except (ImportError, ValueError):
        return {"skipped": "no desktop app"}
    return run_task("gui", {"db": db, "timeout": 90}, timeout=120)


def run_cuda_bench(model: Path | None, reps: int = 30, in_process: bool = False) -> dict[str, Any]:
    """The CUDA part alone (kept short: a lent GPU machine lacks rank-bm25 and the corpus tools)."""
    folder, how = resolve_model(model)
    report: dict[str, Any] = {"machine": machine(), "device": "cuda", "model": {"folder": str(folder), "chosen": how}}
    report["cuda"] = run_task("cuda", {"model": str(folder), "reps": reps}, in_process=in_process)
    return report
