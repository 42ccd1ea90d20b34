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
