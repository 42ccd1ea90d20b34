"""Grokking Deep Learning, ch. 5: freezing one weight.

Document: Grokking Deep Learning (Andrew W. Trask), chapter 5 ("Freezing one weight:
What does it do?"). The network of `multi_input` (inputs [8.5, 0.65, 1.2], weights [0.1,
0.2, -0.1], true 1), trained with alpha 0.3 while weight a (entry 0, the toes weight)
never moves. The book sets `weight_deltas[0] = 0` by hand; here entry 0 of the weight
Parameter is frozen (`freeze_(0)`), so after backward() its gradient reads 0 and the
optimizer leaves it alone. Only b and c learn, yet the error still falls to the bottom
of the bowl: the error is shared, so when b and c find it, a's curve finds it too.

Prints the book's table (Iteration, Pred, Error, Delta, Weights, Weight_Deltas) for 3
iterations. Loss: the half squared error, whose gradient wrt pred is the book's delta.

Picture (`save_pictures`, needs matplotlib: pip install "tinygrad_gd[plot]"; the demo
writes it beside the diagrams): the three error curves at every iteration. a's dot
stays put at 0.1 while its curve moves left until its bottom reaches the dot.

Run: `python examples/freeze_weight.py` or `tinygrad-gd demo freeze-weight`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.examples._common import SOURCES, as_script

NAME = "freeze-weight"
TITLE = "Freezing one weight: a stays put, b and c still reach the bottom (Grokking ch. 5)"
DOCUMENT = SOURCES["grokking"]

TOES = [8.5, 9.5, 9.9, 9.0]
WLREC = [0.65, 0.8, 0.8, 0.9]
NFANS = [1.2, 1.3, 0.5, 1.0]
WIN_OR_LOSE_BINARY = [1, 1, 0, 1]

WEIGHTS = [0.1, 0.2, -0.1]
FROZEN = 0  # weight a, the one fed by toes
ALPHA = 0.3
ITERATIONS = 3

WEIGHT_NAMES = ("a: toes (input 8.5)", "b: wlrec (input 0.65)", "c: nfans (input 1.2)")
PICTURES = ("error-curves",)


def neural_network(input: tg.Tensor, weights: tg.Tensor) -> tg.Tensor:
    """The weighted sum of the inputs (elementwise product, then sum: the book's order)."""
    return (input * weights).sum()


def _network() -> tuple[nn.Parameter, tg.Tensor, tg.Tensor]:
    weights = nn.Parameter(WEIGHTS)
    weights.freeze_(FROZEN)
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


def _as_book_prints(weight_deltas: list[float]) -> list[float | int]:
    """The book stores the integer 0 in the frozen slot, so its list prints `0`, not `0.0`."""
    shown: list[float | int] = list(weight_deltas)
    if shown[FROZEN] == 0.0:
        shown[FROZEN] = 0
    return shown


def run(*, seed: int = 0, epochs: int | None = None, verbose: bool = True) -> dict[str, Any]:
    """Train for `epochs` iterations (default: the book's 3), printing the book's table.

    `seed` is accepted for a uniform interface: this network has no randomness.
    Returns per-iteration lists `preds`, `errors`, `deltas`, `weights` (before each
    update), `weight_deltas` (as read from the gradient), and `final_weights`.
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
            print(str(_as_book_prints(weight_deltas)))
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
    """Draw `run()`'s result into `folder`: NAME-error-curves.png. Needs matplotlib.

    One curve per iteration in each panel. The tangent is the slope of the curve
    itself, d error / d weight from backward() on a copy of the weights: for the frozen
    a that is not its `.grad` (the freezing zeroes that), but the slope a would follow
    if it could learn. `seed` and `epochs` are accepted for the interface all examples
    share.
    """
    from tinygrad_gd import plot  # matplotlib only when pictures are asked for

    _, input, true = _network()
    loss_fn = plot.weight_loss(neural_network, input, true, nn.HalfSSELoss())
    stages = {f"iteration {k + 1}": weights for k, weights in enumerate(result["weights"])}
    stages[f"after {len(result['weights'])} iterations"] = result["final_weights"]
    path = Path(folder) / f"{NAME}-error-curves.png"
    plot.error_curves(
        loss_fn, stages, names=WEIGHT_NAMES, frozen=[FROZEN], span=0.1,
        error_label="error = 0.5 * (pred - true)**2",
        title="Grokking Deep Learning, ch. 5: weight a frozen: its dot stays put at 0.1 while "
              "its curve moves left,\nbecause b and c learn; the error is shared, so a's "
              "curve finds the bottom of the bowl too.",
        path=path)
    return [path]


if __name__ == "__main__":
    as_script(run, __doc__)
