"""The way onward to PyTorch (examples/to_pytorch.py, docs/concepts/to-pytorch.md).

A trained `nn` model's state dict loads into the equivalent `torch.nn` model, which then
computes the same outputs; a torch state dict loads back. The tests that need torch are
marked `torch` and skip without it (torch is never a dependency); the rest check that
the example is no demo network and fails in one clear line without torch.
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli, nn
from tinygrad_gd.examples import to_pytorch


def test_to_pytorch_is_not_one_of_the_demo_networks():
    assert "to_pytorch" not in cli.EXAMPLES
    assert len(cli.load_examples()) == 8


def test_without_torch_the_example_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    with pytest.raises(ModuleNotFoundError, match=r"pip install torch"):
        to_pytorch.to_torch(to_pytorch.make_model())
    with pytest.raises(SystemExit) as exit_info:
        to_pytorch.main(["--epochs", "1"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "PyTorch is not installed" in err and len(err.strip().splitlines()) == 1


@pytest.mark.torch
def test_every_layer_kind_computes_the_same_outputs_in_torch():
    torch = pytest.importorskip("torch")
    model = nn.Sequential(nn.Linear(5, 7, seed=0), nn.Tanh(), nn.Linear(7, 4, seed=1),
                          nn.LeakyReLU(0.1), nn.Linear(4, 3, seed=2), nn.LogSoftmax(dim=1))
    x = np.random.default_rng(0).normal(size=(16, 5))
    torch_model = to_pytorch.to_torch(model)
    assert [type(m).__name__ for m in torch_model] == [
        "Linear", "Tanh", "Linear", "LeakyReLU", "Linear", "LogSoftmax"]
    assert all(p.dtype == torch.float64 for p in torch_model.parameters())
    with tg.no_grad():
        ours = model(tg.Tensor(x)).numpy()
    with torch.no_grad():
        theirs = torch_model(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)


@pytest.mark.torch
def test_torch_weights_load_back_into_the_model():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                      torch.nn.Linear(4, 2)).double()
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    to_pytorch.load_from_torch(model, torch_model)
    for name, value in torch_model.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name], value.numpy())
    x = np.random.default_rng(1).normal(size=(5, 3))
    with torch.no_grad():
        theirs = torch_model(torch.tensor(x)).numpy()
    np.testing.assert_allclose(model(tg.Tensor(x)).numpy(), theirs, rtol=0, atol=1e-15)


@pytest.mark.torch
def test_a_float32_torch_model_into_a_float64_model_is_refused_by_name():
    torch = pytest.importorskip("torch")
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 2))  # float32, torch's default
    with pytest.raises(ValueError, match=r"0.weight: dtype float32 in the state, float64"):
        to_pytorch.load_from_torch(nn.Sequential(nn.Linear(3, 2)), torch_model)


@pytest.mark.torch
def test_the_example_round_trip_agrees_to_rounding(capsys):
    pytest.importorskip("torch")
    result = to_pytorch.run(epochs=20)
    assert result["to_torch"] < 1e-12 and result["back"] < 1e-12
    assert result["torch_loss"] < result["loss"]  # torch trained on from where we stopped
    out = capsys.readouterr().out
    assert "largest output difference in torch" in out and "Linear(in_features=6" in out


@pytest.mark.torch
def test_a_model_without_a_torch_equivalent_is_named():
    class Twice(nn.Module):
        def forward(self, x):
            return x * 2

    pytest.importorskip("torch")
    with pytest.raises(TypeError, match="no torch.nn equivalent known for Twice"):
        to_pytorch.to_torch(nn.Sequential(nn.Linear(2, 2), Twice()))
    with pytest.raises(TypeError, match="expected an nn.Sequential, got Linear"):
        to_pytorch.to_torch(nn.Linear(2, 2))
