"""A port of PyTorch's tutorial "Double Backward with Custom Functions"
(intermediate_source/custom_function_double_backward_tutorial.rst), against torch 2.13,
and the rules it teaches, as tinygrad_gd keeps them.

A user's op without `backward_graph` is differentiated twice as PyTorch differentiates a
custom Function: its own backward runs on tensors in a pass with `create_graph=True`
(tinygrad_gd/higher_order.py, `backward_on_tensors`). Each example is written as the
tutorial writes it, changed only where tinygrad_gd differs, each change marked
`# FINDING n:`:

1. forward gets NumPy arrays, not tensors: `np.exp(x)` for `torch.exp(x)` (backward gets
   tensors in a pass with create_graph=True, arrays otherwise: it is written once for both;
   each example here is written once, `tutorial(lib)`, for tinygrad_gd and for torch);
2. a user's op may not take a built-in op's name: `Square`, `Exp`, `Sinh` and `Cube` name
   themselves (`name="my_square"`);
3. the tutorial's "what not to do" (an intermediate result kept on ctx) gives a gradient
   without a graph in PyTorch, silently; here differentiating it again is refused in one
   line naming the array;
4. torchviz's `make_dot((grad_x, x, out))` is `tg.draw_graph(grad_x)`: the picture shows
   the gradient as a function of x.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.autograd.function import once_differentiable
from tinygrad_gd.graph import draw_graph, render_graph

from test_graph import parse
from test_graph_labels import png_size

try:  # (the tutorial's programs in torch, to compare with; the rest runs without it)
    import torch
except ImportError:
    torch = None
RNG = np.random.default_rng(22)


# ------------------------------------------------------------------- the tutorial's code

def cube_forward(x):
    return x**3


def cube_backward(grad_out, x):
    return grad_out * 3 * x**2


def cube_backward_backward(grad_out, sav_grad_out, x):
    return grad_out * sav_grad_out * 6 * x


def cube_backward_backward_grad_out(grad_out, x):
    return grad_out * 3 * x**2


def tutorial(lib):
    """The tutorial's Functions written for `lib`, tinygrad_gd or torch, as it writes them
    but for FINDINGs 1 and 2 (`exp` and `named` say where the two differ)."""
    exp = np.exp if lib is tg else torch.exp  # FINDING 1: forward gets NumPy arrays

    def named(name):  # FINDING 2: tinygrad_gd's built-in op names are taken
        return {"name": name} if lib is tg else {}

    class Square(lib.autograd.Function, **named("my_square")):
        @staticmethod
        def forward(ctx, x):
            # Because we are saving one of the inputs use `save_for_backward`
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        def backward(ctx, grad_out):
            # A function supports double backward automatically if autograd
            # is able to record the computations performed in backward
            x, = ctx.saved_tensors
            return grad_out * 2 * x

    class Exp(lib.autograd.Function, **named("my_exp")):
        @staticmethod
        def forward(ctx, x):
            result = exp(x)
            ctx.save_for_backward(result)  # an output, saved
            return result

        @staticmethod
        def backward(ctx, grad_out):
            result, = ctx.saved_tensors
            return result * grad_out

    class Sinh(lib.autograd.Function, **named("my_sinh")):
        @staticmethod
        def forward(ctx, x):
            expx = exp(x)
            expnegx = exp(-x)
            ctx.save_for_backward(expx, expnegx)
            # the intermediate results returned as outputs too, so that their graph is kept
            return (expx - expnegx) / 2, expx, expnegx

        @staticmethod
        def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
            expx, expnegx = ctx.saved_tensors
            grad_input = grad_out * (expx + expnegx) / 2
            # not skipped although the outputs are unused: the second backward needs them
            grad_input += _grad_out_exp * expx
            grad_input -= _grad_out_negexp * expnegx
            return grad_input

    class SinhBad(lib.autograd.Function):
        # This is an example of what NOT to do!
        @staticmethod
        def forward(ctx, x):
            expx = exp(x)
            expnegx = exp(-x)
            ctx.expx = expx
            ctx.expnegx = expnegx
            return (expx - expnegx) / 2

        @staticmethod
        def backward(ctx, grad_out):
            expx = ctx.expx
            expnegx = ctx.expnegx
            grad_input = grad_out * (expx + expnegx) / 2
            return grad_input

    class Cube(lib.autograd.Function, **named("my_cube")):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return cube_forward(x)

        @staticmethod
        def backward(ctx, grad_out):
            x, = ctx.saved_tensors
            return CubeBackward.apply(grad_out, x)

    class CubeBackward(lib.autograd.Function):
        @staticmethod
        def forward(ctx, grad_out, x):
            ctx.save_for_backward(x, grad_out)
            return cube_backward(grad_out, x)

        @staticmethod
        def backward(ctx, grad_out):
            x, sav_grad_out = ctx.saved_tensors
            dx = cube_backward_backward(grad_out, sav_grad_out, x)
            dgrad_out = cube_backward_backward_grad_out(grad_out, x)
            return dgrad_out, dx

    def sinh(x):
        # Create a wrapper that only returns the first output
        return Sinh.apply(x)[0]

    return Square, Exp, Sinh, sinh, SinhBad, Cube


Square, Exp, Sinh, sinh, SinhBad, Cube = tutorial(tg)
if torch is not None:
    TorchSquare, TorchExp, _, torch_sinh, TorchSinhBad, TorchCube = tutorial(torch)


def _derivatives(lib, fn, x, weights, order=3):
    """sum(weights * fn(x)) differentiated `order` times, each time the sum of the last
    gradient: the values of each derivative."""
    t = (tg.Tensor(x, requires_grad=True) if lib is tg else
         torch.tensor(x, requires_grad=True))
    weighted = fn(t) * (tg.Tensor(weights) if lib is tg else torch.tensor(weights))
    total, found = weighted.sum(), []
    for _ in range(order):
        (g,) = lib.autograd.grad(total, t, create_graph=True)
        found.append(np.array(g.detach().numpy() if lib is torch else g.numpy()))
        total = g.sum()
    return found


PAIRS = [("square", Square.apply, lambda: TorchSquare.apply, (3, 3)),  # (x**2'' = 2)
         ("exp", Exp.apply, lambda: TorchExp.apply, ()),  # the tutorial's x: one number
         ("sinh", sinh, lambda: torch_sinh, (3, 3)),
         ("cube", Cube.apply, lambda: TorchCube.apply, ())]


@pytest.mark.parametrize("name, ours, theirs, shape", PAIRS, ids=[p[0] for p in PAIRS])
def test_each_example_is_gradient_checked_twice_as_the_tutorial(name, ours, theirs, shape):
    # Use double precision because finite differencing method magnifies errors
    x = tg.Tensor(RNG.random(shape) + 0.5, requires_grad=True)
    assert tg.autograd.gradcheck(ours, x)
    # Use gradcheck to verify second-order derivatives
    assert tg.autograd.gradgradcheck(ours, x)


@pytest.mark.torch
@pytest.mark.parametrize("name, ours, theirs, shape", PAIRS, ids=[p[0] for p in PAIRS])
def test_each_examples_derivatives_to_the_third_are_pytorchs(name, ours, theirs, shape):
    pytest.importorskip("torch")
    theirs = theirs()
    x, weights = RNG.standard_normal(shape), RNG.standard_normal(shape)
    order = 2 if name == "square" else 3  # (x**2's second derivative is a constant)
    for mine, want in zip(_derivatives(tg, ours, x, weights, order),
                          _derivatives(torch, theirs, x, weights, order)):
        np.testing.assert_allclose(mine, want, rtol=1e-12, atol=1e-12)


def test_what_not_to_do_is_refused_in_one_line_where_pytorch_loses_the_graph():
    # FINDING 3: PyTorch's grad_x of SinhBad holds no graph (the tutorial's picture shows
    # it cut off), so a second derivative through it silently misses exp's; here its
    # values are the same, and differentiating them is refused in one line
    x = RNG.random((3, 3))
    if torch is not None:
        t = torch.tensor(x, requires_grad=True)
        (theirs,) = torch.autograd.grad(TorchSinhBad.apply(t).sum(), t, create_graph=True)
        assert not theirs.requires_grad
    ours = tg.Tensor(x, requires_grad=True)
    (grad_x,) = tg.autograd.grad(SinhBad.apply(ours).sum(), ours, create_graph=True)
    np.testing.assert_allclose(grad_x.numpy(), np.cosh(x), rtol=1e-14)  # its values
    with pytest.raises(NotImplementedError, match=r"^a derivative through the gradient of op "
                       r"'sinhbad' \(computed with create_graph=True\) is refused: op "
                       r"'sinhbad' has no backward_graph, and its backward reads ctx.expx, an "
                       r"array forward computed .* return it from forward as an output too"
                       ) as info:
        tg.autograd.grad(grad_x.sum(), ours)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name, ours, theirs, shape", PAIRS, ids=[p[0] for p in PAIRS])
def test_the_gradient_is_drawn_as_a_function_of_x(name, ours, theirs, shape):
    """FINDING 4: torchviz's picture of (grad_x, x, out): grad_x's graph reaches x."""
    x = tg.Tensor(RNG.random(shape) + 0.5, requires_grad=True, name="x")
    out = ours(x)
    (grad_x,) = tg.autograd.grad(out.sum(), x, create_graph=True)
    grad_x.name = "grad_x"
    nodes, _ = parse(draw_graph(grad_x).source)
    titles = {label.split("\n")[0].split(" (")[0] for label, _ in nodes.values()}
    assert {"x", "grad_x"} <= titles, titles
    if name == "cube":  # the tutorial's CubeBackward (the gradient 1 in its label)
        assert "cubebackward 1" in titles, titles


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_the_cubes_gradient_renders_as_a_picture(tmp_path):
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    (grad_x,) = tg.autograd.grad(Cube.apply(x), x, create_graph=True)
    grad_x.name = "grad_x"
    path = render_graph(draw_graph(grad_x), tmp_path / "grad_x.png")
    width, height = png_size(path)
    assert 60 < width < 800 and 100 < height < 800, (width, height)
    svg = render_graph(draw_graph(grad_x), tmp_path / "grad_x.svg").read_text()
    assert "grad_x" in svg and "cubebackward" in svg and "data 12" in svg


# ------------------------------------------------ the rules beside it (PyTorch's too)

@pytest.mark.torch
def test_a_numpy_style_op_is_differentiated_twice_through_numpy_calls_that_have_ops():
    """A backward written for arrays (np.cos, np.where) runs on tensors too: NumPy hands
    those calls to tinygrad_gd's ops, so the second derivative is recorded."""
    class Wave(tg.Function, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.where(x > 0, np.sin(x), 0.5 * x)

        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * np.where(x > 0, np.cos(x), 0.5)

    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(6)
    mine = _derivatives(tg, Wave.apply, x, np.ones(6))
    want = _derivatives(torch, lambda t: torch.where(t > 0, t.sin(), 0.5 * t), x, np.ones(6))
    for a, b in zip(mine, want):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    assert tg.gradgradcheck(Wave.apply, [tg.Tensor(x, requires_grad=True)])


def _refusal(op_apply, x, match):
    """backward(create_graph=True) through the op gives its NumPy backward's values, as
    PyTorch's does; a derivative through them is refused in one line. Returns them."""
    t = tg.Tensor(x, requires_grad=True)
    (op_apply(t) * 2).sum().backward(create_graph=True)
    first = t.grad.detach().numpy().copy()
    with pytest.raises(NotImplementedError, match=match) as info:
        t.grad.sum().backward()
    assert "\n" not in str(info.value)
    return first


def test_a_backward_that_reads_values_into_numpy_is_refused():
    """np.asarray, or a NumPy or SciPy function without an op, reads a tensor's values:
    PyTorch refuses that on a tensor needing a gradient too (`.numpy()`)."""
    class Cubic(tg.Function, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * np.asarray(x) ** 2

    grad = _refusal(Cubic.apply, np.array([1.0, -2.0]),
                    "its backward read a tensor's values into NumPy")
    np.testing.assert_allclose(grad, [6.0, 24.0])


def test_a_backward_that_returns_an_array_or_fails_on_tensors_is_refused():
    class Arrays(tg.Function, register=False):
        def forward(ctx, x):
            return 2 * x

        def backward(ctx, g):
            return np.asarray(2 * g)  # (an ndarray on tensors too)

    np.testing.assert_allclose(_refusal(Arrays.apply, np.ones(2), r"returned ndarray for "
                                        r"input 0, not a tensor"), [4.0, 4.0])

    class Flags(tg.Function, register=False):
        def forward(ctx, x):
            return 2 * x

        def backward(ctx, g):
            return 2 * g if g.flags.c_contiguous else None

    np.testing.assert_allclose(_refusal(Flags.apply, np.ones(2), r"its backward, run on "
                                        r"tensors, raised AttributeError: .*flags"), [4.0, 4.0])


def test_once_differentiable_refuses_a_second_derivative_as_pytorchs():
    def marked(lib):
        class Marked(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 2 * x * grad
        return Marked

    if torch is not None:
        t = torch.tensor([1.0, 2.0], requires_grad=True)
        (g,) = torch.autograd.grad((marked(torch).apply(t) * t).sum(), t, create_graph=True)
        with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
            g.sum().backward()
    grad = _refusal(marked(tg).apply, np.array([1.0, 2.0]), "marked @once_differentiable")
    np.testing.assert_allclose(grad, 2 * 2 * np.array([1.0, 2.0]))


@pytest.mark.torch
def test_an_optional_input_given_none_and_several_outputs_differentiate_twice():
    """Extending PyTorch's LinearFunction with `bias=None`, and its MyCube with two
    outputs (whose backward adds `grad_dx * 6 * x` for higher-order gradients)."""
    def linear_class(lib):
        class LinearFunction(lib.autograd.Function):
            @staticmethod
            def forward(ctx, input, weight, bias=None):
                ctx.save_for_backward(input, weight, bias)
                output = input @ weight.T
                return output if bias is None else output + bias

            @staticmethod
            def backward(ctx, grad_output):
                input, weight, bias = ctx.saved_tensors
                grad_bias = None if bias is None else grad_output.sum(0)
                return grad_output @ weight, grad_output.T @ input, grad_bias
        return LinearFunction

    def cube_class(lib):
        class MyCube(lib.autograd.Function):
            @staticmethod
            def forward(x):
                return x ** 3, 3 * x ** 2

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(inputs[0], output[1])

            @staticmethod
            def backward(ctx, grad_output, grad_dx):
                x, dx = ctx.saved_tensors
                return grad_output * dx + grad_dx * 6 * x
        return MyCube

    pytest.importorskip("torch")
    x, w = RNG.standard_normal((4, 3)), RNG.standard_normal((2, 3))

    def second(lib):
        linear, cube = linear_class(lib), cube_class(lib)
        ts = [tg.Tensor(a, requires_grad=True) if lib is tg else
              torch.tensor(a, requires_grad=True) for a in (x, w)]
        out = cube.apply(linear.apply(ts[0], ts[1], None))[0]
        gs = lib.autograd.grad(out.sum(), ts, create_graph=True)
        total = sum((g * g).sum() for g in gs)
        return [g.detach().numpy() if lib is torch else g.numpy()
                for g in lib.autograd.grad(total, ts)]

    for mine, want in zip(second(tg), second(torch)):
        np.testing.assert_allclose(mine, want, rtol=1e-12)


def test_tg_func_transforms_compose_through_a_users_op():
    hessian = tg.func.hessian(lambda t: Cube.apply(t).sum())(tg.Tensor([1.0, -2.0]))
    np.testing.assert_allclose(hessian.numpy(), np.diag([6.0, -12.0]))
    second = tg.func.grad(tg.func.grad(lambda t: Sinh.apply(t)[0]))(tg.Tensor(0.7))
    np.testing.assert_allclose(second.numpy(), np.sinh(0.7), rtol=1e-14)


def test_a_users_backward_run_on_tensors_is_checked_as_backward_graph_is():
    """Its gradient must fit its input (one line naming the op), and anomaly mode names
    the backward that made a NaN."""
    class Wide(tg.Function, register=False):
        def forward(ctx, x):
            return 2 * x

        def backward(ctx, g):
            return tg.concatenate([g, g]) if isinstance(g, tg.Tensor) else 2 * g

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^backward with create_graph=True: op 'wide' gave "
                                           r"a gradient of shape \(4,\) for an input of shape "
                                           r"\(2,\); it must have the input's shape"):
        tg.autograd.grad(Wide.apply(x).sum(), x, create_graph=True)

    class Root(tg.Function, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sqrt(x)

        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g / (2 * x ** 0.5)

    zero = tg.Tensor([0.0, 4.0], requires_grad=True)
    with tg.autograd.detect_anomaly(), pytest.raises(tg.AnomalyError, match=r"\(in the backward "
                                                                            r"of op 'root'\)$"):
        tg.autograd.grad((Root.apply(zero) * 0).sum(), zero, create_graph=True)


def test_a_read_into_numpy_is_seen_even_when_backward_makes_a_tensor_afterwards():
    class Late(tg.Function, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            factor = 3 * np.asarray(x) ** 2  # (values: x's graph cut here)
            return g * factor * tg.tensor(1.0)  # (a new tensor made after the read)

    grad = _refusal(Late.apply, np.array([1.0, -2.0]), "read a tensor's values into NumPy")
    np.testing.assert_allclose(grad, [6.0, 24.0])


def test_once_differentiable_marks_in_either_order_and_a_bound_method():
    class Either(tg.autograd.Function):
        @once_differentiable
        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

        @staticmethod
        def forward(ctx, x):
            return 2 * x

    class Doubler:
        def backward(self, ctx, grad):
            return 2 * grad

    class Bound(Either):
        backward = staticmethod(once_differentiable(Doubler().backward))

    for op in (Either, Bound):
        x = tg.Tensor([1.0, 2.0], requires_grad=True)
        (g,) = tg.autograd.grad((op.apply(x) * x).sum(), x, create_graph=True)
        np.testing.assert_allclose(g.numpy(), [4.0, 8.0])
        with pytest.raises(NotImplementedError, match="marked @once_differentiable"):
            g.sum().backward()
