"""PyTorch's lines, typed into tinygrad_gd: each runs as in PyTorch or is refused in one line
that says what to write; none computes something else silently.

Positional arguments in PyTorch's order (optimizers, Conv2d), `train("False")`, softmax
without a dim, `max(1, keepdim=True)`, `register_hook`'s handle, PyTorch's idioms on
`.data` (a NumPy array here), tensors given to a module's constructor, and `torch.load`'s
keywords.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.nn import functional as F

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
X4 = np.arange(24.0).reshape(2, 3, 2, 2) / 10


def _sgd_run(make, torch_make, steps=3):
    """Three steps of our optimizer and torch's from the same start: the weights after."""
    torch = pytest.importorskip("torch")
    start = np.array([1.0, -2.0, 3.0])
    w = tg.Tensor(start.copy(), requires_grad=True)
    tw = torch.tensor(start.copy(), requires_grad=True)
    ours, theirs = make([w]), torch_make([tw])
    for _ in range(steps):
        ours.zero_grad()
        theirs.zero_grad()
        (w * w * w).sum().backward()
        (tw * tw * tw).sum().backward()
        ours.step()
        theirs.step()
    return w.data, tw.detach().numpy()


# ------------------------------------------------------------------ 1: optimizers


def test_sgd_positional_arguments_are_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = _sgd_run(lambda p: optim.SGD(p, 0.01, 0.9, 0, 1e-2),
                            lambda p: torch.optim.SGD(p, 0.01, 0.9, 0, 1e-2))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    ours, theirs = _sgd_run(lambda p: optim.SGD(p, 0.01, 0.9, 0, 1e-2, True),
                            lambda p: torch.optim.SGD(p, 0.01, 0.9, 0, 1e-2, True))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_sgd_refuses_a_nesterov_that_is_no_bool():
    w = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"SGD: nesterov must be True or False, got 0\.01 .*"
                                        r"weight_decay, nesterov"):
        optim.SGD([w], 0.01, 0.9, 0, 0.0, 0.01)


def test_optimizer_defaults_and_positional_order_are_pytorchs():
    torch = pytest.importorskip("torch")
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        ours = inspect.signature(getattr(optim, name)).parameters
        names = list(ours)
        assert names == list(theirs)[:len(names)], name
        for key in names[1:]:
            default = theirs[key].default
            assert ours[key].default == (tuple(default) if isinstance(default, tuple)
                                         else default), (name, key)
    ours, theirs = _sgd_run(lambda p: optim.SGD(p), lambda p: torch.optim.SGD(p))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)  # lr=1e-3 by default


def test_optimizers_take_named_parameters_and_keep_the_names():
    torch = pytest.importorskip("torch")
    model = nn.Linear(3, 2, seed=0)
    twin = torch.nn.Linear(3, 2).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    ours = optim.SGD(model.named_parameters(), lr=0.1)
    theirs = torch.optim.SGD(twin.named_parameters(), lr=0.1)
    assert ours.param_groups[0]["param_names"] == theirs.param_groups[0]["param_names"]
    x = np.array([[1.0, 2.0, 3.0]])
    model(tg.Tensor(x)).sum().backward()
    twin(torch.tensor(x)).sum().backward()
    ours.step()
    theirs.step()
    np.testing.assert_allclose(model.weight.data, twin.weight.detach().numpy(), rtol=1e-12)
    assert ours.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(TypeError, match=r"SGD: parameter 1 is a tuple, not a Tensor; give "
                                        r"tensors \(model.parameters\(\)\) or only"):
        optim.SGD([model.weight, ("bias", model.bias)], lr=0.1)


def test_a_learning_rate_may_be_a_one_element_tensor():
    torch = pytest.importorskip("torch")

    def ours(params):
        opt = optim.SGD(params, lr=0.1)
        opt.param_groups[0]["lr"] = tg.Tensor(0.01)
        return opt

    def theirs(params):
        opt = torch.optim.SGD(params, lr=0.1)
        opt.param_groups[0]["lr"] = torch.tensor(0.01, dtype=torch.float64)
        return opt

    mine, torchs = _sgd_run(ours, theirs)
    np.testing.assert_allclose(mine, torchs, rtol=1e-12)
    w = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD: lr must be a number or a 1-element tensor, got "
                                         r"a tensor of shape \(2,\)"):
        optim.SGD([w], lr=tg.Tensor([0.1, 0.2]))


# ------------------------------------------------------------------ 2: Conv2d


def test_conv2d_positional_arguments_are_pytorchs():
    torch = pytest.importorskip("torch")
    layer = nn.Conv2d(1, 2, 3, 1, 1, 1, 1, False)
    assert layer.bias is None  # the 8th argument, as torch's
    assert (torch.nn.Conv2d(1, 2, 3, 1, 1, 1, 1, False).bias is None)
    ours = nn.Conv2d(2, 4, 3, 1, 1, 2, 2, True, "reflect")  # dilation, groups, padding_mode
    theirs = torch.nn.Conv2d(2, 4, 3, 1, 1, 2, 2, True, "reflect")
    assert (ours.dilation, ours.groups, ours.padding_mode) == (
        theirs.dilation, theirs.groups, theirs.padding_mode)
    assert ours.weight.shape == tuple(theirs.weight.shape) == (4, 1, 3, 3)
    # the supported values, as ints or pairs, give the same layer as before
    x = tg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    plain = nn.Conv2d(1, 2, 3, padding=1, seed=3)
    same = nn.Conv2d(1, 2, 3, 1, 1, (1, 1), 1, True, "zeros", seed=3)
    np.testing.assert_array_equal(plain(x).data, same(x).data)


def test_embedding_takes_pytorchs_max_norm_position():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Embedding(10, 3, 0, 5.0), torch.nn.Embedding(10, 3, 0, 5.0)
    assert ours.max_norm == theirs.max_norm == 5.0 and repr(ours) == repr(theirs)


# ------------------------------------------------------------------ 3: train("False")


def test_train_refuses_a_mode_that_is_no_bool():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    with pytest.raises(ValueError, match=r"Sequential.train: the training mode is expected to "
                                         r"be True or False, got str 'False'"):
        model.train("False")
    assert model.train(False).training is False and model[1].training is False
    assert model.train(np.bool_(True)).training is True


# ------------------------------------------------------------------ 4: softmax without dim


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_without_dim_is_pytorchs_on_one_or_two_axes(name, shape):
    torch = pytest.importorskip("torch")
    x = np.linspace(-1, 2, int(np.prod(shape))).reshape(shape)
    module = {"softmax": nn.Softmax, "log_softmax": nn.LogSoftmax, "softmin": nn.Softmin}[name]
    torch_module = getattr(torch.nn, module.__name__)
    with pytest.warns(UserWarning):  # torch's implicit dim is deprecated
        expected = getattr(torch.nn.functional, name)(torch.tensor(x)).numpy()
        expected_module = torch_module()(torch.tensor(x)).numpy()
    np.testing.assert_allclose(getattr(F, name)(tg.Tensor(x)).data, expected, rtol=1e-12)
    np.testing.assert_allclose(module()(tg.Tensor(x)).data, expected_module, rtol=1e-12)


@pytest.mark.parametrize("shape, implicit", [((2, 3, 4), 0), ((2, 3, 2, 2), 1)])
def test_softmax_without_dim_is_refused_beyond_two_axes(shape, implicit):
    x = tg.Tensor(np.ones(shape))
    message = (rf"no dim given for an input of {len(shape)} dimensions .*give dim=, e\.g\. "
               rf"dim=-1 for the last axis \(PyTorch's implicit choice here would be "
               rf"dim={implicit}\)")
    for call in (lambda: nn.Softmax()(x), lambda: F.softmax(x), lambda: tg.softmax(x),
                 lambda: x.softmax(), lambda: nn.LogSoftmax()(x), lambda: F.log_softmax(x)):
        with pytest.raises(ValueError, match=r"softmax: " + message):
            call()
    for call in (lambda: nn.Softmin()(x), lambda: F.softmin(x)):
        with pytest.raises(ValueError, match=r"softmin: " + message):
            call()
    assert nn.Softmax(dim=1)(x).shape == shape and repr(nn.Softmax()) == "Softmax(dim=None)"


# ------------------------------------------------------------------ 5: max and min


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_with_keepdim_gives_values_and_indices_as_pytorch(name):
    torch = pytest.importorskip("torch")
    ours = getattr(tg.Tensor(A), name)(1, keepdim=True)
    theirs = getattr(torch.tensor(A), name)(1, keepdim=True)
    np.testing.assert_array_equal(ours[0].data, theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].data, theirs[1].numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    # NumPy's spellings still give the values; a position alone is PyTorch's dim
    np.testing.assert_array_equal(getattr(tg.Tensor(A), name)(axis=1, keepdims=True).data,
                                  getattr(A, name)(1, keepdims=True))
    np.testing.assert_array_equal(getattr(tg.Tensor(A), name)(axis=1).data, getattr(A, name)(1))
    np.testing.assert_array_equal(getattr(tg.Tensor(A), name)(1).values.data,
                                  getattr(torch.tensor(A), name)(1).values.numpy())


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_of_two_tensors_is_the_elementwise_maximum_as_pytorchs(name):
    """PyTorch's torch.max(a, b) of two tensors is torch.maximum(a, b) (it was refused)."""
    a, b = tg.Tensor(A, requires_grad=True), tg.Tensor(-A[:1])
    out = getattr(tg, name)(a, b)
    np.testing.assert_array_equal(out.data, getattr(np, f"{name}imum")(A, -A[:1]))
    np.testing.assert_array_equal(getattr(a, name)(other=b).data, out.data)
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.data, (out.data == A).astype(float))


# ------------------------------------------------------------------ 6: register_hook


def test_register_hook_returns_a_handle_with_remove():
    torch = pytest.importorskip("torch")
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    handle, torch_handle = w.register_hook(lambda g: g * 10), tw.register_hook(lambda g: g * 10)
    (w * w).sum().backward()
    (tw * tw).sum().backward()
    np.testing.assert_array_equal(w.grad.data, tw.grad.numpy())
    handle.remove()
    torch_handle.remove()
    w.grad, tw.grad = None, None
    (w * w).sum().backward()
    (tw * tw).sum().backward()
    np.testing.assert_array_equal(w.grad.data, tw.grad.numpy())
    handle.remove()  # a second removal does nothing
    with w.register_hook(lambda g: g * 0):  # leaving the block removes it
        pass
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])


# ------------------------------------------------------------------ 7: `.data` idioms


@pytest.mark.parametrize("line, numpy", [
    (lambda w: w.grad.data.zero_(), r"t\.data\[\.\.\.\] = 0"),
    (lambda w: w.data.sub_(w.grad.data * 0.1), r"t\.data -= x"),
    (lambda w: w.data.fill_(0.01), r"t\.data\[\.\.\.\] = value"),
    (lambda w: w.data.norm(), r"np\.linalg\.norm\(t\.data\)"),
])
def test_pytorch_idioms_on_data_say_it_is_a_numpy_array(line, numpy):
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    w.grad = tg.Tensor([1.0, 1.0])
    with pytest.raises(AttributeError, match=r"is a Tensor's, but \.data is a NumPy array here "
                                             r"\(a Tensor in PyTorch\): use the tensor itself, "
                                             r".*" + numpy):
        line(w)
    with pytest.raises(AttributeError, match=r"^'TrackedArray' object has no attribute 'nope'$"):
        w.data.nope
    np.testing.assert_array_equal(w.data, [1.0, 2.0])  # nothing written


def test_nn_init_given_data_says_to_pass_the_tensor():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"normal_: expected a Tensor .*got TrackedArray; pass "
                                        r"the tensor itself, nn\.init\.normal_\(m\.weight"):
        nn.init.normal_(layer.weight.data, 0, 0.02)


# ------------------------------------------------------------------ 8: tensors to a constructor


@pytest.mark.parametrize("build, call", [
    (lambda p, y: nn.MSELoss(p, y), r"nn\.MSELoss\(\)\(input, target\)"),
    (lambda p, y: nn.MSELoss(p), r"nn\.MSELoss\(\)\(input, target\)"),
    (lambda p, y: nn.Sigmoid(p), r"nn\.Sigmoid\(\)\(input\)"),
    (lambda p, y: nn.CrossEntropyLoss(p, y), r"nn\.CrossEntropyLoss\(\)\(input, target\)"),
    (lambda p, y: nn.L1Loss(p, y), r"nn\.L1Loss\(\)\(input, target\)"),
])
def test_tensors_given_to_a_constructor_say_to_build_then_call(build, call):
    p, y = tg.Tensor([0.2, 0.8]), tg.Tensor([0.0, 1.0])
    with pytest.raises(TypeError, match=r"the constructor takes settings, not tensors; build "
                                        r"the module first, then call it on the tensors: "
                                        + call):
        build(p, y)
    assert nn.MSELoss()(p, y).item() == pytest.approx(0.04)


# ------------------------------------------------------------------ 9: torch.load's keywords


def test_load_accepts_pytorchs_keywords(tmp_path):
    model = nn.Linear(2, 3, seed=0)
    path = tmp_path / "model.npz"
    tg.save(model.state_dict(), path)
    for keywords in ({"weights_only": True}, {"weights_only": False},
                     {"map_location": "cpu"}, {"map_location": None}):
        state = tg.load(path, **keywords)
        np.testing.assert_array_equal(state["weight"], model.weight.data)
    with pytest.raises(ValueError, match=r"load: map_location='cuda' is not supported; arrays "
                                         r"here are on the CPU: give None or 'cpu'"):
        tg.load(path, map_location="cuda")


# ------------------------------------------------------------------ 10: positional arguments
# A PyTorch or NumPy user's positional call: what the other library's argument means there
# either works as there or is refused in one line; never a different result.

UNSORTED = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, 4.0, 5.0]])  # (ties: order kept)


@pytest.mark.parametrize("descending", [True, False])
def test_sort_and_argsort_read_a_bool_third_argument_as_pytorchs_descending(descending):
    x = tg.tensor(UNSORTED)
    order = np.argsort(-UNSORTED if descending else UNSORTED, axis=-1, kind="stable")
    np.testing.assert_array_equal(tg.sort(x, -1, descending).numpy(),
                                  np.take_along_axis(UNSORTED, order, -1))
    np.testing.assert_array_equal(tg.argsort(x, -1, descending).numpy(), order)
    np.testing.assert_array_equal(x.argsort(-1, descending).numpy(), order)


@pytest.mark.torch
def test_sort_and_argsort_with_a_bool_third_argument_match_torch():
    torch = pytest.importorskip("torch")
    x, t = tg.tensor(UNSORTED), torch.tensor(UNSORTED)
    for descending in (True, False):
        values, indices = torch.sort(t, dim=-1, descending=descending, stable=True)
        np.testing.assert_array_equal(tg.sort(x, -1, descending).numpy(), values.numpy())
        np.testing.assert_array_equal(tg.argsort(x, -1, descending).numpy(),
                                      torch.argsort(t, dim=-1, descending=descending,
                                                    stable=True).numpy())
        np.testing.assert_array_equal(x.argsort(-1, descending).numpy(), indices.numpy())


@pytest.mark.parametrize("kind", ["stable", "quicksort", "mergesort", "heapsort"])
def test_sort_and_argsort_read_a_string_third_argument_as_numpys_kind(kind):
    x = tg.tensor(UNSORTED)
    np.testing.assert_array_equal(tg.sort(x, -1, kind).numpy(), np.sort(UNSORTED, -1, kind))
    np.testing.assert_array_equal(tg.argsort(x, -1, kind).numpy(),
                                  np.argsort(UNSORTED, -1, "stable"))
    np.testing.assert_array_equal(x.argsort(-1, kind).numpy(), np.argsort(UNSORTED, -1, "stable"))
    np.testing.assert_array_equal(tg.argsort(x, kind=kind).numpy(),
                                  np.argsort(UNSORTED, -1, "stable"))


@pytest.mark.parametrize("call", [lambda x: tg.sort(x, 0, "bogus"),
                                  lambda x: tg.argsort(x, 0, "bogus"),
                                  lambda x: x.argsort(0, 1)])
def test_sort_and_argsort_refuse_another_third_argument_in_one_line(call):
    with pytest.raises(TypeError) as info:
        call(tg.tensor(UNSORTED))
    message = str(info.value)
    assert "\n" not in message and "descending (True or False)" in message
    assert "NumPy's kind" in message and "sort" in message


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "logsumexp", "max", "min", "argmax",
                                  "argmin"])
@pytest.mark.parametrize("third", [np.float32, "no", 1])
def test_reductions_refuse_a_third_argument_that_is_not_a_bool(name, third):
    x = tg.tensor(A)
    with pytest.raises(TypeError, match=rf"^{name}: keepdims must be True or False, got "
                                        r"[^\n]*pass keepdims=True/False$"):
        getattr(tg, name)(x, 0, third)
    with pytest.raises(TypeError, match=rf"^{name}: keepdims must be True or False"):
        getattr(x, name)(0, keepdim=third)
    result = getattr(tg, name)(x, 0, np.True_)  # (NumPy's bool too; max and min: a pair)
    assert (result[0] if name in ("max", "min") else result).shape == (1, 3)


def test_count_nonzero_refuses_a_keepdims_that_is_not_a_bool():
    assert tg.count_nonzero(tg.tensor(A), 0, True).shape == (1, 3)
    with pytest.raises(TypeError, match=r"^count_nonzero: keepdims must be True or False, got "
                                        r"str 'no'"):
        tg.count_nonzero(tg.tensor(A), 0, "no")


def test_sum_given_numpys_dtype_says_to_cast_first():
    with pytest.raises(TypeError, match=r"sum: keepdims must be True or False, got the type "
                                        r"float32; .*NumPy's is dtype: cast first "
                                        r"\(x\.to\(np\.float32\)\.sum\(0\)\)"):
        tg.sum(tg.tensor(A), 0, np.float32)
    with pytest.raises(TypeError, match=r"keepdims must be True or False"):
        np.sum(tg.tensor(A), 0, np.float32)  # (NumPy's own call, handed to tg.sum)


class _Endless:
    """A dataset whose __getitem__ never raises IndexError (np.asarray would read it forever)."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        return np.float64(index)


class _EndlessDataset(_Endless, tg.data.Dataset):
    pass


@pytest.mark.parametrize("make", [lambda: np.zeros((6, 2)), lambda: tg.data.TensorDataset(
    np.zeros((6, 2))), _Endless, _EndlessDataset])
def test_dataloader_refuses_pytorchs_positional_batch_size(make):
    with pytest.raises(TypeError, match=r"^DataLoader: positional argument 2 is the number 4, "
                                        r".*PyTorch's second is batch_size.*"
                                        r"DataLoader\(dataset, batch_size=4\)$"):
        tg.data.DataLoader(make(), 4)


@pytest.mark.parametrize("dataset", [_EndlessDataset,
                                     lambda: tg.data.TensorDataset(np.zeros((6, 2)))])
def test_dataloader_refuses_a_dataset_beside_other_arrays(dataset):
    with pytest.raises(TypeError, match=r"^DataLoader: array 0 is a dataset \(\w+\), not an "
                                        r"array of samples"):
        tg.data.DataLoader(dataset(), np.zeros(6))
    with pytest.raises(TypeError, match=r"^DataLoader: array 1 is a dataset"):
        tg.data.DataLoader(np.zeros(6), dataset())


def test_tensordataset_of_a_dataset_is_refused_and_a_sequence_read_to_its_length():
    with pytest.raises(TypeError, match=r"^TensorDataset: array 0 is a dataset "
                                        r"\(_EndlessDataset\), not an array of samples"):
        tg.data.TensorDataset(_EndlessDataset())
    np.testing.assert_array_equal(tg.data.TensorDataset(_Endless()).arrays[0], np.arange(6.0))


def test_dataloader_takes_pytorchs_dataset_keyword():
    batches = list(tg.data.DataLoader(dataset=_EndlessDataset(), batch_size=4))
    assert [b.numpy().tolist() for b in batches] == [[0, 1, 2, 3], [4, 5]]
    pairs = tg.data.DataLoader(dataset=tg.data.TensorDataset(np.arange(6.0)), batch_size=4)
    assert [xb.numpy().tolist() for (xb,) in pairs] == [[0, 1, 2, 3], [4, 5]]
    with pytest.raises(TypeError, match=r"^DataLoader: dataset= given beside positional"):
        tg.data.DataLoader(np.zeros(6), dataset=_EndlessDataset())


@pytest.mark.parametrize("positional, keyword", [
    (lambda w: F.binary_cross_entropy(tg.full((4,), 0.3), tg.ones(4), w),
     lambda w: F.binary_cross_entropy(tg.full((4,), 0.3), tg.ones(4), weight=w)),
    (lambda w: F.binary_cross_entropy_with_logits(tg.zeros(4), tg.ones(4), w),
     lambda w: F.binary_cross_entropy_with_logits(tg.zeros(4), tg.ones(4), weight=w)),
    (lambda w: nn.BCELoss(w)(tg.full((4,), 0.3), tg.ones(4)),
     lambda w: nn.BCELoss(weight=w)(tg.full((4,), 0.3), tg.ones(4))),
    (lambda w: nn.BCEWithLogitsLoss(w.numpy())(tg.zeros(4), tg.ones(4)),
     lambda w: nn.BCEWithLogitsLoss(weight=w)(tg.zeros(4), tg.ones(4))),
])
def test_bce_family_takes_pytorchs_positional_weight(positional, keyword):
    w = tg.tensor([1.0, 2.0, 3.0, 4.0])
    assert positional(w).item() == keyword(w).item() != keyword(None).item()


def test_mse_loss_given_a_tensor_as_size_average_says_to_pass_reduction():
    with pytest.raises(TypeError, match=r"^mse_loss: size_average \(deprecated\) must be True, "
                                        r"False or None, got a Tensor; pass reduction= by "
                                        r"keyword instead$"):
        F.mse_loss(tg.zeros(4), tg.ones(4), tg.ones(4))


@pytest.mark.parametrize("layer", [nn.AvgPool2d, nn.MaxPool2d])
def test_pools_take_pytorchs_positional_settings_at_their_defaults(layer):
    defaults = (False,) if layer is nn.AvgPool2d else (1, False, False)
    out = layer(2, 2, 0, *defaults)(tg.tensor(X4))
    np.testing.assert_allclose(out.numpy(), layer(2)(tg.tensor(X4)).numpy())
    torch = pytest.importorskip("torch")
    settings = (True, False) if layer is nn.AvgPool2d else (2, False, True)  # not the defaults
    theirs = getattr(torch.nn, layer.__name__)(2, 2, 1, *settings)(torch.tensor(X4))
    np.testing.assert_allclose(layer(2, 2, 1, *settings)(tg.tensor(X4)).numpy(), theirs.numpy())


def test_dropout_reads_a_bool_fourth_argument_as_pytorchs_inplace():
    x = tg.tensor(np.ones((50, 40)), requires_grad=True)
    tg.manual_seed(3)
    out = F.dropout(x * 1, 0.5, True, True)
    tg.manual_seed(3)
    h = x * 1
    expected = F.dropout(h, 0.5, True, inplace=True)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert set(np.unique(out.numpy())) == {0.0, 2.0}
    assert expected is h  # (written into the input, as PyTorch's)
    np.testing.assert_array_equal(F.dropout(x, 0.5, False, False).numpy(), x.numpy())
    again = F.dropout(x, 0.5, True, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(again.numpy(), F.dropout(
        x, 0.5, True, generator=np.random.default_rng(0)).numpy())


CLAMP_X = np.array([[-2.0, 0.0, 1.0, 3.0], [0.5, 2.0, -1.0, 1.0], [4.0, -3.0, 2.0, 0.0]])
CLAMP_LOW = np.array([[-1.0, 0.0, 1.0, 0.0], [1.0, 2.0, -1.0, 2.0], [0.0, 0.0, 3.0, 0.0]])
CLAMP_HIGH = np.array([2.0, 0.0, 1.0, -1.0])  # (ties with x and the low bound; max < min)


def test_clamp_takes_tensor_bounds():
    x = tg.tensor(CLAMP_X, requires_grad=True)
    low = tg.tensor(CLAMP_LOW, requires_grad=True)
    out = tg.clamp(x, low)
    np.testing.assert_array_equal(out.numpy(), np.maximum(CLAMP_X, CLAMP_LOW))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), CLAMP_X >= CLAMP_LOW)
    np.testing.assert_array_equal(low.grad.numpy(), CLAMP_X < CLAMP_LOW)
    np.testing.assert_array_equal(np.clip(tg.tensor(CLAMP_X), CLAMP_LOW, CLAMP_HIGH).numpy(),
                                  np.clip(CLAMP_X, CLAMP_LOW, CLAMP_HIGH))
    with pytest.raises(TypeError, match=r"^clamp: min must be a number or a tensor, "
                                        r"got str 'a'$"):
        tg.clamp(x, "a")


@pytest.mark.torch
@pytest.mark.parametrize("bounds", ["min", "max", "both"])
def test_clamp_with_tensor_bounds_matches_torch_values_and_gradients(bounds):
    torch = pytest.importorskip("torch")
    weights = np.arange(12.0).reshape(3, 4) - 5  # (a gradient that differs entry by entry)

    def run(make, clamp):
        x, low, high = make(CLAMP_X), make(CLAMP_LOW), make(CLAMP_HIGH)
        out = clamp(x, low if bounds != "max" else None, high if bounds != "min" else None)
        (out * make(weights)).sum().backward()
        grads = [t.grad for t in (x, low, high)]
        return [out.detach().numpy()] + [None if g is None else g.numpy() for g in grads]

    ours = run(lambda a: tg.tensor(a, requires_grad=True), tg.clamp)
    theirs = run(lambda a: torch.tensor(a, requires_grad=True), torch.clamp)
    for mine, reference in zip(ours, theirs):
        if reference is None:
            assert mine is None or not mine.any()
        else:
            np.testing.assert_array_equal(mine, reference)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4), (4, 1)])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_functional_conv2d_takes_pytorchs_padding_strings(kernel, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    images, weight = rng.normal(size=(2, 3, 6, 7)), rng.normal(size=(4, 3) + kernel)
    grad = rng.normal(size=(2, 4) + ((6, 7) if padding == "same"
                                      else (7 - kernel[0], 8 - kernel[1])))
    x, w = tg.tensor(images, requires_grad=True), tg.tensor(weight, requires_grad=True)
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (images, weight))
    out, expected = F.conv2d(x, w, None, 1, padding), torch.conv2d(tx, tw, None, 1, padding)
    (out * tg.tensor(grad)).sum().backward()
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), atol=1e-12)


def test_functional_conv2d_with_padding_same_is_the_layers():
    layer = nn.Conv2d(3, 2, (2, 3), padding="same", seed=0)
    out = F.conv2d(tg.tensor(X4), layer.weight, layer.bias, padding="same")
    assert out.shape == (2, 2, 2, 2)
    np.testing.assert_array_equal(out.numpy(), layer(tg.tensor(X4)).numpy())
    with pytest.raises(ValueError, match=r"^conv2d: padding='same' needs stride 1"):
        F.conv2d(tg.tensor(X4), layer.weight, None, 2, "same")
    with pytest.raises(ValueError, match=r"^conv2d: padding 'full' is not one of PyTorch's"):
        F.conv2d(tg.tensor(X4), layer.weight, padding="full")


@pytest.mark.parametrize("build, name", [
    (lambda device: nn.BatchNorm1d(4, 1e-5, 0.1, True, True, device), "BatchNorm1d"),
    (lambda device: nn.BatchNorm2d(4, 1e-5, 0.1, True, True, device), "BatchNorm2d"),
    (lambda device: nn.LayerNorm(4, 1e-5, True, True, device), "LayerNorm"),
    (lambda device: nn.PReLU(1, 0.25, device), "PReLU"),
    (lambda device: nn.Linear(3, 4, True, device), "Linear"),
])
def test_layers_take_pytorchs_positional_device(build, name):
    assert build("cpu").weight.dtype == np.float64
    with pytest.raises(TypeError, match=rf"^{name}: expected the device 'cpu', got str "
                                        r"'cuda:0'; tinygrad_gd runs on the CPU only"):
        build("cuda:0")


@pytest.mark.parametrize("build", [
    lambda device: nn.Linear(3, 4, device=device),
    lambda device: nn.Conv2d(1, 2, 3, device=device),
    lambda device: nn.BatchNorm1d(4, device=device),
    lambda device: nn.BatchNorm2d(4, device=device),
    lambda device: nn.LayerNorm(4, device=device),
    lambda device: nn.Embedding(5, 3, device=device),
    lambda device: nn.PReLU(device=device),
])
def test_layers_take_device_cpu_by_keyword_and_refuse_others(build):
    layer = build("cpu")
    assert all(p.dtype == np.float64 for p in layer.parameters())
    build(tg.ones(1).device)
    with pytest.raises(TypeError, match=r"^\w+: expected the device 'cpu', got str 'cuda'; "
                                        r"tinygrad_gd runs on the CPU only"):
        build("cuda")


def test_clamp_with_broadcast_tensor_bounds_passes_gradcheck():
    # finite differences in float64, the bounds broadcast against x, no entry at a tie
    rng = np.random.default_rng(7)
    x = tg.tensor(rng.uniform(-2, 2, (3, 4)), requires_grad=True)
    low = tg.tensor(rng.uniform(-1.5, -0.5, (4,)), requires_grad=True)
    high = tg.tensor(rng.uniform(0.5, 1.5, (3, 1)), requires_grad=True)
    assert tg.gradcheck(lambda a, b, c: tg.clamp(a, b, c), [x, low, high])
    assert tg.gradcheck(lambda a, c: tg.clamp(a, max=c), [x, high])


@pytest.mark.parametrize("call, message", [
    (lambda x: x.amax(0, "no"), r"^amax: keepdims must be True or False, got str 'no'"),
    (lambda x: x.norm(None, 0, "no"), r"^norm: keepdims must be True or False, got str 'no'"),
    (lambda x: tg.var(x, 0, np.float32), r"^var: ddof .* must be a number, got float32; "
                                         r"NumPy's third argument is dtype"),
    (lambda x: x.std(0, np.float32), r"^std: ddof .* must be a number, got float32"),
    (lambda x: x.astype(np.complex64), r"^astype: complex dtypes are not supported"),
    (lambda x: x.sort(-1, "bogus"), r"^sort: the third argument is PyTorch's descending"),
])
def test_the_other_reductions_refuse_what_their_position_cannot_mean(call, message):
    # amax/norm made keepdims of 'no', var/std's ddof of a dtype failed inside NumPy,
    # astype made complex values, x.sort(-1, 'bogus') sorted descending
    x = tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    with pytest.raises(TypeError, match=message):
        call(x)


def test_the_sort_methods_second_argument_reads_as_the_functions_third():
    x = tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    assert x.sort(-1, "stable")[0].tolist() == [[1.0, 2.0, 3.0], [0.0, 4.0, 5.0]]  # a kind
    assert x.sort(-1, True)[0].tolist() == [[3.0, 2.0, 1.0], [5.0, 4.0, 0.0]]
    assert x.var(0, True).tolist() == [4.5, 8.0, 2.0]  # PyTorch's unbiased, as ddof 1
