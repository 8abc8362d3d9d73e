"""The CPU fast path: ONNX Runtime models agree with torch, are cached, and need no torch at query time.

Agreement tolerance of the int8 reranker with the fp32 torch model, stated here and checked below on
a tiny cross-encoder trained in-session so its scores spread like a real reranker's (a random-weight
model scores everything alike, which measures nothing): over 30 candidates, Spearman >= 0.99, the
same top 5 but at most one, and no score off by more than 3% of the fp32 score range. The fp32 ONNX
export matches torch to 1e-4.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import ModelError

KEYS = ["water", "boil", "fire", "cold", "snake", "shelter", "north", "signal"]
FILLER = list("abcdefghijklmnopqrstuvwxyz")


def _passage(rng: np.random.Generator, key: str, hits: int) -> str:
    words = list(rng.choice(FILLER, rng.integers(5, 30)))
    for word in [str(rng.choice(KEYS))] * int(rng.integers(0, 3)) + [key] * hits:
        words.insert(int(rng.integers(0, len(words) + 1)), word)
    return " ".join(words)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(np.argsort(np.argsort(a)), np.argsort(np.argsort(b)))[0, 1])


@pytest.fixture(scope="module")
def trained_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny cross-encoder after ~100 steps on 'how often does the query word occur' (a few seconds)."""
    import torch
    from transformers import BertForSequenceClassification, BertTokenizerFast

    from tests.helpers import build_tiny_cross_encoder

    folder = build_tiny_cross_encoder(tmp_path_factory.mktemp("models") / "trained-tiny")
    model = BertForSequenceClassification.from_pretrained(folder)
    tokenizer = BertTokenizerFast.from_pretrained(folder)
    rng = np.random.default_rng(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(100):
        keys = [str(k) for k in rng.choice(KEYS, 32)]
        hits = rng.choice([0, 0, 1, 2, 3], 32)
        batch = tokenizer(
            keys, [_passage(rng, k, int(h)) for k, h in zip(keys, hits, strict=True)], padding=True, return_tensors="pt"
        )
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            model(**batch).logits[:, 0], torch.tensor(hits / 3, dtype=torch.float32)
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


def test_int8_reranker_agrees_with_fp32_within_the_stated_tolerance(trained_tiny, onnx_cache):
    from core.onnx_backend import OnnxReranker
    from core.reranker import Reranker

    fp32 = Reranker(trained_tiny, device="cpu")
    int8 = OnnxReranker(trained_tiny, cache=onnx_cache)
    assert int8.backend == "onnx-int8" and int8.device == "cpu" and int8.name == "trained-tiny"
    rng = np.random.default_rng(1)
    for _ in range(5):
        key = str(rng.choice(KEYS))
        passages = [_passage(rng, key, int(h)) for h in rng.choice([0, 0, 1, 2, 3], 30)]
        want, got = fp32.score(key, passages), int8.score(key, passages)
        assert got.dtype == np.float32 and got.shape == (30,)
        assert _spearman(want, got) >= 0.99
        assert len(set(np.argsort(-want)[:5]) & set(np.argsort(-got)[:5])) >= 4
        assert np.abs(want - got).max() <= 0.03 * np.ptp(want)


def test_fp32_export_matches_torch_and_long_passages_are_cut_to_the_budget(tiny_cross_encoder, onnx_cache):
    from core.onnx_backend import OnnxReranker
    from core.reranker import Reranker

    passages = ["boil the water for one minute", "fire", "north star " * 400, "signal mirror flash"]
    want = Reranker(tiny_cross_encoder, device="cpu", max_length=128).score("boil water", passages)
    fast = OnnxReranker(tiny_cross_encoder, max_length=128, precision="fp32", cache=onnx_cache)
    np.testing.assert_allclose(fast.score("boil water", passages), want, atol=1e-4)
    assert len(fast._model.tokenizer.encode("boil water", passages[2]).ids) == 128
    assert fast.score("anything", []).shape == (0,)


def test_onnx_bi_encoder_matches_sentence_transformers(tiny_cross_encoder, onnx_cache):
    from sentence_transformers import SentenceTransformer

    from core.onnx_backend import OnnxDenseEncoder

    texts = ["boil water", "a much longer passage about signal fires and north", "snake"]
    want = SentenceTransformer(str(tiny_cross_encoder), device="cpu").encode(texts, normalize_embeddings=True)
    fast = OnnxDenseEncoder(tiny_cross_encoder, cache=onnx_cache)
    got = fast.encode(texts)
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(fast.encode_query("snake"), got[2], atol=1e-6)
    assert fast.encode([]).shape == (0, 32)


def test_the_export_is_cached_by_weights_and_written_atomically(tiny_cross_encoder, tmp_path, monkeypatch):
    import core.onnx_export as onnx_export
    from core.onnx_backend import OnnxReranker

    cache = tmp_path / "cache"
    first = OnnxReranker(tiny_cross_encoder, cache=cache)
    exported = first._model.model_file
    assert exported.parent == cache and exported.is_file()

    def no_export(*_a, **_k):  # noqa: ANN202
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "export_onnx", no_export)
    assert OnnxReranker(tiny_cross_encoder, cache=cache)._model.model_file == exported
    monkeypatch.undo()

    # a failing export leaves nothing behind: no file under the final name, no temporary folder
    def broken_quantize(*_a, **_k):  # noqa: ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr(onnx_export, "_quantize", broken_quantize)
    with pytest.raises(ModelError, match="disk full"):
        onnx_export.ensure_onnx(tiny_cross_encoder, "cross-encoder", "int8", cache=tmp_path / "other")
    assert [p.name for p in (tmp_path / "other").iterdir()] == ["digests.json"]


def test_a_failing_fast_path_falls_back_to_torch_fp32_with_the_reason_logged(tiny_cross_encoder, monkeypatch, caplog):
    import core.onnx_backend as onnx_backend
    from core.loading import load_reranker

    def unavailable(*_a, **_k):  # noqa: ANN202
        raise ModelError("no ONNX exporter here")

    monkeypatch.setattr(onnx_backend, "ensure_onnx", unavailable)
    with caplog.at_level(logging.WARNING):
        reranker, notice = load_reranker(tiny_cross_encoder, "cpu")
    assert reranker is not None and reranker.backend == "torch-fp32" and notice == ""
    assert "no ONNX exporter here" in caplog.text
    reranker, notice = load_reranker(tiny_cross_encoder, "cpu", backend="onnx")
    assert reranker is None and "no ONNX exporter here" in notice


def test_cpu_search_with_reranker_and_embeddings_imports_no_torch(tiny_cross_encoder, tmp_path, store):
    """Launch -> reranked answer on the CPU path: neither torch nor sentence-transformers is imported."""
    from core.onnx_export import ensure_onnx

    home = tmp_path / "home"
    cache = home / "cache" / "onnx"
    ensure_onnx(tiny_cross_encoder, "cross-encoder", "int8", cache=cache)  # what the first load does once
    ensure_onnx(tiny_cross_encoder, "bi-encoder", "fp32", cache=cache)
    code = f"""
import sys
from core.loading import load_reranker
from core.onnx_backend import OnnxDenseEncoder
from core.search import SearchEngine
from core.store import CorpusStore
reranker, notice = load_reranker({str(tiny_cross_encoder)!r}, "auto")
assert reranker.backend == "onnx-int8", notice
encoder = OnnxDenseEncoder({str(tiny_cross_encoder)!r})
store = CorpusStore({str(store.path)!r}, create_from_builtin=False)
result = SearchEngine(store, reranker=reranker, encoder=encoder, persist_index=False).search("boil water")
assert result.reranked and result.device == "cpu"
heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
assert not heavy, heavy
"""
    env = {**__import__("os").environ, "SURVIVAL_SEARCH_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_fast_reranker_drives_the_engine(store, tiny_cross_encoder, onnx_cache):
    from core.onnx_backend import OnnxReranker
    from core.search import SearchEngine

    engine = SearchEngine(store, reranker=OnnxReranker(tiny_cross_encoder, cache=onnx_cache), persist_index=False)
    result = engine.search("boil water")
    assert result.reranked and result.device == "cpu" and result.model == str(tiny_cross_encoder)
    assert all(h.rerank_score is not None for h in result.hits)


@pytest.mark.slow
def test_the_app_exports_in_a_child_process_and_says_why_one_fails(tiny_cross_encoder, tmp_path):
    """torch then leaves memory with the child (the app itself never imports it); its error reaches the user."""
    from core.onnx_export import _export_in_child

    target = tmp_path / "ce.onnx"
    _export_in_child(tiny_cross_encoder, target, "cross-encoder", "int8")
    assert target.is_file()
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "model.safetensors"):
        (broken / name).write_text("not a model", encoding="utf-8")
    with pytest.raises(ModelError, match="Could not export"):
        _export_in_child(broken, tmp_path / "b.onnx", "cross-encoder", "int8")
    assert not (tmp_path / "b.onnx").exists()
