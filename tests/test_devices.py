"""The device lines a ported PyTorch program begins with run as written (tg.device, tg.cuda),
and a GPU is refused in one line."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn


def test_the_usual_device_line_picks_the_cpu_and_moves_a_model_and_data_there():
    device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    model = nn.Linear(3, 2, seed=0).to(device)
    x = tg.tensor(np.ones((4, 3))).to(device)
    assert device == "cpu" and device.type == "cpu" and repr(device) == "device(type='cpu')"
    assert model(x).device == device and x.device == device
    assert tg.device("cpu", 0) == tg.device("cpu:0") == tg.device(x.device) == "cpu"
    assert tg.cuda.device_count() == 0


def test_the_seeding_and_housekeeping_calls_do_nothing_without_a_gpu():
    tg.manual_seed(3)
    first = tg.randn(3)
    tg.manual_seed(3)
    tg.cuda.manual_seed(0)  # (no GPU: the CPU's draws are not reseeded by them)
    tg.cuda.manual_seed_all(0)
    tg.cuda.empty_cache()
    tg.cuda.synchronize()
    assert np.array_equal(tg.randn(3).numpy(), first.numpy())


@pytest.mark.parametrize("call", [lambda: tg.device("cuda"), lambda: tg.device("cuda", 0),
                                  lambda: tg.device("mps")])
def test_a_gpu_is_refused_in_one_line(call):
    with pytest.raises(TypeError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith("device: expected the device 'cpu'") and "\n" not in message
    assert "CPU only" in message


def test_pytorchs_device_equals_ours_where_it_names_the_cpu():
    torch = pytest.importorskip("torch")
    assert tg.device(torch.device("cpu")) == "cpu"
    with pytest.raises(TypeError, match="CPU only"):
        tg.device(torch.device("cuda"))


def test_the_creation_functions_take_the_cpu_as_device():
    # torch.linspace(-1, 1, 5, device=device, dtype=dtype): every maker refused device=
    torch = pytest.importorskip("torch")
    cpu, x = torch.device("cpu"), tg.ones(2, 3)
    made = [tg.zeros(2, device="cpu"), tg.ones(2, device=cpu), tg.full((2,), 3.0, device="cpu"),
            tg.empty(2, device="cpu"), tg.eye(2, device="cpu"), tg.arange(2, device="cpu"),
            tg.linspace(0, 1, 2, device=cpu), tg.logspace(0, 1, 2, device="cpu"),
            tg.rand(2, device="cpu"), tg.randn(2, device="cpu"),
            tg.randint(0, 3, (2,), device="cpu"), tg.randperm(2, device="cpu"),
            tg.zeros_like(x, device="cpu"), tg.ones_like(x, device="cpu"),
            tg.full_like(x, 2.0, device="cpu"), tg.rand_like(x, device="cpu"),
            tg.randn_like(x, device="cpu"), tg.as_tensor([1.0], device="cpu"),
            tg.tensor([1.0], device="cpu:0"), x.new_zeros(2, device="cpu"),
            x.new_ones(2, device=cpu), x.new_empty(2, device="cpu"),
            x.new_full((2,), 1.0, device="cpu"), x.new_tensor([1.0], device="cpu")]
    assert all(isinstance(t, tg.Tensor) and t.device == "cpu" for t in made)
    assert tg.linspace(-1, 1, 5, device=cpu, dtype=tg.float).tolist() == \
        torch.linspace(-1, 1, 5, device=cpu, dtype=torch.float).tolist()
    for call, name in [(lambda: tg.zeros(2, device="cuda"), "zeros()"),
                       (lambda: tg.tensor([1.0], device="cuda"), "tensor()"),
                       (lambda: x.new_ones(2, device="cuda:0"), "new_ones()"),
                       (lambda: tg.randn_like(x, device="mps"), "randn_like()")]:
        with pytest.raises(TypeError) as error:
            call()
        assert str(error.value).startswith(f"{name}: expected the device 'cpu'")
        assert "\n" not in str(error.value)


def test_torchs_other_dtype_names_are_the_dtypes():
    assert (tg.float, tg.double, tg.half) == (tg.float32, tg.float64, tg.float16)
    assert (tg.long, tg.int, tg.short) == (tg.int64, tg.int32, tg.int16)
    assert tg.zeros(2, dtype=tg.float).dtype == np.float32
    assert "float" not in tg.__all__ and "int" not in tg.__all__  # (import * keeps Python's)
