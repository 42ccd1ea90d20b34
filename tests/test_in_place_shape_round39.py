"""The thirty-ninth round's in-place shape changes of a tensor of the graph, as PyTorch 2.13's.

- `h.unsqueeze_(0)`, `squeeze_`, `t_`, `transpose_`, `swapdims_`, `swapaxes_` and
  `as_strided_` of a tensor made by an op run (they were refused): h takes the op's node
  on its old version, its values and float64 gradients as PyTorch's, on a tensor made by
  an op, on a view of one (which changes alone) and one after another;
- views taken before (`row = h[0]`, then `h.t_()`) keep their values and follow a later
  value change of h (or of themselves), as PyTorch's regenerated ones; a graph that saved
  h refuses backward; a hook or retain_grad() registered before sees the old shape, one
  after the new;
- refused, as PyTorch refuses: a leaf that requires a gradient, a view of one, a view taken
  under no_grad(); refused where PyTorch gives a wrong gradient: as_strided_ leaving out
  entries of a view taken before, and a backward through the node of a tensor whose shape
  changed under no_grad() or inference_mode() (the change itself runs, as PyTorch's);
- `h.detach_()` of a tensor made by an op, as PyTorch's: graphs built on h before reach x,
  one that saved h refuses, a view is refused;
- the second mend: a graph built before a shape change under no_grad() backwards as
  PyTorch's (its nodes take h's old version); (that change with a view of h taken before
  alive runs since the fortieth round: test_in_place_round40.py); views taken before
  `h.detach_()` leave the graph at a later write into h; `retains_grad` after `detach_()`;
- 0-d, empty and float32 tensors; a gradcheck, a gradgradcheck and create_graph's second
  order (against torch) of a function composed with each method; the drawings of
  `h.unsqueeze_(0)` and of old versions after a later value write."""
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
@pytest.mark.parametrize("what, registered", [
    ("register_hook", "before"), ("register_hook", "after"),
    ("register_hook", "before, then a value write"), ("retain_grad", "before"),
    ("retain_grad", "after"), ("retain_grad", "both"),
    ("retain_grad", "before, then a value write")])
def test_a_hook_or_retain_grad_sees_the_version_it_was_registered_on_as_torch(torch64, what,
                                                                             registered):
    # (one hook: torch's, given one before and one after, runs both on the old version;
    # retain_grad asked again after one asked before does nothing, in torch's)
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        h, seen = x * 2, []

        def register():
            if what == "retain_grad":
                return h.retain_grad()
            return h.register_hook(lambda g: seen.append((tuple(g.shape), g.tolist())))
        if registered != "after":
            register()
        if registered.endswith("value write"):
            h.mul_(2)
        h.unsqueeze_(0)
        if registered in ("after", "both"):
            register()
        (h * _weights(lib, h.shape)).sum().backward()
        if what == "retain_grad":
            seen = (tuple(h.grad.shape), h.grad.tolist(), h.retains_grad)
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


@pytest.mark.torch
def test_a_tensor_of_the_graph_changes_shape_under_no_grad_as_torch(torch64):
    # (a metrics pattern: the gradient taken, then the output squeezed for a score)
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        out = (x * 2)[:, :1]
        out.sum().backward()
        with lib.no_grad():
            returned = out.squeeze_(1)
        return returned is out, tuple(out.shape), out.tolist(), x.grad.tolist()
    _as_torch(torch64, program)


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
@pytest.mark.parametrize("change, used", [("out.squeeze_(1)", "out * w[0, :2]"),
                                          ("out.unsqueeze_(1)", "out * 3"),
                                          ("out.t_()", "out * w.T[:, :1]")])
def test_a_later_backward_through_the_old_layout_node_is_refused_in_one_line(mode, change,
                                                                            used):
    # (a gradient of the new layout into the node of the old one: PyTorch's fails, or
    # for t_ of a square reads it in the old layout; here refused, naming the change and
    # the mode; unsqueeze_(0), which PyTorch's sums back, test_in_place_round41.py)
    x = tg.tensor(X, requires_grad=True)
    out, w = (x * 2)[:, :1] if "squeeze_(1)" in change else x * 2, _weights(tg, (2, 3))
    with getattr(tg, mode)():
        exec(change, {"out": out})
    loss = eval(used, {"out": out, "w": w}).sum()
    with pytest.raises(RuntimeError, match=rf"^backward: a tensor made by op '\w+' of shape "
                                           rf"\(2, [13]\) was changed by {change[4:-3]}"
                                           rf".* under {mode}\(\)") as info:
        loss.backward()
    _one_line(info)
    assert x.grad is None


def test_a_shape_change_under_no_grad_that_keeps_the_layout_keeps_the_graph():
    x = tg.tensor(X, requires_grad=True)
    out = x * 2
    with tg.no_grad():
        out.squeeze_()  # (no axis of length 1: nothing changes)
    (out * _weights(tg, (2, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * _weights(tg, (2, 3)).numpy())


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


@pytest.mark.parametrize("program, view", [
    ("h = x * 2; r = h[2]; h.as_strided_((3, 3), (4, 1))", "op 'getitem', shape (3,)"),
    ("h = x * 2; r = h[1]; h.as_strided_((2,), (1,))", "op 'getitem', shape (3,)"),
    ("h = (x * 2)[1:]; r = h.T; h.as_strided_((2,), (3,))", "op 'transpose', shape (3, 3)")])
def test_as_strided_leaving_out_entries_of_a_view_taken_before_is_refused_in_one_line(program,
                                                                                     view):
    # (PyTorch's runs it and its view's regenerated node then misses the entries left out:
    # h = x * 2; r = h[2]; h.as_strided_((3, 3), (4, 1)); h.mul_(3) gives r's middle entry,
    # 2 x[2, 1] still, the gradient 0)
    x = tg.tensor(np.arange(1.0, 13.0).reshape(4, 3), requires_grad=True)
    names = {"x": x}
    with pytest.raises(RuntimeError, match=r"^as_strided_: a view of this tensor taken before "
                                           rf"\({re.escape(view)}\) holds entries outside its "
                                           r"new layout") as info:
        exec(program, names)
    _one_line(info)
    h, r = names["h"], names["r"]
    assert h.shape[1:] == (3,) and h.grad_fn.name in ("mul", "getitem")  # (nothing changed)
    h.mul_(3)
    (r * _weights(tg, r.shape)).sum().backward()  # (r: 6 x at its entries, by definition)
    expected = np.zeros((4, 3))
    rows = slice(2, 3) if "h[2]" in program else slice(1, 2) if "h[1]" in program else slice(1, 4)
    expected[rows] = 6 * (_weights(tg, r.shape).numpy().reshape(-1, 3) if "h[" in program
                          else _weights(tg, r.shape).numpy().T)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.torch
def test_as_strided_runs_once_the_view_that_reaches_outside_is_gone_as_torch(torch64):
    def program(lib):
        x = lib.tensor(np.arange(1.0, 13.0).reshape(4, 3), dtype=lib.float64,
                       requires_grad=True)
        h = x * 2
        inside, r = h[0], h[2]
        del r  # (only views alive are taken again)
        h.as_strided_((3, 3), (4, 1))
        h.mul_(3)
        ((h * _weights(lib, h.shape)).sum() + (inside * _weights(lib, (3,))).sum()).backward()
        return tuple(h.shape), h.tolist(), inside.tolist(), x.grad.tolist()
    _as_torch(torch64, program)


@needs_dot
def test_the_drawing_shows_the_old_versions_values_after_a_later_value_write(tmp_path):
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    x.name = "x"
    h = x * 2
    row = h[0]
    early = row * 1  # (uses row's old version: a getitem of x * 2)
    h.unsqueeze_(0)
    h.mul_(3)  # (h, and row with it, now 6 x)
    loss = h.sum() + early.sum()
    svg = tmp_path / "later.svg"
    tg.render_graph(tg.draw_graph(loss), svg)
    tg.render_graph(tg.draw_graph(loss), tmp_path / "later.png")
    words = " ".join(re.sub(r"<[^>]+>", " ", svg.read_text()).replace("&#160;", " ").split())
    # x * 2 = 2 4 6 8 10 12 where drawn as h's old version, and its row 0, 2 4 6
    assert "mul result #1 (2, 3) data 2 4 6 8 10 12" in words
    assert "getitem result (3,) data [2, 4, 6]" in words
    assert "data [[[6, 12, 18], [24, 30, 36]]]" in words  # (h now: 3 · 2 x)


@pytest.mark.torch
def test_detach_of_a_tensor_made_by_an_op_as_torch(torch64):
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        h = x * 2
        z, r, seen = h * 3, h[0] * 5, []  # (graphs built on h before, a view's among them)
        h.register_hook(lambda g: seen.append(g.tolist()))
        h.retain_grad()
        returned = h.detach_()
        flags = (returned is h, h.is_leaf, h.requires_grad, h.grad_fn is None, h.tolist())
        (z.sum() + (r * _weights(lib, (3,))).sum()).backward()
        return flags, x.grad.tolist(), seen, h.grad.tolist()
    _as_torch(torch64, program)


@pytest.mark.torch
# (not inference_mode(): torch 2.13's detach_() leaves h as it was there, in the graph)
@pytest.mark.parametrize("mode", ["no_grad", None])
def test_detach_of_a_tensor_made_by_an_op_in_any_mode_as_torch(torch64, mode):
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        h = x * 2
        y = h * lib.tensor(X)
        if mode is None:
            h.detach_()
        else:
            with getattr(lib, mode)():
                h.detach_()
        y.sum().backward()
        return h.requires_grad, h.is_leaf, x.grad.tolist()
    _as_torch(torch64, program)


@pytest.mark.torch
def test_detach_refuses_a_graph_that_saved_the_tensor_as_torch(torch64):
    for lib in (torch64, tg):
        x = lib.tensor(X, requires_grad=True)
        h = x * 2
        y = h * h
        h.detach_()
        with pytest.raises(RuntimeError, match="detached in-place|detached in place") as info:
            y.sum().backward()
        if lib is tg:
            assert "op 'mul' was detached in place (detach_())" in _one_line(info)


@pytest.mark.torch
@pytest.mark.parametrize("view", ["(x * 2)[0]", "(x * 2).T", "c[0:2]", "x[0]"])
def test_detach_of_a_view_is_refused_in_one_line_as_torch(torch64, view):
    for lib in (torch64, tg):
        x = lib.tensor(X, requires_grad=True)
        v = eval(view, {"x": x, "c": lib.ones(3)})
        with pytest.raises(RuntimeError, match="Can't detach views in-place|^detach_: this "
                                               "tensor is a view") as info:
            v.detach_()
        if lib is tg:
            assert "t = t.detach()" in _one_line(info)
        assert v.requires_grad == (view != "c[0:2]")


def test_resize_as_refusal_names_resize_as():
    x = tg.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^resize_as_: cannot resize a tensor that "
                                           r"requires a gradient") as info:
        x.resize_as_(tg.zeros(3, 2))
    _one_line(info)


@pytest.mark.parametrize("name, args, shape", CHANGES)
def test_gradgradcheck_of_a_function_composed_with_each_change(name, args, shape):
    def f(x):
        h = (x * x).sin()
        getattr(h, name)(*args)
        return (h * _weights(tg, h.shape)).exp()

    x = tg.tensor(np.linspace(-0.9, 0.8, int(np.prod(shape))).reshape(shape),
                  requires_grad=True)
    assert tg.gradgradcheck(f, (x,))


@pytest.mark.torch
@pytest.mark.parametrize("name, args, shape", CHANGES)
def test_second_order_with_create_graph_as_torch(torch64, name, args, shape):
    def program(lib):
        x = lib.tensor(np.linspace(-0.9, 0.8, int(np.prod(shape))).reshape(shape),
                       dtype=lib.float64, requires_grad=True)
        h = (x * x).sin()
        getattr(h, name)(*args)
        (g,) = lib.autograd.grad((h * _weights(lib, h.shape)).sum(), (x,), create_graph=True)
        (g * g).sum().backward()
        return g.detach().numpy().copy(), x.grad.numpy().copy()
    for ours, theirs in zip(program(tg), program(torch64)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


@pytest.mark.torch
def test_float32_stays_float32_with_torchs_values(torch64):
    import torch
    results = []
    for lib in (torch, tg):
        x = lib.tensor(X.astype(np.float32), requires_grad=True)
        h = (x * 1.5).sin()
        row = h[1]
        h.t_()
        h.unsqueeze_(0)
        h.mul_(lib.tensor(np.float32(2.5)))
        out = (h * lib.tensor(np.arange(6.0, dtype=np.float32).reshape(1, 3, 2))).sum()
        (out + row.sum()).backward()
        results.append((str(h.dtype)[-7:], str(x.grad.dtype)[-7:], h.detach().numpy().copy(),
                        x.grad.numpy().copy()))
    assert results[1][:2] == results[0][:2] == ("float32", "float32")
    for ours, theirs in zip(results[1][2:], results[0][2:]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-6)


# ---- the second mend: what the review of the first found ----

@pytest.mark.torch
@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
@pytest.mark.parametrize("change", ["h.unsqueeze_(0)", "h.t_()", "h.transpose_(0, 1)"])
def test_a_graph_built_before_a_no_grad_shape_change_backwards_as_torch(torch64, mode,
                                                                        change):
    # (the nodes that used h before take its old version: its layout, its gradient)
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        h, seen = x * 1, []
        y, saved_h = h * _weights(lib, (2, 3)), h * h
        h.register_hook(lambda g: seen.append(g.tolist()))
        h.retain_grad()
        with getattr(lib, mode)():
            exec(change, {"h": h})
        y.sum().backward()
        got = x.grad.tolist(), seen, h.grad.tolist(), h.retains_grad, tuple(h.shape)
        with pytest.raises(RuntimeError):  # (it saved h, since changed: refused, as torch's)
            saved_h.sum().backward()
        return got
    _as_torch(torch64, program)


@pytest.mark.torch
@pytest.mark.parametrize("write", ["h.mul_(2)", "h[0, 1] = 3.0",
                                   "with lib.no_grad(): h.add_(1)", "pass"])
def test_views_taken_before_detach_leave_the_graph_at_a_later_write_as_torch(torch64, write):
    # (PyTorch's regenerates them from the detached base; a node that used one before
    # keeps its old version)
    def program(lib):
        x = lib.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
        h = x * 1
        v = h.t()
        w = v[0]
        r = v * 5 + w.sum()
        h.detach_()
        exec(write, {"h": h, "lib": lib})
        (r.sum() + (v * v).sum() + (w * w).sum() + x.sum()).backward()
        return x.grad.tolist(), v.tolist(), h.tolist()
    _as_torch(torch64, program)


@pytest.mark.torch
def test_retains_grad_after_detach_as_torch(torch64):
    def program(lib):
        x = lib.tensor(X, requires_grad=True)
        h, leaf = x * 1, lib.tensor(X, requires_grad=True)
        h.retain_grad()
        leaf.retain_grad()
        before = h.retains_grad
        h.detach_()
        return before, h.retains_grad, leaf.retains_grad, h.is_leaf
    _as_torch(torch64, program)
