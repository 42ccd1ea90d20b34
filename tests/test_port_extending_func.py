"""PyTorch's note "Extending torch.func with autograd.Function"
(docs/source/notes/extending.func.rst) ported claim by claim and example by example: each
test runs with both libraries (the `lib` fixture: tinygrad_gd, and torch 2.13 when
installed), each held to the same independent expectation (the note's own assertions, a
formula, NumPy's sort, finite differences).

The Functions are written as the note writes them, in PyTorch 2's style (`forward(*args)`
without ctx, `setup_context(ctx, inputs, output)`), but for one spelling: a user's forward
in tinygrad_gd gets NumPy arrays and returns arrays, so the note's `to_numpy(x)` and
`torch.tensor(result, device=device)` are `_to_numpy` and `_from_numpy` below (each the
note's own in torch, nothing in tinygrad_gd); backward and the vmap staticmethods are the
note's code in both.

Mended when this port found them: `NumpySort.apply(x, dim)` turned the int `dim` into a
float constant (forward's `np.argsort(x, axis=dim)` failed: "a number given to apply is an
input"), and the index arrays NumpySort saved, given to `NumpyTake.apply` in its backward,
became float constants (`np.take_along_axis` failed): in PyTorch 2's style every argument
that is no Tensor or float array now reaches forward and setup_context as given, as
PyTorch's; `ctx.save_for_forward` was missing (its `jvp` reads what it kept as
`ctx.saved_tensors`, as PyTorch's).

Where tinygrad_gd differs (left out, noted here and in the round's report): `tg.func.vmap`
is a loop calling the Function once per entry, so a Function needs neither a `vmap`
staticmethod nor `generate_vmap_rule=True` (torch refuses one with neither, and one with
both), and a vmap staticmethod given is not called (a rule whose semantics differ from
the Function's is not followed); `tg.func.jvp`, `jacfwd` and `hessian` compute from the
reverse-mode Jacobian, so they need no `jvp` staticmethod (torch does) and do not use one
given (forward mode, `tg.autograd.forward_ad`, does); `mark_dirty` is refused
(test_port_custom_functions.py), where torch's grad transform accepts it; the ctx style
of forward still makes a number given to `apply` an input, where PyTorch passes it as
given.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from test_port_custom_functions import _torch_one_thread, lib

_FIXTURES = (_torch_one_thread, lib)  # (autouse: torch on one thread; each test's library)
# (torch's own: its functorch imports torch.jit.script)
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

RNG = np.random.default_rng(2027)


def _is_torch(lib):
    return lib is not tg


def _to_numpy(lib, tensor):
    """The note's `to_numpy`: `tensor.cpu().numpy()`; forward's arrays in tinygrad_gd."""
    return tensor.cpu().numpy() if _is_torch(lib) else tensor


def _from_numpy(lib, array, like):
    """The note's `torch.tensor(array, device=x.device)`; the array in tinygrad_gd."""
    return lib.tensor(array, device=like.device) if _is_torch(lib) else array


def _np(t):
    return np.asarray(t.detach().numpy())


def _t(lib, values, grad=False):
    return lib.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


def _func(lib):
    return lib.func


# =============================================== Example 1: a Function calls NumPy


def _numpy_sort(lib, seen=None):
    """The note's NumpySort and NumpyTake (Example 1); with `seen` (a list), the vmap
    staticmethods of "Defining the vmap staticmethod" too, each call noted in it."""
    class NumpySort(lib.autograd.Function):
        # Note that forward does not take ctx
        @staticmethod
        def forward(x, dim):
            device = x
            x = _to_numpy(lib, x)
            ind = np.argsort(x, axis=dim)
            ind_inv = np.argsort(ind, axis=dim)
            result = np.take_along_axis(x, ind, axis=dim)
            # Any intermediates to be saved in backward must be returned as outputs.
            return (_from_numpy(lib, result, device), _from_numpy(lib, ind, device),
                    _from_numpy(lib, ind_inv, device))

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, dim = inputs
            _, ind, ind_inv = output
            ctx.mark_non_differentiable(ind, ind_inv)
            ctx.save_for_backward(ind, ind_inv)
            ctx.dim = dim  # Non-tensors may be saved by assigning them on ctx

        @staticmethod
        def backward(ctx, grad_output, _0, _1):
            ind, ind_inv = ctx.saved_tensors
            return NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim), None

    class NumpyTake(lib.autograd.Function):
        @staticmethod
        def forward(x, ind, ind_inv, dim):
            device = x
            x = _to_numpy(lib, x)
            ind = _to_numpy(lib, ind)
            return _from_numpy(lib, np.take_along_axis(x, ind, dim), device)

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, ind, ind_inv, dim = inputs
            ctx.save_for_backward(ind, ind_inv)
            ctx.dim = dim

        @staticmethod
        def backward(ctx, grad_output):
            ind, ind_inv = ctx.saved_tensors
            result = NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim)
            return result, None, None, None

    if seen is not None:
        def sort_vmap(info, in_dims, x, dim):
            seen.append("NumpySort.vmap")
            x_bdim, _ = in_dims
            x = x.movedim(x_bdim, 0)
            dim = dim if dim >= 0 else dim + x.dim() - 1  # Handle negative dims
            return NumpySort.apply(x, dim + 1), (0, 0, 0)

        def take_vmap(info, in_dims, x, ind, ind_inv, dim):
            seen.append("NumpyTake.vmap")
            x_bdim, ind_bdim, ind_inv_bdim, _ = in_dims
            logical_dim = x.dim() if x_bdim is None else x_bdim - 1
            dim = dim if dim >= 0 else dim + logical_dim

            def maybe_expand_bdim_at_front(x, x_bdim):
                if x_bdim is None:
                    return x.expand(info.batch_size, *x.shape)
                return x.movedim(x_bdim, 0)
            x = maybe_expand_bdim_at_front(x, x_bdim)
            ind = maybe_expand_bdim_at_front(ind, ind_bdim)
            ind_inv = maybe_expand_bdim_at_front(ind_inv, ind_inv_bdim)
            return NumpyTake.apply(x, ind, ind_inv, dim + 1), 0
        NumpySort.vmap = staticmethod(sort_vmap)
        NumpyTake.vmap = staticmethod(take_vmap)

    def numpy_sort(x, dim=-1):
        result, _, _ = NumpySort.apply(x, dim)
        return result
    return NumpySort, numpy_sort


def test_numpy_sort_sanity_check_of_the_note(lib):
    # the note's check: grad(lambda x: numpy_sort(x).sum())(x) is ones. (Failed before the
    # mend: the int dim became a float constant, and np.argsort(axis=1.0) refused it.)
    x = _t(lib, RNG.standard_normal((2, 3)))
    grad_x = _func(lib).grad(lambda x: _numpy_sort(lib)[1](x).sum())(x)
    np.testing.assert_array_equal(_np(grad_x), np.ones((2, 3)))


def test_numpy_sort_takes_dim_as_given_and_marks_the_indices(lib):
    x = RNG.standard_normal((3, 4))
    sort, numpy_sort = _numpy_sort(lib)
    for dim in (0, 1, -1):
        result, ind, ind_inv = sort.apply(_t(lib, x, grad=True), dim)
        np.testing.assert_array_equal(_np(result), np.sort(x, axis=dim))
        np.testing.assert_array_equal(_np(ind), np.argsort(x, axis=dim))
        assert result.requires_grad and not ind.requires_grad and not ind_inv.requires_grad
        assert _np(ind).dtype == np.int64
    weights = RNG.standard_normal((3, 4))

    def weighted(x):
        return (numpy_sort(x, 0) * _t(lib, weights)).sum()
    grad_x = _func(lib).grad(weighted)(_t(lib, x))
    # d/dx_ij of sum_k w_kj sort(x)_kj: the weight at x_ij's place in its column's order
    want = np.take_along_axis(weights, np.argsort(np.argsort(x, axis=0), axis=0), axis=0)
    np.testing.assert_allclose(_np(grad_x), want, rtol=1e-12)


def test_numpy_take_gets_the_saved_index_arrays_as_integers(lib):
    # backward gives NumpyTake the index arrays NumpySort returned: they stay integers
    # (failed before the mend: float constants, and np.take_along_axis refused them)
    x = _t(lib, RNG.standard_normal((2, 5)), grad=True)
    cotangent = RNG.standard_normal((2, 5))
    out, vjp_fn = _func(lib).vjp(lambda x: _numpy_sort(lib)[1](x), x)
    (grad_x,) = vjp_fn(_t(lib, cotangent))
    order = np.argsort(_np(x), axis=-1)
    want = np.empty((2, 5))
    np.put_along_axis(want, order, cotangent, axis=-1)
    np.testing.assert_allclose(_np(grad_x), want, rtol=1e-12)


def test_numpy_sort_backward_is_transformable_second_order(lib):
    # "all staticmethods other than forward and setup_context must be transformable ...
    # this allows us to do double backwards and/or compute second order gradients"
    x = RNG.standard_normal((2, 4))
    weights = RNG.standard_normal((2, 4))
    numpy_sort = _numpy_sort(lib, seen=[])[1]  # (torch's jacrev vmaps NumpyTake)

    def f(x):
        return (numpy_sort(x) ** 2 * _t(lib, weights)).sum()
    hessian = _func(lib).jacrev(_func(lib).grad(f))(_t(lib, x))
    place = np.argsort(np.argsort(x, axis=-1), axis=-1)
    want = np.diag((2 * np.take_along_axis(weights, place, axis=-1)).reshape(-1))
    np.testing.assert_allclose(_np(hessian).reshape(8, 8), want, rtol=1e-12)
    second = _t(lib, x, grad=True)  # create_graph through the Functions, by autograd too
    (g,) = lib.autograd.grad(f(second), second, create_graph=True)
    (gg,) = lib.autograd.grad((g * _t(lib, weights)).sum(), second)
    # d/dx of sum(g * w), g = 2 x w at x's place: 2 w at x's place times w
    np.testing.assert_allclose(_np(gg), 2 * np.take_along_axis(weights, place, axis=-1) *
                               weights, rtol=1e-12)


# ====================================== Example 2: custom gradient rules (MyCube)


def _my_cube(lib, generate_vmap_rule=False):
    class MyCube(lib.autograd.Function):
        @staticmethod
        def forward(x):
            result = x ** 3
            dx = 3 * x ** 2  # computed here, in forward, instead of in backward
            return result, dx

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, = inputs
            result, dx = output
            ctx.save_for_backward(x, dx)

        @staticmethod
        def backward(ctx, grad_output, grad_dx):
            x, dx = ctx.saved_tensors
            # for higher-order gradients, the gradient contribution of `dx` is added
            result = grad_output * dx + grad_dx * 6 * x
            return result
    if generate_vmap_rule:
        MyCube.generate_vmap_rule = True

    def my_cube(x):
        result, _ = MyCube.apply(x)
        return result
    return my_cube


@pytest.mark.parametrize("value", [-1.5, 0.0, 0.7, 2.0])
def test_my_cube_second_order_gradients_of_the_note(lib, value):
    # the note's check: grad(grad(my_cube))(x) is 6 x
    x = _t(lib, value)
    my_cube = _my_cube(lib)
    ggx = _func(lib).grad(_func(lib).grad(my_cube))(x)
    np.testing.assert_allclose(_np(ggx), 6 * value, rtol=1e-12, atol=1e-12)
    gx = _func(lib).grad(my_cube)(x)
    np.testing.assert_allclose(_np(gx), 3 * value ** 2, rtol=1e-12)


def test_my_cube_under_every_transform(lib):
    x = RNG.standard_normal(4)
    my_cube = _my_cube(lib)
    func = _func(lib)
    for jacobian in (func.jacrev, func.jacfwd):
        if _is_torch(lib) and jacobian is func.jacfwd:
            continue  # (torch's jacfwd wants a jvp staticmethod: below)
        np.testing.assert_allclose(_np(jacobian(my_cube)(_t(lib, x))), np.diag(3 * x ** 2),
                                   rtol=1e-12)
    out, vjp_fn = func.vjp(my_cube, _t(lib, x))
    v = RNG.standard_normal(4)
    np.testing.assert_allclose(_np(vjp_fn(_t(lib, v))[0]), 3 * x ** 2 * v, rtol=1e-12)
    assert tg.gradcheck(_my_cube(tg), [tg.tensor(x, requires_grad=True)])


# ================================================================= vmap support


def test_generated_vmap_rule_of_the_note(lib):
    # generate_vmap_rule = True: vmap(my_cube)(x) is x ** 3 (a loop here: the flag is
    # accepted and not needed); and per-sample gradients, vmap(grad(my_cube))
    x = RNG.standard_normal(3)
    my_cube = _my_cube(lib, generate_vmap_rule=True)
    result = _func(lib).vmap(my_cube)(_t(lib, x))
    np.testing.assert_allclose(_np(result), x ** 3, rtol=1e-12)
    per_sample = _func(lib).vmap(_func(lib).grad(my_cube))(_t(lib, x))
    np.testing.assert_allclose(_np(per_sample), 3 * x ** 2, rtol=1e-12)


def test_vmap_staticmethod_of_the_note(lib):
    # the note's check: vmap(numpy_sort)(x) equals numpy_sort(result, 1)
    seen = []
    numpy_sort = _numpy_sort(lib, seen)[1]
    x = RNG.standard_normal((2, 3))
    result = _func(lib).vmap(numpy_sort)(_t(lib, x))
    np.testing.assert_allclose(_np(result), _np(numpy_sort(result, 1)))
    np.testing.assert_array_equal(_np(result), np.sort(x, axis=1))
    # a mapped axis other than 0 (the rule's movedim) and the dim given by keyword
    by_column = _func(lib).vmap(lambda c: numpy_sort(c, dim=0), in_dims=1)(_t(lib, x.T))
    np.testing.assert_array_equal(_np(by_column), np.sort(x, axis=1))
    # torch calls the rule; tinygrad_gd's vmap is a loop and never does
    assert ("NumpySort.vmap" in seen) == _is_torch(lib)


def test_grad_of_vmap_is_grad_of_map(lib):
    # the note: "grad(vmap(MyFunc)) should be replaceable with a grad(map(MyFunc))"
    seen = []
    numpy_sort = _numpy_sort(lib, seen)[1]
    x = RNG.standard_normal((3, 4))
    weights = RNG.standard_normal((3, 4))
    func = _func(lib)

    def mapped(x):
        return (func.vmap(numpy_sort)(x) * _t(lib, weights)).sum()

    def looped(x):
        return sum((numpy_sort(x[i]) * _t(lib, weights[i])).sum() for i in range(3))
    by_vmap = func.grad(mapped)(_t(lib, x))
    np.testing.assert_allclose(_np(by_vmap), _np(func.grad(looped)(_t(lib, x))), rtol=1e-12)
    jacobian = func.jacrev(numpy_sort)(_t(lib, x))  # (torch: vmap over NumpyTake's rule)
    place = np.argsort(x, axis=-1)
    want = np.zeros((3, 4, 3, 4))
    for i in range(3):
        want[i, np.arange(4), i, place[i]] = 1.0
    np.testing.assert_array_equal(_np(jacobian), want)


# ============================================================== jvp support


def _mul(lib, seen):
    """PyTorch's forward-mode example: x * y * z with `save_for_forward` and `jvp`."""
    class ScaledProduct(lib.autograd.Function):
        @staticmethod
        def forward(x, y, z):
            return x * y * z

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, y, z = inputs
            ctx.save_for_backward(x, y)
            ctx.save_for_forward(x, y)
            ctx.z = z

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            return grad * y * ctx.z, grad * x * ctx.z, None

        @staticmethod
        def jvp(ctx, x_t, y_t, z_t):
            seen.append(z_t)
            x, y = ctx.saved_tensors
            return ctx.z * (y * x_t + x * y_t)
    return ScaledProduct


def test_jvp_staticmethod_with_save_for_forward(lib):
    # a Function with a jvp staticmethod, reading what save_for_forward kept (missing
    # before the mend: AttributeError); z, no tensor, gets the tangent None
    seen = []
    mul = _mul(lib, seen)
    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    x_t, y_t = RNG.standard_normal(3), RNG.standard_normal(3)
    want = 3 * (y * x_t + x * y_t)
    fad = lib.autograd.forward_ad
    with fad.dual_level():
        out = mul.apply(fad.make_dual(_t(lib, x), _t(lib, x_t)),
                        fad.make_dual(_t(lib, y), _t(lib, y_t)), 3)
        np.testing.assert_allclose(_np(fad.unpack_dual(out).tangent), want, rtol=1e-12)
    assert seen == [None]
    out, product = _func(lib).jvp(lambda a, b: mul.apply(a, b, 3), (_t(lib, x), _t(lib, y)),
                                  (_t(lib, x_t), _t(lib, y_t)))
    np.testing.assert_allclose(_np(out), 3 * x * y, rtol=1e-12)
    np.testing.assert_allclose(_np(product), want, rtol=1e-12)
    a, b = _t(lib, x, grad=True), _t(lib, y, grad=True)
    mul.apply(a, b, 3).sum().backward()  # backward reads what save_for_backward kept
    np.testing.assert_allclose(_np(a.grad), 3 * y, rtol=1e-12)


def test_jvp_reads_only_what_save_for_forward_kept(lib):
    class Sine(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return np.sin(x) if not _is_torch(lib) else x.sin()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(inputs[0])  # the input for jvp, the output for backward
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * (1 - out ** 2) ** 0.5  # (cos x for |x| < pi/2)

        @staticmethod
        def jvp(ctx, x_t):
            (x,) = ctx.saved_tensors
            return x_t * (np.cos(x) if not _is_torch(lib) else x.cos())
    x = np.array([0.1, -0.5, 1.2])
    fad = lib.autograd.forward_ad
    with fad.dual_level():
        out = Sine.apply(fad.make_dual(_t(lib, x), _t(lib, np.ones(3))))
        np.testing.assert_allclose(_np(fad.unpack_dual(out).tangent), np.cos(x), rtol=1e-12)
    np.testing.assert_allclose(_np(_func(lib).grad(lambda a: Sine.apply(a).sum())(
        _t(lib, x))), np.cos(x), rtol=1e-12)


def test_an_op_given_a_dim_is_drawn_after_a_plain_backward():
    """The diagrams run a graph's ops again after backward() freed their saved arrays: an
    argument given as it is (NumpySort's dim) is kept with the node for that (the first
    version of the pass-through read it from the running apply, and the drawing failed:
    'gradients along the graph not shown')."""
    values = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]])
    x = _t(tg, values, grad=True)
    sorted_x, _, _ = _numpy_sort(tg)[0].apply(x, 1)
    loss = (sorted_x * tg.tensor([1.0, 2.0, 3.0])).sum()
    loss.backward()
    source = tg.draw_graph(loss, mode="backward").source
    assert "not shown" not in source
    weights = np.array([1.0, 2.0, 3.0])  # (each entry's gradient: its sorted place's)
    np.testing.assert_array_equal(_np(x.grad), weights[np.argsort(np.argsort(values, 1), 1)])
