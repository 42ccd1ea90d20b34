"""Moving on to PyTorch: a trained tinygrad_gd model's weights in the same torch.nn model, and back.

Not one of the documents' networks (the demo does not run it): the way onward for a
learner who outgrows tinygrad_gd. Its `nn` mirrors `torch.nn` on purpose: `nn.Linear`
keeps its weight as (out_features, in_features) and its parameters under the same names
("0.weight", "0.bias", ...), so a state dict goes across as it is, array by array:

    torch_model.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    model.load_state_dict({k: v.detach().numpy() for k, v in torch_model.state_dict().items()})

What it does: trains a small network on the admissions data (which ships with the
package) with tinygrad_gd, builds the equivalent `torch.nn.Sequential` (`to_torch`),
carries the weights over and compares the two models' outputs; then trains on in
PyTorch and carries the weights back (`load_from_torch`).

Run: `python examples/to_pytorch.py` (needs PyTorch, never a dependency of tinygrad_gd:
`pip install torch`). Both models compute in float64, so the outputs agree to rounding.
"""
from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import tinygrad_gd as tg
from tinygrad_gd import datasets, nn, optim
from tinygrad_gd.examples._common import as_script

TITLE = "A trained tinygrad_gd model's weights in the equivalent torch.nn model, and back"
HIDDEN = 8
EPOCHS = 200
LEARNING_RATE = 0.5


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ModuleNotFoundError(
            "to_pytorch: PyTorch is not installed; install it (pip install torch) to carry "
            "a model's weights into torch.nn", name="torch") from None
    return torch


def make_model(seed: int = 0) -> nn.Sequential:
    """6 admissions features -> 8 ReLU units -> the probability of admission."""
    return nn.Sequential(nn.Linear(6, HIDDEN, seed=seed), nn.ReLU(),
                         nn.Linear(HIDDEN, 1, seed=seed + 1), nn.Sigmoid())


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int = EPOCHS) -> float:
    """Full-batch gradient descent on the mean squared error; returns the last loss."""
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)
    inputs, targets = tg.Tensor(x), tg.Tensor(y.reshape(-1, 1))
    loss = None
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = nn.MSELoss()(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return loss.item()


def _torch_layer(torch: Any, layer: nn.Module) -> Any:
    """The torch.nn module computing what `layer` computes (its weights still to load)."""
    if isinstance(layer, nn.Linear):
        return torch.nn.Linear(layer.in_features, layer.out_features,
                               bias=layer.bias is not None)
    if isinstance(layer, nn.LeakyReLU):
        return torch.nn.LeakyReLU(layer.negative_slope)
    if isinstance(layer, (nn.Softmax, nn.LogSoftmax)):
        kind = torch.nn.LogSoftmax if isinstance(layer, nn.LogSoftmax) else torch.nn.Softmax
        return kind(dim=layer.dim)
    if isinstance(layer, nn.Dropout):
        return torch.nn.Dropout(layer.p)
    if isinstance(layer, nn.Flatten):
        return torch.nn.Flatten(layer.start_dim, layer.end_dim)
    simple = {nn.ReLU: torch.nn.ReLU, nn.Sigmoid: torch.nn.Sigmoid, nn.Tanh: torch.nn.Tanh}
    if type(layer) in simple:
        return simple[type(layer)]()
    raise TypeError(f"to_torch: no torch.nn equivalent known for {type(layer).__name__}; "
                    f"build the torch model by hand and load model.state_dict() into it")


def to_torch(model: nn.Sequential) -> Any:
    """The equivalent `torch.nn.Sequential`, in the model's dtype, holding its weights."""
    torch = _import_torch()
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"to_torch: expected an nn.Sequential, got {type(model).__name__}; "
                        f"for another model build its torch twin by hand and load "
                        f"model.state_dict() into it")
    dtype = next(iter(model.parameters())).dtype
    torch_model = torch.nn.Sequential(*(_torch_layer(torch, layer) for layer in model))
    torch_model.to(getattr(torch, np.dtype(dtype).name))
    # the same names and shapes: the state dict goes across as it is
    torch_model.load_state_dict({name: torch.tensor(value)
                                 for name, value in model.state_dict().items()})
    return torch_model


def load_from_torch(model: nn.Module, torch_model: Any) -> nn.IncompatibleKeys:
    """Copy a torch model's weights into `model` (same names, shapes and dtype)."""
    return model.load_state_dict({name: value.detach().cpu().numpy()
                                  for name, value in torch_model.state_dict().items()})


def run(*, seed: int = 0, epochs: int = EPOCHS, verbose: bool = True) -> dict[str, Any]:
    """Train here, compare in torch, train on in torch, bring the weights back.

    Returns the largest output differences, `to_torch` and `back` (after the weights came
    back from torch), and the test accuracies here and in torch.
    """
    torch = _import_torch()
    x_train, y_train, x_test, y_test = datasets.load_admissions()
    model = make_model(seed)
    loss = train(model, x_train, y_train, epochs)

    torch_model = to_torch(model)
    with tg.no_grad():
        ours = model(tg.Tensor(x_test)).numpy()
    with torch.no_grad():
        theirs = torch_model(torch.tensor(x_test)).numpy()
    to_torch_difference = float(np.abs(ours - theirs).max())

    # train on in PyTorch: its own optimizer, its own autograd
    torch_optimizer = torch.optim.SGD(torch_model.parameters(), lr=LEARNING_RATE)
    inputs, targets = torch.tensor(x_train), torch.tensor(y_train.reshape(-1, 1))
    for _ in range(epochs):
        torch_optimizer.zero_grad()
        torch_loss = torch.nn.functional.mse_loss(torch_model(inputs), targets)
        torch_loss.backward()
        torch_optimizer.step()

    load_from_torch(model, torch_model)
    with tg.no_grad():
        ours = model(tg.Tensor(x_test)).numpy()
    with torch.no_grad():
        theirs = torch_model(torch.tensor(x_test)).numpy()
    back_difference = float(np.abs(ours - theirs).max())
    accuracy = float(np.mean((ours[:, 0] > 0.5) == y_test))
    if verbose:
        print(f"tinygrad_gd: {epochs} epochs, train loss {loss:.6f}")
        print(f"torch model: {torch_model}")
        print(f"largest output difference in torch: {to_torch_difference:.1e}")
        print(f"PyTorch: {epochs} more epochs, train loss {torch_loss.item():.6f}")
        print(f"largest output difference back in tinygrad_gd: {back_difference:.1e}")
        print(f"test accuracy: {accuracy:.3f}")
    return {"loss": loss, "torch_loss": torch_loss.item(), "to_torch": to_torch_difference,
            "back": back_difference, "accuracy": accuracy}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--epochs", type=int, default=EPOCHS, metavar="N",
                        help=f"epochs in each framework (default: {EPOCHS})")
    args = parser.parse_args(argv)
    try:
        run(epochs=args.epochs)
    except ModuleNotFoundError as err:
        parser.exit(1, f"{err}\n")


if __name__ == "__main__":
    as_script(main)
