"""tg.func, compared with torch.func: grad, grad_and_value, vjp, jvp, linearize, jacrev,
jacfwd, vmap, functional_call, stack_module_state; composed transforms (second
derivatives), and refused in one line through an op that has none."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import func, nn

RNG = np.random.default_rng(0)


def data(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def t(array, requires_grad=False):
    return tg.tensor(np.array(array), requires_grad=requires_grad)


def close(ours, theirs, rtol=1e-7, atol=1e-9):
    """Nested results (tuples, lists, dicts of tensors) equal in structure and values."""
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            close(a, b, rtol, atol)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            close(ours[k], theirs[k], rtol, atol)
    else:
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def both(fn_tg, fn_torch, *arrays):
    torch = pytest.importorskip("torch")
    return fn_tg(*(t(a) for a in arrays)), fn_torch(*(torch.tensor(a) for a in arrays))


# ------------------------------------------------------------------- grad


def test_grad_and_grad_and_value_match_torch():
    torch = pytest.importorskip("torch")
    x, y = data(3), data(3)
    ours, theirs = both(func.grad(lambda a, b: (a.sin() * b).sum(), argnums=(0, 1)),
                        torch.func.grad(lambda a, b: (a.sin() * b).sum(), argnums=(0, 1)), x, y)
    close(ours, theirs)
    ours, theirs = both(func.grad_and_value(lambda a: ((a ** 2).sum(), a.exp()), has_aux=True),
                        torch.func.grad_and_value(lambda a: ((a ** 2).sum(), a.exp()),
                                                  has_aux=True), x)
    close(ours, theirs)
    ours, theirs = both(func.grad(lambda a, b: (a * b).sum(), argnums=-1),
                        torch.func.grad(lambda a, b: (a * b).sum(), argnums=-1), x, y)
    close(ours, theirs)


def test_grad_takes_nested_arguments_and_gives_zeros_where_unused():
    torch = pytest.importorskip("torch")
    x, y = data(2, 2), data(2)

    def f(p, lib):
        return (lib.tanh(p["w"]) @ p["b"][0]).sum()
    ours = func.grad(lambda p: f(p, tg))({"w": t(x), "b": [t(y), t(y)]})
    theirs = torch.func.grad(lambda p: f(p, torch))(
        {"w": torch.tensor(x), "b": [torch.tensor(y), torch.tensor(y)]})
    close(ours, theirs)
    assert not ours["b"][1].numpy().any()


def test_grad_keeps_float32_and_handles_empty_and_zero():
    g = func.grad(lambda a: (a * a).sum())(t(data(3, dtype=np.float32)))
    assert g.dtype == np.float32
    assert func.grad(lambda a: a.sum())(t(np.zeros(0))).shape == (0,)
    np.testing.assert_array_equal(func.grad(lambda a: (a * a).sum())(t(np.zeros(2))).numpy(),
                                  np.zeros(2))
    assert not func.grad(lambda a: (a > 0).sum() * 1.0)(t(data(3))).numpy().any()


def test_grad_matches_finite_differences():
    x = data(4)
    g = func.grad(lambda a: (a.exp() * a.cos()).sum())(t(x)).numpy()
    eps, f = 1e-6, lambda v: (np.exp(v) * np.cos(v)).sum()
    numeric = [(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(g, numeric, rtol=1e-6)


def test_grad_leaves_the_callers_tensors_alone_and_ignores_an_outer_no_grad():
    x = t(data(3), requires_grad=True)
    with tg.no_grad():
        g = func.grad(lambda a: (a ** 2).sum())(x)
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy())
    assert x.grad is None and not g.requires_grad
    g, value = func.grad_and_value(lambda a: (a ** 2).sum())(t(data(3)))
    assert not g.requires_grad and not value.requires_grad  # (as torch's: no graph to keep)


def test_grad_and_value_keeps_the_value_in_the_callers_graph():
    torch = pytest.importorskip("torch")
    x = data(3)
    ours_x, theirs_x = t(x, True), torch.tensor(x, requires_grad=True)
    _, value = func.grad_and_value(lambda a: (a ** 3).sum())(ours_x)
    _, theirs = torch.func.grad_and_value(lambda a: (a ** 3).sum())(theirs_x)
    value.backward()
    theirs.backward()
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy())


def test_composed_transforms_give_torch_funcs_second_derivatives():
    torch = pytest.importorskip("torch")
    tfunc = torch.func
    x = data(4)

    def f(a):
        return (a.exp() * a * a).sum() + (a * a).tanh().sum()

    close(func.grad(lambda a: func.grad(f)(a).sum())(t(x)),
          tfunc.grad(lambda a: tfunc.grad(f)(a).sum())(torch.tensor(x)))
    close(func.jacrev(func.grad(f))(t(x)), tfunc.jacrev(tfunc.grad(f))(torch.tensor(x)))
    close(func.hessian(f)(t(x)), tfunc.hessian(f)(torch.tensor(x)))
    v = data(4)
    close(func.jvp(func.grad(f), (t(x),), (t(v),)),
          tfunc.jvp(tfunc.grad(f), (torch.tensor(x),), (torch.tensor(v),)))
    _, vjp_fn = func.vjp(func.grad(f), t(x))
    _, vjp_torch = tfunc.vjp(tfunc.grad(f), torch.tensor(x))
    close(vjp_fn(t(v)), vjp_torch(torch.tensor(v)))
    scalar = func.grad(func.grad(func.grad(lambda a: a.tanh() * a * a)))(t(0.7))  # third order
    close(scalar, tfunc.grad(tfunc.grad(tfunc.grad(lambda a: a.tanh() * a * a)))(
        torch.tensor(0.7, dtype=torch.float64)))


class OnceCube(tg.Function, register=False):
    """x**3 whose backward is marked @once_differentiable, PyTorch's way: a second
    derivative through it is refused before that backward runs."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @tg.autograd.function.once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2


class NumpyCube(OnceCube, register=False):
    """x**3 whose backward reads its input's values into NumPy: run on tensors for a second
    derivative, it is refused after it ran (after the hooks above it)."""

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * np.asarray(x) ** 2


NO_SECOND = pytest.mark.parametrize("op", [OnceCube, NumpyCube],
                                    ids=["once_differentiable", "numpy backward"])


@NO_SECOND
def test_second_derivatives_through_an_op_without_one_are_refused_in_one_line(op):
    refused = rf"op '{op.name}' .*cannot be differentiated again"
    for call in (lambda: func.grad(func.grad(lambda a: op.apply(a)))(t(2.0)),
                 lambda: func.jacrev(func.grad(lambda a: op.apply(a).sum()))(t(data(2))),
                 lambda: func.hessian(lambda a: op.apply(a).sum())(t(data(2)))):
        with pytest.raises(NotImplementedError, match=refused) as info:
            call()
        assert "\n" not in str(info.value)
    w = t(data(3), requires_grad=True)  # a tensor the function closes over
    x = data(3)
    g = func.grad(lambda a: op.apply(a * w).sum())(t(x))
    np.testing.assert_allclose(g.numpy(), 3 * (x * w.numpy()) ** 2 * w.numpy())  # its values
    with pytest.raises(NotImplementedError, match=refused):
        g.sum().backward()
    x = t(data(2), requires_grad=True)
    o, vjp_fn = func.vjp(lambda a: op.apply(a), x)
    (g,) = vjp_fn(tg.ones(2), create_graph=True)  # values, as PyTorch's: refused later
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    with pytest.raises(NotImplementedError, match=refused):
        tg.autograd.grad(g.sum(), x)
    y = t(data(2), requires_grad=True)  # jvp's product: values, refused when differentiated
    _, product = func.jvp(lambda a: (a * y).sin(), (t(data(2)),), (t(data(2)),))
    with pytest.raises(NotImplementedError, match="jvp's and linearize's products are computed"):
        product.sum().backward()


def test_second_derivative_refusal_says_what_to_do():
    w = t(data(3), requires_grad=True)
    g = func.grad(lambda a: OnceCube.apply(a * w).sum())(t(data(3)))
    with pytest.raises(NotImplementedError) as info:
        g.sum().backward()
    message = str(info.value)
    assert "\n" not in message and "@once_differentiable" in message
    assert "differentiate once" in message


def _torch_cube(torch):
    """OnceCube in torch."""

    class TorchCube(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    return TorchCube


PROGRAMS = ["grad", "grad of an input needing a gradient", "grad closing over a weight",
            "grad inside an outer grad", "vjp of an input needing a gradient"]


@NO_SECOND
@pytest.mark.parametrize("program", PROGRAMS)
def test_a_hook_before_an_op_without_second_derivative_runs_once_a_call_as_torchs(op, program):
    """A hook the pass meets before such an op ran twice where the transform computes
    with a graph (an input needing a gradient, an outer transform): a graph pass refused
    at the op, then a pass in values."""
    torch = pytest.importorskip("torch")
    x, w, v = data(3), data(3), data(3)
    counts, results = [], []
    for lib, transforms, cube in ((tg, func, op.apply),
                                  (torch, torch.func, _torch_cube(torch).apply)):
        seen = []
        weight = lib.tensor(w, requires_grad=True)

        def f(a, closing=False):
            y = cube(a * (weight if closing else 2))
            y.register_hook(lambda g: seen.append(1))
            return y * 2

        def total(a, closing=False):
            return f(a, closing).sum()

        needing = lib.tensor(x, requires_grad=True)
        if program == "grad":
            result = transforms.grad(total)(lib.tensor(x))
        elif program == "grad of an input needing a gradient":
            result = transforms.grad(total)(needing)
        elif program == "grad closing over a weight":
            result = transforms.grad(lambda a: total(a, True))(lib.tensor(x))
        elif program == "grad inside an outer grad":
            result = transforms.grad(lambda a: (a * a).sum() + transforms.grad(total)(a)
                                     .detach().sum())(lib.tensor(x))
        else:
            _, vjp_fn = transforms.vjp(f, needing)
            (result,) = vjp_fn(lib.tensor(v))
        counts.append(len(seen))
        results.append(result)
    assert counts[0] == counts[1]
    close(*results)


@NO_SECOND
def test_hooks_before_an_op_without_second_derivative_run_once_a_jacobian_row(op):
    """jacrev and jacfwd of an input needing a gradient compute with a graph: each hook
    runs as often as for an input that needs none (one pass per row), not once more."""
    seen = []

    def f(a):
        y = op.apply(a * 2)
        y.register_hook(lambda g: seen.append(1))
        return y.tanh()

    x = data(3)
    for transform in (func.jacrev, func.jacfwd):
        plain = transform(f)(t(x))
        count = len(seen)
        seen.clear()
        needing = transform(f)(t(x, requires_grad=True))
        assert len(seen) == count
        seen.clear()
        np.testing.assert_allclose(needing.numpy(), plain.numpy())


def test_a_modules_backward_hooks_run_once_a_call_as_in_one_torch_backward():
    """A module's full backward hook is a node without a backward_graph: grad of an input
    needing a gradient through it runs each hook (the module's, the tensors' above and
    below it) as torch's one backward() does (torch.func refuses module hooks)."""
    torch = pytest.importorskip("torch")
    x, weight, bias = data(2), data(2, 2), data(2)
    seen, gradients = {}, []
    for lib in (tg, torch):
        calls = seen.setdefault(lib.__name__, [])
        model = lib.nn.Linear(2, 2).double()
        with lib.no_grad():
            model.weight.copy_(lib.tensor(weight))
            model.bias.copy_(lib.tensor(bias))
        model.register_full_backward_hook(lambda module, gi, go: calls.append("module"))

        def f(a):
            below = a.sin()
            below.register_hook(lambda g: calls.append("below"))
            above = model(below)
            above.register_hook(lambda g: calls.append("above"))
            return (above.tanh() ** 2).sum()

        x_lib = lib.tensor(x, requires_grad=True)
        if lib is tg:
            gradients.append(func.grad(f)(x_lib).numpy())
        else:
            f(x_lib).backward()
            gradients.append(x_lib.grad.numpy())
    assert sorted(seen["tinygrad_gd"]) == sorted(seen["torch"])
    np.testing.assert_allclose(*gradients)


def test_a_diagram_draws_no_tensor_a_transform_makes_as_an_input():
    """The values above a gradient's refusing node, and the copy an argument is
    differentiated as, are named (unnamed, the one was drawn as a user's input, the other
    as a parameter); an argument's own name is kept."""
    w = t(data(3), requires_grad=True)
    w.name = "w"
    g = func.grad(lambda a: OnceCube.apply(a * w).sum())(t(data(3)))
    source = tg.draw_graph(g).source
    assert "gradient through oncecube" in source and "<I>input</I>" not in source
    x = t(data(3))
    _, value = func.grad_and_value(lambda a: (a * w).sum())(x)
    source = tg.draw_graph(value).source
    assert "input of grad_and_value(f)(*args)" in source and "<I>parameter</I>" not in source
    x.name = "x"
    _, value = func.grad_and_value(lambda a: (a * w).sum())(x)
    assert "<B>x</B>" in tg.draw_graph(value).source


def test_grad_bad_input_errors_name_the_function():
    x = t(data(3))
    with pytest.raises(RuntimeError, match=r"grad\(f\)\(\*args\): Expected f\(\*args\) to "
                                           r"return a scalar Tensor, got tensor with 1 dims"):
        func.grad(lambda a: a * 2)(x)
    with pytest.raises(RuntimeError, match=r"grad\(f\)\(\*args\): expected f to return only "
                                           r"Tensors .*got float 3.0"):
        func.grad(lambda a: 3.0)(x)
    with pytest.raises(RuntimeError, match="Got argnum=1, but only 1 positional inputs"):
        func.grad(lambda a: a.sum(), argnums=1)(x)
    with pytest.raises(RuntimeError, match="argnums must be int or Tuple"):
        func.grad(lambda a: a.sum(), argnums=[0])(x)
    with pytest.raises(RuntimeError, match="argnums elements must be unique"):
        func.grad(lambda a, b: a.sum(), argnums=(0, -2))(x, x)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        func.grad(lambda a: a.sum(), argnums=())(x)
    with pytest.raises(RuntimeError, match="only floating-point Tensors.*int64"):
        func.grad(lambda a: a.sum())(tg.arange(3))
    with pytest.raises(ValueError, match="must be a Tensor, got float"):
        func.grad(lambda a: a)(3.0)
    with pytest.raises(RuntimeError, match=r"should be a tuple: \(output, aux\)"):
        func.grad(lambda a: a.sum(), has_aux=True)(x)
    with pytest.raises(TypeError, match="has_aux must be True or False"):
        func.grad(lambda a: a.sum(), has_aux="yes")
    with pytest.raises(TypeError, match="func must be a function to transform, got int"):
        func.grad(3)


# ---------------------------------------------------------------- vjp, jvp


def test_vjp_matches_torch_with_nested_outputs():
    torch = pytest.importorskip("torch")
    x, y, u, v = data(3), data(2, 3), data(3), data(2, 3)

    def f(a, b, lib):
        return {"s": lib.sin(a) * b, "p": (a * a, b.sum(0))}
    out, fn = func.vjp(lambda a, b: f(a, b, tg), t(x), t(y))
    out_t, fn_t = torch.func.vjp(lambda a, b: f(a, b, torch), torch.tensor(x),
                                 torch.tensor(y))
    close(out, out_t)
    ours = fn({"s": t(v), "p": (t(u), t(u))})
    theirs = fn_t({"s": torch.tensor(v), "p": (torch.tensor(u), torch.tensor(u))})
    close(ours, theirs)
    close(fn({"s": t(v), "p": (t(u), t(u))}), theirs)  # (the graph kept for a second call)


def test_vjp_errors_and_aux():
    out, fn, aux = func.vjp(lambda a: (a * 2, {"k": a}), t(data(3)), has_aux=True)
    assert isinstance(aux, dict) and not aux["k"].requires_grad
    with pytest.raises(RuntimeError, match=r"vjp_fn: cotangent 0 must be a Tensor of its "
                                           r"output's shape \(3,\), got \(2,\)"):
        fn(tg.ones(2))
    with pytest.raises(RuntimeError, match="nesting of the outputs"):
        fn((tg.ones(3),))
    with pytest.raises(RuntimeError, match="expected f to return only Tensors .*got int 5"):
        func.vjp(lambda a: 5, t(data(3)))


def test_jvp_and_linearize_match_torch():
    torch = pytest.importorskip("torch")
    x, y, u, v = data(3), data(3), data(3), data(3)

    def f(a, b, lib):
        return [lib.exp(a) * b, (a * b).sum()]
    ours = func.jvp(lambda a, b: f(a, b, tg), (t(x), t(y)), (t(u), t(v)))
    theirs = torch.func.jvp(lambda a, b: f(a, b, torch), (torch.tensor(x), torch.tensor(y)),
                            (torch.tensor(u), torch.tensor(v)))
    close(ours, theirs)
    out, jvp_fn = func.linearize(lambda a: a.sin(), t(x))
    close(jvp_fn(t(u)), torch.func.jvp(torch.sin, (torch.tensor(x),), (torch.tensor(u),))[1])
    close(out, torch.sin(torch.tensor(x)))


def test_jvp_errors_in_one_line():
    x = t(data(3))
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        func.jvp(lambda a: a, x, x)
    with pytest.raises(RuntimeError, match="same nesting"):
        func.jvp(lambda a: a, (x,), ())
    with pytest.raises(RuntimeError, match=r"tangent 0 must be a Tensor of its primal's shape "
                                           r"\(3,\), got \(2,\)"):
        func.jvp(lambda a: a, (x,), (tg.ones(2),))
    with pytest.raises(RuntimeError, match="independent of the inputs"):
        func.jvp(lambda a: tg.ones(2), (x,), (x,), strict=True)
    _, zero = func.jvp(lambda a: tg.ones(2), (x,), (x,))
    assert not zero.numpy().any()


# ----------------------------------------------------------- jacrev, jacfwd


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians_match_torch_in_structure_values_and_dtype(name):
    torch = pytest.importorskip("torch")
    x, y = data(3), data(2, 3)

    def f(a, b, lib):
        return (lib.sin(a) * b, {"n": (a * a).sum()})
    ours = getattr(func, name)(lambda a, b: f(a, b, tg), argnums=(0, 1))(t(x), t(y))
    theirs = getattr(torch.func, name)(lambda a, b: f(a, b, torch), argnums=(0, 1))(
        torch.tensor(x), torch.tensor(y))
    close(ours, theirs)
    assert ours[0][1].shape == (2, 3, 2, 3)
    # one block's dtype: jacrev's the input's, jacfwd's the output's (PyTorch's)
    ours = getattr(func, name)(lambda a: a.float() * 2)(t(x))
    theirs = getattr(torch.func, name)(lambda a: a.float() * 2)(torch.tensor(x))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    jac, aux = getattr(func, name)(lambda a: (a.exp(), a), has_aux=True)(t(x))
    np.testing.assert_allclose(jac.numpy(), np.diag(np.exp(x)))
    assert aux.shape == (3,)


def test_jacobian_edges_empty_and_constant():
    torch = pytest.importorskip("torch")
    for fn_tg, fn_torch, x in ((lambda a: a[:0], lambda a: a[:0], data(3)),
                               (lambda a: a * 2, lambda a: a * 2, np.zeros(0)),
                               (lambda a: tg.ones(2), lambda a: torch.ones(2,
                                                                           dtype=torch.float64),
                                data(3))):
        close(func.jacrev(fn_tg)(t(x)), torch.func.jacrev(fn_torch)(torch.tensor(x)))
    with pytest.raises(ValueError, match="chunk_size should be None or an int greater than 0"):
        func.jacrev(lambda a: a, chunk_size=0)
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        func.jacfwd(lambda a: a, randomness="often")


# ---------------------------------------------------------------------- vmap


def test_vmap_matches_torch_with_in_dims_and_out_dims():
    torch = pytest.importorskip("torch")
    x, y = data(4, 3), data(3)
    cases = [(lambda a, b: a * b, dict(in_dims=(0, None))),
             (lambda a, b: a * b, dict(in_dims=(1, 0))),
             (lambda a, b: (a @ b, a.sum()), dict(in_dims=(0, None), out_dims=(0, 0))),
             (lambda a, b: a.sum() * b, dict(in_dims=(-1, None), out_dims=1))]
    for fn, kw in cases:
        args = (x, y) if kw["in_dims"] != (1, 0) else (data(3, 4), data(4, 3))
        ours, theirs = both(func.vmap(fn, **kw), torch.vmap(fn, **kw), *args)
        close(ours, theirs)


def test_vmap_nested_inputs_outputs_and_unmapped_output():
    torch = pytest.importorskip("torch")
    x, y = data(5, 2), data(2)

    def f(p, lib):
        return {"s": p["a"] * p["b"], "l": [p["a"].sum()]}
    ours = func.vmap(lambda p: f(p, tg), in_dims=({"a": 0, "b": None},))({"a": t(x), "b": t(y)})
    theirs = torch.vmap(lambda p: f(p, torch), in_dims=({"a": 0, "b": None},))(
        {"a": torch.tensor(x), "b": torch.tensor(y)})
    close(ours, theirs)
    c = t(y)
    same = func.vmap(lambda a: (a * 2, c), out_dims=(0, None))(t(x))
    assert same[1] is c
    twice = func.vmap(func.vmap(lambda a: a * 2))(t(data(2, 3, 4)))
    assert twice.shape == (2, 3, 4)


def test_vmap_gradients_flow_through_the_loop():
    x, y = t(data(3, 4), True), t(data(4), True)
    assert tg.gradcheck(lambda a, b: func.vmap(lambda r, s: (r * s).sin(), in_dims=(0, None))(
        a, b), (x, y))
    assert tg.gradcheck(lambda a: func.vmap(lambda r: r.exp().sum(), in_dims=1)(a), (x,))


def test_vmap_of_grad_is_per_sample_gradients_as_torchs():
    torch = pytest.importorskip("torch")
    w, xs = data(3), data(5, 3)
    ours = func.vmap(func.grad(lambda p, r: (p * r).sin().sum()), in_dims=(None, 0))(t(w), t(xs))
    theirs = torch.vmap(torch.func.grad(lambda p, r: (p * r).sin().sum()), in_dims=(None, 0))(
        torch.tensor(w), torch.tensor(xs))
    close(ours, theirs)


def test_vmap_edges_empty_float32_and_randomness():
    torch = pytest.importorskip("torch")
    ours, theirs = both(func.vmap(lambda a: a * 2), torch.vmap(lambda a: a * 2), np.zeros((0, 3)))
    close(ours, theirs)
    assert func.vmap(lambda a: a.sum(), out_dims=0)(t(np.zeros((3, 0)))).shape == (3,)
    assert func.vmap(lambda a: a * 2)(t(data(2, 2, dtype=np.float32))).dtype == np.float32
    tg.manual_seed(0)
    same = func.vmap(lambda a: a + tg.randn(2), randomness="same")(tg.zeros(3, 2))
    np.testing.assert_array_equal(same.numpy()[0], same.numpy()[1])
    different = func.vmap(lambda a: a + tg.randn(2), randomness="different")(tg.zeros(3, 2))
    assert not np.array_equal(different.numpy()[0], different.numpy()[1])


def test_vmap_over_an_empty_axis_keeps_an_integer_dtype_as_torchs():
    """The zeros func is called on, and the empty result, keep their dtype (Tensor() of an
    integer array made them floats: argmax's result came back float64)."""
    torch = pytest.importorskip("torch")
    whole = np.zeros((0, 3), np.int64)
    cases = [(func.vmap(lambda a: a.argmax())(tg.zeros(0, 3)),
              torch.vmap(lambda a: a.argmax())(torch.zeros(0, 3))),
             (func.vmap(lambda a: a * 2)(tg.as_tensor(whole)),
              torch.vmap(lambda a: a * 2)(torch.tensor(whole)))]
    for ours, theirs in cases:
        assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype)[6:]


def test_vmap_bad_input_errors():
    x = t(data(4, 3))
    with pytest.raises(ValueError, match=r"vmap\(<lambda>\): Got in_dim=2 for an input of "
                                         r"shape \(4, 3\)"):
        func.vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="same size in the mapped dimension, got sizes"):
        func.vmap(lambda a, b: a * b)(x, t(data(5, 3)))
    with pytest.raises(ValueError, match="Expected at least one Tensor to vmap over"):
        func.vmap(lambda a: a, in_dims=(None,))(x)
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        func.vmap(lambda a, n: a * n)(x, 3)
    with pytest.raises(ValueError, match="in_dims .* is not compatible with the structure"):
        func.vmap(lambda a, b: a, in_dims=(0,))(x, x)
    with pytest.raises(ValueError, match="expected in_dims to be int or a"):
        func.vmap(lambda a: a, in_dims=[0])
    with pytest.raises(ValueError, match="must only return Tensors, got type float"):
        func.vmap(lambda a: 3.0)(x)
    with pytest.raises(ValueError, match="cannot be returned unmapped"):
        func.vmap(lambda a: a, out_dims=None)(x)
    with pytest.raises(IndexError, match="out_dim 3 is out of range"):
        func.vmap(lambda a: a, out_dims=3)(x)
    with pytest.raises(ValueError, match="got no inputs"):
        func.vmap(lambda: 1)()
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        func.vmap(lambda a: a, randomness="never")
    with pytest.raises(ValueError, match="chunk_size should be None"):
        func.vmap(lambda a: a, chunk_size=0)


# ----------------------------------------------------------- functional_call


def _pair(torch):
    """A tg and a torch model with the same weights."""
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 2)).double()
    return ours, theirs


def test_functional_call_matches_torch_and_restores_the_parameters():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    params = {name: data(*p.shape) for name, p in theirs.named_parameters()}
    kept = {name: p for name, p in ours.named_parameters()}
    x = data(5, 3)
    out = func.functional_call(ours, {k: t(v) for k, v in params.items()}, (t(x),))
    expected = torch.func.functional_call(theirs, {k: torch.tensor(v) for k, v in
                                                   params.items()}, (torch.tensor(x),))
    close(out, expected)
    assert {name: p for name, p in ours.named_parameters()} == kept
    part = func.functional_call(ours, {"0.bias": t(params["0.bias"])}, t(x))
    assert part.shape == (5, 2)


def test_functional_call_gradients_reach_the_given_tensors():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    params = {name: data(*p.shape) for name, p in theirs.named_parameters()}
    x = data(5, 3)

    def loss(p, lib_model, xb):
        return (func.functional_call(lib_model, p, (xb,)) ** 2).sum()
    g = func.grad(lambda p: loss(p, ours, t(x)))({k: t(v) for k, v in params.items()})
    g_t = torch.func.grad(lambda p: (torch.func.functional_call(theirs, p, (torch.tensor(x),))
                                     ** 2).sum())({k: torch.tensor(v) for k, v in params.items()})
    close(g, g_t)
    w = t(params["2.weight"], True)
    assert tg.gradcheck(lambda weight, xb: func.functional_call(ours, {"2.weight": weight}, xb),
                        (w, t(x, True)))


def test_functional_call_restores_after_an_exception():
    class Failing(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.ones(2))

        def forward(self, x):
            raise ValueError("boom")
    model = Failing()
    before = model.w
    with pytest.raises(ValueError, match="boom"):
        func.functional_call(model, {"w": tg.zeros(2), "extra": tg.zeros(1)}, (tg.ones(2),))
    assert model.w is before and not hasattr(model, "extra")


def test_functional_call_buffers_are_updated_in_the_given_tensor():
    torch = pytest.importorskip("torch")
    x = data(6, 3)
    ours, theirs = nn.BatchNorm1d(3).double(), torch.nn.BatchNorm1d(3).double()
    mean, mean_t = tg.zeros(3, dtype="float64"), torch.zeros(3, dtype=torch.float64)
    close(func.functional_call(ours, {"running_mean": mean}, t(x)),
          torch.func.functional_call(theirs, {"running_mean": mean_t}, torch.tensor(x)))
    close(mean, mean_t)
    assert not ours.running_mean.numpy().any()


def test_functional_call_tied_weights_as_torch():
    torch = pytest.importorskip("torch")
    u, w, v, x = data(2, 2), data(2, 2), data(2, 2), data(1, 2)

    def tied(lib, make):
        model = lib.Sequential(lib.Linear(2, 2, bias=False), lib.Linear(2, 2, bias=False))
        model[0].weight = lib.Parameter(make(u))
        model[1].weight = model[0].weight  # (one weight under two names)
        return model
    ours, theirs = tied(nn, np.array), tied(torch.nn, torch.tensor)
    for given in ({"1.weight": w}, {"0.weight": w, "1.weight": v}):
        for tie in (True, False):
            if tie and len(given) == 2:
                continue
            close(func.functional_call(ours, {k: t(a) for k, a in given.items()}, t(x),
                                       tie_weights=tie),
                  torch.func.functional_call(theirs, {k: torch.tensor(a) for k, a in
                                                      given.items()}, torch.tensor(x),
                                             tie_weights=tie))
    with pytest.raises(ValueError, match=r"got multiple values for keys \['0.weight', "
                                         r"'1.weight'\], which are tied"):
        func.functional_call(ours, {"0.weight": t(w), "1.weight": t(v)}, t(x))
    with pytest.raises(RuntimeError, match=r"Missing key\(s\): '1.weight'"):
        func.functional_call(ours, {"0.weight": t(w)}, t(x), tie_weights=False, strict=True)
    assert func.functional_call(ours, {"0.weight": t(w)}, t(x), strict=True).shape == (1, 2)


def test_functional_call_bad_input_errors():
    model = nn.Linear(3, 2)
    x = t(data(1, 3))
    with pytest.raises(RuntimeError, match=r"Error\(s\) in reparametrizing for Linear: "
                                           r"Missing key\(s\): 'bias'. Unexpected key\(s\): "
                                           r"'foo'."):
        func.functional_call(model, {"weight": tg.ones(2, 3), "foo": tg.ones(1)}, x,
                             strict=True)
    with pytest.raises(ValueError, match=r"\['weight'\] appeared in multiple dictionaries"):
        func.functional_call(model, ({"weight": tg.ones(2, 3)}, {"weight": tg.ones(2, 3)}), x)
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict"):
        func.functional_call(model, 3, x)
    with pytest.raises(TypeError, match="the value for 'weight' must be a Tensor, got float"):
        func.functional_call(model, {"weight": 3.0}, x)
    with pytest.raises(AttributeError, match="Linear has no submodule 'foo'"):
        func.functional_call(model, {"foo.bar": tg.ones(1)}, x)
    with pytest.raises(TypeError, match="module must be an nn.Module"):
        func.functional_call(lambda a: a, {}, x)
    with pytest.raises(TypeError, match="strict must be True or False"):
        func.functional_call(model, {}, x, strict="yes")


def test_stack_module_state_and_vmap_make_an_ensemble():
    models = [nn.Linear(3, 2) for _ in range(4)]
    params, buffers = func.stack_module_state(models)
    assert params["weight"].shape == (4, 2, 3) and params["weight"].is_leaf
    assert params["weight"].requires_grad and buffers == {}
    x = t(data(5, 3))
    ensemble = func.vmap(lambda p, b, xb: func.functional_call(models[0], (p, b), (xb,)),
                         in_dims=(0, 0, None))(params, buffers, x)
    for k, model in enumerate(models):
        np.testing.assert_allclose(ensemble.numpy()[k], model(x).numpy())
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0"):
        func.stack_module_state([])
    with pytest.raises(RuntimeError, match="same class"):
        func.stack_module_state([nn.Linear(2, 2), nn.Tanh()])


def test_replace_all_batch_norm_modules_and_the_pass_throughs():
    torch = pytest.importorskip("torch")
    x = data(4, 3)
    ours = func.replace_all_batch_norm_modules_(nn.Sequential(nn.BatchNorm1d(3)).double())
    theirs = torch.func.replace_all_batch_norm_modules_(
        torch.nn.Sequential(torch.nn.BatchNorm1d(3)).double())
    ours.eval()
    theirs.eval()
    close(ours(t(x)), theirs(torch.tensor(x)))
    assert ours[0].running_mean is None and not ours[0].track_running_stats
    y = t(x)
    assert func.debug_unwrap(y) is y
    close(func.functionalize(lambda a: a * 2)(y), torch.tensor(x) * 2)
    with pytest.raises(RuntimeError, match="received invalid argument for remove"):
        func.functionalize(lambda a: a, remove="views")


def test_torchs_names_are_all_here():
    torch = pytest.importorskip("torch")
    missing = set(torch.func.__all__) - set(func.__all__)
    assert missing == {"rearrange"}  # (einops' pattern language: not implemented)
    for name in func.__all__:
        assert callable(getattr(func, name)) and getattr(tg.func, name) is getattr(func, name)
