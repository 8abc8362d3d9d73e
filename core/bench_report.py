"""Render ``survival-search bench`` figures as readable text (the JSON form is the dict itself)."""

from __future__ import annotations

import math
from typing import Any

from .benchmark import K_VALUES


def _num(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _pair(figure: dict[str, Any] | None) -> str:
    if not figure or not figure.get("n"):
        return "—"
    return f"{_num(figure['p50'])} / {_num(figure['p95'])}"


def _ratio(naive: dict[str, Any] | None, ours: dict[str, Any] | None) -> str:
    try:
        value = naive["p50"] / ours["p50"]  # type: ignore[index]
    except (TypeError, KeyError, ZeroDivisionError):
        return "—"
    return "—" if math.isnan(value) else f"{value:,.1f}×"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(headers), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]


def render(report: dict[str, Any]) -> str:
    """The whole report, section by section; missing parts say why they are missing."""
    lines: list[str] = []
    m = report.get("machine", {})
    lines.append("Survival Search bench — naive pipeline vs ours, p50 / p95 in ms, ratio = naive p50 / ours p50")
    simd = ", ".join(m.get("simd", [])) or "?"
    load = m.get("load_average")
    lines.append(
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores ({simd}), {m.get('memory_gb', '?')} GiB, "
        f"{m.get('platform', '')}" + (f", load average {load[0]}" if load else "")
    )
    lines.append(f"Device: {report.get('device', 'cpu')}")
    model = report.get("model", {})
    lines.append(f"Reranker: {model.get('folder')} ({model.get('chosen')})")
    if "cuda" in report:
        lines += ["", *_cuda(report["cuda"])]
        return "\n".join(lines)
    models = report.get("models", {})
    if "error" in models:
        lines.append(f"Reranker figures failed: {models['error']}")
        models = {}
    elif models:
        lines.append(f"  naive: {models.get('naive_backend')}; load {_num(models.get('naive_load_s'), 2)} s")
        lines.append(
            f"  ours:  {models.get('fast_backend')}; load {_num(models.get('fast_load_s'), 2)} s, "
            f"embedding model load {_num(models.get('encoder_load_s'), 2)} s"
        )
    sizes = report.get("sizes", {})
    lines += ["", "First stage: BM25 top-100 (ms)"]
    rows, agree = [], []
    for label, s in sizes.items():
        if "error" in s:
            rows.append([label, s["error"][:60], "", "", ""])
            continue
        rows.append(
            [
                label,
                _pair(s.get("naive_ms")),
                _pair(s.get("ours_ms")),
                _ratio(s.get("naive_ms"), s.get("ours_ms")),
                _pair(s.get("reopen", {}).get("first_stage_ms")),
            ]
        )
        same, total = s.get("top100_identical", [0, 0])
        agree.append(f"{label} {same}/{total}")
    lines += _table(["passages", "rank_bm25", "ours", "ratio", "ours, reopened"], rows)
    lines.append("Identical top-100 (ids and scores) as rank_bm25, queries: " + (", ".join(agree) or "—"))
    if models.get("rerank"):
        r = models["rerank"]
        lines += ["", f"Rerank on the CPU (ms), {r.get('queries')} queries, real passages"]
        rows = []
        for k in K_VALUES:
            f = r["by_k"].get(str(k), {})
            rows.append([f"K={k}", _pair(f.get("naive")), _pair(f.get("ours")), _ratio(f.get("naive"), f.get("ours"))])
        lines += _table(["candidates", "fp32 predict", "ours", "ratio"], rows)
        lines.append(f"Top-10 overlap with fp32 at K=100: {_num(r.get('top10_overlap_at_100'))} / 10")
    dev = models.get("dev")
    if dev:
        lines.append("")
        if "skipped" in dev:
            lines.append(f"Dev-set nDCG@10: skipped ({dev['skipped']})")
        else:
            n = dev["ndcg@10"]
            times = dev["rerank_ms"]
            lines.append(
                f"Dev-set nDCG@10 ({dev['queries']} queries, FM 3-05.70, {dev['passages']} passages, "
                f"top {dev['reranked']} reranked): fp32 {n['fp32']:.4f}, ours {n['ours']:.4f} "
                f"(Δ {n['ours'] - n['fp32']:+.4f}), first stage alone {n['first stage']:.4f}"
            )
            lines.append(
                f"  rerank of {dev['reranked']} (ms): fp32 {_pair(times['fp32'])}, ours {_pair(times['ours'])}, "
                f"ratio {_ratio(times['fp32'], times['ours'])}; top-10 overlap {dev['top10_overlap']:.1f} / 10"
            )
            for name in [x for x in times if x not in ("fp32", "ours")]:
                lines.append(
                    f"  {name}: nDCG@10 {n[name]:.4f} (Δ {n[name] - n['fp32']:+.4f}), rerank {_pair(times[name])} ms, "
                    f"ratio {_ratio(times['fp32'], times[name])}"
                )
    if models.get("e2e"):
        k = next(iter(models["e2e"].values()), {}).get("reranked", "?")
        lines += ["", f"End to end: query -> reranked answer, K={k} (ms)"]
        rows = []
        for label, e in models["e2e"].items():
            rows.append(
                [
                    label,
                    _pair(e.get("naive_ms")),
                    _pair(e.get("ours_ms")),
                    _ratio(e.get("naive_ms"), e.get("ours_ms")),
                    _pair(e.get("first_results_ms")),
                    e.get("dense", ""),
                ]
            )
        lines += _table(["passages", "naive", "ours", "ratio", "first results", "dense stage"], rows)
        lines.append("  naive = rank_bm25 + the same dense stage + fp32 predict on the same candidates")
    lines += ["", "Corpus import and index (seconds, MB)"]
    rows = []
    for label, s in sizes.items():
        if "error" in s:
            continue
        reopen = s.get("reopen", {})
        rows.append(
            [
                label,
                _num(s.get("import_s")),
                _num(s.get("index_build_s"), 2),
                _num(s.get("index_file_mb")),
                _num(s.get("peak_rss_mb"), 0),
                _num(s.get("naive_build_s"), 1),
                _num(s.get("naive_rss_mb"), 0),
                _num(reopen.get("reopen_s"), 2),
                _num(reopen.get("rss_mb"), 0),
            ]
        )
    lines += _table(
        [
            "passages",
            "import s",
            "index s",
            "index MB",
            "peak RSS",
            "rank_bm25 s",
            "rank_bm25 MB",
            "reopen s",
            "RSS reopened",
        ],
        rows,
    )
    cold = report.get("cold_start")
    if cold:
        lines.append("")
        if "error" in cold:
            lines.append(f"Cold start: failed ({cold['error']})")
        else:
            marks = cold.get("marks_s", {})
            lines.append(
                f"Cold start ({cold.get('corpus')}, {cold.get('backend')}): "
                + ", ".join(f"{k.replace('_', ' ')} {v:.2f} s" for k, v in marks.items())
            )
            lines.append(
                f"  `survival-search ask` launch -> reranked answer printed: {_num(cold.get('cli_ask_s'), 2)} s"
                + ("" if cold.get("cli_ask_reranked") else " (NOT reranked)")
                + "; torch imported: "
                + ("yes: " + ", ".join(cold["heavy_imports"]) if cold.get("heavy_imports") else "no")
            )
    gui = report.get("gui")
    if gui:
        if "marks_s" in gui:
            marks = gui["marks_s"]
            lines.append("GUI: " + ", ".join(f"{k.replace('_', ' ')} {v:.2f} s" for k, v in marks.items()))
        else:
            lines.append(f"GUI: {gui.get('skipped') or gui.get('error')}")
    return "\n".join(lines)


def _cuda(cuda: dict[str, Any]) -> list[str]:
    if "skipped" in cuda or "error" in cuda:
        return [f"CUDA: {cuda.get('skipped') or cuda.get('error')}"]
    lines = [
        f"CUDA rerank on {cuda.get('gpu')} (torch {cuda.get('torch')}), one batch, warmed at load "
        f"({_num(cuda.get('load_s'), 1)} s), max length {cuda.get('max_length')} (ms)"
    ]
    rows = []
    for k, f in cuda.get("by_k", {}).items():
        rows.append(
            [
                f"K={k}",
                _pair(f.get("predict")),
                _pair(f.get("fp32")),
                _pair(f.get("fp16")),
                _ratio(f.get("predict"), f.get("fp16")),
                _pair(f.get("tokenize")),
                _pair(f.get("forward")),
                _pair(f.get("fp16 warm")),
            ]
        )
    headers = ["candidates", "predict fp16", "fp32", "fp16 (ours)", "ratio", "tokenize", "forward", "cached tokens"]
    lines += _table(headers, rows)
    lines.append(
        "predict = sentence-transformers CrossEncoder.predict; ours = passages tokenized once (here every one, as "
        "for a new query; 'cached tokens' = the same candidates again), one sorted batch; tokenize and forward "
        "are the two parts of ours"
    )
    lines.append(f"Top-10 overlap fp16 vs fp32 at K=100: {_num(cuda.get('top10_overlap_at_100'))} / 10")
    return lines
