"""Split Markdown, HTML and plain text into passages of roughly 60-250 words.

Passages follow the document's structure: a passage never spans two sections,
keeps its heading path as its title, and is made of whole paragraphs unless a
single paragraph is longer than the limit (then it is cut between sentences).
Paragraph text is kept verbatim; only the joins between paragraphs change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

MIN_WORDS = 60
MAX_WORDS = 250
TITLE_SEPARATOR = " › "

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass
class Chunk:
    """One passage cut from a document: its heading path and its text."""

    headings: tuple[str, ...]
    text: str

    @property
    def title(self) -> str:
        return TITLE_SEPARATOR.join(self.headings[-2:]) if self.headings else ""

    @property
    def section(self) -> str:
        return TITLE_SEPARATOR.join(self.headings)


def _words(text: str) -> int:
    return len(text.split())


def _split_long(paragraph: str, max_words: int) -> list[str]:
    """Cut an over-long paragraph between sentences (or between words as a last resort)."""
    sentences = _SENTENCE_END.split(paragraph)
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in sentences:
        n = _words(sentence)
        if n > max_words:
            words = sentence.split()
            for start in range(0, len(words), max_words):
                if current:
                    pieces.append(" ".join(current))
                    current, count = [], 0
                pieces.append(" ".join(words[start : start + max_words]))
            continue
        if count + n > max_words and current:
            pieces.append(" ".join(current))
            current, count = [], 0
        current.append(sentence)
        count += n
    if current:
        pieces.append(" ".join(current))
    return pieces


def pack_paragraphs(paragraphs: list[str], min_words: int = MIN_WORDS, max_words: int = MAX_WORDS) -> list[str]:
    """Group consecutive paragraphs into passages of ``min_words``..``max_words`` words."""
    units: list[str] = []
    for para in paragraphs:
        para = para.strip()
        if not para:
            continue
        units.extend(_split_long(para, max_words) if _words(para) > max_words else [para])
    passages: list[list[str]] = []
    counts: list[int] = []
    for unit in units:
        n = _words(unit)
        if passages and (counts[-1] < min_words or counts[-1] + n <= max_words // 2) and counts[-1] + n <= max_words:
            passages[-1].append(unit)
            counts[-1] += n
        else:
            passages.append([unit])
            counts.append(n)
    # A short tail joins the passage before it when that stays near the limit.
    if len(passages) > 1 and counts[-1] < min_words and counts[-2] + counts[-1] <= max_words + min_words:
        tail_words = counts.pop()
        passages[-2].extend(passages.pop())
        counts[-1] += tail_words
    return ["\n\n".join(p) for p in passages]


def _markdown_blocks(text: str) -> list[tuple[tuple[str, ...], list[str]]]:
    """Sections of a Markdown document: (heading path, paragraphs)."""
    sections: list[tuple[tuple[str, ...], list[str]]] = []
    path: list[tuple[int, str]] = []
    paragraphs: list[str] = []
    buffer: list[str] = []
    in_fence = False

    def flush_paragraph() -> None:
        if buffer:
            paragraphs.append("\n".join(buffer).strip())
            buffer.clear()

    def flush_section() -> None:
        flush_paragraph()
        if paragraphs:
            sections.append((tuple(h for _, h in path), list(paragraphs)))
            paragraphs.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
            buffer.append(line)
            continue
        match = None if in_fence else _HEADING.match(stripped)
        if match:
            flush_section()
            level = len(match.group(1))
            while path and path[-1][0] >= level:
                path.pop()
            heading = match.group(2).strip()
            if heading:
                path.append((level, heading))
        elif not stripped and not in_fence:
            flush_paragraph()
        else:
            buffer.append(line.rstrip())
    flush_section()
    return sections


def chunk_markdown(text: str, document_title: str = "") -> list[Chunk]:
    """Passages of a Markdown document, each titled by its heading path."""
    chunks: list[Chunk] = []
    for headings, paragraphs in _markdown_blocks(text):
        if not headings and document_title:
            headings = (document_title,)
        for body in pack_paragraphs(paragraphs):
            chunks.append(Chunk(headings, body))
    return chunks


def chunk_text(text: str, document_title: str) -> list[Chunk]:
    """Passages of a plain-text document: paragraphs are separated by blank lines."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return [Chunk((document_title,), body) for body in pack_paragraphs(paragraphs)]


class _HTMLToMarkdown(HTMLParser):
    """Just enough HTML: headings become Markdown headings, block elements paragraphs."""

    BLOCKS = {"p", "div", "li", "tr", "br", "section", "article", "blockquote", "pre", "dd", "dt", "table", "ul", "ol"}
    SKIP = {"script", "style", "nav", "head", "noscript", "template", "svg"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0
        self._heading: int | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self.SKIP:
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = int(tag[1])
            self.out.append("\n\n" + "#" * self._heading + " ")
        elif tag in self.BLOCKS:
            self.out.append("\n\n" if tag != "li" else "\n\n- ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = None
            self.out.append("\n\n")
        elif tag in self.BLOCKS:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip:
            return
        text = re.sub(r"\s+", " ", data)
        if self._heading is not None:
            text = text.replace("\n", " ")
        self.out.append(text)


def html_to_markdown(html: str) -> tuple[str, str]:
    """Convert HTML to (markdown, document title)."""
    parser = _HTMLToMarkdown()
    parser.feed(html)
    parser.close()
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in "".join(parser.out).splitlines()]
    return "\n".join(lines), parser.title.strip()


def chunk_html(html: str, document_title: str = "") -> list[Chunk]:
    markdown, title = html_to_markdown(html)
    return chunk_markdown(markdown, title or document_title)
