"""Computation graphs drawn with Graphviz: `draw_graph`, `render_graph`, `draw_anomaly`.

`draw_graph(output)` returns a `graphviz.Digraph` of everything that made `output`:
tensor nodes (name, shape, dtype, value, gradient) and op nodes (the op's name). In
Jupyter it displays inline (without Graphviz's `dot`: the one line `render_graph` raises,
saying what to install); `.source` is the DOT text. `render_graph(output_or_digraph, path)`
writes a file (graphviz's own `.render("loss.png")` would write the DOT text into loss.png
and the picture beside it, loss.png.pdf), in the format the path's suffix names
(`loss.png`, `loss.pdf`, any of Graphviz's formats; `loss.dot` or `loss.gv` the DOT text,
which needs no Graphviz program), refusing any other suffix (`.txt`, `.html`) before
anything is written, with a clear error when Graphviz's `dot` program is missing for a
picture; the command line's `graph -o PATH` reads suffixes the same way.
`draw_anomaly(error_or_output)` highlights where NaN or Inf appeared.

Diagrams fit a page: top to bottom by default (`direction="LR"` for left to right),
labels say name, value and gradient (the shape unless a scalar, the dtype unless
float64, every node's in a graph of several float dtypes), an op is named as it was
written (`x.unsqueeze(0)`: `unsqueeze`,
`tg.expand_dims(x, 0)`: `expand_dims`, `x.view(...)`: `view`), an unnamed one-number
constant sits in its op's label (`× 3`, `** 2`, `- 10`; `constants=True` draws it as a
node), a reduction over one axis says so (`sum over axis
1`: its backward edge reads `[1, 2, 3] copied along axis 1 (the columns)`), arrays of up
to 12 entries show whole (a matrix of up to 4 rows as a table; a long line wraps, and a
product too wide for a page puts each factor on a line of its own), larger ones their
first entries and range, 4 or more equal entries as `all 0.125 (8,)` (with the shape, as
a title writes it; a matrix with no entries `empty (0, 3)`). A number is never shown
rounder than it is (a tanh of 0.99999999 is not "1"). Cross-entropy's class indices,
which no gradient reaches, are drawn as the `target` input of its op (a drawn node,
counted as one). With `model=`, its buffers are named as its parameters are
(`1.running_mean`, drawn as the model's state, not data; a leaf holding a whole buffer's
values, batch_norm's reshaped running mean, too; a value computed from one,
sqrt(running_var + eps), by the name batch_norm gives it). A leaf an op made of constants
only says so (`div of constants`), unless the function that made it named it (`1 -
value`, `weight[target]`), or it is part of a buffer's values (`self.scale[:2]`: `getitem
of scale`, drawn as the model's state). A large graph built by `nn` modules shows one box per module
call, titled with the module's name in the model (as `named_modules()` gives it), its
class and for a Linear its features in and out (`0: Linear(784 -> 128)`: the Sequential's
layer 0; `open_modules=True` opens them); an op after a box names its result as the box
does (`∂/∂(4: Linear(64 -> 10) result)`), and so does a drawing of the calls opened (a
small network's two `linear` results are `0: Linear(3 -> 4) result` and `2: Linear(4 ->
2) result`, the same module's calls numbered), each call opened drawn in a dashed frame
titled with it (its title a text node beside the frame's first node, which no edge runs
over), nested as the calls are (where no call is folded); the several results of one
folded call are numbered (an LSTM's `LSTM result #1`, `#2`, `#3`). A public function
made of several ops (the `*_copy` functions, `svd_lowrank`, `pca_lowrank`,
`F.linear_cross_entropy`, `F.nll_loss`, `nn.utils.rnn`'s packing and padding, `tg.masked`'s
functions, `tg.nansum`, `nanmean`, `median`, `kthvalue`, `cummax`, `addcmul`, `kron`, `cdist`
and kin: `scope.drawn_as_call`)
is drawn as its call, as a module's is: a frame `permute_copy()` around its ops, or one
box `svd_lowrank()` (`function call: 30 nodes`), its result `svd_lowrank() result`;
called by a module or function of the package, it draws only that one, the user's call.
The data a call was given is named as the argument it was passed as (MSELoss's `target`,
a user's `forward(x, mask)`'s `x` and `mask`, by position or keyword: the call records
what it was given, `calls._argument_names` binds it to the forward's signature).
A plain tensor that requires a gradient beside a model's Parameters is drawn as an
input (data being optimised, FGSM's image). A mask's fill, a `where` that put a
constant NaN or inf where a mask leaves entries out (tg.masked.median's, amin's), is
not marked as NaN or Inf while the output is finite; a constant a function filled with
NaN on purpose (tg.masked.mean's count over a slice the mask leaves out whole:
`scope.nan_on_purpose`) says so, `NaN where the mask keeps no entry`, not marked, and so
does the op's result whose NaN are exactly those while the output is finite. A constant
a declared function's ops used that it was not given (made inside) folds into its box,
drawn open as `constant in _forward_alg()`, inside its frame (as one a module's forward
made with `tg.full` or `tg.zeros`: `constant in 0: Scaled`); a parameter, the data and
a constant used outside the call too stay outside, its inputs. masked.log_softmax's -inf
(log 0 at an entry left out) beside its NaN of a row left out whole is a mask's -inf:
the NaN say what they are while the output is finite. The NaN in data a learner gives
`tg.nansum` (its point) read `NaN left out by nansum()`, not marked, where only that call
uses the data and none of its results holds a NaN.

Two views:

* `mode="forward"`: edges run as the data flows, inputs to output.
* `mode="backward"`: edges run from the output (the loss) back to the parameters. Each
  edge carries the gradient that flows along it as the chain rule's product that makes
  it: `upstream × local = carried`, the local derivative in its textbook form where the op
  has one (the slides' `1 × 2 × (-4) = -8`, then -8 × 3 = -24; elementwise ops
  entry by entry, the book's `delta × input`), matmul's outer product `delta ⊗ input`
  of one sample, `nn.Linear`'s `deltaᵀ @ input` for a batch and its bias's sum over the
  batch, a sum's copy of its gradient to each entry, the sum over the axes a broadcast
  input was copied along. Each product is checked against what the engine's pass sent;
  where it cannot be, or its factors are too big to write out, the gradient alone.

How gradients are found (the engine knows nothing of drawing): from the engine's own
pass, `engine.backward(output, seed, retain_graph=True)`, whose every step is recorded;
it writes no `.grad` and calls no hook of the user's (`register_hook`, `freeze_`'s, a
node's, a module's backward hooks): it runs on the graph's twin (`twin.py`), fresh
tensors carrying no hook whose nodes are copies sharing the saved arrays (a random op
keeps what it drew) while the graph keeps them; a user's op whose arrays
`saved_tensors_hooks` packed is copied too, its unpack hook called once a drawing (its
forward does not run again), and no pack hook runs. After a plain `backward()` freed them,
the ops run again, under the engine, on the values the graph keeps (each node's inputs),
whose pass gives the same gradients: a drawing reads the same with or without
`retain_graph=True`, random ops apart (run again, one that saved its draw draws anew:
it says so, its factors not shown) and a hook's change to a gradient shown as `.grad`
apart. An op whose input was changed in place since it ran (an update after
`backward()`: `w.data -= lr * w.grad.data`) says so instead of drawing a wrong factor,
and so does the changed tensor (showing its `.grad`, the weight_delta backward() gave);
the ops after it keep their factors, drawn from the values the forward pass computed (the
numbers in their nodes), and a note under the picture says that those are from before the
change. Two inputs of one op that would show the same name (`a * b`, both "parameter") are
numbered (`parameter #1`, `parameter #2`), and so are drawn results and leaves whose
titles the drawing gave would be alike (two `parameter` nodes of different ops; a model's
unnamed input and target, `input #1` and `#2`, so that a weight's product names one;
`linear result #1`, `#2`, from the inputs towards the output: each after those it is made
from, two side by side as the output's expression reaches them, `b.sum() + a.sum()`
numbering `b`'s first, not as they were computed; counted over every result of the graph,
drawn or folded, so that a tensor has one number in every view of it; one of a kind in the
graph stays unnumbered), in every place the title appears: node, tooltip, an op's `∂/∂`, a
product, a step's caption, a hook's cause. The forward view, which shows no factors, says
only which values changed since the forward pass used them. A checkpoint's backward
(`tg.utils.checkpoint`) runs the user's function again, which a drawing does not do: the
gradients above it are drawn, its node says `backward() runs f again:` / `gradients below
not drawn`, the tensors below it show the `.grad` backward() left, and a note says why.

Big graphs stay readable: module calls (the `scope` of each op node, innermost modules
first) fold into one box each in a graph of more than 20 drawn nodes, or of more than 30
where the parameters hold at most 100 numbers (a small network, such as a textbook's two
hidden layers of 4, shows every weight and its gradient); a graph still larger than 40
drawn nodes folds its structure (`folds.py`): a long run of adds (Python's `sum()`) is one
"sum of N terms" node, many alike inputs of one node keep the first two and the last
drawn and fold the others into one box naming their parameters with their values and
gradients (many alike module calls, boxes of one module with the same ops inside, fold
so in a graph of any size, the box saying `27 calls of CrossEntropyLoss`), an op joining
two or more results each made by 10 or more nodes of their own (the Bi-LSTM CRF
tutorial's `forward_score - gold_score`) draws each making as one box titled by the input
it makes (`input 1 of sub`) with the result's value and gradient, and the middle
of a long chain folds into one box listing its ops (and what it holds many times over:
`10 × the same 16 ops`, a loop's steps), the parameters, the output and the
nodes next to them staying drawn (`max_nodes=None` draws every node but the module boxes,
which `open_modules=True` opens; the step-by-step page applies none of these folds).
Beyond `max_nodes` after that, the nodes farthest from the output fold into one "more
nodes" box.

Gradients on the nodes: the forward view shows `.grad` exactly as it is (`.grad None` on a
parameter before `backward()`; one unlike this output's own gradient beside it, said to be
`accumulated` where a whole multiple of it, `from other backward() calls` where not, as a
second derivative's `g.backward()` writes x's, `zeroed` where all 0); the backward view
shows this pass's gradient, what its edges carry, and such a `.grad` apart, said so. A hook
the drawing does not run is named where it changed a `.grad` (`changed by a hook on h, or
from other backward() calls`; a module's backward hook by its module as its box is titled,
`a backward hook of fc2: Linear(3 -> 1)`; a leaf's post-accumulate-grad hook or a tensor
hook removed since, while `.grad` holds its change, `changed by its hook, now removed, ...`,
`a hook on h, now removed`, beside one still on it `two hooks on h, one now removed`;
none for a `.grad` set by hand since), and the hooked
result says what its hook sent on in the last `backward()` that ran it (`its hook sent on
[..]`, `in a backward() from another output, ...` where that pass was not from the drawn
output), or `its hook has not run yet`.
`legend=True` adds a key of node styles: one table under the output (beside it, left to
right), in reading order.

Every fold states how many nodes it holds, and a fold or module box the numbered results of
a title drawn outside it too (`holds add result #1-#7` beside a drawn `add result #8`; as
many runs as fit a box's line, then a count, `#1-#8, #10-#11 and 34 more`), so that a
reader finds the numbers missing from the picture. Node ids number the nodes in a
deterministic traversal, so the same computation gives byte-identical DOT. Every piece of
user text goes into HTML-like labels with escaping, so no name can break or inject into the
DOT source. In an SVG, the pointer resting on a node or an edge shows its tooltip: the
label's text, what flows along an edge, and a tensor shown by a few entries listed in full
(up to 100 entries).

`backward_steps(loss)` shows the backward pass step by step: one self-contained HTML page
with one frame per step of the engine's pass. It shows what `backward()` does, hooks
included: while the graph keeps its saved arrays (before `backward()`, or after
`backward(retain_graph=True)`) its pass is the graph's own, so each gradient hook of the
user's runs once, as in a `backward()`, and a caption says where one changed a gradient
(`a hook changed it`); after a plain `backward()` the ops run again with no hook, and
the frames show what the ops send, `.grad` apart (a hooked result's caption: `its hook
sent on [..]; this page does not run it again`). Two ops of one name are told
apart in a caption as the picture shows them (`linear with w1`, `× 3`). `draw_graph` and
`render_graph` call no hook.

The package, by job: `walk.py` (collecting the tensors, gradients from the engine's
backward pass, folding module calls), `calls.py` (which module or function call an op
ran in, the title of its box, what a call returned), `options.py` (the
drawing options, checked), `labels.py` (the text of nodes and edges, styles),
`text.py` (numbers and arrays as label text, escaping), `partials.py` (an op node's text:
its title and local derivatives), `boxes.py` (the text of a folded call's box),
`held.py` (a `.grad` unlike this pass's gradient, and where it came from),
`derivatives.py` (an op's local derivatives, and as a textbook writes them: `2 × error`),
`products.py` (the chain rule's product on each backward edge), `dot.py` (building the
Digraph, rendering,
`draw_anomaly`), `tooltips.py` (what an SVG shows under the pointer), `frames.py` (a
module call drawn open: a dashed frame around its ops, titled with the call), `folds.py`
(folding a large graph's sums, alike inputs, long chains), `makings.py` (what makes one
result and nothing else; alike parts repeated in a fold), `nans.py` (which NaN and Inf
mark a fault, which say what they mean), `titles.py` (an op node's
title: its name, a folded constant, an index, the axis it runs over),
`twin.py` (the graph again as fresh tensors, for a pass that calls no hook),
`unshown.py` (why an op's factors are not drawn: an input changed in place, an op
misdeclared elementwise, a checkpoint),
`formats.py` (which format a file's suffix names, and the checks of a path: `~` expanded,
anything else refused in one line naming the function, before anything is written),
`steps.py` (the step-by-step page), `readable.py` (how small the page may draw a frame:
its smallest text at 11 px).
"""
from __future__ import annotations

import inspect
from typing import Any

from ..op_errors import named
from ..tensor import Tensor
from .dot import RenderError, draw_anomaly, draw_graph, render_graph
from .steps import BackwardSteps, backward_steps

__all__ = ["draw_graph", "render_graph", "draw_anomaly", "RenderError", "backward_steps",
           "BackwardSteps"]


# the drawing joins Tensor from above: tensor.py imports nothing of it
def _draw(self: Tensor, **options: Any) -> Any:
    """Draw the graph that made this tensor: `tg.graph.draw_graph(self, **options)`, whose
    docstring says what each option does."""
    # (draw_graph looked up at each call: a patched or wrapped one is the one called, and
    # its options the ones taken; an option it lacks is refused as this method's, before
    # the call, so that a TypeError from inside it stays as it was raised)
    taken = _options(draw_graph)
    for option in options if taken is not None else ():
        if option not in taken:
            raise TypeError(f"Tensor.draw() got an unexpected keyword argument '{option}'")
    return draw_graph(self, **options)


def _options(function: Any) -> set[str] | None:
    """The names `function` takes as keywords after its first parameter (the tensor); None
    where it takes any (**options) or has no signature to read."""
    try:
        parameters = list(inspect.signature(function).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _signature_with_self(function: Any) -> inspect.Signature:
    """`function`'s signature with `self` for its first parameter: draw_graph's options as
    help(x.draw), inspect and tab completion show them."""
    signature = inspect.signature(function)
    return signature.replace(parameters=[
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *list(signature.parameters.values())[1:]])


_draw.__signature__ = _signature_with_self(draw_graph)  # type: ignore[attr-defined]
Tensor.draw = named(_draw, "draw", Tensor)
