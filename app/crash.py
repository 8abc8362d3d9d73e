"""Logging to a file, and a crash dialog (with the log's path) instead of dying silently."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

LOG_FILE = "survival-search.log"


def setup_logging(folder: Path | None = None) -> Path:
    """Log INFO and above to ``<data folder>/logs/survival-search.log`` (rotated); returns its path."""
    from core import paths

    folder = folder or paths.logs_dir()
    path = folder / LOG_FILE
    root = logging.getLogger()
    if not any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path for h in root.handlers):
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


class CrashHandler:
    """``sys.excepthook`` (and ``threading.excepthook``): log the error, then show it with the log's path."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._showing = False

    def install(self) -> None:
        sys.excepthook = self.handle
        threading.excepthook = lambda args: self.handle(args.exc_type, args.exc_value, args.exc_traceback)  # type: ignore[arg-type]

    def handle(self, exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)  # type: ignore[arg-type]
            return
        log.critical("uncaught exception", exc_info=(exc_type, exc, tb))  # type: ignore[arg-type]
        if threading.current_thread() is not threading.main_thread():
            return  # logged; a widget may only be shown from the main thread
        self.show(exc_type, exc, tb)

    def show(self, exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None) -> None:
        from PySide6.QtWidgets import QApplication, QMessageBox

        if self._showing or QApplication.instance() is None:
            sys.__excepthook__(exc_type, exc, tb)  # type: ignore[arg-type]
            return
        self._showing = True
        try:
            box = QMessageBox(QMessageBox.Icon.Critical, "Survival Search: unexpected error", "")
            box.setText(
                "Something went wrong that the app did not expect.\n\n"
                f"{exc_type.__name__}: {exc}\n\n"
                "Your corpus is safe: every change is saved in one transaction. "
                f"The details were written to the log file:\n{self.log_path}\n\n"
                "You can keep working; if the window misbehaves, restart the app."
            )
            box.setDetailedText("".join(traceback.format_exception(exc_type, exc, tb)))
            box.setObjectName("crashDialog")
            box.exec()
        finally:
            self._showing = False
