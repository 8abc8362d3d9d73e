"""Prove the CUDA path: load a reranker folder on the GPU in fp16 and time reranking K candidates.

    python training/gpu_check.py MODEL_DIR
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.builtin import builtin_passages  # noqa: E402
from core.reranker import Reranker, passage_input  # noqa: E402


def main() -> None:
    import torch

    folder = Path(sys.argv[1])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    started = time.perf_counter()
    reranker = Reranker(folder, device=device)
    print(f"device={reranker.device} backend={reranker.backend} load+warm={time.perf_counter() - started:.2f}s")
    passages = [passage_input(p.title, p.text) for p in builtin_passages()]
    queries = [
        "friend is shivering and confused",
        "is the water from this stream ok to drink",
        "how do i start a fire in the rain",
    ]
    for k in (10, 20, 50, 100):
        times = []
        for i in range(30 if device == "cuda" else 2):
            q = queries[i % len(queries)]
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            scores = reranker.score(q, passages[:k], batch_size=max(k, 32))
            if device == "cuda":
                torch.cuda.synchronize()
            times.append((time.perf_counter() - t0) * 1000)
        times = times[3:] if len(times) > 5 else times
        print(
            f"rerank K={k:3d}: p50 {statistics.median(times):7.2f} ms"
            f"  p95 {sorted(times)[int(0.95 * (len(times) - 1))]:7.2f} ms"
        )
    top = sorted(zip(scores, passages, strict=False), key=lambda x: -x[0])[:3]
    print("top for", repr(queries[-1 if k % 3 else 0]), [p[:60] for _, p in top])


if __name__ == "__main__":
    main()
