"""Where the text of a PDF fiche sits: its characters' boxes (pypdfium2), grouped into words, and the pairs
of words of a page whose boxes overlap (text printed over text)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Word:
    text: str
    left: float
    bottom: float
    right: float
    top: float

    def overlaps(self, other: Word, tol: float) -> bool:
        """True when the two boxes, each shrunk by ``tol`` points, still intersect."""
        return (
            min(self.right, other.right) - max(self.left, other.left) > 2 * tol
            and min(self.top, other.top) - max(self.bottom, other.bottom) > 2 * tol
        )


def page_words(path: Path) -> list[list[Word]]:
    """Each page's words: characters in text order, a new word at a space, a line break, a jump in the
    baseline, or a gap wider than a third of the character's height (a glyph drawn back over the one
    before it by more than kerning does starts a new word too)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    pages: list[list[Word]] = []
    try:
        for page in doc:
            tp = page.get_textpage()
            words: list[Word] = []
            cur: Word | None = None
            last: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
            for i in range(tp.count_chars()):
                ch = tp.get_text_range(i, 1)
                left, bottom, right, top = tp.get_charbox(i)
                if not ch.strip() or right <= left or top <= bottom:
                    cur = None
                    continue
                h = top - bottom
                if cur is not None:
                    ch_h = cur.top - cur.bottom
                    same_line = (
                        abs(bottom - cur.bottom) < 0.35 * max(h, ch_h)
                        or abs(top - cur.top) < 0.35 * max(h, ch_h)
                        or (bottom >= cur.bottom - 0.3 and top <= cur.top + 0.3)  # a hyphen, a dot
                    )
                    # kerning (T then a) overlaps a little; the glyphs of a ligature share one box
                    near = -0.45 * max(h, ch_h) < left - cur.right < max(h, ch_h) / 3
                    ligature = (left, bottom, right, top) == last
                    if same_line and (near or ligature):
                        cur.text += ch
                        cur.right = max(cur.right, right)
                        cur.bottom, cur.top = min(cur.bottom, bottom), max(cur.top, top)
                        last = (left, bottom, right, top)
                        continue
                cur = Word(ch, left, bottom, right, top)
                last = (left, bottom, right, top)
                words.append(cur)
            pages.append(words)
            tp.close()
            page.close()
    finally:
        doc.close()
    return pages


def overlapping_words(path: Path, tol: float = 0.0) -> list[tuple[int, str, str]]:
    """(page number, word, word) for each pair of words of a page whose ink boxes intersect (by more than
    ``2 * tol`` points both ways; 0: any intersection)."""
    found: list[tuple[int, str, str]] = []
    for n, words in enumerate(page_words(path), start=1):
        ordered = sorted(words, key=lambda w: w.left)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if b.left >= a.right - 2 * tol:
                    break
                if a.overlaps(b, tol):
                    found.append((n, a.text, b.text))
    return found
