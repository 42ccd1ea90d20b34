"""Course notes "Gradient descent with squared errors": a sigmoid unit on the admissions data.

Document: the course notes "Gradient Descent with Squared Errors" (Udacity's
deep-learning lesson). One sigmoid output unit predicts graduate-school admission from
gre, gpa and the one-hot rank (6 inputs, 360 training rows, 40 test rows, prepared by
`tinygrad_gd.datasets.load_admissions` as the lesson's data_prep.py does). What the
notes teach, in three parts:

1. Gradient descent with the mean of the squared errors, as the lesson's code: weights
   drawn from Normal(0, 1/sqrt(n_inputs)) after `np.random.seed(42)`, learnrate 0.5,
   1000 epochs over the whole training set, the train loss printed ten times and the
   test accuracy at the end, in the lesson's words. The lesson's error is
   E = 1/(2m) * sum((y - output)**2), half the MSE, so its update
   `weights += learnrate * del_w / n_records` is exactly gradient descent on
   0.5 * MSELoss; backward() computes that gradient here. The lesson's published output
   (train loss 0.26276093849966364 ... 0.19703005801777368, accuracy 0.725) is what this
   prints, to floating-point rounding.
2. SSE vs MSE: the gradient of the sum grows with the number of rows, the gradient of
   the mean does not, so with the mean one learning rate suits any data size (the
   lesson's "typically 0.01 to 0.001"; 0.5 here, for this small problem). Printed: the
   size of the first step with either loss on 40, 120 and 360 rows, then 100 epochs
   with each at learnrate 0.5: with the sum the loss bounces, with the mean it falls
   steadily.
3. Stochastic gradient descent: mini-batches of 32 rows, one update per batch, an epoch
   being one pass through the training data.

Picture (`save_pictures`, needs matplotlib: pip install "tinygrad_gd[plot]"; the demo
writes it beside the diagrams): the train loss of the three parts per epoch.

Run: `python examples/admissions.py [--data PATH]` or `tinygrad-gd demo admissions`.
The data is the CSV with columns admit, gre, gpa, rank (student_admissions.csv, the
UCLA binary.csv); by default the lesson's own copy, which ships with tinygrad_gd
(`tinygrad_gd.datasets.ADMISSIONS_CSV`, from Udacity's deep-learning course, MIT License).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import datasets, nn, optim
from tinygrad_gd.data import DataLoader
from tinygrad_gd.examples._common import SOURCES, as_script

NAME = "admissions"
TITLE = "Sigmoid unit on the admissions data: MSE, SSE vs MSE, mini-batches (course notes)"
DOCUMENT = SOURCES["course-notes"]

LESSON_SEED = 42  # the lesson calls np.random.seed(42) before drawing the weights
LEARNRATE = 0.5
EPOCHS = 1000
SIZES = (40, 120, 360)  # rows used to compare the SSE and MSE steps
BATCH_SIZE = 32
MINIBATCH_EPOCHS = 100
PICTURES = ("training",)


def resolve_data(data: str | os.PathLike[str] | None) -> Path:
    """The CSV to read: `data` if given, else the copy shipped with tinygrad_gd."""
    return datasets.ADMISSIONS_CSV if data is None else Path(data)


def initial_weights(n_features: int, seed: int = 0) -> nn.Parameter:
    """Normal(0, 1/sqrt(n)) weights, drawn as the lesson does (seed=0 is its seed 42)."""
    rng = np.random.RandomState(LESSON_SEED + seed)
    return nn.Parameter(rng.normal(scale=1 / n_features**.5, size=n_features))


def output(features: tg.Tensor, weights: tg.Tensor) -> tg.Tensor:
    """The sigmoid unit: sigmoid(features . weights), one output per row."""
    return (features @ weights).sigmoid()


def lesson_error(out: tg.Tensor, targets: tg.Tensor) -> tg.Tensor:
    """The lesson's E = 1/(2m) * sum((y - output)**2): half the mean squared error."""
    return 0.5 * nn.MSELoss()(out, targets)


def _train_loss(features: tg.Tensor, targets: tg.Tensor, weights: tg.Tensor) -> float:
    """The figure the lesson prints: the plain mean of the squared errors."""
    with tg.no_grad():
        return nn.MSELoss()(output(features, weights), targets).item()


def _accuracy(features: tg.Tensor, targets: tg.Tensor, weights: tg.Tensor) -> float:
    with tg.no_grad():
        predictions = output(features, weights).numpy() > 0.5
    return float(np.mean(predictions == targets.numpy()))


def full_batch(features: tg.Tensor, targets: tg.Tensor, features_test: tg.Tensor,
               targets_test: tg.Tensor, *, seed: int, epochs: int,
               verbose: bool) -> dict[str, Any]:
    """Part 1: the lesson's gradient descent over the whole training set."""
    weights = initial_weights(features.shape[1], seed)
    optimizer = optim.SGD([weights], lr=LEARNRATE)
    every = max(epochs // 10, 1)
    losses: list[float] = []
    last_loss = None
    for e in range(epochs):
        optimizer.zero_grad()
        lesson_error(output(features, weights), targets).backward()
        optimizer.step()
        if e % every == 0:
            loss = _train_loss(features, targets, weights)
            if verbose:
                if last_loss and last_loss < loss:
                    print("Train loss: ", loss, "  WARNING - Loss Increasing")
                else:
                    print("Train loss: ", loss)
            losses.append(loss)
            last_loss = loss
    accuracy = _accuracy(features_test, targets_test, weights)
    if verbose:
        print("Prediction accuracy: {:.3f}".format(accuracy))
    return {"train_losses": losses, "accuracy": accuracy, "weights": weights.tolist()}


def first_step_sizes(features: tg.Tensor, targets: tg.Tensor, *, seed: int,
                     verbose: bool) -> dict[str, list[float]]:
    """Part 2: length of the first update, learnrate * |gradient|, with SSE and with MSE."""
    sse_steps, mse_steps = [], []
    for rows in SIZES:
        x, y = features[:rows], targets[:rows]
        for loss_fn, steps in ((nn.SSELoss(), sse_steps), (nn.MSELoss(), mse_steps)):
            weights = initial_weights(features.shape[1], seed)
            loss_fn(output(x, weights), y).backward()
            steps.append(LEARNRATE * float(np.linalg.norm(weights.grad.numpy())))
    if verbose:
        print(f"SSE vs MSE: length of the first step at learnrate {LEARNRATE}")
        print(f"{'rows':>6} {'SSE step':>12} {'MSE step':>12}")
        for rows, sse, mse in zip(SIZES, sse_steps, mse_steps):
            print(f"{rows:>6} {sse:>12.6f} {mse:>12.6f}")
        print("The sum's step grows with the data; the mean's stays put, so one learning "
              "rate fits any data size.")
    return {"sizes": list(SIZES), "sse_steps": sse_steps, "mse_steps": mse_steps}


def sse_vs_mse_training(features: tg.Tensor, targets: tg.Tensor, *, seed: int, epochs: int,
                        verbose: bool) -> dict[str, Any]:
    """Part 2, continued: train with half the SSE and with half the MSE at one learnrate."""
    result: dict[str, Any] = {}
    for label, loss_fn in (("SSE", nn.SSELoss()), ("MSE", nn.MSELoss())):
        weights = initial_weights(features.shape[1], seed)
        optimizer = optim.SGD([weights], lr=LEARNRATE)
        losses = []
        for _ in range(epochs):
            optimizer.zero_grad()
            (0.5 * loss_fn(output(features, weights), targets)).backward()
            optimizer.step()
            losses.append(_train_loss(features, targets, weights))
        rises = sum(later > earlier for earlier, later in zip(losses, losses[1:]))
        result[label] = {"train_losses": losses, "rises": rises}
        if verbose:
            print(f"{epochs} epochs with {label} at learnrate {LEARNRATE}: train loss "
                  f"{losses[-1]:.6f}, rose in {rises} of {epochs - 1} epochs")
    return result


def mini_batches(features_array: np.ndarray, targets_array: np.ndarray,
                 features_test: tg.Tensor, targets_test: tg.Tensor, *, seed: int,
                 epochs: int, verbose: bool) -> dict[str, Any]:
    """Part 3: stochastic gradient descent, one update per mini-batch."""
    weights = initial_weights(features_array.shape[1], seed)
    optimizer = optim.SGD([weights], lr=LEARNRATE)
    loader = DataLoader(features_array, targets_array, batch_size=BATCH_SIZE, shuffle=True,
                        seed=seed)
    features, targets = tg.Tensor(features_array), tg.Tensor(targets_array)
    every = max(epochs // 10, 1)
    losses: list[float] = []
    if verbose:
        print(f"Stochastic gradient descent: batches of {BATCH_SIZE} rows, "
              f"{len(loader)} updates per epoch")
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            lesson_error(output(x, weights), y).backward()
            optimizer.step()
        if epoch % every == 0 or epoch == epochs - 1:
            loss = _train_loss(features, targets, weights)
            losses.append(loss)
            if verbose:
                print(f"Epoch {epoch + 1}: train loss {loss}")
    accuracy = _accuracy(features_test, targets_test, weights)
    if verbose:
        print("Prediction accuracy: {:.3f}".format(accuracy))
    return {"train_losses": losses, "accuracy": accuracy}


def run(*, seed: int = 0, epochs: int | None = None, verbose: bool = True,
        data: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """All three parts. `epochs`: the full-batch epochs (default the lesson's 1000); the
    mini-batch part runs a tenth as many. `seed` 0 replays the lesson's seed 42 for the
    weights (and seeds the batch order). `data`: the admissions CSV (see `resolve_data`).

    Returns `full_batch`, `sse_vs_mse` and `mini_batch`, the dicts of the parts.
    """
    epochs = EPOCHS if epochs is None else epochs
    x_train, y_train, x_test, y_test = datasets.load_admissions(resolve_data(data))
    features, targets = tg.Tensor(x_train), tg.Tensor(y_train)
    features_test, targets_test = tg.Tensor(x_test), tg.Tensor(y_test)
    result = {"full_batch": full_batch(features, targets, features_test, targets_test,
                                       seed=seed, epochs=epochs, verbose=verbose)}
    if verbose:
        print()
    result["sse_vs_mse"] = first_step_sizes(features, targets, seed=seed, verbose=verbose)
    result["sse_vs_mse"]["training"] = sse_vs_mse_training(
        features, targets, seed=seed, epochs=max(epochs // 10, 2), verbose=verbose)
    if verbose:
        print()
    result["mini_batch"] = mini_batches(x_train, y_train, features_test, targets_test,
                                        seed=seed, epochs=max(epochs // 10, 1),
                                        verbose=verbose)
    return result


def graph_step(seed: int = 0, data: str | os.PathLike[str] | None = None
               ) -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    """One full-batch step's forward and backward (graph kept), for drawing."""
    x_train, y_train, _, _ = datasets.load_admissions(resolve_data(data))
    weights = initial_weights(x_train.shape[1], seed)
    loss = lesson_error(output(tg.Tensor(x_train, name="features"), weights),
                        tg.Tensor(y_train, name="targets"))
    loss.backward(retain_graph=True)
    return loss, {"weights": weights}


def _recorded_epochs(epochs: int, with_last: bool) -> list[int]:
    """The epochs (counted from 1) after which a part recorded the train loss: every
    tenth of the run, and the last one where `with_last` (as `mini_batches` does)."""
    every = max(epochs // 10, 1)
    return [e + 1 for e in range(epochs)
            if e % every == 0 or (with_last and e == epochs - 1)]


def save_pictures(result: dict[str, Any], folder: str | os.PathLike[str], *, seed: int = 0,
                  epochs: int | None = None) -> list[Path]:
    """Draw `run()`'s result into `folder`: NAME-training.png. `epochs` as given to
    run(). Needs matplotlib."""
    from tinygrad_gd import plot  # matplotlib only when pictures are asked for

    epochs = EPOCHS if epochs is None else epochs
    full, mini = result["full_batch"], result["mini_batch"]
    training = result["sse_vs_mse"]["training"]
    mini_epochs = max(epochs // 10, 1)
    panels = {
        "gradient descent on the whole training set (the lesson)": {
            f"learnrate {LEARNRATE} (test accuracy {full['accuracy']:.3f})": (
                _recorded_epochs(epochs, with_last=False), full["train_losses"])},
        f"SSE vs MSE at learnrate {LEARNRATE}": {
            f"{label}: rose in {part['rises']} epochs": part["train_losses"]
            for label, part in training.items()},
        f"mini-batches of {BATCH_SIZE} rows": {
            f"learnrate {LEARNRATE} (test accuracy {mini['accuracy']:.3f})": (
                _recorded_epochs(mini_epochs, with_last=True), mini["train_losses"])},
    }
    path = Path(folder) / f"{NAME}-training.png"
    plot.training_curves(
        panels, ylabel="train loss (mean squared error)",
        title="Course notes, Gradient Descent with Squared Errors: a sigmoid unit on the "
              "admissions data.\nWith the sum of squared errors the step grows with the data "
              "and the loss bounces;\nwith the mean it falls steadily at the same learning rate.",
        path=path)
    return [path]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--data", metavar="PATH",
                        help="an admissions CSV with the columns admit, gre, gpa, rank (default: "
                             "the lesson's student_admissions.csv, shipped with tinygrad_gd)")
    args = parser.parse_args(argv)
    try:
        run(data=args.data)
    except FileNotFoundError as err:
        parser.exit(2, f"{err}\n")


if __name__ == "__main__":
    as_script(main)
