"""Checks that a folder holds a usable cross-encoder before anything heavy is loaded.

Reading ``config.json`` costs nothing, so the usual mistakes (wrong folder, a
bi-encoder, several labels, missing or truncated weights, a folder that only
names a hub model) are told apart in plain words without importing torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.onnx")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")


@dataclass
class CrossEncoderInfo:
    """What ``config.json`` says about a cross-encoder folder."""

    path: Path
    architecture: str
    num_labels: int
    max_length: int
    weights: Path


def read_json(path: Path) -> dict:
    """A JSON object file of a model folder or cache; {} when missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def inspect_cross_encoder(folder: str | Path) -> CrossEncoderInfo:
    """Validate a cross-encoder folder cheaply; raise ModelError saying what is wrong."""
    path = Path(folder).expanduser()
    if not path.exists():
        raise ModelError(f"Model folder {path} does not exist.")
    if not path.is_dir():
        raise ModelError(f"{path} is a file; choose the folder that holds the model's config.json.")
    config_file = path / "config.json"
    if not config_file.is_file():
        if not any(path.iterdir()):
            raise ModelError(f"Model folder {path} is empty.")
        raise ModelError(f"{path} has no config.json: it is not a Hugging Face / sentence-transformers model folder.")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{config_file} is damaged ({exc}).") from None
    architectures = config.get("architectures") or []
    architecture = architectures[0] if architectures else ""
    if (path / "modules.json").is_file() and "ForSequenceClassification" not in architecture:
        raise ModelError(
            f"{path} is a bi-encoder (a sentence-embedding model), not a cross-encoder: it has no relevance "
            "head. Choose a cross-encoder folder, e.g. one made by `survival-search train`."
        )
    if architecture and "ForSequenceClassification" not in architecture:
        raise ModelError(f"{path} holds a {architecture}, not a sequence-classification cross-encoder.")
    # transformers omits id2label for its default of 2 labels
    num_labels = len(config.get("id2label") or {}) or int(config.get("num_labels", 2))
    if num_labels != 1:
        raise ModelError(
            f"{path} has {num_labels} output labels; a reranker needs exactly 1 (a relevance score)."
        )
    weights = next((path / name for name in WEIGHT_FILES if (path / name).is_file()), None)
    if weights is None:
        shards = sorted(path.glob("model-*.safetensors"))
        if shards:
            weights = shards[0]
        else:
            raise ModelError(
                f"{path} has no weights (model.safetensors or pytorch_model.bin); it may name a model to "
                "download, which this offline app never does."
            )
    if weights.stat().st_size < 1024:
        raise ModelError(f"The weights file {weights} is truncated ({weights.stat().st_size} bytes).")
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise ModelError(f"{path} has no tokenizer (tokenizer.json or vocab.txt).")
    max_length = 256
    for name in ("sentence_bert_config.json", "tokenizer_config.json"):
        try:
            data = json.loads((path / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        value = data.get("max_seq_length") or data.get("model_max_length")
        if isinstance(value, int) and 0 < value <= 4096:
            max_length = value
            break
    return CrossEncoderInfo(path, architecture, num_labels, min(max_length, 512), weights)
