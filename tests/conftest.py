"""Shared fixtures: a fresh corpus in a temp folder, a tiny real cross-encoder built offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

SAMPLE_PASSAGES = [
    (
        "Boiling water",
        "Bring water to a rolling boil for at least one minute to kill germs; at altitudes above 2,000 metres boil"
        " for three minutes. Let it cool in a covered pot.",
        ["water"],
    ),
    (
        "Purification tablets",
        "Chlorine or iodine tablets make clear water safe after the wait printed on the pack, usually thirty minutes."
        " Double the dose or the wait for cold or cloudy water.",
        ["water"],
    ),
    (
        "Hypothermia signs",
        "Shivering, slurred speech, clumsiness and confusion are signs of hypothermia. Get the person out of wind and"
        " wet, replace wet clothing with dry layers and insulate them from the ground.",
        ["cold", "first-aid"],
    ),
    (
        "Starting a fire with a ferro rod",
        "Scrape the ferrocerium rod with the back of a knife to throw hot sparks into a nest of dry tinder such as"
        " birch bark or cotton wool with petroleum jelly.",
        ["fire"],
    ),
    (
        "Debris hut",
        "A debris hut is a ridgepole shelter covered with a thick layer of leaves and branches. Pile at least an"
        " arm's length of debris so the body heat stays in.",
        ["shelter"],
    ),
    (
        "Signal mirror",
        "Aim a signal mirror by holding up two fingers in a V around the aircraft and sweeping the reflected light"
        " across them. The flash can be seen for many kilometres.",
        ["signaling"],
    ),
    (
        "Snake bite first aid",
        "Keep the bitten person calm and still, remove rings and watches, keep the limb at heart level and get them"
        " to medical care. Do not cut the wound or suck out venom.",
        ["first-aid", "animals"],
    ),
    (
        "Finding north with the sun",
        "Place a stick upright and mark the tip of its shadow, wait fifteen minutes and mark it again. The line from"
        " the first to the second mark runs roughly west to east.",
        ["navigation"],
    ),
]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder, so nothing touches the user's real corpus."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SURVIVAL_SEARCH_HOME", str(home))
    return home


@pytest.fixture
def builtin_dir(tmp_path: Path) -> Path:
    """A small stand-in for resources/corpus, in the shipped JSONL format."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    with open(folder / "sample.jsonl", "w", encoding="utf-8") as fh:
        for number, (title, text, topics) in enumerate(SAMPLE_PASSAGES, start=1):
            row = {"id": f"s-{number:03d}", "title": title, "text": text, "source": "Test source", "topics": topics}
            fh.write(json.dumps(row) + "\n")
    return folder


@pytest.fixture
def store(tmp_path: Path, builtin_dir: Path):
    """A fresh corpus filled with the sample passages."""
    from core.builtin import populate_from_builtin
    from core.store import CorpusStore

    corpus = CorpusStore(tmp_path / "corpus.sqlite", create_from_builtin=False)
    populate_from_builtin(corpus, builtin_dir)
    yield corpus
    corpus.close()


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (random-weight) BERT cross-encoder folder built locally: 2 layers, 1 label, no downloads."""
    from tests.helpers import build_tiny_cross_encoder

    return build_tiny_cross_encoder(tmp_path_factory.mktemp("models") / "tiny-ce")
