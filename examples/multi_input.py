"""Grokking Deep Learning, ch. 5: gradient descent with several inputs and one output.

Document: seeds/003_e18d6b89a681d05b.txt ("Let's watch several steps of learning"), the
lab notes on the chapter. Three inputs of the first game (toes 8.5, win/loss record 0.65,
fans 1.2) feed one prediction through weights [0.1, 0.2, -0.1]; the true value is 1 and
alpha 0.01. The script prints, for 3 iterations, what the book's code prints: Pred,
Error, Delta, Weights and Weight_Deltas.

The book computes delta = pred - true and weight_delta = delta * input by hand. Here
backward() computes both: the loss is the half squared error 0.5 * (pred - true)**2,
whose gradient wrt pred is exactly the book's delta (read from `pred.grad` after
`pred.retain_grad()`), and whose gradient wrt the weights is the book's weight_deltas
(`weights.grad`). Error is printed as (pred - true)**2, as the book does.

Run: `python examples/multi_input.py` or `tinygrad-gd demo multi-input`.
"""
from __future__ import annotations

from typing import Any

import tinygrad_gd as tg
from tinygrad_gd import nn, optim

NAME = "multi-input"
TITLE = "Several inputs, one output: 3 steps of gradient descent (Grokking ch. 5)"
DOCUMENT = "003_e18d6b89a681d05b.txt"

# The book's data: one entry per game; the first game is the training example.
TOES = [8.5, 9.5, 9.9, 9.0]
WLREC = [0.65, 0.8, 0.8, 0.9]
NFANS = [1.2, 1.3, 0.5, 1.0]
WIN_OR_LOSE_BINARY = [1, 1, 0, 1]

WEIGHTS = [0.1, 0.2, -0.1]
ALPHA = 0.01
ITERATIONS = 3


def neural_network(input: tg.Tensor, weights: tg.Tensor) -> tg.Tensor:
    """The weighted sum of the inputs (elementwise product, then sum: the book's order)."""
    return (input * weights).sum()


def _network() -> tuple[nn.Parameter, tg.Tensor, tg.Tensor]:
    weights = nn.Parameter(WEIGHTS)
    input = tg.Tensor([TOES[0], WLREC[0], NFANS[0]])
    true = tg.Tensor(WIN_OR_LOSE_BINARY[0])
    return weights, input, true


def _forward_backward(weights: nn.Parameter, input: tg.Tensor, true: tg.Tensor,
                      retain_graph: bool = False) -> tuple[tg.Tensor, tg.Tensor]:
    pred = neural_network(input, weights)
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


if __name__ == "__main__":
    run()
