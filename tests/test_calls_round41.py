"""Calls the fortieth round left untrue or missing (forty-first round).

1. an int setting read from an integer tensor of one entry (ignore_index, padding_idx) was
   refused, for a float, bool or two-entry tensor, with words saying only a 0-d tensor
   stands for an int: each refusal now says what the setting takes, and torch refuses it too;
2. tg.linalg took PyTorch's keyword names only: NumPy's (`np.linalg.solve(a=, b=)`,
   `norm(x=)`, `inv(a=)` ...) run too, against NumPy's values;
3. tg.autograd.functional filled no retained `.grad`: each function now does what torch's
   does with a `retain_grad()` tensor's `.grad`.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.nn.functional as F

LOGITS = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0], [0.3, 0.2, 0.1]])
TARGET = np.array([0, 2, 1])

# -- 1. an int setting's refusal says what it takes ------------------------------------------
SETTINGS = {  # name: lib -> call with the setting given
    "cross_entropy": lambda lib, v: (F if lib is tg else lib.nn.functional).cross_entropy(
        lib.tensor(LOGITS), lib.tensor(TARGET), ignore_index=v),
    "nll_loss": lambda lib, v: (F if lib is tg else lib.nn.functional).nll_loss(
        lib.tensor(LOGITS), lib.tensor(TARGET), ignore_index=v),
    "CrossEntropyLoss": lambda lib, v: lib.nn.CrossEntropyLoss(ignore_index=v)(
        lib.tensor(LOGITS), lib.tensor(TARGET)),
    "embedding": lambda lib, v: (F if lib is tg else lib.nn.functional).embedding(
        lib.tensor([0, 1]), lib.tensor(LOGITS), padding_idx=v),
    "Embedding": lambda lib, v: lib.nn.Embedding(3, 2, padding_idx=v),
    "from_pretrained": lambda lib, v: lib.nn.Embedding.from_pretrained(
        lib.tensor(LOGITS), padding_idx=v),
}
REFUSED = {"a float": lambda lib: lib.tensor([1.0]), "a bool": lambda lib: lib.tensor(True),
           "two entries": lambda lib: lib.tensor([1, 1])}


@pytest.mark.torch
@pytest.mark.parametrize("given", REFUSED)
@pytest.mark.parametrize("where", SETTINGS)
def test_an_int_settings_refusal_says_what_it_takes(torch64, where, given):
    if where not in ("Embedding", "from_pretrained"):  # (torch's layer stores any tensor
        with pytest.raises((TypeError, RuntimeError, IndexError)):  # unchecked: F.embedding
            SETTINGS[where](torch64, REFUSED[given](torch64))  # refuses it at the first call)
    with pytest.raises(TypeError) as caught:
        SETTINGS[where](tg, REFUSED[given](tg))
    message = str(caught.value)
    name = "ignore_index" if "ntropy" in where or "nll" in where else "padding_idx"
    assert "\n" not in message and f"{name} must be an int, got a tensor of shape" in message
    assert "only an integer tensor of one entry stands for an int" in message
    assert "0-d integer" not in message


@pytest.mark.torch
@pytest.mark.parametrize("where", SETTINGS)
def test_an_int_setting_of_one_entry_in_two_axes_is_its_int(torch64, where):
    ours = SETTINGS[where](tg, tg.tensor([[1]]))
    theirs = SETTINGS[where](torch64, torch64.tensor([[1]]))
    if isinstance(ours, tg.nn.Module):  # (torch's Embedding zeroes a copy of row 1, through
        assert ours.padding_idx == int(theirs.padding_idx) == 1  # the index tensor: not
        # compared; its forward reads row 1 as padding; from_pretrained keeps the row)
        assert where == "from_pretrained" or not ours.weight.data[1].any()
        return
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


# -- 2. np.linalg's keyword names --------------------------------------------------------------
SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
RHS = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
V = np.array([1.0, 2.0, 3.0])
TENSOR6 = np.eye(6).reshape(6, 2, 3) + 0.1
NUMPY_CALLS = [  # (function, positional arguments, NumPy's keywords)
    ("cond", (), {"x": SPD, "p": 2}), ("det", (), {"a": SPD}),
    ("eigvalsh", (), {"a": SPD, "UPLO": "U"}), ("inv", (), {"a": SPD}),
    ("lstsq", (), {"a": SPD, "b": RHS, "rcond": None}),
    ("matrix_power", (), {"a": SPD, "n": 3}), ("matrix_rank", (), {"A": SPD, "tol": 2.5}),
    ("matrix_rank", (), {"A": SPD, "hermitian": True, "rtol": 0.5}),
    ("norm", (), {"x": SPD}), ("norm", (), {"x": SPD, "ord": 1, "axis": 0, "keepdims": True}),
    ("norm", (), {"x": SPD, "ord": "nuc", "axis": (0, 1)}),
    ("pinv", (), {"a": SPD, "rcond": 0.3}), ("pinv", (), {"a": SPD, "hermitian": True}),
    ("pinv", (), {"a": SPD, "rtol": 0.3}), ("slogdet", (), {"a": SPD}),
    ("solve", (), {"a": SPD, "b": RHS}), ("tensorinv", (), {"a": TENSOR6, "ind": 1}),
    ("tensorsolve", (), {"a": TENSOR6, "b": np.ones(6), "axes": None}),
    ("matrix_norm", (SPD,), {"keepdims": True, "ord": "nuc"}),
    ("vector_norm", (SPD,), {"axis": 1, "keepdims": True, "ord": 3}),
    ("cross", (V, V[::-1].copy()), {"axis": -1}), ("vecdot", (V, 2 * V), {"axis": 0}),
    ("multi_dot", (), {"arrays": [SPD, RHS]}), ("eigh", (), {"a": SPD, "UPLO": "L"}),
    ("qr", (), {"a": SPD, "mode": "complete"}), ("svd", (), {"a": SPD, "full_matrices": False}),
]


def _tg(value):
    if isinstance(value, np.ndarray):
        return tg.tensor(value)
    return [_tg(v) for v in value] if isinstance(value, list) else value


def _arrays(result):
    """A result as a list of arrays (a tuple's fields; eigh's, qr's and svd's up to signs:
    their absolute values; lstsq's solution only, NumPy's residuals kept otherwise)"""
    if isinstance(result, tuple):
        return [np.abs(np.asarray(getattr(r, "data", r))) for r in result[:1 + 3 * (
            not hasattr(result, "residuals"))]]
    return [np.asarray(getattr(result, "data", result))]


@pytest.mark.parametrize("name, args, keywords", NUMPY_CALLS,
                         ids=[f"{c[0]}({', '.join(c[2])})" for c in NUMPY_CALLS])
def test_numpys_keyword_names_are_taken_with_numpys_values(name, args, keywords):
    ours = getattr(tg.linalg, name)(*_tg(list(args)), **{k: _tg(v) for k, v in keywords.items()})
    theirs = getattr(np.linalg, name)(*args, **keywords)
    for a, b in zip(_arrays(ours), _arrays(theirs)):
        np.testing.assert_allclose(a, np.abs(b) if name in ("eigh", "qr", "svd") else b,
                                   rtol=1e-10, atol=1e-12)


def _numpy_names(name):
    """np.linalg.<name>'s parameters a caller can give by keyword"""
    parameters = inspect.signature(getattr(np.linalg, name)).parameters.values()
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


NOT_OURS = {("svd", "compute_uv"), ("svd", "hermitian")}  # (other arguments, not other names)


@pytest.mark.parametrize("name", sorted(set(np.linalg.__all__) & set(tg.linalg.__all__)))
def test_every_keyword_name_of_np_linalg_is_ours_too(name):
    """each keyword NumPy's function takes is one ours takes (a call by it fails, if at all,
    on its value, never as an unexpected keyword)"""
    if isinstance(getattr(np.linalg, name), type):  # (LinAlgError)
        return
    names = _numpy_names(name)
    assert names or name in ("matmul", "svdvals"), name  # (all theirs positional-only)
    for keyword in names:
        if (name, keyword) in NOT_OURS:
            continue
        try:
            getattr(tg.linalg, name)(**{keyword: None})
        except TypeError as err:
            assert f"unexpected keyword argument '{keyword}'" not in str(err), err


@pytest.mark.parametrize("name, ours, numpys, value", [
    ("solve", "A", "a", SPD), ("solve", "B", "b", RHS), ("norm", "input", "x", SPD),
    ("norm", "dim", "axis", 0), ("norm", "keepdim", "keepdims", True), ("cross", "dim", "axis", 0),
    ("pinv", "rtol", "rcond", 0.1), ("matrix_rank", "atol", "tol", 0.1),
    ("tensorsolve", "dims", "axes", None)])
def test_both_names_of_one_argument_are_refused_in_one_line(name, ours, numpys, value):
    arguments = {"solve": {"A": SPD, "B": RHS}, "cross": {"input": V, "other": V}}.get(
        name, {"input": SPD} if name != "tensorsolve" else {"input": TENSOR6, "other": V})
    arguments = {k: _tg(v) for k, v in arguments.items()}
    arguments.update({ours: _tg(value), numpys: _tg(value)})
    with pytest.raises(TypeError, match=rf"^{name}: give .*{ours}= or .*{numpys}=|^{name}: give "
                                        rf"{numpys}= or {ours}="):
        getattr(tg.linalg, name)(**arguments)


@pytest.mark.parametrize("name", ["solve", "inv", "norm", "cross"])
def test_a_name_neither_takes_is_refused_in_one_line(name):
    with pytest.raises(TypeError, match=rf"^{name}: got an unexpected keyword argument 'q'; "
                                        r"its docstring lists its arguments$"):
        getattr(tg.linalg, name)(tg.tensor(SPD), q=1)


def test_gradients_through_numpys_names_are_checked():
    assert tg.gradcheck(lambda a, b: tg.linalg.solve(a=a, b=b),
                        (tg.tensor(SPD, requires_grad=True), tg.tensor(RHS, requires_grad=True)))
    assert tg.gradcheck(lambda x: tg.linalg.norm(x=x, ord=2, axis=1, keepdims=True),
                        (tg.tensor(RHS, requires_grad=True),))
    assert tg.gradcheck(lambda a: tg.linalg.pinv(a=a, rcond=1e-3),
                        (tg.tensor(SPD, requires_grad=True),))
    assert tg.gradcheck(lambda u, v: tg.linalg.cross(u, v, axis=0),
                        (tg.tensor(RHS, requires_grad=True), tg.tensor(RHS[::-1].copy(),
                                                                       requires_grad=True)))


# -- 3. tg.autograd.functional and a retain_grad() tensor's .grad --------------------------
FUNCTIONAL = [  # (function, vector output, keywords)
    (name, vector, keywords) for name, vector in (
        ("jacobian", False), ("jacobian", True), ("hessian", False), ("vjp", False),
        ("vjp", True), ("jvp", False), ("jvp", True), ("hvp", False), ("vhp", False))
    for keywords in ({}, {"create_graph": True})] + [  # (the outer forward pass: none added)
    ("hessian", False, {"vectorize": True, "outer_jacobian_strategy": "forward-mode"})]


def _retained_grad(lib, functional, name, vector, keywords):
    """h.grad after `functional.<name>` of a function that retains h = w * x (h * h * h,
    summed unless `vector`), with h.grad [1, -1] from a backward() before"""
    x, w = lib.tensor([1.0, 2.0]), lib.tensor([0.5, -1.0])
    made = []

    def f(inp):
        h = w * inp
        h.retain_grad()
        if not made and not keywords.get("vectorize"):  # (a .grad there before; no
            # backward() under torch's vmap)
            (h * lib.tensor([1.0, -1.0])).sum().backward(retain_graph=True)
        made.append(h)
        return h * h * h if vector else (h * h * h).sum()
    v = lib.tensor([1.0, 3.0])
    vector_argument = {"vjp": v if vector else None, "jvp": v, "hvp": v, "vhp": v}
    getattr(functional, name)(f, x, *([vector_argument[name]] if name in vector_argument
                                      else []), **keywords)
    grads = [None if h.grad is None else h.grad.detach().numpy() for h in made]
    return grads


@pytest.mark.torch
@pytest.mark.parametrize("name, vector, keywords", FUNCTIONAL,
                         ids=[f"{n}{'-vector' * v}-{'-'.join(k) or 'plain'}"
                              for n, v, k in FUNCTIONAL])
def test_functional_fills_a_retained_grad_as_torch(torch64, name, vector, keywords):
    import torch.autograd.functional as torch_functional
    ours = _retained_grad(tg, tg.autograd.functional, name, vector, keywords)
    theirs = _retained_grad(torch64, torch_functional, name, vector, keywords)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


def test_functional_retained_grad_by_hand():
    """h = w * x, f = sum(h ** 3): the gradient at h is 3 h ** 2; the Hessian's passes add
    the derivative of each entry of the gradient 3 h ** 2 * w at h, 6 h * w, once each"""
    x, w = tg.tensor([1.0, 2.0]), tg.tensor([0.5, -1.0])
    kept = []

    def f(inp):
        h = w * inp
        h.retain_grad()
        kept.append(h)
        return (h * h * h).sum()
    h = w.data * x.data
    tg.autograd.functional.vjp(f, x)
    np.testing.assert_allclose(kept[-1].grad.data, 3 * h ** 2, rtol=1e-12)
    tg.autograd.functional.hessian(f, x)
    np.testing.assert_allclose(kept[-1].grad.data, 3 * h ** 2 + 6 * h * w.data, rtol=1e-12)
