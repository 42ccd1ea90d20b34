"""A user's own op, written as docs/testing.md ("Your own op") shows, with the mistakes a
newcomer makes, each refused in one line naming the op, what is wrong and what to do, at
the class statement or where the op first runs: `ctx.built_in` or `ctx.name` set in
forward, a `call` without `@classmethod`, a backward without its `return`. The op's
default name is its class name in lower case (`RowNorm` is `rownorm`), so that a learner's
own `LogSoftmax` or `MyReLU` takes no built-in op's name; a good op still runs, draws and
passes gradcheck."""
from __future__ import annotations

import types

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.graph import draw_graph


def _leaf(values=(1.0, -2.0)):
    return tg.Tensor(np.array(values), requires_grad=True)


# -- 1 and 2: a node attribute the engine sets, set by forward -----------------------------
def test_ctx_built_in_set_in_forward_is_refused_naming_the_op():
    class A(tg.Function, register=False):
        def forward(ctx, x):
            ctx.built_in = 1  # (a true value: it would switch off the check that refuses it)
            return x * 2

        def backward(ctx, grad):
            return grad * 2

    with pytest.raises(TypeError, match=r"^a: your op set ctx\.built_in, which the engine "
                                        r"sets on every node; keep your value under another "
                                        r"name \(ctx\.my_built_in\)$"):
        A.apply(tg.Tensor([1.0], requires_grad=True))


@pytest.mark.parametrize("value", [True, 0, "yes"])
def test_ctx_built_in_is_refused_whatever_the_value_and_in_pytorchs_style(value):
    class TorchStyle(tg.Function, register=False):
        @staticmethod
        def forward(ctx, x):
            ctx.built_in = value
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    with pytest.raises(TypeError, match=r"^torchstyle: your op set ctx\.built_in"):
        TorchStyle.apply(_leaf())


def test_ctx_built_in_set_in_backward_is_refused_too():
    class Doubler(tg.Function, register=False):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad):
            ctx.built_in = True
            grad *= 2
            return grad

    x = _leaf()
    with pytest.raises(TypeError, match=r"^doubler: your op set ctx\.built_in"):
        Doubler.apply(x).sum().backward()
    assert x.grad is None


def test_ctx_name_set_in_forward_is_refused_as_such_naming_the_op_by_its_class():
    class B(tg.Function, register=False):
        def forward(ctx, x):
            ctx.name = 1
            return x * 2

        def backward(ctx, grad):
            return grad * 2

    with pytest.raises(TypeError, match=r"^b: forward set ctx\.name, which the engine sets on "
                                        r"every node; keep your value under another name "
                                        r"\(ctx\.my_name\)") as caught:
        B.apply(tg.Tensor([1.0], requires_grad=True))
    assert "dtype" not in str(caught.value) and "\n" not in str(caught.value)


def test_a_forward_that_sets_its_name_and_returns_nothing_is_named_by_its_class():
    class Forgetful(tg.Function, register=False):
        def forward(ctx, x):
            ctx.name = "other"
            ctx.save_for_backward(x)

    with pytest.raises(TypeError, match=r"^forgetful: forward set ctx\.name"):
        Forgetful.apply(_leaf())


# -- 3: call without @classmethod --------------------------------------------------------
def test_a_call_without_classmethod_is_refused_at_the_class_statement():
    with pytest.raises(TypeError, match=r"^class PowerR30\(Function\): call must be a "
                                        r"classmethod, as Function's is; add @classmethod "
                                        r"above def call\(cls, \.\.\.\)$"):
        class PowerR30(tg.Function, methods=("power_r30",)):
            def forward(ctx, x, *, p):
                ctx.save_for_backward(x)
                ctx.p = p
                return x ** p

            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * ctx.p * x ** (ctx.p - 1)

            def call(cls, x, p=2):
                return cls.apply(x, p=p)
    assert not hasattr(tg.Tensor, "power_r30") and "power_r30" not in tg.registered_ops()


def test_a_throwaway_op_with_a_plain_call_is_refused_too():
    with pytest.raises(TypeError, match=r"add @classmethod"):
        class Throwaway(tg.Function, register=False):
            def forward(ctx, x):
                return x

            def backward(ctx, grad):
                return grad

            def call(cls, x):
                return cls.apply(x)


@pytest.mark.parametrize("style", ["classmethod", "staticmethod"])
def test_a_call_as_classmethod_or_staticmethod_makes_the_method_take_a_position(style):
    class PowR30(tg.Function, methods=(f"pow_r30_{style}",)):
        def forward(ctx, x, *, p):
            ctx.save_for_backward(x)
            ctx.p = p
            return x ** p

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ctx.p * x ** (ctx.p - 1)

        if style == "classmethod":
            @classmethod
            def call(cls, x, p=2):
                return cls.apply(x, p=p)
        else:
            @staticmethod
            def call(x, p=2):
                return PowR30.apply(x, p=p)

    x = _leaf([1.5, -0.5])
    y = getattr(x, f"pow_r30_{style}")(3)
    np.testing.assert_allclose(y.data, x.data ** 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2)


# -- 4: backward without its return ------------------------------------------------------
def test_a_backward_that_forgets_its_return_is_refused_naming_the_op():
    class D(tg.Function, register=False):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad):
            grad * 2  # (no return)

    x = _leaf()
    with pytest.raises(TypeError, match=r"^d: backward returned None, but input 0 needs a "
                                        r"gradient; return it \(a missing return\?\), or a "
                                        r"tuple with None for each input that needs none$"):
        D.apply(x).sum().backward()
    assert x.grad is None


def test_a_two_input_backward_returning_none_names_the_input_that_needs_a_gradient():
    class Scaled(tg.Function, register=False):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            if ctx.needs_input_grad[0]:
                return grad * w, grad * x  # (the return only under the if)

    w = _leaf([3.0, 4.0])
    with pytest.raises(TypeError, match=r"^scaled: backward returned None, but input 1 needs "
                                        r"a gradient; return it \(a missing return\?\)"):
        Scaled.apply(tg.Tensor([1.0, 2.0]), w).sum().backward()
    with pytest.raises(TypeError, match=r"^scaled: backward returned None"):
        tg.autograd.grad(Scaled.apply(tg.Tensor([1.0, 2.0]), w).sum(), w, create_graph=True)


def test_none_in_the_tuple_for_an_input_needing_no_gradient_still_works():
    class Scaled2(tg.Function, register=False):
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w

        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            return None, grad * x

    x, w = tg.Tensor([1.0, 2.0]), _leaf([3.0, 4.0])
    Scaled2.apply(x, w).sum().backward()
    np.testing.assert_allclose(w.grad.data, x.data)


def test_a_tuple_of_none_is_the_explicit_no_gradient_as_pytorchs():
    class Blocked(tg.Function, register=False):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad):
            return (None,)

    x = _leaf()
    (Blocked.apply(x).sum() + (x * 0.0).sum()).backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros(2))


# -- 5: the default name, the class name in lower case --------------------------------------
class RowNorm(tg.Function, methods=("row_norm",)):
    """Each row divided by its Euclidean norm."""

    def forward(ctx, x):
        y = x / np.sqrt((x * x).sum(axis=-1, keepdims=True))
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        norm = np.sqrt((x * x).sum(axis=-1, keepdims=True))
        return (grad - y * (grad * y).sum(axis=-1, keepdims=True)) / norm


def test_the_default_name_is_the_class_name_in_lower_case():
    assert RowNorm.name == "rownorm" and tg.registered_ops()["rownorm"] is RowNorm
    x = tg.Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    y = x.row_norm()
    np.testing.assert_allclose(y.data, x.data / np.linalg.norm(x.data, axis=1, keepdims=True))
    assert y.grad_fn.name() == "rownorm"
    assert "rownorm" in draw_graph(y.sum()).source
    assert tg.gradcheck(RowNorm.apply, [x])
    with pytest.raises(TypeError, match=r"^rownorm: forward takes 1 input but apply was "
                                        r"given 2"):
        RowNorm.apply(x, x)


@pytest.mark.parametrize("class_name", ["LogSoftmax", "MyReLU", "MaxPool2d", "CrossEntropy"])
def test_a_learners_own_version_of_a_built_in_op_registers_under_its_lower_case_name(
        class_name):
    def body(namespace):
        namespace["forward"] = lambda ctx, x: x * 1.0
        namespace["backward"] = lambda ctx, grad: grad
    op = types.new_class(class_name, (tg.Function,), {}, body)  # (registered: no clash)
    assert op.name == class_name.lower() and tg.registered_ops()[op.name] is op
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    op.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_a_name_given_in_the_class_statement_or_body_is_kept_as_written():
    class RowNormKeyword(tg.Function, register=False, name="rownormkeyword"):
        def forward(ctx, x):
            return x * 1.0

    class RowNormBody(tg.Function, register=False):
        name = "RowNormBody"

        def forward(ctx, x):
            return x * 1.0

    assert RowNormKeyword.name == "rownormkeyword" and RowNormBody.name == "RowNormBody"


def test_the_built_in_ops_keep_their_names():
    # (MatMul is NumPy's matmul: the built-in ops' names are theirs, not a default's)
    assert {"matmul", "log_softmax", "max_pool2d", "exp", "getitem"} <= set(
        tg.registered_ops())
