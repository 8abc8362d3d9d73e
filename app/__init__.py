"""Survival Search desktop app (PySide6). GUI only: all logic lives in ``core``."""
