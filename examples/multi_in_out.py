"""Grokking Deep Learning, ch. 5: gradient descent with several inputs and several outputs.

Document: Grokking Deep Learning (Andrew W. Trask), chapter 5 ("Gradient descent with
multiple inputs and outputs"), and the blog post "Deep Learning From Scratch, Part 3",
which shows the nested-loop update `weights[i][j] -= alpha * weight_deltas[i][j]` over
the weight matrix. Three inputs (toes 8.5, win/loss record 0.65, fans 1.2) make three
predictions (hurt, win, sad) through a 3x3 matrix, row i holding output i's weights:

    [[0.1, 0.1, -0.3],   # hurt?
     [0.1, 0.2,  0.0],   # win?
     [0.0, 1.3,  0.1]]   # sad?

Truth [0.1, 1, 0.1], alpha 0.01. Each output's delta = pred - true; weight_deltas is
the outer product of the deltas with the inputs. backward() of the half squared error
0.5 * sum((pred - true)**2) gives both (`pred.grad`, `weights.grad`); the optimizer
performs the nested-loop update. The book shows the weights after one step in its older
Python's 17 digits ([[0.061324999999999998, 0.097042500000000004, ...], ...]); this prints
the same floats as today's Python does: [[0.061325, 0.0970425, -0.30546], [0.1017,
0.20013, 0.00023999999999999887], [-0.07352500000000001, 1.2943775, 0.08962]].

Run: `python examples/multi_in_out.py` or `tinygrad-gd demo multi-in-out`.
"""
from __future__ import annotations

from typing import Any

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.examples._common import SOURCES, as_script

NAME = "multi-in-out"
TITLE = "Several inputs, several outputs: a 3x3 weight matrix (Grokking ch. 5)"
DOCUMENT = SOURCES["grokking"]

TOES = [8.5, 9.5, 9.9, 9.0]
WLREC = [0.65, 0.8, 0.8, 0.9]
NFANS = [1.2, 1.3, 0.5, 1.0]
HURT = [0.1, 0.0, 0.0, 0.1]
WIN = [1, 1, 0, 1]
SAD = [0.1, 0.0, 0.1, 0.2]

# Columns: toes, %win, #fans; rows: the outputs.
WEIGHTS = [[0.1, 0.1, -0.3],  # hurt?
           [0.1, 0.2, 0.0],   # win?
           [0.0, 1.3, 0.1]]   # sad?
ALPHA = 0.01
ITERATIONS = 1


def neural_network(input: tg.Tensor, weights: tg.Tensor) -> tg.Tensor:
    """Output i is the weighted sum of the inputs with row i (the book's vect_mat_mul)."""
    return (weights * input).sum(axis=1)


def _network() -> tuple[nn.Parameter, tg.Tensor, tg.Tensor]:
    weights = nn.Parameter(WEIGHTS)
    input = tg.Tensor([TOES[0], WLREC[0], NFANS[0]], name="input")
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
    """Do `epochs` updates (default: the book's 1), printing each step.

    `seed` is accepted for a uniform interface: this network has no randomness.
    Returns per-step lists `preds`, `errors`, `deltas`, `weight_deltas` (3x3) and
    `weights` (3x3, after each update).
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
            print("Weight_Deltas:" + str(weight_deltas))
            print("Weights:" + str(weights.tolist()))
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
