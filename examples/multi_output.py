"""Grokking Deep Learning, ch. 5: gradient descent with one input and several outputs.

Document: Grokking Deep Learning (Andrew W. Trask), chapter 5 ("Gradient descent
learning with multiple outputs"), and the blog post "Deep Learning From Scratch, Part 3"
(notes on the chapter). One input, the win/loss record 0.65, makes three predictions
(hurt, win, sad) through weights [0.3, 0.2, 0.9]; the truth is [0.1, 1, 0.1] and alpha
0.1. Each output has its own delta = pred - true, and each weight_delta is that delta
times the one shared input.

The book's code prints the updated weights and the weight deltas of one step:
`Weights:[0.293825, 0.25655, 0.868475]` and
`Weight Deltas:[0.061750000000000006, -0.5655, 0.3152500000000001]`. This script
prints those two lines, preceded by the Pred, Error and Delta it computes on the way.
backward() of the half squared error 0.5 * sum((pred - true)**2) gives the deltas
(`pred.grad`) and the weight deltas (`weights.grad`).

Run: `python examples/multi_output.py` or `tinygrad-gd demo multi-output`.
"""
from __future__ import annotations

from typing import Any

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.examples._common import SOURCES, as_script

NAME = "multi-output"
TITLE = "One input, several outputs: one step of gradient descent (Grokking ch. 5)"
DOCUMENT = SOURCES["grokking"]

WLREC = [0.65, 1.0, 1.0, 0.9]
HURT = [0.1, 0.0, 0.0, 0.1]
WIN = [1, 1, 0, 1]
SAD = [0.1, 0.0, 0.1, 0.2]

WEIGHTS = [0.3, 0.2, 0.9]
ALPHA = 0.1
ITERATIONS = 1


def neural_network(input: tg.Tensor, weights: tg.Tensor) -> tg.Tensor:
    """Each output is the one input times its own weight."""
    return input * weights


def _network() -> tuple[nn.Parameter, tg.Tensor, tg.Tensor]:
    weights = nn.Parameter(WEIGHTS)
    input = tg.Tensor(WLREC[0], name="input")
    true = tg.Tensor([HURT[0], WIN[0], SAD[0]], name="true")
    return weights, input, true


def _forward_backward(weights: nn.Parameter, input: tg.Tensor, true: tg.Tensor,
                      retain_graph: bool = False) -> tuple[tg.Tensor, tg.Tensor]:
    pred = neural_network(input, weights)
    pred.name = "pred"  # the diagrams label it as the book does
    pred.retain_grad()  # its gradient holds the book's three deltas
    loss = nn.HalfSSELoss()(pred, true)
    loss.backward(retain_graph=retain_graph)
    return pred, loss


def run(*, seed: int = 0, epochs: int | None = None, verbose: bool = True) -> dict[str, Any]:
    """Do `epochs` updates (default: the book's 1), printing each step as the book does.

    `seed` is accepted for a uniform interface: this network has no randomness.
    Returns per-step lists `preds`, `errors`, `deltas`, `weight_deltas` and `weights`
    (after each update).
    """
    iterations = ITERATIONS if epochs is None else epochs
    weights, input, true = _network()
    optimizer = optim.SGD([weights], lr=ALPHA)
    history: dict[str, list] = {"preds": [], "errors": [], "deltas": [], "weight_deltas": [],
                                "weights": []}
    for _ in range(iterations):
        optimizer.zero_grad()
        pred, _ = _forward_backward(weights, input, true)
        error = [(p - t) ** 2 for p, t in zip(pred.tolist(), true.tolist())]
        weight_deltas = weights.grad.tolist()
        optimizer.step()
        if verbose:
            print("Pred:" + str(pred.tolist()))
            print("Error:" + str(error))
            print("Delta:" + str(pred.grad.tolist()))
            # the book's two lines
            print("Weights:" + str(weights.tolist()))
            print("Weight Deltas:" + str(weight_deltas))
        for key, value in zip(history, (pred.tolist(), error, pred.grad.tolist(),
                                        weight_deltas, weights.tolist())):
            history[key].append(value)
    return history


def graph_step(seed: int = 0) -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    """One training step's forward and backward (graph kept), for drawing."""
    weights, input, true = _network()
    _, loss = _forward_backward(weights, input, true, retain_graph=True)
    return loss, {"weights": weights}


if __name__ == "__main__":
    as_script(run, __doc__)
