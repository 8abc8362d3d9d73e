"""Measure the desktop app's start-up: launch → window painted → first answer → reranker ready.

    .venv/bin/python scripts/measure_startup.py [--runs 3] [--query "how to purify water"]

Starts ``python -m core gui`` (what ``survival-search`` runs) in a fresh data
folder, under Xvfb when there is no display, and reads the timings the app
writes when ``SURVIVAL_SEARCH_TRACE`` is set (see app/startup_trace.py). The
question is typed the moment the corpus is open, as an impatient user would.
Run 1 is a first start (corpus created from the built-in passages, indexes
built); later runs reuse that folder, as every later start does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = [
    ("window_painted", "window shown (first paint)"),
    ("corpus_open", "corpus open, BM25 ready"),
    ("first_answer", "first answer on screen"),
    ("reranker_ready", "reranker ready"),
    ("reranker_unavailable", "reranker unavailable (BM25 only)"),
    ("reranked_answer", "reranked answer on screen"),
    ("embeddings_model_ready", "embedding model ready"),
]


def run_once(home: Path, query: str, timeout: float) -> dict[str, dict]:
    trace = home / "trace.jsonl"
    trace.unlink(missing_ok=True)
    env = dict(
        os.environ, SURVIVAL_SEARCH_HOME=str(home), SURVIVAL_SEARCH_TRACE=str(trace), SURVIVAL_SEARCH_TRACE_QUERY=query
    )
    env.pop("QT_QPA_PLATFORM", None)
    command = [sys.executable, "-m", "core", "gui"]
    if not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
        command = ["xvfb-run", "-a", "-s", "-screen 0 1400x900x24", *command]
    elif not os.environ.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    started = time.time()
    proc = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
    events = {}
    for line in trace.read_text(encoding="utf-8").splitlines() if trace.exists() else []:
        row = json.loads(line)
        row["after_s"] = row["t"] - started
        events[row["event"]] = row
    return events


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--query", default="how to purify water")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="survival-startup-"))
    try:
        for number in range(1, args.runs + 1):
            events = run_once(home, args.query, args.timeout)
            label = "first start" if number == 1 else "later start"
            print(f"run {number} ({label}):")
            for key, text in EVENTS:
                if key in events:
                    row = events[key]
                    extra = ""
                    if key == "reranker_ready":
                        extra = f"  [{row.get('device')}, {row.get('backend')}]"
                    if key == "reranker_unavailable":
                        extra = f"  [{row.get('why')}]"
                    if key == "reranked_answer":
                        t = row.get("timings", {})
                        extra = f"  [rerank {t.get('rerank_ms', 0):.0f} ms for {int(t.get('reranked', 0))} passages]"
                    print(f"  {text:32s} {row['after_s']:6.2f} s{extra}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
