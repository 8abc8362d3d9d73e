"""Write resources/corpus/embeddings.npz: the built-in passages' all-MiniLM-L6-v2 vectors.

A new corpus loads them instead of spending minutes embedding 1,500 passages on a CPU.
Vectors are keyed by passage id and content hash, so an edited passage is re-embedded.

    python training/ship_embeddings.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import paths  # noqa: E402
from core.builtin import EMBEDDINGS_FILE, builtin_passages  # noqa: E402
from core.dense import EMBEDDING_MODEL, DenseEncoder  # noqa: E402
from core.reranker import passage_input  # noqa: E402
from core.store import content_hash  # noqa: E402


def main() -> None:
    passages = builtin_passages()
    encoder = DenseEncoder(device="cpu")
    vectors = encoder.encode([passage_input(p.title, p.text) for p in passages], batch_size=32)
    target = paths.BUILTIN_CORPUS_DIR / EMBEDDINGS_FILE
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".npz", delete=False) as fh:
        np.savez_compressed(
            fh,
            model=np.array(EMBEDDING_MODEL),
            ids=np.array([p.id for p in passages]),
            hashes=np.array([content_hash(p.text) for p in passages]),
            vectors=vectors.astype(np.float16),
        )
    Path(fh.name).replace(target)
    print(f"wrote {len(passages)} vectors to {target}")


if __name__ == "__main__":
    main()
