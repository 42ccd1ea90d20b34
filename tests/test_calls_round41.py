"""Calls the fortieth round left untrue or missing (forty-first round).

1. an int setting read from an integer tensor of one entry (ignore_index, padding_idx) was
   refused, for a float, bool or two-entry tensor, with words saying only a 0-d tensor
   stands for an int: each refusal now says what the setting takes, and torch refuses it too;
2. tg.linalg took PyTorch's keyword names only: NumPy's (`np.linalg.solve(a=, b=)`,
   `norm(x=)`, `inv(a=)` ...) run too, against NumPy's values;
3. tg.autograd.functional filled no retained `.grad`: each function now does what torch's
   does with a `retain_grad()` tensor's `.grad`.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.nn.functional as F

LOGITS = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0], [0.3, 0.2, 0.1]])
TARGET = np.array([0, 2, 1])

# -- 1. an int setting's refusal says what it takes ------------------------------------------
SETTINGS = {  # name: lib -> call with the setting given
    "cross_entropy": lambda lib, v: (F if lib is tg else lib.nn.functional).cross_entropy(
        lib.tensor(LOGITS), lib.tensor(TARGET), ignore_index=v),
    "nll_loss": lambda lib, v: (F if lib is tg else lib.nn.functional).nll_loss(
        lib.tensor(LOGITS), lib.tensor(TARGET), ignore_index=v),
    "CrossEntropyLoss": lambda lib, v: lib.nn.CrossEntropyLoss(ignore_index=v)(
        lib.tensor(LOGITS), lib.tensor(TARGET)),
    "embedding": lambda lib, v: (F if lib is tg else lib.nn.functional).embedding(
        lib.tensor([0, 1]), lib.tensor(LOGITS), padding_idx=v),
    "Embedding": lambda lib, v: lib.nn.Embedding(3, 2, padding_idx=v),
    "from_pretrained": lambda lib, v: lib.nn.Embedding.from_pretrained(
        lib.tensor(LOGITS), padding_idx=v),
}
REFUSED = {"a float": lambda lib: lib.tensor([1.0]), "a bool": lambda lib: lib.tensor(True),
           "two entries": lambda lib: lib.tensor([1, 1])}


@pytest.mark.torch
@pytest.mark.parametrize("given", REFUSED)
@pytest.mark.parametrize("where", SETTINGS)
def test_an_int_settings_refusal_says_what_it_takes(torch64, where, given):
    if where not in ("Embedding", "from_pretrained"):  # (torch's layer stores any tensor
        with pytest.raises((TypeError, RuntimeError, IndexError)):  # unchecked: F.embedding
            SETTINGS[where](torch64, REFUSED[given](torch64))  # refuses it at the first call)
    with pytest.raises(TypeError) as caught:
        SETTINGS[where](tg, REFUSED[given](tg))
    message = str(caught.value)
    name = "ignore_index" if "ntropy" in where or "nll" in where else "padding_idx"
    assert "\n" not in message and f"{name} must be an int, got a tensor of shape" in message
    assert "only an integer tensor of one entry stands for an int" in message
    assert "0-d integer" not in message


@pytest.mark.torch
@pytest.mark.parametrize("where", SETTINGS)
def test_an_int_setting_of_one_entry_in_two_axes_is_its_int(torch64, where):
    ours = SETTINGS[where](tg, tg.tensor([[1]]))
    theirs = SETTINGS[where](torch64, torch64.tensor([[1]]))
    if isinstance(ours, tg.nn.Module):  # (torch's Embedding zeroes a copy of row 1, through
        assert ours.padding_idx == int(theirs.padding_idx) == 1  # the index tensor: not
        # compared; its forward reads row 1 as padding; from_pretrained keeps the row)
        assert where == "from_pretrained" or not ours.weight.data[1].any()
        return
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
