"""Light, dark and a red-on-black night theme, applied application-wide with the font size.

Night mode keeps night vision: every colour on screen is a dim red on black, with
no white, blue or green anywhere (search box, highlights, status bar and
dialogs included).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory


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
    text="#c41a0c",
    dim="#7d1006",
    button="#140100",
    border="#3c0600",
    accent="#e8260f",
    accent_text="#000000",
    match_bg="#4a0800",
    match_fg="#ff4426",
    top_bg="#120100",
    warn_bg="#1c0200",
    warn_fg="#d8200e",
    selection_bg="#3a0400",
    selection_fg="#ff3a1e",
    good="#e8260f",
    bad="#e8260f",
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
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.dim))
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
"""


def apply(app: QApplication, name: str, font_pt: int) -> Theme:
    """Make ``name`` the look of every window and ``font_pt`` the base text size; returns the theme."""
    theme = THEMES.get(name, LIGHT)
    if app.style().name().lower() != "fusion" and "Fusion" in QStyleFactory.keys():
        app.setStyle("Fusion")
    app.setPalette(palette_for(theme))
    font = QFont(app.font())
    font.setPointSize(font_pt)
    app.setFont(font)
    app.setStyleSheet(stylesheet_for(theme, font_pt))
    return theme


def repolish(widget: object) -> None:
    """Re-apply the style sheet after a dynamic property (``kind``, ``state``) changed."""
    style = widget.style()  # type: ignore[attr-defined]
    style.unpolish(widget)
    style.polish(widget)
    widget.update()  # type: ignore[attr-defined]
