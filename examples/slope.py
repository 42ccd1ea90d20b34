"""Course slides "Introduction to Deep Learning in Python": slopes and the learning rate.

Document: Dan Becker's course slides "Introduction to Deep Learning in Python", chapter
2 "Gradient descent"; the same example opens the course notes on gradient descent. The
slope of a weight is the slope of the loss wrt the node it feeds, times the value of the
node feeding the weight (times the activation's slope: there is none here). The loss is
the squared error (pred - target)**2, whose slope wrt pred is 2 * error. Three parts:

1. One weight: input 3, weight 2, target 10. pred 6, error -4, slope 2 * -4 * 3 = -24;
   with learning rate 0.01 the new weight is 2 - 0.01(-24) = 2.24.
2. Two inputs: weights [1, 2], input [3, 4], target 6, learning rate 0.01: error 5,
   gradient [30, 40], error after one update 2.5.
3. Twenty updates of the two-input network, printing the falling squared error (each
   update halves the error here: 1 - 0.01 * 2 * (3**2 + 4**2) = 0.5).

Every slope comes from backward(); the slides' arrays hold integers, so whole numbers
print without ".0", as they do there.

Run: `python examples/slope.py` or `tinygrad-gd demo slope`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.examples._common import SOURCES, as_script

NAME = "slope"
TITLE = "Slope of a weight, learning rate, 20 updates (course slides)"
DOCUMENT = SOURCES["slides"]

LEARNING_RATE = 0.01
ONE_WEIGHT = {"weight": 2.0, "input": 3.0, "target": 10.0}
TWO_INPUTS = {"weights": [1.0, 2.0], "input_data": [3.0, 4.0], "target": 6.0}
UPDATES = 20
PICTURES = ("error-curve", "error-bowl")


def _num(value: float) -> str:
    """A whole number as the slides' integer arrays print it (5, not 5.0); others as str()."""
    value = float(value)
    return str(int(value)) if value.is_integer() else str(value)


def _nums(values: list[float]) -> str:
    return "[" + ", ".join(_num(v) for v in values) + "]"


def one_weight(verbose: bool = True) -> dict[str, float]:
    """Part 1: the slope of one weight and the weight after one update."""
    weight = nn.Parameter(ONE_WEIGHT["weight"])
    input, target = tg.Tensor(ONE_WEIGHT["input"]), tg.Tensor(ONE_WEIGHT["target"])
    pred = weight * input
    pred.retain_grad()  # slope of the loss wrt the node the weight feeds: 2 * error
    loss = nn.MSELoss()(pred, target)
    loss.backward()
    error = pred.item() - target.item()
    slope = weight.grad.item()
    optim.SGD([weight], lr=LEARNING_RATE).step()
    if verbose:
        print(f"One weight: weight {_num(ONE_WEIGHT['weight'])}, input "
              f"{_num(input.item())}, target {_num(target.item())}, loss (pred - target)**2")
        print(f"pred: {_num(pred.item())}")
        print(f"error: {_num(error)}")
        print(f"slope of the loss wrt pred: 2 * {_num(error)} = {_num(pred.grad.item())}")
        print(f"slope of the weight: 2 * {_num(error)} * {_num(input.item())} = {_num(slope)}")
        print(f"new weight: {_num(ONE_WEIGHT['weight'])} - {LEARNING_RATE}({_num(slope)}) = "
              f"{_num(weight.item())}")
    return {"pred": pred.item(), "error": error, "pred_slope": pred.grad.item(),
            "slope": slope, "new_weight": weight.item()}


def _two_input_network() -> tuple[nn.Parameter, tg.Tensor, tg.Tensor]:
    weights = nn.Parameter(TWO_INPUTS["weights"])
    return (weights, tg.Tensor(TWO_INPUTS["input_data"], name="input_data"),
            tg.Tensor(TWO_INPUTS["target"], name="target"))


def _loss(weights: tg.Tensor, input_data: tg.Tensor, target: tg.Tensor
          ) -> tuple[tg.Tensor, tg.Tensor]:
    preds = (weights * input_data).sum()
    return preds, nn.MSELoss()(preds, target)


def two_inputs(updates: int = UPDATES, verbose: bool = True) -> dict[str, Any]:
    """Parts 2 and 3: one update of the two-input network, then `updates` in a row."""
    weights, input_data, target = _two_input_network()
    optimizer = optim.SGD([weights], lr=LEARNING_RATE)
    preds, loss = _loss(weights, input_data, target)
    loss.backward()
    error = preds.item() - target.item()
    gradient = weights.grad.tolist()
    optimizer.step()
    preds_updated, _ = _loss(weights, input_data, target)
    error_updated = preds_updated.item() - target.item()
    if verbose:
        print(f"Two inputs: weights {_nums(TWO_INPUTS['weights'])}, input "
              f"{_nums(input_data.tolist())}, target {_num(target.item())}, learning rate "
              f"{LEARNING_RATE}")
        print(f"error: {_num(error)}")
        print(f"gradient: {_nums(gradient)}")
        print(f"error after one update: {_num(error_updated)}")

    # Part 3: start again from the initial weights and make many updates.
    weights, input_data, target = _two_input_network()
    optimizer = optim.SGD([weights], lr=LEARNING_RATE)
    squared_errors = []
    path = [weights.tolist()]  # the weights at the start and after each update
    if verbose and updates:
        print()
        print(f"{updates} updates, squared error after each:")
    for update in range(updates):
        optimizer.zero_grad()
        _, loss = _loss(weights, input_data, target)
        loss.backward()
        optimizer.step()
        with tg.no_grad():
            _, loss = _loss(weights, input_data, target)
        squared_errors.append(loss.item())
        path.append(weights.tolist())
        if verbose:
            print(f"update {update + 1}: {loss.item()}")
    return {"error": error, "gradient": gradient, "error_updated": error_updated,
            "squared_errors": squared_errors, "final_weights": weights.tolist(),
            "weights": path}


def run(*, seed: int = 0, epochs: int | None = None, verbose: bool = True) -> dict[str, Any]:
    """All three parts; `epochs` sets the number of updates in part 3 (default 20).

    `seed` is accepted for a uniform interface: these networks have no randomness.
    Returns `one_weight` and `two_inputs`, the dicts of the two functions above.
    """
    first = one_weight(verbose)
    if verbose:
        print()
    second = two_inputs(UPDATES if epochs is None else epochs, verbose)
    return {"one_weight": first, "two_inputs": second}


def _prediction(input: Any, weights: tg.Tensor) -> tg.Tensor:
    return (weights * input).sum()


def save_pictures(result: dict[str, Any], folder: str | os.PathLike[str], *, seed: int = 0,
                  epochs: int | None = None) -> list[Path]:
    """Draw `run()`'s result into `folder`: NAME-error-curve.png and NAME-error-bowl.png.

    The slides' gradient-descent pictures from the real runs: the one weight's loss
    (pred - target)**2 as a curve with backward()'s slope -24 as the tangent, before and
    after the update to 2.24; and the two-input network's loss over its two weights
    with the path of the updates. `seed` and `epochs` are accepted for the interface
    all examples share. Needs matplotlib.
    """
    from tinygrad_gd import plot  # matplotlib only when pictures are asked for

    folder = Path(folder)
    first = result["one_weight"]
    one_weight_loss = plot.weight_loss(_prediction, ONE_WEIGHT["input"],
                                       ONE_WEIGHT["target"], nn.MSELoss())
    curve = folder / f"{NAME}-error-curve.png"
    plot.error_curves(
        one_weight_loss, {"before the update": [ONE_WEIGHT["weight"]],
                          "after one update": [first["new_weight"]]},
        names=["the weight (input 3, target 10)"], span=1.5,
        error_label="loss = (pred - target)**2",
        title=f"Course slides (Dan Becker): at weight 2 the slope\nof the loss is "
              f"{_num(first['slope'])} (dotted, from backward());\ngoing opposite the slope "
              f"with learning\nrate {LEARNING_RATE} moves the weight to "
              f"{_num(first['new_weight'])}.",
        path=curve)
    second = result["two_inputs"]
    two_input_loss = plot.weight_loss(_prediction, TWO_INPUTS["input_data"],
                                      TWO_INPUTS["target"], nn.MSELoss())
    bowl = folder / f"{NAME}-error-bowl.png"
    updates = len(second["weights"]) - 1
    plot.error_bowl(
        two_input_loss, second["final_weights"], second["weights"],
        names=("weight 1 (input 3)", "weight 2 (input 4)"), span=1.0,
        error_label="loss = (pred - target)**2",
        title=f"Course slides (Dan Becker): the two-input network's loss over its two weights "
              f"and {updates} updates.\nThe first goes against the gradient [30, 40]; each "
              f"halves the error pred - target (and quarters the loss).",
        path=bowl)
    return [curve, bowl]


def one_weight_graph_step(seed: int = 0) -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    """Part 1 as the slides draw it, for its own diagram (`slope-one-weight-*.svg`).

    weight 2, input 3, target 10; pred = weight * input, error = pred - target, loss =
    error ** 2; after a plain backward(), as a learner calls it. The backward view's
    edges read the slide's product: the pow's 2 x (-4) = -8, then -8 x 3 = -24 at the
    weight.
    """
    weight = nn.Parameter(ONE_WEIGHT["weight"], name="weight")
    pred = weight * tg.Tensor(ONE_WEIGHT["input"], name="input")
    pred.name = "pred"
    error = pred - tg.Tensor(ONE_WEIGHT["target"], name="target")
    error.name = "error"
    loss = error ** 2
    loss.name = "loss"
    loss.backward()
    return loss, {"weight": weight}


# diagrams the demo draws besides graph_step's: NAME-SUFFIX-forward/backward.svg
EXTRA_GRAPHS = {"one-weight": one_weight_graph_step}


def graph_step(seed: int = 0) -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    """The two-input network's first step (graph kept), for drawing."""
    weights, input_data, target = _two_input_network()
    _, loss = _loss(weights, input_data, target)
    loss.backward(retain_graph=True)
    return loss, {"weights": weights}


if __name__ == "__main__":
    as_script(run, __doc__)
