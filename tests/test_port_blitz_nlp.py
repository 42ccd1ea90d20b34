"""Two PyTorch tutorial series ported whole, beside torch 2.13 with the same weights, data
and order. "Deep Learning with PyTorch: A 60 Minute Blitz": Tensors (creation, the
products, indexing, cat, `t.add_`, the NumPy bridge), the gentle introduction to autograd
(`Q = 3*a**3 - b**2` and `Q.backward(gradient=...)`, frozen parameters and a replaced
classifier), Neural Networks (LeNet, `out.backward(torch.randn(1, 10))`, conv1's bias
gradient before and after backward, the hand-written update and SGD) and the CIFAR-10
classifier on random 32x32 images (CrossEntropyLoss, SGD with momentum, the state dict
saved and loaded, the overall and per-class accuracy counts). "Deep Learning for NLP with
PyTorch": the N-gram language model, the CBOW exercise, the LSTM part-of-speech tagger
and the Bi-LSTM CRF (forward algorithm, gold score, Viterbi decoding, SGD with
weight_decay). Each program is written once for `lib` (torch, or tinygrad_gd) as the
tutorial writes it; losses and every parameter equal after each step (float64, and
float32 kept), and the outputs, predictions, printed lines and decoded tags equal.

Where the package differs from PyTorch the port goes round it, marked: `# FINDING n`
(tested below as `test_finding_*`: each failed before the package was mended), or a
one-line comment naming a documented difference (`.data` is a NumPy array,
`tg.from_numpy` copies).
"""
from __future__ import annotations


import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from test_port_tutorials_b import _default_dtype  # (both libraries' default dtype)

DTYPES = [np.float64, np.float32]
CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _tolerance(dtype):
    return dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)


def _numpy(value):
    """Either library's tensor (or a number) as a NumPy array."""
    return np.asarray(value.detach().numpy() if hasattr(value, "detach") else value)


def _same(ours, theirs, dtype, what=""):
    ours, theirs = _numpy(ours), _numpy(theirs)
    assert ours.shape == theirs.shape, what
    np.testing.assert_allclose(ours, theirs, err_msg=what, **_tolerance(dtype))


def _same_parameters(ours, theirs, dtype, what=""):
    """Every parameter, by name, equal and of the dtype."""
    named = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(named), what
    for name, p in ours.named_parameters():
        assert p.dtype == dtype, (what, name)
        _same(p, named[name], dtype, f"{what} {name}")


def _twins(make, torch):
    """PyTorch's model and ours, ours given PyTorch's initial weights as a user copies them."""
    theirs, ours = make(torch), make(tg)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


class _Draws:
    """One stream of normal draws per library, the same numbers in both (each library's own
    `randn` draws from its own generator): `draws.randn(lib, 2, 1, 3)` for `lib.randn(2, 1, 3)`."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def randn(self, lib, *shape):
        return lib.tensor(self.rng.standard_normal(shape), dtype=lib.get_default_dtype())


def _pairs_of_draws(seed):
    return {name: _Draws(seed) for name in ("torch", "tinygrad_gd")}


# ------------------------------------------------------------------ blitz 1: tensors


def _tensors_page(lib, rand):
    """The Tensors page; `rand` stands for torch.rand's numbers (the same in both)."""
    seen = {}
    data = [[1, 2], [3, 4]]
    x_data = lib.tensor(data)
    x_np = lib.from_numpy(np.array(data))
    x_ones = lib.ones_like(x_data)
    x_rand = lib.rand_like(x_data, dtype=lib.float)
    seen.update(x_data=x_data, x_np=x_np, x_ones=x_ones, x_rand_dtype=str(x_rand.dtype)[-7:],
                x_rand_shape=tuple(x_rand.shape))
    shape = (2, 3,)
    for name, tensor in (("rand", lib.rand(shape)), ("ones", lib.ones(shape)),
                         ("zeros", lib.zeros(shape))):
        seen[name + "_shape"], seen[name + "_dtype"] = tuple(tensor.shape), str(tensor.dtype)[-7:]
    seen["zeros"] = lib.zeros(shape)
    tensor = lib.tensor(rand)
    seen["attributes"] = (tuple(tensor.shape), str(tensor.dtype)[-7:], str(tensor.device))
    tensor = lib.ones(4, 4)
    seen.update(first_row=tensor[0], first_column=tensor[:, 0], last_column=tensor[..., -1])
    tensor[:, 1] = 0
    seen["tensor"] = tensor
    seen["t1"] = lib.cat([tensor, tensor, tensor], dim=1)
    tensor = lib.tensor(rand[:4])
    y1, y2 = tensor @ tensor.T, tensor.matmul(tensor.T)
    y3 = lib.rand_like(y1)
    lib.matmul(tensor, tensor.T, out=y3)
    z1, z2 = tensor * tensor, tensor.mul(tensor)
    z3 = lib.rand_like(tensor)
    lib.mul(tensor, tensor, out=z3)
    seen.update(y1=y1, y2=y2, y3=y3, z1=z1, z2=z2, z3=z3)
    agg = tensor.sum()
    agg_item = agg.item()
    seen["agg_item"], seen["agg_item_type"] = agg_item, type(agg_item)
    seen["added"] = tensor.add_(5)
    seen["tensor_after_add_"] = tensor
    t = lib.ones(5)
    n = t.numpy()
    t.add_(1)
    seen.update(t=t, n=n.copy())
    n = np.ones(5)
    t = lib.from_numpy(n)
    np.add(n, 1, out=n)
    seen["n_after_np_add"] = n.copy()  # (t not compared: tg.from_numpy copies, documented)
    return seen


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensors_page_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    rand = np.random.default_rng(1).random((3, 4)).astype(dtype)
    with _default_dtype(torch, dtype):
        ours, theirs = _tensors_page(tg, rand), _tensors_page(torch, rand)
    assert list(ours) == list(theirs)
    for name, value in theirs.items():
        if isinstance(value, (str, tuple, type)):
            assert ours[name] == value, name
        else:
            assert _numpy(ours[name]).dtype == _numpy(value).dtype, name
            _same(ours[name], value, dtype, name)


# ------------------------------------------------------------------ blitz 2: autograd


def _small_resnet(lib):
    """A stand-in for torchvision's resnet18 (no download): convolutions, then `fc`."""
    class SmallNet(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False)
            self.bn1 = lib.nn.BatchNorm2d(4)
            self.relu = lib.nn.ReLU(inplace=True)
            self.layer1 = lib.nn.Conv2d(4, 8, 3, padding=1)
            self.avgpool = lib.nn.AdaptiveAvgPool2d((1, 1))
            self.fc = lib.nn.Linear(8, 20)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.avgpool(self.relu(self.layer1(x)))
            return self.fc(lib.flatten(x, 1))
    return SmallNet()


def _autograd_page(lib, model, data, labels, draws):
    seen = {}
    prediction = model(lib.tensor(data))  # forward pass
    loss = (prediction - lib.tensor(labels)).sum()
    loss.backward()  # backward pass
    optim = lib.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    optim.step()  # gradient descent
    seen.update(prediction=prediction, loss=loss)

    a = lib.tensor([2., 3.], requires_grad=True)
    b = lib.tensor([6., 4.], requires_grad=True)
    Q = 3*a**3 - b**2
    external_grad = lib.tensor([1., 1.])
    Q.backward(gradient=external_grad)
    seen.update(Q=Q, a_grad=a.grad, b_grad=b.grad, check_a=9*a**2 == a.grad,
                check_b=-2*b == b.grad)

    x, y = draws.randn(lib, 5, 5), draws.randn(lib, 5, 5)
    z = draws.randn(lib, 5, 5).requires_grad_()
    seen.update(a_requires_grad=(x + y).requires_grad, b_requires_grad=(x + z).requires_grad)
    return seen


def _fine_tune(lib, model):
    """Frozen parameters, a new classifier, an optimizer given every parameter."""
    # Freeze all the parameters in the network
    for param in model.parameters():
        param.requires_grad = False
    model.fc = lib.nn.Linear(8, 10)
    return lib.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_autograd_page_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    data, labels = rng.random((1, 3, 16, 16)).astype(dtype), rng.random((1, 20)).astype(dtype)
    draws = _pairs_of_draws(3)
    with _default_dtype(torch, dtype):
        torch.manual_seed(0)
        model, tmodel = _twins(_small_resnet, torch)
        seen = _autograd_page(tg, model, data, labels, draws["tinygrad_gd"])
        tseen = _autograd_page(torch, tmodel, data, labels, draws["torch"])
        _same_parameters(model, tmodel, dtype, "one step")
        optimizer, toptimizer = _fine_tune(tg, model), _fine_tune(torch, tmodel)
        model.fc.load_state_dict({k: v.detach().numpy() for k, v in tmodel.fc.state_dict().items()})
        assert seen.keys() == tseen.keys()
        for name, value in tseen.items():
            _same(seen[name], value, dtype, name)
        np.testing.assert_array_equal(seen["check_a"].numpy(), [True, True])
        frozen = {name: p.numpy().copy() for name, p in model.named_parameters()}
        for _ in range(3):  # only the classifier learns
            for net, opt, lib in ((model, optimizer, tg), (tmodel, toptimizer, torch)):
                opt.zero_grad()
                loss = net(lib.tensor(data)).logsumexp(1).sum()
                loss.backward()
                opt.step()
            _same_parameters(model, tmodel, dtype, "classifier step")
        for name, p in model.named_parameters():
            assert (p.grad is None) == (not name.startswith("fc")), name
            assert np.array_equal(p.numpy(), frozen[name]) == (not name.startswith("fc")), name
    assert [p.requires_grad for p in model.parameters()] == \
        [p.requires_grad for p in tmodel.parameters()]


# ------------------------------------------------------------------ blitz 3: neural networks


def _lenet(lib):
    F = lib.nn.functional

    class Net(lib.nn.Module):

        def __init__(self):
            super(Net, self).__init__()
            # 1 input image channel, 6 output channels, 5x5 square convolution kernel
            self.conv1 = lib.nn.Conv2d(1, 6, 5)
            self.conv2 = lib.nn.Conv2d(6, 16, 5)
            # an affine operation: y = Wx + b
            self.fc1 = lib.nn.Linear(16 * 5 * 5, 120)  # 5*5 from image dimension
            self.fc2 = lib.nn.Linear(120, 84)
            self.fc3 = lib.nn.Linear(84, 10)

        def forward(self, input):
            c1 = F.relu(self.conv1(input))
            s2 = F.max_pool2d(c1, (2, 2))
            c3 = F.relu(self.conv2(s2))
            s4 = F.max_pool2d(c3, 2)
            s4 = lib.flatten(s4, 1)
            f5 = F.relu(self.fc1(s4))
            f6 = F.relu(self.fc2(f5))
            output = self.fc3(f6)
            return output
    return Net()


def _neural_networks_page(lib, net, draws):
    """The page from the printed net to optimizer.step(); what it prints, by name."""
    seen = {"printed": str(net)}
    params = list(net.parameters())
    seen.update(n_params=len(params), params0_size=tuple(params[0].size()))
    input = draws.randn(lib, 1, 1, 32, 32)
    out = net(input)
    seen["out"] = out
    net.zero_grad()
    out.backward(draws.randn(lib, 1, 10))
    seen.update({f"grad {name}": p.grad for name, p in net.named_parameters()})

    output = net(input)
    target = draws.randn(lib, 10)  # a dummy target, for example
    target = target.view(1, -1)  # make it the same shape as output
    criterion = lib.nn.MSELoss()
    loss = criterion(output, target)
    seen["loss"] = loss
    seen["grad_fn is None"] = loss.grad_fn is None
    if lib is not tg:  # FINDING 1: a node has no next_functions here (its inputs: .parents)
        assert loss.grad_fn.next_functions[0][0].next_functions[0][0] is not None

    net.zero_grad()  # zeroes the gradient buffers of all parameters
    seen["conv1.bias.grad before backward"] = net.conv1.bias.grad
    loss.backward()
    seen["conv1.bias.grad after backward"] = net.conv1.bias.grad

    learning_rate = 0.01
    for f in net.parameters():
        if lib is tg:  # `.data` is a NumPy array here (documented): NumPy's in-place -=
            f.data -= f.grad.data * learning_rate
        else:
            f.data.sub_(f.grad.data * learning_rate)
    seen.update({f"manual {name}": p.detach().numpy().copy() for name, p in
                 net.named_parameters()})

    # create your optimizer
    optimizer = lib.optim.SGD(net.parameters(), lr=0.01)
    for step in range(3):  # in your training loop:
        optimizer.zero_grad()  # zero the gradient buffers
        output = net(input)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()  # Does the update
        seen[f"loss {step}"] = loss
        seen.update({f"step {step} {name}": p.detach().numpy().copy() for name, p in
                     net.named_parameters()})
    return seen


@pytest.mark.parametrize("dtype", DTYPES)
def test_neural_networks_page_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    draws = _pairs_of_draws(4)
    with _default_dtype(torch, dtype):
        torch.manual_seed(0)
        net, tnet = _twins(_lenet, torch)
        seen = _neural_networks_page(tg, net, draws["tinygrad_gd"])
        tseen = _neural_networks_page(torch, tnet, draws["torch"])
    assert seen.keys() == tseen.keys()
    for name, value in tseen.items():
        if value is None or isinstance(value, (str, int, tuple, bool)):
            assert seen[name] == value, name
        else:
            assert _numpy(seen[name]).dtype == dtype, name
            _same(seen[name], value, dtype, name)


# ------------------------------------------------------------------ blitz 4: a classifier


def _cifar_net(lib):
    F = lib.nn.functional

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(3, 6, 5)
            self.pool = lib.nn.MaxPool2d(2, 2)
            self.conv2 = lib.nn.Conv2d(6, 16, 5)
            self.fc1 = lib.nn.Linear(16 * 5 * 5, 120)
            self.fc2 = lib.nn.Linear(120, 84)
            self.fc3 = lib.nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = lib.flatten(x, 1)  # flatten all dimensions except batch
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x
    return Net()


def _random_cifar(lib, images, labels):
    """Random 32x32 colour images in place of CIFAR10 (no download), normalized as
    torchvision's Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) does."""
    class RandomCIFAR(lib.utils.data.Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, index):
            return (images[index] - 0.5) / 0.5, int(labels[index])
    return RandomCIFAR()


def _cifar_page(lib, net, train, test, path):
    """Train two epochs, save and load the state dict, count right answers overall and per
    class; what it would print, by name."""
    seen = {}
    batch_size = 4
    # shuffle=False: each library shuffles with its own generator (and one worker process:
    # PyTorch's num_workers=2 is refused here, in one line)
    trainloader = lib.utils.data.DataLoader(train, batch_size=batch_size, shuffle=False)
    testloader = lib.utils.data.DataLoader(test, batch_size=batch_size, shuffle=False)
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    for epoch in range(2):  # loop over the dataset multiple times
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            # get the inputs; data is a list of [inputs, labels]
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            seen[f"loss {epoch} {i}"] = loss
            seen.update({f"{epoch} {i} {name}": p.detach().numpy().copy()
                         for name, p in net.named_parameters()})
            if i % 2 == 1:  # print every 2 mini-batches
                seen[f"printed {epoch} {i}"] = \
                    f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 2:.3f}'
                running_loss = 0.0
    lib.save(net.state_dict(), path)

    dataiter = iter(testloader)
    images, labels = next(dataiter)
    seen["GroundTruth"] = ' '.join(f'{CLASSES[labels[j]]:5s}' for j in range(4))
    net = _cifar_net(lib)
    net.load_state_dict(lib.load(path, weights_only=True))
    outputs = net(images)
    _, predicted = lib.max(outputs, 1)
    seen["Predicted"] = ' '.join(f'{CLASSES[predicted[j]]:5s}' for j in range(batch_size))

    correct = 0
    total = 0
    # since we're not training, we don't need to calculate the gradients for our outputs
    with lib.no_grad():
        for data in testloader:
            images, labels = data
            # calculate outputs by running images through the network
            outputs = net(images)
            # the class with the highest energy is what we choose as prediction
            _, predicted = lib.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    seen["accuracy"] = f'Accuracy of the network on the test images: {100 * correct // total} %'

    # prepare to count predictions for each class
    correct_pred = {classname: 0 for classname in CLASSES}
    total_pred = {classname: 0 for classname in CLASSES}
    with lib.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            _, predictions = lib.max(outputs, 1)
            # collect the correct predictions for each class
            for label, prediction in zip(labels, predictions):
                if label == prediction:
                    correct_pred[CLASSES[label]] += 1
                total_pred[CLASSES[label]] += 1
    for classname, correct_count in correct_pred.items():
        if total_pred[classname]:  # (a class drawn for no test image)
            accuracy = 100 * float(correct_count) / total_pred[classname]
            seen[classname] = f'Accuracy for class: {classname:5s} is {accuracy:.1f} %'
    seen["outputs"] = outputs
    return seen


@pytest.mark.parametrize("dtype", DTYPES)
def test_cifar10_classifier_trains_and_counts_as_pytorchs(dtype, tmp_path):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    images = rng.random((40, 3, 32, 32)).astype(dtype)
    labels = rng.integers(0, 10, 40)
    with _default_dtype(torch, dtype):
        torch.manual_seed(0)
        net, tnet = _twins(_cifar_net, torch)
        seen = _cifar_page(tg, net, _random_cifar(tg, images[:24], labels[:24]),
                           _random_cifar(tg, images[24:], labels[24:]), tmp_path / "cifar_net.npz")
        tseen = _cifar_page(torch, tnet, _random_cifar(torch, images[:24], labels[:24]),
                            _random_cifar(torch, images[24:], labels[24:]),
                            tmp_path / "cifar_net.pth")
    assert seen.keys() == tseen.keys()
    for name, value in tseen.items():
        if isinstance(value, str):
            assert seen[name] == value, name
        else:
            assert _numpy(seen[name]).dtype == dtype, name
            _same(seen[name], value, dtype, name)


# ------------------------------------------------------------------ NLP: word embeddings

# We will use Shakespeare Sonnet 2
TEST_SENTENCE = """When forty winters shall besiege thy brow,
And dig deep trenches in thy beauty's field,
Thy youth's proud livery so gazed on now,
Will be a totter'd weed of small worth held:
Then being asked, where all thy beauty lies,
Where all the treasure of thy lusty days;""".split()
RAW_TEXT = """We are about to study the idea of a computational process.
Computational processes are abstract beings that inhabit computers.
As they evolve, processes manipulate other abstract things called data.
The evolution of a process is directed by a pattern of rules
called a program. People create programs to direct processes. In effect,
we conjure the spirits of the computer with our spells.""".split()


def _ngram_model(lib, vocab_size, embedding_dim=10, context_size=2):
    F = lib.nn.functional

    class NGramLanguageModeler(lib.nn.Module):

        def __init__(self, vocab_size, embedding_dim, context_size):
            super(NGramLanguageModeler, self).__init__()
            self.embeddings = lib.nn.Embedding(vocab_size, embedding_dim)
            self.linear1 = lib.nn.Linear(context_size * embedding_dim, 128)
            self.linear2 = lib.nn.Linear(128, vocab_size)

        def forward(self, inputs):
            embeds = self.embeddings(inputs).view((1, -1))
            out = F.relu(self.linear1(embeds))
            out = self.linear2(out)
            log_probs = F.log_softmax(out, dim=1)
            return log_probs
    return NGramLanguageModeler(vocab_size, embedding_dim, context_size)


def _cbow_model(lib, vocab_size, embedding_dim=10):
    """The exercise, as its formula says: -log Softmax(A (sum of the context's q_w) + b)."""
    F = lib.nn.functional

    class CBOW(lib.nn.Module):

        def __init__(self, vocab_size, embedding_dim):
            super(CBOW, self).__init__()
            self.embeddings = lib.nn.Embedding(vocab_size, embedding_dim)
            self.linear = lib.nn.Linear(embedding_dim, vocab_size)

        def forward(self, inputs):
            embeds = self.embeddings(inputs).sum(dim=0).view(1, -1)
            return F.log_softmax(self.linear(embeds), dim=1)
    return CBOW(vocab_size, embedding_dim)


def _ngrams(text, context_size):
    """The tutorial's trigrams, or CBOW's (context, target) pairs when `context_size` is
    given as ("both", n): n words either side."""
    if isinstance(context_size, tuple):
        n = context_size[1]
        return [([text[i - j - 1] for j in range(n)] + [text[i + j + 1] for j in range(n)],
                 text[i]) for i in range(n, len(text) - n)]
    # build a list of tuples.  Each tuple is ([ word_i-CONTEXT_SIZE, ..., word_i-1 ], target)
    return [([text[i - j - 1] for j in range(context_size)], text[i + context_size])
            for i in range(len(text) - context_size)]


def _train_words(lib, model, examples, word_to_ix, epochs, seen, lr=0.001):
    """The N-gram page's loop (CBOW's the same): every loss and parameter, by step."""
    losses = []
    loss_function = lib.nn.NLLLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(epochs):
        total_loss = 0
        for step, (context, target) in enumerate(examples):
            # Step 1. Prepare the inputs to be passed to the model (i.e, turn the words
            # into integer indices and wrap them in tensors)
            context_idxs = lib.tensor([word_to_ix[w] for w in context], dtype=lib.long)
            # Step 2. Recall that torch *accumulates* gradients.
            model.zero_grad()
            # Step 3. Run the forward pass, getting log probabilities over next words
            log_probs = model(context_idxs)
            # Step 4. Compute your loss function.
            loss = loss_function(log_probs, lib.tensor([word_to_ix[target]], dtype=lib.long))
            # Step 5. Do the backward pass and update the gradient
            loss.backward()
            optimizer.step()
            # Get the Python number from a 1-element Tensor by calling tensor.item()
            total_loss += loss.item()
            seen[f"loss {epoch} {step}"] = loss
            seen.update({f"{epoch} {step} {name}": p.detach().numpy().copy()
                         for name, p in model.named_parameters()})
        losses.append(total_loss)
    seen["losses"] = losses
    return seen


def _compare(seen, tseen, dtype):
    assert seen.keys() == tseen.keys()
    for name, value in tseen.items():
        if isinstance(value, list) and value and isinstance(value[0], float):
            _same(seen[name], value, dtype, name)  # (Python's floats: sums of .item()s)
        elif value is None or isinstance(value, (str, int, tuple, bool, list)):
            assert seen[name] == value, name
        else:
            assert _numpy(seen[name]).dtype == (dtype if _numpy(value).dtype.kind == "f"
                                                else _numpy(value).dtype), name
            _same(seen[name], value, dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ngram_language_model_trains_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    trigrams = _ngrams(TEST_SENTENCE, 2)
    vocab = set(TEST_SENTENCE)
    word_to_ix = {word: i for i, word in enumerate(vocab)}  # (one dict: a set's order varies)
    with _default_dtype(torch, dtype):
        torch.manual_seed(1)
        model, tmodel = _twins(lambda lib: _ngram_model(lib, len(vocab)), torch)
        # (lr 0.1 in place of 0.001: a visible change in these few steps)
        seen = _train_words(tg, model, trigrams[:12], word_to_ix, 2, {}, lr=0.1)
        tseen = _train_words(torch, tmodel, trigrams[:12], word_to_ix, 2, {}, lr=0.1)
        _compare(seen, tseen, dtype)
        assert seen["losses"][1] < seen["losses"][0]  # The loss decreased
        # the embedding of a word, as the tutorial's print(model.embeddings.weight[ix])
        ix = word_to_ix["beauty"]
        _same(model.embeddings.weight[ix], tmodel.embeddings.weight[ix], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cbow_exercise_trains_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    data = _ngrams(RAW_TEXT, ("both", 2))
    assert data[0] == (['are', 'We', 'to', 'study'], 'about')
    vocab = set(RAW_TEXT)  # By deriving a set from `raw_text`, we deduplicate the array
    word_to_ix = {word: i for i, word in enumerate(vocab)}
    with _default_dtype(torch, dtype):
        torch.manual_seed(1)
        model, tmodel = _twins(lambda lib: _cbow_model(lib, len(vocab)), torch)
        seen = _train_words(tg, model, data[:15], word_to_ix, 2, {}, lr=0.1)
        tseen = _train_words(torch, tmodel, data[:15], word_to_ix, 2, {}, lr=0.1)
        _compare(seen, tseen, dtype)
        assert seen["losses"][1] < seen["losses"][0]


# ------------------------------------------------------------------ NLP: sequence models

TAGGER_DATA = [
    # Tags are: DET - determiner; NN - noun; V - verb
    # For example, the word "The" is a determiner
    ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("Everybody read that book".split(), ["NN", "V", "DET", "NN"])
]


def _prepare_sequence(lib, seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return lib.tensor(idxs, dtype=lib.long)


def _word_to_ix(training_data):
    word_to_ix = {}
    # For each words-list (sentence) and tags-list in each tuple of training_data
    for sent, tags in training_data:
        for word in sent:
            if word not in word_to_ix:  # word has not been assigned an index yet
                word_to_ix[word] = len(word_to_ix)  # Assign each word with a unique index
    return word_to_ix


def _lstm_intro(lib, lstm, draws):
    """The page's first LSTM: step by step, then the whole sequence at once."""
    inputs = [draws.randn(lib, 1, 3) for _ in range(5)]  # make a sequence of length 5
    # initialize the hidden state.
    hidden = (draws.randn(lib, 1, 1, 3), draws.randn(lib, 1, 1, 3))
    steps = []
    for i in inputs:
        # Step through the sequence one element at a time.
        # after each step, hidden contains the hidden state.
        out, hidden = lstm(i.view(1, 1, -1), hidden)
        steps.append(out)
    inputs = lib.cat(inputs).view(len(inputs), 1, -1)
    hidden = (draws.randn(lib, 1, 1, 3), draws.randn(lib, 1, 1, 3))  # clean out hidden state
    out, hidden = lstm(inputs, hidden)
    return {"steps": lib.cat(steps), "out": out, "h": hidden[0], "c": hidden[1]}


def _lstm_tagger(lib, vocab_size, tagset_size, embedding_dim=6, hidden_dim=6):
    F = lib.nn.functional

    class LSTMTagger(lib.nn.Module):

        def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
            super(LSTMTagger, self).__init__()
            self.hidden_dim = hidden_dim
            self.word_embeddings = lib.nn.Embedding(vocab_size, embedding_dim)
            # The LSTM takes word embeddings as inputs, and outputs hidden states
            # with dimensionality hidden_dim.
            self.lstm = lib.nn.LSTM(embedding_dim, hidden_dim)
            # The linear layer that maps from hidden state space to tag space
            self.hidden2tag = lib.nn.Linear(hidden_dim, tagset_size)

        def forward(self, sentence):
            embeds = self.word_embeddings(sentence)
            lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
            tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
            tag_scores = F.log_softmax(tag_space, dim=1)
            return tag_scores
    return LSTMTagger(embedding_dim, hidden_dim, vocab_size, tagset_size)


def _tagger_page(lib, model, word_to_ix, tag_to_ix, epochs):
    seen = {}
    loss_function = lib.nn.NLLLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    # See what the scores are before training
    with lib.no_grad():
        inputs = _prepare_sequence(lib, TAGGER_DATA[0][0], word_to_ix)
        seen["before"] = model(inputs)
    for epoch in range(epochs):
        for k, (sentence, tags) in enumerate(TAGGER_DATA):
            # Step 1. Remember that Pytorch accumulates gradients.
            model.zero_grad()
            # Step 2. Get our inputs ready for the network
            sentence_in = _prepare_sequence(lib, sentence, word_to_ix)
            targets = _prepare_sequence(lib, tags, tag_to_ix)
            # Step 3. Run our forward pass.
            tag_scores = model(sentence_in)
            # Step 4. Compute the loss, gradients, and update the parameters
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
            seen[f"loss {epoch} {k}"] = loss
            seen.update({f"{epoch} {k} {name}": p.detach().numpy().copy()
                         for name, p in model.named_parameters()})
    # See what the scores are after training
    with lib.no_grad():
        inputs = _prepare_sequence(lib, TAGGER_DATA[0][0], word_to_ix)
        tag_scores = model(inputs)
    seen["after"] = tag_scores
    seen["predicted"] = [int(i) for i in tag_scores.argmax(1)]
    return seen


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_part_of_speech_tagger_trains_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    word_to_ix = _word_to_ix(TAGGER_DATA)
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}  # Assign each tag with a unique index
    draws = _pairs_of_draws(6)
    with _default_dtype(torch, dtype):
        torch.manual_seed(1)
        lstm, tlstm = _twins(lambda lib: lib.nn.LSTM(3, 3), torch)  # Input dim 3, output dim 3
        _compare(_lstm_intro(tg, lstm, draws["tinygrad_gd"]),
                 _lstm_intro(torch, tlstm, draws["torch"]), dtype)
        model, tmodel = _twins(
            lambda lib: _lstm_tagger(lib, len(word_to_ix), len(tag_to_ix)), torch)
        # (5 of its 300 epochs; the whole run gives DET NOUN VERB DET NOUN in both)
        seen = _tagger_page(tg, model, word_to_ix, tag_to_ix, 5)
        tseen = _tagger_page(torch, tmodel, word_to_ix, tag_to_ix, 5)
    _compare(seen, tseen, dtype)


# ------------------------------------------------------------------ NLP: the Bi-LSTM CRF

START_TAG, STOP_TAG = "<START>", "<STOP>"
CRF_DATA = [(
    "the wall street journal reported today that apple corporation made money".split(),
    "B I I I O O O B I O O".split()
), (
    "georgia tech is a university in georgia".split(),
    "B I O O O O B".split()
)]
CRF_TAGS = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}


def _crf_functions(lib):
    """The page's helpers, for `lib`."""
    def argmax(vec):
        # return the argmax as a python int
        _, idx = lib.max(vec, 1)
        return idx.item()

    # Compute log sum exp in a numerically stable way for the forward algorithm
    def log_sum_exp(vec):
        max_score = vec[0, argmax(vec)]
        max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
        return max_score + \
            lib.log(lib.sum(lib.exp(vec - max_score_broadcast)))
    return argmax, log_sum_exp


def _bilstm_crf(lib, vocab_size, tag_to_ix, embedding_dim, hidden_dim, draws):
    argmax, log_sum_exp = _crf_functions(lib)

    class BiLSTM_CRF(lib.nn.Module):

        def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim):
            super(BiLSTM_CRF, self).__init__()
            self.embedding_dim = embedding_dim
            self.hidden_dim = hidden_dim
            self.vocab_size = vocab_size
            self.tag_to_ix = tag_to_ix
            self.tagset_size = len(tag_to_ix)

            self.word_embeds = lib.nn.Embedding(vocab_size, embedding_dim)
            self.lstm = lib.nn.LSTM(embedding_dim, hidden_dim // 2,
                                    num_layers=1, bidirectional=True)

            # Maps the output of the LSTM into tag space.
            self.hidden2tag = lib.nn.Linear(hidden_dim, self.tagset_size)

            # Matrix of transition parameters.  Entry i,j is the score of
            # transitioning *to* i *from* j.
            self.transitions = lib.nn.Parameter(
                draws.randn(lib, self.tagset_size, self.tagset_size))

            # These two statements enforce the constraint that we never transfer
            # to the start tag and we never transfer from the stop tag
            self.transitions.data[tag_to_ix[START_TAG], :] = -10000
            self.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000

            self.hidden = self.init_hidden()

        def init_hidden(self):
            return (draws.randn(lib, 2, 1, self.hidden_dim // 2),
                    draws.randn(lib, 2, 1, self.hidden_dim // 2))

        def _forward_alg(self, feats):
            # Do the forward algorithm to compute the partition function
            init_alphas = lib.full((1, self.tagset_size), -10000.)
            # START_TAG has all of the score.
            init_alphas[0][self.tag_to_ix[START_TAG]] = 0.

            # Wrap in a variable so that we will get automatic backprop
            forward_var = init_alphas

            # Iterate through the sentence
            for feat in feats:
                alphas_t = []  # The forward tensors at this timestep
                for next_tag in range(self.tagset_size):
                    # broadcast the emission score: it is the same regardless of
                    # the previous tag
                    emit_score = feat[next_tag].view(
                        1, -1).expand(1, self.tagset_size)
                    # the ith entry of trans_score is the score of transitioning to
                    # next_tag from i
                    trans_score = self.transitions[next_tag].view(1, -1)
                    # The ith entry of next_tag_var is the value for the
                    # edge (i -> next_tag) before we do log-sum-exp
                    next_tag_var = forward_var + trans_score + emit_score
                    # The forward variable for this tag is log-sum-exp of all the
                    # scores.
                    alphas_t.append(log_sum_exp(next_tag_var).view(1))
                forward_var = lib.cat(alphas_t).view(1, -1)
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            alpha = log_sum_exp(terminal_var)
            return alpha

        def _get_lstm_features(self, sentence):
            self.hidden = self.init_hidden()
            embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
            lstm_out, self.hidden = self.lstm(embeds, self.hidden)
            lstm_out = lstm_out.view(len(sentence), self.hidden_dim)
            lstm_feats = self.hidden2tag(lstm_out)
            return lstm_feats

        def _score_sentence(self, feats, tags):
            # Gives the score of a provided tag sequence
            score = lib.zeros(1)
            tags = lib.cat([lib.tensor([self.tag_to_ix[START_TAG]], dtype=lib.long), tags])
            for i, feat in enumerate(feats):
                score = score + \
                    self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
            score = score + self.transitions[self.tag_to_ix[STOP_TAG], tags[-1]]
            return score

        def _viterbi_decode(self, feats):
            backpointers = []

            # Initialize the viterbi variables in log space
            init_vvars = lib.full((1, self.tagset_size), -10000.)
            init_vvars[0][self.tag_to_ix[START_TAG]] = 0

            # forward_var at step i holds the viterbi variables for step i-1
            forward_var = init_vvars
            for feat in feats:
                bptrs_t = []  # holds the backpointers for this step
                viterbivars_t = []  # holds the viterbi variables for this step

                for next_tag in range(self.tagset_size):
                    # next_tag_var[i] holds the viterbi variable for tag i at the
                    # previous step, plus the score of transitioning
                    # from tag i to next_tag.
                    # We don't include the emission scores here because the max
                    # does not depend on them (we add them in below)
                    next_tag_var = forward_var + self.transitions[next_tag]
                    best_tag_id = argmax(next_tag_var)
                    bptrs_t.append(best_tag_id)
                    viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
                # Now add in the emission scores, and assign forward_var to the set
                # of viterbi variables we just computed
                forward_var = (lib.cat(viterbivars_t) + feat).view(1, -1)
                backpointers.append(bptrs_t)

            # Transition to STOP_TAG
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            best_tag_id = argmax(terminal_var)
            path_score = terminal_var[0][best_tag_id]

            # Follow the back pointers to decode the best path.
            best_path = [best_tag_id]
            for bptrs_t in reversed(backpointers):
                best_tag_id = bptrs_t[best_tag_id]
                best_path.append(best_tag_id)
            # Pop off the start tag (we dont want to return that to the caller)
            start = best_path.pop()
            assert start == self.tag_to_ix[START_TAG]  # Sanity check
            best_path.reverse()
            return path_score, best_path

        def neg_log_likelihood(self, sentence, tags):
            feats = self._get_lstm_features(sentence)
            forward_score = self._forward_alg(feats)
            gold_score = self._score_sentence(feats, tags)
            return forward_score - gold_score

        def forward(self, sentence):  # dont confuse this with _forward_alg above.
            # Get the emission scores from the BiLSTM
            lstm_feats = self._get_lstm_features(sentence)

            # Find the best path, given the features.
            score, tag_seq = self._viterbi_decode(lstm_feats)
            return score, tag_seq
    return BiLSTM_CRF(vocab_size, tag_to_ix, embedding_dim, hidden_dim)


def _crf_page(lib, model, word_to_ix, epochs):
    seen = {}
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
    # Check predictions before training
    with lib.no_grad():
        precheck_sent = _prepare_sequence(lib, CRF_DATA[0][0], word_to_ix)
        precheck_tags = lib.tensor([CRF_TAGS[t] for t in CRF_DATA[0][1]], dtype=lib.long)
        seen["score before"], seen["tags before"] = model(precheck_sent)
        seen["gold before"] = model.neg_log_likelihood(precheck_sent, precheck_tags)
    for epoch in range(epochs):
        for k, (sentence, tags) in enumerate(CRF_DATA):
            # Step 1. Remember that Pytorch accumulates gradients.
            model.zero_grad()
            # Step 2. Get our inputs ready for the network
            sentence_in = _prepare_sequence(lib, sentence, word_to_ix)
            targets = lib.tensor([CRF_TAGS[t] for t in tags], dtype=lib.long)
            # Step 3. Run our forward pass.
            loss = model.neg_log_likelihood(sentence_in, targets)
            # Step 4. Compute the loss, gradients, and update the parameters
            loss.backward()
            optimizer.step()
            seen[f"loss {epoch} {k}"] = loss
            seen.update({f"{epoch} {k} {name}": p.detach().numpy().copy()
                         for name, p in model.named_parameters()})
    # Check predictions after training
    with lib.no_grad():
        precheck_sent = _prepare_sequence(lib, CRF_DATA[0][0], word_to_ix)
        seen["score after"], seen["tags after"] = model(precheck_sent)
    return seen


@pytest.mark.parametrize("dtype", DTYPES)
def test_bilstm_crf_trains_and_decodes_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    word_to_ix = _word_to_ix(CRF_DATA)
    draws = _pairs_of_draws(7)
    with _default_dtype(torch, dtype):
        torch.manual_seed(1)
        model, tmodel = _twins(lambda lib: _bilstm_crf(
            lib, len(word_to_ix), CRF_TAGS, 5, 4, draws[lib.__name__]), torch)
        assert model.transitions.numpy()[CRF_TAGS[START_TAG]].max() == -10000
        seen = _crf_page(tg, model, word_to_ix, 3)
        tseen = _crf_page(torch, tmodel, word_to_ix, 3)
    _compare(seen, tseen, dtype)
    assert seen["loss 2 0"].item() < seen["loss 0 0"].item()


# ------------------------------------------------------------------ finite differences


class _Fixed:
    """The same normal draws at every call (a loss evaluated again and again by gradcheck
    must start each sentence from the same hidden state)."""

    def randn(self, lib, *shape):
        return lib.tensor(np.random.default_rng(8).standard_normal(shape))


def _loss_of_parameters(model, loss, names=None):
    """`loss(model)` as a function of the named parameters (all by default), and those."""
    names = names or [name for name, _ in model.named_parameters()]
    params = dict(model.named_parameters())

    def fn(*values):
        return loss(lambda *args: tg.func.functional_call(model, dict(zip(names, values)), args))
    return fn, [params[name].detach().requires_grad_() for name in names]


def test_ngram_and_cbow_losses_pass_gradcheck():
    F = nn.functional
    vocab = sorted(set(TEST_SENTENCE))
    word_to_ix = {word: i for i, word in enumerate(vocab)}
    model = _ngram_model(tg, len(vocab))
    context = tg.tensor([word_to_ix["When"], word_to_ix["forty"]])
    target = tg.tensor([word_to_ix["winters"]])
    fn, inputs = _loss_of_parameters(model, lambda run: F.nll_loss(run(context), target),
                                     ["embeddings.weight", "linear1.bias", "linear2.bias"])
    assert tg.gradcheck(fn, inputs)
    vocab = sorted(set(RAW_TEXT))
    word_to_ix = {word: i for i, word in enumerate(vocab)}
    model = _cbow_model(tg, len(vocab), embedding_dim=3)
    context, target = _ngrams(RAW_TEXT, ("both", 2))[0]
    context = tg.tensor([word_to_ix[w] for w in context])
    target = tg.tensor([word_to_ix[target]])
    fn, inputs = _loss_of_parameters(model, lambda run: F.nll_loss(run(context), target))
    assert tg.gradcheck(fn, inputs)


def test_lstm_tagger_and_bilstm_crf_losses_pass_gradcheck():
    F = nn.functional
    tagger = _lstm_tagger(tg, 5, 3, embedding_dim=2, hidden_dim=2)
    sentence, tags = tg.tensor([0, 4, 2]), tg.tensor([1, 2, 0])
    fn, inputs = _loss_of_parameters(tagger, lambda run: F.nll_loss(run(sentence), tags))
    assert tg.gradcheck(fn, inputs)

    class NegLogLikelihood(nn.Module):  # (functional_call runs forward: here, the loss)
        def __init__(self):
            super().__init__()
            self.crf = _bilstm_crf(tg, 3, CRF_TAGS, 2, 2, _Fixed())

        def forward(self, sentence, tags):
            return self.crf.neg_log_likelihood(sentence, tags)
    sentence, tags = tg.tensor([0, 2, 1]), tg.tensor([0, 1, 2])
    fn, inputs = _loss_of_parameters(NegLogLikelihood(), lambda run: run(sentence, tags))
    assert tg.gradcheck(fn, inputs)


# ------------------------------------------------------------------ edges


@pytest.mark.parametrize("dtype", DTYPES)
def test_viterbi_and_log_sum_exp_at_ties_are_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    word_to_ix = _word_to_ix(CRF_DATA)
    draws = _pairs_of_draws(9)
    with _default_dtype(torch, dtype):
        model, tmodel = _twins(lambda lib: _bilstm_crf(
            lib, len(word_to_ix), CRF_TAGS, 5, 4, draws[lib.__name__]), torch)
        for net, lib in ((model, tg), (tmodel, torch)):  # every path scores the same
            with lib.no_grad():
                net.transitions[:3, :3] = 0
        feats = np.zeros((4, len(CRF_TAGS)), dtype)
        with tg.no_grad():
            score, path = model._viterbi_decode(tg.tensor(feats))
        with torch.no_grad():
            tscore, tpath = tmodel._viterbi_decode(torch.tensor(feats))
        assert path == tpath
        _same(score, tscore, dtype)
        seen = {}
        for lib in (tg, torch):  # log_sum_exp's max: the first of tied maxima, as PyTorch's
            argmax, log_sum_exp = _crf_functions(lib)
            vec = lib.tensor([[1.5, 2.0, 2.0, -1.0]], requires_grad=True)
            value = log_sum_exp(vec)
            value.backward()
            seen[lib.__name__] = (value, vec.grad, argmax(vec))
    ours, theirs = seen["tinygrad_gd"], seen["torch"]
    assert ours[2] == theirs[2] == 1
    _same(ours[0], theirs[0], dtype, "log_sum_exp")
    _same(ours[1], theirs[1], dtype, "its gradient")


def test_the_word_models_take_a_float32_model_and_keep_float32():
    model = _cbow_model(tg, 7, embedding_dim=3).float()
    out = model(tg.tensor([0, 3, 6, 2]))
    assert out.dtype == np.float32
    loss = nn.NLLLoss()(out, tg.tensor([1]))
    loss.backward()
    assert loss.dtype == model.embeddings.weight.grad.dtype == np.float32


# ------------------------------------------------------------------ findings (not mended yet)


def test_finding_1_grad_fn_next_functions_walks_back_to_the_parameters_as_pytorchs():
    net = _lenet(tg)
    output = net(tg.randn(1, 1, 32, 32, seed=0))
    target = tg.randn(1, 10, seed=1)
    loss = nn.MSELoss()(output, target)
    # the neural networks page: print(loss.grad_fn.next_functions[0][0]) and on
    node, index = loss.grad_fn.next_functions[0]
    assert index == 0 and node is not None
    seen, stack, leaves = set(), [loss.grad_fn], []
    while stack:  # every node the loss was made by, by next_functions alone
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for child, index in node.next_functions:
            assert index == 0
            if child is not None and hasattr(child, "variable"):  # PyTorch's AccumulateGrad
                leaves.append(child.variable)
            elif child is not None:
                stack.append(child)
    assert id(output.grad_fn) in seen
    assert {id(p) for p in net.parameters()} == {id(v) for v in leaves}
    assert all(v is not target for v in leaves)  # (a constant: (None, 0))


def test_finding_2_tensor_of_sizes_is_refused_not_a_scalar_requiring_grad():
    # PyTorch's legacy torch.Tensor(1, 5) is an uninitialized 1x5 tensor (the older Bi-LSTM
    # CRF page: torch.Tensor(1, self.tagset_size).fill_(-10000.)); here 5 became
    # requires_grad=True, silently
    with pytest.raises(TypeError, match=r"Tensor\(\).*requires_grad.*True or False.*got int 5"):
        tg.Tensor(1, 5)


def test_finding_3_a_mean_loss_over_an_empty_batch_is_nan_without_numpys_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = nn.NLLLoss()(tg.zeros(0, 3, requires_grad=True), tg.zeros(0, dtype=tg.long))
    assert np.isnan(loss.item())
