"""The rules a user's own op keeps (docs/testing.md, "Your own op"), each refused in one
line where breaking it would go wrong later: a `functions=` name that is a `tg.` name
but no op's, a node attribute the engine sets, a parameter given by position."""
from __future__ import annotations

import html
import re
import shutil

import numpy as np
import pytest

import tinygrad_gd as tg


@pytest.mark.parametrize("taken", ["zeros", "save", "nn", "calling", "gradcheck"])
def test_a_function_name_that_is_no_op_is_refused_and_later_ops_still_register(taken):
    with pytest.raises(TypeError, match=rf"functions='{taken}' would replace tg\.{taken}, "
                                        r"which is not an op; choose another name"):
        class Clash(tg.Function, name=f"clash_{taken}", functions=(taken,)):
            def forward(ctx, x):
                return x * 1.0

            def backward(ctx, grad):
                return grad
    assert f"clash_{taken}" not in tg.registered_ops()

    class Later(tg.Function, name="later_after_clash", functions=("later_after_clash",)):
        def forward(ctx, x):
            return x * 2.0

        def backward(ctx, grad):
            return grad * 2.0
    x = tg.Tensor([1.0, 3.0], requires_grad=True)
    tg.later_after_clash(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    assert tg.zeros(2).tolist() == [0.0, 0.0]  # the package's own names still answer


@pytest.mark.parametrize("attribute", ["params", "parents", "scope", "recorded_at",
                                       "output_version", "saved_packed", "saved_snapshots",
                                       "written_in_place"])
def test_a_forward_setting_a_node_attribute_the_engine_sets_is_refused(attribute):
    class Affine(tg.Function, name=f"affine_{attribute}", methods=(f"affine_{attribute}",)):
        def forward(ctx, x, *, a=2.0):
            setattr(ctx, attribute, (a, 1.0))
            return a * x + 1.0

        def backward(ctx, grad):
            return getattr(ctx, attribute)[0] * grad
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=rf"^affine_{attribute}: forward set ctx\.{attribute}, "
                                        r"which the engine sets on every node; keep your "
                                        rf"value under another name \(ctx\.my_{attribute}\)"):
        getattr(x, f"affine_{attribute}")(a=3.0)


def test_a_parameter_given_by_position_is_counted_without_ctx():
    class Power(tg.Function, register=False):
        def forward(ctx, x, *, p):
            ctx.p = p
            return x ** p

        def backward(ctx, grad):
            return grad * ctx.p
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"^power: forward takes 1 input but apply was given 2; "
                                        r"a number given to apply is an argument of "
                                        r"forward: add it there, or pass it as a keyword"):
        Power.apply(x, 3)
    assert Power.apply(x, p=3).tolist() == [1.0, 8.0]


def test_the_guides_call_override_takes_a_parameter_by_position():
    class Power(tg.Function, name="guide_power", methods=("guide_power",)):
        @classmethod
        def call(cls, x, p=2):
            return cls.apply(x, p=p)

        def forward(ctx, x, *, p):
            ctx.save_for_backward(x)
            ctx.p = p
            return x ** p

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ctx.p * x ** (ctx.p - 1)
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    x.guide_power(3).sum().backward()
    assert np.allclose(x.grad.data, [3.0, 12.0])


def test_a_tensor_method_in_a_users_forward_or_backward_is_one_line():
    # PyTorch's tutorial MyReLU calls input.clamp(min=0) and grad_output.clone(): a bare
    # "'numpy.ndarray' object has no attribute 'clamp'" named no op and said nothing more
    class Clamped(tg.Function, register=False):
        @staticmethod
        def forward(ctx, x):
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad):
            return grad

    class Cloned(tg.Function, register=False):
        @staticmethod
        def forward(ctx, x):
            return np.maximum(x, 0)

        @staticmethod
        def backward(ctx, grad):
            return grad.clone()

    class Buggy(tg.Function, register=False):  # a user's own slip keeps Python's message
        @staticmethod
        def forward(ctx, x):
            return x * ctx.missing

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = tg.Tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(AttributeError) as error:
        Clamped.apply(x)
    assert str(error.value).startswith("clamped: forward and backward get NumPy arrays, not "
                                       "Tensors") and "np.clip(x, 0, None)" in str(error.value)
    y = Cloned.apply(x).sum()
    with pytest.raises(AttributeError) as error:
        y.backward()
    assert str(error.value).startswith("backward of op 'cloned': forward and backward get "
                                       "NumPy arrays") and "x.copy() for clone" in str(error.value)
    with pytest.raises(AttributeError, match="missing") as error:
        Buggy.apply(x)
    assert "NumPy arrays" not in str(error.value)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_what_a_class_body_declares_counts_as_the_keywords_do(tmp_path):
    # (`elementwise = True` in the body was reset to False: the picture lost the factors)
    class BodyCube(tg.Function):
        name = "body_cube"
        elementwise = True
        methods = ("body_cube",)

        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * grad

    class Plain(BodyCube, name="body_cube_child"):  # declares nothing: inherits nothing
        pass
    assert BodyCube.elementwise and not Plain.elementwise and Plain.methods == ()
    w = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = (w.body_cube() * 2).sum()
    picture = tmp_path / "cube.svg"
    tg.render_graph(loss, picture, mode="backward")
    texts = re.sub(r"\s+", " ", html.unescape(" ".join(
        re.findall(r"<text[^>]*>([^<]*)</text>", picture.read_text()))).replace("\xa0", " "))
    assert "[2, 2, 2] × [0.75, 3, 12] = [1.5, 6, 24]" in texts
    with pytest.raises(TypeError, match=r"^class Odd\(Function, elementwize=\.\.\.\): unknown "
                                        r"keyword; use name, methods"):
        class Odd(tg.Function, elementwize=True):
            pass


def test_none_given_to_apply_reaches_forward_as_none():
    # (PyTorch passes None on to forward; here it was an input, with NumPy's message "got
    # dtype object from None", then refused in one line; now it is passed on as PyTorch's)
    class WithBias(tg.Function, register=False):
        def forward(ctx, x, w, b=None):
            ctx.save_for_backward(x, w)
            return x * w if b is None else x * w + b

        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            return grad * w, grad * x

    x, w = tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0], requires_grad=True)
    WithBias.apply(x, w, None).sum().backward()  # (backward's two gradients: for x and w)
    assert w.grad.tolist() == [1.0, 2.0]
    WithBias.apply(x, w).sum().backward()  # (left out: it runs too)
    assert w.grad.tolist() == [2.0, 4.0]
