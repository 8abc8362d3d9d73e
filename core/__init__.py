"""Survival Search core: corpus store, retrieval pipeline, importers, training.

This package never imports Qt; the desktop app (``app/``), the CLI and the tests
all call the same functions defined here.
"""

from __future__ import annotations

__version__ = "0.1.0"
