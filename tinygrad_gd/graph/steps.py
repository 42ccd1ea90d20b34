"""The backward pass step by step: one self-contained HTML page, one frame per step.

`backward_steps(loss)` draws the backward view once per item the engine's pass
(`engine.backward`, the graph's own while it keeps its arrays: the user's hooks run in it,
as in backward()) yields: the tensor whose gradient is complete at that step is
highlighted, the edges bringing its gradient in are drawn in red, and every gradient the
pass has not reached yet is drawn in a colour the page hides, so all frames share one layout
and the leaves' `.grad` fill in as the frames go. The page has no external scripts,
styles or fonts (inline SVG from Graphviz); previous/next buttons, a slider, the Left/Right
arrow keys and Home/End move between frames, and each step scrolls its node into view
(with room under it for the edges it sends its gradient on); each caption is as tall as
the longest, so the picture stays in its place from step to step.
A frame fits the window's width, a wide network's drawn smaller, but never so small that
its smallest text reads under 11 px (`readable.py`: then it scrolls sideways); "full size"
(the button, or a click on the picture) draws it at its own size, scrolling sideways to the
step's node, and "fit to window" fits it again. A graph larger
than `max_nodes` is refused: its steps would highlight one folded box. In Jupyter the
returned object displays inline; where a notebook's HTML is sanitized (an untrusted
notebook: no script, style or SVG) it shows the last step as an image, and its mimebundle
carries that SVG too. `page_path`: the file a page is saved as (`.html` added where the path
has no suffix, any other suffix refused before anything is written).
"""
from __future__ import annotations

import base64
import html
import itertools
import json
import re
import secrets
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..files import atomic_write_bytes, check_replaceable
from ..tensor import Tensor
from .dot import _emit, _prepare, rendered
from .formats import PAGE_SUFFIXES, check_folder, file_path, format_of, make_folder
from .held import hook_said
from .labels import _HIDDEN, _Drawing
from .options import _Options
from .readable import readable_width
from .text import _array, _shown_whole
from .titles import op_name, ops_told_apart
from .unshown import RERUN, below_a_rerun, rerun_title
from .walk import _names

__all__ = ["backward_steps", "BackwardSteps", "page_path"]

_pages = itertools.count()  # each page's element ids differ from another's in one notebook,
_KERNEL = secrets.token_hex(4)  # and from those of pages an earlier kernel left in its outputs


def _page_id() -> str:
    return f"tgsteps-{_KERNEL}-{next(_pages)}"


class BackwardSteps:
    """The frames of one backward pass: `.html` (the page), `.save(path)`, `len()`.

    `frames` holds each frame's SVG text and `captions` what each step does, in words.
    """

    def __init__(self, frames: list[str], captions: list[str], title: str) -> None:
        self.frames, self.captions, self.title = frames, captions, title

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def html(self) -> str:
        """The whole page: a standalone HTML document (the arrow keys work anywhere in it)."""
        page = _page_id()
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{html.escape(self.title)}</title><style>{_style(page)}</style>"
                f"</head>\n<body>\n{self._fragment(page, standalone=True)}\n</body></html>\n")

    def _repr_html_(self) -> str:
        page = _page_id()
        return self._fragment(page, standalone=False, style=_style(page, box=True))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """The widget, and the last step's picture for what shows no HTML (an export to
        PDF or LaTeX, a front end that ranks SVG first)."""
        return {"text/html": self._repr_html_(), "image/svg+xml": _still(self.frames[-1])}

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (`.html` added when it has no suffix; another suffix,
        such as `.png`, is refused: the page is HTML); returns the path."""
        target = page_path(path, "BackwardSteps.save")
        check_folder(target, "BackwardSteps.save")
        make_folder(target, "BackwardSteps.save")
        atomic_write_bytes(target, self.html.encode("utf-8"), "backward_steps")
        return target

    def _fragment(self, page: str, standalone: bool, style: str = "") -> str:
        """The widget. Its markup shows the last step when no script runs; in a notebook,
        where a sanitizer strips the script, the style and the SVG (JupyterLab, for an
        untrusted notebook), the `hidden="hidden"` it keeps leaves one caption and one
        <img> of the last step, not every frame's labels as text. The script shows step 1."""
        last = len(self.frames) - 1
        still = base64.b64encode(_still(self.frames[-1]).encode()).decode()
        fallback = "" if standalone else (
            f'<img class="still" alt="{html.escape(self.captions[-1])}" '
            f'src="data:image/svg+xml;base64,{still}"><p class="still">(The last step. Run '
            f'the cell, or trust the notebook, to step through the backward pass.)</p>')
        frames = "\n".join(
            f'<div class="frame" data-step="{k}"{"" if k == last else _HIDE}>'
            f'<p class="caption">{html.escape(caption)}</p><div class="picture"{_HIDE}>'
            f'{_svg_only(svg, f"{page}-{k}-")}</div>{fallback if k == last else ""}'
            f'</div>'
            for k, (svg, caption) in enumerate(zip(self.frames, self.captions)))
        script = _SCRIPT.replace("PAGE", json.dumps(page)).replace(
            "STANDALONE", "true" if standalone else "false")
        return (f'<div id="{page}" class="backward-steps" tabindex="0">'
                f'{f"<style>{style}</style>" if style else ""}'
                f'<div class="controls"{_HIDE}><button type="button" class="prev">'
                f'&#8592; previous</button> <button type="button" class="next">next &#8594;'
                f'</button> <input type="range" class="slider" min="0" max="{last}" value="0" '
                f'aria-label="step"> <span class="counter">step 1 of {last + 1}</span> '
                f'<button type="button" class="size" aria-pressed="false">full size</button>'
                f'</div>\n'
                f"{frames}\n<script>{script}</script></div>")


# kept by JupyterLab's sanitizer, which drops an empty `hidden`; the style shows the pictures,
# the script the controls
_HIDE = ' hidden="hidden"'


def _style(page: str, box: bool = False) -> str:
    """The widget's style: the controls and the caption stay at the top of the window (of
    the widget's own scrolling `box` in a notebook, whose output area is no place for
    sticky elements) as the picture scrolls under them, every caption as tall as the
    tallest (`--caption`, the script's), so that the picture stays put from step to step;
    a picture fits the width, unless the reader asked for it full size (`full`), which
    scrolls sideways."""
    under = "background:var(--jp-layout-color0,white)"  # JupyterLab's (dark) theme
    return (f"#{page}{{font-family:sans-serif}}#{page}:focus{{outline:none}}"
            f"{f'#{page}{{max-height:75vh;overflow:auto}}' if box else ''}"
            f"#{page} .controls{{position:sticky;top:0;z-index:2;padding:0.5em 0;{under}}}"
            f"#{page} .caption{{position:sticky;top:var(--bar,0);z-index:1;margin:0;"
            f"padding-bottom:0.5em;font-weight:bold;box-sizing:border-box;"
            f"min-height:var(--caption,2.5em);{under}}}"
            f"#{page} .picture{{display:block;overflow-x:auto}}#{page} .still{{display:none}}"
            f"#{page} svg{{max-width:100%;height:auto;cursor:zoom-in}}"
            f"#{page}.full svg{{max-width:none;cursor:zoom-out}}"
            f"#{page} .picture.fits svg{{cursor:auto}}"
            f"#{page} svg text:not([font-family]){{font-family:{_FONT}}}"
            # hidden, not transparent: find-in-page (Ctrl+F) and copying skip a gradient
            # the pass has not reached
            f'#{page} [fill="{_HIDDEN}"],#{page} [stroke="{_HIDDEN}"]{{visibility:hidden}}')


_SCRIPT = """(function () {
  var root = document.getElementById(PAGE), bar = root.querySelector('.controls');
  var frames = root.querySelectorAll('.frame'), last = frames.length - 1, current = 0;
  var slider = root.querySelector('.slider'), counter = root.querySelector('.counter');
  var prev = root.querySelector('.prev'), next = root.querySelector('.next');
  var size = root.querySelector('.size');
  function fits() {  // the current frame's picture fits the width at its own size
    var picture = frames[current].querySelector('.picture'), svg = picture.querySelector('svg');
    return !svg || svg.width.baseVal.value <= Math.max(  // (or no smaller for readable text)
      picture.clientWidth, parseFloat(svg.style.minWidth) || 0) + 1;
  }
  function show(k, scroll) {
    var had = document.activeElement;
    current = Math.max(0, Math.min(last, k));
    for (var i = 0; i <= last; i++) { frames[i].hidden = i !== current; }
    slider.value = current;
    counter.textContent = 'step ' + (current + 1) + ' of ' + frames.length;
    root.setAttribute('data-current', current);
    prev.disabled = current === 0;
    next.disabled = current === last;
    if ((had === prev || had === next) && had.disabled) { root.focus({preventScroll: true}); }
    root.style.setProperty('--bar', bar.offsetHeight + 'px');
    size.disabled = fits();  // (nothing to enlarge)
    frames[current].querySelector('.picture').classList.toggle('fits', size.disabled);
    var node = frames[current].querySelector('.step');
    if (scroll && node) {  // below the controls and the caption that stay on top,
      // with room under it for the edges taking its gradient on
      var top = bar.offsetHeight + frames[current].querySelector('.caption').offsetHeight;
      var room = (STANDALONE ? window.innerHeight : root.clientHeight) - top;
      node.style.scrollMarginTop = top + 8 + 'px';
      node.style.scrollMarginBottom = Math.max(0, Math.min(
        room / 3, room - node.getBoundingClientRect().height - 16)) + 'px';
      node.scrollIntoView({block: 'nearest', inline: 'nearest'});
    }
  }
  prev.addEventListener('click', function () { show(current - 1, true); });
  next.addEventListener('click', function () { show(current + 1, true); });
  slider.addEventListener('input', function () { show(parseInt(slider.value, 10), true); });
  // Up/Down scroll the page (in a notebook, where they would leave the widget for the next
  // cell, they step too); Home/End step on a page just opened, as the arrows do (the page is
  // the widget); a key with Alt, Ctrl, Meta or Shift is the browser's
  function key(event) {
    var name = event.key;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    if (name === 'ArrowRight' || (name === 'ArrowDown' && !STANDALONE)) { show(current + 1, true); }
    else if (name === 'ArrowLeft' || (name === 'ArrowUp' && !STANDALONE)) {
      show(current - 1, true);
    }
    else if (name === 'Home') { show(0, true); }
    else if (name === 'End') { show(last, true); }
    else { return; }
    event.preventDefault();
  }
  (STANDALONE ? document : root).addEventListener('keydown', key);
  bar.hidden = false;
  // every caption as tall as the tallest at this width: a longer one moved the picture down
  var ruler = document.createElement('p');
  ruler.className = 'caption';
  ruler.setAttribute('aria-hidden', 'true');
  ruler.style.cssText = 'position:absolute;visibility:hidden;min-height:0';
  function captions() {
    root.style.removeProperty('--caption');
    ruler.style.width = frames[current].querySelector('.caption').offsetWidth + 'px';
    root.appendChild(ruler);
    var tallest = 0;
    for (var i = 0; i <= last; i++) {
      ruler.textContent = frames[i].querySelector('.caption').textContent;
      tallest = Math.max(tallest, ruler.offsetHeight);
    }
    root.removeChild(ruler);
    root.style.setProperty('--caption', tallest + 'px');
  }
  show(0, false);
  // measured again when the widget's width changes (a window, a notebook's side panel) or
  // a widget drawn hidden (a collapsed output) is shown; an observer goes with the widget
  // when a cell's output is replaced (a window listener kept it). It watches the controls,
  // as wide as the captions: the widget's own height changes with theirs, a loop of resizes
  var measured = 0;
  function measure() {
    var width = bar.offsetWidth;
    if (width && width !== measured) { measured = width; captions(); }  // (hidden: 2.5em)
  }
  measure();
  if (window.ResizeObserver) { new ResizeObserver(measure).observe(bar); }
  // the step's node scrolled into its picture sideways (a wide graph's output sits far
  // right), the page itself not moved: a notebook stays where its reader is
  function centre() {
    var node = frames[current].querySelector('.step');
    var picture = frames[current].querySelector('.picture');
    if (!node || !picture) { return; }
    var at = node.getBoundingClientRect(), view = picture.getBoundingClientRect();
    if (at.left < view.left || at.right > view.right) {
      picture.scrollLeft += at.left - view.left - (view.width - at.width) / 2;
    }
  }
  function resize(full) {  // full size, or fit to the window's width
    root.classList.toggle('full', full);
    size.textContent = full ? 'fit to window' : 'full size';
    size.setAttribute('aria-pressed', full ? 'true' : 'false');
    show(current, true);
    centre();
  }
  size.addEventListener('click', function () { resize(!root.classList.contains('full')); });
  for (var k = 0; k <= last; k++) {
    frames[k].querySelector('.picture').addEventListener('click', function () {
      if (!size.disabled) { resize(!root.classList.contains('full')); }
    });
  }
  centre();
})();"""


def page_path(path: str | Path, what: str) -> Path:
    """`path` for the HTML page: `.html` added when it has no suffix, `.html`/`.htm` kept,
    any other suffix refused before anything is written (not HTML in a file named .png);
    `~` expanded as a shell does; a folder refused, `out/` too (not written out.html)."""
    target = check_replaceable(file_path(path, what, "steps.html"), what,
                               example="steps.html")  # not /dev/null.html
    suffix = target.suffix.lower()
    if not suffix:
        return target.with_suffix(".html")
    if suffix not in PAGE_SUFFIXES:
        picture = (f" (render_graph draws one view as {suffix[1:]})" if format_of(suffix)
                   else "")
        raise ValueError(f"{what}: the backward steps are an HTML page, but {str(target)!r} "
                         f"names a {suffix} file; give the path the suffix .html{picture}")
    return target


def _svg_only(svg: str, prefix: str) -> str:
    """Graphviz's SVG without its XML declaration and doctype, to sit inside HTML, its
    element ids (graph0, node1...) given `prefix`: every frame has them, and one page's
    ids must differ from another's. What every text of every frame repeats is said once
    (the same pixels): the font, in the page's style (`_FONT`), and no `text-anchor`
    of `start`, SVG's default; Graphviz's comments (the nodes' names) go."""
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    svg = re.sub(r"<!--[^>]*-->\n", "", svg).replace(f' font-family="{_FONT}"', "")
    svg = svg.replace(' text-anchor="start"', "")
    narrowest = readable_width(svg)  # (the style's max-width:100% shrinks it no further)
    if narrowest:
        svg = svg.replace("<svg ", f'<svg style="min-width:{narrowest:.0f}px" ', 1)
    return re.sub(r'(\bid="|url\(#|href="#)', lambda m: m[1] + prefix, svg)


_FONT = "Helvetica,sans-Serif"  # what Graphviz writes for the diagrams' fontname Helvetica


def _still(svg: str) -> str:
    """One frame as a picture on its own (an <img>, an SVG output): what the page's style
    hides (gradients not reached yet) hidden by the SVG's own attributes."""
    return re.sub(rf'\b(fill|stroke)="{_HIDDEN}"', rf'\1="{_HIDDEN}" \1-opacity="0"', svg)


def _marked(svg: str, unit: str) -> str:
    """`svg` with the step's node (its Graphviz name `unit`) given the class `step`: the
    page scrolls it into view."""
    def mark(m: re.Match) -> str:
        return m[0].replace('class="node"', 'class="node step"', 1) \
            if html.unescape(m[1]) == unit else m[0]
    return re.sub(r'<g id="[^"]*" class="node">\s*<title>([^<]*)</title>', mark, svg)


def backward_steps(output: Tensor, path: str | Path | None = None, **draw_options: Any
                   ) -> BackwardSteps:
    """The backward pass of `output` (a scalar, e.g. the loss) step by step, as an HTML page.

    One frame per step of the engine's pass, drawn with `draw_graph(output,
    mode="backward", **draw_options)`, module calls open unless `open_modules=False`
    (each step's node is drawn); with `path`, the page is also written there. A graph
    larger than `max_nodes` is refused (its steps would highlight one folded box):
    `max_nodes=None` draws every node in every frame.
    Works before or after `backward()` (the ops run again when it freed their arrays)
    and changes no `.grad`. It shows what backward() does, hooks included: while the graph
    keeps its saved arrays, its pass is the graph's own, so each gradient hook of the
    user's (`register_hook`, `freeze_`'s, a node's, a module's backward hooks) runs once,
    as in backward(), and a caption says where one changed a gradient; after a plain
    backward() the ops run again with no hook (`draw_graph` calls none). Needs Graphviz's
    `dot` program (`RenderError` says how to get it). In Jupyter the result displays
    inline; `.html` is the page's text.
    """
    if path is not None:  # a wrong suffix or folder is refused before any drawing
        check_folder(page_path(path, "backward_steps"), "backward_steps")
    if not isinstance(output, Tensor):
        raise TypeError(f"backward_steps: output must be a Tensor (the loss whose backward "
                        f"pass to show), got {type(output).__name__}")
    draw_options = dict(draw_options)
    mode = draw_options.pop("mode", "backward")
    if mode != "backward":
        raise ValueError(f"backward_steps: shows the backward view only, got mode={mode!r}")
    params, model = draw_options.pop("params", None), draw_options.pop("model", None)
    highlight = draw_options.pop("highlight", None)
    # module calls drawn open unless asked: a step completing a parameter's gradient inside
    # a folded box would look like the step before it
    draw_options.setdefault("open_modules", True)
    options = _Options.checked("backward_steps", mode="backward", **draw_options)
    # every node drawn (module calls and max_nodes aside): each frame's step is one node's
    # the page shows what backward() does, hooks too: its pass is the graph's own while the
    # graph keeps its arrays (a drawing's calls no hook: walk._gradients)
    drawing = _prepare([output], None, options, _names(params, model), highlight,
                       structure=False, hooked=True)
    if not drawing.grads.order:
        reason = ((output._ctx is not None and drawing.grads.note)  # no graph: said here
                  or "the output was made by no op that needs a gradient")
        raise ValueError(f"backward_steps: there is no backward pass to show ({reason}); "
                         f"pass the scalar loss of a graph with parameters")
    if "rest" in drawing.layout.boxes:  # past max_nodes: steps in one box, no leaf drawn
        count = len(drawing.grads.order)
        folded = sum(drawing.layout.tensor_unit[i] == "rest" for i in drawing.grads.order)
        raise ValueError(f"backward_steps: the graph has {drawing.node_total()} nodes, more than "
                         f"max_nodes={options.max_nodes}, so {folded} of its {count} steps "
                         f"would highlight one folded box; pass max_nodes=None to draw every "
                         f"node in each of the {count} frames (a large page), or show the "
                         f"backward pass of a smaller graph")
    frames, captions = [], []
    asked = set(drawing.highlighted)  # `highlight=`: marked in every frame, beside the step's
    for step, i in enumerate(drawing.grads.order):
        drawing.step = step
        unit = drawing.layout.tensor_unit[i] or drawing.layout.op_unit[i]
        drawing.highlighted = asked | {unit}
        svg = rendered(_emit(drawing), "svg", "backward_steps", _NO_DOT)
        frames.append(_marked(svg.decode("utf-8"), unit))
        captions.append(_caption(drawing, step, i))
    steps = BackwardSteps(frames, captions, "The backward pass step by step")
    if path is not None:
        steps.save(path)
    return steps


# what a user without Graphviz can have instead of the page: its frames are dot's pictures
_NO_DOT = ("Each frame of the page is a picture `dot` draws; without it, the backward view's "
           "DOT text needs no Graphviz program: draw_graph(output, mode='backward').source, "
           "or render_graph(output, 'backward.gv', mode='backward').")


def _caption(drawing: _Drawing, step: int, i: int) -> str:
    """What step `step` does, in words: whose gradient is complete (the sum of what its
    uses sent, when several did; what its hook, which the page did not run, sent on in
    backward()), what its op sends on. An array whose entries would not fit in a few words
    is named by its shape: they are on the picture's red box and edges."""
    graph, grads = drawing.graph, drawing.grads
    precision = drawing.options.precision
    name = drawing.name(i)[0]
    grad, rerun = grads.tensor[i], below_a_rerun(graph, grads.stale).get(i)
    text = (f"Step {step + 1} of {len(grads.order)}: the gradient of {name} "
            f"{'is complete' if rerun is None else 'from the ops drawn is'}: "
            f"{_said(grad, precision) if grad is not None else 'not shown'}")
    if step == 0:
        text += (" (the seed: d output / d output)" if grad is None or np.all(grad == 1) else
                 " (the seed, d output / d output, is 1: a hook changed it)")
    elif grad is not None:
        text += _sum_of_uses(drawing, i, grad)
    said = hook_said(drawing, i)  # (the ops run again without it)
    if said is not None:
        told = said.words if said.sent is None else said.words + _said(said.sent, precision)
        text += f" ({told}; this page does not run it again)"
    if rerun is not None:  # (a checkpoint above: its rerun, which comes later, adds more)
        text += (f"; backward() adds more when it runs "
                 f"{rerun_title(graph.tensors[rerun]._ctx)} again")
    node = graph.tensors[i]._ctx
    if node is None:
        text += "; a leaf: backward() adds it to .grad" if graph.tensors[i].requires_grad \
            else ""
        return text
    if grads.stale.get(i) == RERUN:  # (a checkpoint: the pass drawn stops here)
        return (f"{text}; at {op_name(node)}, backward() runs {rerun_title(node)} again, "
                f"which this page does not do: the gradients below it are not drawn")
    sent = _added_up((graph.parents[i][slot], g)  # by input: h * h sends h one gradient
                     for (op, slot), g in grads.edge.items() if op == i)
    if sent:
        parts = ", ".join(f"{_said(g, precision)} to {drawing.name(p)[0]}"
                          for p, g in sent.items())
        text += f"; {op_name(node)}'s backward sends {parts}"
    return text


_CAPTION_WIDTH = 30  # characters: a longer array (a matrix, a row elided) makes a caption
# of several lines, whose numbers the reader finds on the picture in any case


def _said(a: Any, precision: int) -> str:
    """An array as a caption says it: as the picture writes it where that is short and
    whole (`_written`), else its shape."""
    written = _written(a, precision)
    return written if written is not None else f"a {np.shape(a)} array"


def _written(a: Any, precision: int) -> str | None:
    """An array as the picture writes it (`[10, 10]`, `all 0.025 (4, 10)`) where that is
    short and whole; else None."""
    a = np.asarray(a)
    text = _array(a, precision)
    return text if len(text) <= _CAPTION_WIDTH and _shown_whole(a) else None


def _added_up(pairs: Iterable[tuple[int, np.ndarray]]) -> dict[int, np.ndarray]:
    """The gradients of `(key, gradient)` pairs added up by key, in the order the keys come:
    the order the engine adds them in."""
    total: dict[int, np.ndarray] = {}
    for key, g in pairs:
        total[key] = total[key] + g if key in total else np.asarray(g)
    return total


def _sum_of_uses(drawing: _Drawing, i: int, grad: np.ndarray) -> str:
    """`= 1 from add + 12 from mul` when several ops sent tensor i a gradient (what each
    sent, by op, added up), `, the sum of what add and mul sent` for larger arrays. Where a
    hook changed the gradient (the engine runs hooks on the sum, and a module's backward
    hook on what its ops sent), what the ops sent, in those words (`, not 4 from mul`), and
    that a hook changed it."""
    graph, precision = drawing.graph, drawing.options.precision
    sent = _added_up((op, g) for (op, slot), g in drawing.grads.edge.items()
                     if graph.parents[op][slot] == i)  # (h * h sends h one gradient)
    if not sent:
        return ""
    ops = ops_told_apart(drawing, i, list(sent))
    names = f"{', '.join(ops[:-1])} and {ops[-1]}" if len(ops) > 1 else ops[0]
    said = [_said(g, precision) for g in sent.values()]
    shown = all(_written(g, precision) is not None for g in sent.values())
    terms = " + ".join(f"{text} from {op}" for op, text in zip(ops, said))
    with np.errstate(invalid="ignore", over="ignore"):  # (inf + -inf, 1e308 + 1e308: the
        total = sum(sent.values())  # engine's own sum is as infinite; said, not warned of)
        adds_up = _adds_up(list(sent.values()), total, grad)
    if adds_up:
        return "" if len(sent) < 2 else f" = {terms}" if shown \
            else f", the sum of what {names} sent"
    if len(sent) == 1:
        what = terms if shown else f"what {names} sent"
    elif shown and (whole := _written(total, precision)) is not None:
        what = f"{whole} = {terms}"
    else:
        what = f"the sum of what {names} sent"
    return f", not {what}: a hook changed it"


def _adds_up(parts: list[np.ndarray], total: np.ndarray, grad: np.ndarray) -> bool:
    """Whether `grad` is `total`, the sum of `parts`, up to the rounding of adding them in
    another order (the engine adds what a module's hidden nodes pass on when they run)."""
    dtype = np.asarray(grad).dtype
    eps = np.finfo(dtype if np.issubdtype(dtype, np.inexact) else np.float64).eps
    slack = len(parts) * eps * sum(map(np.abs, parts))
    same = (total == grad) | (np.isnan(total) & np.isnan(grad)) | (  # (inf - inf: an infinite
        np.isfinite(total) & (np.abs(total - grad) <= slack))  # total is judged by `==`)
    return bool(np.all(same))
