"""One bridge for every message the app shows the user (errors, reports, questions).

Errors from ``core`` arrive as exceptions; :func:`describe` turns each kind into
a title and a sentence a tired person understands. Dialogs are opened without
blocking the event loop (window-modal ``open()``); only :meth:`Messages.ask`
waits for an answer. Tests read :attr:`Messages.log` and set :attr:`Messages.auto_answer`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from core.errors import (
    CorpusBusyError,
    CorpusCorruptError,
    CorpusError,
    CorpusWriteError,
    ImportFileError,
    ModelError,
    SurvivalSearchError,
    ValidationError,
)

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> tuple[str, str]:
    """A title and a plain explanation for an exception raised by core (or a bug)."""
    if isinstance(exc, ValidationError):
        return "Not saved", str(exc)
    if isinstance(exc, CorpusBusyError):
        return "Corpus in use", str(exc)
    if isinstance(exc, CorpusCorruptError):
        return "Corpus damaged", str(exc)
    if isinstance(exc, CorpusWriteError):
        return "Nothing was changed", str(exc)
    if isinstance(exc, CorpusError):
        return "Corpus problem", str(exc)
    if isinstance(exc, ModelError):
        return "Model problem", str(exc)
    if isinstance(exc, ImportFileError):
        return "Import problem", str(exc)
    if isinstance(exc, SurvivalSearchError):
        return "Problem", str(exc)
    if isinstance(exc, OSError):
        return "File problem", f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return (
        "Unexpected error",
        f"Something went wrong that the app did not expect ({type(exc).__name__}: {exc}). "
        "Your corpus is safe: every change is saved in one transaction. The details are in the log.",
    )


class Messages(QObject):
    """Shows messages; records them in :attr:`log` as ``(kind, title, text)``."""

    shown = Signal(str, str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log: list[tuple[str, str, str]] = []
        self.boxes: list[QMessageBox] = []
        self.auto_answer: QMessageBox.StandardButton | None = None  # tests: answer questions without a dialog
        self.auto_choice: int | None = None  # tests: the option :meth:`choose` picks without a dialog

    def _open(self, kind: str, parent: QWidget | None, title: str, text: str, details: str = "") -> QMessageBox:
        icon = {
            "error": QMessageBox.Icon.Critical,
            "warning": QMessageBox.Icon.Warning,
            "info": QMessageBox.Icon.Information,
        }[kind]
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
        if details:
            box.setDetailedText(details)
        box.setObjectName(f"message-{kind}")
        box.finished.connect(lambda _=0, b=box: self._closed(b))
        self.boxes.append(box)
        self.log.append((kind, title, text))
        self.shown.emit(kind, title, text)
        log.info("%s shown: %s: %s", kind, title, text)
        box.open()
        return box

    def _closed(self, box: QMessageBox) -> None:
        if box in self.boxes:
            self.boxes.remove(box)
        box.deleteLater()

    def info(self, parent: QWidget | None, title: str, text: str, details: str = "") -> QMessageBox:
        return self._open("info", parent, title, text, details)

    def warning(self, parent: QWidget | None, title: str, text: str, details: str = "") -> QMessageBox:
        return self._open("warning", parent, title, text, details)

    def error(self, parent: QWidget | None, exc: BaseException, doing: str = "") -> QMessageBox:
        title, text = describe(exc)
        if doing:
            text = f"{doing}: {text}" if not text.startswith(doing) else text
        kind = "warning" if isinstance(exc, ValidationError) else "error"
        return self._open(kind, parent, title, text)

    def close_all(self) -> None:
        for box in list(self.boxes):
            box.done(0)

    def ask(
        self,
        parent: QWidget | None,
        title: str,
        text: str,
        buttons: QMessageBox.StandardButton,
        default: QMessageBox.StandardButton,
    ) -> QMessageBox.StandardButton:
        """Ask and wait for the answer (the only blocking dialog)."""
        self.log.append(("ask", title, text))
        if self.auto_answer is not None:
            return self.auto_answer
        box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, parent)
        box.setDefaultButton(default)
        return QMessageBox.StandardButton(box.exec())

    def choose(
        self, parent: QWidget | None, title: str, text: str, options: list[str], cancel: str = "Quit"
    ) -> int | None:
        """Ask the user to pick one of ``options`` (index), or None for ``cancel``; waits for the answer."""
        self.log.append(("choose", title, text))
        if self.auto_choice is not None:
            return self.auto_choice if self.auto_choice >= 0 else None
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton, parent)
        buttons = [box.addButton(option, QMessageBox.ButtonRole.AcceptRole) for option in options]
        box.addButton(cancel, QMessageBox.ButtonRole.RejectRole)
        if buttons:
            box.setDefaultButton(buttons[0])
        box.exec()
        clicked = box.clickedButton()
        return buttons.index(clicked) if clicked in buttons else None  # type: ignore[arg-type]
