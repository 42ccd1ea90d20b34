"""How small the step-by-step page may draw a frame and its text still read.

Fitting a wide frame to the window's width shrank every text with it: the blog MLP's
backward view, 1,800 px wide, read its 9 pt labels at 8 px in a 1,280 px window.
`readable_width` is the narrowest a frame is drawn, the width at which its smallest text
is `SMALLEST_TEXT_PX` tall; a frame wider than the window then scrolls sideways, and "full
size" still draws it at its own, larger size.
"""
from __future__ import annotations

import re

SMALLEST_TEXT_PX = 11  # a label's text no smaller than this in the fitted frame
_PX_PER_PT = 4 / 3  # CSS: 96 px to 72 pt; Graphviz writes an SVG's size and fonts in pt


def readable_width(svg: str) -> float | None:
    """The narrowest CSS width (px) at which Graphviz's `svg` shows its smallest text at
    `SMALLEST_TEXT_PX` (at most its own width); None where it has no text or no size."""
    width = re.search(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"', svg)
    sizes = [float(size) for size in re.findall(r'\bfont-size="([\d.]+)"', svg)]
    if width is None or not sizes or min(sizes) <= 0:
        return None
    own = float(width[1]) * _PX_PER_PT  # (its viewBox in pt: one unit a point)
    return min(own, own * SMALLEST_TEXT_PX / (min(sizes) * _PX_PER_PT))
