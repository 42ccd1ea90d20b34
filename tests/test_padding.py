"""Padding modes: F.pad and tg.pad ('constant', 'reflect', 'replicate'/'edge',
'circular'/'wrap'), negative pads that crop, and the padding layers (nn/padding.py).

Values and gradients against np.pad (without torch) and against PyTorch 2.13 (batched and
unbatched inputs, its limits on each mode), gradcheck in float64, float32 kept, and the
one-line errors of PyTorch's types.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(31)
NUMPY_NAMES = {"replicate": "edge", "circular": "wrap"}


def _data(shape, dtype=np.float64):
    return RNG.uniform(-2, 2, shape).astype(dtype)


def _ours(fn, x, weights=None):
    """fn(x)'s values and x's gradient of sum(fn(x) * weights)."""
    leaf = Tensor(x, requires_grad=True)
    out = fn(leaf)
    w = RNG.standard_normal(out.shape) if weights is None else weights
    (out * Tensor(w.astype(out.dtype))).sum().backward()
    return out, leaf.grad, w


def _against_torch(ours_fn, theirs_fn, x):
    torch = pytest.importorskip("torch")
    out, grad, w = _ours(ours_fn, x)
    leaf = torch.tensor(x, requires_grad=True)
    expected = theirs_fn(leaf)
    (expected * torch.tensor(w.astype(x.dtype))).sum().backward()
    assert out.shape == tuple(expected.shape) and out.dtype == x.dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(grad.data, leaf.grad.numpy(), rtol=1e-12, atol=1e-12)


# (shape, pad, mode): batched and unbatched, 1 to 3 axes, crops, the largest pads allowed
TORCH_CASES = [(shape, pad, mode) for mode, cases in {
    "reflect": [((2, 5), (2, 3)), ((2, 3, 5), (4, 1)), ((3, 4, 5), (1, 2, 3, 0)),
                ((2, 2, 4, 5), (3, 4, 0, 3)), ((2, 3, 3, 4), (1, 1, 2, 1, 2, 0)),
                ((1, 2, 3, 3, 4), (2, 1, 1, 1, 1, 2)), ((2, 5), (-3, 4)), ((2, 5), (-6, 2)),
                ((2, 5), (3, -5)), ((2, 1), (0, 0)), ((0, 3, 5), (2, 1))],
    "replicate": [((2, 5), (6, 2)), ((2, 3, 5), (1, 4, 2, 0)), ((2, 2, 3, 4), (2, 1, 0, 3)),
                  ((2, 3, 2, 2), (1, 2, 3, 1, 0, 2)), ((1, 2, 2, 3, 2), (1, 0, 2, 1, 1, 1)),
                  ((2, 1), (2, 3)), ((2, 5), (-3, 4)), ((2, 5), (2, -6)), ((0, 2, 5), (1, 1))],
    "circular": [((2, 5), (5, 5)), ((2, 3, 5), (2, 1)), ((2, 3, 4), (1, 2, 3, 1)),
                 ((2, 2, 3, 4), (4, 0, 1, 3)), ((2, 3, 2, 4), (1, 3, 2, 0, 1, 2)),
                 ((1, 2, 2, 3, 4), (2, 1, 3, 0, 1, 1)), ((2, 5), (-1, 4)), ((2, 5), (2, -1)),
                 ((2, 5), (-3, 2)), ((2, 5), (0, -5)), ((0, 3, 5), (2, 2)), ((2, 0), (0, 0))],
    "constant": [((5,), (2, 3)), ((2, 3, 4, 5), (1, 2, -1, 0, 2, 2, 0, 1)), ((2, 5), (-5, 0)),
                 ((3, 4), (-1, 2, 1, -2)), ((0, 2), (1, 1))],
}.items() for shape, pad in cases]


@pytest.mark.torch
@pytest.mark.parametrize("shape, pad, mode", TORCH_CASES)
def test_values_and_gradients_equal_pytorchs(shape, pad, mode):
    torch = pytest.importorskip("torch")
    value = 0.5 if mode == "constant" else None
    _against_torch(lambda x: F.pad(x, pad, mode, value),
                   lambda x: torch.nn.functional.pad(x, pad, mode, value), _data(shape))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "edge", "circular", "wrap"])
@pytest.mark.parametrize("shape, widths", [((5,), (7, 3)), ((1, 3), ((2, 1), (4, 0))),
                                           ((3, 2, 4), ((1, 2), (3, 3), (0, 5))), ((2,), (0, 0))])
def test_tg_pad_is_numpys_pad_with_any_widths(mode, shape, widths):
    x = _data(shape)
    out = tg.pad(Tensor(x), widths, mode)
    np.testing.assert_array_equal(out.data, np.pad(x, widths, NUMPY_NAMES.get(mode, mode)))
    flat = [n for pair in (widths if shape[1:] else (widths,))[::-1] for n in pair]
    np.testing.assert_array_equal(tg.pad(Tensor(x), pad=flat, mode=mode).data, out.data)
    assert tg.gradcheck(lambda t: t.pad(widths, mode), [Tensor(x, requires_grad=True)])


def test_each_entrys_copies_add_up_in_its_gradient():
    # reflect (2, 2) of [a, b, c]: c b a b c b a, so a and c are read twice, b three times
    out, grad, _ = _ours(lambda x: F.pad(x, (2, 2), "reflect"), np.array([[1.0, 2.0, 3.0]]),
                         np.ones((1, 7)))
    assert out.data.tolist() == [[3, 2, 1, 2, 3, 2, 1]] and grad.data.tolist() == [[2, 3, 2]]
    out, grad, _ = _ours(lambda x: F.pad(x, (2, 3), "replicate"), np.array([[5.0]]),
                         np.ones((1, 6)))
    assert out.data.tolist() == [[5] * 6] and grad.data.tolist() == [[6]]
    _, grad, _ = _ours(lambda x: F.pad(x, (2, 2), "circular"), np.array([[1.0, 2.0]]),
                       np.ones((1, 6)))
    assert grad.data.tolist() == [[3, 3]]
    # a crop: the entries cut off get gradient 0
    out, grad, _ = _ours(lambda x: F.pad(x, (-1, 1), value=7.0), np.array([[1.0, 2.0, 3.0]]),
                         np.ones((1, 3)))
    assert out.data.tolist() == [[2, 3, 7]] and grad.data.tolist() == [[0, 1, 1]]


@pytest.mark.parametrize("shape, pad, mode", [case for case in TORCH_CASES
                                              if 0 not in case[0]][::3])
def test_gradcheck_float64(shape, pad, mode):
    assert tg.gradcheck(lambda x: F.pad(x, pad, mode), [Tensor(_data(shape), requires_grad=True)])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_float32_is_kept_in_values_and_gradients(mode):
    out, grad, _ = _ours(lambda x: F.pad(x, (1, 2, -1, 1), mode), _data((2, 3, 4), np.float32))
    assert out.dtype == np.float32 and grad.dtype == np.float32
    assert tg.pad(Tensor(_data(3, np.float32)), 2, mode, constant_values=0).dtype == np.float32


def test_empty_results_and_inputs():
    out, grad, _ = _ours(lambda x: F.pad(x, (0, -5), "circular"), _data((2, 5)))
    assert out.shape == (2, 0) and grad.data.tolist() == np.zeros((2, 5)).tolist()
    out, grad, _ = _ours(lambda x: F.pad(x, (1, 2)), np.zeros((2, 0)))
    assert out.data.tolist() == [[0, 0, 0]] * 2 and grad.shape == (2, 0)
    assert F.pad(Tensor(np.zeros((0, 2, 3, 4))), (1, 1, 2, 2), "reflect").shape == (0, 2, 7, 6)
    # a copying mode may leave one padded axis empty beside another (PyTorch's 2-d and 3-d
    # rule), and every gradient is then 0 (torch 2.13's is uninitialised memory there)
    for pad, mode, shape in [((-2, -2, 1, 1), "reflect", (2, 5, 0)),
                             ((1, 1, -2, -2, 1, 1), "replicate", (2, 5, 0, 6))]:
        out, grad, _ = _ours(lambda x: F.pad(x, pad, mode), _data((2, 3, 4, 4)[:len(shape)]))
        assert out.shape == shape and not grad.data.any()


LAYERS = [  # (constructor arguments, input shape): batched and unbatched
    ("ReflectionPad1d", (2,), (2, 3, 5)), ("ReflectionPad1d", ((3, -1),), (3, 4)),
    ("ReflectionPad2d", ((1, 2, 3, 0),), (2, 2, 4, 3)), ("ReflectionPad2d", (1,), (2, 3, 3)),
    ("ReflectionPad3d", ((1, 0, 2, 1, 1, 1),), (1, 2, 2, 3, 3)), ("ReflectionPad3d", (1,),
                                                                   (2, 2, 3, 2)),
    ("ReplicationPad1d", ((0, 3),), (2, 3, 2)), ("ReplicationPad1d", (2,), (2, 1)),
    ("ReplicationPad2d", ((2, 1, -1, 2),), (2, 2, 3, 4)), ("ReplicationPad2d", (1,), (3, 2, 2)),
    ("ReplicationPad3d", (1,), (1, 2, 2, 2, 3)), ("ReplicationPad3d", ((2, 0, 1, 1, 0, 2),),
                                                  (2, 2, 3, 2)),
    ("CircularPad1d", ((3, 1),), (2, 2, 4)), ("CircularPad1d", (1,), (3, 2)),
    ("CircularPad2d", ((1, 2, 2, 0),), (2, 2, 3, 3)), ("CircularPad2d", (1,), (2, 2, 3)),
    ("CircularPad3d", ((1, 1, 0, 2, 1, 0),), (1, 2, 2, 3, 2)), ("CircularPad3d", (1,), (2, 2,
                                                                                    2, 3)),
    ("ZeroPad1d", ((2, -1),), (2, 3, 4)), ("ZeroPad1d", (1,), (5,)),
    ("ZeroPad3d", ((1, 2, 0, 1, 2, 0),), (2, 2, 2, 3, 2)), ("ZeroPad3d", (1,), (2, 2, 3)),
    ("ConstantPad3d", (1, 2.5), (1, 2, 2, 2, 3)), ("ConstantPad3d", ((0, 1, -1, 1, 2, 0), -1.0),
                                                    (2, 3, 2)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, arguments, shape", LAYERS)
def test_layers_equal_pytorchs(name, arguments, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*arguments), getattr(torch.nn, name)(*arguments)
    assert repr(ours) == repr(theirs) and ours.padding == theirs.padding
    assert list(ours.parameters()) == [] and ours.state_dict() == {}
    _against_torch(ours, theirs, _data(shape))


@pytest.mark.parametrize("name, arguments, shape", LAYERS[::2])
def test_layers_pass_gradcheck_and_keep_float32(name, arguments, shape):
    layer = getattr(nn, name)(*arguments)
    assert tg.gradcheck(layer, [Tensor(_data(shape), requires_grad=True)])
    assert layer(Tensor(_data(shape, np.float32))).dtype == np.float32


# (call, PyTorch's call as text or None, error type: PyTorch's, message)
ERRORS = [
    (lambda: F.pad(_data((2, 5)), (5, 0), "reflect"), "F.pad(x25, (5, 0), mode='reflect')",
     RuntimeError, r"^pad: mode='reflect' pads by less than the axis's size, got pads \(5, 0\) "
                   r"for axis 1 of size 5 \(input shape \(2, 5\)\); pad less"),
    (lambda: F.pad(_data((2, 5)), (0, 6), "circular"), "F.pad(x25, (0, 6), mode='circular')",
     RuntimeError, r"^pad: mode='circular' wraps around at most once, by at most the 5 entries"),
    (lambda: F.pad(_data((2, 5)), (-1, 5), "circular"), None, RuntimeError,
     r"at most the 4 entries the cropping keeps, got pads \(-1, 5\)"),
    (lambda: F.pad(_data((2, 5)), (-6, 1), "circular"), None, RuntimeError,
     r"^pad: negative pads crop more than the whole axis: pads \(-6, 1\) for axis 1"),
    (lambda: F.pad(_data((2, 5)), (-6, 2)), "F.pad(x25, (-6, 2))", RuntimeError,
     r"^pad: negative pads crop more than the whole axis"),
    (lambda: F.pad(_data((2, 5)), (-5, 0), "replicate"), "F.pad(x25, (-5, 0), mode='replicate')",
     RuntimeError, r"^pad: mode='replicate' must leave an entry along some padded axis, got "
                   r"sizes \[0\] from input shape \(2, 5\) and pads \[\(-5, 0\)\]"),
    (lambda: F.pad(_data((2, 3, 4)), (1, 1, -2, -2), "reflect"),
     "F.pad(torch.ones(2, 3, 4), (1, 1, -2, -2), mode='reflect')", RuntimeError,
     r"^pad: negative pads leave a negative size: pads \(-2, -2\) for axis 1 of size 3"),
    (lambda: F.pad(_data(5), (1, 1), "reflect"), "F.pad(torch.ones(5), (1, 1), mode='reflect')",
     NotImplementedError, r"^pad: mode='reflect' pads the last 1, 2 or 3 axes \(2, 4 or 6 ints\) "
                          r"of an input with one or two more axes.*got 2 ints for shape \(5,\)"),
    (lambda: F.pad(_data((2, 2, 3, 5)), (1, 1), "circular"),
     "F.pad(torch.ones(2, 2, 3, 5), (1, 1), mode='circular')", NotImplementedError,
     r"got 2 ints for shape \(2, 2, 3, 5\)"),
    (lambda: F.pad(np.ones((2, 0)), (0, 0), "replicate"),
     "F.pad(torch.ones(2, 0), (0, 0), mode='replicate')", RuntimeError,
     r"^pad: mode='replicate' needs non-empty channels and padded axes \(only the batch"),
    (lambda: F.pad(_data((2, 5)), (1, 1), "reflect", 2.0),
     "F.pad(x25, (1, 1), mode='reflect', value=2.0)", RuntimeError,
     r"^pad: mode='reflect' copies entries and takes no value, got value=2.0"),
    (lambda: F.pad(_data((2, 5)), (1, 1), "symmetric"), "F.pad(x25, (1, 1), mode='symmetric')",
     NotImplementedError, r"^pad: mode='symmetric' is not one of \['constant', 'reflect'"),
    (lambda: F.pad(_data((2, 5)), (1, 1, 1)), "F.pad(x25, (1, 1, 1))", RuntimeError,
     r"^pad: pad takes \(before, after\) pairs, at most one per axis, got 3 ints for an input "
     r"of shape \(2, 5\)"),
    (lambda: F.pad(_data(3), (1, 1, 1, 1)), "F.pad(torch.ones(3), (1, 1, 1, 1))", RuntimeError,
     r"got 4 ints for an input of shape \(3,\)"),
    (lambda: F.pad(_data(3), (1.5, 1)), "F.pad(torch.ones(3), (1.5, 1))", TypeError,
     r"^pad: sizes and axes must be ints, got float 1.5"),
    (lambda: F.pad(_data(3), 2), "F.pad(torch.ones(3), 2)", TypeError,
     r"^pad: pad must be a tuple of ints"),
    (lambda: nn.CircularPad1d(1)(_data(4)), "torch.nn.CircularPad1d(1)(torch.ones(4))", ValueError,
     r"^CircularPad1d\(\(1, 1\)\): expects a 2-d or 3-d input \(\[batch,\] channels, then the 1 "
     r"padded axes\), got shape \(4,\)"),
    (lambda: nn.ReflectionPad2d(1)(_data((3, 4))), "torch.nn.ReflectionPad2d(1)(torch.ones(3, 4))",
     NotImplementedError, r"^ReflectionPad2d\(\(1, 1, 1, 1\)\): expects a 3-d or 4-d input"),
    (lambda: nn.ZeroPad3d(1)(_data((3, 4))), "torch.nn.ZeroPad3d(1)(torch.ones(3, 4))",
     RuntimeError, r"^ZeroPad3d\(\(1, 1, 1, 1, 1, 1\)\): pads 3 axes, but the input of shape "
                   r"\(3, 4\) has 2"),
    (lambda: nn.ReflectionPad1d(1)(_data((2, 1))), "torch.nn.ReflectionPad1d(1)(torch.ones(2, 1))",
     RuntimeError, r"got pads \(1, 1\) for axis 1 of size 1"),
    # NumPy's spelling: np.pad's rules and error types
    (lambda: tg.pad(_data(3), 1, "reflect", constant_values=1.0), None, ValueError,
     r"^pad: mode='reflect' copies entries, it takes no fill value: 1.0"),
    (lambda: tg.pad(np.zeros((2, 0)), 1, "edge"), None, ValueError,
     r"^pad: mode='edge' has no entry to copy along an empty axis \(input shape \(2, 0\)"),
    (lambda: tg.pad(_data(3), -1), None, ValueError,
     r"^pad: pad widths must be >= 0 \(F.pad crops by negative ones\), got -1"),
    (lambda: tg.pad(_data(3), 1, mode="foo"), None, NotImplementedError,
     r"^pad: mode='foo' is not one of"),
    # the layers' constructors
    (lambda: nn.ReflectionPad2d((1, 2)), None, ValueError,
     r"^ReflectionPad2d: padding must be an int or 4 ints \(left, right, top, bottom\), got "
     r"\(1, 2\)"),
    (lambda: nn.ConstantPad3d((1,) * 5, 0.0), None, ValueError,
     r"^ConstantPad3d: padding must be an int or 6 ints \(left, right, top, bottom, front, "
     r"back\)"),
    (lambda: nn.ZeroPad1d(1.5), None, TypeError,
     r"^ZeroPad1d: padding must be an int or a tuple of 2 ints, got float 1.5"),
    (lambda: nn.ConstantPad3d(1, "0"), None, TypeError,
     r"^ConstantPad3d: value must be a number, got str '0'"),
]


@pytest.mark.parametrize("call, torch_call, kind, message", ERRORS)
def test_bad_input_gets_one_line_of_pytorchs_error_type(call, torch_call, kind, message):
    with pytest.raises(kind, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)
    # (a shape mistake is tg.ShapeError: PyTorch's RuntimeError and NumPy's ValueError both)
    assert type(caught.value) in ((kind, tg.ShapeError) if kind in (RuntimeError, ValueError)
                                  else (kind,))


@pytest.mark.torch
@pytest.mark.parametrize("call, torch_call, kind, message",
                         [case for case in ERRORS if case[1]])
def test_pytorch_refuses_the_same_calls_with_the_same_type(call, torch_call, kind, message):
    torch = pytest.importorskip("torch")
    x25 = torch.ones(2, 5)
    with pytest.raises(kind):
        eval(torch_call, {"torch": torch, "F": torch.nn.functional, "x25": x25})  # noqa: S307


def test_a_copying_mode_of_pytorch_needs_its_axes_only_tg_pad_takes_any():
    x = _data((2, 3, 4, 5))
    with pytest.raises(NotImplementedError):
        F.pad(x, (1, 1), "reflect")
    out = tg.pad(Tensor(x), pad=(1, 1), mode="reflect")
    np.testing.assert_array_equal(out.data, np.pad(x, ((0, 0),) * 3 + ((1, 1),), "reflect"))
