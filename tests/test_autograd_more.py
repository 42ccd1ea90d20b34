"""backward(inputs=...) and tg.autograd.functional (jacobian, vjp, jvp), against torch 2.13
and against central finite differences."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor
from tinygrad_gd.autograd.functional import jacobian as jacobian_imported  # PyTorch's path

F = tg.autograd.functional

# ------------------------------------------------------------------ backward(inputs=...)


def _graph(lib, x_values, w_values, dtype=None):
    """x, w (leaves), h = x * w (retained), a side branch b = w * 3, loss = (h * b).sum()."""
    make = (lambda v: Tensor(v, requires_grad=True, dtype=dtype)) if lib is None else (
        lambda v: lib.tensor(v, requires_grad=True, dtype=dtype))
    x, w = make(x_values), make(w_values)
    h = x * w
    h.retain_grad()
    b = w * 3
    return x, w, h, b, (h * h * b).sum()


def _grads(*tensors):
    return [None if t.grad is None else np.asarray(t.grad.detach()) for t in tensors]


@pytest.mark.parametrize("which", ["x", "h", "x and h", "w as a tensor"])
def test_only_the_inputs_grad_accumulates_as_pytorchs(which):
    torch = pytest.importorskip("torch")
    got, want = [], []
    for lib, out in ((None, got), (torch, want)):
        x, w, h, b, loss = _graph(lib, [1.0, -2.0], [0.5, 3.0],
                                  None if lib is None else torch.float64)
        chosen = {"x": [x], "h": [h], "x and h": (x, h), "w as a tensor": w}[which]
        loss.backward(inputs=chosen)
        out.extend(_grads(x, w, h))
    for g, t in zip(got, want):
        assert (g is None) == (t is None)
        if g is not None:
            np.testing.assert_allclose(g, t, rtol=1e-12)


def test_a_non_leaf_input_gets_grad_without_retain_grad_or_warning():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (h * 3).sum().backward(inputs=[h])
        assert h.grad.tolist() == [3.0, 3.0]
    assert x.grad is None and h.is_leaf is False


def test_gradients_from_inputs_equal_autograd_grad_and_finite_differences():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    w = Tensor(rng.normal(size=(3,)), requires_grad=True)

    def loss_of(x, w):
        return ((x * w).tanh() ** 2).sum()
    assert tg.gradcheck(loss_of, (x, w))  # the ops' gradients against central differences
    loss_of(x, w).backward(inputs=[w])
    (gw,) = tg.autograd.grad(loss_of(x, w), [w])
    np.testing.assert_array_equal(w.grad.numpy(), gw.numpy())
    assert x.grad is None


def test_only_the_hooks_on_a_path_to_an_input_run_as_pytorchs():
    torch = pytest.importorskip("torch")
    runs = {}
    for lib in (None, torch):
        fired = runs.setdefault(lib, [])
        x, w, h, b, loss = _graph(lib, [1.0, 2.0], [3.0, 4.0],
                                  None if lib is None else torch.float64)
        for name, t in (("x", x), ("w", w), ("h", h), ("b", b)):
            t.register_hook(lambda g, name=name: fired.append(name))
        loss.backward(inputs=[x])
    assert sorted(runs[None]) == sorted(runs[torch]) == ["h", "x"]


def test_a_hook_on_an_input_changes_its_grad_as_pytorchs():
    torch = pytest.importorskip("torch")
    x, tx = Tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    for t in (x, tx):
        h = t * 2
        h.register_hook(lambda g: g * 10)
        h.sum().backward(inputs=h)
        t.register_hook(lambda g: g * 10)
        (t * 2).sum().backward(inputs=[t])
        assert np.asarray(h.grad).tolist() == [10.0, 10.0]
    assert x.grad.tolist() == tx.grad.tolist() == [20.0, 20.0]


def test_inputs_accumulate_across_calls_and_an_unused_one_gets_none():
    x = Tensor([1.0, 2.0], requires_grad=True)
    unused = Tensor([5.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(inputs=[x, unused], retain_graph=True)
    loss.backward(inputs=(x,))
    assert x.grad.tolist() == [4.0, 8.0] and unused.grad is None
    with pytest.raises(RuntimeError, match="a second time"):  # retain_graph=None frees it
        loss.backward(inputs=[x])
    (x * 2).sum().backward(inputs=[unused])  # only unused inputs: nothing, as PyTorch
    assert unused.grad is None and x.grad.tolist() == [4.0, 8.0]


def test_several_outputs_with_inputs_as_pytorchs():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        x = lib.tensor([1.0, -2.0, 0.5], requires_grad=True, dtype=lib.float64)
        w = lib.tensor([0.3, 0.2, 0.1], requires_grad=True, dtype=lib.float64)
        lib.autograd.backward([(x * w).sum(), (w * w * x).exp()],
                              [None, lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)],
                              inputs=[w])
        results.append((x.grad, np.asarray(w.grad)))
    assert results[0][0] is None and results[1][0] is None
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_float32_inputs_keep_float32_grads_as_pytorchs():
    torch = pytest.importorskip("torch")
    x, w, h, b, loss = _graph(None, [1.0, 2.0], [0.5, -1.5], np.float32)
    tx, tw, th, tb, tloss = _graph(torch, [1.0, 2.0], [0.5, -1.5], torch.float32)
    loss.backward(inputs=[w, h])
    tloss.backward(inputs=[tw, th])
    assert w.grad.dtype == h.grad.dtype == np.float32
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(h.grad.numpy(), th.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda loss, inputs: loss.backward(inputs=inputs),
    lambda loss, inputs: tg.autograd.backward(loss, inputs=inputs),
    lambda loss, inputs: tg.autograd.backward([loss, loss * 2], inputs=inputs),
])
def test_bad_inputs_are_refused_in_one_line_as_pytorch_refuses_them(call):
    x = Tensor([1.0, 2.0], requires_grad=True)
    for inputs, error, words in (
            ([], RuntimeError, r"backward\(?\)?: inputs= cannot be empty"),
            ((), RuntimeError, r"cannot be empty"),
            ([x, Tensor([1.0])], RuntimeError, r"inputs\[1\] \(shape \(1,\)\) does not require "
                                               r"grad"),
            ([x, 1.0], RuntimeError, r"all inputs have to be Tensors, but inputs\[1\] is float"),
            (3, TypeError, r"inputs must be a Tensor or a tuple/list of Tensors, got int"),
            (np.ones(2), TypeError, r"got ndarray")):
        with pytest.raises(error, match=words) as info:
            call((x * x).sum(), inputs)
        assert "\n" not in str(info.value)
    assert x.grad is None


def test_create_graph_and_grad_variables_as_pytorch_allows_them():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for call in (lambda: (x * x * x).sum().backward(create_graph=True, inputs=[x]),
                 lambda: tg.autograd.backward((x * x * x).sum(), create_graph=True)):
        x.grad = None
        call()  # .grad is 3 x**2, with a graph: its own gradient is 6 x
        assert x.grad.tolist() == [3.0, 12.0] and x.grad.requires_grad
        (second,) = tg.autograd.grad(x.grad.sum(), x)
        assert second.tolist() == [6.0, 12.0]
    x.grad = None
    with pytest.warns(FutureWarning, match="grad_variables is deprecated"):
        tg.autograd.backward([x * 2], grad_variables=[np.ones(2)], inputs=x)
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="grad_tensors and grad_variables"):
        tg.autograd.backward([x * 2], grad_tensors=[np.ones(2)], grad_variables=[np.ones(2)])


def test_retained_tensors_off_the_path_keep_no_grad_as_pytorchs():
    torch = pytest.importorskip("torch")
    for lib in (None, torch):
        x, w, h, b, loss = _graph(lib, [1.0, 2.0], [3.0, 4.0],
                                  None if lib is None else torch.float64)
        b.retain_grad()
        loss.backward(inputs=[x])
        assert b.grad is None and h.grad is not None and w.grad is None

def _chain(lib):
    """x (a leaf) -> h = sin(x) -> g = exp(h), loss = (g * g).sum(): g a non-leaf input."""
    x = lib.tensor([1.0, 2.0], requires_grad=True, dtype=lib.float64)
    h = x.sin()
    g = h.exp()
    return x, h, g, (g * g).sum()


@pytest.mark.parametrize("call", [
    lambda lib, loss, g: loss.backward(inputs=[g]),
    lambda lib, loss, g: lib.autograd.grad(loss, [g]),
])
def test_the_graph_below_a_non_leaf_input_is_neither_run_nor_freed_as_pytorchs(call):
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        x, h, g, loss = _chain(lib)
        call(lib, loss, g)
        assert x.grad is None
        h.backward(lib.ones(2, dtype=lib.float64))  # sin's saved input is still there
        np.testing.assert_allclose(np.asarray(x.grad.detach()), np.cos([1.0, 2.0]), rtol=1e-12)


def test_autograd_grad_runs_only_the_hooks_on_a_path_to_its_inputs_as_pytorchs():
    torch = pytest.importorskip("torch")
    runs = {}
    for lib in (tg, torch):
        fired = runs.setdefault(lib.__name__, [])
        x, w, h, b, loss = _graph(None if lib is tg else lib, [1.0, 2.0], [3.0, 4.0],
                                  None if lib is tg else torch.float64)
        for name, t in (("x", x), ("w", w), ("h", h), ("b", b)):
            t.register_hook(lambda g, name=name: fired.append(name))
        (gx,) = lib.autograd.grad(loss, [x])
        runs[lib.__name__ + " gx"] = np.asarray(gx.detach()).tolist()
    assert sorted(runs["tinygrad_gd"]) == sorted(runs["torch"]) == ["h", "x"]
    assert runs["tinygrad_gd gx"] == runs["torch gx"]


def test_a_backward_a_hook_starts_runs_all_its_own_hooks_as_pytorchs():
    torch = pytest.importorskip("torch")
    runs = {}
    for lib in (tg, torch):
        fired = runs.setdefault(lib.__name__, [])

        def hook(grad, lib=lib, fired=fired):  # a pass of its own, inside the outer one
            z = lib.tensor([3.0], requires_grad=True, dtype=lib.float64)
            with lib.enable_grad():
                inner = z * 2
                inner.register_hook(lambda g: fired.append("inner"))
                total = inner.sum()
            total.backward()
            fired.append(z.grad.tolist())

        def squared(a, hook=hook):
            h = a * 2
            h.register_hook(hook)
            return h * h
        x = lib.tensor([1.0, 2.0], requires_grad=True, dtype=lib.float64)
        squared(x).sum().backward(inputs=[x])
        lib.autograd.grad(squared(x).sum(), [x])
        lib.autograd.functional.jacobian(squared, x)  # a pass per output entry: two
    assert runs["tinygrad_gd"] == runs["torch"] == ["inner", [2.0]] * 4


def test_grad_signature_is_pytorchs():
    torch = pytest.importorskip("torch")
    import inspect
    for ours, theirs in ((tg.autograd.grad, torch.autograd.grad),
                         (tg.autograd.backward, torch.autograd.backward),
                         (Tensor.backward, torch.Tensor.backward)):
        assert [(p.name, p.default) for p in inspect.signature(ours).parameters.values()] == [
            (p.name, p.default) for p in inspect.signature(theirs).parameters.values()]


def test_grad_materialize_grads_only_inputs_and_empty_inputs_as_pytorchs():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True, dtype=lib.float64)
        unused = lib.tensor([5.0], requires_grad=True, dtype=lib.float64)
        loss = (x * x).sum()
        gx, gu = lib.autograd.grad(loss, [x, unused], retain_graph=True, materialize_grads=True)
        assert np.asarray(gx.detach()).tolist() == [2.0, 4.0]
        assert np.asarray(gu.detach()).tolist() == [0.0] and gu.dtype == unused.dtype
        with pytest.raises(ValueError, match="allow_unused to be True or not passed when "
                                             "materialize_grads=True"):
            lib.autograd.grad(loss, [x], retain_graph=True, materialize_grads=True,
                              allow_unused=False)
        with pytest.raises(RuntimeError, match="cannot be empty"):
            lib.autograd.grad(loss, [], retain_graph=True)
        with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
            (g,) = lib.autograd.grad(loss, [x], None, True, False, False)  # positional
        assert np.asarray(g.detach()).tolist() == [2.0, 4.0]
        assert lib.autograd.grad(loss, [x, unused], None, True, False, True, True)[1] is None


def test_grad_is_grads_batched_gives_pytorchs_rows():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    values, w_values = rng.normal(size=(2, 3)), rng.normal(size=3)
    batch = rng.normal(size=(4, 2))  # four seeds of the output's shape (2,)
    got = []
    for lib in (tg, torch):
        x = lib.tensor(values, requires_grad=True, dtype=lib.float64)
        w = lib.tensor(w_values, requires_grad=True, dtype=lib.float64)
        unused = lib.tensor([1.0], requires_grad=True, dtype=lib.float64)
        out = (x * w).tanh().sum(1)
        grads = lib.autograd.grad(out, (x, w, unused), lib.tensor(batch, dtype=lib.float64),
                                  is_grads_batched=True, allow_unused=True)
        got.append([None if g is None else np.asarray(g.detach()) for g in grads])
        assert x.grad is None
    for ours, theirs in zip(*got):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert ours.shape == theirs.shape
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    x = Tensor([1.0, 2.0], requires_grad=True)
    (rows,) = tg.autograd.grad(x * x, x, np.eye(2), is_grads_batched=True)  # the Jacobian
    np.testing.assert_array_equal(rows.numpy(), np.diag([2.0, 4.0]))
    jac = F.jacobian(lambda a: a * a, Tensor([1.0, 2.0]))
    np.testing.assert_array_equal(rows.numpy(), jac.numpy())
    for seeds, words in ((np.ones((2, 3)), r"grad_outputs\[0\] has shape \(2, 3\) and output 0 "
                                           r"shape \(2,\)"),
                         (None, r"grad_outputs\[0\] has shape None"),
                         (np.ones((0, 2)), r"at least 1, got \[0\]")):
        with pytest.raises(RuntimeError, match=r"^grad: with is_grads_batched=True") as info:
            tg.autograd.grad(x * x, x, seeds, is_grads_batched=True)
        assert re.search(words, str(info.value)) and "\n" not in str(info.value)


# ------------------------------------------------------------------ autograd.functional
# Each case: a function written once for both libraries, its input shapes.


CASES = {
    "elementwise": (lambda a: a.tanh() * a, [(2, 3)]),
    "broadcast, two inputs": (lambda a, b: (a * b).exp() + b, [(2, 3), (3,)]),
    "two outputs": (lambda a, b: ((a @ b).tanh(), (a * a).sum()), [(2, 3), (3,)]),
    "0-d in and out": (lambda a: a * a * a, [()]),
    "tuple of one input": (lambda a: (a[:, None] * a,), [(3,)]),
    "relu and abs at 0": (lambda a: a.relu() + a.abs() * 2, [(4,)]),
}


def _numbers(result):
    """A result's nesting, with each tensor as an array."""
    if isinstance(result, tuple):
        return tuple(_numbers(r) for r in result)
    return np.asarray(result.detach() if hasattr(result, "detach") else result)


def _assert_same(got, want, rtol=1e-12):
    assert type(got) is type(want) or not isinstance(want, tuple)
    if isinstance(want, tuple):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same(g, w, rtol)
    else:
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-14)


def _case(name):
    func, shapes = CASES[name]
    values = [np.random.default_rng(1).normal(size=s) for s in shapes]
    if name == "relu and abs at 0":
        values = [np.array([0.0, -0.0, 1.5, -2.0])]
    return func, values, len(shapes) > 1 or name == "tuple of one input"


@pytest.mark.parametrize("name", CASES)
def test_jacobian_vjp_jvp_are_pytorchs(name):
    torch = pytest.importorskip("torch")
    func, values, tupled = _case(name)
    ours = tuple(Tensor(v) for v in values)
    theirs = tuple(torch.tensor(v) for v in values)
    if not tupled:
        ours, theirs = ours[0], theirs[0]
    _assert_same(_numbers(F.jacobian(func, ours)),
                 _numbers(torch.autograd.functional.jacobian(func, theirs)))
    outputs = func(*(ours if tupled else (ours,)))
    outs = outputs if isinstance(outputs, tuple) else (outputs,)
    rng = np.random.default_rng(2)
    v_out = [rng.normal(size=o.shape) for o in outs]
    v_in = [rng.normal(size=np.shape(v)) for v in values]
    for which, v in ((F.vjp, v_out), (F.jvp, v_in)):
        torch_which = getattr(torch.autograd.functional, which.__name__)
        pack = tuple if (isinstance(outputs, tuple) if which is F.vjp else tupled) else (
            lambda vs: vs[0])
        got = which(func, ours, pack([Tensor(x) for x in v]))
        want = torch_which(func, theirs, pack([torch.tensor(x) for x in v]))
        _assert_same(_numbers(got), _numbers(want))


def _central_jacobian(func, values, i, j, eps=1e-6):
    """d output i / d input j by central differences, of shape out.shape + input.shape."""
    def output(vals):
        out = func(*(Tensor(v) for v in vals))
        return (out if isinstance(out, tuple) else (out,))[i].numpy()
    base = output(values)
    jac = np.zeros(base.shape + np.shape(values[j]))
    for k in np.ndindex(np.shape(values[j])):
        plus, minus = [np.array(v, dtype=float) for v in values], [np.array(v, dtype=float)
                                                                    for v in values]
        plus[j][k] += eps
        minus[j][k] -= eps
        jac[(...,) + k] = (output(plus) - output(minus)) / (2 * eps)
    return jac


@pytest.mark.parametrize("name", [n for n in CASES if n != "relu and abs at 0"])
def test_jacobian_vjp_jvp_are_central_differences_without_torch(name):
    func, values, tupled = _case(name)
    inputs = tuple(Tensor(v, requires_grad=True) for v in values)
    assert tg.gradcheck(lambda *xs: sum(o.sum() for o in (lambda r: r if isinstance(r, tuple)
                                                         else (r,))(func(*xs))), inputs)
    jac = F.jacobian(func, inputs if tupled else inputs[0])
    outputs = func(*inputs)
    n_out = len(outputs) if isinstance(outputs, tuple) else 1
    blocks = [[_central_jacobian(func, values, i, j) for j in range(len(values))]
              for i in range(n_out)]
    for i in range(n_out):
        for j in range(len(values)):
            block = jac if n_out == 1 and not isinstance(outputs, tuple) else jac[i]
            block = block[j] if tupled else block
            np.testing.assert_allclose(block.numpy(), blocks[i][j], rtol=1e-5, atol=1e-7)
    rng = np.random.default_rng(3)
    outs = outputs if isinstance(outputs, tuple) else (outputs,)
    v_out = [rng.normal(size=o.shape) for o in outs]
    v_in = [rng.normal(size=np.shape(v)) for v in values]
    _, vjp = F.vjp(func, tuple(Tensor(v) for v in values),
                   tuple(Tensor(v) for v in v_out))
    _, jvp = F.jvp(func, tuple(Tensor(v) for v in values),
                   tuple(Tensor(v) for v in v_in))
    jvp = jvp if isinstance(jvp, tuple) else (jvp,)
    for j in range(len(values)):
        want = sum(np.tensordot(v_out[i], blocks[i][j], axes=v_out[i].ndim)
                   for i in range(n_out))
        np.testing.assert_allclose(vjp[j].numpy(), want, rtol=1e-5, atol=1e-7)
    for i in range(n_out):
        want = sum(np.tensordot(blocks[i][j], v_in[j], axes=v_in[j].ndim)
                   for j in range(len(values)))
        np.testing.assert_allclose(jvp[i].numpy(), want, rtol=1e-5, atol=1e-7)


def test_parameters_as_inputs_and_a_parameter_closed_over_are_left_alone():
    rng = np.random.default_rng(4)
    layer = tg.nn.Linear(3, 2)
    x = Tensor(rng.normal(size=(4, 3)))
    hidden = layer.weight * 2  # a graph of the caller's that the function uses
    fired = []
    layer.weight.register_hook(lambda g: fired.append("weight"))

    def model(w, b):
        return (x @ w.T + b).tanh() + (hidden * 0).sum()
    jac_w, jac_b = F.jacobian(model, (layer.weight, layer.bias))
    weights = (layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
    np.testing.assert_allclose(jac_w.numpy(), _central_jacobian(model, weights, 0, 0),
                               rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(jac_b.numpy(), _central_jacobian(model, weights, 0, 1),
                               rtol=1e-5, atol=1e-8)
    assert jac_w.shape == (4, 2, 2, 3) and not jac_w.requires_grad
    assert layer.weight.grad is None and layer.bias.grad is None and fired == []
    hidden.sum().backward()  # its graph was neither run through nor freed
    assert layer.weight.grad.tolist() == [[2.0] * 3] * 2 and fired == ["weight"]


def test_results_keep_the_nesting_and_dtypes_of_pytorchs():
    torch = pytest.importorskip("torch")
    x32 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    for func, strategy in ((lambda a: a * 2, "reverse-mode"),
                           (lambda a: (a.double() * 2, a.sum()), "forward-mode"),
                           (lambda a: (a.double() * 2, a.sum()), "reverse-mode")):
        got = F.jacobian(func, Tensor(x32, dtype=np.float32), vectorize=True, strategy=strategy)
        want = torch.autograd.functional.jacobian(func, torch.tensor(x32), vectorize=True,
                                                  strategy=strategy)
        _assert_same(_numbers(got), _numbers(want), rtol=1e-6)
    for which in ("vjp", "jvp"):
        func = (lambda a: a.double() * 2) if which == "vjp" else (lambda a: a.float() * 2)
        x = np.array([1.0, 2.0], dtype=np.float32 if which == "vjp" else np.float64)
        v = np.ones(2, dtype=np.float32)
        got = getattr(F, which)(func, Tensor(x, dtype=x.dtype), Tensor(v, dtype=v.dtype))
        want = getattr(torch.autograd.functional, which)(func, torch.tensor(x), torch.tensor(v))
        _assert_same(_numbers(got), _numbers(want), rtol=1e-6)


def test_empty_inputs_and_outputs():
    torch = pytest.importorskip("torch")
    empty = np.zeros(0)
    got = F.jacobian(lambda a: a.sum(), Tensor(empty))
    want = torch.autograd.functional.jacobian(lambda a: a.sum(), torch.tensor(empty))
    _assert_same(_numbers(got), _numbers(want))
    # PyTorch fails here ("stack expects a non-empty TensorList"): the Jacobian of an
    # output without entries has no entries
    jac = F.jacobian(lambda a: a[:0] * 2, Tensor([1.0, 2.0]))
    assert jac.shape == (0, 2) and jac.dtype == np.float64
    _, jvp = F.jvp(lambda a: a[:0] * 2, Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
    assert jvp.shape == (0,)


def test_independent_inputs_give_zeros_and_strict_refuses_them_as_pytorch():
    torch = pytest.importorskip("torch")
    w = Tensor([1.0, 2.0], requires_grad=True)
    tw = torch.tensor([1.0, 2.0], requires_grad=True, dtype=torch.float64)

    def ones(m, n):
        return m.ones(n, dtype=m.float64)
    cases = [  # (call on a library, the words of PyTorch's error, with strict=True)
        (lambda m, s: m.autograd.functional.jacobian(
            lambda a, b: a * 2, (ones(m, 2), ones(m, 3)), strict=s),
         r"Output 0 of the user-provided function is independent of input 1"),
        (lambda m, s: m.autograd.functional.jacobian(lambda a: ones(m, 2), ones(m, 3), strict=s),
         r"Output 0 of the user-provided function does not require gradients"),
        (lambda m, s: m.autograd.functional.vjp(
            lambda a, b: a.sum(), (ones(m, 2), ones(m, 3)), strict=s),
         r"The output of the user-provided function is independent of input 1"),
        (lambda m, s: m.autograd.functional.jvp(
            lambda a, b: a * 2, (ones(m, 2), ones(m, 3)), (ones(m, 2), ones(m, 3)), strict=s),
         r"The output of the user-provided function is independent of input 1"),
        (lambda m, s: m.autograd.functional.jvp(
            lambda a: (a * 2, (w if m is tg else tw) * 3), ones(m, 2), ones(m, 2), strict=s),
         r"independent of entry 1 in the grad_outputs"),
    ]
    for call, words in cases:
        _assert_same(_numbers(call(tg, False)), _numbers(call(torch, False)))
        for m in (tg, torch):
            with pytest.raises(RuntimeError, match=words) as info:
                call(m, True)
            assert "\n" not in str(info.value)
    assert w.grad is None


def test_the_callers_inputs_and_grad_mode_are_left_alone():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = Tensor([7.0, 7.0])
    seen = []

    def func(a):
        seen.append((a is x, a.requires_grad, a.is_leaf, tg.is_grad_enabled()))
        return a * x  # x, closed over, is not the input a
    with tg.no_grad():
        jac = F.jacobian(func, x)
    assert seen == [(False, True, True, True)]
    assert np.diag(jac.numpy()).tolist() == [1.0, 2.0] and x.grad.tolist() == [7.0, 7.0]
    output, vjp = F.vjp(func, x, Tensor([1.0, 1.0]))
    assert not output.requires_grad and not vjp.requires_grad
    assert jacobian_imported is F.jacobian


def test_bad_arguments_are_refused_in_one_line_as_pytorch_refuses_them():
    x = Tensor([1.0, 2.0])
    cases = [
        (lambda: F.jacobian(lambda a: a, [x]), TypeError,
         r"jacobian: the inputs must be either a Tensor or a tuple of Tensors, but the given "
         r"inputs has type list"),
        (lambda: F.jacobian(lambda a, b: a, (x, 2.0)), TypeError, r"value at index 1 has type"),
        (lambda: F.jacobian(lambda a: [a], x), TypeError, r"the outputs of the user-provided "
                                                          r"function must be either a Tensor"),
        (lambda: F.jacobian(lambda a: a, Tensor([1, 2], dtype=np.int64)), RuntimeError,
         r"input 0 has dtype int64, and only floating-point tensors can require gradients"),
        (lambda: F.jacobian(3, x), TypeError, r"func must be a function"),
        (lambda: F.vjp(lambda a: a * 2, x), RuntimeError, r"v can only be None if the "
                                                          r"user-provided function returns"),
        (lambda: F.vjp(lambda a: a * 2, x, Tensor([1.0])), RuntimeError,
         r"v has invalid size: should be \(2,\) but got \(1,\)"),
        (lambda: F.vjp(lambda a: (a, a), x, (x,)), RuntimeError,
         r"v is a tuple of invalid length: should be 2 but got 1"),
        (lambda: F.vjp(lambda a: (a, a), x, (x, Tensor([1.0]))), RuntimeError,
         r"Entry 1 in v has invalid size"),
        (lambda: F.vjp(lambda a: a, x, np.ones(2)), TypeError, r"the v must be either a Tensor"),
        (lambda: F.jvp(lambda a: a * 2, x), RuntimeError, r"v can only be None if the input"),
        (lambda: F.jvp(lambda a: a * 2, x, (x, x)), RuntimeError,
         r"The given v should contain a single Tensor, got 2"),
        (lambda: F.jacobian(lambda a: a, x, strategy="forward"), ValueError,
         r"strategy must be 'forward-mode' or 'reverse-mode', got 'forward'"),
        (lambda: F.jacobian(lambda a: a, x, strategy="forward-mode"), NotImplementedError,
         r"only implemented for vectorize=True"),
        (lambda: F.jacobian(lambda a: a, x, strict=True, vectorize=True), RuntimeError,
         r"strict=True and vectorize=True are not supported together"),
        (lambda: F.jacobian(lambda a: a, x, strict="yes"), TypeError, r"strict must be True"),
        (lambda: F.jacobian(lambda a: a, x, create_graph="yes"), TypeError,
         r"jacobian: create_graph must be True"),
        (lambda: F.hessian(lambda a: a * 2, x), RuntimeError,
         r"hessian: the function given should return a single Tensor with a single element"),
        (lambda: F.hvp(lambda a: a.sum(), x), RuntimeError, r"hvp: The vector v can only be "),
        (lambda: F.vhp(lambda a: a.sum(), x, (x, x)), RuntimeError,
         r"vhp: The given v should contain a single Tensor, got 2"),
    ]
    for call, error, words in cases:
        with pytest.raises(error, match=words) as info:
            call()
        assert "\n" not in str(info.value)


def test_pytorch_raises_the_same_types_for_the_same_bad_arguments():
    torch = pytest.importorskip("torch")
    tf, x = torch.autograd.functional, torch.ones(2)
    for call, error in ((lambda: tf.jacobian(lambda a: a, [x]), TypeError),
                        (lambda: tf.jacobian(lambda a: a, torch.tensor([1, 2])), RuntimeError),
                        (lambda: tf.vjp(lambda a: a * 2, x), RuntimeError),
                        (lambda: tf.vjp(lambda a: a * 2, x, torch.ones(1)), RuntimeError),
                        (lambda: tf.jvp(lambda a: a * 2, x, (x, x)), RuntimeError),
                        (lambda: tf.jacobian(lambda a: a, x, strategy="forward-mode"),
                         NotImplementedError),
                        (lambda: tf.jacobian(lambda a: a, x, strict=True, vectorize=True),
                         RuntimeError)):
        with pytest.raises(error):
            call()


def test_hooks_the_function_registers_run_once_per_pass_on_its_path_only():
    torch = pytest.importorskip("torch")
    counts = {}
    for lib in (tg, torch):
        fired = counts.setdefault(lib.__name__, [])
        outside = lib.ones(2, requires_grad=True)

        def func(a):
            h = a * 2
            h.register_hook(lambda g: fired.append("h"))
            side = outside * 3
            side.register_hook(lambda g: fired.append("side"))
            return h + side
        lib.autograd.functional.jacobian(func, lib.ones(2))
        lib.autograd.functional.vjp(func, lib.ones(2), lib.ones(2))
    assert counts["tinygrad_gd"] == counts["torch"] == ["h"] * 3


def test_a_branch_off_every_path_to_the_inputs_is_neither_run_nor_freed_as_pytorchs():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True, dtype=lib.float64)
        w = lib.tensor([0.5, 0.3], requires_grad=True, dtype=lib.float64)
        a = w.exp()
        (((x * 3) ** 2).sum() + a.sum()).backward(inputs=[x])
        assert w.grad is None
        a.sum().backward()  # the exp node was not run, so its saved arrays are still there
        np.testing.assert_allclose(np.asarray(w.grad.detach()), np.exp([0.5, 0.3]))
        np.testing.assert_allclose(np.asarray(x.grad.detach()), [18.0, 36.0])


def test_a_hook_off_every_path_to_the_inputs_does_not_run_and_one_a_hook_starts_runs_all():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([0.5, 0.3], requires_grad=True)
    seen = []
    a = w.exp()
    a.register_hook(lambda g: seen.append("a"))
    b = x * 3
    inner = tg.tensor([1.0], requires_grad=True)
    inner_out = inner * 2
    inner_out.register_hook(lambda g: seen.append("inner"))
    inner_sum = inner_out.sum()  # (made outside: a hook runs with grad mode off, as PyTorch's)
    b.register_hook(lambda g: (inner_sum.backward(retain_graph=True), seen.append("b")))
    ((b ** 2).sum() + a.sum()).backward(inputs=[x])
    assert seen == ["inner", "b"] and inner.grad.tolist() == [2.0]


def test_a_scalar_used_twice_gets_a_gradient_tensor_that_reads_as_one():
    """NumPy's sum of two 0-d arrays is a scalar, not an array: the gradient grad() returns
    and the one a hook sees were tensors whose .data raised AttributeError."""
    x = Tensor(2.0, requires_grad=True)
    seen = []
    h = x * 1
    h.register_hook(lambda g: seen.append(g.data.copy()))
    (g,) = tg.autograd.grad(h * h + h, x)
    assert g.data.shape == () and float(g.data) == 5.0 and float(seen[0]) == 5.0


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # (torch's)
@pytest.mark.parametrize("first, second", [(False, True), (True, True), (True, False)],
                         ids=["plain then graph", "graph then graph", "graph then plain"])
def test_a_gradient_added_after_an_update_is_said_mixed_with_or_without_a_graph(first, second):
    """backward(create_graph=True) adding into a .grad from before an update skipped the
    check a plain backward() makes: reading that .grad warns either way; the sum is
    torch's, and with zero_grad() between, nothing is said."""
    torch = pytest.importorskip("torch")
    sums = []
    for lib in (tg, torch):
        w = lib.tensor([0.5, -1.5], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        (w ** 3).sum().backward(create_graph=first)
        opt.step()
        (w ** 3).sum().backward(create_graph=second)  # into the .grad from before the step
        if lib is tg:
            with pytest.warns(UserWarning, match="adds up gradients from before and after an "
                                                 "update") as caught:
                grad = w.grad
            assert [warning.filename for warning in caught] == [__file__]
        sums.append(np.asarray(w.grad.detach()))
    np.testing.assert_allclose(*sums)
    w = tg.tensor([0.5, -1.5], requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (w ** 3).sum().backward(create_graph=first)
        opt.step()
        opt.zero_grad()
        (w ** 3).sum().backward(create_graph=second)
        grad = w.grad
    np.testing.assert_allclose(grad.detach().numpy(), 3 * w.detach().numpy() ** 2)


def test_grad_fn_name_is_a_string_and_pytorchs_method():
    """`y.grad_fn.name` reads as the op's name, and PyTorch's `y.grad_fn.name()` works."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    node = (x * 2).grad_fn
    assert node.name == "mul" and node.name() == "mul" and f"{node.name}" == "mul"

    class Cube(tg.Function, register=False):
        name = "my_cube"  # (declared in the body)

        def forward(ctx, a):
            return a ** 3

        def backward(ctx, g):
            return 3 * g

    class Fourth(Cube, register=False):
        pass

    assert Cube.apply(x).grad_fn.name() == "my_cube" and Fourth.apply(x).grad_fn.name() == "fourth"
