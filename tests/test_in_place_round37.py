"""The thirty-seventh round's in-place and out= mends: refused where PyTorch refuses, run
where it runs.

- `F.elu_`, `selu_`, `celu_`, `leaky_relu_`, `rrelu_` (and `inplace=True` of their
  functions and layers) keep their output, as PyTorch's: a later change of the tensor
  they wrote refuses backward (they accepted, computing from a copy); `hardtanh_`,
  `threshold_`, `relu6`, `silu`, ... keep accepting, as PyTorch's; a negative slope
  refused at backward, as PyTorch's;
- an in-place comparison or logical op (`h.eq_(0)`, `h.logical_not_()`) on a tensor of
  the graph keeps it in the graph with gradient 0 (backward refused: no graph);
- `detach_()` of a view of a constant, or of one taken under no_grad(), refused as
  PyTorch's (it was accepted);
- `out=` into a tensor that requires a gradient refused outside no_grad(), as PyTorch's;
- the `tg.` functions written by hand take `out=` where PyTorch's take it (Python's
  "unexpected keyword argument 'out'" before).

Each has a check without torch (CI runs without it) and one against torch."""
from __future__ import annotations

import inspect
import pickle
import re
import sys

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.nn import functional as F
from tinygrad_gd.out_keyword import TAKING_OUT

X = np.array([-1.5, -0.3, 0.0, 0.4, 2.0])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _one_line(error):
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ------------------------------------------------ in-place activations that keep their output

# name -> (in place, with tg's F or torch's, and its gradient by NumPy's formula)
SAVING_OUTPUT = {
    "elu_": (lambda F, h: F.elu_(h, 2.0), lambda x: np.where(x > 0, 1.0, 2.0 * np.exp(x))),
    "selu_": (lambda F, h: F.selu_(h), lambda x: SELU_SCALE * np.where(
        x > 0, 1.0, SELU_ALPHA * np.exp(x))),
    "celu_": (lambda F, h: F.celu_(h, 0.5), lambda x: np.where(x > 0, 1.0, np.exp(x / 0.5))),
    "leaky_relu_": (lambda F, h: F.leaky_relu_(h, 0.2), lambda x: np.where(x > 0, 1.0, 0.2)),
    "rrelu_": (lambda F, h: F.rrelu_(h, 0.1, 0.3), lambda x: np.where(x > 0, 1.0, 0.2)),
    "elu(inplace=True)": (lambda F, h: F.elu(h, 0.5, inplace=True),
                          lambda x: np.where(x > 0, 1.0, 0.5 * np.exp(x))),
    "selu(inplace=True)": (lambda F, h: F.selu(h, inplace=True), lambda x: SELU_SCALE * np.where(
        x > 0, 1.0, SELU_ALPHA * np.exp(x))),
    "celu(inplace=True)": (lambda F, h: F.celu(h, 2.0, inplace=True),
                           lambda x: np.where(x > 0, 1.0, np.exp(x / 2.0))),
    "leaky_relu(inplace=True)": (lambda F, h: F.leaky_relu(h, 0.1, inplace=True),
                                 lambda x: np.where(x > 0, 1.0, 0.1)),
    "rrelu(inplace=True)": (lambda F, h: F.rrelu(h, 0.2, 0.4, inplace=True),
                            lambda x: np.where(x > 0, 1.0, 0.3)),
    "ELU(inplace=True)": (lambda F, h: _nn(F).ELU(0.5, inplace=True)(h),
                          lambda x: np.where(x > 0, 1.0, 0.5 * np.exp(x))),
    "SELU(True)": (lambda F, h: _nn(F).SELU(True)(h), lambda x: SELU_SCALE * np.where(
        x > 0, 1.0, SELU_ALPHA * np.exp(x))),
    "CELU(inplace=True)": (lambda F, h: _nn(F).CELU(inplace=True)(h),
                           lambda x: np.where(x > 0, 1.0, np.exp(x))),
    "LeakyReLU(inplace=True)": (lambda F, h: _nn(F).LeakyReLU(inplace=True)(h),
                                lambda x: np.where(x > 0, 1.0, 0.01)),
    "RReLU(inplace=True)": (lambda F, h: _nn(F).RReLU(0.1, 0.3, inplace=True).eval()(h),
                            lambda x: np.where(x > 0, 1.0, 0.2)),
}
# the same, in training (random slopes): only refused or not
DRAWN = {"rrelu_ in training": lambda F, h: F.rrelu_(h, training=True),
         "RReLU in training": lambda F, h: _nn(F).RReLU(inplace=True)(h)}
# those that keep the out-of-place op's node (its input's old version): accepted
KEEPING_INPUT = {
    "hardtanh_": (lambda F, h: F.hardtanh_(h, -0.5, 0.5), lambda x: (np.abs(x) < 0.5) * 1.0),
    "threshold_": (lambda F, h: F.threshold_(h, 0.1, 2.0), lambda x: (x > 0.1) * 1.0),
    "relu6(inplace=True)": (lambda F, h: F.relu6(h, inplace=True),
                            lambda x: ((x > 0) & (x < 6)) * 1.0),
    "hardtanh(inplace=True)": (lambda F, h: F.hardtanh(h, inplace=True),
                               lambda x: (np.abs(x) < 1) * 1.0),
    "silu(inplace=True)": (lambda F, h: F.silu(h, inplace=True), lambda x: (
        1 / (1 + np.exp(-x))) * (1 + x * (1 - 1 / (1 + np.exp(-x))))),
    "Threshold(inplace=True)": (lambda F, h: _nn(F).Threshold(0.1, 2.0, inplace=True)(h),
                                lambda x: (x > 0.1) * 1.0),
    "Hardsigmoid(inplace=True)": (lambda F, h: _nn(F).Hardsigmoid(inplace=True)(h),
                                  lambda x: (np.abs(x) < 3) / 6.0),
}


def _nn(F):
    """The nn module of tg's F or torch's."""
    return tg.nn if F.__name__.startswith("tinygrad_gd") else __import__("torch").nn


def _add_one(h):
    h.add_(1.0)


def _mul_two(h):
    h.mul_(2.0)


def _add_one_unrecorded(h):
    with tg.no_grad():
        h.add_(1.0)


CHANGES = {"add_": _add_one, "mul_": _mul_two, "add_ under no_grad()": _add_one_unrecorded}


def _h(requires_grad=True):
    x = tg.tensor(X, requires_grad=requires_grad)
    h = x * 1.0
    h.name = "h"
    return x, h


@pytest.mark.parametrize("name", sorted(SAVING_OUTPUT))
def test_an_activation_in_place_gives_the_formulas_values_and_gradient(name):
    change, slope = SAVING_OUTPUT[name]
    x, h = _h()
    y = change(F, h)
    assert y is h
    y.backward(tg.tensor(np.linspace(1.0, 2.0, X.size)))
    np.testing.assert_allclose(x.grad.numpy(), np.linspace(1.0, 2.0, X.size) * slope(X),
                               rtol=1e-12)


@pytest.mark.parametrize("how", sorted(CHANGES))
@pytest.mark.parametrize("name", sorted(SAVING_OUTPUT) + sorted(DRAWN))
def test_an_activation_in_place_that_kept_its_output_refuses_once_it_changes(name, how):
    change = SAVING_OUTPUT[name][0] if name in SAVING_OUTPUT else DRAWN[name]
    x, h = _h()
    y = change(F, h)
    CHANGES[how](h)
    with pytest.raises(RuntimeError) as error:
        y.sum().backward()
    message = _one_line(error)
    op = re.match(r"[A-Za-z_]+", name).group().rstrip("_").lower().replace("leakyrelu",
                                                                          "leaky_relu")
    assert message.startswith(f"backward(): the output of op '{op}' was changed in place after "
                              f"the op saved it for backward: h (5,) was written in place by ")
    out_of_place = "F.selu(h)" if op == "selu" else f"F.{op}(h, ...)"
    assert f"Make one of them out of place (h = {out_of_place}" in message
    assert x.grad is None


@pytest.mark.parametrize("how", sorted(CHANGES))
@pytest.mark.parametrize("name", sorted(KEEPING_INPUT))
def test_an_activation_in_place_that_kept_its_input_accepts_a_later_change(name, how):
    change, slope = KEEPING_INPUT[name]
    x, h = _h()
    y = change(F, h)
    values = y.numpy().copy()
    CHANGES[how](h)
    y.backward(tg.ones(X.size))  # (y is h: its values changed, the activation's slope did not)
    assert not np.array_equal(h.numpy(), values)
    recorded = 2.0 if how == "mul_" else 1.0  # (mul_ is in the graph: its factor too)
    np.testing.assert_allclose(x.grad.numpy(), recorded * slope(X), rtol=1e-12)


@pytest.mark.parametrize("change, words", [
    (lambda h: F.elu_(h, -0.5), "op 'elu' was written in place with alpha below 0 (-0.5)"),
    (lambda h: F.celu_(h, -0.5), "op 'celu' was written in place with alpha below 0 (-0.5)"),
    (lambda h: F.leaky_relu_(h, -0.5),
     "op 'leaky_relu' was written in place with negative_slope below 0 (-0.5)"),
    (lambda h: F.rrelu_(h, -0.5, -0.1), "op 'rrelu' was written in place with the mean slope "
                                        "(lower + upper) / 2 below 0 (-0.3)")])
@pytest.mark.parametrize("differentiate", [
    lambda y, x: y.sum().backward(),
    lambda y, x: y.sum().backward(create_graph=True),
    lambda y, x: tg.autograd.grad(y.sum(), x, create_graph=True)],
    ids=["backward", "backward(create_graph=True)", "grad(create_graph=True)"])
def test_a_negative_slope_in_place_is_refused_at_backward_as_pytorch(change, words,
                                                                     differentiate):
    x, h = _h()
    y = change(h)  # (the forward runs, as PyTorch's)
    assert y is h and np.isfinite(y.numpy()).all()
    with pytest.raises(RuntimeError) as error:  # (create_graph=True gave a wrong gradient)
        differentiate(y, x)
    assert _one_line(error).startswith(f"backward(): {words}; in place its gradient is "
                                       f"computed from its output")


def test_rrelu_in_training_in_place_takes_a_negative_slope_as_pytorch():
    x, h = _h()
    y = F.rrelu_(h, -0.5, -0.2, training=True, generator=np.random.default_rng(0))
    slopes = np.where(X > 0, 1.0, y.numpy() / np.where(X == 0, 1.0, X))
    y.sum().backward()
    negative = X < 0
    np.testing.assert_allclose(x.grad.numpy()[negative], slopes[negative], rtol=1e-12)
    assert ((x.grad.numpy()[negative] >= -0.5) & (x.grad.numpy()[negative] <= -0.2)).all()


@pytest.mark.parametrize("seeded", ["generator", "manual_seed"])
def test_rrelu_in_training_draws_the_same_slopes_in_place_and_out_of_place(seeded):
    def draw(change):
        x, h = _h()
        if seeded == "manual_seed":
            tg.manual_seed(7)
            y = change(h, None)
        else:
            y = change(h, np.random.default_rng(7))
        y.sum().backward()
        return y.numpy().copy(), x.grad.numpy()

    values, grad = draw(lambda h, rng: F.rrelu(h, 0.1, 0.4, training=True, generator=rng))
    for change in (lambda h, rng: F.rrelu_(h, 0.1, 0.4, training=True, generator=rng),
                   lambda h, rng: F.rrelu(h, 0.1, 0.4, training=True, inplace=True,
                                          generator=rng)):
        np.testing.assert_array_equal(draw(change)[0], values)
        np.testing.assert_array_equal(draw(change)[1], grad)
    negative = X < 0
    assert ((grad[negative] >= 0.1) & (grad[negative] <= 0.4)).all()
    np.testing.assert_allclose(values[negative], X[negative] * grad[negative], rtol=1e-15)


def test_an_activation_in_place_outside_a_graph_writes_its_values():
    h = tg.tensor(X)
    assert F.elu_(h, 2.0) is h
    np.testing.assert_allclose(h.numpy(), np.where(X > 0, X, 2.0 * np.expm1(X)), rtol=1e-15)
    h = tg.tensor(X)
    tg.nn.RReLU(0.1, 0.3, inplace=True).eval()(h)  # (computed out of place before)
    np.testing.assert_allclose(h.numpy(), np.where(X > 0, X, 0.2 * X), rtol=1e-15)


@pytest.mark.parametrize("change", [lambda x: F.elu_(x * 1.0, 2.0), lambda x: F.selu_(x * 1.0),
                                    lambda x: F.celu_(x * 1.0, 0.7),
                                    lambda x: F.elu(x * 1.0, inplace=True)])
def test_the_ops_keeping_their_output_pass_gradcheck_and_gradgradcheck(change):
    x = tg.tensor(np.array([-1.5, -0.3, 0.4, 2.0]), requires_grad=True)  # (away from the kink)
    assert tg.gradcheck(change, (x,))
    assert tg.gradgradcheck(change, (x,))


# ------------------------------------------------ in-place comparisons and logical ops

COMPARED = {"eq_": lambda h: h.eq_(0.5), "ne_": lambda h: h.ne_(0.5),
            "lt_": lambda h: h.lt_(0.5), "le_": lambda h: h.le_(0.5),
            "gt_": lambda h: h.gt_(0.5), "ge_": lambda h: h.ge_(0.5),
            "greater_": lambda h: h.greater_(0.5), "less_equal_": lambda h: h.less_equal_(0.5),
            "not_equal_": lambda h: h.not_equal_(0.5)}
LOGICAL = {"logical_not_": (lambda h: h.logical_not_(), lambda x: np.logical_not(x)),
           "logical_and_": (lambda h: h.logical_and_(tg.tensor([1.0, 0.0, 1.0])),
                            lambda x: np.logical_and(x, [1.0, 0.0, 1.0])),
           "logical_or_": (lambda h: h.logical_or_(tg.zeros(3)), lambda x: np.logical_or(x, 0)),
           "logical_xor_": (lambda h: h.logical_xor_(tg.ones(3)),
                            lambda x: np.logical_xor(x, 1))}
FLOATS = np.array([0.25, -1.0, 0.0])


@pytest.mark.parametrize("name", sorted(COMPARED) + sorted(LOGICAL))
def test_an_in_place_mask_of_a_tensor_of_the_graph_keeps_it_there_with_gradient_0(name):
    x = tg.tensor(FLOATS, requires_grad=True)
    h = x * 2.0
    change = COMPARED[name] if name in COMPARED else LOGICAL[name][0]
    assert change(h) is h
    if name in COMPARED:
        compared = getattr(np, {"eq_": "equal", "ne_": "not_equal", "lt_": "less",
                                "le_": "less_equal", "gt_": "greater", "ge_": "greater_equal",
                                "greater_": "greater", "less_equal_": "less_equal",
                                "not_equal_": "not_equal"}[name])(2.0 * FLOATS, 0.5)
    else:
        compared = LOGICAL[name][1](2.0 * FLOATS)
    np.testing.assert_array_equal(h.numpy(), compared.astype(np.float64))
    assert h.requires_grad and h.dtype == np.float64
    (h * x).sum().backward()  # (it said: this tensor does not require a gradient)
    np.testing.assert_array_equal(x.grad.numpy(), compared.astype(np.float64))  # d(h x)/dx = h


@pytest.mark.parametrize("name", sorted(COMPARED) + sorted(LOGICAL))
def test_an_in_place_masks_node_is_named_after_the_op_called(name):
    x = tg.tensor(FLOATS, requires_grad=True)
    h = x * 2.0
    (COMPARED[name] if name in COMPARED else LOGICAL[name][0])(h)
    op = name.rstrip("_")  # (it read no_gradient)
    assert h.grad_fn.name() == op and repr(h).endswith(f"grad_fn=<{op}>)")
    with pytest.raises(RuntimeError) as error:  # (detach_() runs: test_in_place_shape_round39)
        h.requires_grad_(False)
    assert f"made by op '{op}'" in _one_line(error)


def test_an_in_place_comparison_with_a_tensor_that_requires_a_gradient_joins_the_graph():
    x = tg.tensor(FLOATS, requires_grad=True)
    c = tg.zeros(3)
    c.eq_(x)
    assert c.requires_grad
    (c * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


# ------------------------------------------------ detach_() of a view

def _constant():
    return tg.tensor(np.arange(6.0).reshape(2, 3))


VIEWS = {"c[0]": lambda: _constant()[0], "c.T": lambda: _constant().T,
         "c.view(6)": lambda: _constant().view(6), "c.reshape(6)": lambda: _constant().reshape(6),
         "c.diagonal()": lambda: _constant().diagonal()}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_detach__of_a_constants_view_is_refused_as_pytorch(name):
    view = VIEWS[name]()
    with pytest.raises(RuntimeError) as error:
        view.detach_()
    assert re.fullmatch(r"detach_: this tensor is a view \(op '\w+' took it from another "
                        r"tensor's values\), and a view cannot be detached in place \(PyTorch's "
                        r"refuses it too\); use t = t\.detach\(\) \(a new tensor sharing the "
                        r"values, needing no gradient\)", _one_line(error))


def test_detach__of_a_view_taken_under_no_grad_is_refused_and_of_a_leaf_or_copy_runs():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        view = w[0]
    with pytest.raises(RuntimeError, match=r"^detach_: this tensor is a view \(op 'getitem'"):
        view.detach_()
    for t in (_constant(), _constant().detach(), w, tg.tensor([1.0], requires_grad=True).detach()):
        assert t.detach_() is t and not t.requires_grad


# ------------------------------------------------ out= into a tensor that requires a gradient

def test_out_that_requires_a_gradient_is_refused_outside_no_grad_and_written_inside():
    x = tg.tensor(X)
    for out in (tg.zeros(5, requires_grad=True), tg.zeros(5, requires_grad=True) * 1.0):
        with pytest.raises(RuntimeError) as error:
            tg.exp(x, out=out)
        assert _one_line(error) == (
            "exp(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad; write y = tg.exp(...) instead (or call it "
            "under tg.no_grad())")
        assert not out.numpy().any()
        with tg.no_grad():
            assert tg.exp(x, out=out) is out
        np.testing.assert_array_equal(out.numpy(), np.exp(X))
        assert out.requires_grad
    indices = tg.zeros(5, dtype=tg.int64)
    with pytest.raises(RuntimeError, match=r"^max\(\): functions with out=\.\.\. arguments"):
        tg.max(tg.tensor(X).reshape(5, 1), 1, out=(tg.zeros(5, requires_grad=True), indices))
    assert not indices.numpy().any()


# ------------------------------------------------ out= of the functions written by hand

def test_functions_written_by_hand_take_out_and_write_the_result_into_it():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    out = tg.zeros(3, 3)
    assert tg.mm(tg.tensor(a), tg.tensor(b), out=out) is out
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-14)
    assert tg.linalg.inv(tg.tensor(a), out=out) is out
    np.testing.assert_allclose(out.numpy(), np.linalg.inv(a), rtol=1e-12)
    assert tg.eq(tg.tensor(a), tg.tensor(a), out=out) is out  # (a mask into floats)
    np.testing.assert_array_equal(out.numpy(), np.ones((3, 3)))
    ones = tg.zeros(4)
    assert tg.ones(4, out=ones) is ones and ones.numpy().tolist() == [1.0] * 4
    values, indices = tg.zeros(3), tg.zeros(3, dtype=tg.int64)
    got = tg.kthvalue(tg.tensor(a), 2, out=(values, indices))
    assert got.values is values and got.indices is indices
    np.testing.assert_array_equal(values.numpy(), np.sort(a, axis=-1)[:, 1])
    np.testing.assert_array_equal(indices.numpy(), np.argsort(a, axis=-1)[:, 1])
    assert "out" in inspect.signature(tg.kthvalue).parameters
    assert pickle.loads(pickle.dumps(tg.mm)) is tg.mm  # (found where it is: tg.mm)


@pytest.mark.parametrize("where", ["linalg", "special", "fft"])
def test_a_function_of_its_own_modules_namespace_takes_out_itself_and_pickles(where):
    module = getattr(tg, where)
    own = [name for name in TAKING_OUT[where]
           if inspect.unwrap(getattr(module, name)).__globals__ is vars(module)]
    assert own
    for name in own:  # (a wrapper put in the module replaced the name its own calls read)
        function = getattr(module, name)
        assert "out" in inspect.signature(inspect.unwrap(function)).parameters
        # (drawn_as_call's, and the fortieth round's torch keywords: `input=` of linalg's)
        assert inspect.unwrap(function) is function or name == "cross" or (
            hasattr(function, "torch_keywords")
            and inspect.unwrap(function) is function.__wrapped__)
        assert pickle.loads(pickle.dumps(function)) is function


def test_linalgs_own_calls_reach_its_functions_and_the_imported_ndtr_pickles():
    from tinygrad_gd.distributions import continuous
    linalg = sys.modules["tinygrad_gd.linalg"]
    # (what matrix_power calls: the function; matrix_power itself is the wrapper taking
    # torch's input= since the fortieth round)
    inv = inspect.unwrap(linalg.matrix_power).__globals__["inv"]
    assert inv is tg.linalg.inv  # (the public function, its messages torch's since the fortieth)
    assert pickle.loads(pickle.dumps(continuous.ndtr)) is tg.special.ndtr  # (PicklingError)
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    out = tg.zeros(2, 2)
    assert tg.linalg.matrix_power(a, -2, out=out) is out
    np.testing.assert_allclose(out.numpy(), np.linalg.matrix_power(a, -2), rtol=1e-12)
    norm = tg.zeros(())
    assert tg.linalg.norm(tg.tensor(a), out=norm) is norm
    np.testing.assert_allclose(norm.numpy(), np.linalg.norm(a), rtol=1e-14)
    with pytest.raises(RuntimeError, match=r"^linalg\.norm\(\): functions with out="):
        tg.linalg.norm(a, out=tg.zeros((), requires_grad=True))


def test_out_of_a_function_written_by_hand_is_checked_as_an_ops():
    a = tg.tensor(np.eye(3))
    with pytest.raises(ValueError) as error:
        tg.mm(a, a, out=tg.zeros(2))
    assert _one_line(error) == ("mm: out= has shape (2,) and dtype float64, the result shape "
                                "(3, 3) and dtype float64; give an out of the result's shape "
                                "and a dtype it casts to")
    with pytest.raises(RuntimeError, match=r"^linalg\.inv\(\): functions with out=\.\.\. "
                                           r"arguments don't support automatic differentiation"):
        tg.linalg.inv(a, out=tg.zeros(3, 3, requires_grad=True))
    with pytest.raises(TypeError, match=r"^mm\(\) got an unexpected keyword argument 'bogus'$"):
        tg.mm(a, a, bogus=1)


# ------------------------------------------------ against torch

@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _torch_h(torch):
    x = torch.tensor(X, requires_grad=True)
    return x, x * 1.0


def _refused(run):
    try:
        run()
    except RuntimeError:
        return True
    return False


@pytest.mark.parametrize("how", sorted(CHANGES))
@pytest.mark.parametrize("name", sorted(SAVING_OUTPUT) + sorted(DRAWN) + sorted(KEEPING_INPUT))
def test_an_activation_in_place_then_a_change_refuses_where_pytorchs_refuses(torch, name, how):
    import torch.nn.functional as TF
    change = {**{k: v[0] for k, v in SAVING_OUTPUT.items()}, **DRAWN,
              **{k: v[0] for k, v in KEEPING_INPUT.items()}}[name]

    def torch_change(h):
        with torch.no_grad() if "no_grad" in how else torch.enable_grad():
            h.add_(1.0) if how.startswith("add_") else h.mul_(2.0)

    runs = []
    for functional, make, later in ((F, _h, CHANGES[how]),
                                    (TF, lambda: _torch_h(torch), torch_change)):
        x, h = make()
        y = change(functional, h)
        later(h)
        refused = _refused(lambda: y.sum().backward())
        runs.append((refused, None if refused else x.grad.numpy().copy()))
    assert runs[0][0] == runs[1][0], runs
    if not runs[0][0]:  # (torch's hardsigmoid: 1 / 6 in float32)
        np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-7)


@pytest.mark.parametrize("name", sorted(SAVING_OUTPUT))
def test_an_activation_in_place_gives_pytorchs_values_and_derivatives(torch, name):
    import torch.nn.functional as TF
    change = SAVING_OUTPUT[name][0]
    x, h = _h()
    y = change(F, h)
    (g,) = tg.autograd.grad(y.sum(), x, create_graph=True)
    xt, ht = _torch_h(torch)
    yt = change(TF, ht)
    (gt,) = torch.autograd.grad(yt.sum(), xt, create_graph=True)
    rtol = 1e-7 if "celu" in name.lower() else 1e-13  # (torch's celu: 1 / alpha in float32)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=rtol)
    np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy(), rtol=rtol)
    if g.requires_grad:  # (elu, selu, celu: their second derivative, 0 at 0 as PyTorch's)
        (gg,) = tg.autograd.grad(g.sum(), x)
        (ggt,) = torch.autograd.grad(gt.sum(), xt)
        np.testing.assert_allclose(gg.numpy(), ggt.numpy(), rtol=rtol)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("slope", [-0.5, 0.0, 1.5])
def test_a_slope_in_place_is_refused_at_backward_where_pytorchs_is(torch, slope, create_graph):
    import torch.nn.functional as TF
    seen = []
    for functional, make, grad in ((F, _h, tg.autograd.grad),
                                   (TF, lambda: _torch_h(torch), torch.autograd.grad)):
        for change in (lambda h: functional.leaky_relu_(h, slope),
                       lambda h: functional.elu_(h, slope),
                       lambda h: functional.celu_(h, slope or 1.0)):  # (celu's alpha: not 0)
            x, h = make()
            y = change(h)
            seen.append(_refused(lambda: grad(y.sum(), x, create_graph=create_graph)))
    assert seen[:3] == seen[3:] == [slope < 0] * 3


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_an_in_place_comparison_in_the_graph_runs_with_pytorchs_values_and_zero_gradient(
        torch, name):
    x = tg.tensor(FLOATS, requires_grad=True)
    h = x * 2.0
    COMPARED[name](h)
    (h * 3.0).sum().backward()
    xt = torch.tensor(FLOATS, requires_grad=True)
    ht = xt * 2.0
    COMPARED[name](ht)
    (ht * 3.0).sum().backward()
    np.testing.assert_array_equal(h.numpy(), ht.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    assert h.requires_grad == ht.requires_grad


@pytest.mark.parametrize("name", sorted(LOGICAL))
def test_an_in_place_logical_op_in_the_graph_runs_as_pytorchs_with_its_values(torch, name):
    # PyTorch's leaves h's node as it was (its gradient goes through as if h were not
    # changed); ours gives 0, the slope of the values h holds
    x = tg.tensor(FLOATS, requires_grad=True)
    h = x * 2.0
    LOGICAL[name][0](h)
    xt = torch.tensor(FLOATS, requires_grad=True)
    ht = xt * 2.0
    change = {"logical_not_": lambda t: t.logical_not_(),
              "logical_and_": lambda t: t.logical_and_(torch.tensor([1.0, 0.0, 1.0])),
              "logical_or_": lambda t: t.logical_or_(torch.zeros(3, dtype=torch.float64)),
              "logical_xor_": lambda t: t.logical_xor_(torch.ones(3, dtype=torch.float64))}
    change[name](ht)
    np.testing.assert_array_equal(h.numpy(), ht.detach().numpy())
    h.sum().backward()
    ht.sum().backward()  # (both run)
    assert h.requires_grad == ht.requires_grad


def test_detach__refuses_the_views_pytorchs_refuses(torch):
    base = np.arange(6.0).reshape(2, 3)
    makers = {"c[0]": lambda m: m(base)[0], "c.T": lambda m: m(base).T,
              "c.view(6)": lambda m: m(base).view(6), "c.diagonal()": lambda m: m(base).diagonal(),
              "c": lambda m: m(base), "c.detach()": lambda m: m(base).detach(),
              "leaf": lambda m: m(base).requires_grad_(True)}
    for name, make in makers.items():
        ours = _refused(lambda: make(tg.tensor).detach_())
        theirs = _refused(lambda: make(lambda a: torch.tensor(a)).detach_())
        assert ours == theirs, name


def test_out_that_requires_a_gradient_is_refused_where_pytorchs_is(torch):
    for library in (tg, torch):
        x = library.tensor(X)
        out = library.zeros(5, dtype=library.float64, requires_grad=True)
        assert _refused(lambda: library.exp(x, out=out))
        assert _refused(lambda: library.exp(x, out=out * 1.0))
        with library.no_grad():
            library.exp(x, out=out)
        np.testing.assert_allclose(out.detach().numpy(), np.exp(X))


def _torch_takes_out(torch, function, name):
    """Whether torch's `function` takes out=, per its docstring and a call."""
    doc = function.__doc__ or ""
    if not re.search(rf"^\s*(\.\. function:: )?(\w+\.)?{name}\([^\n]*\bout\b"
                     rf"|^\s*out \((Tensor|tuple|LongTensor)", doc, re.M):
        return False
    try:
        function(out=torch.zeros(3))
    except TypeError as error:
        text = str(error)
        if "unexpected keyword argument 'out'" in text or (
                "invalid combination" in text and "out" not in text.split("expected one of")[-1]):
            return False
    except Exception:  # (a refusal of the missing arguments: out= was taken)
        pass
    return True


def test_every_function_whose_pytorch_namesake_takes_out_takes_it(torch):
    import warnings
    given = tg.tensor(np.ones((3, 3)))
    lacking = []
    for ours, theirs in ((tg, torch), (tg.linalg, torch.linalg), (tg.special, torch.special),
                         (tg.fft, torch.fft)):
        for name in dir(theirs):
            function = getattr(theirs, name)
            if (name.startswith("_") or not hasattr(ours, name) or isinstance(function, type)
                    or not callable(function)):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if not _torch_takes_out(torch, function, name):
                    continue
                try:
                    getattr(ours, name)(out=given)
                except TypeError as error:
                    if "unexpected keyword argument 'out'" in str(error):
                        lacking.append(f"{ours.__name__}.{name}")
                except Exception:  # (the arguments missing: out= was taken)
                    pass
    assert not lacking


@pytest.mark.parametrize("name, arguments", [
    ("mm", lambda L, a: (a, a)), ("addmm", lambda L, a: (a, a, a)), ("eq", lambda L, a: (a, a)),
    ("cummax", lambda L, a: (a, 1)), ("kron", lambda L, a: (a, a)), ("zeros", lambda L, a: (2,)),
    ("linspace", lambda L, a: (0.0, 1.0, 5)), ("vstack", lambda L, a: ([a, a],)),
    ("linalg.inv", lambda L, a: (a,)), ("linalg.slogdet", lambda L, a: (a,)),
    ("special.ndtr", lambda L, a: (a,))])
def test_out_of_a_function_written_by_hand_holds_pytorchs_values(torch, name, arguments):
    values = np.random.default_rng(1).normal(size=(3, 3)) + 3 * np.eye(3)
    results = []
    for library in (tg, torch):
        function = library
        for part in name.split("."):
            function = getattr(function, part)
        args = arguments(library, library.tensor(values))
        plain = function(*args)
        parts = plain if isinstance(plain, tuple) else (plain,)
        out = tuple(library.zeros(tuple(p.shape), dtype=p.dtype) for p in parts)
        got = function(*args, out=out if isinstance(plain, tuple) else out[0])
        got = got if isinstance(got, tuple) else (got,)
        assert all(g is o for g, o in zip(got, out))
        results.append([o.numpy() for o in out])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("call", [lambda x, o: tg.max(x, 1, out=o),
                                  lambda x, o: tg.aminmax(x, out=o)], ids=["max", "aminmax"])
def test_a_function_giving_several_tensors_writes_only_into_outs_of_their_own_dtype(call):
    # PyTorch: "Expected out tensor to have dtype float, but got double instead"; one
    # tensor's out may be of a dtype the result casts to (tg.exp(x32, out=y64) runs)
    x = tg.tensor(np.arange(12.0).reshape(3, 4), dtype=tg.float32)
    plain = call(x, None)
    wide = tuple(tg.zeros(p.shape, dtype=tg.float64 if p.dtype == tg.float32 else p.dtype)
                 for p in plain)
    with pytest.raises(ValueError, match=r"dtype float64, .* dtype float32; give an out of the "
                                         r"result's shape and its dtype, float32"):
        call(x, wide)
    same = tuple(tg.zeros(p.shape, dtype=p.dtype) for p in plain)
    got = call(x, same)
    for part, want in zip(got, plain):
        np.testing.assert_array_equal(part.numpy(), want.numpy())
    assert tg.exp(x, out=tg.zeros((3, 4))).dtype == tg.float64


def test_an_int32_part_of_several_is_refused_naming_its_own_dtype():
    # inv_ex's info is int32 (PyTorch's): an int64 out was refused with advice to give int64
    a = tg.tensor([[2.0, 1.0], [1.0, 3.0]])
    with pytest.raises(ValueError, match=r"dtype int64, the result shape \(\) and dtype int32; "
                                         r"give an out of the result's shape and its dtype, "
                                         r"int32$"):
        tg.linalg.inv_ex(a, out=(tg.zeros(2, 2), tg.zeros((), dtype=tg.int64)))
    got = tg.linalg.inv_ex(a, out=(tg.zeros(2, 2), tg.zeros((), dtype=tg.int32)))
    np.testing.assert_allclose(got[0].numpy(), np.linalg.inv(a.numpy()))
