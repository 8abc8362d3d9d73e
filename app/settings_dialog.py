"""Settings: the reranker model folder (checked when chosen: it must load), device, search sizes, look.

A chosen folder is first inspected cheaply (:func:`core.model_folder.inspect_cross_encoder`,
no torch), then really loaded on a worker; OK stays disabled until it has loaded,
and the loaded model is handed to the window so it is not loaded twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.errors import ModelError
from core.search import PRIOR_DEPTH, RRF_DEPTH_CPU, RRF_DEPTH_CUDA

from . import themes
from .ops import Ops
from .preferences import DEVICES, FONT_MAX, FONT_MIN, Preferences
from .services import LoadReranker

DEVICE_LABELS = {"auto": "Automatic (GPU when there is one)", "cpu": "CPU", "cuda": "GPU (CUDA)"}


class WrappedLabel(QLabel):
    """A word-wrapped label that keeps room for all its lines (a form's rows are not sized by height-for-width)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def _fit(self) -> None:
        self.setMinimumHeight(self.heightForWidth(max(1, self.width())))

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()


class SettingsDialog(QDialog):
    """Edits :class:`Preferences`; :meth:`save` writes them and says what changed."""

    def __init__(
        self,
        prefs: Preferences,
        ops: Ops,
        load_reranker: LoadReranker | None,
        parent: QWidget | None = None,
        *,
        current_problem: str = "",
    ) -> None:
        """``current_problem``: why the window's reranker failed to load, if it did ("" when it works)."""
        super().__init__(parent)
        self.prefs = prefs
        self.ops = ops
        self.load_reranker = load_reranker
        self.loaded_reranker: Any = None
        self._check_seq = 0
        self._folder_ok = True
        self.current_problem = current_problem
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")

        self.folder_edit = QLineEdit(prefs.reranker_folder)
        self.folder_edit.setPlaceholderText("The shipped model (leave empty)")
        self.folder_edit.setAccessibleName("Reranker model folder")
        self.choose_button = QPushButton("&Choose…")
        self.default_button = QPushButton("Use the &shipped model")
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.choose_button)
        folder_row.addWidget(self.default_button)
        self.folder_status = WrappedLabel()
        self.folder_status.setObjectName("dimLabel")

        self.device_combo = QComboBox()
        for device in DEVICES:
            self.device_combo.addItem(DEVICE_LABELS[device], device)
        self.device_combo.setCurrentIndex(DEVICES.index(prefs.device))
        self.candidates_spin = QSpinBox()
        self.candidates_spin.setRange(0, 300)
        self.candidates_spin.setSpecialValueText(f"Automatic ({PRIOR_DEPTH} with a calibrated model)")
        self.candidates_spin.setValue(prefs.candidates)
        self.candidates_spin.setToolTip(
            "How many first-stage candidates the cross-encoder reads per question. Automatic: the "
            f"{PRIOR_DEPTH} best by the model's calibrated first-stage score (the shipped model has one); for a "
            f"model without calibration, {RRF_DEPTH_CPU} on a CPU and {RRF_DEPTH_CUDA} on a GPU."
        )
        self.results_spin = QSpinBox()
        self.results_spin.setRange(3, 50)
        self.results_spin.setValue(prefs.results)
        self.theme_combo = QComboBox()
        for theme in themes.THEMES.values():
            self.theme_combo.addItem(theme.label, theme.name)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(prefs.theme)))
        self.font_spin = QSpinBox()
        self.font_spin.setRange(FONT_MIN, FONT_MAX)
        self.font_spin.setSuffix(" pt")
        self.font_spin.setValue(prefs.font_size)

        folder_label = QLabel("Reranker &model folder")
        folder_label.setBuddy(self.folder_edit)
        form = QFormLayout()
        form.addRow(folder_label, folder_row)
        form.addRow("", self.folder_status)
        form.addRow("&Device", self.device_combo)
        form.addRow("Candidates &reranked", self.candidates_spin)
        form.addRow("Results sho&wn", self.results_spin)
        form.addRow("&Theme", self.theme_combo)
        form.addRow("&Font size", self.font_spin)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(720, 0)

        self.choose_button.clicked.connect(self._choose_folder)
        self.default_button.clicked.connect(lambda: self.set_folder(""))
        self.folder_edit.editingFinished.connect(lambda: self.set_folder(self.folder_edit.text()))
        self.device_combo.currentIndexChanged.connect(lambda _: self._revalidate_for_device())
        self._describe_current()

    # ------------------------------------------------------------------ model folder
    def _describe_current(self) -> None:
        """What the saved folder gives: the model in use, or why it is not used."""
        from core.loading import default_model_dir
        from core.model_folder import inspect_cross_encoder

        folder = self.folder_edit.text().strip()
        problem = self.current_problem
        if folder and not problem:
            try:
                inspect_cross_encoder(folder)
            except ModelError as exc:
                problem = str(exc)
        if problem:
            what = "This folder" if folder else "The shipped model"
            self._status(
                "off",
                f"{what} failed to load: {problem.rstrip('.')}. Results are not reranked: choose a model "
                "folder that loads" + (", or use the shipped model." if folder else "."),
            )
        elif folder:
            self._status("ok", f"Using {folder}.")
        elif default_model_dir() is not None:
            self._status("ok", f"Using the shipped model ({default_model_dir()}).")
        else:
            self._status("off", "No shipped model is installed: results are BM25 + embeddings, not reranked.")

    def _choose_folder(self) -> None:
        start = self.folder_edit.text().strip() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose a cross-encoder model folder", start)
        if folder:
            self.set_folder(folder)

    def set_folder(self, folder: str) -> None:
        """Show ``folder`` and check it: cheaply at once, then by loading it in the background."""
        from core.model_folder import inspect_cross_encoder

        folder = folder.strip()
        self.folder_edit.setText(folder)
        self.loaded_reranker = None
        self._check_seq += 1
        if folder == self.prefs.reranker_folder and not self._device_changed():
            self._folder_ok = True  # nothing to change here, even if it is the folder that failed
            self._describe_current()
            self._update_ok()
            return
        if not folder:
            self._folder_ok = True
            self._describe_current()
            self._update_ok()
            return
        try:
            info = inspect_cross_encoder(folder)
        except ModelError as exc:
            self._folder_ok = False
            self._status("off", str(exc))
            self._update_ok()
            return
        self._folder_ok = False
        self._update_ok()
        if self.load_reranker is None:
            self._status("off", "Models cannot be loaded in this window.")
            return
        self._status("", f"Loading {info.path.name} to check it ({info.architecture or 'cross-encoder'})…")
        seq, device, load = self._check_seq, self.device_combo.currentData(), self.load_reranker
        self.ops.run(
            lambda: load(str(info.path), device),
            lane="models",
            name="check the model folder",
            on_done=lambda loaded: self._checked(seq, loaded),
            on_error=lambda exc: self._checked(seq, (None, str(exc))),
        )

    def _checked(self, seq: int, loaded: tuple[Any, str]) -> None:
        if seq != self._check_seq:
            return
        reranker, why = loaded
        if reranker is None:
            self._folder_ok = False
            self._status("off", why or "The model did not load.")
        else:
            where = "GPU" if getattr(reranker, "device", "cpu") == "cuda" else "CPU"
            seconds = getattr(reranker, "load_seconds", 0.0)
            self._folder_ok = True
            self.loaded_reranker = reranker
            self._status(
                "ready", f"✓ Loaded {getattr(reranker, 'name', 'the model')} on the {where} in {seconds:.1f} s."
            )
        self._update_ok()

    def _device_changed(self) -> bool:
        return self.device_combo.currentData() != self.prefs.device

    def _revalidate_for_device(self) -> None:
        if self.folder_edit.text().strip():
            self.set_folder(self.folder_edit.text())

    def _status(self, state: str, text: str) -> None:
        self.folder_status.setText(text)
        self.folder_status.setProperty("state", state)
        self.folder_status.setObjectName({"ready": "feedbackNote", "off": "errorNote"}.get(state, "dimLabel"))
        themes.repolish(self.folder_status)

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self._folder_ok)

    @property
    def folder_ok(self) -> bool:
        return self._folder_ok

    # ------------------------------------------------------------------ saving
    def save(self) -> set[str]:
        """Write the preferences; returns the names of those that changed."""
        p = self.prefs
        new = {
            "reranker_folder": self.folder_edit.text().strip(),
            "device": self.device_combo.currentData(),
            "candidates": self.candidates_spin.value(),
            "results": self.results_spin.value(),
            "theme": self.theme_combo.currentData(),
            "font_size": self.font_spin.value(),
        }
        changed = {key for key, value in new.items() if getattr(p, key) != value}
        for key in changed:
            setattr(p, key, new[key])
        return changed
