"""The user's preferences, kept with QSettings in an INI file beside the corpus.

The file lives in the data folder chosen by :mod:`core.paths` (so
``SURVIVAL_SEARCH_HOME`` makes a USB stick carry its settings too, and tests get
their own); nothing is written to the desktop's global settings store.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_FILE = "settings.ini"
MAX_RECENT = 15
MAX_RECENT_CHARS = 200  # a question longer than this is kept cut at a word, ending in "…"
FONT_MIN, FONT_MAX, FONT_DEFAULT = 8, 28, 11
DEVICES = ("auto", "cpu", "cuda")


def _shorten(query: str) -> str:
    """``query`` on one line, at most :data:`MAX_RECENT_CHARS` long (cut at a word)."""
    query = " ".join(query.split())
    if len(query) <= MAX_RECENT_CHARS:
        return query
    cut = query[: MAX_RECENT_CHARS - 1]
    if " " in cut[MAX_RECENT_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


class Preferences:
    """Typed access to the settings; every setter writes through at once."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    @classmethod
    def at(cls, path: str | Path) -> Preferences:
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @classmethod
    def default(cls) -> Preferences:
        from core import paths

        return cls.at(paths.data_dir() / SETTINGS_FILE)

    # ------------------------------------------------------------------ helpers
    def _get(self, key: str, default: object, kind: type) -> object:
        value = self.settings.value(key, default)
        try:
            return kind(value) if value is not None else default
        except (TypeError, ValueError):
            return default

    def _set(self, key: str, value: object) -> None:
        self.settings.setValue(key, value)
        self.settings.sync()

    # ------------------------------------------------------------------ appearance
    @property
    def theme(self) -> str:
        from .themes import THEMES

        name = str(self._get("appearance/theme", "light", str))
        return name if name in THEMES else "light"

    @theme.setter
    def theme(self, name: str) -> None:
        self._set("appearance/theme", name)

    @property
    def font_size(self) -> int:
        size = int(self._get("appearance/font_size", FONT_DEFAULT, int))  # type: ignore[call-overload]
        return min(FONT_MAX, max(FONT_MIN, size))

    @font_size.setter
    def font_size(self, size: int) -> None:
        self._set("appearance/font_size", min(FONT_MAX, max(FONT_MIN, int(size))))

    # ------------------------------------------------------------------ search
    @property
    def reranker_folder(self) -> str:
        return str(self._get("search/reranker_folder", "", str))

    @reranker_folder.setter
    def reranker_folder(self, folder: str) -> None:
        self._set("search/reranker_folder", folder or "")

    @property
    def device(self) -> str:
        device = str(self._get("search/device", "auto", str))
        return device if device in DEVICES else "auto"

    @device.setter
    def device(self, device: str) -> None:
        self._set("search/device", device if device in DEVICES else "auto")

    @property
    def candidates(self) -> int:
        """Candidates the cross-encoder reranks; 0 means the engine's automatic choice."""
        return max(0, min(500, int(self._get("search/candidates", 0, int))))  # type: ignore[call-overload]

    @candidates.setter
    def candidates(self, value: int) -> None:
        self._set("search/candidates", max(0, int(value)))

    @property
    def results(self) -> int:
        return max(1, min(100, int(self._get("search/results", 10, int))))  # type: ignore[call-overload]

    @results.setter
    def results(self, value: int) -> None:
        self._set("search/results", max(1, int(value)))

    # ------------------------------------------------------------------ history
    @property
    def recent_queries(self) -> list[str]:
        raw = self.settings.value("history/recent", "[]")
        try:
            items = json.loads(str(raw))
        except ValueError:
            return []
        return [_shorten(q) for q in items if isinstance(q, str) and q.strip()][:MAX_RECENT]

    def add_recent_query(self, query: str) -> None:
        query = _shorten(query)
        if not query:
            return
        items = [q for q in self.recent_queries if q.lower() != query.lower()]
        self._set("history/recent", json.dumps([query, *items][:MAX_RECENT]))

    def clear_recent_queries(self) -> None:
        self._set("history/recent", "[]")

    # ------------------------------------------------------------------ window
    def window_state(self, key: str) -> QByteArray | None:
        value = self.settings.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, key: str, value: QByteArray) -> None:
        self._set(f"window/{key}", value)
