"""PyTorch's tutorial "What is torch.nn really?" ported whole, beside torch 2.13 with the same
weights, data and order: the logistic regression from scratch (its own log_softmax, nll and
accuracy, the update under no_grad), the refactors (F.cross_entropy, nn.Module with
nn.Parameter, nn.Linear, optim.SGD, TensorDataset, DataLoader, get_data, loss_batch, fit)
and the CNN (Mnist_CNN, nn.Sequential with the tutorial's Lambda, AdaptiveAvgPool2d,
WrappedDataLoader, SGD with momentum). Random 28x28 "digits" stand in for MNIST. Losses,
accuracies and every parameter equal after each step, float64 and float32 (the tutorial's,
by `set_default_dtype` in both); gradients by finite differences without torch. The tests
of the findings checks the error a batch given without its channel axis gets.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.utils.data import DataLoader, TensorDataset

F = nn.functional
ROWS, VALID_ROWS, BS, EPOCHS = 72, 40, 24, 2


def _digits(dtype, rows=ROWS, valid_rows=VALID_ROWS, seed=5):
    """Random 28x28 "digits" in [0, 1): each class a sparse pattern of pixels, plus noise
    (learnable, though not at once), flattened to 784 columns as the tutorial's MNIST."""
    rng = np.random.default_rng(seed)
    patterns = rng.random((10, 784)) < 0.1

    def draw(n):
        y = rng.integers(0, 10, n)
        x = patterns[y] * rng.random((n, 784)) + (rng.random((n, 784)) < 0.3) * rng.random(
            (n, 784))
        return (x / 2).astype(dtype), y
    (x_train, y_train), (x_valid, y_valid) = draw(rows), draw(valid_rows)
    return x_train, y_train, x_valid, y_valid


def _tolerance(dtype):
    return dict(rtol=1e-10, atol=1e-13) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)


@contextlib.contextmanager
def _default_dtype(lib, dtype):
    """The tutorial's float32 is torch's default; here both libraries run the tutorial's
    lines unchanged under one default dtype (tinygrad_gd's own default is float64)."""
    before = lib.get_default_dtype()
    lib.set_default_dtype(getattr(lib, np.dtype(dtype).name))
    try:
        yield
    finally:
        lib.set_default_dtype(before)


def _libs(lib):
    """(nn, F, optim, TensorDataset, DataLoader) of torch or of tinygrad_gd: the imports are
    the one place the two programs differ."""
    if lib is tg:
        return nn, F, optim, TensorDataset, DataLoader
    from torch import nn as tnn, optim as toptim
    from torch.utils.data import DataLoader as TDataLoader, TensorDataset as TTensorDataset
    return tnn, tnn.functional, toptim, TTensorDataset, TDataLoader


def _values(model_or_tensors):
    tensors = getattr(model_or_tensors, "parameters", lambda: model_or_tensors)()
    return [t.detach().numpy().copy() for t in tensors]


def _assert_records(ours, theirs, dtype, what):
    """Two runs' [(loss, [parameter arrays])] equal step by step, dtypes kept."""
    assert len(ours) == len(theirs) > 0, what
    for step, ((loss, params), (want_loss, want_params)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(loss, want_loss, err_msg=f"{what} step {step} loss",
                                   **_tolerance(dtype))
        assert len(params) == len(want_params), what
        for k, (p, q) in enumerate(zip(params, want_params)):
            assert p.dtype == q.dtype == dtype, (what, step, k, p.dtype, q.dtype)
            np.testing.assert_allclose(p, q, err_msg=f"{what} step {step} parameter {k}",
                                       **_tolerance(dtype))


def _accuracy(lib):
    def accuracy(out, yb):
        preds = lib.argmax(out, dim=1)
        return (preds == yb).float().mean()
    return accuracy


# ------------------------------------------------------------- 1. from scratch


def _log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def _nll(input, target):  # noqa: A002  (the tutorial's names)
    return -input[range(target.shape[0]), target].mean()


def _from_scratch(lib, data, weights0, lr=0.5):
    x_train, y_train, x_valid, y_valid = map(lib.tensor, data)
    n, c = x_train.shape
    weights = lib.tensor(weights0)  # (the tutorial's randn / sqrt(784), drawn once by NumPy)
    weights.requires_grad_()
    bias = lib.zeros(10, requires_grad=True)

    def model(xb):
        return _log_softmax(xb @ weights + bias)
    loss_func, accuracy, record = _nll, _accuracy(lib), []
    for epoch in range(EPOCHS):
        for i in range((n - 1) // BS + 1):
            start_i = i * BS
            end_i = start_i + BS
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)
            loss.backward()
            with lib.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
            record.append((loss.item(), _values([weights, bias])))
    out = model(x_valid)
    return record, loss_func(out, y_valid).item(), accuracy(out, y_valid).item(), out


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_regression_from_scratch_trains_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    data = _digits(dtype)
    weights0 = (np.random.default_rng(1).standard_normal((784, 10)) / math.sqrt(784)).astype(
        dtype)
    runs = []
    for lib in (tg, torch):
        with _default_dtype(lib, dtype):
            runs.append(_from_scratch(lib, data, weights0))
    (ours, loss, acc, out), (theirs, want_loss, want_acc, want_out) = runs
    _assert_records(ours, theirs, dtype, "from scratch")
    np.testing.assert_allclose(loss, want_loss, **_tolerance(dtype))
    assert acc == want_acc and 0 < acc < 1
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.detach().numpy(), want_out.detach().numpy(),
                               **_tolerance(dtype))


def test_the_tutorials_log_softmax_and_nll_have_finite_difference_gradients():
    rng = np.random.default_rng(2)
    x = tg.tensor(rng.random((6, 20)))
    y = tg.tensor(rng.integers(0, 10, 6))
    weights = tg.tensor(rng.standard_normal((20, 10)) / math.sqrt(20), requires_grad=True)
    bias = tg.zeros(10, requires_grad=True)
    assert tg.gradcheck(lambda w, b: _nll(_log_softmax(x @ w + b), y), [weights, bias])
    # the tutorial's log_softmax is F.log_softmax's, and nll F.nll_loss's, where finite
    np.testing.assert_allclose(_nll(_log_softmax(x @ weights), y).item(),
                               F.nll_loss(F.log_softmax(x @ weights, dim=-1), y).item(),
                               rtol=1e-12)


# ------------------------------------------------------------- 2. refactors


def _model_classes(lib):
    tnn = _libs(lib)[0]

    class Mnist_Logistic(tnn.Module):
        def __init__(self):
            super().__init__()
            self.weights = tnn.Parameter(lib.randn(784, 10) / math.sqrt(784))
            self.bias = tnn.Parameter(lib.zeros(10))

        def forward(self, xb):
            return xb @ self.weights + self.bias

    class Mnist_Logistic_Linear(tnn.Module):
        def __init__(self):
            super().__init__()
            self.lin = tnn.Linear(784, 10)

        def forward(self, xb):
            return self.lin(xb)
    return Mnist_Logistic, Mnist_Logistic_Linear


def _copy_in(model, state):
    """torch's state_dict into either model (torch's own, or ours by NumPy arrays)."""
    if isinstance(model, nn.Module):
        model.load_state_dict({k: v.detach().numpy() for k, v in state.items()})
    else:
        model.load_state_dict(state)
    return model


def _loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def _fit(lib, epochs, model, loss_func, opt, train_dl, valid_dl):
    """The tutorial's fit(), recording each step's loss and parameters, and each epoch's
    validation loss (eval mode, no_grad) with the parameters."""
    record = []
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            record.append((_loss_batch(model, loss_func, xb, yb, opt)[0], _values(model)))
        model.eval()
        with lib.no_grad():
            losses, nums = zip(*[_loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        record.append((val_loss, _values(model)))
    return record


def _get_data(DataLoader, train_ds, valid_ds, bs):
    return (DataLoader(train_ds, batch_size=bs),
            DataLoader(valid_ds, batch_size=bs * 2))


def _refactors(lib, data, states, lr=0.5):
    """Each refactoring step of the tutorial, run alike: {stage: (record, accuracy)}."""
    tnn, F, optim, TensorDataset, DataLoader = _libs(lib)
    Mnist_Logistic, Mnist_Logistic_Linear = _model_classes(lib)
    x_train, y_train, x_valid, y_valid = map(lib.tensor, data)
    n, accuracy, loss_func, runs = x_train.shape[0], _accuracy(lib), F.cross_entropy, {}

    def result(model, record):
        return record, accuracy(model(x_valid), y_valid).item()

    model, record = _copy_in(Mnist_Logistic(), states["logistic"]), []
    for epoch in range(EPOCHS):
        for i in range((n - 1) // BS + 1):
            start_i = i * BS
            end_i = start_i + BS
            loss = loss_func(model(x_train[start_i:end_i]), y_train[start_i:end_i])
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= p.grad * lr
                model.zero_grad()
            record.append((loss.item(), _values(model)))
    runs["nn.Module"] = result(model, record)

    def get_model():
        model = _copy_in(Mnist_Logistic_Linear(), states["linear"])
        return model, optim.SGD(model.parameters(), lr=lr)

    train_ds, valid_ds = TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid)
    model, opt = get_model()
    record = []
    for epoch in range(EPOCHS):
        for i in range((n - 1) // BS + 1):
            xb, yb = train_ds[i * BS: i * BS + BS]
            pred = model(xb)
            loss = loss_func(pred, yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
            record.append((loss.item(), _values(model)))
    runs["TensorDataset"] = result(model, record)

    model, opt = get_model()
    train_dl, record = DataLoader(train_ds, batch_size=BS), []
    for epoch in range(EPOCHS):
        for xb, yb in train_dl:
            record.append((_loss_batch(model, loss_func, xb, yb, opt)[0], _values(model)))
    runs["DataLoader"] = result(model, record)

    model, opt = get_model()
    train_dl, valid_dl = _get_data(DataLoader, train_ds, valid_ds, BS)
    runs["fit"] = result(model, _fit(lib, EPOCHS, model, loss_func, opt, train_dl, valid_dl))
    return runs


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_each_refactoring_step_trains_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    data = _digits(dtype)
    with _default_dtype(torch, dtype):
        torch.manual_seed(0)
        states = {name: cls().state_dict() for name, cls in
                  zip(("logistic", "linear"), _model_classes(torch))}
        theirs = _refactors(torch, data, states)
    with _default_dtype(tg, dtype):
        ours = _refactors(tg, data, states)
    assert list(ours) == ["nn.Module", "TensorDataset", "DataLoader", "fit"]
    for stage, (record, accuracy) in ours.items():
        _assert_records(record, theirs[stage][0], dtype, stage)
        assert accuracy == theirs[stage][1], stage
    assert 0 < ours["fit"][1] < 1


def test_a_shuffling_loader_with_a_seeded_generator_repeats_its_order():
    # torch's generator draws another order than NumPy's: the ports above do not shuffle
    x_train, y_train, _, _ = _digits(np.float64, rows=20, valid_rows=1)
    train_ds = TensorDataset(tg.tensor(x_train), tg.tensor(y_train))
    orders = []
    for _ in range(2):
        loader = DataLoader(train_ds, batch_size=6, shuffle=True,
                            generator=tg.Generator().manual_seed(3))
        orders.append([yb.numpy().tolist() for epoch in range(2) for xb, yb in loader])
    assert orders[0] == orders[1]
    first_epoch = sum(orders[0][:4], [])
    assert sorted(first_epoch) == sorted(y_train.tolist()) and first_epoch != y_train.tolist()


# ------------------------------------------------------------- 3. the CNN


class _WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


def _cnns(lib, channels=16):
    """The tutorial's Mnist_CNN, and its nn.Sequential with Lambda (preprocess inside it,
    and again without, for the WrappedDataLoader)."""
    tnn, F = _libs(lib)[:2]

    class Mnist_CNN(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, channels, kernel_size=3, stride=2, padding=1)
            self.conv2 = tnn.Conv2d(channels, channels, kernel_size=3, stride=2, padding=1)
            self.conv3 = tnn.Conv2d(channels, 10, kernel_size=3, stride=2, padding=1)

        def forward(self, xb):
            xb = xb.view(-1, 1, 28, 28)
            xb = F.relu(self.conv1(xb))
            xb = F.relu(self.conv2(xb))
            xb = F.relu(self.conv3(xb))
            xb = F.avg_pool2d(xb, 4)
            return xb.view(-1, xb.size(1))

    class Lambda(tnn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    def preprocess(x):
        return x.view(-1, 1, 28, 28)

    def sequential(*first):
        return tnn.Sequential(
            *first,
            tnn.Conv2d(1, channels, kernel_size=3, stride=2, padding=1),
            tnn.ReLU(),
            tnn.Conv2d(channels, channels, kernel_size=3, stride=2, padding=1),
            tnn.ReLU(),
            tnn.Conv2d(channels, 10, kernel_size=3, stride=2, padding=1),
            tnn.ReLU(),
            tnn.AdaptiveAvgPool2d(1),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )
    return Mnist_CNN, lambda: sequential(Lambda(preprocess)), sequential


def _cnn_runs(lib, data, states, lr=0.1):
    tnn, F, optim, TensorDataset, DataLoader = _libs(lib)
    Mnist_CNN, with_lambda, without_preprocess = _cnns(lib)
    x_train, y_train, x_valid, y_valid = map(lib.tensor, data)
    train_ds, valid_ds = TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid)
    loss_func, accuracy, runs = F.cross_entropy, _accuracy(lib), {}

    def run(name, model, train_dl, valid_dl, x_valid):
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        record = _fit(lib, EPOCHS, model, loss_func, opt, train_dl, valid_dl)
        out = model(x_valid)  # (eval mode, as fit() leaves it)
        runs[name] = record, accuracy(out, y_valid).item(), out.detach().numpy()

    train_dl, valid_dl = _get_data(DataLoader, train_ds, valid_ds, BS)
    run("Mnist_CNN", _copy_in(Mnist_CNN(), states["cnn"]), train_dl, valid_dl, x_valid)
    run("Sequential", _copy_in(with_lambda(), states["sequential"]), train_dl, valid_dl,
        x_valid)

    def preprocess(x, y):
        return x.view(-1, 1, 28, 28), y
    train_dl, valid_dl = _get_data(DataLoader, train_ds, valid_ds, BS)
    train_dl = _WrappedDataLoader(train_dl, preprocess)
    valid_dl = _WrappedDataLoader(valid_dl, preprocess)
    assert len(train_dl) == math.ceil(len(train_ds) / BS)
    run("WrappedDataLoader", _copy_in(without_preprocess(), states["wrapped"]), train_dl,
        valid_dl, x_valid.view(-1, 1, 28, 28))
    return runs


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_cnn_its_sequential_and_wrapped_loader_train_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    data = _digits(dtype)
    with _default_dtype(torch, dtype):
        torch.manual_seed(0)
        Mnist_CNN, with_lambda, without_preprocess = _cnns(torch)
        states = {"cnn": Mnist_CNN().state_dict(), "sequential": with_lambda().state_dict(),
                  "wrapped": without_preprocess().state_dict()}
        theirs = _cnn_runs(torch, data, states)
    with _default_dtype(tg, dtype):
        ours = _cnn_runs(tg, data, states)
    for name, (record, accuracy, out) in ours.items():
        want_record, want_accuracy, want_out = theirs[name]
        _assert_records(record, want_record, dtype, name)
        assert accuracy == want_accuracy, name
        assert out.dtype == want_out.dtype == dtype, name
        np.testing.assert_allclose(out, want_out, err_msg=name, **_tolerance(dtype))


def test_the_sequential_cnns_gradients_are_finite_differences():
    # (few channels and an image of 8x8, for speed: the same layers as the tutorial's)
    _, _, sequential = _cnns(tg, channels=3)
    model = sequential(nn.Unflatten(1, (1, 8, 8)))
    names = [name for name, _ in model.named_parameters()]
    rng = np.random.default_rng(4)
    x = tg.tensor(rng.random((2, 64)), requires_grad=True)
    y = tg.tensor([3, 7])

    def loss(x, *params):
        return F.cross_entropy(tg.func.functional_call(model, dict(zip(names, params)), (x,)),
                               y)
    params = [p.detach().requires_grad_() for p in model.parameters()]
    assert tg.gradcheck(loss, [x] + params)


def test_the_cnns_diagram_boxes_each_layer_and_names_its_parameters(tmp_path):
    _, with_lambda, _ = _cnns(tg, channels=4)
    model = with_lambda()
    x_valid, y_valid = _digits(np.float64, rows=4, valid_rows=1)[:2]
    loss = F.cross_entropy(model(tg.tensor(x_valid)), tg.tensor(y_valid))
    loss.backward()
    text = tg.render_graph(loss, tmp_path / "cnn.svg", mode="backward").read_text()
    for box in ("1: Conv2d", "3: Conv2d", "5: Conv2d", "7: AdaptiveAvgPool2d", "8: Lambda"):
        assert box in text, box
    assert "params: 1.weight, 1.bias" in text


# ------------------------------------------------------------- findings left to mend
# (a tutorial user's slips: torch raises RuntimeError or IndexError, which a PyTorch
# program's `except RuntimeError` catches; here each is a ValueError)


def test_a_batch_without_its_channel_axis_is_named_as_such():
    # the conv2d error blamed the layer's own weight: x.view(-1, 28, 28) where the
    # tutorial writes (-1, 1, 28, 28) is a batch read as one 4-channel image
    conv = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"conv2d: .*\(4, 28, 28\).*one unbatched image "
                       r".*give shape \(batch, 1, height, width\)$"):
        conv(tg.ones(4, 28, 28))
