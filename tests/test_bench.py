"""`survival-search bench` runs end to end at a tiny size (no timing is asserted: only shape and agreement)."""

from __future__ import annotations

import json

import pytest

from core.benchmark import K_VALUES, parse_sizes, size_label
from core.cli import main


def test_sizes_parse_and_print_back():
    assert parse_sizes("1k, 10k,100k,1M") == [1_000, 10_000, 100_000, 1_000_000]
    assert parse_sizes("250") == [250]
    assert [size_label(s) for s in (250, 1_000, 10_000, 1_000_000)] == ["250", "1k", "10k", "1M"]
    with pytest.raises(ValueError):
        parse_sizes("0")


@pytest.fixture(scope="module")
def tiny_report(tiny_cross_encoder, tmp_path_factory) -> dict:
    """One in-process bench run at 60 passages with the tiny model, as JSON."""
    import os

    home = tmp_path_factory.mktemp("bench-home")
    old = os.environ.get("SURVIVAL_SEARCH_HOME")
    os.environ["SURVIVAL_SEARCH_HOME"] = str(home)
    try:
        from contextlib import redirect_stdout
        from io import StringIO

        out = StringIO()
        with redirect_stdout(out):
            code = main(
                [
                    "bench",
                    "--sizes",
                    "60",
                    "--queries",
                    "4",
                    "--rerank-queries",
                    "1",
                    "--e2e-queries",
                    "2",
                    "--no-dev",
                    "--model",
                    str(tiny_cross_encoder),
                    "--in-process",
                    "--json",
                ]
            )
        assert code == 0
        return json.loads(out.getvalue())
    finally:
        if old is None:
            os.environ.pop("SURVIVAL_SEARCH_HOME", None)
        else:
            os.environ["SURVIVAL_SEARCH_HOME"] = old


def test_bench_measures_both_pipelines_and_they_agree(tiny_report):
    size = tiny_report["sizes"]["60"]
    assert "error" not in size, size
    assert size["passages"] == 60
    assert size["top100_identical"] == [4, 4]  # ids and scores equal to rank_bm25 on every query
    assert size["ours_ms"]["n"] == 4 and size["naive_ms"]["n"] == 4
    assert size["reopen"]["first_stage_ms"]["n"] == 4 and size["reopen"]["reopen_s"] >= 0
    models = tiny_report["models"]
    assert "error" not in models, models
    assert set(models["rerank"]["by_k"]) == {str(k) for k in K_VALUES}
    assert 0 <= models["rerank"]["top10_overlap_at_100"] <= 10
    assert models["e2e"]["60"]["ours_ms"]["n"] == 2 and models["e2e"]["60"]["naive_ms"]["n"] == 2
    assert tiny_report["cold_start"]["reranked"] and tiny_report["cold_start"]["backend"] == "onnx-int8"
    assert tiny_report["model"]["chosen"] == "given with --model"


def test_bench_text_report_has_every_section(tiny_report):
    from core.bench_report import render

    text = render(tiny_report)
    for heading in ("First stage", "Rerank on the CPU", "End to end", "Corpus import", "Cold start", "Machine:"):
        assert heading in text
    assert "Identical top-100" in text and "60 4/4" in text


def test_bench_cuda_part_says_when_there_is_no_gpu(tiny_cross_encoder, capsys):
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the CUDA part really runs (see the README)")
    assert main(["bench", "--cuda", "--model", str(tiny_cross_encoder), "--in-process"]) == 0
    assert "CUDA: no CUDA device" in capsys.readouterr().out
