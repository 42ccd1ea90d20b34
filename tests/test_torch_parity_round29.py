"""Five small differences from PyTorch 2.13 that the twenty-eighth round left, cleared:

- topk and kthvalue take k as PyTorch does: an int, or an integer tensor of one element
  (0-d or not) or NumPy 0-d integer array, where they took only an int; a float, bool or
  several-element k still refused in one line;
- var_mean and std_mean warn of no degrees of freedom under their own names (`var_mean:`,
  as PyTorch's `var_mean():`), where they said `var:` and `std:`;
- var and std (and var_mean, std_mean) of a tensor with no entries warn as PyTorch's do
  when called with PyTorch's keywords: PyTorch's n is the entries per result, so 0 there
  whatever the length of the axis reduced (shape (0, 3) over dim 1 warned in PyTorch, not
  here); NumPy's keywords stay silent there, as NumPy is;
- `tg.rsub(a, b)` of shapes that do not broadcast names them in the order given (it named
  b's first, sub's order);
- a gradient asked of integers (`tg.asarray([1, 2], requires_grad=True)`, `tg.tensor`,
  `tg.zeros`) is refused with an error that is PyTorch's RuntimeError and the TypeError it
  was here.
Checked against NumPy and hand-picked cases, and (marked `torch`) against PyTorch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.errors import ShapeError


def _run(call):
    """call()'s result and the messages of the warnings it gave, every one recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, [(w.category, str(w.message)) for w in caught]


# -- 1. topk's and kthvalue's k as an integer tensor -----------------------------------------
_DATA = np.array([[3.0, -1.0, 2.5, 7.0, 0.5], [1.0, 4.0, -2.0, 6.0, 5.5]])

_K_ACCEPTED = {  # what PyTorch takes for k = 2 beside the int 2
    "0-d int64 tensor": lambda: tg.tensor(2), "0-d int32 tensor": lambda: tg.tensor(
        2, dtype=tg.int32), "0-d uint8 tensor": lambda: tg.tensor(2, dtype=tg.uint8),
    "(1,) tensor": lambda: tg.tensor([2]), "(1, 1) tensor": lambda: tg.tensor([[2]]),
    "NumPy 0-d array": lambda: np.array(2), "NumPy int64": lambda: np.int64(2)}
_K_REFUSED = {  # what PyTorch refuses (a bool tensor: PyTorch's internal assert, ours too)
    "0-d float tensor": lambda: tg.tensor(2.0), "(2,) int tensor": lambda: tg.tensor([1, 2]),
    "0-d bool tensor": lambda: tg.tensor(True), "NumPy (1,) array": lambda: np.array([2]),
    "float": lambda: 2.0, "bool": lambda: True}


@pytest.mark.parametrize("form", sorted(_K_ACCEPTED))
def test_topk_takes_an_integer_tensor_of_one_element_as_k(form):
    x = tg.Tensor(_DATA, requires_grad=True)
    values, indices = x.topk(_K_ACCEPTED[form]())
    order = np.argsort(-_DATA, axis=-1, kind="stable")[:, :2]  # (no ties in _DATA)
    np.testing.assert_array_equal(indices.numpy(), order)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(_DATA, order, -1))
    values.sum().backward()  # the gradient: 1 at each entry picked
    picked = np.zeros_like(_DATA)
    np.put_along_axis(picked, order, 1.0, -1)
    np.testing.assert_array_equal(x.grad.numpy(), picked)
    by_keyword = tg.topk(x, k=_K_ACCEPTED[form](), dim=0, largest=False)
    np.testing.assert_array_equal(by_keyword.values.numpy(), np.sort(_DATA, axis=0))


@pytest.mark.parametrize("form", sorted(_K_ACCEPTED))
def test_kthvalue_takes_an_integer_tensor_of_one_element_as_k(form):
    x = tg.Tensor(_DATA)
    values, indices = x.kthvalue(_K_ACCEPTED[form]())
    np.testing.assert_array_equal(values.numpy(), np.sort(_DATA, axis=-1)[:, 1])
    np.testing.assert_array_equal(indices.numpy(), np.argsort(_DATA, axis=-1)[:, 1])
    np.testing.assert_array_equal(tg.kthvalue(x, k=_K_ACCEPTED[form](), dim=0).values.numpy(),
                                  np.sort(_DATA, axis=0)[1])


def test_a_tensor_k_on_a_0d_tensor_and_out_of_range():
    scalar = tg.tensor(3.0)
    assert scalar.topk(tg.tensor(1)).values.item() == 3.0
    assert scalar.kthvalue(tg.tensor([1])).values.item() == 3.0
    x = tg.Tensor(_DATA)
    with pytest.raises(RuntimeError, match=r"^topk: k must be a whole number from 0 to 5 .*got 6$"):
        x.topk(tg.tensor(6))
    with pytest.raises(RuntimeError, match=r"^kthvalue: k must be a whole number from 1 to 5"):
        x.kthvalue(tg.tensor([0]))


@pytest.mark.parametrize("name", ["topk", "kthvalue"])
@pytest.mark.parametrize("form", sorted(_K_REFUSED))
def test_what_pytorch_refuses_as_k_is_refused_in_one_line(name, form):
    k = _K_REFUSED[form]()
    shown = f"{type(k).__name__} of shape {k.shape} and dtype {k.dtype}; an integer tensor " \
        f"of one element serves too (an array: 0-d)" if hasattr(k, "shape") else \
        f"{type(k).__name__} {k!r}"
    with pytest.raises(TypeError) as error:
        getattr(tg.Tensor(_DATA), name)(k)
    assert str(error.value) == f"{name}: k must be an int, got {shown}"


@pytest.mark.torch
@pytest.mark.parametrize("name", ["topk", "kthvalue"])
def test_k_forms_accepted_and_refused_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    torch_k = {"0-d int64 tensor": torch.tensor(2), "0-d int32 tensor": torch.tensor(
        2, dtype=torch.int32), "0-d uint8 tensor": torch.tensor(2, dtype=torch.uint8),
        "(1,) tensor": torch.tensor([2]), "(1, 1) tensor": torch.tensor([[2]]),
        "NumPy 0-d array": np.array(2), "NumPy int64": np.int64(2),
        "0-d float tensor": torch.tensor(2.0), "(2,) int tensor": torch.tensor([1, 2]),
        "NumPy (1,) array": np.array([2]), "float": 2.0, "bool": True}
    for form, k in torch_k.items():
        theirs = getattr(torch.tensor(_DATA), name)
        if form in _K_ACCEPTED:
            want = theirs(k)
            got = getattr(tg.Tensor(_DATA), name)(_K_ACCEPTED[form]())
            np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
            np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
        else:
            with pytest.raises(TypeError):
                theirs(k)
            with pytest.raises(TypeError):
                getattr(tg.Tensor(_DATA), name)(_K_REFUSED[form]())


# -- 2. var_mean's and std_mean's warning under their own names ------------------------------
@pytest.mark.parametrize("name", ["var_mean", "std_mean", "var", "std"])
def test_the_no_freedom_warning_names_the_function_called(name):
    out, caught = _run(lambda: getattr(tg, name)(tg.tensor([1.0, 2.0]), correction=2))
    assert [c for c, _ in caught] == [UserWarning], caught
    assert caught[0][1].startswith(f"{name}: degrees of freedom n - correction = 2 - 2 <= 0 ")
    assert "\n" not in caught[0][1]
    spread = out[0] if name.endswith("_mean") else out
    assert np.isinf(spread.item())  # (a sum of squares 0.5 over n - correction = 0)
    if name.endswith("_mean"):
        assert out[1].item() == 1.5


def test_the_name_is_var_again_after_var_mean():
    _run(lambda: tg.var_mean(tg.tensor([1.0])))
    _, caught = _run(lambda: tg.tensor([1.0]).var(dim=0))
    assert [m.split(":")[0] for _, m in caught] == ["var"]


@pytest.mark.torch
@pytest.mark.parametrize("name", ["var_mean", "std_mean", "var", "std"])
def test_the_warning_names_the_function_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    _, ours = _run(lambda: getattr(tg, name)(tg.tensor([1.0]), dim=0))  # (PyTorch's keyword)
    _, theirs = _run(lambda: getattr(torch, name)(torch.tensor([1.0]), dim=0))
    assert [m.split(":")[0] for _, m in ours] == [m.split("()")[0] for _, m in theirs] == [name]


# -- 3. a tensor with no entries warns as PyTorch's ------------------------------------------
_EMPTY = [  # (shape, dim, correction, whether PyTorch 2.13 warns)
    ((0, 3), 1, 1, True), ((0, 3), 1, 0, True), ((0, 3), 1, 0.5, True), ((0, 3), 1, -1, False),
    ((0, 3), 1, -0.5, False), ((3, 0, 2), 2, 1, True), ((3, 0, 2), 2, -1, False),
    ((3, 0, 2), (0, 2), 5, True), ((2, 0), 1, -1, False), ((0, 3), 0, 1, True),
    ((4,), 0, 3, False), ((4,), 0, 4, True), ((2, 3), 1, 2, False)]


@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("shape, dim, correction, warns", _EMPTY)
def test_a_tensor_with_no_entries_warns_as_pytorchs(name, shape, dim, correction, warns):
    data = np.arange(float(np.prod(shape))).reshape(shape)
    x = tg.Tensor(data, requires_grad=True)
    out, caught = _run(lambda: getattr(tg, name)(x, dim=dim, correction=correction))
    assert [c for c, _ in caught] == ([UserWarning] if warns else []), caught
    spread = out[0] if name.endswith("_mean") else out
    if warns and spread.numpy().size == 0:  # (an empty result: said so, in one line)
        message = caught[0][1]
        assert message.startswith(f"{name}: degrees of freedom n - correction = 0 - ")
        assert f"of shape {shape}, which has no entries" in message and "\n" not in message
    kept = tuple(n for a, n in enumerate(shape) if a not in np.atleast_1d(dim))
    assert spread.shape == kept
    if data.size == 0:  # (no entries: an empty result, or NaN over an empty axis)
        assert np.all(np.isnan(spread.numpy()))
        spread.sum().backward()
        assert x.grad.shape == shape


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("shape, axis, ddof", [((0, 3), 1, 1), ((3, 0, 2), 2, 1), ((0, 3), 1, 0),
                                               ((3, 0, 2), (0, 2), 5), ((0, 3), 0, 0),
                                               ((3, 0, 2), 2, 2)])
def test_numpys_spelling_warns_where_numpy_does(name, shape, axis, ddof):
    """NumPy's keywords (axis=, ddof=): NumPy's count of n, silent for a tensor with no
    entries over axes that have a length (PyTorch's warning with PyTorch's keywords only)."""
    _, ours = _run(lambda: getattr(tg.zeros(shape), name)(axis=axis, ddof=ddof))
    _, numpys = _run(lambda: getattr(np, name)(np.zeros(shape), axis=axis, ddof=ddof))
    assert [c for c, _ in ours] == ([UserWarning] if numpys else []), (ours, numpys)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("shape, dim, correction, warns", _EMPTY)
def test_no_entries_values_and_warnings_as_pytorchs(name, shape, dim, correction, warns):
    torch = pytest.importorskip("torch")
    data = np.arange(float(np.prod(shape))).reshape(shape)
    found = []
    for lib in (tg, torch):
        out, caught = _run(lambda: getattr(lib, name)(lib.tensor(data), dim=dim,
                                                      correction=correction))
        outs = out if isinstance(out, tuple) else (out,)
        found.append(([o.numpy() for o in outs], [c for c, _ in caught]))
    (ours, our_warnings), (theirs, their_warnings) = found
    assert our_warnings == their_warnings == ([UserWarning] if warns else [])
    for mine, want in zip(ours, theirs):
        np.testing.assert_allclose(mine, want, rtol=1e-12)


# -- 4. rsub's refusal in the order given ----------------------------------------------------
def test_rsub_names_unbroadcastable_shapes_in_the_order_given():
    a, b = tg.zeros((2, 3)), tg.zeros(4)
    with pytest.raises(ShapeError, match=r"^rsub: shapes \(2, 3\), \(4,\) do not broadcast"):
        tg.rsub(a, b)
    with pytest.raises(ShapeError, match=r"^rsub: shapes \(4,\), \(2, 3\) do not broadcast"):
        tg.rsub(b, a, alpha=2)
    with pytest.raises(ShapeError, match=r"^rsub: shapes \(2, 3\), \(4,\) do not broadcast"):
        tg.rsub(a, np.ones(4))


def test_rsub_values_and_gradients_unchanged():
    x = tg.Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = tg.Tensor([[10.0], [20.0]], requires_grad=True)
    out = tg.rsub(x, y, alpha=2)
    np.testing.assert_array_equal(out.numpy(), np.array([[10.0], [20.0]]) - 2 * np.array(
        [[1.0, 2.0, 3.0]]))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[-4.0, -4.0, -4.0]])
    np.testing.assert_array_equal(y.grad.numpy(), [[3.0], [3.0]])


@pytest.mark.torch
def test_rsub_refuses_what_pytorchs_refuses():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.rsub(torch.zeros(2, 3), torch.zeros(4))
    with pytest.raises(RuntimeError):
        tg.rsub(tg.zeros((2, 3)), tg.zeros(4))


# -- 5. a gradient asked of integers: RuntimeError and TypeError -----------------------------
_INTEGER_GRADIENTS = {
    "asarray of a list": (lambda: tg.asarray([1, 2], requires_grad=True),
                          "asarray(): requires_grad=True needs a float dtype, got int64"),
    "asarray of a tensor": (lambda: tg.asarray(tg.arange(3), requires_grad=True),
                            "asarray: requires_grad=True needs a float dtype, got int64"),
    "asarray cast to int": (lambda: tg.asarray(tg.ones(2, requires_grad=True),
                                               dtype=tg.int64),
                            "asarray: requires_grad left out keeps obj's (True)"),
    "asarray of floats to int": (lambda: tg.asarray([1.0], dtype=tg.int64, requires_grad=True),
                                 "asarray(): requires_grad=True needs a float dtype, got int64; "
                                 "pass dtype='float64' (or leave dtype out)"),
    "tensor": (lambda: tg.tensor([1, 2], requires_grad=True),
               "tensor(): requires_grad=True needs a float dtype, got int64"),
    "tensor of bools": (lambda: tg.tensor([True], requires_grad=True),
                        "tensor(): requires_grad=True needs a float dtype, got bool"),
    "zeros": (lambda: tg.zeros(2, dtype=tg.int64, requires_grad=True),
              "zeros: requires_grad=True needs a float dtype, got int64")}


@pytest.mark.parametrize("case", sorted(_INTEGER_GRADIENTS))
def test_a_gradient_of_integers_is_refused_as_runtimeerror_and_typeerror(case):
    make, start = _INTEGER_GRADIENTS[case]
    with pytest.raises(RuntimeError) as error:
        make()
    assert isinstance(error.value, TypeError)  # (what it was here: code catching it still runs)
    assert str(error.value).startswith(start) and "\n" not in str(error.value)


def test_requires_grad_on_an_integer_tensor_is_runtimeerror_and_typeerror():
    for ask in (lambda t: t.requires_grad_(), lambda t: setattr(t, "requires_grad", True)):
        with pytest.raises(RuntimeError) as error:
            ask(tg.arange(3))
        assert isinstance(error.value, TypeError)
        assert str(error.value).startswith("requires_grad: only floating-point tensors can "
                                           "require a gradient, got dtype int64")


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(_INTEGER_GRADIENTS))
def test_pytorch_raises_runtimeerror_for_the_same_calls(case):
    torch = pytest.importorskip("torch")
    calls = {"asarray of a list": lambda: torch.asarray([1, 2], requires_grad=True),
             "asarray of a tensor": lambda: torch.asarray(torch.arange(3), requires_grad=True),
             "asarray cast to int": lambda: torch.asarray(torch.ones(2, requires_grad=True),
                                                          dtype=torch.int64),
             "asarray of floats to int": lambda: torch.asarray([1.0], dtype=torch.int64,
                                                               requires_grad=True),
             "tensor": lambda: torch.tensor([1, 2], requires_grad=True),
             "tensor of bools": lambda: torch.tensor([True], requires_grad=True),
             "zeros": lambda: torch.zeros(2, dtype=torch.int64, requires_grad=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # (asarray's note on its new default)
        with pytest.raises(RuntimeError, match="can require gradients"):
            calls[case]()
    with pytest.raises(RuntimeError):
        _INTEGER_GRADIENTS[case][0]()


def test_autograd_functional_of_integers_is_runtimeerror_and_typeerror():
    with pytest.raises(RuntimeError, match=r"^jacobian: input 0 has dtype int64") as error:
        tg.autograd.functional.jacobian(lambda x: x * 2, tg.arange(3))
    assert isinstance(error.value, TypeError)
