"""Bad arguments to nn's functions and layers, the optimizers, the datasets and gradcheck:
each refused in one line that names the function or layer, the value and what to do (a
TypeError for a wrong type, a ValueError for a bad value, as PyTorch's), never a raw
NumPy or Python error from inside, never silently wrong numbers."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.nn as nn
import tinygrad_gd.nn.functional as F
from tinygrad_gd import data as D
from tinygrad_gd.tensor import Tensor

A = np.array([[0.1, 0.5, 0.9], [0.3, 0.2, 0.7]])
X = np.arange(12.0).reshape(4, 3)


def _refused(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)
    return info.value


# ------------------------------------------------------------------ 1: silently wrong shapes


def test_pad_refuses_padding_a_0d_input_instead_of_dropping_it():
    _refused(lambda: F.pad(Tensor(0.5), (1, 1)), ValueError,
             r"pad: a 0-d input has no axis to pad, got pad=\(1, 1\).*x.reshape\(1\)")
    assert F.pad(Tensor(0.5), ()).item() == 0.5  # nothing to pad: as PyTorch's
    assert F.pad(Tensor([1.0]), (1, 1)).shape == (3,)


@pytest.mark.parametrize("shape, error, match", [
    ((), ValueError, r"layer_norm: normalized_shape must name at least one axis, got \(\)"),
    (1.5, TypeError, r"layer_norm: normalized_shape must be an int or a tuple of ints .*got 1.5"),
    (None, TypeError, r"layer_norm: normalized_shape must be an int or a tuple of ints.*None"),
    ("3", TypeError, r"layer_norm: normalized_shape must be an int or a tuple of ints.*'3'"),
])
def test_layer_norm_refuses_a_normalized_shape_that_names_no_axes(shape, error, match):
    _refused(lambda: F.layer_norm(Tensor(A), shape), error, match)


def test_layer_norm_and_batch_norm_refuse_a_negative_eps():
    _refused(lambda: F.layer_norm(Tensor(A), 3, eps=-1.0), ValueError,
             r"layer_norm: eps must be >= 0, got -1.0")
    _refused(lambda: F.layer_norm(Tensor(A), 3, eps="x"), TypeError,
             r"layer_norm: eps must be a number, got str 'x'")


# ------------------------------------------------------------------ 2: linear's arguments


@pytest.mark.parametrize("weight, match", [
    (None, r"^linear: weight must be a Tensor, got None; pass a tensor of numbers"),
    ("abc", r"^linear: weight must be a Tensor, got str 'abc'; pass a tensor of numbers"),
    ({}, r"^linear: weight must be a Tensor, got dict \{\}"),
])
def test_linear_names_a_weight_that_is_no_tensor(weight, match):
    _refused(lambda: F.linear(Tensor(A), weight), TypeError, match)


def test_linear_names_an_input_or_bias_that_is_no_numbers():
    _refused(lambda: F.linear("abc", tg.ones(4, 3)), TypeError,
             r"^linear: input must be a Tensor, got str 'abc'; pass a tensor of numbers")
    _refused(lambda: F.linear(Tensor(A), tg.ones(4, 3), "x"), TypeError,
             r"linear: bias must be a Tensor, got str 'x'; pass a tensor of numbers "
             r"\(tg.tensor\(...\)\), or bias=None to leave it out")
    np.testing.assert_allclose(F.linear(Tensor(A), [[1.0, 2.0, 3.0]]).numpy(),
                               A @ np.array([[1.0], [2.0], [3.0]]))  # a list: a constant


# ------------------------------------------------------------------ 3: glu's dim


@pytest.mark.parametrize("dim, error, match", [
    (1.5, TypeError, r"glu: dim must be an int, got float 1.5"),
    (None, TypeError, r"glu: dim must be an int, got NoneType None"),
    (True, TypeError, r"glu: dim must be an int, got bool True"),
    (5, IndexError, r"glu: dim 5 is out of range for an input with 2 dimension\(s\)"),
])
def test_glu_refuses_a_dim_that_is_no_axis(dim, error, match):
    err = _refused(lambda: F.glu(Tensor(np.ones((2, 4))), dim), error, match)
    if error is IndexError:
        assert isinstance(err, ValueError)  # NumPy's AxisError: both, as the ops' axes


def test_softmax_softmin_and_glu_layers_refuse_a_dim_when_built():
    _refused(lambda: nn.GLU(1.5), TypeError, r"GLU: dim must be an int, got float 1.5")
    _refused(lambda: nn.Softmin(1.5), TypeError, r"Softmin: dim must be an int or None")
    _refused(lambda: nn.Softmax("a"), TypeError, r"Softmax: dim must be an int or None")
    _refused(lambda: nn.LogSoftmax(0.5), TypeError, r"LogSoftmax: dim must be an int or None")
    _refused(lambda: F.softmin(Tensor(A), 1.5), TypeError, r"softmin: dim must be an int or None")
    _refused(lambda: nn.Flatten("a"), TypeError, r"Flatten: dim must be an int, got str 'a'")
    assert nn.Softmin().dim is None and nn.Softmax(None).dim is None


# ------------------------------------------------------------------ 4: numbers of losses, Hardtanh


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.huber_loss(Tensor(A), Tensor(A), delta="x"), TypeError,
     r"huber_loss: delta must be a number, got str 'x'"),
    (lambda: F.huber_loss(Tensor(A), Tensor(A), delta=None), TypeError,
     r"huber_loss: delta must be a number, got NoneType None"),
    (lambda: F.huber_loss(Tensor(A), Tensor(A), delta=math.nan), ValueError,
     r"huber_loss: delta must be > 0, got nan"),
    (lambda: F.smooth_l1_loss(Tensor(A), Tensor(A), beta="x"), TypeError,
     r"smooth_l1_loss: beta must be a number, got str 'x'"),
    (lambda: nn.HuberLoss(delta="x"), TypeError, r"HuberLoss: delta must be a number"),
    (lambda: nn.HuberLoss(delta=-1.0), ValueError, r"HuberLoss: delta must be > 0, got -1.0"),
    (lambda: nn.SmoothL1Loss(beta="x"), TypeError, r"SmoothL1Loss: beta must be a number"),
    (lambda: nn.SmoothL1Loss(beta=-1.0), ValueError, r"SmoothL1Loss: beta must be >= 0"),
])
def test_huber_and_smooth_l1_refuse_a_delta_or_beta_that_is_no_number(call, error, match):
    _refused(call, error, match)


def test_hardtanh_layer_refuses_bounds_that_are_no_numbers_or_not_increasing():
    _refused(lambda: nn.Hardtanh(min_val="x"), TypeError,
             r"Hardtanh: min_val must be a number, got str 'x'")
    _refused(lambda: nn.Hardtanh(max_val=None), TypeError, r"Hardtanh: max_val must be a number")
    _refused(lambda: nn.Hardtanh(-1.0, -1.0), ValueError,
             r"Hardtanh: min_val -1.0 equals max_val -1.0; max_val must be greater")
    _refused(lambda: nn.Hardtanh(1.0, -1.0), ValueError, r"Hardtanh: min_val 1.0 is above max_val")
    assert F.hardtanh(Tensor(A), -1.0, -1.0).numpy().tolist() == [[-1.0] * 3] * 2  # PyTorch's


# ------------------------------------------------------------------ 5 to 7: layers' constructors


@pytest.mark.parametrize("shape, error, match", [
    (1.5, TypeError, r"LayerNorm: normalized_shape must be an int or a tuple of ints.*got 1.5"),
    (None, TypeError, r"LayerNorm: normalized_shape must be an int or a tuple of ints.*None"),
    ((), ValueError, r"LayerNorm: normalized_shape must name at least one axis"),
    ((3, -1), ValueError, r"LayerNorm: normalized_shape must be a non-negative int, got -1"),
])
def test_layer_norm_layer_refuses_a_bad_normalized_shape(shape, error, match):
    _refused(lambda: nn.LayerNorm(shape), error, match)


def test_layer_norm_and_batch_norm_layers_refuse_a_bad_eps_or_momentum():
    _refused(lambda: nn.LayerNorm(3, eps=-1.0), ValueError, r"LayerNorm: eps must be >= 0")
    _refused(lambda: nn.BatchNorm1d(3, eps=-1.0), ValueError, r"BatchNorm1d: eps must be >= 0")
    _refused(lambda: nn.BatchNorm2d(3, eps="x"), TypeError, r"BatchNorm2d: eps must be a number")
    _refused(lambda: nn.BatchNorm1d(3, momentum="x"), TypeError,
             r"BatchNorm1d: momentum must be a number, got str 'x'")
    assert nn.BatchNorm1d(3, momentum=None).momentum is None  # plain averages


@pytest.mark.parametrize("call, match", [
    (lambda: nn.Conv2d(2, 3, kernel_size=0), r"Conv2d: kernel_size must be an int or a pair of "
                                             r"ints >= 1, got 0"),
    (lambda: nn.Conv2d(2, 3, kernel_size=(0, 2)), r"Conv2d: kernel_size .* >= 1, got \(0, 2\)"),
    (lambda: nn.Conv2d(2, 3, 3, stride=0), r"Conv2d: stride must be an int or a pair of ints >= 1"),
    (lambda: nn.MaxPool2d(0), r"MaxPool2d: kernel_size must be an int or a pair of ints >= 1"),
    (lambda: nn.AvgPool2d(2, stride=0), r"AvgPool2d: stride must be an int or a pair of ints >= 1"),
    (lambda: nn.MaxPool2d(2, padding=-1), r"MaxPool2d: padding must be an int or a pair of ints "
                                          r">= 0"),
])
def test_convolution_and_pooling_refuse_an_empty_kernel_or_stride_when_built(call, match):
    _refused(call, ValueError, match)


def test_conv2d_names_a_kernel_size_that_is_no_int():
    _refused(lambda: nn.Conv2d(2, 3, kernel_size=1.5), TypeError,
             r"Conv2d: kernel_size must be an int or a pair of ints, got float 1.5")
    assert repr(nn.MaxPool2d(2)) == ("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                                     "ceil_mode=False)")


@pytest.mark.parametrize("init", ["x", None, [1.0, 2.0]])
def test_prelu_refuses_an_init_that_is_no_number(init):
    _refused(lambda: nn.PReLU(init=init), TypeError, r"PReLU: init must be a number")


def test_embedding_refuses_a_padding_idx_that_is_no_int():
    _refused(lambda: nn.Embedding(3, 2, padding_idx="a"), TypeError,
             r"Embedding: padding_idx must be an int \(a row\) or None, got str 'a'")
    _refused(lambda: nn.Embedding(3, 2, padding_idx=1.5), TypeError,
             r"Embedding: padding_idx must be an int")


def test_layer_sizes_that_are_no_ints_are_type_errors():
    _refused(lambda: nn.Linear(2, 2.5), TypeError,
             r"Linear: out_features must be a non-negative int")
    _refused(lambda: nn.Linear(-1, 2), ValueError,
             r"Linear: in_features must be a non-negative int")


# ------------------------------------------------------------------ 8: batch_norm, cosine, softmin


def test_batch_norm_refuses_a_negative_eps_instead_of_returning_inf():
    running = (tg.zeros(3), tg.ones(3))
    _refused(lambda: F.batch_norm(Tensor(A), *running, eps=-1.0), ValueError,
             r"batch_norm: eps must be >= 0, got -1.0")
    _refused(lambda: F.batch_norm(Tensor(A), *running, training=True, eps=0.0), ValueError,
             r"batch_norm: eps in training must be > 0, got 0.0")
    _refused(lambda: F.batch_norm(Tensor(A), *running, eps="x"), TypeError,
             r"batch_norm: eps must be a number, got str 'x'")


@pytest.mark.parametrize("training", [False, True])
def test_batch_norm_refuses_a_momentum_that_is_no_number(training):
    _refused(lambda: F.batch_norm(Tensor(A), tg.zeros(3), tg.ones(3), training=training,
                                  momentum="x"), TypeError,
             r"batch_norm: momentum must be a number, got str 'x'")


@pytest.mark.parametrize("eps, error, match", [
    (-1.0, ValueError, r"cosine_similarity: eps must be >= 0, got -1.0"),
    (math.nan, ValueError, r"cosine_similarity: eps must be >= 0, got nan"),
    ("x", TypeError, r"cosine_similarity: eps must be a number, got str 'x'"),
])
def test_cosine_similarity_refuses_a_bad_eps(eps, error, match):
    _refused(lambda: F.cosine_similarity(Tensor(A), Tensor(A), eps=eps), error, match)


def test_normalize_refuses_a_bad_eps_or_dim_in_its_own_name():
    _refused(lambda: F.normalize(Tensor(A), eps=-1.0), ValueError, r"normalize: eps must be >= 0")
    _refused(lambda: F.normalize(Tensor(0.5)), IndexError,
             r"normalize: dim 1 is out of range for an input with 0 dimension\(s\)")
    _refused(lambda: F.normalize(Tensor(A), dim=1.5), TypeError, r"normalize: dim must be an int")


def test_cosine_similarity_broadcasts_first_as_pytorchs():
    # a 0-d x1 against (4, 5): PyTorch broadcasts, then takes the cosine along dim 1
    np.testing.assert_allclose(F.cosine_similarity(Tensor(0.5), tg.ones(4, 5)).numpy(),
                               np.ones(4))
    # an x1 of size 1 along dim broadcasts along it before its norm is taken
    a, b = np.array([[1.0], [2.0]]), np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expected = (a * b).sum(1) / (np.linalg.norm(np.broadcast_to(a, b.shape), axis=1)
                                 * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(F.cosine_similarity(Tensor(a), Tensor(b)).numpy(), expected)
    _refused(lambda: F.cosine_similarity(Tensor(A), tg.ones(4, 5)), ValueError,
             r"cosine_similarity: x1 of shape \(2, 3\) and x2 of shape \(4, 5\) do not broadcast")
    _refused(lambda: F.cosine_similarity(Tensor(A), Tensor(A), dim=5), IndexError,
             r"cosine_similarity: dim 5 is out of range")


@pytest.mark.parametrize("function", [F.softmin, F.logsigmoid, F.tanhshrink, F.glu])
def test_composed_activations_name_themselves_for_a_bool_input(function):
    mask = tg.from_numpy(np.array([True, False]))
    _refused(lambda: function(mask), TypeError,
             rf"{function.__name__}: the input is a bool tensor; convert it to numbers first")


@pytest.mark.parametrize("layer", [nn.Linear(2, 3), nn.LayerNorm(2), nn.BatchNorm1d(2),
                                   nn.Conv2d(2, 3, 1), nn.Flatten()])
def test_layers_name_themselves_for_an_input_that_is_no_numbers(layer):
    _refused(lambda: layer("abc"), TypeError,
             rf"^{type(layer).__name__}\(.*\): input must be a Tensor, got str 'abc'; ")


def test_losses_and_functions_name_themselves_for_data_that_is_no_numbers():
    _refused(lambda: F.mse_loss("abc", Tensor(A)), TypeError,
             r"mse_loss: input must be a Tensor, got str 'abc'")
    _refused(lambda: F.l1_loss(Tensor(A), "abc"), TypeError,
             r"l1_loss: target must be a Tensor, got str 'abc'")
    _refused(lambda: F.prelu(Tensor(A), None), TypeError,
             r"prelu: weight must be a Tensor, got None")
    _refused(lambda: F.binary_cross_entropy(Tensor(A), Tensor(A), weight="x"), TypeError,
             r"binary_cross_entropy: weight must be a Tensor, got str 'x'")
    _refused(lambda: F.cross_entropy(Tensor(A), [0, 1], weight="abc"), TypeError,
             r"cross_entropy: weight must be a Tensor, got str 'abc'")


def test_dropout_refuses_a_training_flag_that_is_no_bool():
    _refused(lambda: F.dropout(Tensor(A), 0.5, training="no"), TypeError,
             r"dropout: training must be True or False, got str 'no'")


# ------------------------------------------------------------------ 9: optimizers


def test_optimizer_load_state_dict_refuses_what_is_no_state_dict():
    sgd = tg.optim.SGD([tg.Tensor([1.0], requires_grad=True)], lr=0.1)
    _refused(lambda: sgd.load_state_dict("x"), TypeError,
             r"SGD.load_state_dict: expected the dict of optimizer.state_dict\(\).*got str")
    _refused(lambda: sgd.load_state_dict({"state": 1, "param_groups": 2}), ValueError,
             r"SGD.load_state_dict: 'state' must be a dict of dicts and 'param_groups' a list")
    _refused(lambda: sgd.load_state_dict({"state": {}, "param_groups": [{}]}), ValueError,
             r"'param_groups' a list of dicts with a 'params' list")
    _refused(lambda: sgd.load_state_dict({"state": {"a": {}}, "param_groups": [{"params": [0]}]}),
             ValueError, r"SGD.load_state_dict: state for parameter 'a', but this optimizer has 1")
    assert sgd.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("optimizer", [tg.optim.SGD, tg.optim.Adam, tg.optim.RMSprop])
def test_optimizers_refuse_an_integer_parameter_when_built(optimizer):
    _refused(lambda: optimizer([tg.from_numpy(np.array([1, 2]))], lr=0.1), TypeError,
             rf"{optimizer.__name__}: parameter 0 \(shape \(2,\)\) has dtype int64; only "
             rf"floating-point tensors can be optimized")


def test_an_integer_gradient_of_a_float_parameter_steps_as_its_float_value():
    # (.grad = converts it to the parameter's dtype: the step is exact, not refused)
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    sgd = tg.optim.SGD([w], lr=0.5)
    w.grad = tg.from_numpy(np.array([1, 2]))
    sgd.step()
    np.testing.assert_array_equal(w.numpy(), [0.5, 1.0])


# ------------------------------------------------------------------ 10: datasets and loader


@pytest.mark.parametrize("index, error, match", [
    (99, IndexError, r"TensorDataset: index 99 is out of range for 4 samples; use 0 to 3"),
    (-5, IndexError, r"TensorDataset: index -5 is out of range for 4 samples"),
    ([0, 9], IndexError, r"TensorDataset: index \[0, 9\] is out of range"),
    ("a", TypeError, r"TensorDataset: an index must be an int, a slice or a list of ints, got "
                     r"str 'a'"),
    (1.5, TypeError, r"TensorDataset: an index must be an int.*got float 1.5"),
])
def test_tensor_dataset_restates_a_bad_index(index, error, match):
    _refused(lambda: D.TensorDataset(X)[index], error, match)


def test_tensor_dataset_still_takes_ints_slices_and_lists_and_ends_a_loop():
    dataset = D.TensorDataset(X)
    assert dataset[np.int64(1)][0].numpy().tolist() == [3.0, 4.0, 5.0]
    assert dataset[1:3][0].shape == (2, 3) and dataset[[0, 2]][0].shape == (2, 3)
    assert len(list(dataset)) == 4  # a for loop still ends at the IndexError


@pytest.mark.parametrize("indices", [[1.5], ["a"], 5, [[0, 1]]])
def test_subset_refuses_indices_that_are_no_ints(indices):
    _refused(lambda: D.Subset(D.TensorDataset(X), indices), TypeError,
             r"Subset: indices must be a sequence of ints \(positions in the dataset\)")


def test_subset_refuses_positions_outside_the_dataset_and_names_a_bad_index():
    _refused(lambda: D.Subset(D.TensorDataset(X), [0, 99, 1]), IndexError,
             r"Subset: indices must lie in \[-4, 3\] for a dataset of 4 samples, got 0 to 99")
    subset = D.Subset(D.TensorDataset(X), np.array([3, 1]))
    _refused(lambda: subset[5], IndexError, r"Subset: index 5 is out of range for 2 samples")
    _refused(lambda: subset["a"], TypeError, r"Subset: an index must be an int")
    assert [row[0].numpy()[0] for row in subset] == [9.0, 3.0]
    assert subset[[0, 1]][0].shape == (2, 3)  # a list of positions, as PyTorch's


@pytest.mark.parametrize("flag", ["drop_last", "shuffle"])
@pytest.mark.parametrize("value", ["no", 1, None])
def test_data_loader_refuses_a_flag_that_is_no_bool(flag, value):
    if flag == "shuffle" and value is None:
        assert D.DataLoader(X, shuffle=None).shuffle is False  # PyTorch's default
        return
    _refused(lambda: D.DataLoader(X, batch_size=3, **{flag: value}), ValueError,
             rf"DataLoader: {flag} should be a boolean value, True or False, but got "
             rf"{flag}={value!r}")


@pytest.mark.parametrize("lengths", ["ab", 5, [2, None]])
def test_random_split_refuses_lengths_that_are_no_numbers(lengths):
    _refused(lambda: D.random_split(D.TensorDataset(X), lengths), TypeError,
             r"random_split: lengths must be a sequence of whole numbers")


# ------------------------------------------------------------------ 11: gradcheck's arguments


def _x():
    return tg.Tensor([1.0, 2.0], requires_grad=True)


def test_gradcheck_refuses_a_function_that_is_not_callable():
    _refused(lambda: tg.gradcheck("x", [_x()]), TypeError,
             r"gradcheck: fn must be a function returning a Tensor, got str 'x'")
    _refused(lambda: tg.gradcheck(lambda x: x * 2, 5), TypeError,
             r"gradcheck: inputs must be a Tensor or a sequence of them")


@pytest.mark.parametrize("setting, error, match", [
    (dict(eps=0), ValueError, r"gradcheck: eps must be a finite number > 0, got 0"),
    (dict(eps=math.nan), ValueError, r"gradcheck: eps must be a finite number > 0, got nan"),
    (dict(eps=-1e-6), ValueError, r"gradcheck: eps must be a finite number > 0"),
    (dict(eps="x"), TypeError, r"gradcheck: eps must be a number, got str 'x'"),
    (dict(atol=-1.0), ValueError, r"gradcheck: atol must be a finite number >= 0, got -1.0"),
    (dict(atol=math.inf), ValueError, r"gradcheck: atol must be a finite number >= 0, got inf"),
    (dict(rtol=math.nan), ValueError, r"gradcheck: rtol must be a finite number >= 0, got nan"),
    (dict(rtol="x"), TypeError, r"gradcheck: rtol must be a number"),
    (dict(fast_mode="x"), TypeError, r"gradcheck: fast_mode must be True or False \(or None"),
    (dict(raise_exception="no"), TypeError, r"gradcheck: raise_exception must be True or False"),
    (dict(seed="x"), TypeError, r"gradcheck: seed must be an int >= 0"),
])
def test_gradcheck_refuses_a_bad_setting_instead_of_blaming_the_gradient(setting, error, match):
    _refused(lambda: tg.gradcheck(lambda x: x * 2, [_x()], **setting), error, match)
    assert tg.gradcheck(lambda x: x * 2, [_x()], eps=1e-6, atol=0, rtol=1e-3)
