"""Paints one search result: title, source, a snippet with the query's words lit, confidence.

The top answer (reranked and confident) gets a tinted card, an accent bar and a
"Best answer" badge. Confidence is drawn as five pips and a percentage; results
that were not reranked say so instead of showing a made-up number.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QFont, QFontMetrics, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from .results_model import HitRole, IsTopRole, ListingRole, RankRole, ResultsModel
from .themes import LIGHT, Theme

if TYPE_CHECKING:
    from core.records import SearchHit

PAD_X, PAD_Y, GAP = 14, 10, 4
METER_W = 118
SNIPPET_LINES = 3
Index = QModelIndex | QPersistentModelIndex


def marked_html(text: str, spans: list[tuple[int, int]], theme: Theme) -> str:
    """``text`` as HTML with ``spans`` in the theme's highlight style."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(html.escape(text[last:start]))
        out.append(
            f'<span style="background-color:{theme.match_bg}; color:{theme.match_fg}; font-weight:600">'
            f"{html.escape(text[start:end])}</span>"
        )
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def confidence_label(confidence: float | None) -> str:
    if confidence is None:
        return "not reranked"
    if confidence >= 0.75:
        return "high"
    if confidence >= 0.5:
        return "medium"
    return "low"


class ResultDelegate(QStyledItemDelegate):
    """Draws result cards; sizes follow the view's width and font."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.theme: Theme = LIGHT

    # ------------------------------------------------------------------ geometry
    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont, QFont]:
        base = QFont(option.font)
        title = QFont(base)
        title.setPointSizeF(base.pointSizeF() * 1.18)
        title.setBold(True)
        small = QFont(base)
        small.setPointSizeF(max(6.0, base.pointSizeF() * 0.9))
        return base, title, small

    def _width(self, option: QStyleOptionViewItem) -> int:
        width = option.rect.width()
        widget = option.widget
        if width <= 0 and widget is not None:
            width = widget.viewport().width()  # type: ignore[attr-defined]
        return max(200, width)

    def _snippet_chars(self, base: QFont, text_width: int) -> int:
        per_line = text_width / max(1.0, QFontMetrics(base).averageCharWidth())
        return max(60, int(per_line * SNIPPET_LINES * 0.86))

    def _snippet_doc(self, index: Index, base: QFont, text_width: int) -> QTextDocument:
        model = index.model()
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setDefaultFont(base)
        doc.setTextWidth(text_width)
        if isinstance(model, ResultsModel):
            text, spans = model.snippet_for(index.row(), self._snippet_chars(base, text_width))
        else:
            text, spans = "", []
        doc.setHtml(marked_html(text, spans, self.theme))
        return doc

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        base, title, small = self._fonts(option)
        width = self._width(option)
        text_width = width - 2 * PAD_X
        doc = self._snippet_doc(index, base, text_width)
        max_snippet = QFontMetrics(base).lineSpacing() * SNIPPET_LINES + 2
        height = (
            PAD_Y * 2
            + QFontMetrics(title).height()
            + GAP
            + QFontMetrics(small).height()
            + GAP
            + min(int(doc.size().height()) + 1, max_snippet)
        )
        return QSize(width, height + 6)

    # ------------------------------------------------------------------ painting
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        hit: SearchHit | None = index.data(HitRole)
        if hit is None:
            return super().paint(painter, option, index)
        theme = self.theme
        base, title_font, small = self._fonts(option)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        is_top = bool(index.data(IsTopRole))
        rank = int(index.data(RankRole) or 0)
        ranked_list = index.data(ListingRole) != "bookmarks"  # a bookmark has no rank and no confidence
        card = option.rect.adjusted(4, 3, -4, -3)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if selected:
            fill = QColor(theme.selection_bg)
        elif is_top:
            fill = QColor(theme.top_bg)
        else:
            fill = QColor(theme.base)
        painter.setPen(QColor(theme.accent) if (selected and focused) else QColor(theme.border))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(card).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        if is_top:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(theme.accent))
            painter.drawRoundedRect(QRectF(card.left() + 1, card.top() + 1, 5, card.height() - 2), 2, 2)

        text_colour = QColor(theme.selection_fg if selected else theme.text)
        dim_colour = QColor(theme.selection_fg if selected else theme.dim)
        x = card.left() + PAD_X - 4
        y = card.top() + PAD_Y - 3
        inner_w = card.width() - 2 * (PAD_X - 4)

        # right column: badge and confidence meter
        meter_w = METER_W if ranked_list else 0
        if ranked_list:
            meter_rect = QRect(card.right() - METER_W - 8, y, METER_W, QFontMetrics(title_font).height())
            self._paint_meter(painter, meter_rect, hit.confidence, small, dim_colour, selected)

        # title (rank number first, elided before the meter)
        painter.setFont(title_font)
        painter.setPen(text_colour)
        fm = QFontMetrics(title_font)
        title = f"{rank}. {hit.title}" if rank else hit.title
        title_w = inner_w - meter_w - 12
        painter.drawText(
            QRect(x, y, title_w, fm.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            fm.elidedText(title, Qt.TextElideMode.ElideRight, title_w),
        )
        y += fm.height() + GAP

        # source line, with the badge for the best answer
        painter.setFont(small)
        sfm = QFontMetrics(small)
        badge_w = 0
        if is_top:
            badge = "BEST ANSWER"
            badge_font = QFont(small)
            badge_font.setBold(True)
            bfm = QFontMetrics(badge_font)
            badge_w = bfm.horizontalAdvance(badge) + 14
            badge_rect = QRect(x, y, badge_w, sfm.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(theme.accent))
            painter.drawRoundedRect(QRectF(badge_rect), 4, 4)
            painter.setFont(badge_font)
            painter.setPen(QColor(theme.accent_text))
            painter.drawText(badge_rect, int(Qt.AlignmentFlag.AlignCenter), badge)
            painter.setFont(small)
            badge_w += 8
        source = hit.source or "unknown source"
        if hit.topics:
            source += "   ·   " + ", ".join(t.replace("-", " ") for t in hit.topics)
        painter.setPen(dim_colour)
        painter.drawText(
            QRect(x + badge_w, y, inner_w - badge_w, sfm.height()),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            sfm.elidedText(source, Qt.TextElideMode.ElideRight, inner_w - badge_w),
        )
        y += sfm.height() + GAP

        # snippet
        doc = self._snippet_doc(index, base, inner_w)
        max_h = QFontMetrics(base).lineSpacing() * SNIPPET_LINES + 2
        painter.translate(x, y)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.palette.setColor(QPalette.ColorRole.Text, text_colour)
        ctx.clip = QRectF(0, 0, inner_w, min(max_h, card.bottom() - y))
        painter.setClipRect(ctx.clip)
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def _paint_meter(
        self, painter: QPainter, rect: QRect, confidence: float | None, font: QFont, colour: QColor, selected: bool
    ) -> None:
        theme = self.theme
        painter.setFont(font)
        fm = QFontMetrics(font)
        if confidence is None:
            painter.setPen(colour)
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), "not reranked")
            return
        pct = f"{round(confidence * 100)}%"
        pct_w = fm.horizontalAdvance("100%") + 4
        filled = max(0, min(5, round(confidence * 5)))
        pip_w, pip_h, pip_gap = 9, 9, 3
        total = 5 * pip_w + 4 * pip_gap
        left = rect.right() - pct_w - total - 4
        top = rect.center().y() - pip_h // 2
        on = QColor(theme.accent if confidence >= 0.5 else theme.dim)
        off = QColor(theme.border)
        painter.setPen(Qt.PenStyle.NoPen)
        for i in range(5):
            painter.setBrush(on if i < filled else off)
            painter.drawRoundedRect(QRectF(left + i * (pip_w + pip_gap), top, pip_w, pip_h), 2, 2)
        painter.setPen(colour)
        painter.drawText(
            QRect(rect.right() - pct_w, rect.top(), pct_w, rect.height()),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            pct,
        )
