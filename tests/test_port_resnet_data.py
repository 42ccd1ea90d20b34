"""Two PyTorch programs ported as written, beside torch 2.13 with the same weights and data.

(1) A small ResNet on 3x16x16 images (BasicBlocks of bias-free 3x3 convs, BatchNorm2d,
ReLU(inplace=True), a strided 1x1 downsample shortcut, AdaptiveAvgPool2d, flatten,
Dropout(0.0)), CrossEntropyLoss(label_smoothing=0.1), SGD with Nesterov momentum and
parameter groups (no weight decay on norms and biases) under OneCycleLR: losses, learning
rates and every parameter and buffer equal after each step (float64, float32 kept), eval
outputs too, and a state_dict saved with tg.save loads into a fresh model.
(2) A Dataset of arrays with a transform, a DataLoader with drop_last, a collate_fn and a
WeightedRandomSampler seeded by `tg.Generator().manual_seed(0)`: the same batches as
torch's given torch's order, a linear model trained over two epochs equal to torch's.

What the port mended: `tg.Generator` (PyTorch's torch.Generator spelling, missing), the
generator refusal naming torch's class, `x.to(device, non_blocking=True)` and
`to(copy=True)` (refused), and the label-smoothed cross-entropy's diagram, which drew a
mask of 1s named "target not ignored" as if it were the target.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.nn import functional as F

STEPS, CLASSES = 6, 5
TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}


def _numpy(value):
    """A state_dict's entry as an array (ours are arrays already, torch's Tensors)."""
    return value if isinstance(value, np.ndarray) else value.detach().numpy().copy()


def _resnet(lib):
    """PyTorch's BasicBlock ResNet, written once for torch and for tinygrad_gd (`lib`)."""
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(4)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = BasicBlock(4, 4)
            self.layer2 = BasicBlock(4, 8, stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.dropout = nn.Dropout(0.0)
            self.fc = nn.Linear(8, CLASSES)

        def forward(self, x):
            x = self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x)))))
            x = lib.flatten(self.avgpool(x), 1)
            return self.fc(self.dropout(x))

    return ResNet, BasicBlock


def _groups(model):
    """No weight decay on the norms' weights and on biases (parameters of one axis)."""
    decay = [p for _, p in model.named_parameters() if p.ndim > 1]
    rest = [p for _, p in model.named_parameters() if p.ndim <= 1]
    return [{"params": decay}, {"params": rest, "weight_decay": 0.0}]


def _train_resnet(lib, model, images, labels):
    """Six steps of the program; the loss, the learning rates and the state after each."""
    opt = lib.optim.SGD(_groups(model), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    schedule = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=STEPS)
    criterion = lib.nn.CrossEntropyLoss(label_smoothing=0.1)
    model.train()
    history = []
    for x, y in zip(images, labels):
        opt.zero_grad()
        loss = criterion(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        opt.step()
        schedule.step()
        state = {k: _numpy(v) for k, v in model.state_dict().items()}
        history.append((loss.item(), [g["lr"] for g in opt.param_groups], state))
    return history


def _images(dtype, steps=STEPS):
    rng = np.random.default_rng(0)
    return (rng.normal(size=(steps, 6, 3, 16, 16)).astype(dtype),
            rng.integers(0, CLASSES, size=(steps, 6)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_resnet_trains_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = _resnet(torch)[0]().to(getattr(torch, np.dtype(dtype).name))
    ours = _resnet(tg)[0]().to(dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    images, labels = _images(dtype)
    expected = _train_resnet(torch, theirs, images, labels)
    got = _train_resnet(tg, ours, images, labels)
    for (loss, lrs, state), (their_loss, their_lrs, their_state) in zip(got, expected):
        np.testing.assert_allclose(loss, their_loss, **TOLERANCE[dtype])
        np.testing.assert_allclose(lrs, their_lrs, rtol=1e-12)
        assert list(state) == list(their_state)
        for name, value in state.items():
            assert value.dtype == their_state[name].dtype, name
            np.testing.assert_allclose(value, their_state[name], err_msg=name, **TOLERANCE[dtype])
    ours.eval()
    theirs.eval()
    with tg.no_grad():
        out = ours(tg.tensor(images[0]))
    with torch.no_grad():
        their_out = theirs(torch.tensor(images[0]))
    assert out.dtype == dtype and not out.requires_grad
    np.testing.assert_allclose(out.numpy(), their_out.numpy(), **TOLERANCE[dtype])
    accuracy = (out.argmax(1) == tg.tensor(labels[0])).float().mean().item()
    assert accuracy == (their_out.argmax(1) == torch.tensor(labels[0])).float().mean().item()


def test_resnet_state_dict_saved_and_loaded_gives_equal_outputs(tmp_path):
    ResNet = _resnet(tg)[0]
    tg.manual_seed(0)
    model = ResNet()
    images, labels = _images(np.float64, steps=2)
    _train_resnet(tg, model, images, labels)  # running statistics and weights moved
    tg.save(model.state_dict(), tmp_path / "resnet.pt")
    fresh = ResNet()
    assert fresh.load_state_dict(tg.load(tmp_path / "resnet.pt")) == ([], [])
    model.eval()
    fresh.eval()
    with tg.no_grad():
        np.testing.assert_array_equal(fresh(tg.tensor(images[0])).numpy(),
                                      model(tg.tensor(images[0])).numpy())


def test_basic_block_gradients_match_finite_differences():
    block = _resnet(tg)[1](2, 3, stride=2).double()
    x = tg.randn(2, 2, 4, 4, seed=1, dtype=tg.float64, requires_grad=True)
    names = [name for name, _ in block.named_parameters()]
    params = [p.detach().clone().requires_grad_() for _, p in block.named_parameters()]

    def loss(x, *values):
        logits = tg.func.functional_call(block, dict(zip(names, values)), (x,))
        return F.cross_entropy(logits.reshape(2, -1), tg.tensor([0, 5]), label_smoothing=0.1)
    assert tg.gradcheck(loss, [x, *params])


# ------------------------------------------------------------------ label-smoothed loss


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", [dict(label_smoothing=0.1),
                                     dict(label_smoothing=0.2, ignore_index=1),
                                     dict(label_smoothing=0.1, weight=[1.0, 2.0, 0.5])])
def test_label_smoothed_cross_entropy_as_torchs(dtype, options):
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(2).normal(size=(4, 3)).astype(dtype)
    target = np.array([0, 1, 2, 2])
    weight = options.get("weight")
    ours_options = dict(options, weight=None if weight is None else np.array(weight, dtype))
    their_options = dict(options, weight=None if weight is None else torch.tensor(ours_options[
        "weight"]))
    x, tx = tg.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor(target), **ours_options)
    their_loss = torch.nn.functional.cross_entropy(tx, torch.tensor(target), **their_options)
    loss.backward()
    their_loss.backward()
    assert loss.dtype == x.grad.dtype == dtype
    np.testing.assert_allclose(loss.item(), their_loss.item(), **TOLERANCE[dtype])
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TOLERANCE[dtype])


def test_label_smoothed_cross_entropy_gradients_and_edges():
    x = tg.randn(4, 3, seed=3, dtype=tg.float64, requires_grad=True)
    for options in (dict(), dict(ignore_index=2), dict(weight=tg.tensor([1.0, 2.0, 0.5]))):
        assert tg.gradcheck(lambda x: F.cross_entropy(x, tg.tensor([0, 2, 1, 2]),
                                                      label_smoothing=0.3, **options), [x])
    ignored = F.cross_entropy(x, tg.tensor([2, 2, 2, 2]), ignore_index=2, label_smoothing=0.1)
    ignored.backward()
    assert np.isnan(ignored.item()) and not x.grad.numpy().any()  # torch's NaN, zero gradient
    empty = F.cross_entropy(tg.zeros(0, 3, requires_grad=True), tg.tensor([], dtype=tg.int64),
                            label_smoothing=0.1)
    assert np.isnan(empty.item())
    tie = F.cross_entropy(tg.zeros(2, 3), tg.tensor([0, 1]), label_smoothing=0.5)
    np.testing.assert_allclose(tie.item(), np.log(3))  # equal logits: log(classes) whatever


def test_label_smoothed_cross_entropy_diagram_draws_no_mask_of_ones():
    x = tg.randn(4, 3, seed=4, dtype=tg.float64, requires_grad=True)
    plain = F.cross_entropy(x, tg.tensor([0, 1, 2, 1]), label_smoothing=0.1)
    assert "target not ignored" not in tg.draw_graph(plain).source  # (all 1s: no mask)
    some_ignored = F.cross_entropy(x, tg.tensor([0, 1, 2, -100]), label_smoothing=0.1)
    assert "target not ignored" in tg.draw_graph(some_ignored).source


# ------------------------------------------------------------------ tg.Generator


def test_generator_is_torchs_spelling_for_a_stream_of_ones_own():
    generator = tg.Generator()
    assert generator.manual_seed(7) is generator and generator.initial_seed() == 7
    assert str(generator.device) == "cpu"
    first = tg.randn(3, generator=tg.Generator().manual_seed(7))
    np.testing.assert_array_equal(tg.randn(3, generator=generator).numpy(), first.numpy())
    state = generator.get_state()
    again = generator.random(4)
    assert generator.set_state(state) is generator
    np.testing.assert_array_equal(generator.random(4), again)
    seed = generator.seed()
    assert isinstance(seed, int) and generator.initial_seed() == seed
    # a new one repeats from run to run, as PyTorch's
    np.testing.assert_array_equal(tg.Generator().random(3), tg.Generator().random(3))


def test_generator_seeds_as_torchs():
    torch = pytest.importorskip("torch")
    assert tg.Generator().initial_seed() == torch.Generator().initial_seed()
    for seed in (0, -1, -2 ** 63, 2 ** 64 - 1):
        assert (tg.Generator().manual_seed(seed).initial_seed()
                == torch.Generator().manual_seed(seed).initial_seed())
    for bad in (1.5, "3", True):
        with pytest.raises(RuntimeError):
            torch.Generator().manual_seed(bad)
        with pytest.raises(RuntimeError, match=r"^Generator.manual_seed: seed must be an int, "
                                               r"got \w+ .*; give a whole number"):
            tg.Generator().manual_seed(bad)
    with pytest.raises(ValueError, match=r"seed 18446744073709551616 is out of range; give an "
                                         r"int in \[-2\*\*63, 2\*\*64 - 1\]"):
        tg.Generator().manual_seed(2 ** 64)


def test_generator_refusals_say_what_to_give():
    with pytest.raises(TypeError, match=r"^Generator: expected the device 'cpu', got str "
                                        r"'cuda'; .*CPU only"):
        tg.Generator("cuda")
    with pytest.raises(TypeError, match=r"^Generator.set_state: state must be the dict "
                                        r"Generator.get_state\(\) gave, got int 5"):
        tg.Generator().set_state(5)
    with pytest.raises(ValueError, match=r"^Generator.set_state: .* is not a state"):
        tg.Generator().set_state({"bit_generator": "MT19937"})
    assert tg.Generator().initial_seed() == 67280421310721  # (unchanged by the refusals)


def test_torchs_generator_is_named_as_torchs_in_the_refusal():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"^RandomSampler: generator must be a numpy.random."
                                        r"Generator such as tg.Generator\(\).manual_seed\(0\) "
                                        r"or np.random.default_rng\(0\), got torch.*Generator$"):
        tg.utils.data.RandomSampler(range(3), generator=torch.Generator())


# ------------------------------------------------------------------ .to(device, ...)


def test_to_takes_torchs_non_blocking_and_copy():
    x = tg.ones(2, 3, requires_grad=True)
    assert x.to("cpu", non_blocking=True) is x  # (a training loop's xb.to(device, ...))
    copied = x.to("cpu", copy=True)
    assert copied is not x and copied.requires_grad
    copied.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    assert x.to(tg.float32, non_blocking=True, copy=True).dtype == np.float32
    model = tg.nn.Linear(3, 2)
    assert model.to("cpu", non_blocking=True) is model
    with pytest.raises(TypeError, match=r"^to: non_blocking must be True or False, got str"):
        x.to("cpu", non_blocking="yes")
    with pytest.raises(TypeError, match=r"^Module.to: non_blocking must be True or False"):
        model.to("cpu", non_blocking=1)


# ------------------------------------------------------------------ the data program


def _data_program(lib, order=None):
    """PyTorch's Dataset, transform, collate_fn, WeightedRandomSampler and DataLoader,
    written once; `order`: a sampler replaying given epochs instead (torch's order)."""
    data = lib.utils.data

    class ArrayDataset(data.Dataset):
        def __init__(self, X, y, transform=None):
            self.X, self.y, self.transform = X, y, transform

        def __len__(self):
            return len(self.X)

        def __getitem__(self, idx):
            x = self.X[idx]
            return (self.transform(x) if self.transform else x), self.y[idx]

    class Replay(data.Sampler):
        def __init__(self, epochs):
            self.epochs = iter(epochs)

        def __iter__(self):
            return iter(next(self.epochs))

        def __len__(self):
            return len(order[0])

    def collate_fn(batch):
        xs, ys = zip(*batch)
        return lib.stack(xs), lib.tensor(ys)

    def make_loader(X, y):
        weights = 1.0 / np.bincount(y)[y]
        sampler = Replay(order) if order is not None else data.WeightedRandomSampler(
            weights, len(y), generator=lib.Generator().manual_seed(0))
        dataset = ArrayDataset(X, y, transform=lambda x: lib.from_numpy((x - 0.5) / 2.0))
        return data.DataLoader(dataset, batch_size=4, drop_last=True, sampler=sampler,
                               collate_fn=collate_fn)
    return make_loader


def _train_linear(lib, loader, model, epochs=2):
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    criterion = lib.nn.CrossEntropyLoss()
    history = []
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            opt.step()
            history.append((xb.numpy().copy(), yb.numpy().copy(), loss.item(),
                            {k: _numpy(v) for k, v in model.state_dict().items()}))
    return history


def _arrays(dtype):
    rng = np.random.default_rng(5)
    return rng.normal(size=(22, 3)).astype(dtype), (rng.random(22) < 0.25).astype(np.int64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_data_program_batches_and_trains_as_torchs(dtype):
    torch = pytest.importorskip("torch")
    X, y = _arrays(dtype)
    their_sampler = _data_program(torch)(X, y).sampler
    order = [list(their_sampler), list(their_sampler)]  # torch's two epochs
    assert order[0] != order[1]
    torch.manual_seed(0)
    theirs = torch.nn.Linear(3, 2).to(getattr(torch, np.dtype(dtype).name))
    ours = tg.nn.Linear(3, 2).to(dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    expected = _train_linear(torch, _data_program(torch, order)(X, y), theirs)
    got = _train_linear(tg, _data_program(tg, order)(X, y), ours)
    assert len(got) == len(expected) == 2 * (22 // 4)
    for (xb, yb, loss, state), (txb, tyb, tloss, tstate) in zip(got, expected):
        assert xb.dtype == txb.dtype == dtype and yb.dtype == tyb.dtype == np.int64
        np.testing.assert_array_equal(xb, txb)
        np.testing.assert_array_equal(yb, tyb)
        np.testing.assert_allclose(loss, tloss, **TOLERANCE[dtype])
        for name, value in state.items():
            assert value.dtype == tstate[name].dtype
            np.testing.assert_allclose(value, tstate[name], err_msg=name, **TOLERANCE[dtype])


def test_data_program_draws_by_the_weights_from_a_seeded_generator():
    X, y = _arrays(np.float64)
    loader = _data_program(tg)(X, y)
    assert len(loader) == 5
    epochs = [[yb.numpy() for _, yb in loader] for _ in range(2)]
    assert all(len(e) == 5 and all(b.shape == (4,) for b in e) for e in epochs)  # drop_last
    assert not all(np.array_equal(a, b) for a, b in zip(*epochs))  # the stream goes on
    replayed = [yb.numpy() for _, yb in _data_program(tg)(X, y)]  # the same seed: the same
    assert all(np.array_equal(a, b) for a, b in zip(epochs[0], replayed))
    sampler = loader.sampler
    draws = np.concatenate([list(sampler) for _ in range(400)])
    frequency = np.bincount(draws, minlength=len(y)) / draws.size
    weights = 1.0 / np.bincount(y)[y]
    np.testing.assert_allclose(frequency, weights / weights.sum(), atol=0.01)
    assert abs(np.mean(y[draws]) - 0.5) < 0.02  # the classes balanced, as the weights mean
    model = tg.nn.Linear(3, 2)
    losses = [loss for *_, loss, _ in _train_linear(tg, loader, model)]
    assert len(losses) == 10 and np.isfinite(losses).all()
