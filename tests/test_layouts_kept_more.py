"""More layouts kept as PyTorch keeps them: an empty tensor made with strides asked for
(`empty_strided`, `new_empty_strided`: memory.strides_given) reports them, all 0 too; a
model's `state_dict()` holds each array in its parameter's strides (nn/module_state.py), so
`tg.save` of a channels_last model keeps its layout; and a tensor pickled or copied
(`pickle`, `copy.deepcopy`, `copy.copy`: memory.LaidOut) keeps its strides.

Without torch: the strides asked for, a parameter's own `stride()`, the original tensor's
`stride()` and values, and what a write may do. With torch: the same strides as torch's
empty_strided, state_dict, load_state_dict, pickle and deepcopy.
"""
from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.tensor import Tensor


def _steps(array: np.ndarray) -> tuple[int, ...]:
    return tuple(s // array.itemsize for s in array.strides)


# -- empty tensors made with strides asked for -------------------------------------------------
EMPTY_STRIDED = [((0, 3), (0, 0)), ((2, 0), (0, 0)), ((0,), (0,)), ((0, 3), (5, 7)),
                 ((3, 0, 2), (0, 0, 0)), ((0, 3), (1, 0))]


@pytest.mark.parametrize("size, stride", EMPTY_STRIDED)
def test_an_empty_tensor_made_with_strides_reports_them(size, stride):
    for made in (tg.empty_strided(size, stride), tg.zeros(2).new_empty_strided(size, stride)):
        assert made.shape == size and made.stride() == stride
        assert made.permute(*range(len(size))[::-1]).stride() == stride[::-1]  # (a view's)
    assert tg.zeros(*size).stride() != stride or any(stride)  # (a new one's: row by row)


@pytest.mark.torch
@pytest.mark.parametrize("size, stride", EMPTY_STRIDED)
def test_an_empty_tensor_made_with_strides_has_torchs(size, stride):
    torch = pytest.importorskip("torch")
    for m in (tg, torch):
        made = m.empty_strided(size, stride)
        views = (made, made.permute(*range(made.ndim)[::-1]), made[..., :0],
                 m.zeros(2).new_empty_strided(size, stride))
        if m is tg:
            ours = [v.stride() for v in views]
        else:
            assert ours == [v.stride() for v in views]


# -- a model's state_dict in its parameters' strides -------------------------------------------
def _channels_last_model(m):
    """A conv model of library `m` (tg or torch) in channels_last, a linear layer's weight
    transposed in memory beside it."""
    m.manual_seed(0)
    model = m.nn.Sequential(m.nn.Conv2d(3, 4, 3), m.nn.Linear(3, 2))
    model.to(memory_format=m.channels_last)
    with m.no_grad():
        model[1].weight = m.nn.Parameter(model[1].weight.detach().T.contiguous().T)
    return model


def test_state_dict_holds_each_array_in_its_parameters_strides():
    model = _channels_last_model(tg)
    state = model.state_dict()
    for name, p in model.named_parameters():
        assert _steps(state[name]) == p.stride(), name
        np.testing.assert_array_equal(state[name], p.numpy())
        assert not np.shares_memory(state[name], p._data)  # (a copy, as before)
    assert model[0].weight.stride() == (27, 1, 9, 3)  # (NHWC: the channels innermost)
    f = io.BytesIO()
    tg.save(state, f)
    f.seek(0)
    loaded = tg.load(f)
    for name, p in model.named_parameters():
        assert _steps(loaded[name]) == p.stride(), name
        np.testing.assert_array_equal(loaded[name], p.numpy())


def test_load_state_dict_copies_into_the_parameters_layout_or_assigns_the_states():
    state = _channels_last_model(tg).state_dict()
    plain = tg.nn.Sequential(tg.nn.Conv2d(3, 4, 3), tg.nn.Linear(3, 2))
    plain.load_state_dict(state)  # (into the parameters in place: theirs, row by row)
    assert plain[0].weight.stride() == (27, 9, 3, 1) and plain[1].weight.stride() == (3, 1)
    np.testing.assert_array_equal(plain[0].weight.numpy(), state["0.weight"])
    assigned = tg.nn.Sequential(tg.nn.Conv2d(3, 4, 3), tg.nn.Linear(3, 2))
    assigned.load_state_dict(state, assign=True)  # (the state's arrays: their layout)
    for name, p in assigned.named_parameters():
        assert p.stride() == _steps(state[name]), name
        np.testing.assert_array_equal(p.numpy(), state[name])


@pytest.mark.torch
def test_state_dict_and_load_state_dict_keep_torchs_strides():
    torch = pytest.importorskip("torch")
    ours, theirs = _channels_last_model(tg), _channels_last_model(torch)
    state, their_state = ours.state_dict(), theirs.state_dict()
    for name, value in their_state.items():
        assert _steps(state[name]) == value.stride(), name
    for assign in (False, True):
        plain = tg.nn.Sequential(tg.nn.Conv2d(3, 4, 3), tg.nn.Linear(3, 2))
        their_plain = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Linear(3, 2))
        plain.load_state_dict(state, assign=assign)
        their_plain.load_state_dict({k: v.clone() for k, v in their_state.items()},
                                    assign=assign)
        for (name, p), q in zip(plain.named_parameters(), their_plain.parameters()):
            assert p.stride() == q.stride(), (name, assign)


# -- a tensor pickled or copied keeps its strides ----------------------------------------------
def _layouts(m):
    """Tensors of library `m` (tg or torch) laid out otherwise than row by row: {name: it}."""
    base = m.tensor(np.arange(1.0, 121.0).reshape(2, 3, 4, 5) / 4)
    return {
        "transposed": base[0, 0].T,
        "permuted": base[0].permute(2, 0, 1),
        "channels_last": base.contiguous(memory_format=m.channels_last),
        "transposed_clone": base[1, 2].T.clone(),
        "with_gaps": base[:, :, ::2, 1:],
        "expanded": base[0, 0, 0].expand(3, 5),
        "row_by_row": base[1].clone(),
    }


def _copies(x):
    return {"pickle": pickle.loads(pickle.dumps(x)), "deepcopy": copy.deepcopy(x),
            "copy": copy.copy(x)}


@pytest.mark.parametrize("name", list(_layouts(tg)))
def test_a_pickled_or_copied_tensor_keeps_its_strides_and_values(name):
    x = _layouts(tg)[name]
    for how, y in _copies(x).items():
        assert type(y) is Tensor and y.stride() == x.stride(), how
        np.testing.assert_array_equal(y.numpy(), x.numpy())
        assert y.requires_grad == x.requires_grad
        if how != "copy" and name != "expanded":  # (values of its own)
            y.data[...] = -1.0
            assert (x.numpy() != -1.0).all(), how
    if name == "expanded":  # (its entries share memory: a write refused, as before)
        with pytest.raises(ValueError, match="cannot write"):
            copy.deepcopy(x).fill_(1.0)
    if x.stride() != tg.tensor(x.numpy()).stride():  # (as PyTorch's: no view without a copy)
        with pytest.raises(RuntimeError, match="view: a tensor of shape"):
            pickle.loads(pickle.dumps(x)).view(-1)


@pytest.mark.torch
@pytest.mark.parametrize("name", list(_layouts(tg)))
def test_a_pickled_or_copied_tensor_has_torchs_strides(name):
    torch = pytest.importorskip("torch")
    x, t = _layouts(tg)[name], _layouts(torch)[name]
    ours, theirs = _copies(x), _copies(t)
    for how in ours:
        assert ours[how].stride() == theirs[how].stride(), how
        np.testing.assert_array_equal(ours[how].numpy(), theirs[how].numpy())


def test_a_parameter_and_its_grad_copied_keep_their_strides_and_what_they_share():
    w = tg.nn.Parameter(tg.tensor(np.arange(12.0).reshape(3, 4)).T)
    (w * w).sum().backward()
    twin = copy.deepcopy(w)
    assert type(twin) is tg.nn.Parameter and twin.requires_grad and twin.is_leaf
    assert twin.stride() == w.stride() == (1, 4) and twin.grad.stride() == (1, 4)
    np.testing.assert_array_equal(twin.grad.numpy(), 2 * w.numpy())
    x = tg.tensor(np.arange(6.0).reshape(2, 3)).T
    for a, b in (copy.deepcopy([x, x.detach()]), pickle.loads(pickle.dumps([x, x.detach()]))):
        assert a.stride() == b.stride() == (1, 3)
        a.data[0, 0] = 7.0  # (one array before: one array after, as PyTorch's one storage)
        assert b.numpy()[0, 0] == 7.0


def test_a_pickle_made_before_strides_were_kept_still_loads(monkeypatch):
    x = tg.tensor(np.arange(6.0).reshape(2, 3)).T
    with monkeypatch.context() as patched:
        patched.delattr(Tensor, "__getstate__")  # (Python's own state: values row by row)
        old = pickle.dumps(x)
    y = pickle.loads(old)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert y.stride() == _steps(pickle.loads(pickle.dumps(x.numpy())))  # (NumPy's order)


def test_as_strided_of_an_empty_tensor_keeps_the_strides_asked_for():
    assert tg.zeros(0, 3).as_strided((0, 3), (0, 0)).stride() == (0, 0)
    assert tg.zeros(0, 3).stride() == (3, 1)  # (its own: PyTorch's contiguous strides)
