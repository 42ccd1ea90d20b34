"""A user's whole program in float32, the source documents' networks trained as PyTorch's.

test_torch_dtypes.py and test_torch_nn_dtypes.py check each op and layer alone in float32;
here whole programs run in float32 the ways a user asks for it: `tg.set_default_dtype`,
`dtype=` at creation (tg.float32, "float32", np.float32), `model.float()`, `model.to(...)`,
`x.float()`, `x.to(...)`, `tg.from_numpy`, a DataLoader over float32 arrays. Small versions
of examples/ (the one-weight slope, the multi-input network, the MNIST single layer, the
blog MLP with momentum, mini-batches, a learning-rate schedule and gradient clipping, and
Adam) check every activation, loss, `.grad`, optimizer state, learning rate, clip norm and
the state_dict after save and load: each float32, and each as torch's float32 run of the
same program to float32 tolerance. Then what the rule says of mixed dtypes (a float64 batch
into a float32 model and the reverse run in float64, every layer alike, the model staying
as it was), integer inputs after `set_default_dtype(tg.float32)` (the default float, not
float64), gradcheck's report on a float32 function (what to do), and a diagram's labels.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import datasets, nn, optim
from tinygrad_gd.data import DataLoader

F32 = np.dtype(np.float32)
RNG = np.random.default_rng(31)


@pytest.fixture
def float32_default():
    """`tg.set_default_dtype(tg.float32)` for one test, the default restored after."""
    before = tg.get_default_dtype()
    tg.set_default_dtype(tg.float32)
    yield
    tg.set_default_dtype(before)


def _dtype(value):
    return np.dtype(str(value.dtype).replace("torch.", ""))


def _all_float32(where, *values):
    for k, value in enumerate(values):
        assert _dtype(value) == F32, f"{where} #{k}: {value.dtype}, not float32"


def _array(value):
    if hasattr(value, "detach"):
        value = value.detach()
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _close(ours, theirs, where, rtol=1e-5, ulps=8):
    """float32 tolerance: 1e-5 relative plus a few float32 ulps of the largest entry."""
    ours, theirs = _array(ours), _array(theirs)
    finite = np.abs(theirs[np.isfinite(theirs)])
    scale = float(finite.max()) if finite.size else 0.0
    atol = ulps * float(np.spacing(np.float32(max(scale, 1e-30))))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=where)


def _torch_copy(torch, model, torch_model):
    """torch_model's parameters set to model's values, in order."""
    with torch.no_grad():
        for p, q in zip(model.parameters(), torch_model.parameters(), strict=True):
            q.copy_(torch.from_numpy(np.array(p.numpy())))


# ---------------------------------------------------------------------------------------
# Every way of asking

WAYS = {
    "dtype=tg.float32": lambda: tg.tensor([0.5, 1.5], dtype=tg.float32),
    'dtype="float32"': lambda: tg.Tensor([0.5, 1.5], dtype="float32"),
    "dtype=np.float32": lambda: tg.zeros(2, dtype=np.float32),
    "tg.randn(dtype=)": lambda: tg.randn(2, 3, dtype=tg.float32),
    "tg.arange(floats, dtype=)": lambda: tg.arange(0.0, 1.0, 0.25, dtype=tg.float32),
    "x.float()": lambda: tg.Tensor([0.5, 1.5]).float(),
    "x.to(tg.float32)": lambda: tg.Tensor([0.5, 1.5]).to(tg.float32),
    'x.to("cpu", "float32")': lambda: tg.Tensor([0.5, 1.5]).to("cpu", "float32"),
    "tg.from_numpy": lambda: tg.from_numpy(np.ones(3, np.float32)),
    "tg.Tensor(float32 array)": lambda: tg.Tensor(np.ones(3, np.float32)),
    "model.float()": lambda: nn.Linear(2, 3).float().weight,
    "model.to(tg.float32)": lambda: nn.Linear(2, 3).to(tg.float32).bias,
    'model.to("float32")': lambda: nn.BatchNorm1d(3).to("float32").running_var,
    "nn.Linear(dtype=)": lambda: nn.Linear(2, 3, dtype=np.float32).weight,
    "DataLoader batch": lambda: next(iter(DataLoader(np.ones((4, 2), np.float32),
                                                     batch_size=2))),
}


@pytest.mark.parametrize("way", WAYS)
def test_each_way_of_asking_for_float32_gives_float32(way):
    _all_float32(way, WAYS[way]())


def test_set_default_dtype_makes_new_tensors_layers_and_constants_float32_and_is_undone():
    before = tg.get_default_dtype()
    tg.set_default_dtype(tg.float32)
    try:
        made = [tg.Tensor([1.0, 2.0]), tg.Tensor(3.0), tg.tensor([0.5]), tg.zeros(2),
                tg.randn(2), nn.Parameter([1.0, 2.0]), tg.arange(3) / 2,
                nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0]).weight,
                *nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).state_dict().values()]
        _all_float32("after set_default_dtype", *[t for t in made if t.dtype.kind == "f"])
        assert datasets.one_hot([2, 0], 3).dtype == F32
    finally:
        tg.set_default_dtype(before)
    assert tg.get_default_dtype() == np.float64 and tg.Tensor([1.0]).dtype == np.float64
    assert nn.CrossEntropyLoss(weight=[1.0, 2.0]).weight.dtype == np.float64
    assert datasets.one_hot([2, 0], 3).dtype == np.float64


# integers and bools given to an op of real numbers: the default float, as `i / 2`
INTEGER_OPS = {
    "mean": lambda x: x.mean(), "var": lambda x: x.var(), "std": lambda x: x.std(axis=0),
    "reciprocal": lambda x: x.reciprocal(), "clamp(0.5)": lambda x: x.clamp(0.5),
    "clamp(max=np.float32)": lambda x: x.clamp(max=np.float32(1.5)),
    "gelu": lambda x: nn.functional.gelu(x),
    "gelu tanh": lambda x: nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda x: nn.functional.silu(x), "softplus": lambda x: nn.functional.softplus(x),
    "celu": lambda x: nn.functional.celu(x), "softsign": lambda x: nn.functional.softsign(x),
    "hardswish": lambda x: nn.functional.hardswish(x),
    "leaky_relu": lambda x: nn.functional.leaky_relu(x, 0.2),
    "quick_gelu": lambda x: tg.quick_gelu(x) if hasattr(tg, "quick_gelu") else x.quick_gelu(),
    "nanmean": lambda x: x.nanmean(axis=1),
    "softshrink": lambda x: nn.functional.softshrink(x, 0.5),
    "dropout": lambda x: nn.functional.dropout(x, 0.5, generator=np.random.default_rng(0)),
    "kl_div": lambda x: nn.functional.kl_div(x, x * x, reduction="sum"),
}


@pytest.mark.parametrize("kind", ["int64", "bool"])
@pytest.mark.parametrize("op", INTEGER_OPS)
def test_integers_given_to_an_op_of_real_numbers_give_the_default_float(op, kind,
                                                                       float32_default):
    values = np.array([[-2, 0, 3], [1, 4, -1]])
    x = tg.tensor(values if kind == "int64" else values > 0)
    if kind == "bool" and op == "softshrink":  # (PyTorch's refuses a bool too)
        with pytest.raises(TypeError, match="softshrink: the input is a bool tensor"):
            INTEGER_OPS[op](x)
        return
    out = INTEGER_OPS[op](x)
    assert out.dtype == F32, f"{op} of {kind}: {out.dtype}"
    _close(out, INTEGER_OPS[op](x.to(tg.float64)), f"{op} of {kind}")


@pytest.mark.parametrize("op", ["hardtanh", "relu6"])
def test_a_bool_clamped_by_hardtanh_gives_the_default_float(op, float32_default):
    mask = tg.tensor([True, False, True])
    out = getattr(nn.functional, op)(mask)
    assert out.dtype == F32
    _close(out, getattr(nn.functional, op)(mask.to(tg.float64)), op)


def test_one_hot_rows_in_the_dtype_asked():
    labels = np.array([3, 0, 1])
    for dtype in (np.float32, "float32", tg.float32):
        rows = datasets.one_hot(labels, 4, dtype)
        assert rows.dtype == F32
        np.testing.assert_array_equal(rows, np.eye(4)[labels])
    assert datasets.one_hot(labels, 4).dtype == np.float64


# ---------------------------------------------------------------------------------------
# The source documents' networks, trained in float32


@pytest.mark.torch
def test_the_slides_slopes_and_twenty_updates_in_float32_as_pytorch(float32_default):
    torch = pytest.importorskip("torch")
    # part 1: one weight (input 3, target 10): the slope and the weight after one update
    weight = nn.Parameter(2.0)
    pred = weight * tg.Tensor(3.0)
    pred.retain_grad()
    loss = nn.MSELoss()(pred, tg.Tensor(10.0))
    loss.backward()
    optim.SGD([weight], lr=0.01).step()
    tw = torch.tensor(2.0, dtype=torch.float32, requires_grad=True)
    tpred = tw * 3.0
    tpred.retain_grad()
    tloss = torch.nn.MSELoss()(tpred, torch.tensor(10.0))
    tloss.backward()
    tgrad = tw.grad.clone()
    torch.optim.SGD([tw], lr=0.01).step()
    _all_float32("one weight", pred, loss, pred.grad, weight, weight.grad)
    for ours, theirs, what in ((pred, tpred, "pred"), (pred.grad, tpred.grad, "pred slope"),
                               (weight.grad, tgrad, "slope"), (weight, tw, "new weight")):
        _close(ours, theirs, what)
    # parts 2 and 3: two inputs, twenty updates, each halving the error
    weights, data, target = nn.Parameter([1.0, 2.0]), tg.Tensor([3.0, 4.0]), tg.Tensor(6.0)
    tws = torch.tensor([1.0, 2.0], requires_grad=True)
    opt, topt = optim.SGD([weights], lr=0.01), torch.optim.SGD([tws], lr=0.01)
    for update in range(20):
        opt.zero_grad()
        topt.zero_grad()
        loss = nn.MSELoss()((weights * data).sum(), target)
        tloss = torch.nn.MSELoss()((tws * torch.tensor([3.0, 4.0])).sum(), torch.tensor(6.0))
        loss.backward()
        tloss.backward()
        _all_float32(f"update {update}", loss, weights.grad)
        _close(loss, tloss, f"squared error, update {update}")
        _close(weights.grad, tws.grad, f"gradient, update {update}")
        opt.step()
        topt.step()
    _all_float32("final weights", weights)
    _close(weights, tws, "final weights")


@pytest.mark.torch
def test_grokkings_multi_input_network_in_float32_as_pytorch():
    torch = pytest.importorskip("torch")
    weights = nn.Parameter(tg.Tensor([0.1, 0.2, -0.1], dtype="float32"))
    data = tg.Tensor([8.5, 0.65, 1.2], dtype=np.float32)
    true = tg.tensor(1.0, dtype=tg.float32)
    tws = torch.tensor([0.1, 0.2, -0.1], dtype=torch.float32, requires_grad=True)
    tdata = torch.tensor([8.5, 0.65, 1.2], dtype=torch.float32)
    opt, topt = optim.SGD([weights], lr=0.01), torch.optim.SGD([tws], lr=0.01)
    for iteration in range(3):
        opt.zero_grad()
        topt.zero_grad()
        pred = (data * weights).sum()
        pred.retain_grad()  # the book's delta
        nn.HalfSSELoss()(pred, true).backward()
        tpred = (tdata * tws).sum()
        tpred.retain_grad()
        (0.5 * (tpred - 1.0) ** 2).sum().backward()
        _all_float32(f"iteration {iteration}", pred, pred.grad, weights.grad)
        _close(pred, tpred, "pred")
        _close(pred.grad, tpred.grad, "delta")
        _close(weights.grad, tws.grad, "weight_deltas")
        opt.step()
        topt.step()
        _close(weights, tws, "weights")


def _digits(n, pixels, classes=10):
    """Made-up 'images' in [0, 1] (float32) and their labels: the MNIST layer's shapes."""
    return RNG.random((n, pixels)).astype(np.float32), RNG.integers(0, classes, n)


@pytest.mark.torch
def test_the_mnist_single_layer_trained_in_float32_batches_as_pytorch():
    torch = pytest.importorskip("torch")
    images, labels = _digits(48, 64)
    targets = datasets.one_hot(labels, 10, np.float32)
    model = nn.Linear(64, 10, bias=False, init="normal", seed=0).float()
    tmodel = torch.nn.Linear(64, 10, bias=False)
    _torch_copy(torch, model, tmodel)
    opt, topt = optim.SGD(model.parameters(), lr=0.02), torch.optim.SGD(tmodel.parameters(),
                                                                       lr=0.02)
    loader = DataLoader(images, targets, labels, batch_size=16, shuffle=True, seed=0)
    for epoch in range(2):
        for batch, (x, y, label) in enumerate(loader):
            _all_float32("batch", x, y)
            opt.zero_grad()
            topt.zero_grad()
            pred = model(x)
            loss = nn.HalfSSELoss()(pred, y) / len(x)
            loss.backward()
            tx, ty = (torch.from_numpy(np.array(t.numpy())) for t in (x, y))
            tpred = tmodel(tx)
            tloss = 0.5 * ((tpred - ty) ** 2).sum() / len(tx)
            tloss.backward()
            _all_float32(f"epoch {epoch} batch {batch}", pred, loss, model.weight.grad)
            _close(loss, tloss, f"loss, epoch {epoch} batch {batch}")
            _close(model.weight.grad, tmodel.weight.grad, f"grad, epoch {epoch} batch {batch}")
            opt.step()
            topt.step()
            assert int((pred.numpy().argmax(1) == label.numpy()).sum()) == int(
                (tpred.detach().numpy().argmax(1) == label.numpy()).sum())
    _close(model.weight, tmodel.weight, "trained weights")


def _blog_mlp():
    return nn.Sequential(nn.Linear(20, 16, init="he", seed=1), nn.ReLU(),
                         nn.Linear(16, 8, init="he", seed=2), nn.ReLU(),
                         nn.Linear(8, 4, init="he", seed=3))


def _torch_blog_mlp(torch):
    return torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8),
                               torch.nn.ReLU(), torch.nn.Linear(8, 4))


@pytest.mark.torch
def test_the_blog_mlp_with_momentum_schedule_and_clipping_in_float32_as_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    images, labels = _digits(64, 20, 4)
    model, tmodel = _blog_mlp().to(tg.float32), _torch_blog_mlp(torch)
    _torch_copy(torch, model, tmodel)
    activations = []
    for layer in model:
        layer.register_forward_hook(lambda m, i, out: activations.append(out))
    opt = optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.3, momentum=0.9)
    schedule = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    tschedule = torch.optim.lr_scheduler.StepLR(topt, step_size=2, gamma=0.5)
    loader = DataLoader(images, datasets.one_hot(labels, 4, np.float32), batch_size=16)
    for epoch in range(3):
        for x, y in loader:
            opt.zero_grad()
            topt.zero_grad()
            activations.clear()
            loss = nn.MSELoss()(model(x), y)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            tx, ty = (torch.from_numpy(np.array(t.numpy())) for t in (x, y))
            torch.nn.MSELoss()(tmodel(tx), ty).backward()
            tnorm = torch.nn.utils.clip_grad_norm_(tmodel.parameters(), 0.5)
            _all_float32(f"epoch {epoch}", loss, norm, *activations,
                         *(p.grad for p in model.parameters()))
            _close(norm, tnorm, f"clip norm, epoch {epoch}")
            opt.step()
            topt.step()
        schedule.step()
        tschedule.step()
        assert opt.param_groups[0]["lr"] == topt.param_groups[0]["lr"]
        assert type(opt.param_groups[0]["lr"]) is float
    for k, (p, q) in enumerate(zip(model.parameters(), tmodel.parameters())):
        buffer = opt.state_dict()["state"][k]["momentum_buffer"]
        _all_float32(f"parameter {k} and its momentum", p, buffer)
        _close(buffer, topt.state_dict()["state"][k]["momentum_buffer"], f"momentum {k}")
        _close(p, q, f"trained parameter {k}", rtol=1e-4)
    # saved and loaded: float32 still, the same values, the same predictions
    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c.pt")
    saved = tg.load(tmp_path / "c.pt")
    _all_float32("loaded state", *saved["model"].values(),
                 *(s["momentum_buffer"] for s in saved["optimizer"]["state"].values()))
    again = _blog_mlp().float()
    again.load_state_dict(saved["model"])
    again_opt = optim.SGD(again.parameters(), lr=0.3, momentum=0.9)
    again_opt.load_state_dict(saved["optimizer"])
    x = tg.Tensor(images[:4])
    np.testing.assert_array_equal(again(x).numpy(), model(x).numpy())
    _all_float32("loaded model's output", again(x))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad"])
def test_an_adaptive_optimizers_state_and_step_count_in_float32_as_pytorch(name):
    torch = pytest.importorskip("torch")
    images, labels = _digits(32, 20, 4)
    model, tmodel = _blog_mlp().float(), _torch_blog_mlp(torch)
    _torch_copy(torch, model, tmodel)
    settings = {"lr": 0.01, **({"amsgrad": True} if name.startswith("Adam") else {})}
    opt = getattr(optim, name)(model.parameters(), **settings)
    topt = getattr(torch.optim, name)(tmodel.parameters(), **settings)
    targets = datasets.one_hot(labels, 4, np.float32)
    for x, y in DataLoader(images, targets, batch_size=8):
        opt.zero_grad()
        topt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        tx, ty = (torch.from_numpy(np.array(t.numpy())) for t in (x, y))
        torch.nn.functional.cross_entropy(tmodel(tx), ty).backward()
        opt.step()
        topt.step()
    for k, q in enumerate(tmodel.parameters()):
        state, tstate = opt.state_dict()["state"][k], topt.state_dict()["state"][k]
        assert set(state) == set(tstate)
        for key, value in tstate.items():  # (torch keeps the step count a float32 tensor)
            assert _dtype(state[key]) == _dtype(value) == F32, (name, key)
            _close(state[key], value, f"{name} {key} of parameter {k}", rtol=1e-4)
        _close(list(model.parameters())[k], q, f"{name} parameter {k}", rtol=1e-4)


# ---------------------------------------------------------------------------------------
# Mixed dtypes: the wider one computes, the model stays as it was

LAYERS = {
    "Linear": (lambda: nn.Linear(4, 3), lambda t: t.nn.Linear(4, 3), (5, 4)),
    "Conv1d": (lambda: nn.Conv1d(4, 2, 3), lambda t: t.nn.Conv1d(4, 2, 3), (2, 4, 6)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(4), lambda t: t.nn.BatchNorm1d(4), (5, 4)),
    "LSTM": (lambda: nn.LSTM(4, 3), lambda t: t.nn.LSTM(4, 3), (5, 2, 4)),
    "PReLU (one slope)": (lambda: nn.PReLU(init=0.3), lambda t: t.nn.PReLU(init=0.3), (5, 4)),
    "PReLU (per channel)": (lambda: nn.PReLU(4, init=0.3), lambda t: t.nn.PReLU(4, init=0.3),
                            (5, 4)),
}


@pytest.mark.torch
@pytest.mark.parametrize("model_dtype, data_dtype", [("float32", "float64"),
                                                     ("float64", "float32")])
@pytest.mark.parametrize("layer", LAYERS)
def test_mixed_model_and_data_dtypes_compute_in_float64_and_the_model_stays(
        layer, model_dtype, data_dtype):
    torch = pytest.importorskip("torch")
    make, make_torch, shape = LAYERS[layer]
    model, tmodel = make().to(model_dtype), make_torch(torch).double()
    _torch_copy(torch, model, tmodel)
    values = RNG.standard_normal(shape)
    x = tg.Tensor(values, dtype=data_dtype, requires_grad=True)
    out = model(x)
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == np.float64, f"{layer}: {out.dtype}"  # (torch refuses: two dtypes)
    tx = torch.tensor(values.astype(data_dtype).astype(np.float64), requires_grad=True)
    tout = tmodel(tx)
    tout = tout[0] if isinstance(tout, tuple) else tout
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-6, atol=1e-6)
    opt = optim.Adam(model.parameters(), lr=0.01)
    (out * out).sum().backward()
    opt.step()
    assert x.grad.dtype == np.dtype(data_dtype)
    state = [v for s in opt.state_dict()["state"].values() for v in s.values()]
    kept = [*model.state_dict().values(), *(p.grad for p in model.parameters()), *state]
    assert {str(t.dtype) for t in kept if t.dtype.kind == "f"} == {model_dtype}, layer


# ---------------------------------------------------------------------------------------
# gradcheck of a float32 function, and a diagram's labels


def test_gradcheck_of_a_function_computing_in_float32_says_what_to_do_and_that_works():
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.standard_normal(5), requires_grad=True)
    data = tg.Tensor(rng.standard_normal((3, 5)), dtype=tg.float32)
    scale = nn.Parameter(tg.tensor(1.5, dtype=tg.float32))
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh()).float()
    cases = [(lambda a: (model(a.float()) ** 2).sum(), x),  # a cast inside
             (lambda a: ((a * data).tanh() ** 2).sum(), scale)]  # float32 beside a 0-d input
    for fn, input in cases:
        with pytest.raises(tg.GradcheckError) as failed:
            tg.gradcheck(fn, (input,))
        note = str(failed.value).splitlines()[-1]
        assert note.startswith("  note: fn returned float32 although gradcheck gave it "
                               "float64 copies of the inputs"), note
        assert "compute in float64 for the check" in note
        # (float32 rounding makes the numeric side a little off: not a factor in backward)
        assert "times the numeric one everywhere" not in str(failed.value)
        assert note.endswith("or check float32 loosely: eps=1e-3, atol=1e-3, rtol=1e-2")
        assert tg.gradcheck(fn, (input,), eps=1e-3, atol=1e-3, rtol=1e-2)
    assert tg.gradcheck(lambda a: (model.double()(a) ** 2).sum(), (x,))


def test_gradcheck_of_a_float32_function_still_names_a_real_factor_in_backward():
    """Only float32's own small factor goes unnamed: a backward five times too large is
    named, even when checked as loosely as the note advises."""
    x = tg.Tensor(np.linspace(0.5, 2.0, 4), requires_grad=True)

    def fn(a):
        y = a.float()
        y.register_hook(lambda g: g * 5)
        return y * y
    with pytest.raises(tg.GradcheckError) as failed:
        tg.gradcheck(fn, (x,), eps=1e-3, atol=1e-3, rtol=1e-2)
    assert "hint: the analytic gradient is 5 times the numeric one everywhere" in str(
        failed.value)


def test_a_diagram_of_a_float32_step_labels_each_tensor_float32_with_its_values():
    weight = nn.Parameter(tg.Tensor(2.0, dtype=tg.float32), name="weight")
    pred = weight * tg.Tensor(3.0, dtype=tg.float32, name="input")
    pred.name = "pred"
    loss = (pred - tg.Tensor(10.0, dtype=tg.float32, name="target")) ** 2
    loss.name = "loss"
    loss.backward(retain_graph=True)
    source = tg.draw_graph(loss).source
    for t in (weight, pred, loss):
        assert f"<B>{t.name}</B> float32<BR/>data {t.item():g}" in source, t.name
    assert f".grad {weight.grad.item():g}>" in source
    _all_float32("the step", weight.grad, pred, loss)
