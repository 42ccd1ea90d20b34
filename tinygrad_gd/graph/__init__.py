"""Computation graphs drawn with Graphviz: `draw_graph`, `render_graph`, `draw_anomaly`.

`draw_graph(output)` returns a `graphviz.Digraph` of everything that made `output`:
tensor nodes (name, shape, dtype, value, gradient) and op nodes (the op's name). In
Jupyter it displays inline; `.source` is the DOT text, `.render(...)` writes a file.
`render_graph(output_or_digraph, path)` renders with a clear error when Graphviz's `dot`
program is missing. `draw_anomaly(error_or_output)` highlights where NaN or Inf appeared.

Two views:

* `mode="forward"`: edges run as the data flows, inputs to output.
* `mode="backward"`: edges run from the output (the loss) back to the parameters. Each
  edge carries the gradient that flows along it; each op node shows its local derivative
  with respect to each input, and an edge out of an op whose output is a scalar reads
  `upstream x local = carried`, so the chain rule's product for a weight can be read off
  the picture (the course slides' weight: -8 x 3 = -24).

How gradients are found (the engine knows nothing of drawing, and this module knows no
particular op):

* A tensor's gradient is its `.grad` when `backward()` stored one (leaves, and tensors
  that called `retain_grad()`); otherwise the renderer computes d output / d tensor itself
  by calling each node's `backward` on arrays, output to inputs, while the graph's saved
  arrays still exist (draw before `backward()`, or after `backward(retain_graph=True)`).
  This re-run changes no `.grad` and runs no hooks, so an edge shows the gradient before
  any hook changed it. It needs a scalar output (a loss).
* An op's local derivative with respect to an input is its `backward` applied to a
  gradient of ones: exact when the op's output is a scalar; for a non-scalar output it is
  shown only for elementwise ops (the built-in ones by name, or a user's `Function`
  subclass with the class attribute `elementwise = True`), as one derivative per output
  element. Other ops (matmul, softmax, reductions) have a full Jacobian: not shown.

Big graphs stay readable: beyond `max_nodes` drawn nodes, module calls (the `scope` of
each op node, innermost modules first) fold into one box each; if that is still too many,
the nodes farthest from the output fold into one "more nodes" box. Every fold states how
many nodes it holds. Node ids number the nodes in a deterministic traversal, so the same
computation gives byte-identical DOT. Every piece of user text goes into HTML-like labels
with escaping, so no name can break or inject into the DOT source.

The package, by job: `walk.py` (collecting the tensors, gradients from the engine's
backward pass, folding module calls), `labels.py` (the text of nodes and edges, number
formatting, styles), `dot.py` (building the Digraph, rendering, `draw_anomaly`).
"""
from __future__ import annotations

from typing import Any

import graphviz

from ..tensor import Tensor
from .dot import RenderError, draw_anomaly, draw_graph, render_graph

__all__ = ["draw_graph", "render_graph", "draw_anomaly", "RenderError"]


def _draw_method(self: Tensor, **options: Any) -> graphviz.Digraph:
    """Draw the graph that made this tensor: `tg.draw_graph(self, **options)`."""
    return draw_graph(self, **options)


Tensor.draw = _draw_method  # the drawing joins Tensor from above: tensor.py imports nothing of it
