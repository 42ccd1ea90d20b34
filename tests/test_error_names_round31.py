"""An error names what the user called (thirty-first round).

Python's own TypeError for a wrong number of arguments, or a keyword a function lacks,
names the function's __qualname__: `x.where(1, 2, 3)` said "_where() takes ...", a name
the user never wrote. Every public Tensor method and every function of every namespace
the package exports (`tg.`, `F.`, `linalg.`, `special.`, `fft.`, `masked.`,
`optim.lr_scheduler.`, ...) is called here with far too many arguments and with an
unknown keyword, and each message that names a function must name the one called (a
method as `Tensor.where`; `masked.sum: sum() takes ...` both of them). A user's own op
given the wrong number of inputs counts the inputs the user gave, in both styles of
forward: with the ctx, and PyTorch 2's without it.
"""
from __future__ import annotations

import inspect
import pickle
import re
import types

import graphviz
import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import registry

_TOO_MANY = 12  # (far past any public function's positional parameters)
# Python's complaint about binding the arguments, or the package's restatement of it
# ("where() takes ...", "clamp_min: takes ...", "masked.sum: sum() takes ...", a user's op's
# "cube: forward takes ...")
_BINDING = re.compile(r"^(?:(?P<called>[\w.]+): )?(?P<name>[\w.<>]+?)(\(\)|:) (forward takes|"
                      r"takes|got an unexpected keyword|got multiple values|missing \d+ required)")


def _exported() -> dict[str, types.ModuleType]:
    """Every namespace the package exports (tg, tg.nn.functional, tg.linalg, tg.special,
    tg.fft, tg.optim.lr_scheduler, ...): the modules its `__all__` lists, and theirs."""
    found, todo = {"tg": tg}, ["tg"]
    while todo:
        label = todo.pop()
        module = found[label]
        names = getattr(module, "__all__", None) or [n for n in dir(module) if n[0] != "_"]
        for name in names:
            value = getattr(module, name, None)
            if (isinstance(value, types.ModuleType) and value.__name__.startswith("tinygrad_gd")
                    and all(value is not seen for seen in found.values())):
                found[f"{label}.{name}"] = value
                todo.append(f"{label}.{name}")
    return found


_MODULES = _exported()
_NAMESPACES = ("Tensor", "grad_fn", *sorted(_MODULES))


def _instance(namespace: str) -> object:
    """A tensor, or a node of a graph (`y.grad_fn`, PyTorch's Node: name(), register_hook)."""
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=namespace == "grad_fn")
    return (x * 2).sum().grad_fn if namespace == "grad_fn" else x


def _callables(namespace: str) -> list[tuple[str, object]]:
    """The public callables of `namespace` as a user reaches them: a tensor's or a node's
    methods (and property-like callables, x.size, grad_fn.name), or a module's functions
    (no classes, no modules, no objects such as tg.distributions.biject_to, whose call
    names its class as PyTorch's does)."""
    if namespace in ("Tensor", "grad_fn"):
        x = _instance(namespace)
        found = []
        for name in dir(x):
            if name.startswith("_") or name == "apply" and namespace == "grad_fn":
                continue  # (the op's apply, which names the op: "sum: takes ...")
            try:
                value = getattr(x, name)
            except Exception:  # noqa: BLE001  (a property that refuses a plain tensor)
                continue
            if callable(value) and not isinstance(value, type):
                found.append((name, value))
        return found
    module = _MODULES[namespace]
    names = getattr(module, "__all__", None) or [n for n in dir(module) if n[0] != "_"]
    return [(name, getattr(module, name)) for name in sorted(set(names))
            if not name.startswith("_") and _called(getattr(module, name, None))]


def _called(value: object) -> bool:
    """A function, or a module a user calls as one (`tg.tensor`, the module
    tinygrad_gd.tensor answering the call)."""
    return inspect.isroutine(value) or isinstance(value, types.ModuleType) and callable(value)


def _message(function, *args, **kwargs) -> str | None:
    """The TypeError's message of the call, None where it runs or refuses otherwise (a
    function of any number of arguments refusing the values, say)."""
    try:
        function(*args, **kwargs)
    except TypeError as err:
        return str(err)
    except Exception:  # noqa: BLE001  (another refusal: not a binding of arguments)
        return None
    return None


def _misnamed(namespace: str) -> tuple[list[str], int]:
    """Each call of `namespace`'s callables whose binding message names another function
    than the one called, and how many messages were read."""
    wrong, read = [], 0
    for name, function in _callables(namespace):
        for how, args, kwargs in (("too many", (1,) * _TOO_MANY, {}),
                                  ("unknown keyword", (), {"no_such_keyword_r31": 1})):
            text = _message(function, *args, **kwargs)
            match = _BINDING.match(text or "")
            if match is None:
                continue
            read += 1
            said = {match.group("name"), match.group("called") or match.group("name")}
            if {text.rpartition(".")[2] for text in said} != {name}:
                wrong.append(f"{namespace}.{name} ({how}): {text}")
    return wrong, read


@pytest.fixture
def quiet_state(tmp_path, monkeypatch):
    """A function of any number of arguments runs with the ones given: in a directory of
    its own, the random state and NumPy's print options put back afterwards."""
    monkeypatch.chdir(tmp_path)
    state, options = tg.get_rng_state(), np.get_printoptions()
    yield
    tg.set_rng_state(state)
    np.set_printoptions(**options)


@pytest.mark.parametrize("namespace", _NAMESPACES)
def test_every_public_callable_names_itself_when_given_the_wrong_arguments(namespace,
                                                                            quiet_state):
    wrong, read = _misnamed(namespace)
    assert wrong == [], "\n".join(wrong)
    callables = len(_callables(namespace))
    assert read >= callables, (read, callables)  # (the sweep read them: most give two)


def test_a_new_method_with_a_private_name_fails_the_sweep(monkeypatch, quiet_state):
    """The sweep is the guard: a method installed as it was written (`_flipped`) is
    caught, and the same one given its public name by op_errors.named passes."""
    from tinygrad_gd.op_errors import named

    def _flipped(self, dim=0):
        return self.flip(dim)

    monkeypatch.setattr(tg.Tensor, "flipped_r31", _flipped, raising=False)
    wrong, _ = _misnamed("Tensor")
    assert [line.split(" (")[0] for line in wrong] == ["Tensor.flipped_r31"] * 2, wrong
    assert "_flipped() takes from 1 to 2 positional arguments" in wrong[0]
    monkeypatch.setattr(tg.Tensor, "flipped_r31", named(_flipped, "flipped_r31", tg.Tensor))
    assert _misnamed("Tensor")[0] == []


X = tg.tensor([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("call, start", [
    (lambda: X.where(X > 2, 0.0, 3), "where: takes 2 arguments (condition, other) but 3 "),
    (lambda: X.any(0, False, 3), "any: takes at most 2 arguments (axis, keepdims) but 3 "),
    (lambda: X.all(0, False, 3), "all: takes at most 2 arguments (axis, keepdims) but 3 "),
    (lambda: X.astype(np.float32, 3), "astype: takes 1 argument (dtype) but 2 "),
    (lambda: X.type_as(X, 3), "type_as: takes 1 argument (other) but 2 "),
    (lambda: X.is_signed(3), "is_signed: takes no arguments but 1 "),
    (lambda: X.new_full((2,), 1.0, None, False, 3), "new_full: takes 2 to 4 arguments "),
    (lambda: X.new_tensor([1.0], None, False, 3), "new_tensor: takes 1 to 3 arguments "),
    (lambda: X.size(0, 3), "size: takes at most 1 argument (dim) but 2 "),
    (lambda: X.ndimension(3), "ndimension: takes no arguments but 1 "),
    (lambda: X.draw(3), "draw: takes no arguments but 1 "),
    (lambda: X.sum_to_size(2, nope=3), "sum_to_size: got an unexpected keyword "),
    (lambda: X.draw(nope=3), "Tensor.draw() got an unexpected keyword "),
    (lambda: tg.native_channel_shuffle(X, 1, 3), "native_channel_shuffle() takes 2 "),
])
def test_the_methods_that_said_another_name_say_their_own(call, start):
    """(A count of a method's arguments is the user's, without the tensor, since the
    thirty-fourth round: "where: takes 2 arguments (condition, other) but 3 were given";
    a keyword's mistake keeps Python's words, with the method's own name; where PyTorch's
    argument names are taken, since the fortieth round, the op's own form: "sum_to_size:
    got an unexpected keyword argument 'nope'", with where to look.)"""
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value).startswith(start), info.value


def test_an_alias_and_its_target_each_say_their_own_name_and_agree():
    """ndimension is dim's copy: dim keeps its own name, and both give the same values."""
    assert X.ndimension() == X.dim() == X.ndim
    for method in (X.dim, X.ndimension):
        with pytest.raises(TypeError, match=rf"^{method.__name__}: takes no arguments but 1 "):
            method(1)
    assert tg.native_channel_shuffle(tg.arange(8.0).reshape(1, 4, 2), 2).tolist() == \
        tg.nn.functional.channel_shuffle(tg.arange(8.0).reshape(1, 4, 2), 2).tolist()
    y = tg.tensor([1.0, -2.0], requires_grad=True)
    assert X.where(X > 2, 0.0).tolist() == np.where(X.numpy() > 2, X.numpy(), 0.0).tolist()
    assert pickle.loads(pickle.dumps(tg.Tensor.where)) is tg.Tensor.where
    node_hook = type(y.exp().grad_fn).register_hook  # (a node's method, renamed in hooks.py)
    assert pickle.loads(pickle.dumps(node_hook)) is node_hook
    drawn = y.draw()  # x.draw is draw_graph under its own name: the same drawing
    assert isinstance(drawn, graphviz.Digraph) and drawn.source == tg.draw_graph(y).source


@pytest.mark.parametrize("call, function, extra", [
    # (the call; the tg. function it hands its arguments to; how many the user gave)
    (lambda: X.true_divide(X, 1), tg.true_divide, 2),
    (lambda: X.unsafe_chunk(2, 0, 1), tg.unsafe_chunk, 3),
    (lambda: X.long().bitwise_and_(1, 2), tg.bitwise_and, 2),
    (lambda: X.long().gcd_(1, 2), tg.gcd, 2),
])
def test_a_function_made_a_method_counts_without_the_tensor(call, function, extra):
    """x.true_divide(y, 1) "takes 1 argument (divisor) but 2 were given": the function's
    parameters past its first (the tensor), and the arguments the user wrote."""
    with pytest.raises(TypeError) as info:
        call()
    parameters = list(inspect.signature(function).parameters.values())[1:]
    named_ones = ", ".join(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)
    assert f"({named_ones}) but {extra} were given" in str(info.value), info.value
    assert "\n" not in str(info.value)


# -- a user's op: the inputs the user gave, in both styles of forward ------------------------
@pytest.fixture
def users_ops():
    """Two users' ops of one input and one of two, in the ctx style and PyTorch 2's
    (setup_context); taken away afterwards."""
    class CubeR31(tg.Function, methods=("cube_r31",)):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    class SquareR31(tg.Function, methods=("square_r31",)):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

    class ProductR31(tg.Function):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            return grad * y, grad * x

    class ScaledR31(tg.Function):
        @staticmethod
        def forward(x, scale=2.0):
            return x * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.scale = inputs[1] if len(inputs) > 1 else 2.0

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.scale, None

    ops = (CubeR31, SquareR31, ProductR31, ScaledR31)
    try:
        yield ops
    finally:
        for op in ops:
            registry._registry.pop(op.name, None)
        for name in ("cube_r31", "square_r31", "cube_r31_", "square_r31_"):
            if name in vars(tg.Tensor):
                delattr(tg.Tensor, name)


def _inputs_of(forward) -> int:
    """How many inputs a user's forward takes: its parameters, less the ctx if it takes one."""
    names = list(inspect.signature(forward).parameters)
    return len(names) - (names[:1] == ["ctx"])


@pytest.mark.parametrize("style", ["ctx", "setup_context"])
@pytest.mark.parametrize("given", [2, 3])
def test_a_users_op_counts_the_inputs_given_to_apply(users_ops, style, given):
    """`forward takes 1 input but apply was given 2`: the numbers the user wrote, for a
    forward(ctx, x) and for a forward(x) beside setup_context (one short before)."""
    cube, square, _, _ = users_ops
    op = cube if style == "ctx" else square
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    takes = _inputs_of(op.forward)
    with pytest.raises(TypeError) as info:
        op.apply(*[x] * given)
    assert str(info.value).startswith(
        f"{op.name}: forward takes {takes} input but apply was given {given}; "), info.value
    with pytest.raises(TypeError) as info:  # (a number given to apply is an input too)
        op.apply(x, *[3.0] * (given - 1))
    assert f"forward takes {takes} input but apply was given {given};" in str(info.value)


@pytest.mark.parametrize("style", ["ctx", "setup_context"])
def test_a_users_op_called_as_a_method_counts_the_tensor_among_its_inputs(users_ops, style):
    cube, square, _, _ = users_ops
    op, method = (cube, "cube_r31") if style == "ctx" else (square, "square_r31")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        getattr(x, method)(x)
    assert str(info.value).startswith(
        f"{method}: forward takes {_inputs_of(op.forward)} input but apply was given 2; ")


def test_a_users_op_of_two_inputs_and_one_optional_counts_as_given(users_ops):
    _, _, product, scaled = users_ops
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        product.apply(x, x, x)
    assert str(info.value).startswith(
        f"{product.name}: forward takes {_inputs_of(product.forward)} inputs but apply was "
        f"given 3; "), info.value
    with pytest.raises(TypeError) as info:
        scaled.apply(x, 2.0, 3.0)

    def forward(x, scale=2.0):  # (Python's own count of such a forward: the user's)
        return x

    with pytest.raises(TypeError) as python:
        forward(x, 2.0, 3.0)
    assert str(info.value) == (f"{scaled.name}: {str(python.value).split('() ', 1)[1]}; its "
                               f"docstring lists its arguments")


def test_the_users_ops_still_run_and_differentiate(users_ops):
    cube, square, product, scaled = users_ops
    values = np.array([1.0, -2.0, 0.5])
    x = tg.tensor(values, requires_grad=True)
    y = tg.tensor(values[::-1].copy(), requires_grad=True)
    (square.apply(x) + product.apply(x, y) + scaled.apply(x, 3.0) + cube.apply(x)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * values + values[::-1] + 3.0 + 3 * values ** 2)
    np.testing.assert_allclose(y.grad.numpy(), values)
    assert x.square_r31().grad_fn.name() == square.name


def test_tg_tensor_names_itself_and_is_star_imported():
    """`tg.tensor` is the module tinygrad_gd.tensor answering the call: its wrong
    arguments were said of `_CallableModule.__call__()`, counting the module, and
    `from tinygrad_gd import *` left it out."""
    for args, kwargs, said in (((1.0,), {"name": "x"}, "unexpected keyword argument 'name'"),
                               ((1.0,) * 6, {}, "from 1 to 4 positional arguments but 6")):
        with pytest.raises(TypeError) as err:
            tg.tensor(*args, **kwargs)
        assert str(err.value).startswith("tensor() ") and said in str(err.value), err.value
    star: dict = {}
    exec("from tinygrad_gd import *", star)  # noqa: S102
    made = star["tensor"]([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(made.numpy(), [1.0, 2.0])
    assert made.requires_grad and made.is_leaf
