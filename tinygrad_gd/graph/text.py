"""Text for the diagrams' labels: numbers, arrays and user text as Graphviz HTML-like pieces.

- numbers and arrays as text (`_number`, `_array`, `_nested`): a small array in full, a
  large one as a few entries and its range, one whose entries are all equal as `all v
  (shape)`; a
  number never shown rounder than it is (0.99999999 is not "1");
- label pieces (`_value`: a small matrix as a table, a long array wrapped into lines, a
  long summary's range on a line of its own;
  `_pieces`: a product written as by hand; `_font`), and whole labels from lines of pieces
  (`_label`, `_html`; `_spaced`: an edge's, with room on either side), a line holding a
  matrix kept at its natural width, not stretched to the label's, a line too wide
  for a page broken before its `×` and `=` (one holding a matrix sooner, its leading
  `sum over ... of` on a line of its own);
- user text made safe inside a label (`_escape`), a label as the plain text a reader
  sees (`plain`: a tooltip's, a caption's op title), and what a float array holds that is
  not finite (`_nonfinite`);
- where a `.grad` unlike this output's gradient came from (`_grad_origin`).
"""
from __future__ import annotations

import html
import re
import textwrap
from typing import Any

import numpy as np

_SHOWN_ENTRIES = 12  # arrays up to this size (a 3x3 matrix) show every entry
_FIRST_ENTRIES = 3  # a larger array shows its shape, this many entries and its range
_ALL_EQUAL = 4  # an array of at least this many entries, all equal, reads `all v (shape)`
_WRAP = 60  # characters of an array's text on one line of a label: a longer one wraps
# characters of a summary (`[a, b, c, …] min x max y`) on one line: a longer one puts its
# range on a second line, where one line widened a diagram past the documentation's column
_SUMMARY_LINE = 40
# characters: as wide as a box's `result [..] min .. max ..` line can be; a wider line of a
# box (a product, what is said of `.grad`) goes on lines of its own rather than widen it
_BOX_LINE = len("result ") + _SUMMARY_LINE
_LINE = 80  # characters of a label's line: a wider product breaks before its × and =
# characters of a line holding a matrix: a table's padding and borders make each wider
# than text's, and a backward view sets several such edge labels side by side in a rank
_TABLE_LINE = 40
_FILLERS = 12  # empty cells beside a line's pieces, taking the room it is stretched by
_CLEARANCE = 2  # points between a matrix's border and a text touching it: `[..]²`
_TABLE_ROWS = 4  # a matrix of more rows is text (wrapped), not a tall table
_NOISE = 1e-12  # a difference this small (relative) is float noise: 0.1 summed 10 times is 1
_NAME_LIMIT = 60  # characters of a name shown before it is cut
_EDGE_GAP = (3, 18)  # points left and right of an edge's label: the edge, the next label
# points left of an edge's label that begins with a matrix: its border 3 points beside the
# edge, the two lines parallel, read as the edge drawn twice
_MATRIX_GAP = 9


def _cut(text: str, limit: int = _NAME_LIMIT) -> str:
    """A name cut to `limit` characters (`...`), keeping its number (` #2`): two numbered
    names cut alike would draw one title, and an edge's `#1` or `#2` would lead nowhere."""
    if len(text) <= limit:
        return text
    number = re.search(r" #\d+$", text)
    tail = number.group() if number and len(number.group()) < limit // 2 else ""
    return text[:limit - 3 - len(tail)] + "..." + tail


def _escape(text: str, limit: int = _NAME_LIMIT) -> str:
    """User text made safe inside an HTML-like label: entities, no control characters."""
    text = _cut(str(text), limit)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    # Graphviz rejects an empty <B></B> and a text that is only "]" between tags, and
    # expands \N, \G ... even in HTML labels: a backslash is doubled to stay one backslash
    return text.translate(_ESCAPES) if text else "(empty)"


_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;",
            ord("'"): "&#39;", ord("]"): "&#93;", ord("\\"): "\\\\",
            ord("\n"): "<BR/>", ord("\t"): " "}
_ESCAPES.update({c: f"\\x{c:02x}" for c in [*range(32), *range(127, 160)] if c not in _ESCAPES})


def _number(value: Any, precision: int) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if value.is_integer() and abs(value) < 1e9 \
            and len(str(int(abs(value))).rstrip("0")) <= precision:
        return str(int(value))  # 1000, not 1e+03; but 123456789 at precision 4 is 1.235e+08
    text, digits = f"{value:.{precision}g}", precision
    # a value rounded to a whole number would read as exact (tanh 0.99999999 as "1", then
    # "1 - 1² = 2.4e-08"): more digits until it no longer looks whole
    while digits < 17 and re.fullmatch(r"-?\d+", text) \
            and abs(float(text) - value) > _NOISE * max(1.0, abs(value)):
        digits += 1
        text = f"{value:.{digits}g}"
    return text


def _array(a: Any, precision: int) -> str:
    """Every entry of a small array (up to 12), else a few entries and its range; `all 0.025
    (4, 3)` when its entries (4 or more) are all the same, whatever its size, with its shape
    as a node's title writes it; `empty (0, 3)` for a matrix with no entries."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _number(a.item(), precision)
    same = _all_equal(a)
    if same is not None:  # a mean's copy; its shape, as no list of entries shows it
        return f"all {_number(same, precision)} {a.shape}"
    if a.size == 0 and a.ndim > 1:  # `[]` would read as a vector's
        return f"empty {a.shape}"
    if a.size <= _SHOWN_ENTRIES:
        return _nested(a, precision)
    first = ", ".join(_number(v, precision) for v in a.reshape(-1)[:_FIRST_ENTRIES].tolist())
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a.reshape(-1)
    bad = a.size - finite.size
    text = f"[{first}, …]"
    if finite.size:
        text += f" min {_number(finite.min(), precision)} max {_number(finite.max(), precision)}"
    return text + (f" ({bad} NaN/Inf)" if bad else "")


def _shown_whole(a: Any) -> bool:
    """Whether `_array` writes every entry of an array (up to 12, or all equal: `all 1 (4,
    10)`), where a larger one is a summary, `[a, b, c, …] min x max y`."""
    a = np.asarray(a)
    return a.size <= _SHOWN_ENTRIES or _all_equal(a) is not None


def _all_equal(a: np.ndarray) -> Any:
    """The one value of an array of `_ALL_EQUAL` or more entries all equal (and finite, or
    not floats); None otherwise. Fewer read as a list: `[0.5, 0.5, 0.5]`."""
    if a.size < _ALL_EQUAL or a.dtype.kind not in "iuf":
        return None
    flat = a.reshape(-1)
    if a.dtype.kind == "f" and not np.isfinite(flat).all():
        return None
    return flat[0] if (flat == flat[0]).all() else None


def _nested(a: np.ndarray, precision: int) -> str:
    if a.ndim == 1:
        return "[" + ", ".join(_number(v, precision) for v in a.tolist()) + "]"
    return "[" + ", ".join(_nested(row, precision) for row in a) + "]"


def _value(a: Any, precision: int, color: str | None = None) -> str:
    """An array as a label piece: a small matrix of up to 4 rows as a table of its rows, else
    its text, wrapped into lines of at most `_WRAP` characters when shown whole."""
    a = np.asarray(a)
    cells = [[_number(v, precision) for v in row] for row in a.tolist()] if (
        a.ndim == 2 and 0 < a.size <= _SHOWN_ENTRIES and a.shape[0] <= _TABLE_ROWS
        and _all_equal(a) is None) else None
    if cells is None or max(sum(len(c) + 2 for c in row) for row in cells) > _WRAP:
        return "<BR/>".join(_font(line, color) for line in _wrapped(_array(a, precision)))
    rows = "".join("<TR>" + "".join(f'<TD ALIGN="RIGHT">{_font(v, color)}</TD>' for v in row)
                   + "</TR>" for row in cells)
    return (f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1" '
            f'COLOR="{color or "#868e96"}">{rows}</TABLE>')


def _wrapped(text: str) -> list[str]:
    """An array's text in lines of at most `_WRAP` characters, broken after its commas; a
    summary longer than `_SUMMARY_LINE`, `[0.1234, 0.2345, 0.3456, …] min 0.1 max 0.9`,
    broken before its range."""
    if "…" in text:
        entries, bar, rest = text.partition("…]")
        return [text] if len(text) <= _SUMMARY_LINE or not rest else [entries + bar,
                                                                       rest.strip()]
    if len(text) <= _WRAP:
        return [text]
    lines = [""]
    for entry in re.findall(r"[^,]+(?:, |$)", text):
        if lines[-1] and len(lines[-1]) + len(entry) > _WRAP:
            lines[-1] = lines[-1].rstrip()
            lines.append("")
        lines[-1] += entry
    return lines


def _pieces(pieces: list, precision: int, color: str | None = None) -> list[str]:
    """Text and arrays as label pieces; a negative number after the first in parentheses.

    `1 × 2 × (-4)`, as a product is written by hand.
    """
    shown = []
    for k, piece in enumerate(pieces):
        if not isinstance(piece, np.ndarray):  # `-2 × ` after a factor: `(-2) × `
            text = _NEGATIVE.sub(r"(\1)", str(piece)) if k else str(piece)
            shown.append(_font(text, color))
            continue
        text = _value(piece, precision, color)
        if k and piece.size == 1 and piece.ndim == 0 and piece.dtype.kind in "iuf" \
                and piece.item() < 0:
            text = _font("(", color) + text + _font(")", color)
        shown.append(text)
    return shown


_NEGATIVE = re.compile(r"^(-\d[\d.]*(?:e[+-]?\d+)?)")  # a negative number a text piece begins with


def _plain(pieces: list, precision: int) -> str:
    """The text of `_pieces` without markup (a table's cells run on): to compare with a
    formula, `1 / (-2)` as shown."""
    return html.unescape(re.sub(r"<[^>]*>", "", "".join(_pieces(pieces, precision))))


def _font(text: str, color: str | None) -> str:
    return f'<FONT COLOR="{color}">{text}</FONT>' if color and text else text


def _nonfinite(a: np.ndarray | None, output_finite: bool = False) -> str | None:
    """'NaN', 'Inf' or 'NaN and Inf' when a float array holds them; with `output_finite`
    (the drawn output is finite) nothing for -inf alone: a mask's, which exp made 0."""
    if a is None or a.dtype.kind not in "fc" or np.isfinite(a).all():
        return None
    nan, inf = bool(np.isnan(a).any()), bool(np.isinf(a).any())
    if output_finite and not nan and bool((a[np.isinf(a)] < 0).all()):
        return None
    return " and ".join(w for w, has in (("NaN", nan), ("Inf", inf)) if has)


def _opens(options: Any) -> str:
    """The option that draws a module call's folded nodes: open_modules=True, or where it
    was given (a graph past max_nodes) max_nodes=None."""
    return "max_nodes=None" if options.open_modules else "open_modules=True"


def _is_table(piece: str) -> bool:
    return piece.startswith("<TABLE")


_OPERATORS = re.compile(r"(<[^>]*>)*\s*(×|=|@|⊗) ")  # a piece that begins a product's factor


_OF = re.compile(r"[^<]* of (</FONT>)?$")  # `sum over the batch (axis 0) of `: words


def _broken(line: list[str]) -> list[list[str]]:
    """A line wider than `_LINE` characters (`_TABLE_LINE` where it holds a matrix) broken
    before its `×`, `=`, `@` and `⊗` (a product of long arrays: one factor a line), its
    leading words (`sum over the batch (axis 0) of`) on a line of their own; else the line
    as it is."""
    limit = _TABLE_LINE if any(_is_table(piece) for piece in line) else _LINE
    if _width(line) <= limit:
        return [line]
    if len(line) > 1 and _OF.match(re.sub(r"<FONT[^>]*>", "", line[0])):
        return [line[:1], *_broken(line[1:])]
    lines: list[list[str]] = [[]]
    for piece in line:
        if lines[-1] and _OPERATORS.match(piece):
            lines.append([])
        lines[-1].append(piece)
    return lines


def _width(line: list[str]) -> int:
    """The characters of a line of pieces (a table: its widest row)."""
    return sum(_line_width(piece) for piece in line)


_RUN = re.compile(r'(<FONT COLOR="([^"]*)">(?:(?!</?FONT).)*)</FONT><FONT COLOR="\2">',
                  re.DOTALL)


def _runs(text: str) -> str:
    """Text pieces side by side in one colour as one run of text: Graphviz measures each run
    on its own, rounded, so a step-by-step frame's hidden label (one run a piece) drew
    wider than the same label shown (one run) and the page's frames differed in size."""
    merged = _RUN.sub(r"\1", text)
    while merged != text:
        text, merged = merged, _RUN.sub(r"\1", merged)
    return merged


def _label(lines: list[list[str]]) -> str:
    """Lines of pieces as one HTML-like label (a table of rows when a piece is a table); the
    parts of a line broken in two or more read down its left edge, as written by hand."""
    lines = [[piece for piece in line if piece] for line in lines]
    parts = [(part, len(broken) > 1) for line in lines if line
             for broken in [_broken(line)] for part in broken]
    if not any(_is_table(piece) for line, _ in parts for piece in line):
        return "<" + "<BR/>".join(_runs("".join(line)) for line, _ in parts) + ">"
    rows, headed = [], []
    for k, (line, left) in enumerate(parts):
        if not left and _headed(line):
            headed.append(line)
            if k + 1 < len(parts) and not parts[k + 1][1] and _headed(parts[k + 1][0]):
                continue  # (`data [..]` then `grad [..]`: one block, words and tables aligned)
            rows.append(f"<TR><TD>{_headed_rows(headed)}</TD></TR>")
            headed = []
        elif not any(_is_table(piece) for piece in line):
            align = ' ALIGN="LEFT"' if left else ""
            rows.append(f"<TR><TD{align}>{_runs(''.join(line))}</TD></TR>")
        else:
            rows.append(f"<TR><TD>{_table_row(line, left)}</TD></TR>")
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            + "".join(rows) + "</TABLE>>")


_BARE = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
_PADDED = _BARE.replace('PADDING="0"', 'PADDING="1"')  # as the label's rows: matrices apart


def _headed(line: list[str]) -> bool:
    """Whether a line is a word and a matrix after it: `data [..]`, `grad [..]`, `= [..]`."""
    return len(line) == 2 and _is_table(line[1]) and not _is_table(line[0]) \
        and not _touching(*line)


def _headed_rows(lines: list[list[str]]) -> str:
    """Lines of a word and its matrix, one after the other, as one block at its natural
    width, centred: each word beside its table, the words right-aligned in a column, each
    table as wide as its numbers (not as wide as the label's title)."""
    rows = "".join(f'<TR><TD ALIGN="RIGHT">{word}</TD><TD>{_kept(matrix, 0, 1)}</TD></TR>'
                   for word, matrix in lines)
    return _kept(f"{_PADDED}{rows}</TABLE>", _FILLERS // 2, 2)


def _kept(content: str, before: int, times: int) -> str:
    """`content` beside `_FILLERS` empty cells (`before` of them before it), nested `times`
    times: Graphviz stretches a table to its cell's width, sharing the room evenly among its
    cells, so the empty cells take nearly all of it and `content` keeps its natural width
    (1/13 of the room nested once, 1/169 twice)."""
    for _ in range(times):
        content = (f"{_BARE}<TR>{'<TD></TD>' * before}<TD>{content}</TD>"
                   f"{'<TD></TD>' * (_FILLERS - before)}</TR></TABLE>")
    return content


def _table_row(line: list[str], left: bool) -> str:
    """A line holding a matrix as a table of its pieces, one cell each, a text touching a
    matrix (`[..]²)`, `(-[..]`) `_CLEARANCE` points clear of its border, kept at its natural
    width (`_kept`): a part of a broken line at the label's left edge (read down it), any
    other line centred. Stretched to the label's width, a text after a matrix drifted right
    of it (`[..]   ²   )`) and a matrix's columns spread across a node with a long title.
    """
    cells = []
    for k, piece in enumerate(line):
        if k and _touching(line[k - 1], piece):
            cells.append(f'<TD WIDTH="{_CLEARANCE}"></TD>')
        cells.append(f"<TD>{piece}</TD>")
    return _kept(f"{_BARE}<TR>{''.join(cells)}</TR></TABLE>", 0 if left else _FILLERS // 2, 2)


def _touching(first: str, second: str) -> bool:
    """Whether two pieces side by side are a matrix and a text with no space between."""
    if _is_table(first) == _is_table(second):
        return False
    text = html.unescape(re.sub(r"<[^>]*>", "", second if _is_table(first) else first))
    return bool(text) and not (text[0] if _is_table(first) else text[-1]).isspace()


def _html(lines: list[str]) -> str:
    return "<" + "<BR/>".join(lines) + ">"


def _spaced(label: str, matrix_first: bool = False) -> str:
    """An edge's label with room on either side: Graphviz sets the labels of edges that
    leave one node on one line, so without it they would read as one ("…max 0.18[0, …");
    more on the edge's side where the label begins with a matrix (`matrix_first`). Its lines
    of text start at one left edge: centred, a product's second line (`= [..]`, `frozen
    [0]: ...`) sat off from the first, as if it were another label."""
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
            f'<TD WIDTH="{_MATRIX_GAP if matrix_first else _EDGE_GAP[0]}"></TD>'
            f'<TD BALIGN="LEFT">{label[1:-1]}</TD>'
            f'<TD WIDTH="{_EDGE_GAP[1]}"></TD></TR></TABLE>>')


def _label_lines(label: str) -> list[str]:
    """The lines of text a reader sees in a label, its markup left out (a table's cells of
    one row on one line, spaced; an empty cell, a filler or a space, not)."""
    text = re.sub(r"<BR[^>]*>|</TR>", "\n", re.sub(r"<TD[^>]*></TD>", "", label))
    text = html.unescape(re.sub(r"</TD>", " ", re.sub(r"(?!</TD>)<[^>]*>", "", text)))
    return text.split("\n")


def plain(label: str) -> str:
    """An HTML-like label as the lines of text a reader sees (a table's cells spaced), a
    summary's range, which the label draws on a line of its own, back after its entries."""
    if label.startswith("<") and label.endswith(">"):
        label = label[1:-1]  # (the brackets around an HTML-like label)
    lines = (" ".join(line.replace("\\\\", "\\").split()) for line in _label_lines(label))
    text = "\n".join(line for line in lines if line)  # (a backslash is doubled in a label)
    return text.replace("…]\nmin ", "…] min ")


def _line_width(label: str) -> int:
    """The characters of a label's longest line: what a paragraph beside it may take
    without widening the page."""
    return max((len(line.strip()) for line in _label_lines(label)), default=0)


def _paragraph(notes: list[str], width: int) -> str:
    """Plain-text notes as one HTML-like label, each wrapped at `width` characters, its
    lines left-aligned (a graph's caption: as wide as the picture, not one long line)."""
    lines = [line for note in notes for line in textwrap.wrap(note, max(width, 20),
                                                              break_on_hyphens=False)]
    return "<" + "".join(_escape(line, 10**6) + '<BR ALIGN="LEFT"/>' for line in lines) + ">"


def _grad_origin(held: Any, passed: Any) -> str | None:
    """What a `.grad` unlike this pass's gradient holds, or None where they agree:
    "accumulated" when it is a whole multiple of it (this backward() run again, its
    gradients added up), "zeroed" when all 0, else "from other backward() calls" (a second
    derivative's `g.backward()` wrote x's .grad, not y's pass)."""
    if held is None or passed is None:
        return None
    held, passed = np.asarray(held), np.asarray(passed)
    if held.shape != passed.shape:
        return "from other backward() calls"
    if np.allclose(held, passed, equal_nan=True):
        return None
    if not np.any(held):
        return "zeroed"
    finite = np.isfinite(held) & np.isfinite(passed)  # (NaN or Inf: no ratio to read)
    scale = np.vdot(passed[finite], passed[finite]).real
    times = round(np.vdot(passed[finite], held[finite]).real / scale) if scale > 0 else 0
    if times >= 2 and np.allclose(held, times * passed, equal_nan=True):
        return "accumulated"
    return "from other backward() calls"
