"""Start the desktop app: ``survival-search`` (no arguments) calls :func:`run_app`.

The window is shown first; the corpus, the search index and the models are
opened afterwards on workers (see :meth:`MainWindow.start`), so nothing heavy
(numpy, SQLite, torch, a model) is imported before the window is on screen.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from . import themes
from .crash import CrashHandler, setup_logging
from .main_window import MainWindow
from .preferences import Preferences
from .services import Services, default_services

log = logging.getLogger(__name__)

APP_NAME = "Survival Search"
ORGANIZATION = "SurvivalSearch"


def application() -> QApplication:
    """The QApplication (created once, named so Qt's own paths are ours)."""
    app = QApplication.instance()
    if app is None:
        QApplication.setApplicationName(APP_NAME)
        QApplication.setOrganizationName(ORGANIZATION)
        QApplication.setDesktopFileName("survival-search")
        app = QApplication(sys.argv[:1])
    return app  # type: ignore[return-value]


def create_window(
    db: str | Path | None = None, *, services: Services | None = None, prefs: Preferences | None = None
) -> MainWindow:
    """Build the styled main window (not shown, nothing loaded yet)."""
    app = application()
    prefs = prefs or Preferences.default()
    themes.apply(app, prefs.theme, prefs.font_size)
    return MainWindow(services or default_services(db), prefs)


def run_app(db: str | Path | None = None) -> int:
    """Open the window at once, load everything else in the background, run until closed."""
    from core import paths

    paths.force_offline()
    log_path = setup_logging()
    app = application()
    CrashHandler(log_path).install()
    window = create_window(db)
    from .startup_trace import install_if_asked

    install_if_asked(window)
    window.show()
    QTimer.singleShot(0, window.start)
    log.info("window shown")
    code = app.exec()
    if window.store is not None:
        window.store.close()
    return code
