"""Export a model folder to an ONNX Runtime file once, cached and keyed to the weights' hash.

The CPU fast path runs models through ONNX Runtime, which needs neither torch
nor sentence-transformers at query time. The ONNX file is made from the model
folder the first time it is needed (torch, transformers and onnx are imported
then, and only then), optimised (attention, GELU and layer-norm fusion) and,
for the cross-encoder, quantised to int8 (dynamic, per-channel weights). It is
written to a temporary name and moved into place with ``os.replace``, so a
crash or a second process never leaves half a file under the final name.

Cache: ``<model folder>/onnx/<name>`` is used when present (a folder can ship
its export, e.g. from training); otherwise ``paths.cache_dir()/onnx``. The file
name holds a digest of the weights and config, the recipe version and the ONNX
Runtime version, so a retrained model or an upgraded runtime gets a fresh export.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Literal

from . import paths
from .errors import ModelError
from .model_folder import read_json

log = logging.getLogger(__name__)

Kind = Literal["cross-encoder", "bi-encoder"]
Precision = Literal["int8", "fp32"]

RECIPE = "1"  # bump when the export steps change: old cache files are then ignored
_DIGEST_FILE = "digests.json"
_WEIGHT_GLOBS = ("model.safetensors", "model-*.safetensors", "pytorch_model.bin", "pytorch_model-*.bin")
_export_lock = threading.Lock()
CHILD_TIMEOUT_S = 1800  # an export takes 10-20 s on a 2-core laptop


def ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__


def weights_digest(folder: Path, cache: Path | None = None) -> str:
    """SHA-256 of the folder's weight files and config.json (memoised by size and mtime in ``cache``)."""
    files = sorted({f for pattern in _WEIGHT_GLOBS for f in folder.glob(pattern)}) + [folder / "config.json"]
    files = [f for f in files if f.is_file()]
    if len(files) < 2:
        raise ModelError(f"{folder} has no weights to export.")
    stats = [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    memo_key = json.dumps(stats)
    memo_file = (cache or _cache_root()) / _DIGEST_FILE
    memo = read_json(memo_file)
    if memo_key in memo:
        return str(memo[memo_key])
    digest = hashlib.sha256()
    for f in files:
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    value = digest.hexdigest()
    memo[memo_key] = value
    _write_json_atomic(memo_file, memo)
    return value


def onnx_file_name(folder: Path, kind: Kind, precision: Precision, cache: Path | None = None) -> str:
    digest = weights_digest(folder, cache)[:16]
    return f"{kind}-{precision}-{digest}-r{RECIPE}-ort{ort_version()}.onnx"


def ensure_onnx(folder: str | Path, kind: Kind, precision: Precision, cache: Path | None = None) -> Path:
    """The ONNX file for ``folder``: shipped in the folder, cached, or exported now (slow, needs torch)."""
    folder = Path(folder)
    cache = cache or _cache_root()
    name = onnx_file_name(folder, kind, precision, cache)
    for candidate in (folder / "onnx" / name, cache / name):
        if candidate.is_file():
            return candidate
    with _export_lock:  # two threads asking at once export once
        target = cache / name
        if not target.is_file():
            started = time.perf_counter()
            if "torch" in sys.modules:  # already paid for in this process (training, tests): export here
                export_onnx(folder, target, kind, precision)
            else:
                _export_in_child(folder, target, kind, precision)
            log.info(
                "exported %s (%s, %s) to %s in %.1f s", folder, kind, precision, target, time.perf_counter() - started
            )
    return target


def _export_in_child(folder: Path, target: Path, kind: Kind, precision: Precision) -> None:
    """:func:`export_onnx` in a child process: torch (about 1.3 GB here) leaves memory with it, instead of
    staying in the app for the rest of its first session, and never holds the app's interpreter lock."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    command = [sys.executable, "-m", "core.onnx_export", str(folder), str(target), kind, precision]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(f"Could not export {folder} to ONNX: the export process failed ({exc}).") from exc
    if done.returncode != 0:
        lines = [line for line in (done.stderr or "").splitlines() if line.strip()]
        reason = lines[-1] if lines else f"it exited with code {done.returncode}"
        raise ModelError(reason if reason.startswith("Could not export") else f"Could not export {folder}: {reason}")


def main(argv: list[str]) -> int:
    """``python -m core.onnx_export FOLDER TARGET KIND PRECISION``: what :func:`_export_in_child` runs."""
    folder, target, kind, precision = argv
    paths.force_offline()
    try:
        export_onnx(Path(folder), Path(target), kind, precision)  # type: ignore[arg-type]
    except ModelError as exc:
        print(str(exc).replace("\n", " "), file=sys.stderr)
        return 1
    return 0


def export_onnx(folder: Path, target: Path, kind: Kind, precision: Precision) -> None:
    """Export, optimise and (int8) quantise the model in ``folder`` to ``target``, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)  # the ONNX optimiser and quantiser log hundreds of INFO lines
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
            raw, fused, final = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx", Path(tmp) / "final.onnx"
            try:
                import torch
                from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification
                from transformers.utils import logging as transformers_logging
            except ImportError as exc:
                raise ModelError(f"Exporting {folder} to ONNX needs torch and transformers ({exc}).") from exc
            transformers_logging.disable_progress_bar()
            try:
                config = AutoConfig.from_pretrained(folder, local_files_only=True)
                loader = AutoModelForSequenceClassification if kind == "cross-encoder" else AutoModel
                model = loader.from_pretrained(folder, local_files_only=True, attn_implementation="eager")
                _torch_export(torch, model.float().eval(), kind, raw)
                del model
                source = _fuse(raw, fused, config)
                if precision == "int8":
                    _quantize(source, final)
                    source = final
                os.replace(source, target)
            except Exception as exc:  # export failures are many and varied; each becomes one message
                raise ModelError(f"Could not export {folder} to ONNX: {exc}") from exc
    finally:
        logging.disable(previous)


def _torch_export(torch, model, kind: Kind, out: Path) -> None:  # noqa: ANN001
    import inspect

    takes_types = "token_type_ids" in inspect.signature(model.forward).parameters
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if takes_types else [])

    class Head(torch.nn.Module):
        """The one output the app reads: relevance logits, or token vectors for pooling."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs):  # noqa: ANN002, ANN202
            out = self.model(**dict(zip(names, inputs, strict=True)))
            return out.logits if kind == "cross-encoder" else out.last_hidden_state

    dummy = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    output = "logits" if kind == "cross-encoder" else "token_embeddings"
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    axes[output] = {0: "batch"} if kind == "cross-encoder" else {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Head().eval(),
            dummy,
            str(out),
            input_names=names,
            output_names=[output],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _fuse(raw: Path, out: Path, config: object) -> Path:
    """ONNX Runtime's transformer fusions (attention, GELU, layer norm); the raw graph if they fail."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            optimized = optimize_model(
                str(raw),
                model_type="bert",
                num_heads=int(getattr(config, "num_attention_heads", 0)),
                hidden_size=int(getattr(config, "hidden_size", 0)),
                opt_level=1,
            )
            optimized.save_model_to_file(str(out))
        return out
    except Exception as exc:  # fusion is an optimisation: the plain graph computes the same
        log.warning("ONNX graph fusion failed, using the plain export: %s", exc)
        return raw


def _quantize(source: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    root.addFilter(_drop_preprocess_advice)  # the quantizer logs this advice to the root logger
    try:
        quantize_dynamic(
            str(source),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.removeFilter(_drop_preprocess_advice)


def _drop_preprocess_advice(record: logging.LogRecord) -> bool:
    return "pre-processing before quantization" not in str(record.msg)


def _cache_root() -> Path:
    path = paths.cache_dir() / "onnx"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_json_atomic(path: Path, data: dict[str, object]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # only a memo: hashing again next time is the cost
        log.debug("could not write %s: %s", path, exc)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
