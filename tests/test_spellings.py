"""PyTorch's in-place spellings of ops (`w.clamp_(-1, 1)` under no_grad()), the tensor
attributes a PyTorch user reaches for (`x.device`, `x.view_as(y)`, `x.select(0, 1)`,
`x.type()`...), integer 0-d tensors as indices, `round(x)`, and `torch.tensor(x)`.

Values and gradients against PyTorch (marked `torch`) and against NumPy or by definition
(without torch).
"""
from __future__ import annotations

import operator
import pickle

import numpy as np
import pytest

import tinygrad_gd as tg

A = np.array([[-2.5, -0.5, 0.3], [0.5, 1.5, 2.7]])
POSITIVE = np.abs(A) + 0.1
MASK = A > 0.4


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


# name, data, positional arguments, keywords, NumPy's values: every in-place op method
IN_PLACE = {
    "clamp_": (A, (-0.5, 0.5), {}, lambda a: np.clip(a, -0.5, 0.5)),
    "clamp_ min= max=": (A, (), {"min": -0.5, "max": 0.5}, lambda a: np.clip(a, -0.5, 0.5)),
    "clamp_ min= only": (A, (), {"min": 0.0}, lambda a: np.maximum(a, 0.0)),
    "clip_": (A, (-1.0, 1.0), {}, lambda a: np.clip(a, -1.0, 1.0)),
    "clip_ max= only": (A, (), {"max": 1.0}, lambda a: np.minimum(a, 1.0)),
    "clamp_min_": (A, (0.3,), {}, lambda a: np.maximum(a, 0.3)),
    "clamp_max_": (A, (0.3,), {}, lambda a: np.minimum(a, 0.3)),
    "relu_": (A, (), {}, lambda a: np.maximum(a, 0)),
    "exp_": (A, (), {}, np.exp),
    "log_": (POSITIVE, (), {}, np.log),
    "abs_": (A, (), {}, np.abs),
    "neg_": (A, (), {}, np.negative),
    "sqrt_": (POSITIVE, (), {}, np.sqrt),
    "pow_": (A, (3,), {}, lambda a: a ** 3),
    "pow_ of a float": (POSITIVE, (0.5,), {}, np.sqrt),
    "sigmoid_": (A, (), {}, _sigmoid),
    "tanh_": (A, (), {}, np.tanh),
    "masked_fill_": (A, (MASK, 0.25), {}, lambda a: np.where(MASK, 0.25, a)),
    "masked_fill_ of a row mask": (A, (MASK[0],), {"value": -1.0},
                                   lambda a: np.where(MASK[0], -1.0, a)),
    "floor_": (A, (), {}, np.floor),
    "ceil_": (A, (), {}, np.ceil),
    "round_": (A, (), {}, np.round),  # halves to even, as both
    "round_ decimals=": (A * 1.234, (), {"decimals": 1}, lambda a: np.round(a, 1)),
    "sign_": (A, (), {}, np.sign),
    "square_": (A, (), {}, np.square),
    "reciprocal_": (A, (), {}, np.reciprocal),
}


def _method(case):
    return case.split()[0]


def _as(library, value):
    """An argument as the library takes it: a boolean array becomes its tensor."""
    return library(value) if isinstance(value, np.ndarray) else value


def _write_in_place(case, tensor, convert, no_grad):
    data, args, kwargs, _ = IN_PLACE[case]
    with no_grad():
        returned = getattr(tensor, _method(case))(*[_as(convert, a) for a in args], **kwargs)
    return returned


@pytest.mark.parametrize("case", sorted(IN_PLACE))
def test_in_place_op_methods_write_the_ops_values_by_definition(case):
    data, _, _, expected = IN_PLACE[case]
    w = tg.Tensor(data, requires_grad=True)
    same = w.data  # the values' own memory
    returned = _write_in_place(case, w, tg.as_tensor, tg.no_grad)
    assert returned is w and w.requires_grad and w.is_leaf and w.dtype == np.float64
    np.testing.assert_allclose(w.data, expected(data), rtol=1e-15)
    assert np.shares_memory(same, w.data)  # written in place, not rebound
    (w * w).sum().backward()  # the next forward pass learns from the written values
    np.testing.assert_allclose(w.grad.data, 2 * expected(data), rtol=1e-15)
    plain = tg.Tensor(data)  # a tensor that needs no gradient: at any time
    getattr(plain, _method(case))(*[_as(tg.as_tensor, a) for a in IN_PLACE[case][1]],
                                  **IN_PLACE[case][2])
    np.testing.assert_allclose(plain.data, expected(data), rtol=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(IN_PLACE))
def test_in_place_op_methods_give_pytorchs_values_and_next_gradient(case):
    torch = pytest.importorskip("torch")
    data = IN_PLACE[case][0]
    ours, theirs = tg.Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    assert _write_in_place(case, ours, tg.as_tensor, tg.no_grad) is ours
    assert _write_in_place(case, theirs, torch.as_tensor, torch.no_grad) is theirs
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-15)
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-15)
    single = tg.Tensor(data, dtype=np.float32)  # the dtype stays, as PyTorch's
    _write_in_place(case, single, tg.as_tensor, tg.no_grad)
    assert single.dtype == np.float32


def _one_line(error):
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("name", ["clamp_", "relu_", "exp_", "masked_fill_", "pow_",
                                  "reciprocal_"])
def test_in_place_op_methods_refuse_what_add__refuses_in_one_line(name):
    args = {"clamp_": (0, 1), "masked_fill_": (tg.Tensor(A) > 0, 0.0), "pow_": (2,)}.get(
        name, ())
    w = tg.Tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError) as error:  # a parameter outside no_grad()
        getattr(w, name)(*args)
    assert _one_line(error).startswith(f"{name}: writing into a leaf tensor that requires a "
                                       f"gradient would not be recorded; do it under")
    assert w.tolist() == A.tolist()
    made = w * 2  # a tensor made by an op, under no_grad(): changed, as PyTorch's
    with tg.no_grad():
        assert getattr(made, name)(*args) is made
    plain = getattr(tg.Tensor(A * 2), name)(*args)  # (the same change, of a constant)
    assert made.tolist() == plain.tolist() and made.grad_fn.name == "mul"


def test_an_argument_that_requires_a_gradient_is_recorded():
    value = tg.Tensor(0.5, requires_grad=True)
    x = tg.Tensor(POSITIVE)
    x.pow_(value)  # recorded, as PyTorch's: the gradient reaches the exponent
    x.sum().backward()
    np.testing.assert_allclose(value.grad.data, (POSITIVE ** 0.5 * np.log(POSITIVE)).sum())
    x = tg.Tensor(POSITIVE)
    with tg.no_grad():  # under no_grad() nothing would be recorded anyway, as PyTorch
        x.pow_(value)
    np.testing.assert_allclose(x.data, POSITIVE ** 0.5, rtol=1e-15)


def test_a_write_that_changes_the_shape_or_dtype_is_refused_and_writes_nothing():
    labels = tg.arange(3)
    with pytest.raises(TypeError) as error:  # sqrt of integers is float: not into int64
        labels.sqrt_()
    assert _one_line(error).startswith("sqrt_: cannot write the result into a tensor of "
                                       "shape (3,) and dtype int64 (sqrt's values: shape (3,), "
                                       "dtype float64)")
    assert labels.tolist() == [0, 1, 2] and labels.dtype == np.int64
    assert labels.abs_() is labels and labels.neg_().tolist() == [0, -1, -2]  # int stays int
    x = tg.Tensor([1.0, 2.0])
    with pytest.raises(ValueError) as error:  # the exponent broadcasts x to (2, 2)
        x.pow_(tg.Tensor([[1.0], [2.0]]))
    assert _one_line(error).startswith("pow_: cannot write the result into a tensor of shape "
                                       "(2,)")
    assert x.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"^clamp_: give min, max or both$"):  # the name called
        x.clamp_()


def test_an_in_place_op_method_is_counted_as_a_change():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()  # saved w's values
    with tg.no_grad():
        w.clamp_(0.0, 1.5)
    with pytest.raises(RuntimeError, match=r"input 0 \(shape \(2,\)\) of op 'mul' was changed "
                                           r"in place"):
        loss.backward()


# ------------------------------------------------------------------ attributes and methods


def test_device_is_cpu_and_prints_as_cpu():
    x = tg.Tensor([1.0, 2.0])
    assert x.device == "cpu" and str(x.device) == "cpu" and f"{x.device}" == "cpu"
    assert repr(x.device) == "device(type='cpu')"  # PyTorch's repr
    assert x.device.type == "cpu" and x.device.index is None and not x.is_cuda
    assert x.to(x.device) is x and tg.nn.Linear(2, 1).to(x.device) is not None
    assert pickle.loads(pickle.dumps(x.device)) == "cpu"
    assert x.device != "cuda"


def test_is_floating_point_and_nelement():
    assert tg.Tensor([1, 2]).is_floating_point() and tg.Tensor(1, dtype="float16") \
        .is_floating_point()
    assert not tg.as_tensor([1, 2]).is_floating_point() and not (tg.Tensor(1) > 0) \
        .is_floating_point()
    assert tg.Tensor(A).nelement() == 6 and tg.Tensor(3.0).nelement() == 1


def test_view_as_reshape_as_expand_as_select_are_in_the_graph():
    x = tg.Tensor(np.arange(6.0), requires_grad=True)
    y = x.view_as(tg.Tensor(A))
    assert y.shape == (2, 3) and y.grad_fn.name == "reshape"
    assert x.reshape_as(np.zeros((3, 2))).shape == (3, 2)
    row = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    wide = row.expand_as(y)
    assert wide.grad_fn.name == "broadcast_to" and wide.tolist() == [[1, 2, 3], [1, 2, 3]]
    picked = y.select(1, -1)
    assert picked.grad_fn.name == "getitem" and picked.tolist() == [2.0, 5.0]
    ((picked * 10).sum() + (wide * y).sum() + y.select(0, 1).sum()).backward()
    assert x.grad.tolist() == [1.0, 2.0, 13.0, 2.0, 3.0, 14.0]
    assert row.grad.tolist() == [3.0, 5.0, 7.0]


@pytest.mark.torch
def test_view_as_expand_as_select_give_pytorchs_values_and_gradients():
    torch = pytest.importorskip("torch")
    data = np.arange(24.0).reshape(2, 3, 4) / 7
    results = []
    for lib, make in ((tg, lambda a: tg.Tensor(a, requires_grad=True)),
                      (torch, lambda a: torch.tensor(a, requires_grad=True))):
        x, row = make(data), make(data[0, :, 0])
        a = x.select(-1, 2)  # (2, 3)
        b = x.select(0, -2).select(-1, 1).expand_as(a)  # (3,) broadcast to (2, 3)
        out = (a * b + row.expand_as(a) ** 2).view_as(x.reshape(6, 4).select(1, 0))
        (out ** 3).sum().backward()
        results.append([np.asarray(v.detach().numpy() if lib is torch else v.data)
                        for v in (out, x.grad, row.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_view_as_and_select_refuse_in_one_line():
    x = tg.Tensor(A)
    with pytest.raises(TypeError) as error:
        x.view_as((3, 2))
    assert _one_line(error) == ("view_as: expected a tensor whose shape to take, got tuple "
                                "(3, 2); give the shape to view(...) instead")
    with pytest.raises(IndexError) as error:
        x.select(1, 3)
    assert _one_line(error) == ("select: index 3 is out of range for axis 1 of length 3 "
                                "(shape (2, 3)); give an index in [-3, 2]")
    with pytest.raises(IndexError, match=r"out of range"):
        x.select(2, 0)
    with pytest.raises(TypeError, match=r"^select: index must be an int, got float 1.0$"):
        x.select(0, 1.0)
    with pytest.raises(TypeError, match=r"^select: index must be an int, got bool True$"):
        x.select(0, True)
    with pytest.raises(IndexError, match=r"^select: a 0-d tensor has no axis"):
        tg.Tensor(1.0).select(0, 0)
    assert x.select(0, tg.as_tensor(1)).tolist() == A[1].tolist()  # an index tensor: __index__


def test_detach__stops_a_leaf_requiring_a_gradient_and_cuts_a_tensor_made_by_an_op():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    made = w * 3
    assert w.detach_() is w and not w.requires_grad and w.is_leaf  # as PyTorch's
    assert not (w * 2).requires_grad
    v = tg.Tensor([1.0, 2.0], requires_grad=True)
    hidden = v * 3
    loss = (hidden * 2).sum()  # (built on hidden before: reaches v still, as PyTorch's)
    assert made.detach_() is made and hidden.detach_() is hidden and hidden.is_leaf
    assert not hidden.requires_grad and not (hidden * 2).requires_grad
    loss.backward()
    assert v.grad.tolist() == [6.0, 6.0]  # d(2 (3 v))/dv, by hand


@pytest.mark.torch
def test_retains_grad_and_detach__follow_pytorch():
    torch = pytest.importorskip("torch")
    seen = []
    for make in (lambda: tg.Tensor([1.0, 2.0], requires_grad=True),
                 lambda: torch.tensor([1.0, 2.0], requires_grad=True)):
        w = make()
        y = w * 2
        before = (w.retains_grad, y.retains_grad)
        y.retain_grad()
        w.retain_grad()  # a leaf keeps its gradient anyway: still False, as PyTorch's
        w2 = make()
        w2.detach_()
        seen.append((before, w.retains_grad, y.retains_grad, w2.requires_grad))
    assert seen[0] == seen[1] == ((False, False), False, True, False)


def test_retains_grad_says_whether_retain_grad_was_called():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    assert not y.retains_grad and not w.retains_grad
    assert y.retain_grad() is y and y.retains_grad and not w.retains_grad
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]


def test_half_and_type_cast_in_the_graph_and_type_names_the_dtype():
    x = tg.Tensor([0.5, 1.5], requires_grad=True)
    half = x.half()
    assert half.dtype == np.float16 and half.grad_fn.name == "to"
    (half * 2).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 2.0]
    assert x.type() == "tinygrad_gd.DoubleTensor" and x.type(np.float64) is x
    assert x.type(np.float32).dtype == np.float32 and x.type(tg.float32).grad_fn.name == "to"
    assert x.type("torch.FloatTensor").dtype == np.float32  # PyTorch's names are read too
    assert x.type("tinygrad_gd.HalfTensor").dtype == np.float16
    labels = x.type(tg.int64)
    assert labels.dtype == np.int64 and not labels.requires_grad and labels.tolist() == [0, 1]
    assert labels.type() == "tinygrad_gd.LongTensor" and x.type(labels.type()).dtype == np.int64
    assert (x > 1).type() == "tinygrad_gd.BoolTensor"
    with pytest.raises(TypeError) as error:
        x.type("cuda")
    assert _one_line(error) == ("type: expected a dtype (tg.float32, \"int64\") or a type name "
                                "such as 'tinygrad_gd.FloatTensor', got str 'cuda'; tinygrad_gd "
                                "runs on the CPU only")


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32",
                                   "int64", "uint8", "uint16", "bool"])
def test_type_names_are_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    ours = tg.Tensor([1], dtype=dtype).type()
    theirs = torch.tensor([1], dtype=getattr(torch, dtype)).type()
    assert ours.replace("tinygrad_gd.", "torch.") == theirs
    assert tg.Tensor([1.0]).type(theirs).dtype == np.dtype(dtype)  # and read back


def test_an_integer_0d_tensor_is_an_index():
    i = tg.as_tensor(1)
    assert [10, 20][i] == 20 and list(range(tg.as_tensor(3))) == [0, 1, 2]
    assert operator.index(tg.Tensor(2, dtype=np.int32)) == 2 and "ab"[tg.as_tensor(-1)] == "b"
    x = tg.Tensor([1.0, 2.0, 3.0])
    assert x[i:].tolist() == [2.0, 3.0]  # a slice bound
    for bad in (tg.Tensor(1.0), tg.as_tensor([1]), tg.as_tensor(True)):
        with pytest.raises(TypeError) as error:
            [10, 20][bad]
        assert _one_line(error).startswith(f"only an integer tensor of no axes (0-d) can be an "
                                           f"index, got shape {bad.shape} and dtype "
                                           f"{bad.dtype}")
    # NumPy's indexing by tensors still reads them as arrays: lists, masks, 0-d
    a = np.arange(5)
    assert a[tg.as_tensor([1, 3])].tolist() == [1, 3] and a[tg.as_tensor(a) > 2].tolist() == [3, 4]
    assert a[i] == 1 and x[tg.as_tensor([0, 2])].tolist() == [1.0, 3.0]


def test_round_of_a_one_element_tensor_is_a_python_number_as_numpys_scalars():
    for value in (2.5, 3.5, -0.5, 2.567):
        assert round(tg.Tensor(value)) == round(np.float64(value))
        assert type(round(tg.Tensor(value))) is int
        assert round(tg.Tensor(value), 1) == round(np.float64(value), 1)
    assert round(tg.Tensor([[1.6]])) == 2 and round(tg.as_tensor(7)) == 7
    with pytest.raises(TypeError) as error:
        round(tg.Tensor([1.5, 2.5]))
    assert _one_line(error) == ("round(): a tensor of shape (2,) is not one number; use "
                                "x.round(decimals=...) for a tensor of rounded values (the op "
                                "round)")


# ------------------------------------------------------------------ other libraries read it


def _tensors():
    base = tg.Tensor(np.arange(6.0).reshape(2, 3))
    return [tg.Tensor(2.5), tg.Tensor(A, requires_grad=True), tg.as_tensor([[1, 2]]),
            tg.as_tensor([True, False]), tg.Tensor([1.0], dtype="float32"),
            base.T.detach(), tg.Tensor(np.zeros((2, 0)))]


def test_numpy_reads_a_tensor_through_dlpack_as_a_copy():
    for t in _tensors():
        array = np.from_dlpack(t)
        assert array.dtype == t.dtype and array.shape == t.shape
        assert array.tolist() == t.tolist()
        assert not np.shares_memory(array, t.data)
    with pytest.raises(BufferError, match=r"^__dlpack__: tinygrad_gd gives a copy"):
        np.from_dlpack(tg.Tensor([1.0]), copy=False)


@pytest.mark.torch
def test_torch_tensor_and_as_tensor_read_a_tensor():
    torch = pytest.importorskip("torch")
    for t in _tensors():
        for make in (torch.tensor, torch.as_tensor):
            theirs = make(t)
            assert theirs.shape == t.shape and str(theirs.dtype) == f"torch.{t.dtype}"
            assert theirs.tolist() == t.tolist() and not theirs.requires_grad
    x = tg.Tensor([1.0, 2.0])
    shared = torch.as_tensor(x)
    shared[0] = 100.0  # a copy: x's values never change unseen
    assert x.tolist() == [1.0, 2.0]
    assert torch.as_tensor(x, dtype=torch.float32).dtype == torch.float32
