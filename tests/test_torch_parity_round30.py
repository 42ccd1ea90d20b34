"""Six small differences from PyTorch 2.13 that the twenty-ninth round left, looked at:

- a bool among Adam's betas (AdamW's, NAdam's, RAdam's, Adamax's) is a ValueError naming
  it, as PyTorch's True is (and its False in Adam and AdamW), where it was a TypeError;
  NumPy's floats and 1-element arrays stay read as their numbers (PyTorch's Adam refuses
  all but float64, a float), and betas of two plain numbers no longer send a step down
  the settings' slow path: every bad beta is still refused at the step, with the message
  the constructor gives;
- an optimizer class renamed after its statement (`cls.__name__ = ...`, or made by
  `type()`) is named by its new name in messages and repr;
- var's gradient where n - correction <= 0 stays the limit from above (+-inf by the sign
  of x - mean; PyTorch's divides by the negative n - correction): said in var's docstring;
- `tg.rsub(None, x)` names the argument given as None (input 1, input), not sub's order;
- a user's op saving a number with `ctx.save_for_backward` is refused where PyTorch's is
  (a node that is recorded), in one line;
- `bool ** bool` keeps NumPy's int8, on purpose (api-guide, The dtype rule), said in pow's
  docstring.
Checked against NumPy formulas, and (marked `torch`) against PyTorch."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim

BETAS_OPTIMIZERS = ["Adam", "AdamW", "NAdam", "RAdam", "Adamax"]
W0 = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]])


def _gradient(w: np.ndarray, k: int) -> np.ndarray:
    """A gradient that changes from step to step: that of sum((w - k)**2 * (1 + k) / 2)."""
    return (w - k) * (1.0 + k)


def _steps(optimizer, w, count):
    for k in range(count):
        w.grad = tg.tensor(_gradient(w.data, k))
        optimizer.step()


def _adam_by_hand(w, lr, betas_per_step, eps=1e-8):
    """Adam's rule (PyTorch's eps placement), written out, betas changing from step to step."""
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, (beta1, beta2) in enumerate(betas_per_step, 1):
        g = _gradient(w, t - 1)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        w = w - lr / (1 - beta1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps)
    return w


# -- 1. Adam's betas --------------------------------------------------------------------------
_BOOLS = [True, False, np.True_, np.False_]


@pytest.mark.parametrize("name", BETAS_OPTIMIZERS)
@pytest.mark.parametrize("position", [0, 1])
@pytest.mark.parametrize("flag", _BOOLS, ids=repr)
def test_a_bool_beta_is_a_valueerror_naming_it(name, position, flag):
    betas = (flag, 0.999) if position == 0 else (0.9, flag)

    def expected(given):
        return (rf"^{name}: betas\[{position}\] must be a float in \[0\.0, 1\.0\), got "
                rf"{re.escape(repr(given))}, a bool; give a float \(PyTorch's default betas: "
                r"\(0\.9, 0\.999\)\)$")
    with pytest.raises(ValueError, match=expected(bool(flag))):  # (NumPy's: read as bool)
        getattr(optim, name)([nn.Parameter(W0.copy())], betas=betas)
    with pytest.raises(ValueError, match=expected(bool(flag))):  # a bool tensor: its bool
        getattr(optim, name)([nn.Parameter(W0.copy())], betas=tuple(
            tg.tensor(b) for b in betas))


@pytest.mark.torch
@pytest.mark.parametrize("name", BETAS_OPTIMIZERS)
def test_a_bool_beta_that_pytorch_refuses_is_refused_with_its_valueerror(name):
    torch = pytest.importorskip("torch")
    for betas in [(True, 0.999), (0.9, True), (False, 0.999), (0.9, False)]:
        try:
            getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], betas=betas)
        except ValueError:
            with pytest.raises(ValueError):
                getattr(optim, name)([nn.Parameter(W0.copy())], betas=betas)
        else:  # (NAdam's, RAdam's and Adamax's False: taken as 0 there, refused here)
            assert name in ("NAdam", "RAdam", "Adamax") and False in betas


_NUMPY_BETAS = {"np.float32": np.float32, "np.float64": np.float64, "0-d array": np.array,
                "(1,) array": lambda b: np.array([b])}


@pytest.mark.parametrize("name", BETAS_OPTIMIZERS)
@pytest.mark.parametrize("form", sorted(_NUMPY_BETAS))
def test_numpy_floats_and_arrays_as_betas_step_as_their_floats(name, form):
    made = _NUMPY_BETAS[form]
    w, v = nn.Parameter(W0.copy()), nn.Parameter(W0.copy())
    by_numpy = getattr(optim, name)([w], lr=0.05, betas=(made(0.5), made(0.75)))
    by_float = getattr(optim, name)([v], lr=0.05, betas=(0.5, 0.75))
    _steps(by_numpy, w, 4)
    _steps(by_float, v, 4)
    np.testing.assert_array_equal(w.data, v.data)
    if name == "Adam":
        np.testing.assert_allclose(w.data, _adam_by_hand(W0, 0.05, [(0.5, 0.75)] * 4),
                                   rtol=1e-12, atol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("name", BETAS_OPTIMIZERS)
def test_numpy_float64_betas_step_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    betas = (np.float64(0.5), np.float64(0.75))
    w = nn.Parameter(W0.copy())
    theirs = torch.tensor(W0.copy(), requires_grad=True)
    ours_opt = getattr(optim, name)([w], lr=0.05, betas=betas)
    their_opt = getattr(torch.optim, name)([theirs], lr=0.05, betas=betas)
    _steps(ours_opt, w, 4)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # (its steps' 0-d tensors as ours: float64)
    try:
        for k in range(4):
            theirs.grad = torch.tensor(_gradient(theirs.detach().numpy(), k))
            their_opt.step()
    finally:
        torch.set_default_dtype(default)
    np.testing.assert_allclose(w.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


_BAD_BETAS = [(True, 0.9), (0.9, False), (np.True_, 0.9), ("a", 0.9), (0.9, None),
              ("a", True), (1.0, 0.5), (0.5, float("nan")), (-0.1, 0.5), (0.5,), 0.9,
              (np.array([0.1, 0.2]), 0.5), (0.5, tg.tensor([0.1, 0.2]))]


@pytest.mark.parametrize("name", BETAS_OPTIMIZERS)
@pytest.mark.parametrize("betas", _BAD_BETAS, ids=repr)
def test_a_bad_beta_is_refused_at_the_step_as_when_made_with_nothing_moved(name, betas):
    with pytest.raises((TypeError, ValueError)) as made:
        getattr(optim, name)([nn.Parameter(W0.copy())], betas=betas)
    w = nn.Parameter(W0.copy())
    optimizer = getattr(optim, name)([w], lr=0.05)
    _steps(optimizer, w, 2)
    before = w.data.copy()
    optimizer.param_groups[0]["betas"] = betas  # set by hand between steps
    w.grad = tg.tensor(_gradient(w.data, 2))
    with pytest.raises(type(made.value)) as stepped:
        optimizer.step()
    assert str(stepped.value) == str(made.value) and "\n" not in str(made.value)
    np.testing.assert_array_equal(w.data, before)


def test_betas_set_by_hand_are_followed_at_the_next_step_in_every_form():
    w = nn.Parameter(W0.copy())
    adam = optim.Adam([w], lr=0.05)
    per_step = [(0.9, 0.999), (0.5, 0.6), (0.7, 0.8), (0.3, 0.4), (0.6, 0.65)]
    forms = [lambda b: b, lambda b: b, list, lambda b: tuple(tg.tensor(x) for x in b),
             lambda b: tuple(np.array(x) for x in b)]
    for k, (betas, form) in enumerate(zip(per_step, forms)):
        adam.param_groups[0]["betas"] = form(betas)
        w.grad = tg.tensor(_gradient(w.data, k))
        adam.step()
    np.testing.assert_allclose(w.data, _adam_by_hand(W0, 0.05, per_step), rtol=1e-12,
                               atol=1e-15)


# -- 2. an optimizer class renamed ---------------------------------------------------------------
def test_an_optimizer_class_renamed_after_its_statement_is_named_by_its_new_name():
    class MySGD(optim.SGD):
        pass

    made_before = MySGD([nn.Parameter(W0.copy())], lr=0.1)
    MySGD.__name__ = "Renamed"
    with pytest.raises(ValueError, match=r"^Renamed: lr must be >= 0\.0, got -1$"):
        MySGD([nn.Parameter(W0.copy())], lr=-1)
    assert repr(made_before).startswith("Renamed (\n")
    made = type("MadeByType", (optim.Adam,), {})
    with pytest.raises(ValueError, match=r"^MadeByType: betas\[0\] must be in"):
        made([nn.Parameter(W0.copy())], betas=(1.5, 0.9))
    assert repr(made([nn.Parameter(W0.copy())])).startswith("MadeByType (\n")


def test_an_optimizer_whose_own_new_skips_optimizers_is_named_by_its_class():
    class OwnNew(optim.SGD):
        def __new__(cls, *args, **kwargs):
            return object.__new__(cls)

    with pytest.raises(ValueError, match=r"^OwnNew: lr must be >= 0\.0, got -1$"):
        OwnNew([nn.Parameter(W0.copy())], lr=-1)


@pytest.mark.torch
def test_a_renamed_optimizers_repr_begins_as_pytorchs():
    torch = pytest.importorskip("torch")

    class Ours(optim.SGD):
        pass

    class Theirs(torch.optim.SGD):
        pass

    ours, theirs = Ours([nn.Parameter(W0.copy())], lr=0.1), Theirs(
        [torch.zeros(2, requires_grad=True)], lr=0.1)
    Ours.__name__ = Theirs.__name__ = "Renamed"
    assert repr(ours).splitlines()[0] == repr(theirs).splitlines()[0] == "Renamed ("


# -- 3. var's gradient where n - correction <= 0 ---------------------------------------------------
@pytest.mark.parametrize("correction", [3, 4, 6])
def test_var_gradient_without_degrees_of_freedom_is_the_limit_from_above(correction):
    data = np.array([1.0, 2.0, 4.5])  # n = 3 entries, some spread
    x = tg.tensor(data, requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        out = x.var(correction=correction)
    out.backward()
    assert out.item() == np.inf
    centred = data - data.mean()
    np.testing.assert_array_equal(x.grad.numpy(), np.sign(centred) * np.inf)
    near = tg.tensor(data, requires_grad=True)  # n - correction = 1e-6 > 0: finite, same signs
    near.var(correction=3 - 1e-6).backward()
    np.testing.assert_allclose(near.grad.numpy(), 2 * centred / 1e-6, rtol=1e-6)
    np.testing.assert_array_equal(np.sign(near.grad.numpy()), np.sign(centred))


@pytest.mark.torch
def test_var_gradient_agrees_with_pytorchs_where_there_are_degrees_of_freedom():
    torch = pytest.importorskip("torch")
    data = np.array([1.0, 2.0, 4.5])
    for correction in (0, 1, 2, 3 - 1e-6):
        x, t = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        x.var(dim=0, correction=correction).backward()
        t.var(dim=0, correction=correction).backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9)


# -- 4. rsub's None ----------------------------------------------------------------------------
def test_rsub_names_the_argument_given_as_none():
    x = tg.ones(2)
    with pytest.raises(TypeError, match=r"^rsub: input 1 of 2 \(input\) is None, not a tensor "
                                        r"or number; give a tensor or a number$"):
        tg.rsub(None, x)
    with pytest.raises(TypeError, match=r"^rsub: input 2 of 2 \(other\) is None"):
        tg.rsub(x, None)
    np.testing.assert_array_equal(tg.rsub(x, 3.0).numpy(), 3.0 - np.ones(2))


@pytest.mark.torch
def test_rsub_of_none_is_a_typeerror_as_pytorchs():
    torch = pytest.importorskip("torch")
    for args in ((None, torch.ones(2)), (torch.ones(2), None)):
        with pytest.raises(TypeError):
            torch.rsub(*args)


# -- 5. save_for_backward of a number ----------------------------------------------------------
def _saving_op(lib, extra_from):
    """A user's op of `lib`: 2 * x, saving x and `extra_from(x)` for backward."""
    class Doubled(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, extra_from(x))
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    return Doubled


_SAVED_REFUSED = {"float": lambda x: 3.0, "int": lambda x: 3, "str": lambda x: "s",
                  "list": lambda x: [x]}


@pytest.mark.parametrize("kind", sorted(_SAVED_REFUSED))
def test_a_users_op_saving_a_number_is_refused_in_one_line(kind):
    op, value = _saving_op(tg, _SAVED_REFUSED[kind]), _SAVED_REFUSED[kind](None)
    type_name = type(value).__name__
    with pytest.raises(TypeError, match=rf"^doubled: save_for_backward keeps arrays \(or "
                                        rf"None\), as PyTorch's keeps tensors, but argument 2 "
                                        rf"of 2, .*, is of type {type_name}; keep other values "
                                        r"as attributes of ctx"):
        op.apply(tg.ones(2, requires_grad=True))
    np.testing.assert_array_equal(op.apply(tg.ones(2)).numpy(), 2 * np.ones(2))  # no graph
    with tg.no_grad():
        np.testing.assert_array_equal(op.apply(tg.ones(2, requires_grad=True)).numpy(),
                                      2 * np.ones(2))


@pytest.mark.parametrize("extra", [lambda x: None, lambda x: x.sum(), lambda x: np.array(2.0),
                                   lambda x: x[:1]], ids=["None", "NumPy scalar", "0-d array",
                                                          "a view"])
def test_a_users_op_saving_arrays_or_none_runs_with_its_gradient(extra):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    _saving_op(tg, extra).apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_a_users_op_in_setup_context_style_saving_a_number_is_refused():
    class Scaled(tg.autograd.Function):
        @staticmethod
        def forward(x, scale):
            return x * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            return g * ctx.saved_tensors[1], None
    with pytest.raises(TypeError, match=r"^scaled: save_for_backward keeps arrays .* argument "
                                        r"2 of 2, 3\.0, is of type float"):
        Scaled.apply(tg.ones(2, requires_grad=True), 3.0)


@pytest.mark.torch
def test_saving_a_number_is_refused_and_taken_where_pytorchs_is():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        op = _saving_op(lib, lambda x: 3.0)
        with pytest.raises(TypeError):
            op.apply(lib.ones(2, dtype=lib.float64, requires_grad=True))
        op.apply(lib.ones(2, dtype=lib.float64))  # nothing to record: taken by both
        with lib.no_grad():
            op.apply(lib.ones(2, dtype=lib.float64, requires_grad=True))
        _saving_op(lib, lambda x: None).apply(lib.ones(2, dtype=lib.float64,
                                                       requires_grad=True)).sum().backward()


# -- 6. bool ** bool ---------------------------------------------------------------------------
def test_bool_to_a_bool_power_is_numpys():
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    out = tg.tensor(a) ** tg.tensor(b)
    assert out.dtype == np.power(a, b).dtype
    np.testing.assert_array_equal(out.numpy(), np.power(a, b))
