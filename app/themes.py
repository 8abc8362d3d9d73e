"""Light, dark and a red-on-black night theme, applied application-wide with the font size.

Night mode keeps night vision: every colour on screen is a red on black, with
no white, blue or green anywhere (search box, text carets, highlights, status bar,
dialogs, their icons and buttons included). Every text in it, the dim ones too,
has at least 4.5:1 contrast; a red without green reaches 5.3:1 at most, so the
dim texts are only a little darker than the others.

What the palette cannot do, the night style sheet does: dialog buttons without
their coloured icons, message-box icons and check boxes drawn in red (small SVG
files written once to a temporary folder), outlines round input fields (Fusion
draws them in a shade of the window colour, nothing on black). :class:`_RedCaret`
paints the text caret red, where Qt inverts the pixels under it (white on black).
Nothing here overrides a QStyle method in Python: such overrides are called for
every primitive painted.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRectF
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QStyleFactory, QTextEdit, QWidget

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    window: str
    base: str
    alt_base: str
    text: str
    dim: str
    button: str
    border: str
    accent: str
    accent_text: str
    match_bg: str
    match_fg: str
    top_bg: str
    warn_bg: str
    warn_fg: str
    selection_bg: str
    selection_fg: str
    good: str
    bad: str
    disabled: str = ""  # text of disabled controls; "" means ``dim``
    outline: str = ""  # edges of fields and check boxes (night_stylesheet); "" means Fusion's own, a darker
    # window colour: nothing on black


LIGHT = Theme(
    name="light",
    label="Light",
    window="#f3f4f6",
    base="#ffffff",
    alt_base="#f7f8fa",
    text="#1b1f24",
    dim="#5d6671",
    button="#e9ecef",
    border="#cfd5dc",
    accent="#1d6b45",
    accent_text="#ffffff",
    match_bg="#ffe27a",
    match_fg="#1b1f24",
    top_bg="#edf6f0",
    warn_bg="#fff1cc",
    warn_fg="#5e4100",
    selection_bg="#cde4d6",
    selection_fg="#0e1a13",
    good="#1d6b45",
    bad="#a1362a",
)

DARK = Theme(
    name="dark",
    label="Dark",
    window="#1d2024",
    base="#25292e",
    alt_base="#2b3036",
    text="#e5e8ec",
    dim="#9ba5b1",
    button="#30353c",
    border="#3d444d",
    accent="#52c08a",
    accent_text="#0d1a12",
    match_bg="#6a5414",
    match_fg="#ffe79e",
    top_bg="#1f3329",
    warn_bg="#4a3a10",
    warn_fg="#ffdf94",
    selection_bg="#2e5240",
    selection_fg="#ffffff",
    good="#52c08a",
    bad="#ff8a7a",
)

NIGHT = Theme(
    name="night",
    label="Night (red on black)",
    window="#000000",
    base="#000000",
    alt_base="#080000",
    text="#ff2010",  # 5.5:1 on black
    dim="#ee2410",  # 4.9:1 on black, 4.7:1 on the cards
    button="#140100",
    border="#3c0600",
    accent="#ff3018",
    accent_text="#000000",
    match_bg="#3a0600",
    match_fg="#ff3a1e",
    top_bg="#120100",
    warn_bg="#1c0200",
    warn_fg="#ff2a12",
    selection_bg="#3a0400",
    selection_fg="#ff3a1e",
    good="#ff3018",
    bad="#ff3018",
    disabled="#7d1006",  # 2:1, reads as switched off
    outline="#b41806",  # 3:1, the least for the edge of a control
)

THEMES: dict[str, Theme] = {t.name: t for t in (LIGHT, DARK, NIGHT)}


def palette_for(theme: Theme) -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.button,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.Highlight: theme.selection_bg,
        QPalette.ColorRole.HighlightedText: theme.selection_fg,
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.dim,
        QPalette.ColorRole.Link: theme.accent,
        QPalette.ColorRole.LinkVisited: theme.accent,
        QPalette.ColorRole.BrightText: theme.accent,
        QPalette.ColorRole.Light: theme.button,
        QPalette.ColorRole.Midlight: theme.button,
        QPalette.ColorRole.Mid: theme.border,
        QPalette.ColorRole.Dark: theme.border,
        QPalette.ColorRole.Shadow: theme.window,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.disabled or theme.dim))
    return pal


def stylesheet_for(theme: Theme, font_pt: int) -> str:
    t = theme
    big = round(font_pt * 1.55)
    return f"""
QLineEdit#searchBox {{
    font-size: {big}pt; padding: 8px 12px; border: 2px solid {t.border}; border-radius: 8px;
    background: {t.base}; color: {t.text}; selection-background-color: {t.selection_bg};
    selection-color: {t.selection_fg};
}}
QLineEdit#searchBox:focus {{ border-color: {t.accent}; }}
QLabel#banner {{ border-radius: 6px; padding: 6px 10px; }}
QLabel#banner[kind="warn"] {{ background: {t.warn_bg}; color: {t.warn_fg}; font-weight: 600; }}
QLabel#banner[kind="info"] {{ background: {t.alt_base}; color: {t.dim}; }}
QLabel#detailTitle {{ font-size: {font_pt + 5}pt; font-weight: 600; color: {t.text}; }}
QLabel#detailMeta, QLabel#dimLabel {{ color: {t.dim}; }}
QLabel#feedbackNote {{ color: {t.good}; }}
QLabel#errorNote {{ color: {t.bad}; }}
QListView#results {{ border: 1px solid {t.border}; border-radius: 6px; background: {t.base}; }}
QTextBrowser#detailBody {{ border: 1px solid {t.border}; border-radius: 6px; background: {t.base}; }}
QStatusBar {{ color: {t.dim}; }}
QStatusBar QLabel {{ color: {t.dim}; padding: 0 6px; }}
QStatusBar QLabel[state="ready"] {{ color: {t.good}; }}
QStatusBar QLabel[state="off"] {{ color: {t.bad}; }}
QToolTip {{ color: {t.text}; background: {t.base}; border: 1px solid {t.border}; }}
QProgressBar {{ border: 1px solid {t.border}; border-radius: 3px; text-align: center; color: {t.text}; }}
QProgressBar::chunk {{ background: {t.accent}; }}
""" + (night_stylesheet(t) if t.outline else "")


_CARET_WIDTH = 1  # Qt's (QStyle.PM_TextCursorWidth in Fusion, QPlainTextEdit.cursorWidth by default)


class _RedCaret(QObject):
    """Paints the caret of the focused line edit or text edit in the theme's text colour, steady.

    Qt draws a caret by inverting the pixels under it (``RasterOp_NotDestination``), which
    is white on a black field whatever the palette says. In night mode this filter sees the
    application's paint events, lets an editor paint itself, then paints its caret over
    Qt's in red (same place and width; a little wider on a high-density screen, where Qt's
    may sit half a pixel off); between Qt's blinks, the red one stays.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.colour = QColor(NIGHT.text)
        self._painting: QObject | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.Paint or watched is self._painting or not isinstance(watched, QWidget):
            return False
        caret = caret_rect(watched)
        if caret is None:
            return False
        self._painting = watched
        try:  # the widget paints itself first (a text edit's viewport through its scroll area's own filter)
            QApplication.sendEvent(watched, event)
        finally:
            self._painting = None
        painter = QPainter(watched)
        painter.fillRect(caret, self.colour)
        painter.end()
        return True


def caret_rect(widget: QWidget) -> QRectF | None:
    """Where Qt draws ``widget``'s caret, if it is a text field showing one now (a text edit: its viewport)."""
    if isinstance(widget, QLineEdit):
        if not _typing_in(widget) or widget.hasSelectedText():
            return None
        rect = widget.cursorRect()  # 5 px either side of the caret (QWidgetLineControl::rectForPos)
        caret = QRectF(rect.left() + 5, rect.top(), _CARET_WIDTH, rect.height())
    else:
        edit = widget.parent()
        if not isinstance(edit, (QPlainTextEdit, QTextEdit)) or widget is not edit.viewport():
            return None
        if not _typing_in(edit) or edit.textCursor().hasSelection():
            return None
        caret = QRectF(edit.cursorRect())
        caret.setWidth(_CARET_WIDTH)
    if widget.devicePixelRatioF() != 1:
        # Qt puts its caret on the device-pixel grid, up to a pixel left or half a pixel right of here
        caret.adjust(-1, 0, 0.5, 0)
    return caret


def _typing_in(widget: QLineEdit | QPlainTextEdit | QTextEdit) -> bool:
    return widget.hasFocus() and widget.window().isActiveWindow() and not widget.isReadOnly()


_NIGHT_ICONS = {  # message-box icons in red: the shape, with _NIGHT_SIGNS in black on it
    "information": '<circle cx="16" cy="16" r="15"/>',
    "question": '<circle cx="16" cy="16" r="15"/>',
    "warning": '<path d="M16 1 L31 30 L1 30 Z"/>',
    "critical": '<circle cx="16" cy="16" r="15"/>',
}
_NIGHT_SIGNS = {"information": "i", "question": "?", "warning": "!", "critical": "×"}


def _night_files(theme: Theme) -> dict[str, str]:
    """SVG files (path by name) for the night style sheet: message-box icons, check-box and radio indicators."""
    folder = _files_folder()
    if folder is None:
        return {}
    red, outline, black = theme.text, theme.outline, theme.base
    svgs: dict[str, str] = {}
    for name, shape in _NIGHT_ICONS.items():
        sign = _NIGHT_SIGNS[name]
        y = 27 if name == "warning" else 23
        svgs[name] = (
            f'<g fill="{red}">{shape}</g><text x="16" y="{y}" font-family="sans-serif" font-weight="bold" '
            f'font-size="{18 if name == "warning" else 20}" text-anchor="middle" fill="{black}">{sign}</text>'
        )
    box = f'<rect x="0.5" y="0.5" width="15" height="15" rx="2" fill="{black}" stroke="{outline}"/>'
    svgs["unchecked"] = box
    svgs["checked"] = box + f'<path d="M3.5 8.5 L6.5 11.5 L12.5 4.5" fill="none" stroke="{red}" stroke-width="2"/>'
    svgs["partial"] = box + f'<rect x="4" y="7" width="8" height="2" fill="{red}"/>'
    circle = f'<circle cx="8" cy="8" r="7.5" fill="{black}" stroke="{outline}"/>'
    svgs["radio"] = circle
    svgs["radio-on"] = circle + f'<circle cx="8" cy="8" r="4" fill="{red}"/>'
    svgs["up"] = f'<path d="M2 11 L8 4 L14 11 Z" fill="{red}"/>'
    svgs["down"] = f'<path d="M2 5 L8 12 L14 5 Z" fill="{red}"/>'
    files = {}
    for name, body in svgs.items():
        size = 32 if name in _NIGHT_ICONS else 16
        path = folder / f"{name}.svg"
        try:
            path.write_text(
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
                f'viewBox="0 0 {size} {size}">{body}</svg>',
                encoding="utf-8",
            )
        except OSError:
            log.warning("could not write the night theme's %s", path, exc_info=True)
            return {}
        files[name] = path.as_posix()
    return files


_files: Path | None = None


def _files_folder() -> Path | None:
    """A temporary folder for this process's theme files, removed at exit (None if none can be made)."""
    global _files
    if _files is None:
        try:
            _files = Path(tempfile.mkdtemp(prefix="survival-search-theme-"))
        except OSError:
            log.warning("no temporary folder for the night theme's icons", exc_info=True)
            return None
        atexit.register(shutil.rmtree, _files, True)
    return _files


def night_stylesheet(theme: Theme) -> str:
    """What night mode adds to :func:`stylesheet_for`: no white, blue or green left in dialogs and fields."""
    t = theme
    files = _night_files(t)
    sheet = f"""
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox, QAbstractItemView {{
    border: 1px solid {t.outline};
}}
QLineEdit, QAbstractSpinBox, QComboBox {{ border-radius: 3px; padding: 2px 4px; }}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QAbstractSpinBox:focus, QComboBox:focus,
QAbstractItemView:focus {{ border-color: {t.accent}; }}
"""
    if files:
        sheet += f"""
QMessageBox {{
    messagebox-information-icon: url({files["information"]});
    messagebox-question-icon: url({files["question"]});
    messagebox-warning-icon: url({files["warning"]});
    messagebox-critical-icon: url({files["critical"]});
}}
QCheckBox::indicator, QAbstractItemView::indicator, QGroupBox::indicator {{ width: 14px; height: 14px; }}
QCheckBox::indicator:unchecked, QAbstractItemView::indicator:unchecked, QGroupBox::indicator:unchecked {{
    image: url({files["unchecked"]});
}}
QCheckBox::indicator:checked, QAbstractItemView::indicator:checked, QGroupBox::indicator:checked {{
    image: url({files["checked"]});
}}
QCheckBox::indicator:indeterminate, QAbstractItemView::indicator:indeterminate {{ image: url({files["partial"]}); }}
QAbstractSpinBox {{ padding-right: 18px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{
    subcontrol-origin: border; width: 16px; border-left: 1px solid {t.outline};
}}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; }}
QAbstractSpinBox::up-arrow {{ image: url({files["up"]}); width: 9px; height: 9px; }}
QAbstractSpinBox::down-arrow {{ image: url({files["down"]}); width: 9px; height: 9px; }}
QRadioButton::indicator {{ width: 14px; height: 14px; }}
QRadioButton::indicator:unchecked {{ image: url({files["radio"]}); }}
QRadioButton::indicator:checked {{ image: url({files["radio-on"]}); }}
"""
    return sheet


_caret: _RedCaret | None = None


def apply(app: QApplication, name: str, font_pt: int) -> Theme:
    """Make ``name`` the look of every window and ``font_pt`` the base text size; returns the theme."""
    global _caret
    theme = THEMES.get(name, LIGHT)
    if app.style().name().lower() != "fusion" and "Fusion" in QStyleFactory.keys():
        app.setStyle("Fusion")
    app.setPalette(palette_for(theme))
    font = QFont(app.font())
    font.setPointSize(font_pt)
    app.setFont(font)
    app.setStyleSheet(stylesheet_for(theme, font_pt))
    if _caret is None:
        _caret = _RedCaret(app)
    app.removeEventFilter(_caret)
    if theme.name == "night":
        _caret.colour = QColor(theme.text)
        app.installEventFilter(_caret)
    return theme


def repolish(widget: object) -> None:
    """Re-apply the style sheet after a dynamic property (``kind``, ``state``) changed."""
    style = widget.style()  # type: ignore[attr-defined]
    style.unpolish(widget)
    style.polish(widget)
    widget.update()  # type: ignore[attr-defined]
