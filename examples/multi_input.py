"""Grokking Deep Learning, ch. 5: gradient descent with several inputs and one output.

Document: Grokking Deep Learning (Andrew W. Trask), chapter 5 ("Let's watch several
steps of learning"). Three inputs of the first game (toes 8.5, win/loss record 0.65,
fans 1.2) feed one prediction through weights [0.1, 0.2, -0.1]; the true value is 1 and
alpha 0.01. The script prints, for 3 iterations, what the book's code prints: Pred,
Error, Delta, Weights and Weight_Deltas.

The book computes delta = pred - true and weight_delta = delta * input by hand. Here
backward() computes both: the loss is the half squared error 0.5 * (pred - true)**2,
whose gradient wrt pred is exactly the book's delta (read from `pred.grad` after
`pred.retain_grad()`), and whose gradient wrt the weights is the book's weight_deltas
(`weights.grad`). Error is printed as (pred - true)**2, as the book does.

Pictures (`save_pictures`, needs matplotlib: pip install "tinygrad_gd[plot]"; the demo
writes them beside the diagrams): the book's three error curves, one per weight, with
the slope from backward() as the tangent, before and after training (a's curve, fed by
the large input 8.5, is the steep one), and the error bowl over weights a and b with
the path of the three steps on it.

Run: `python examples/multi_input.py` or `tinygrad-gd demo multi-input`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.examples._common import SOURCES, as_script

NAME = "multi-input"
TITLE = "Several inputs, one output: 3 steps of gradient descent (Grokking ch. 5)"
DOCUMENT = SOURCES["grokking"]

# The book's data: one entry per game; the first game is the training example.
TOES = [8.5, 9.5, 9.9, 9.0]
WLREC = [0.65, 0.8, 0.8, 0.9]
NFANS = [1.2, 1.3, 0.5, 1.0]
WIN_OR_LOSE_BINARY = [1, 1, 0, 1]

WEIGHTS = [0.1, 0.2, -0.1]
ALPHA = 0.01
ITERATIONS = 3

# the weights as the book names them, with the input each one multiplies
WEIGHT_NAMES = ("a: toes (input 8.5)", "b: wlrec (input 0.65)", "c: nfans (input 1.2)")
PICTURES = ("error-curves", "error-bowl")


def neural_network(input: tg.Tensor, weights: tg.Tensor) -> tg.Tensor:
    """The weighted sum of the inputs (elementwise product, then sum: the book's order)."""
    return (input * weights).sum()


def _network() -> tuple[nn.Parameter, tg.Tensor, tg.Tensor]:
    weights = nn.Parameter(WEIGHTS)
    input = tg.Tensor([TOES[0], WLREC[0], NFANS[0]], name="input")
    true = tg.Tensor(WIN_OR_LOSE_BINARY[0], name="true")
    return weights, input, true


def _forward_backward(weights: nn.Parameter, input: tg.Tensor, true: tg.Tensor,
                      retain_graph: bool = False) -> tuple[tg.Tensor, tg.Tensor]:
    pred = neural_network(input, weights)
    pred.name = "pred"  # the diagrams label it as the book does
    pred.retain_grad()  # its gradient is the book's delta
    loss = nn.HalfSSELoss()(pred, true)
    loss.backward(retain_graph=retain_graph)
    return pred, loss


def run(*, seed: int = 0, epochs: int | None = None, verbose: bool = True) -> dict[str, Any]:
    """Train for `epochs` iterations (default: the book's 3), printing the book's table.

    `seed` is accepted for a uniform interface: this network has no randomness.
    Returns per-iteration lists `preds`, `errors`, `deltas`, `weights` (before each
    update), `weight_deltas`, and `final_weights`.
    """
    iterations = ITERATIONS if epochs is None else epochs
    weights, input, true = _network()
    optimizer = optim.SGD([weights], lr=ALPHA)
    history: dict[str, list] = {"preds": [], "errors": [], "deltas": [], "weights": [],
                                "weight_deltas": []}
    for iteration in range(iterations):
        optimizer.zero_grad()
        pred, _ = _forward_backward(weights, input, true)
        error = (pred.item() - true.item()) ** 2
        delta = pred.grad.item()
        weight_deltas = weights.grad.tolist()
        if verbose:
            print("Iteration:" + str(iteration + 1))
            print("Pred:" + str(pred.item()))
            print("Error:" + str(error))
            print("Delta:" + str(delta))
            print("Weights:" + str(weights.tolist()))
            print("Weight_Deltas:")
            print(str(weight_deltas))
            print()
        for key, value in zip(history, (pred.item(), error, delta, weights.tolist(),
                                        weight_deltas)):
            history[key].append(value)
        optimizer.step()
    history["final_weights"] = weights.tolist()
    return history


def graph_step(seed: int = 0) -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    """One training step's forward and backward (graph kept), for drawing."""
    weights, input, true = _network()
    _, loss = _forward_backward(weights, input, true, retain_graph=True)
    return loss, {"weights": weights}


def save_pictures(result: dict[str, Any], folder: str | os.PathLike[str], *, seed: int = 0,
                  epochs: int | None = None) -> list[Path]:
    """Draw `run()`'s result into `folder`: NAME-error-curves.png and NAME-error-bowl.png.

    The error drawn is the loss backward() differentiates, 0.5 * (pred - true)**2, so
    each tangent's slope is the book's weight_delta. `seed` and `epochs` are accepted
    for the interface all examples share. Needs matplotlib.
    """
    from tinygrad_gd import plot  # matplotlib only when pictures are asked for

    _, input, true = _network()
    loss_fn = plot.weight_loss(neural_network, input, true, nn.HalfSSELoss())
    steps = len(result["weights"])
    before, after = result["weights"][0], result["final_weights"]
    folder = Path(folder)
    curves = folder / f"{NAME}-error-curves.png"
    plot.error_curves(
        loss_fn, {"before training": before, f"after {steps} iterations": after},
        names=WEIGHT_NAMES, span=0.5, error_label="error = 0.5 * (pred - true)**2",
        title="Grokking Deep Learning, ch. 5: one error curve per weight, the others held; "
              "dotted: the slope (weight_delta) from backward().\nThe same delta, times "
              "each weight's input: a's input 8.5 makes its curve the steepest.",
        path=curves)
    bowl = folder / f"{NAME}-error-bowl.png"
    plot.error_bowl(
        loss_fn, after, list(result["weights"]) + [after], indices=(0, 1),
        names=WEIGHT_NAMES[:2], span=0.04, error_label="error = 0.5 * (pred - true)**2",
        title=f"Grokking Deep Learning, ch. 5: the error over weights a and b (c held at its "
              f"trained value {after[2]:.4g})\nand the {steps} steps of gradient descent. "
              f"One training example, so the bowl is a valley: most of the step is a's.",
        path=bowl)
    return [curves, bowl]


if __name__ == "__main__":
    as_script(run, __doc__)
