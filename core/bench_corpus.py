"""Synthetic survival-manual passages for benchmarks at sizes no real corpus here has.

Passages are stitched from the sentences of the built-in corpus (or a few
built-in sentences when it is absent) to lengths drawn from its passages'
lengths, so word frequencies, passage lengths and wordpiece lengths look like
the real thing. A share of
words is swapped for words of a long Zipf-distributed tail (place names, plant
and brand names in a real library), so the vocabulary keeps growing with the
corpus as real text does, and every passage is distinct.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .records import Passage

FALLBACK_SENTENCES = [
    "Bring water to a rolling boil for at least one minute to kill germs.",
    "At altitudes above 2,000 metres keep it at a rolling boil for three minutes.",
    "Chlorine or iodine tablets make clear water safe after the wait printed on the pack.",
    "Shivering, slurred speech, clumsiness and confusion are signs of hypothermia.",
    "Get the person out of wind and wet and replace wet clothing with dry layers.",
    "Scrape the ferrocerium rod with the back of a knife to throw hot sparks into dry tinder.",
    "A debris hut is a ridgepole shelter covered with a thick layer of leaves and branches.",
    "Aim a signal mirror by holding up two fingers in a V around the aircraft.",
    "Keep the bitten person calm and still and get them to medical care.",
    "Place a stick upright and mark the tip of its shadow, then wait fifteen minutes.",
    "Collect rainwater in clean containers and filter cloudy water through cloth first.",
    "Never eat a plant you cannot identify with certainty; many are poisonous.",
    "Insulate yourself from the cold ground with a thick bed of dry boughs.",
    "Three fires in a triangle are an international distress signal.",
    "Pace counting and a compass bearing keep you on course in thick forest.",
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SYLLABLES = [c + v for c in "bdfghklmnprstvz" for v in "aeiou"]  # 75 syllables


@dataclass
class SyntheticCorpus:
    """Makes ``count`` deterministic passages; iterate with :meth:`passages`."""

    count: int
    seed: int = 0
    tail_share: float = 0.08  # share of words replaced by long-tail words
    tail_size: int = 2_000_000

    def __post_init__(self) -> None:
        self.sentences, lengths = _source_text()
        self._words = [s.split() for s in self.sentences]
        self._target_lengths = np.clip(np.array(lengths or list(range(60, 251))), 20, 400)
        self._lens = np.array([len(w) for w in self._words])

    def passages(self, batch: int = 10_000) -> Iterator[Passage]:
        rng = np.random.default_rng(self.seed)
        n_sent = len(self._words)
        for start in range(0, self.count, batch):
            n = min(batch, self.count - start)
            targets = rng.choice(self._target_lengths, size=n)
            picks = rng.integers(0, n_sent, size=(n, 40))
            tails = np.minimum(rng.zipf(1.25, size=(n, 40)), self.tail_size)
            coins = rng.random((n, 400))
            for i in range(n):
                words: list[str] = []
                for s in picks[i]:
                    words.extend(self._words[s])
                    if len(words) >= targets[i]:
                        break
                words = words[: targets[i]]
                slots = np.flatnonzero(coins[i, : len(words)] < self.tail_share)[:40]
                for j, slot in enumerate(slots.tolist()):
                    words[slot] = _tail_word(int(tails[i, j]))
                number = start + i
                title = " ".join(words[:6]).rstrip(".,;:").capitalize()
                yield Passage(
                    id=f"syn-{number:07d}",
                    title=title,
                    text=" ".join(words),
                    source="synthetic",
                    origin="import",
                )


def _tail_word(rank: int) -> str:
    """A pronounceable made-up word for a Zipf rank (rank 1 is the commonest)."""
    parts = []
    value = rank + 75
    while value:
        value, digit = divmod(value, 75)
        parts.append(_SYLLABLES[digit])
    return "".join(parts)


def _source_text() -> tuple[list[str], list[int]]:
    """Sentences of the built-in corpus and its passages' word counts (fallbacks when it is small)."""
    from .builtin import builtin_passages

    try:
        texts = [p.text for p in builtin_passages()]
    except (OSError, ValueError, KeyError):
        texts = []
    sentences = [s.strip() for t in texts for s in _SENTENCE_END.split(t) if len(s.split()) >= 4]
    if len(sentences) < 50:
        return FALLBACK_SENTENCES, []
    return sentences, [len(t.split()) for t in texts]
