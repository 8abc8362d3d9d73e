"""Corpus ▸ Train the reranker on your marks: fine-tune a copy of the reranker on "Helpful" / "Not helpful".

The marks the detail pane collects become (question, passage, 1 or 0) examples for the
user's own recipe (``core.training.train_from_feedback``: lr 5e-5, batch 8, 3 epochs,
seed 42). Training runs on the ``train`` lane with a progress bar and a Stop button; the
new model is written as a separate folder (never half-written, the current model is left
alone) and is used only when the user says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.errors import ModelError

from .messages import describe
from .ops import Job, Ops
from .settings_dialog import WrappedLabel

MINED_PER_QUESTION = 3
FEW_MARKS, FEW_QUESTIONS = 20, 5  # below either, training is allowed but warned about


def default_output_folder(models_dir: Path) -> Path:
    """A new folder name under ``models_dir`` that does not exist yet."""
    stem = "my-reranker-" + time.strftime("%Y-%m-%d")
    folder, number = models_dir / stem, 2
    while folder.exists():
        folder, number = models_dir / f"{stem}-{number}", number + 1
    return folder


class TrainDialog(QDialog):
    """Shows the user's marks, trains on them in the background, offers the new model."""

    use_model = Signal(str)  # the new model folder, when the user chooses to search with it

    def __init__(
        self,
        ops: Ops,
        store: Any,
        base_folder: Path | None,
        output_folder: Path,
        train: Callable[..., Any],
        summary: Callable[[Any], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ops = ops
        self.store = store
        self.train = train
        self.summary: Any = None
        self.job: Job | None = None
        self.report: Any = None
        self._close_when_stopped = False
        self.setWindowTitle("Train the reranker on your marks")
        self.setObjectName("trainDialog")

        intro = QLabel(
            "Every answer you marked <b>Helpful</b> or <b>Not helpful</b> becomes a training example. "
            "A copy of the reranker learns from them and is saved as a new model folder; the model you "
            "search with now stays as it is until you choose the new one."
        )
        intro.setWordWrap(True)
        self.marks_label = QLabel("Counting your marks…")
        self.marks_label.setWordWrap(True)
        self.base_label = WrappedLabel()
        self.base_button = QPushButton("C&hoose…")
        self.output_edit = QLineEdit(str(output_folder))
        self.output_edit.setAccessibleName("Folder for the new model")
        self.output_button = QPushButton("Ch&oose…")
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 20)
        self.epochs_spin.setValue(3)
        self.epochs_spin.setToolTip("Passes over your examples (the recipe's default: 3)")
        self.mine_check = QCheckBox(
            f"Also learn from close passages you did not mark ({MINED_PER_QUESTION} per question, as not answers)"
        )
        self.mine_check.setToolTip(
            "The passages that match a question's words best, other than the ones you marked helpful. "
            "Useful when you marked few answers 'Not helpful'; a passage that does answer but was not "
            "marked would be learnt as a wrong answer."
        )
        recipe = QLabel(
            "Recipe: the CrossEncoder.fit defaults (binary cross-entropy, learning rate 5e-5, batch 8, "
            "seed 42, fp16 on a GPU only). A few dozen marks train in well under a minute on a laptop CPU."
        )
        recipe.setWordWrap(True)
        recipe.setObjectName("dimLabel")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        base_row = QHBoxLayout()
        base_row.addWidget(self.base_label, 1)
        base_row.addWidget(self.base_button)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_edit, 1)
        output_row.addWidget(self.output_button)
        output_label = QLabel("&Save as")
        output_label.setBuddy(self.output_edit)
        epochs_row = QHBoxLayout()
        epochs_row.addWidget(self.epochs_spin)
        epochs_row.addStretch(1)
        epochs_label = QLabel("&Epochs")
        epochs_label.setBuddy(self.epochs_spin)
        form = QFormLayout()
        form.addRow("Start from", base_row)
        form.addRow(output_label, output_row)
        form.addRow(epochs_label, epochs_row)
        form.addRow("", self.mine_check)

        self.buttons = QDialogButtonBox()
        self.train_button = self.buttons.addButton("&Train", QDialogButtonBox.ButtonRole.ActionRole)
        self.stop_button = self.buttons.addButton("&Stop", QDialogButtonBox.ButtonRole.ActionRole)
        self.use_button = self.buttons.addButton("&Use this model", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.stop_button.setVisible(False)
        self.use_button.setVisible(False)
        self.train_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.marks_label)
        layout.addLayout(form)
        layout.addWidget(recipe)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self.resize(680, 0)

        self.train_button.clicked.connect(self.start_training)
        self.stop_button.clicked.connect(self.stop_training)
        self.use_button.clicked.connect(self._use)
        self.close_button.clicked.connect(self.reject)
        self.base_button.clicked.connect(self._choose_base)
        self.output_button.clicked.connect(self._choose_output)
        self.mine_check.toggled.connect(lambda _: self._update_buttons())
        self.output_edit.textChanged.connect(lambda _: self._update_buttons())
        self._start_from(base_folder)
        self._update_buttons()
        self.ops.run(
            lambda: summary(store),
            lane="read",
            name="count your marks",
            on_done=self._counted,
            on_error=lambda exc: self._say(f"Your marks could not be read: {describe(exc)[1]}", error=True),
        )

    # ------------------------------------------------------------------ inputs
    def _start_from(self, folder: Path | None) -> None:
        """The model searched with (``folder``); if that cannot be used, the shipped model, saying why."""
        from core.loading import default_model_dir

        problem = _unusable(folder)
        if not problem:
            self.set_base(folder, in_use=True)
            return
        shipped = default_model_dir()
        self.set_base(shipped, in_use=True)
        failed = f"<b>The model folder in Settings failed to load</b> ({_html(problem.rstrip('.'))})"
        self.base_label.setText(
            f"{self._describe_base(True)}<br>{failed}; training starts from the shipped model instead."
            if shipped
            else f"{failed}; choose a model to start from."
        )

    def set_base(self, folder: Path | None, *, in_use: bool = False) -> None:
        """Start from ``folder`` (refused, saying why, when it is not a usable cross-encoder)."""
        problem = _unusable(folder)
        self.base_folder = Path(folder) if folder and not problem else None
        if problem:
            self.base_label.setText(f"<b>{_html(str(folder))} cannot be used:</b> {_html(problem)}")
        else:
            self.base_label.setText(self._describe_base(in_use))
        self._update_buttons()

    def _describe_base(self, in_use: bool) -> str:
        from core.loading import default_model_dir

        if self.base_folder is None:
            return "No reranker model is installed."
        where = _html(str(self.base_folder))
        if self.base_folder == default_model_dir():
            return f"The shipped model ({where})"
        return f"The model you search with ({where})" if in_use else where

    def _choose_base(self) -> None:
        start = str(self.base_folder or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose the cross-encoder to start from", start)
        if folder:
            self.set_base(Path(folder))

    def _choose_output(self) -> None:
        start = str(Path(self.output_edit.text().strip() or Path.home()).parent)
        folder = QFileDialog.getExistingDirectory(self, "Choose an empty folder for the new model", start)
        if folder:
            self.output_edit.setText(folder)

    def _counted(self, summary: Any) -> None:
        self.summary = summary
        helpful, not_helpful = summary.helpful, summary.not_helpful
        if not helpful and not not_helpful:
            text = (
                "You have not marked any answers yet. Open an answer and press <b>Helpful</b> or "
                "<b>Not helpful</b>; come back when you have marked a few."
            )
        else:
            text = (
                f"You marked <b>{helpful}</b> answer{'s' if helpful != 1 else ''} helpful and "
                f"<b>{not_helpful}</b> not helpful, for {summary.questions} "
                f"question{'s' if summary.questions != 1 else ''}."
            )
            if not helpful:
                text += " Mark at least one answer <b>Helpful</b> to train."
            elif not not_helpful:
                text += " Mark some answers <b>Not helpful</b> too, or let it learn from close passages (below)."
            if self.few_marks:
                text += (
                    f"<br><b>That is very few.</b> A model trained on fewer than {FEW_MARKS} marks or "
                    f"{FEW_QUESTIONS} questions often ranks worse than the one you have, even for the questions "
                    "you marked. You can try: the new model is used only if you choose it, and Settings ▸ "
                    "“Use the shipped model” goes back."
                )
        self.marks_label.setText(text)
        self._update_buttons()
        self.adjustSize()

    @property
    def few_marks(self) -> bool:
        """Too few marks (or questions) to expect a better model."""
        summary = self.summary
        if summary is None:
            return False
        return summary.helpful + summary.not_helpful < FEW_MARKS or summary.questions < FEW_QUESTIONS

    def _problem(self) -> str:
        """Why training cannot start now ('' when it can)."""
        summary = self.summary
        if summary is None:
            return "Counting your marks…"
        if not summary.helpful:
            return "Mark at least one answer Helpful first."
        if not summary.not_helpful and not self.mine_check.isChecked():
            return "Mark some answers Not helpful, or let it learn from close passages you did not mark."
        if self.base_folder is None:
            return "Choose the model to start from."
        output = self.output_edit.text().strip()
        if not output:
            return "Choose a folder for the new model."
        target = Path(output).expanduser()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            return f"{target} already exists and is not empty: choose a new folder."
        if self.base_folder and target.resolve() == self.base_folder.resolve():
            return "The new model needs a folder of its own."
        return ""

    def _update_buttons(self) -> None:
        running = self.job is not None
        problem = self._problem()
        self.train_button.setEnabled(not running and not problem)
        self.train_button.setToolTip(problem)
        for widget in (self.base_button, self.output_edit, self.output_button, self.epochs_spin, self.mine_check):
            widget.setEnabled(not running)

    # ------------------------------------------------------------------ training
    def start_training(self) -> None:
        if self.job is not None:
            return
        problem = self._problem()
        if problem:  # e.g. the folder filled up since the button was enabled
            self._say(problem, error=True)
            self._update_buttons()
            return
        store, train, base = self.store, self.train, self.base_folder
        output = Path(self.output_edit.text().strip()).expanduser()
        epochs = self.epochs_spin.value()
        mine = MINED_PER_QUESTION if self.mine_check.isChecked() else 0

        def work(ctx: Any) -> Any:
            return train(
                store,
                base,
                output,
                epochs=epochs,
                mine_negatives=mine,
                progress=lambda step, total, loss: ctx.progress(step, total, f"{loss:.3f}"),
                should_stop=ctx.cancelled,
            )

        self.report = None
        self.use_button.setVisible(False)
        self.progress.setRange(0, 0)  # busy until the first step: loading torch and the model
        self.progress.setVisible(True)
        self.stop_button.setVisible(True)
        self.stop_button.setEnabled(True)
        self._say("Loading the model…")
        self.job = self.ops.run(
            work,
            lane="train",
            name="train the reranker",
            context=True,
            on_done=self._trained,
            on_error=self._failed,
            on_progress=self._step,
        )
        self._update_buttons()

    def stop_training(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.stop_button.setEnabled(False)
            self._say("Stopping after this step…")

    def _step(self, step: int, total: int, loss: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(step)
        if self.stop_button.isEnabled():
            self._say(f"Training: step {step} of {total} (loss {loss}).")

    def _finished(self) -> None:
        self.job = None
        self.progress.setVisible(False)
        self.stop_button.setVisible(False)
        self._update_buttons()
        if self._close_when_stopped:
            super().reject()

    def _trained(self, report: Any) -> None:
        self.report = report
        self._finished()
        text = (
            f"Trained in {report.seconds:.0f} s on the {report.device.upper()}: {report.steps} steps over "
            f"{report.positives} helpful and {report.negatives} not-helpful examples. Saved in {report.output}."
        )
        self.use_button.setVisible(True)
        if self.few_marks:  # offered, never the default: Enter closes and keeps the model in use
            self._say(
                f"{text}<br><b>Trained on very few marks: it may rank worse than the model you have.</b> Search "
                "with it only to try it; Settings ▸ “Use the shipped model” goes back.",
                error=True,
            )
            self.use_button.setDefault(False)
            self.close_button.setDefault(True)
            self.close_button.setFocus()
        else:
            self._say(text)
            self.use_button.setDefault(True)
            self.use_button.setFocus()

    def _failed(self, exc: BaseException) -> None:
        self._finished()
        if type(exc).__name__ == "TrainingCancelled":
            self._say("Stopped: no model folder was written.")
        else:
            self._say(f"Training failed: {describe(exc)[1]}", error=True)

    def _use(self) -> None:
        if self.report is not None:
            self.use_model.emit(str(self.report.output))
            self.accept()

    def _say(self, text: str, error: bool = False) -> None:
        self.status_label.setObjectName("errorNote" if error else "")
        self.status_label.style().unpolish(self.status_label)  # the theme colours errors by object name
        self.status_label.style().polish(self.status_label)
        self.status_label.setText(text)
        self.adjustSize()

    # ------------------------------------------------------------------ closing
    def reject(self) -> None:
        """Closing while training stops it first (at the end of the running step)."""
        if self.job is not None:
            self._close_when_stopped = True
            self.stop_training()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.job is not None:
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)


def _unusable(folder: Path | None) -> str:
    """Why ``folder`` is not a cross-encoder to start from ('' when it is, or when there is none)."""
    from core.model_folder import inspect_cross_encoder

    if not folder:
        return ""
    try:
        inspect_cross_encoder(folder)
    except ModelError as exc:
        return str(exc)
    return ""


def _html(text: str) -> str:
    """``text`` for a rich-text label, a long folder path free to wrap after each ``/``."""
    return escape(text).replace("/", "/\u200b")
