"""PyTorch's "Learn the Basics" series ported whole, beside torch 2.13: Tensors (creation,
indexing, cat, the products, in-place add, the NumPy bridge), Datasets & DataLoaders (a
Dataset of one's own, random images in place of FashionMNIST), Transforms (the one-hot
Lambda), Build the Model (the printed model and parameters, the layer-by-layer walk),
Autograd (binary cross-entropy with logits, no_grad, detach, the Jacobian products
accumulating, `Q.backward(gradient=...)`), Optimization (train and test loops, SGD, two
epochs: every loss and parameter after each step, the printed lines) and Save & Load.
Same weights (torch's state_dict copied in), same data and order, float64 then float32.

What the port found is tested below (`test_finding_*`), mended in the package: PyTorch's
out=, a 0-d index to scatter_ and gather, a whole model "loaded" from a state dict.
`tg.from_numpy` copies (a documented choice: NumPy's writes to a shared array would not
be counted as in-place changes), so the NumPy bridge is checked from `t.numpy()` only.
"""
from __future__ import annotations

import copy
import os
import pickle

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

DTYPES = ["float64", "float32"]
N_TRAIN, N_TEST, BATCH_SIZE = 200, 70, 64
RNG = np.random.default_rng(2024)
IMAGES = RNG.random((N_TRAIN + N_TEST, 1, 28, 28))
LABELS = RNG.integers(0, 10, N_TRAIN + N_TEST)


def _tolerance(dtype):
    return dict(rtol=1e-10, atol=1e-13) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)


def _array(t):
    return t.detach().numpy().copy()


def _same_weights(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


# ------------------------------------------------------------------------------ Tensors


def _tensors_page(lib):
    """The Tensors page's lines; what it prints, as arrays (the random ones: shape, dtype)."""
    seen = {}
    data = [[1, 2], [3, 4]]
    x_data = lib.tensor(data)
    np_array = np.array(data)
    x_np = lib.from_numpy(np_array)
    x_ones = lib.ones_like(x_data)
    x_rand = lib.rand_like(x_data, dtype=lib.float)
    seen.update(x_data=x_data, x_np=x_np, x_ones=x_ones)
    seen["x_rand"] = (tuple(x_rand.shape), str(x_rand.dtype).replace("torch.", ""))
    shape = (2, 3,)
    rand_tensor, ones_tensor, zeros_tensor = lib.rand(shape), lib.ones(shape), lib.zeros(shape)
    seen.update(rand_shape=tuple(rand_tensor.shape), ones=ones_tensor, zeros=zeros_tensor)
    tensor = lib.rand(3, 4)
    seen["attributes"] = (tuple(tensor.shape), str(tensor.device))
    tensor = lib.ones(4, 4)
    seen.update(first_row=tensor[0], first_column=tensor[:, 0], last_column=tensor[..., -1])
    tensor[:, 1] = 0
    seen["tensor"] = tensor.clone()
    seen["t1"] = lib.cat([tensor, tensor, tensor], dim=1)
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = lib.rand_like(y1)
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)
    z3 = lib.rand_like(tensor)
    lib.matmul(tensor, tensor.T, out=y3)
    lib.mul(tensor, tensor, out=z3)
    seen.update(y1=y1, y2=y2, y3=y3, z1=z1, z2=z2, z3=z3)
    agg = tensor.sum()
    agg_item = agg.item()
    seen["agg_item"] = (agg_item, type(agg_item))
    returned = tensor.add_(5)
    seen.update(add_=tensor.clone(), add_returns_self=returned is tensor)
    t = lib.ones(5)
    n = t.numpy()
    t.add_(1)
    seen.update(bridge_t=t.clone(), bridge_n=n.copy())
    return seen


def _compare(ours, theirs):
    assert ours.keys() == theirs.keys()
    for key, want in theirs.items():
        got = ours[key]
        if hasattr(want, "numpy"):
            got, want = got.numpy(), want.numpy()
            assert got.dtype == want.dtype and got.shape == want.shape, key
            np.testing.assert_array_equal(got, want, err_msg=key)
        else:
            assert got == want, key


def test_tensors_page_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = _tensors_page(tg), _tensors_page(torch)
    # by design: a float's default dtype is float64 here, float32 in torch
    assert ours.pop("rand_shape") == theirs.pop("rand_shape") == (2, 3)
    ones, zeros = ours.pop("ones"), ours.pop("zeros")
    assert ones.dtype == zeros.dtype == np.float64
    np.testing.assert_array_equal(ones.numpy(), theirs.pop("ones").numpy())
    np.testing.assert_array_equal(zeros.numpy(), theirs.pop("zeros").numpy())
    for key in ("tensor", "t1", "y1", "y2", "y3", "z1", "z2", "z3", "add_", "bridge_t",
                "first_row", "first_column", "last_column"):
        ours[key], theirs[key] = ours[key].float(), theirs[key].float()
    ours["bridge_n"] = tg.tensor(ours["bridge_n"].astype(np.float32))
    theirs["bridge_n"] = torch.tensor(theirs["bridge_n"])
    _compare(ours, theirs)
    assert theirs["y3"].numpy().tolist() == [[3.0] * 4] * 4  # (the tutorial's printed values)


def test_numpy_bridge_shares_numpy_and_add_in_place():
    t = tg.ones(5)
    n = t.numpy()
    t.add_(1)
    np.testing.assert_array_equal(n, np.full(5, 2.0))  # torch: n sees t's change, ours too


def test_products_and_sum_of_a_float32_tensor_keep_float32():
    tensor = tg.ones(4, 4, dtype=tg.float32)
    tensor[:, 1] = 0
    for result in (tensor @ tensor.T, tensor.mul(tensor), tg.cat([tensor, tensor], dim=1),
                   tensor.sum()):
        assert result.dtype == np.float32


def test_sum_of_an_empty_tensor_is_zero_as_pytorchs():
    torch = pytest.importorskip("torch")
    assert tg.ones(0, 4).sum().item() == torch.ones(0, 4).sum().item() == 0.0
    assert tg.cat([tg.ones(0, 4), tg.ones(2, 4)], dim=0).shape == (2, 4)


# ------------------------------------------------------------- Datasets, Transforms


def _dataset_class(lib):
    Dataset = lib.utils.data.Dataset

    class CustomImageDataset(Dataset):
        def __init__(self, images, labels, transform=None, target_transform=None):
            self.images, self.labels = images, labels
            self.transform = transform
            self.target_transform = target_transform

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, idx):
            image = lib.tensor(self.images[idx])
            label = int(self.labels[idx])
            if self.transform:
                image = self.transform(image)
            if self.target_transform:
                label = self.target_transform(label)
            return image, label
    return CustomImageDataset


class Lambda:
    """torchvision's transforms.Lambda: a function as a transform (written by hand: tg has
    no torchvision)."""

    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, sample):
        return self.lambd(sample)


def _one_hot(lib):
    return Lambda(lambda y: lib.zeros(10, dtype=lib.float).scatter_(0, lib.tensor(y), value=1))


class Orders:
    """One shuffled order per epoch, the same for both libraries (the tutorial's
    shuffle=True draws from each library's own generator)."""

    def __init__(self, n, seed):
        self.n, self.rng = n, np.random.default_rng(seed)

    def __len__(self):
        return self.n

    def __iter__(self):
        return iter(self.rng.permutation(self.n).tolist())


def _first_batch(lib, shuffle):
    training_data = _dataset_class(lib)(IMAGES[:N_TRAIN].astype(np.float32), LABELS[:N_TRAIN],
                                        target_transform=_one_hot(lib))
    order = dict(shuffle=True) if shuffle else dict(sampler=Orders(N_TRAIN, 3))
    train_dataloader = lib.utils.data.DataLoader(training_data, batch_size=64, **order)
    train_features, train_labels = next(iter(train_dataloader))
    img = train_features[0].squeeze()
    label = train_labels[0]
    return train_features, train_labels, img, label, train_dataloader


def test_datasets_and_dataloaders_pages_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = _first_batch(tg, False), _first_batch(torch, False)
    for got, want in zip(ours[:4], theirs[:4]):
        assert got.shape == tuple(want.shape) and got.dtype == np.float32
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert ours[0].size() == tuple(theirs[0].size()) == (64, 1, 28, 28)
    assert ours[1].size() == (64, 10) and ours[1].numpy().sum(axis=1).tolist() == [1.0] * 64
    assert len(ours[4].dataset) == len(theirs[4].dataset) == N_TRAIN
    assert len(ours[4]) == len(theirs[4]) == 4


def test_shuffled_loader_visits_every_sample_once_per_epoch():
    loader = _first_batch(tg, True)[4]
    for _ in range(2):
        labels = np.concatenate([y.numpy().argmax(1) for _, y in loader])
        assert sorted(labels.tolist()) == sorted(LABELS[:N_TRAIN].tolist())


def test_labels_without_a_transform_collate_to_int64_as_pytorchs():
    torch = pytest.importorskip("torch")
    got, want = [next(iter(lib.utils.data.DataLoader(
        _dataset_class(lib)(IMAGES[:5], LABELS[:5]), batch_size=2)))[1] for lib in (tg, torch)]
    assert got.dtype == np.int64 and want.dtype == torch.int64
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# ------------------------------------------------------------------- Build the Model


def _network_class(lib):
    class NeuralNetwork(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = lib.nn.Flatten()
            self.linear_relu_stack = lib.nn.Sequential(
                lib.nn.Linear(28*28, 512),
                lib.nn.ReLU(),
                lib.nn.Linear(512, 512),
                lib.nn.ReLU(),
                lib.nn.Linear(512, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits
    return NeuralNetwork


def _models(torch, dtype):
    device = torch.accelerator.current_accelerator().type \
        if torch.accelerator.is_available() else "cpu"
    theirs = _network_class(torch)().to(device).to(getattr(torch, dtype))
    ours_device = tg.accelerator.current_accelerator().type \
        if tg.accelerator.is_available() else "cpu"
    ours = _network_class(tg)().to(ours_device).to(getattr(tg, dtype))
    _same_weights(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("dtype", DTYPES)
def test_build_the_model_page_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    model, tmodel = _models(torch, dtype)
    assert str(model) == str(tmodel)
    assert f"Model structure: {model}\n\n" == f"Model structure: {tmodel}\n\n"
    X = RNG.random((1, 28, 28)).astype(dtype)
    logits, tlogits = model(tg.tensor(X)), tmodel(torch.tensor(X))
    pred_probab, tpred_probab = nn.Softmax(dim=1)(logits), torch.nn.Softmax(dim=1)(tlogits)
    np.testing.assert_allclose(_array(pred_probab), _array(tpred_probab), **_tolerance(dtype))
    assert pred_probab.dtype == np.dtype(dtype)
    assert pred_probab.argmax(1).tolist() == tpred_probab.argmax(1).tolist()
    names = [(name, param.size()) for name, param in model.named_parameters()]
    assert names == [(name, tuple(param.size())) for name, param in tmodel.named_parameters()]
    for (name, param), (_, tparam) in zip(model.named_parameters(), tmodel.named_parameters()):
        line = f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n"
        assert line.startswith(f"Layer: {name} | Size: {tuple(tparam.size())} | Values : ")
        np.testing.assert_array_equal(_array(param[:2]), _array(tparam[:2]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_by_layer_walk_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    input_image = RNG.random((3, 28, 28)).astype(dtype)
    results = []
    for lib in (tg, torch):
        flatten = lib.nn.Flatten()
        flat_image = flatten(lib.tensor(input_image))
        layer1 = lib.nn.Linear(in_features=28*28, out_features=20).to(getattr(lib, dtype))
        results.append([layer1, flatten, flat_image])
    (layer1, flatten, flat_image), (tlayer1, tflatten, tflat_image) = results
    _same_weights(layer1, tlayer1)
    assert flat_image.size() == tuple(tflat_image.size()) == (3, 784)
    hidden1, thidden1 = layer1(flat_image), tlayer1(tflat_image)
    assert hidden1.size() == (3, 20)
    hidden1, thidden1 = nn.ReLU()(hidden1), torch.nn.ReLU()(thidden1)
    np.testing.assert_allclose(_array(hidden1), _array(thidden1), **_tolerance(dtype))
    last, tlast = nn.Linear(20, 10).to(getattr(tg, dtype)), torch.nn.Linear(20, 10).to(
        getattr(torch, dtype))
    _same_weights(last, tlast)
    seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), last)
    tseq_modules = torch.nn.Sequential(tflatten, tlayer1, torch.nn.ReLU(), tlast)
    image = RNG.random((3, 28, 28)).astype(dtype)
    softmax, tsoftmax = nn.Softmax(dim=1), torch.nn.Softmax(dim=1)
    pred_probab = softmax(seq_modules(tg.tensor(image)))
    np.testing.assert_allclose(_array(pred_probab),
                               _array(tsoftmax(tseq_modules(torch.tensor(image)))),
                               **_tolerance(dtype))
    assert pred_probab.dtype == np.dtype(dtype)


def test_model_loss_passes_gradcheck_in_the_images_and_every_parameter():
    """The tutorial's network, narrowed (12 pixels, 6 hidden) so that the finite
    differences stay fast: cross-entropy of its logits in the images and every parameter."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 6),
                          nn.ReLU(), nn.Linear(6, 10))
    names = [name for name, _ in model.named_parameters()]
    labels = tg.tensor(LABELS[:5])

    def loss(x, *weights):
        logits = tg.func.functional_call(model, dict(zip(names, weights)), (x,))
        return nn.CrossEntropyLoss()(logits, labels)
    images = tg.tensor(RNG.random((5, 3, 4)), requires_grad=True)
    weights = [tg.tensor(_array(p), requires_grad=True) for p in model.parameters()]
    assert tg.gradcheck(loss, [images] + weights)


# ------------------------------------------------------------------------ Autograd


def _autograd_page(lib, dtype, w0, b0):
    dt = getattr(lib, dtype)
    seen = {}
    x = lib.ones(5, dtype=dt)  # input tensor
    y = lib.zeros(3, dtype=dt)  # expected output
    w = lib.tensor(w0, dtype=dt, requires_grad=True)
    b = lib.tensor(b0, dtype=dt, requires_grad=True)
    z = lib.matmul(x, w)+b
    loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y)
    seen["grad_fns"] = (z.grad_fn is not None, loss.grad_fn is not None)
    loss.backward()
    seen.update(loss=loss.detach(), w_grad=w.grad, b_grad=b.grad)
    z = lib.matmul(x, w)+b
    flags = [z.requires_grad]
    with lib.no_grad():
        z = lib.matmul(x, w)+b
    flags.append(z.requires_grad)
    z = lib.matmul(x, w)+b
    z_det = z.detach()
    seen["flags"] = flags + [z_det.requires_grad]
    inp = lib.eye(4, 5, dtype=dt, requires_grad=True)
    out = (inp+1).pow(2).t()
    out.backward(lib.ones_like(out), retain_graph=True)
    seen["first_call"] = inp.grad.clone()
    out.backward(lib.ones_like(out), retain_graph=True)
    seen["second_call"] = inp.grad.clone()
    inp.grad.zero_()
    out.backward(lib.ones_like(out), retain_graph=True)
    seen["after_zeroing"] = inp.grad.clone()
    a = lib.tensor([2., 3.], dtype=dt, requires_grad=True)
    b = lib.tensor([6., 4.], dtype=dt, requires_grad=True)
    Q = 3*a**3 - b**2
    external_grad = lib.tensor([1., 1.], dtype=dt)
    Q.backward(gradient=external_grad)
    seen["checks"] = ((9*a**2 == a.grad).tolist(), (-2*b == b.grad).tolist())
    seen.update(a_grad=a.grad, b_grad_q=b.grad)
    return seen


@pytest.mark.parametrize("dtype", DTYPES)
def test_autograd_page_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    w0, b0 = RNG.standard_normal((5, 3)), RNG.standard_normal(3)
    ours, theirs = _autograd_page(tg, dtype, w0, b0), _autograd_page(torch, dtype, w0, b0)
    assert ours.keys() == theirs.keys()
    for key, want in theirs.items():
        if hasattr(want, "numpy"):
            got = ours[key]
            assert got.dtype == np.dtype(dtype), key
            np.testing.assert_allclose(got.numpy(), want.numpy(), err_msg=key,
                                       **_tolerance(dtype))
        else:
            assert ours[key] == want, key
    assert ours["flags"] == [True, False, False]
    assert ours["checks"] == ([True, True], [True, True])


def test_autograd_page_gradients_by_finite_differences():
    x, y = tg.ones(5), tg.zeros(3)

    def loss(w, b):
        return tg.nn.functional.binary_cross_entropy_with_logits(tg.matmul(x, w) + b, y)
    w = tg.tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    b = tg.tensor(RNG.standard_normal(3), requires_grad=True)
    assert tg.gradcheck(loss, (w, b))
    assert tg.gradcheck(lambda inp: (inp + 1).pow(2).t(), (tg.eye(4, 5, requires_grad=True),))


# --------------------------------------------------------------------- Optimization


def _optimization_page(lib, dtype, initial):
    """The Optimization page's program: datasets, loaders, model, loss, SGD, train and
    test loops, two epochs. Returns [(loss, parameters)] after each step, printed lines,
    the model."""
    ImageData = _dataset_class(lib)
    training_data = ImageData(IMAGES[:N_TRAIN].astype(dtype), LABELS[:N_TRAIN])
    test_data = ImageData(IMAGES[N_TRAIN:].astype(dtype), LABELS[N_TRAIN:])
    DataLoader = lib.utils.data.DataLoader
    batch_size = BATCH_SIZE
    # (the tutorial's shuffle=True: the same drawn orders in both, as a sampler)
    train_dataloader = DataLoader(training_data, batch_size=batch_size,
                                  sampler=Orders(N_TRAIN, 11))
    test_dataloader = DataLoader(test_data, batch_size=batch_size)
    model = _network_class(lib)().to(getattr(lib, dtype))
    model.load_state_dict(initial)
    learning_rate = 1e-3
    epochs = 2
    loss_fn = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=learning_rate)
    record, text = [], []

    def train_loop(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            record.append((loss.item(), [_array(p) for p in model.parameters()]))
            if batch % 2 == 0:
                loss, current = loss.item(), batch * batch_size + len(X)
                text.append(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

    def test_loop(dataloader, model, loss_fn):
        model.eval()
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        test_loss, correct = 0, 0
        with lib.no_grad():
            for X, y in dataloader:
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(lib.float).sum().item()
        test_loss /= num_batches
        correct /= size
        text.append(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, "
                    f"Avg loss: {test_loss:>8f} \n")

    for t in range(epochs):
        text.append(f"Epoch {t+1}\n-------------------------------")
        train_loop(train_dataloader, model, loss_fn, optimizer)
        test_loop(test_dataloader, model, loss_fn)
    text.append("Done!")
    return record, text, model


@pytest.mark.parametrize("dtype", DTYPES)
def test_optimization_page_trains_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    initial = _network_class(torch)().to(getattr(torch, dtype)).state_dict()
    theirs, their_text, tmodel = _optimization_page(torch, dtype, initial)
    ours, our_text, model = _optimization_page(
        tg, dtype, {k: v.detach().numpy() for k, v in initial.items()})
    assert len(ours) == len(theirs) == 2 * 4
    for step, ((loss, params), (want_loss, want_params)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(loss, want_loss, err_msg=f"step {step} loss",
                                   **_tolerance(dtype))
        for k, (p, q) in enumerate(zip(params, want_params)):
            assert p.dtype == q.dtype == np.dtype(dtype), (step, k)
            np.testing.assert_allclose(p, q, err_msg=f"step {step} parameter {k}",
                                       **_tolerance(dtype))
    if dtype == "float64":  # (printed to 6 digits: float32's last one may round otherwise)
        assert our_text == their_text
    X = IMAGES[N_TRAIN:].astype(dtype)
    model.eval(), tmodel.eval()
    np.testing.assert_allclose(_array(model(tg.tensor(X))), _array(tmodel(torch.tensor(X))),
                               **_tolerance(dtype))


def test_accuracy_count_of_tied_logits_is_pytorchs():
    torch = pytest.importorskip("torch")
    pred = np.array([[0.5, 0.5, 0.1], [0.0, 0.0, 0.0], [0.2, 0.7, 0.7]])
    y = np.array([1, 0, 1])
    correct = (tg.tensor(pred).argmax(1) == tg.tensor(y)).type(tg.float).sum().item()
    want = (torch.tensor(pred).argmax(1) == torch.tensor(y)).type(torch.float).sum().item()
    assert correct == want


# ---------------------------------------------------------------------- Save & Load


def test_save_and_load_page_as_pytorchs(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    model, tmodel = _models(torch, "float64")
    monkeypatch.chdir(tmp_path)
    tg.save(model.state_dict(), 'model_weights.pth')
    torch.save(tmodel.state_dict(), 'torch_weights.pth')
    assert sorted(os.listdir(tmp_path)) == ['model_weights.pth', 'torch_weights.pth']
    model = _network_class(tg)()  # we do not specify ``weights``, i.e. create untrained model
    tmodel = _network_class(torch)().double()
    result = model.load_state_dict(tg.load('model_weights.pth', weights_only=True))
    tresult = tmodel.load_state_dict(torch.load('torch_weights.pth', weights_only=True))
    assert repr(result) == repr(tresult) == "<All keys matched successfully>"
    assert str(model.eval()) == str(tmodel.eval())
    X = tg.tensor(RNG.random((4, 28, 28)))
    np.testing.assert_allclose(_array(model(X)), _array(tmodel(torch.tensor(X.numpy()))),
                               **_tolerance("float64"))
    # the whole model is pickled, as torch's: a class made inside a function cannot be
    # (FINDING 4, mended: it was saved as its state dict and loaded back as one)
    with pytest.raises(pickle.PicklingError, match=r"_network_class\.<locals>\.NeuralNetwork"):
        tg.save(model, 'model.pth')
    with pytest.raises(Exception, match="NeuralNetwork"):
        torch.save(tmodel, 'torch_model.pth')
    assert not os.path.exists('model.pth')


def test_loading_a_state_dict_into_a_model_of_other_shapes_names_the_parameter(tmp_path):
    tg.save(nn.Linear(3, 2).state_dict(), tmp_path / "w.pth")
    with pytest.raises(RuntimeError, match="weight"):
        nn.Linear(4, 2).load_state_dict(tg.load(tmp_path / "w.pth", weights_only=True))


# ----------------------------------------------------------- findings, left to mend


def test_finding_1_matmul_and_mul_write_into_out():
    tensor = tg.ones(4, 4)
    tensor[:, 1] = 0
    y3, z3 = tg.rand(4, 4), tg.rand(4, 4)
    assert tg.matmul(tensor, tensor.T, out=y3) is y3
    assert tg.mul(tensor, tensor, out=z3) is z3
    np.testing.assert_array_equal(y3.numpy(), (tensor @ tensor.T).numpy())
    np.testing.assert_array_equal(z3.numpy(), (tensor * tensor).numpy())
    w = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^mul\(\): functions with out=\.\.\. arguments "):
        tg.mul(w, w, out=tg.empty(2))  # (no graph through a write into out, as torch's)
    with pytest.raises(ValueError, match=r"^add: out= has shape \(3,\)"):
        tg.add(tensor, tensor, out=tg.empty(3))


def test_finding_3_scatter_and_gather_of_a_0d_index_as_pytorchs():
    torch = pytest.importorskip("torch")
    got = tg.zeros(10, dtype=tg.float).scatter_(0, tg.tensor(3), value=1)
    want = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(3), value=1)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    x = tg.arange(5.0, requires_grad=True)
    picked = x.gather(0, tg.tensor(3))
    assert picked.shape == () and picked.item() == 3.0
    picked.backward()
    assert x.grad.tolist() == [0, 0, 0, 1, 0]
    assert tg.zeros(3).scatter_add(0, tg.tensor(1), tg.tensor(5.0)).tolist() == [0, 5, 0]


def test_finding_4_a_saved_whole_model_loads_as_the_model(tmp_path):
    # the tutorial's next line, model.eval(), met "'dict' object has no attribute 'eval'"
    tg.save(nn.Linear(2, 2), tmp_path / "model.pth")
    model = tg.load(tmp_path / "model.pth", weights_only=False)
    assert type(model) is nn.Linear and model.eval() is model
    weights = tg.load(tmp_path / "model.pth")  # (weights_only=True: no code run)
    with pytest.raises(AttributeError, match=r"^load: the file holds a whole model, .* "
                                             r"no 'eval'"):
        weights.eval()
    assert isinstance(weights, dict) and list(weights) == ["weight", "bias"]
    assert copy.deepcopy(weights).keys() == weights.keys() and pickle.loads(pickle.dumps(weights))
