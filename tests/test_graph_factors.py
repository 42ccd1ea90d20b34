"""The chain rule's factors in the backward view, as a reader sees them: nn.Linear's weight
and bias products, a tensor used twice by one op, the axes a broadcast input's gradient is
summed over, and a user's op wrongly declared elementwise=True. Each factor's numbers are
checked against `.grad`."""
from __future__ import annotations

import html
import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.graph import draw_graph, render_graph

from test_graph import by_first_line, graph_label, needs_dot, parse, svg_nodes


def carried(loss: tg.Tensor, **options) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """(first label line -> node id, (source, target) -> edge label) of the backward view."""
    nodes, edges = parse(draw_graph(loss, mode="backward", **options).source)
    return by_first_line(nodes), {(s, t): label for s, t, label in edges}


def op_of(names: dict[str, str], result: str) -> str:
    """The op node that made the tensor drawn as `result`."""
    return "f" + names[result][1:]


# ---------------------------------------------------------------------------------------
# nn.Linear: the weight's deltaᵀ @ input, the bias's sum over the batch


def small_linear() -> nn.Linear:
    layer = nn.Linear(3, 2)
    with tg.no_grad():
        layer.weight.data[...] = [[0.1, 0.2, 0.3], [-0.1, 0.0, 0.1]]
        layer.bias.data[...] = [0.5, -0.5]
    return layer


def test_nn_linear_shows_delta_transposed_times_input_and_the_bias_summed_over_the_batch():
    # the linear op's edges carried the gradient alone, where x @ W.T + b shows the product
    layer = small_linear()
    x = tg.Tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], name="input")
    out = layer(x)
    out.name = "out"
    loss = (out * tg.Tensor([[1.0, 2.0], [3.0, 4.0]], name="c")).sum()  # delta = c
    names, edges = carried(loss, model=layer)
    linear = op_of(names, "out")
    assert edges[(linear, names["weight"])] == \
        "1 2\n3 4\nᵀ @ 1 2 3\n0.5 -1 2\n= 2.5 -1 9\n4 0 14"  # deltaᵀ @ input
    assert edges[(linear, names["bias"])] == "sum over the batch (axis 0) of 1 2\n3 4\n= [4, 6]"
    loss.backward()
    assert np.allclose(layer.weight.grad.data, [[2.5, -1, 9], [4, 0, 14]])
    assert np.allclose(layer.bias.grad.data, [4, 6])


def test_nn_linear_on_one_sample_shows_the_outer_product_and_the_input_gradient():
    layer = small_linear()
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    out = layer(x)
    out.name = "out"
    loss = (out * tg.Tensor([1.0, 2.0], name="c")).sum()
    names, edges = carried(loss, model=layer)
    linear = op_of(names, "out")
    assert edges[(linear, names["weight"])] == "[1, 2] ⊗ [1, 2, 3] = 1 2 3\n2 4 6"
    assert edges[(linear, names["bias"])] == "[1, 2] × 1 = [1, 2]"
    assert edges[(linear, names["x"])] == "[1, 2] @ 0.1 0.2 0.3\n-0.1 0 0.1\n= [-0.1, 0.2, 0.5]"
    loss.backward()
    assert np.allclose(layer.weight.grad.data, [[1, 2, 3], [2, 4, 6]])
    assert np.allclose(layer.bias.grad.data, [1, 2])
    assert np.allclose(x.grad.data, [-0.1, 0.2, 0.5])


def test_nn_linear_with_one_output_names_its_local_derivatives_as_matmul_does():
    # Grokking's single neuron as nn.Linear(3, 1): ∂/∂weight = input, as `input @ weights`
    layer = nn.Linear(3, 1)
    with tg.no_grad():
        layer.weight.data[...] = [[0.1, 0.2, -0.1]]
        layer.bias.data[...] = [0.0]
    pred = layer(tg.Tensor([8.5, 0.65, 1.2], name="input"))
    pred.name = "pred"
    loss = 0.5 * ((pred - 1.0) ** 2).sum()
    nodes, _ = parse(draw_graph(loss, mode="backward", model=layer).source)
    lines = nodes[op_of(by_first_line(nodes), "pred")][0].split("\n")
    assert "∂/∂weight = input = 8.5 0.65 1.2" in lines
    assert "∂/∂bias = 1" in lines


@needs_dot
def test_an_nn_mlp_shows_the_weight_products_in_the_rendered_picture(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    loss = nn.MSELoss()(model(tg.Tensor([[1.0, 2.0, 3.0]])), tg.Tensor([[0.5]]))
    loss.backward()
    shown = svg_nodes(render_graph(loss, tmp_path / "mlp.svg", mode="backward", model=model,
                                   open_modules=True))
    products = [text for node, text in shown.items() if "->" in node and "ᵀ @" in text]
    assert len(products) == 2, shown  # one per layer's weight: deltaᵀ @ input
    assert sum("sum over the batch (axis 0) of" in text for text in shown.values()) == 2
    grads = [model[0].weight.grad.data, model[2].weight.grad.data]
    for grad in grads:  # each product ends in the weight's .grad
        assert any(text.split("=")[-1].split() == [f"{v:.4g}" for v in grad.reshape(-1)]
                   for text in products), (grad, products)


# ---------------------------------------------------------------------------------------
# One tensor in both slots of an op: one term per use


def test_a_tensor_multiplied_by_itself_shows_each_use_as_the_docs_add_them():
    # the tutorial's h used three times: h + h + 1 = 13; the mul's edge showed a bare 12
    x = tg.Tensor(3.0, requires_grad=True, name="x")
    h = x * 2
    h.name = "h"
    product = h * h
    product.name = "product"
    y = product + h
    y.name = "y"
    nodes, edges = parse(draw_graph(y, mode="backward").source)
    names = by_first_line(nodes)
    carried_ = {(s, t): label for s, t, label in edges}
    mul = op_of(names, "product")
    assert "∂/∂h = h + h = 6 + 6" in nodes[mul][0].split("\n")
    assert carried_[(mul, names["h"])] == "1 × (6 + 6) = 12"
    assert carried_[(op_of(names, "y"), names["h"])] == "1 × 1 = 1"
    assert "grad 13" in nodes[names["h"]][0].split("\n")  # 12 + 1
    y.backward()
    assert x.grad.item() == 26.0


def test_a_vector_squared_by_itself_has_its_derivative_line_and_product():
    a = tg.Tensor([1.0, 2.0], requires_grad=True, name="a")
    squares = a * a
    squares.name = "squares"
    loss = squares.sum()
    nodes, edges = parse(draw_graph(loss, mode="backward").source)
    names = by_first_line(nodes)
    mul = op_of(names, "squares")
    assert "∂/∂a = a + a" in nodes[mul][0].split("\n")  # entry by entry: no numbers
    assert (mul, names["a"], "[1, 1] × ([1, 2] + [1, 2]) = [2, 4]") in edges
    loss.backward()
    assert a.grad.tolist() == [2.0, 4.0]


def test_an_input_used_twice_by_add_and_by_a_dot_product():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    nodes, edges = parse(draw_graph(x + x, mode="backward").source)
    add = next(n for n in nodes if n.startswith("f"))
    assert "∂/∂x = 1 + 1 = 2" in nodes[add][0].split("\n")
    v = tg.Tensor([1.0, 2.0], requires_grad=True, name="v")
    nodes, edges = parse(draw_graph(v @ v, mode="backward").source)
    dot = next(n for n in nodes if n.startswith("f"))
    assert "∂/∂v = v + v = [1, 2] + [1, 2]" in nodes[dot][0].split("\n")
    assert (dot, by_first_line(nodes)["v"], "1 × ([1, 2] + [1, 2]) = [2, 4]") in edges


# ---------------------------------------------------------------------------------------
# A broadcast input: the axes its gradient is summed over


BATCH = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_a_column_bias_says_its_gradient_is_summed_over_axis_1():
    # "sum of [2x3] × 1 = [0.5; 0.5]" read as a total sum
    colbias = tg.Tensor([[1.0], [2.0]], requires_grad=True, name="colbias")
    added = tg.Tensor(BATCH, name="batch") + colbias
    added.name = "added"
    loss = (added * tg.Tensor(BATCH, name="c")).sum()  # each entry's gradient: c
    names, edges = carried(loss)
    assert edges[(op_of(names, "added"), names["colbias"])] == \
        "sum over axis 1 (the columns) of\n1 2 3\n4 5 6\n× 1 = 6\n15"
    loss.backward()
    assert colbias.grad.tolist() == [[6.0], [15.0]]


def test_a_row_bias_and_a_weight_say_their_gradients_are_summed_over_axis_0():
    weight = tg.Tensor([0.5, -1.0, 2.0], requires_grad=True, name="weight")
    bias = tg.Tensor([0.1, 0.2, 0.3], requires_grad=True, name="bias")
    scaled = tg.Tensor(BATCH, name="batch") * weight
    scaled.name = "scaled"
    out = scaled + bias
    out.name = "out"
    loss = (out * tg.Tensor([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], name="c")).sum()
    names, edges = carried(loss)
    assert edges[(op_of(names, "out"), names["bias"])] == \
        "sum over axis 0 (the rows) of\n1 1 1\n2 2 2\n× 1 = [3, 3, 3]"
    assert edges[(op_of(names, "scaled"), names["weight"])] == \
        "sum over axis 0 (the rows) of\n1 1 1\n2 2 2\n× 1 2 3\n4 5 6\n= [9, 12, 15]"
    loss.backward()
    assert bias.grad.tolist() == [3.0, 3.0, 3.0] and weight.grad.tolist() == [9.0, 12.0, 15.0]


def test_a_sum_over_every_entry_and_over_several_axes_say_so():
    scale = tg.Tensor(2.0, requires_grad=True, name="scale")
    scaled = tg.Tensor([1.0, 2.0, 3.0], name="x") * scale
    scaled.name = "scaled"
    names, edges = carried(scaled.sum())
    assert edges[(op_of(names, "scaled"), names["scale"])] == "sum of [1, 1, 1] × [1, 2, 3] = 6"
    shift = tg.Tensor([[[0.5]], [[1.5]]], requires_grad=True, name="shift")  # (2, 1, 1)
    shifted = tg.Tensor(np.ones((2, 2, 2)), name="cube") + shift
    shifted.name = "shifted"
    loss = (shifted * tg.Tensor(np.arange(8.0).reshape(2, 2, 2), name="c")).sum()
    names, edges = carried(loss)
    label = edges[(op_of(names, "shifted"), names["shift"])]
    assert label.startswith("sum over axes 1, 2 of ") and label.endswith(" = [[[6]], [[22]]]")
    loss.backward()
    assert shift.grad.reshape(-1).tolist() == [6.0, 22.0]


# ---------------------------------------------------------------------------------------
# A user's op declared elementwise=True that is not one


class RowSum(tg.Function, elementwise=True, register=False):
    """A row sum wrongly declared elementwise: output entry k depends on a whole row."""

    def forward(self, x):
        self.save_for_backward(x)
        return x.sum(axis=1)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return np.broadcast_to(grad[:, None], x.shape).copy()


def rowsum_loss():
    w = tg.Tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], requires_grad=True, name="w")
    rows = RowSum.apply(w)
    rows.name = "rows"
    return w, (rows * 2.0).sum()


NOTE = ("op 'rowsum' is declared elementwise=True, but its result (2,) does not fit its "
        "input shapes (2, 3): remove elementwise=True")


@pytest.mark.parametrize("after_backward", [False, True])
def test_an_op_wrongly_declared_elementwise_is_drawn_with_a_note_naming_it(after_backward):
    # draw_graph raised "operands could not be broadcast together with shapes (2,) (2,3)"
    w, loss = rowsum_loss()
    if after_backward:
        loss.backward()
    source = draw_graph(loss, mode="backward").source
    assert NOTE in graph_label(source)
    nodes, edges = parse(source)
    names = by_first_line(nodes)
    rowsum = op_of(names, "rows")
    assert nodes[rowsum][0] == "rowsum"  # no derivative line made of mismatched arrays
    assert edges and all("×" not in label for s, t, label in edges if s == rowsum and label)
    assert "grad [2, 2]" in nodes[names["rows"]][0].split("\n")  # gradients still drawn


@needs_dot
def test_an_op_wrongly_declared_elementwise_still_renders(tmp_path):
    w, loss = rowsum_loss()
    path = render_graph(loss, tmp_path / "rowsum.png", mode="backward")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(svg_nodes(render_graph(loss, tmp_path / "rowsum.svg", mode="backward"))
                    .values())
    assert "w (2, 3)" in text and "rowsum" in text


def test_built_in_broadcasting_ops_are_not_taken_for_wrongly_declared_ones():
    a = tg.Tensor(np.ones((2, 3)), requires_grad=True, name="a")
    b = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="b")
    c = tg.Tensor([[1.0], [2.0]], requires_grad=True, name="c")
    loss = (tg.where(b > 1.5, a * b, c) + c - b).sum()
    assert "elementwise" not in draw_graph(loss, mode="backward").source


def test_a_factor_of_one_shows_the_gradient_once():
    """Through `- 1` a matrix gradient passes times 1: the edge reads `g × 1`, the matrix
    once, not `g × 1 = g` (two tables side by side); a vector or a number keeps its
    `= ...`, short enough to read the product whole."""
    x = tg.Tensor(np.arange(4.0).reshape(2, 2))
    w = tg.Tensor(np.full((2, 2), 0.5), requires_grad=True, name="w")
    loss = ((x * w - 1.0) ** 2).sum()
    loss.backward()
    edges = [" ".join(re.sub("<[^>]*>", " ", re.sub(r' tooltip="[^"]*"', "", line)).split())
             for line in html.unescape(tg.draw_graph(loss, mode="backward").source).splitlines()
             if "->" in line and "label=" in line]
    through = [e for e in edges if re.search(r"× 1\b", e)]
    assert through == ["f4 -> t2 [label= -2 -1 0 1 × 1 >]"], edges


# ---------------------------------------------------------------------------------------
# A sum or mean over one axis: its title names the axis, its edge where each entry goes


def row_sums():
    """The book's 3x3 network: output i is the sum of row i of weights * input."""
    weights = tg.Tensor([[0.1, 0.1, -0.3], [0.1, 0.2, 0.0], [0.0, 1.3, 0.1]],
                        requires_grad=True, name="weights")
    product = weights * tg.Tensor([8.5, 0.65, 1.2], name="input")
    product.name = "product"
    pred = product.sum(axis=1)
    pred.name = "pred"
    return weights, product, pred, (pred * tg.Tensor([1.0, 2.0, 3.0], name="c")).sum()


def test_a_sum_over_one_axis_names_the_axis_and_copies_each_entry_along_it():
    # the op read "sum" like a sum of every entry, and its edge "[1, 2, 3] copied to each
    # entry = 3x3", as if the whole vector went into every entry
    weights, product, pred, loss = row_sums()
    nodes, edges = parse(draw_graph(loss, mode="backward").source)
    names = by_first_line(nodes)
    op = op_of(names, "pred")
    assert nodes[op][0].split("\n")[0] == "sum over axis 1"
    label = {(s, t): text for s, t, text in edges}[(op, names["product"])]
    assert label == "[1, 2, 3] copied along axis 1 (the columns)\n= 1 1 1\n2 2 2\n3 3 3"
    product.retain_grad()
    loss.backward()  # each row's entries get that row's gradient: an independent np.repeat
    assert np.array_equal(product.grad.data, np.repeat([[1.0], [2.0], [3.0]], 3, axis=1))
    forward = by_first_line(parse(draw_graph(loss).source)[0])
    assert "sum over axis 1" in forward and "sum" in forward  # the loss's sum: every entry


def test_a_mean_over_the_rows_divides_and_copies_along_axis_0():
    x = tg.Tensor(BATCH, requires_grad=True, name="x")
    column_means = x.mean(axis=0)
    column_means.name = "means"
    loss = (column_means * tg.Tensor([1.0, 2.0, 3.0], name="c")).sum()
    nodes, edges = parse(draw_graph(loss, mode="backward").source)
    names = by_first_line(nodes)
    op = op_of(names, "means")
    assert nodes[op][0] == "mean over axis 0"
    assert {(s, t): text for s, t, text in edges}[(op, names["x"])] == \
        "[1, 2, 3] / 2 copied along axis 0 (the rows)\n= 0.5 1 1.5\n0.5 1 1.5"
    loss.backward()
    assert np.allclose(x.grad.data, np.tile([1.0, 2.0, 3.0], (2, 1)) / 2)


@needs_dot
def test_the_rendered_picture_shows_the_axis_of_a_sum(tmp_path):
    loss = row_sums()[-1]
    text = " ".join(svg_nodes(render_graph(loss, tmp_path / "rows.svg", mode="backward"))
                    .values())
    assert "sum over axis 1" in text and "copied along axis 1 (the columns)" in text
