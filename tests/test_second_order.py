"""Second derivatives: every op's `backward_graph` gradient-checked, and the pass that runs them.

`test_second_derivatives_of_every_op` runs `tg.gradgradcheck` on each op over the inputs
test_ops.OP_SPECS draws: the gradients computed with `create_graph=True` must equal the
plain backward pass's, and their own gradients must match central finite differences in
float64; `test_every_op_has_a_second_derivative` fails when an op is added without a
`backward_graph` (a user's op without one runs its backward on tensors: tested below and in
test_port_double_backward.py). The rest checks the pass with `create_graph=True` against
PyTorch's.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_gd as tg
from tinygrad_gd.higher_order import has_backward_graph
from test_ops import OP_SPECS, leaves, library_ops


def leaf(x) -> tg.Tensor:
    return tg.Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


def third_derivative_check(fn, *arrays) -> bool:
    """gradgradcheck of fn's gradient (seeded by an input v): fn's third derivatives."""
    xs = [leaf(a) for a in arrays]
    v = np.random.default_rng(1).standard_normal(fn(*xs).shape)

    def gradient(*args):
        *ins, seed = args
        grads = tg.autograd.grad(fn(*ins), list(ins), grad_outputs=seed, create_graph=True,
                                 materialize_grads=True)
        return tg.concatenate([g.reshape(-1) for g in grads])
    return tg.gradgradcheck(gradient, xs + [leaf(v)])


def test_every_op_has_a_second_derivative():
    ops = tg.registered_ops()
    missing = sorted(name for name in library_ops() if not has_backward_graph(ops[name]))
    assert not missing, f"ops without backward_graph (no second derivative): {missing}"


@pytest.mark.parametrize("name", sorted(OP_SPECS))
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_second_derivatives_of_every_op(name, data):
    fn, arrays, _ = OP_SPECS[name](data)
    inputs = leaves(arrays)
    out = fn(*inputs)
    assert out.grad_fn is not None and out.grad_fn.name == name  # the op under test recorded it
    assert tg.gradgradcheck(fn, inputs)


# ------------------------------------------------ the pass with create_graph=True, as torch's

def torch_and_ours(build, *arrays):
    """`build(lib, *tensors)` run on torch and on tinygrad_gd (float64 leaves requiring a
    gradient): both results, as lists of arrays."""
    torch = pytest.importorskip("torch")
    theirs = build(torch, *(torch.tensor(a, requires_grad=True) for a in arrays))
    ours = build(tg, *(tg.tensor(a, requires_grad=True) for a in arrays))
    return [np.asarray(t.detach().numpy()) for t in theirs], [t.numpy() for t in ours]


def assert_same(pair):
    theirs, ours = pair
    assert len(theirs) == len(ours)
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-13)


RNG = np.random.default_rng(7)


def test_a_hook_sees_and_replaces_a_gradient_with_its_graph():
    def build(lib, x):
        h = x * x
        h.register_hook(lambda g: g * x)  # the replacement depends on x: differentiated too
        (g,) = lib.autograd.grad((h * 3).sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        return [g, g2]
    assert_same(torch_and_ours(build, np.array([1.0, 2.0, -0.5])))


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # (torch's)
def test_grad_accumulates_with_its_graph_and_retain_grad_keeps_one():
    def build(lib, x, w):
        h = (x * w).tanh()
        h.retain_grad()
        loss = (h ** 2).sum()
        loss.backward(create_graph=True)
        loss.backward(create_graph=True)  # .grad = the sum of both, recorded
        first, retained = w.grad, h.grad
        (second,) = lib.autograd.grad((first * first).sum() + retained.sum(), w)
        return [first, retained, second]
    assert_same(torch_and_ours(build, RNG.standard_normal(3), RNG.standard_normal(3)))


def test_grad_outputs_with_a_graph_are_differentiated_too():
    def build(lib, x, v):
        (g,) = lib.autograd.grad((x.exp() * x).sum(0), x, grad_outputs=v, create_graph=True)
        gx, gv = lib.autograd.grad((g ** 2).sum(), [x, v])
        return [g, gx, gv]
    assert_same(torch_and_ours(build, RNG.standard_normal((2, 3)), RNG.standard_normal(3)))


def test_a_graph_pass_records_under_no_grad_as_torchs():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    with tg.no_grad():
        (g,) = tg.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and g.tolist() == [3.0, 12.0]
    assert tg.autograd.grad(g.sum(), x)[0].tolist() == [6.0, 12.0]


def test_the_graph_is_kept_unless_retain_graph_is_false():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(create_graph=True)  # kept: a second backward works
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.exp([1.0, 2.0]) * [2.0, 3.0]))
    (g,) = tg.autograd.grad((x.exp() * x).sum(), x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match=r"backward through op '(exp|mul)' a second time"):
        g.sum().backward()


def test_a_users_op_is_differentiated_twice_through_its_backward_or_refused_first():
    """Without backward_graph, a user's op's backward runs on tensors (as PyTorch's);
    where it reads an array forward computed, its gradient is values whose derivative is
    refused in one line (PyTorch's way with a once-differentiable backward)."""
    class Cube(tg.Function, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        def backward(ctx, g):
            return 3 * ctx.saved_tensors[0] ** 2 * g

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert tg.autograd.grad(g.sum(), x)[0].tolist() == [6.0, 12.0]

    class Squares(Cube, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x * x)  # an intermediate: its graph is not kept
            return x ** 3

        def backward(ctx, g):
            return 3 * ctx.saved_tensors[0] * g

    (Squares.apply(x) * 2).sum().backward(create_graph=True)  # its NumPy backward's values
    assert x.grad.tolist() == [6.0, 24.0] and x.grad.requires_grad
    with pytest.raises(NotImplementedError, match=r"^a derivative through the gradient of op "
                       r"'squares' .* is refused: op 'squares' has no backward_graph, and its "
                       r"backward reads ctx.saved_tensors\[0\], an array forward computed"
                       ) as info:
        x.grad.sum().backward()
    assert "\n" not in str(info.value)
    (g,) = tg.autograd.grad((Squares.apply(x) * x).sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError, match="gradient of op 'squares'"):
        g.sum().backward()  # (its x term alone would be fine: the whole is refused)


def test_a_users_op_with_backward_graph_is_differentiated_twice_and_checked():
    class Cube(tg.Function, register=False):
        def forward(ctx, x):
            return x ** 3

        def backward(ctx, g):
            return 3 * ctx.parents[0]._data ** 2 * g

        def backward_graph(ctx, out, g):
            return 3 * ctx.parents[0] ** 2 * g

    x = tg.tensor([1.0, -2.0], requires_grad=True)
    assert tg.gradgradcheck(Cube.apply, [x])
    (g,) = tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert tg.autograd.grad(g.sum(), x)[0].tolist() == [6.0, -12.0]

    class Wrong(Cube, register=False):
        def backward_graph(ctx, out, g):
            return 2 * ctx.parents[0] ** 2 * g  # disagrees with backward

    with pytest.raises(tg.GradcheckError, match="differ from backward"):
        tg.gradgradcheck(Wrong.apply, [x])
    assert not tg.gradgradcheck(Wrong.apply, [x], raise_exception=False)


def test_anomaly_mode_checks_the_graph_pass():
    """The gradient's ops are checked as any op: sqrt's backward_graph divides by 2 sqrt(x),
    Inf at 0, and the error names that division, the line of the pass and whose
    backward_graph it is in."""
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match=r"op 'div' produced Inf .* line \d+, in "
                                               r"test_anomaly_mode_checks_the_graph_pass.* "
                                               r"\(in the backward_graph of op 'sqrt'\)$"):
            tg.autograd.grad(y, x, create_graph=True)


def test_float32_stays_float32_through_two_derivatives():
    x = tg.tensor([0.5, 1.5], dtype=np.float32, requires_grad=True)
    (g,) = tg.autograd.grad((x.tanh() * x).sum(), x, create_graph=True)
    (g2,) = tg.autograd.grad(g.sum(), x)
    assert g.dtype == g2.dtype == np.float32
    exact = tg.autograd.grad(tg.autograd.grad((x.double().tanh() * x.double()).sum(), x,
                                              create_graph=True)[0].sum(), x)[0]
    np.testing.assert_allclose(g2.numpy(), exact.numpy(), rtol=1e-5)


def test_batched_grad_outputs_with_create_graph_differentiate_again():
    # (PyTorch's vmap gives these: each row the create_graph gradient of its grad_output)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seeds = tg.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], requires_grad=True)
    (rows,) = tg.autograd.grad(x ** 3, x, grad_outputs=seeds, create_graph=True,
                               is_grads_batched=True)
    np.testing.assert_allclose(rows.numpy(), seeds.numpy() * 3 * x.numpy() ** 2)
    gx, gs = tg.autograd.grad(rows.sum(), [x, seeds])
    np.testing.assert_allclose(gx.numpy(), 6 * x.numpy() * seeds.numpy().sum(0))
    np.testing.assert_allclose(gs.numpy(), np.broadcast_to(3 * x.numpy() ** 2, (3, 2)))


def test_the_gradients_graph_is_drawn_with_its_ops_and_values():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    (g,) = tg.autograd.grad(x ** 3, x, create_graph=True)
    source = tg.draw_graph(g).source
    assert "pow" in source and "mul" in source and "<B>x</B>" in source
    assert "12" in source  # the gradient's value, 3 x**2


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # (torch's)
def test_an_optimizer_steps_on_a_gradient_penalty_as_torchs():
    torch = pytest.importorskip("torch")
    x, w0 = RNG.standard_normal((4, 3)), RNG.standard_normal((2, 3))

    def run(lib, optim):
        w = lib.tensor(w0, requires_grad=True)
        opt = optim.Adam([w], lr=0.1)
        for _ in range(3):
            opt.zero_grad()  # (the last penalty's gradient, from before the step: cleared)
            loss = ((lib.tensor(x) @ w.T).tanh() ** 2).mean()
            loss.backward(create_graph=True)
            penalty = loss + (w.grad ** 2).sum()
            opt.zero_grad()
            penalty.backward()
            opt.step()
        opt.zero_grad()
        loss = ((lib.tensor(x) @ w.T).tanh() ** 2).mean()
        loss.backward(create_graph=True)
        penalty = (w.grad ** 2).sum()
        opt.zero_grad(set_to_none=False)  # the graph gradient cut, then zeroed in place
        assert w.grad.grad_fn is None and not w.grad.detach().numpy().any()
        with pytest.raises(RuntimeError):  # the penalty's graph saved the zeroed values
            penalty.backward()
        return w.detach().numpy()
    np.testing.assert_allclose(run(tg, tg.optim), run(torch, torch.optim), rtol=1e-12)


def test_autograd_functional_is_torchs():
    torch = pytest.importorskip("torch")
    a, b, v, u = (RNG.standard_normal(s) for s in ((3,), (2, 3), (3,), (2, 3)))

    def f(x, y):
        return ((x * y).tanh().sum(0) ** 2).sum() + (x.exp() * x).sum()

    def g(x):
        return (x * x).tanh()

    def run(lib):
        F = lib.autograd.functional
        x, y, vx, uy = (lib.tensor(c, requires_grad=True) for c in (a, b, v, u))
        results = [*(block for row in F.hessian(f, (x, y)) for block in row),
                   F.hessian(lambda p: f(p, y), x),
                   *F.hvp(f, (x, y), (vx, uy))[1], *F.vhp(f, (x, y), (vx, uy))[1],
                   F.hvp(f, (x, y), (vx, uy))[0]]
        jac = F.jacobian(g, x, create_graph=True)  # blocks with a graph: differentiated again
        _, vjp = F.vjp(g, x, vx, create_graph=True)
        _, jvp = F.jvp(g, x, vx, create_graph=True)
        second = [lib.autograd.grad(t.sum(), x, allow_unused=True)[0] for t in (jac, vjp, jvp)]
        return results + [jac, vjp, jvp] + second

    for ours, theirs in zip(run(tg), run(torch)):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-11,
                                   atol=1e-13)


def test_torchs_autograd_spellings_of_the_checks():
    x = tg.tensor([0.5, 1.5], requires_grad=True)
    assert tg.autograd.gradcheck is tg.gradcheck and tg.autograd.gradgradcheck is tg.gradgradcheck
    assert tg.autograd.gradgradcheck(lambda t: (t.sin() * t).sum(), [x])


def test_gradgradcheck_names_the_first_disagreeing_entry_even_where_it_is_nan():
    class NanGraph(tg.Function, register=False):
        def forward(ctx, x):
            return x * x

        def backward(ctx, g):
            return 2 * ctx.parents[0]._data * g

        def backward_graph(ctx, out, g):
            return g * np.nan  # every recorded gradient NaN: backward's are numbers

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(tg.GradcheckError, match=r"nan where backward\(\) gives .*\(entry 0 "
                                                r".*the first of 2\)"):
        tg.gradgradcheck(NanGraph.apply, [x])


def test_backward_with_inputs_and_create_graph_under_no_grad_keeps_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    with tg.no_grad():
        y.backward(create_graph=True, inputs=[x])
        y.backward(create_graph=True, inputs=[x])  # .grad's sum of the two: recorded too
    assert x.grad.requires_grad and x.grad.tolist() == [6.0, 24.0]
    assert tg.autograd.grad(x.grad.sum(), x)[0].tolist() == [12.0, 24.0]


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # (torch's)
def test_several_outputs_start_one_pass_with_a_graph():
    def build(lib, x):
        (g,) = lib.autograd.grad([(x ** 3).sum(), x.sin()], x,
                                 grad_outputs=[None, lib.ones(3, dtype=lib.float64)],
                                 create_graph=True)
        x.grad = None
        lib.autograd.backward([(x ** 3).sum(), x.exp().sum()], create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum() + x.grad.sum(), x)
        return [g, x.grad, h]
    assert_same(torch_and_ours(build, RNG.standard_normal(3)))
