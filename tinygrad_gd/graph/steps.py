"""The backward pass step by step: one self-contained HTML page, one frame per step.

`backward_steps(loss)` draws the backward view once per item the engine's pass
(`engine.backward`) yields: the tensor whose gradient is complete at that step is
highlighted, the edges bringing its gradient in are drawn in red, and every gradient the
pass has not reached yet is drawn in a colour the page hides, so all frames share one layout
and the leaves' `.grad` fill in as the frames go. The page has no external scripts,
styles or fonts (inline SVG from Graphviz); previous/next buttons, a slider and the arrow
keys move between frames. In Jupyter the returned object displays inline.
"""
from __future__ import annotations

import html
import itertools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..files import atomic_write_bytes, check_replaceable
from ..tensor import Tensor
from .dot import _emit, _pipe, _prepare
from .formats import PAGE_SUFFIXES, check_folder, file_path, format_of, make_folder
from .labels import _HIDDEN, _Drawing, _Options
from .text import _array
from .walk import _names

__all__ = ["backward_steps", "BackwardSteps", "page_path"]

_pages = itertools.count()  # each page's element ids differ from another's in one notebook


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
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                f"<title>{html.escape(self.title)}</title></head>\n<body>\n"
                f"{self._fragment(standalone=True)}\n</body></html>\n")

    def _repr_html_(self) -> str:
        return self._fragment(standalone=False)

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (`.html` added when it has no suffix; another suffix,
        such as `.png`, is refused: the page is HTML); returns the path."""
        target = page_path(path, "BackwardSteps.save")
        check_folder(target, "BackwardSteps.save")
        make_folder(target, "BackwardSteps.save")
        atomic_write_bytes(target, self.html.encode("utf-8"), "backward_steps")
        return target

    def _fragment(self, standalone: bool) -> str:
        page = f"tgsteps{next(_pages)}"
        frames = "\n".join(
            f'<div class="frame" data-step="{k}"{"" if k == 0 else " hidden"}>'
            f'<p class="caption">{html.escape(caption)}</p>{_svg_only(svg, f"{page}-{k}-")}'
            f'</div>'
            for k, (svg, caption) in enumerate(zip(self.frames, self.captions)))
        last = len(self.frames) - 1
        style = (f"#{page}{{font-family:sans-serif}}#{page} .controls{{margin:0.5em 0}}"
                 f"#{page} .caption{{font-weight:bold;min-height:2.5em}}"
                 f"#{page} svg{{max-width:100%;height:auto}}#{page}:focus{{outline:none}}"
                 f'#{page} [fill="{_HIDDEN}"]{{fill-opacity:0}}'
                 f'#{page} [stroke="{_HIDDEN}"]{{stroke-opacity:0}}')
        script = _SCRIPT.replace("PAGE", json.dumps(page)).replace(
            "STANDALONE", "true" if standalone else "false")
        return (f'<div id="{page}" class="backward-steps" tabindex="0"><style>{style}</style>'
                f'<div class="controls"><button type="button" class="prev">&#8592; previous'
                f'</button> <button type="button" class="next">next &#8594;</button> '
                f'<input type="range" class="slider" min="0" max="{last}" value="0"> '
                f'<span class="counter">step 1 of {last + 1}</span></div>\n{frames}\n'
                f"<script>{script}</script></div>")


_SCRIPT = """(function () {
  var root = document.getElementById(PAGE);
  var frames = root.querySelectorAll('.frame');
  var slider = root.querySelector('.slider'), counter = root.querySelector('.counter');
  var current = 0;
  function show(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = i !== current; }
    slider.value = current;
    counter.textContent = 'step ' + (current + 1) + ' of ' + frames.length;
    root.setAttribute('data-current', current);
  }
  root.querySelector('.prev').addEventListener('click', function () { show(current - 1); });
  root.querySelector('.next').addEventListener('click', function () { show(current + 1); });
  slider.addEventListener('input', function () { show(parseInt(slider.value, 10)); });
  function key(event) {
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') { show(current + 1); }
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') { show(current - 1); }
    else { return; }
    event.preventDefault();
  }
  (STANDALONE ? document : root).addEventListener('keydown', key);
  show(0);
})();"""


def page_path(path: str | Path, what: str) -> Path:
    """`path` for the HTML page: `.html` added when it has no suffix, `.html`/`.htm` kept,
    any other suffix refused before anything is written (not HTML in a file named .png);
    `~` expanded as a shell does."""
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
    ids must differ from another's."""
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    return re.sub(r'(\bid="|url\(#|href="#)', lambda m: m[1] + prefix, svg)


def backward_steps(output: Tensor, path: str | Path | None = None, **draw_options: Any
                   ) -> BackwardSteps:
    """The backward pass of `output` (a scalar, e.g. the loss) step by step, as an HTML page.

    One frame per step of the engine's pass, drawn with `draw_graph(output,
    mode="backward", **draw_options)`; with `path`, the page is also written there.
    Works before or after `backward()` (the ops run again when it freed their arrays)
    and changes no `.grad`. Needs Graphviz's `dot` program (`RenderError` says how to get
    it). In Jupyter the result displays inline; `.html` is the page's text.
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
    options = _Options.checked("backward_steps", mode="backward", **draw_options)
    # every node drawn (module calls and max_nodes aside): each frame's step is one node's
    drawing = _prepare([output], None, options, _names(params, model), highlight,
                       structure=False)
    if not drawing.grads.order:
        reason = drawing.grads.note or "the output was made by no op that needs a gradient"
        raise ValueError(f"backward_steps: there is no backward pass to show ({reason}); "
                         f"pass the scalar loss of a graph with parameters")
    frames, captions = [], []
    asked = set(drawing.highlighted)  # `highlight=`: marked in every frame, beside the step's
    for step, i in enumerate(drawing.grads.order):
        drawing.step = step
        drawing.highlighted = asked | {drawing.layout.tensor_unit[i] or drawing.layout.op_unit[i]}
        frames.append(_pipe(_emit(drawing), "svg", "backward_steps").decode("utf-8"))
        captions.append(_caption(drawing, step, i))
    steps = BackwardSteps(frames, captions, "The backward pass step by step")
    if path is not None:
        steps.save(path)
    return steps


def _caption(drawing: _Drawing, step: int, i: int) -> str:
    """What step `step` does, in words: whose gradient is complete, what its op sends on."""
    graph, grads = drawing.graph, drawing.grads
    precision = drawing.options.precision
    name = drawing.name(i)[0]
    grad = grads.tensor[i]
    text = (f"Step {step + 1} of {len(grads.order)}: the gradient of {name} is complete: "
            f"{_array(grad, precision) if grad is not None else 'not shown'}")
    if step == 0:
        text += " (the seed: d output / d output)"
    node = graph.tensors[i]._ctx
    if node is None:
        text += "; a leaf: backward() stores it in .grad" if graph.tensors[i].requires_grad \
            else ""
        return text
    sent = [(graph.parents[i][slot], g) for (op, slot), g in grads.edge.items() if op == i]
    if sent:
        parts = ", ".join(f"{_array(np.asarray(g), precision)} to {drawing.name(p)[0]}"
                          for p, g in sent)
        text += f"; {node.name}'s backward sends {parts}"
    return text
