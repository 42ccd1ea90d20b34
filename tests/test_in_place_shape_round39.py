"""The thirty-ninth round's in-place shape changes of a tensor of the graph, as PyTorch 2.13's.

- `h.unsqueeze_(0)`, `squeeze_`, `t_`, `transpose_`, `swapdims_`, `swapaxes_` and
  `as_strided_` of a tensor made by an op run (they were refused): h takes the op's node
  on its old version, its values and float64 gradients as PyTorch's, on a tensor made by
  an op, on a view of one (which changes alone) and one after another;
- views taken before (`row = h[0]`, then `h.t_()`) keep their values and follow a later
  value change of h (or of themselves), as PyTorch's regenerated ones; a graph that saved h refuses backward;
  a hook registered before sees the old shape, one after the new, as does retain_grad
  after;
- refused, as PyTorch refuses: a leaf that requires a gradient, a view of one, a view taken
  under no_grad(); a tensor of the graph under no_grad() is refused here (PyTorch's runs
  and then gives a gradient the chain rule does not: see the test);
- 0-d and empty tensors; a gradcheck of a function composed with each method; the drawing
  of `h.unsqueeze_(0)`."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_gd as tg

from test_graph_labels import needs_dot, png_size

X = np.array([[0.7, -1.2, 0.3], [2.0, 0.5, -0.4]])

# (method, its arguments, the shape of h it is called on)
CHANGES = [("unsqueeze_", (0,), (2, 3)), ("unsqueeze_", (-1,), (2, 3)),
           ("squeeze_", (), (1, 3, 1, 2)), ("squeeze_", (0,), (1, 3, 2)),
           ("squeeze_", ((0, 2),), (1, 6, 1)), ("t_", (), (2, 3)), ("t_", (), (6,)),
           ("transpose_", (0, 2), (1, 2, 3)), ("swapdims_", (-1, 0), (3, 2)),
           ("swapaxes_", (0, 1), (2, 3)), ("as_strided_", ((3, 2), (1, 3)), (2, 3)),
           ("as_strided_", ((2,), (2,), 1), (2, 3))]


def _one_line(error):
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def _weights(lib, shape):
    """Weights 1, 2, 3, ... of `shape` (a gradient that tells the entries apart)."""
    size = int(np.prod(shape))
    return lib.tensor(np.arange(1.0, size + 1.0).reshape(tuple(shape)), dtype=lib.float64)


def _as_torch(torch, program):
    """`program(lib)` run with torch, then with tg: the same results."""
    assert program(tg) == program(torch)


def _changed(lib, name, args, shape, where):
    """h (made by an op from x, or a view of a tensor made by one) changed in place by
    `name`, then used: h's shape and values, the identity of what `name` returned, x.grad."""
    x = lib.tensor(np.linspace(-1.0, 2.0, int(np.prod(shape))), dtype=lib.float64,
                   requires_grad=True)
    made = (x * 2).sin()
    h = made.reshape(shape) if where == "made by an op" else made.view(shape)
    returned = getattr(h, name)(*args)
    out = (h * _weights(lib, h.shape)).sum()
    if where == "a view":  # (its base keeps its shape and node)
        out = out + (made * _weights(lib, made.shape)).sum()
    out.backward()
    return tuple(h.shape), h.detach().numpy().copy(), returned is h, x.grad.numpy()


@pytest.mark.torch
@pytest.mark.parametrize("where", ["made by an op", "a view"])
@pytest.mark.parametrize("name, args, shape", CHANGES)
def test_a_shape_change_of_the_graph_gives_torchs_values_and_gradients(torch64, name, args,
                                                                       shape, where):
    theirs = _changed(torch64, name, args, shape, where)
    ours = _changed(tg, name, args, shape, where)
    assert ours[0] == theirs[0] and ours[2] and theirs[2]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-15)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-14, atol=1e-15)


@pytest.mark.torch
def test_changes_one_after_another_and_a_view_changed_alone_as_torch(torch64):
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        h = x * 2
        h.unsqueeze_(0)
        h.unsqueeze_(0)
        h.transpose_(0, 3)
        row = h.reshape(3, 2)[1]  # (a view, changed alone: h keeps its shape)
        row.unsqueeze_(0)
        out = (h * _weights(lib, h.shape)).sum() + (row * _weights(lib, row.shape)).sum()
        out.backward()
        return tuple(h.shape), tuple(row.shape), x.grad.tolist()
    _as_torch(torch64, program)


@pytest.mark.torch
def test_the_node_is_the_ops_out_of_place_one(torch64):
    for lib in (torch64, tg):
        x = lib.tensor(X, requires_grad=True)
        h, reference = x * 2, (x * 2).unsqueeze(0)
        h.unsqueeze_(0)
        if lib is tg:
            assert type(h.grad_fn) is type(reference.grad_fn)
        else:  # (torch's names its in-place one UnsqueezeBackward1)
            assert type(h.grad_fn).__name__[:9] == type(reference.grad_fn).__name__[:9]
        assert not h.is_leaf and h.requires_grad


@pytest.mark.torch
@pytest.mark.parametrize("change", ["h.t_()", "h.unsqueeze_(0)", "h.as_strided_((3, 2), (1, 3))"])
def test_views_taken_before_keep_their_values_and_follow_a_later_change(torch64, change):
    results = []
    for lib in (torch64, tg):
        x = lib.tensor(X, requires_grad=True)
        h = x * 2
        row, end, columns = h[0], h[0][1:], h.T
        exec(change, {"h": h})
        h.mul_(3)  # (a value change after: the views see it, and its gradient)
        out = ((row * _weights(lib, (3,))).sum() + (end * _weights(lib, (2,))).sum()
               + (columns * _weights(lib, (3, 2))).sum())
        out.backward()
        results.append((row.tolist(), end.tolist(), columns.tolist(), x.grad.tolist()))
    np.testing.assert_allclose(np.array(results[1][3]), np.array(results[0][3]), rtol=1e-15)
    assert results[1][:3] == results[0][:3]


# value changes after a shape change: of a view taken before, of a view's view, a setitem
LATER = ["h = x * 2; row = h[0]; h.t_(); row.mul_(2)",
         "h = base[:, 1:]; row = h[1]; h.t_(); row.add_(1); h.mul_(x[:, :2].T)",
         "h = x * 2; row = h[1]; h.unsqueeze_(0); h[0, 1] = x[0] * 5",
         "h = x * 2; row = h.T; h.squeeze_(); row.unsqueeze_(1); h.add_(x.sum())",
         "h = x * 2; row = h.T; h.t_(); row.t_(); row.mul_(x); h.unsqueeze_(0); h.sub_(1)"]


@pytest.mark.torch
@pytest.mark.parametrize("program", LATER)
def test_values_changed_after_a_shape_change_as_torch(torch64, program):
    def run(lib):
        x = lib.tensor(X, requires_grad=True)
        names = {"x": x, "base": x * 2}
        exec(program, names)
        base, h, row = names["base"], names["h"], names["row"]
        out = sum((t * _weights(lib, t.shape)).sum() for t in (base, h, row))
        out.backward()
        return [t.detach().numpy().copy() for t in (base, h, row, x.grad)]
    for ours, theirs in zip(run(tg), run(torch64)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


@pytest.mark.torch
@pytest.mark.parametrize("made", ["h * h", "h.exp()"])
def test_a_graph_that_saved_h_refuses_backward_as_torch(torch64, made):
    for lib in (torch64, tg):
        x = lib.tensor(X, requires_grad=True)
        h = x * 2 if made == "h * h" else x.exp()
        y = h * h if made == "h * h" else h
        h.unsqueeze_(0)
        with pytest.raises(RuntimeError, match="modified by an inplace|changed in place"):
            y.sum().backward()


@pytest.mark.torch
@pytest.mark.parametrize("registered", ["before", "after"])
def test_a_hook_sees_the_shape_of_the_version_it_was_registered_on_as_torch(torch64,
                                                                           registered):
    # (one hook: torch's, given one before and one after, runs both on the old version)
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        h, seen = x * 2, []
        if registered == "before":
            h.register_hook(lambda g: seen.append((tuple(g.shape), g.tolist())))
        h.unsqueeze_(0)
        if registered == "after":
            h.register_hook(lambda g: seen.append((tuple(g.shape), g.tolist())))
        (h * _weights(lib, h.shape)).sum().backward()
        return seen, x.grad.tolist()
    _as_torch(torch64, program)


@pytest.mark.torch
def test_a_view_taken_after_and_retain_grad_after_see_the_new_shape_as_torch(torch64):
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        h = x * 2
        h.t_()
        h.retain_grad()
        first = h[0]
        out = (first * lib.tensor([1.0, 2.0], dtype=lib.float64)).sum()
        (out + (h * _weights(lib, h.shape)).sum()).backward()
        return first.tolist(), tuple(h.grad.shape), h.grad.tolist(), x.grad.tolist()
    _as_torch(torch64, program)


@pytest.mark.torch
@pytest.mark.parametrize("name, args, shape", CHANGES)
def test_a_leaf_under_no_grad_changes_and_joins_a_graph_as_torch(torch64, name, args, shape):
    results = []
    for lib in (torch64, tg):
        w = lib.tensor(np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape),
                       requires_grad=True)
        with lib.no_grad():
            getattr(w, name)(*args)
        assert w.is_leaf
        (w.sin() * _weights(lib, w.shape)).sum().backward()
        results.append((tuple(w.shape), w.tolist(), w.grad.tolist()))
    assert results[1][:2] == results[0][:2]
    np.testing.assert_allclose(np.array(results[1][2]), np.array(results[0][2]), rtol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("refused, ours", [
    ("x.unsqueeze_(0)", "writing into a leaf tensor that requires a gradient"),
    ("x[0].unsqueeze_(0)", "is a view (op 'getitem') of a leaf tensor that requires a gradient"),
    ("view.t_()", "taken under no_grad() of a tensor that requires a gradient"),
    ("x.t().transpose_(0, 1)", "is a view (op 'transpose') of a leaf tensor"),
])
def test_what_torch_refuses_is_refused_in_one_line_nothing_changed(torch64, refused, ours):
    for lib in (torch64, tg):
        x = lib.tensor(X, requires_grad=True)
        with lib.no_grad():
            view = x[0:1]
        with pytest.raises(RuntimeError) as info:
            exec(refused, {"x": x, "view": view})
        if lib is tg:
            assert ours in _one_line(info)
            assert _one_line(info).startswith(refused.split(".")[-1].split("(")[0] + ":")
        assert tuple(x.shape) == (2, 3) and tuple(view.shape) == (1, 3)


def test_a_tensor_of_the_graph_under_no_grad_is_refused_in_one_line():
    # (PyTorch 2.13 runs it and keeps h's node of shape (2, 3): backward of (h * 3).sum()
    # then gives x.grad 24 everywhere, where the chain rule gives 2 * 3 = 6)
    x = tg.tensor(X, requires_grad=True)
    h = x * 2
    with tg.no_grad(), pytest.raises(RuntimeError, match=r"^unsqueeze_: this tensor was made "
                                     r"by op 'mul'.*no_grad\(\).*t = t\.unsqueeze") as info:
        h.unsqueeze_(0)
    _one_line(info)
    assert h.shape == (2, 3)
    (h * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 6.0))


def test_as_strided_of_a_view_whose_base_changed_shape_is_refused_in_one_line():
    # (PyTorch's runs it on the memory: here that view's node reads its base through take)
    x = tg.tensor(X, requires_grad=True)
    h = x * 2
    row = h[1]
    h.t_()
    with pytest.raises(RuntimeError, match=r"^as_strided_: this tensor is a view whose base "
                                           r"changed its shape in place") as info:
        row.as_strided_((3,), (1,))
    _one_line(info)
    assert row.shape == (3,)
    row.unsqueeze_(0)  # (another shape change of it runs)
    (row * _weights(tg, (1, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0, 0.0], [2.0, 4.0, 6.0]])


def test_bad_axes_of_a_tensor_of_the_graph_are_refused_before_anything_changes():
    x = tg.tensor(X, requires_grad=True)
    h = x * 2
    with pytest.raises(IndexError, match="transpose_: axis 5 is out of range") as info:
        h.transpose_(0, 5)
    _one_line(info)
    assert h.shape == (2, 3) and h.grad_fn.name == "mul"
    (h * _weights(tg, (2, 3))).sum().backward()  # (still its node: the gradient 2 w)
    np.testing.assert_array_equal(x.grad.numpy(), 2 * _weights(tg, (2, 3)).numpy())


@pytest.mark.torch
@pytest.mark.parametrize("name, args", [("unsqueeze_", (0,)), ("t_", ()), ("squeeze_", ()),
                                        ("as_strided_", ((1,), (1,)))])
def test_a_0d_tensor_of_the_graph_as_torch(torch64, name, args):
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        h = (x * 2)[1, 0]
        getattr(h, name)(*args)
        (h * 3).sum().backward()
        return tuple(h.shape), h.tolist(), x.grad.tolist()
    _as_torch(torch64, program)


@pytest.mark.torch
@pytest.mark.parametrize("name, args", [("t_", ()), ("unsqueeze_", (1,)),
                                        ("transpose_", (0, 1)), ("as_strided_", ((3, 0), (1, 3)))])
def test_an_empty_tensor_of_the_graph_as_torch(torch64, name, args):
    def program(lib):
        x = lib.zeros(0, 3, dtype=lib.float64, requires_grad=True)
        h = x * 2
        getattr(h, name)(*args)
        h.sum().backward()
        return tuple(h.shape), tuple(x.grad.shape)
    _as_torch(torch64, program)


@pytest.mark.parametrize("name, args, shape", CHANGES)
def test_gradcheck_of_a_function_composed_with_each_change(name, args, shape):
    def f(x):
        h = (x * x).sin()  # (sin saves x * x, not h: tanh, which saves h, would refuse)
        getattr(h, name)(*args)
        return (h * _weights(tg, h.shape)).exp()

    x = tg.tensor(np.linspace(-0.9, 0.8, int(np.prod(shape))).reshape(shape),
                  requires_grad=True)
    assert tg.gradcheck(f, (x,))


def test_gradcheck_with_a_view_taken_before_and_a_value_change_after():
    def f(x):
        h = x.sin()
        row = h[1]
        h.t_()
        h.mul_(x.T)
        return row * h.sum()

    assert tg.gradcheck(f, (tg.tensor(X, requires_grad=True),))


@needs_dot
def test_the_drawing_of_unsqueeze_shows_both_shapes_and_the_op(tmp_path):
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    x.name = "x"
    h = x * 2
    h.unsqueeze_(0)
    loss = (h * 3).sum()
    loss.backward()
    graph = tg.draw_graph(loss)
    png, svg = tmp_path / "unsqueeze.png", tmp_path / "unsqueeze.svg"
    tg.render_graph(graph, png)
    tg.render_graph(graph, svg)
    width, height = png_size(png)
    assert 50 < width < height  # (a column, top to bottom: x, ×2, unsqueeze, ×3, sum)
    text = re.sub(r"<[^>]+>", " ", svg.read_text()).replace("&#160;", " ")
    words = " ".join(text.split())
    # h's old version (x * 2, of shape (2, 3)) into unsqueeze, whose result (1, 2, 3) is
    # h now, into the × 3
    old = words.index("mul result #1 (2, 3)")
    op = words.index("unsqueeze", old + 1)
    new = words.index("unsqueeze result (1, 2, 3)", op + 1)
    assert words.index("× 3") > new
    assert "data [[[2, 4, 6], [8, 10, 12]]]" in words  # (h's values, 2 x)
    assert ".grad all 6 (2, 3)" in words  # (x's gradient: 2 · 3)
