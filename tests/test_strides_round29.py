"""Strides as PyTorch's for a tensor with no entries, whose NumPy strides are all 0
(twenty-ninth round): its views by reshape/view, expand, transpose/permute/movedim and
unfold, and its copies (`clone`, `to`, the casts); a tensor's strides, whatever `stride()`
reports, kept through `tg.save`/`tg.load`, pickle and `copy.deepcopy`; a pickled tensor's
last write time not carried to another process (its backward runs there); a strided view
(`unfold`, `as_strided`) of a copy laid out in neither C nor F order, a view of it that the
in-place checks follow.

Not promised, so not compared: the stride of an axis of length 1 of a tensor with entries
(NumPy's, e.g. `x[None]`'s 0, which reads no other memory; PyTorch's is the next axis's
size times its stride), and the strides of an empty tensor indexed (`x[:, 1]`, `x[None]`)
or unsqueezed/squeezed (PyTorch's since the thirtieth round: test_strides_round30.py).

Without torch: PyTorch's documented rules as independent formulas (a permutation permutes
a new empty tensor's row-by-row strides; view's rule for no entries: the same shape keeps
them, another is a new tensor's; expand: 0 on a repeated axis), the values, the in-place
refusals. With torch: the same strides for a list of empty views; random chains of view
ops, compared where promised, are test_strides_round30.py's (one generator for both rounds'
ops, since the thirty-second round).
"""
from __future__ import annotations

import copy
import io
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_gd as tg


def _steps(array: np.ndarray) -> tuple[int, ...]:
    return tuple(s // array.itemsize for s in array.strides)


def _row_by_row(shape) -> tuple[int, ...]:
    """Row-by-row strides of `shape`, each axis counted at least 1 long (PyTorch's rule
    for a new tensor, an independent formula)."""
    steps, step = [], 1
    for n in reversed(shape):
        steps.append(step)
        step *= max(n, 1)
    return tuple(reversed(steps))


# -- a view of a tensor with no entries ------------------------------------------------------
def test_transposes_and_unfold_of_an_empty_tensor_move_its_row_by_row_strides():
    e = tg.zeros(0, 3)
    assert e.stride() == _row_by_row((0, 3)) == (3, 1)
    assert e.T.stride() == (1, 3) and e.mT.stride() == (1, 3) and e.T.T.stride() == (3, 1)
    b = tg.zeros(2, 0, 3)
    steps = _row_by_row((2, 0, 3))
    assert b.permute(2, 0, 1).stride() == (steps[2], steps[0], steps[1])
    assert b.movedim(0, 2).stride() == (steps[1], steps[2], steps[0])
    assert b.transpose(0, 2).stride() == steps[::-1]
    # unfold: the dimension's stride times the step, the window's axis that stride
    assert tg.zeros(0, 4).unfold(1, 2, 1).stride() == (4, 1, 1)
    assert tg.zeros(0, 3).T.unfold(0, 2, 1).stride() == (1, 3, 1)
    assert tg.empty_strided((0, 3), (0, 0)).T.stride() == (0, 0)  # (strides asked for)


def test_reshape_of_an_empty_tensor_follows_views_rule():
    t = tg.zeros(0, 3).T  # (3, 0) with strides (1, 3)
    assert t.reshape(3, 0).stride() == t.view(3, 0).stride() == (1, 3)  # (the same shape)
    for shape in ((0, 3), (3, 1, 0), (0,), (1, 0, 3)):  # (another: a new tensor's)
        assert t.reshape(shape).stride() == _row_by_row(shape), shape
        assert t.view(shape).stride() == _row_by_row(shape), shape
    assert t.flatten().stride() == (1,)
    assert tg.empty_strided((0, 3), (1, 5)).reshape(0, 3).stride() == (1, 5)


def test_expand_of_an_empty_tensor_gives_a_repeated_axis_0_and_keeps_the_others():
    assert tg.zeros(0, 1).expand(0, 3).stride() == (1, 0)
    assert tg.zeros(0, 3).expand(2, 0, 3).stride() == (0, 3, 1)
    assert tg.zeros(0, 3).T.expand(2, 3, 0).stride() == (0, 1, 3)
    # a new axis of length 1: the next axis's size times its stride
    assert tg.zeros(0, 3).T.expand(1, 3, 0).stride() == (3 * 1, 1, 3)
    for target in ((0,), (0, 2)):  # (a 0-d tensor's: all 0)
        assert tg.tensor(1.0).expand(*target).stride() == (0,) * len(target)


def test_a_copy_of_an_empty_tensor_keeps_its_strides_as_pytorchs():
    for size, stride in (((0, 3), (0, 0)), ((0, 3), (1, 5)), ((2, 0, 3), (0, 0, 0))):
        assert tg.empty_strided(size, stride).clone().stride() == stride
    e = tg.zeros(0, 3).T
    for copy_ in (e.clone(), e.double(), e.to(np.float32), e.long(), e.contiguous()):
        assert copy_.stride() == (1, 3) and copy_.shape == (3, 0)
    assert e.clone(memory_format=tg.contiguous_format).stride() == _row_by_row((3, 0))
    assert tg.tensor(1.0).expand(0).clone().stride() == (0,)


# -- a strided view of an owner laid out in neither C nor F order -----------------------------
@pytest.mark.parametrize("view", ["unfold", "as_strided"])
def test_a_strided_view_of_a_permuted_copy_is_seen_by_the_in_place_checks(view):
    w = tg.ones(2, 3, 4, requires_grad=True)
    h = w.permute(1, 0, 2) * 1.0  # (a copy in w's layout: neither C nor F order)
    v = h.unfold(0, 2, 2) if view == "unfold" else h.as_strided((2, 2), (1, 2))
    v.detach()[(0,) * v.ndim] = 5.0  # (a write through the view reaches h: its first entry
    assert h[0, 0, 0].item() == 5.0  # in memory, as w's)
    loss = (v * v).sum()
    with tg.no_grad():
        h.mul_(2.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


# -- kept through save/load, pickle and deepcopy -------------------------------------------------
# tensors of library m whose NumPy order is row by row (or that NumPy lays out so when it
# writes them) but whose strides, of an axis of length 1 or of an empty tensor, are not
LAYOUTS = {"col.T": lambda m: m.zeros(3, 1).T, "row.T": lambda m: m.arange(3.0).reshape(1, 3).T,
           "empty.T": lambda m: m.zeros(0, 3).T,
           "empty.permute": lambda m: m.zeros(2, 0, 3).permute(2, 0, 1),
           "empty_strided": lambda m: m.empty_strided((0, 3), (0, 0))}
# their strides by the rules: a transpose reverses a new tensor's, strides asked for kept
EXPECTED = {"col.T": _row_by_row((3, 1))[::-1], "row.T": _row_by_row((1, 3))[::-1],
            "empty.T": _row_by_row((0, 3))[::-1],
            "empty.permute": tuple(_row_by_row((2, 0, 3))[a] for a in (2, 0, 1)),
            "empty_strided": (0, 0)}
# and those with a new axis of length 1: whatever stride() reports comes back
NEW_AXES = {"x[None]": lambda: tg.zeros(2, 3)[None], "new.T": lambda: tg.arange(3.0)[None].T,
            "T.new": lambda: tg.arange(6.0).reshape(2, 3).T[:, None],
            "unsqueeze.T": lambda: tg.arange(6.0).reshape(2, 3).unsqueeze(1).mT}


def _round_trips(x):
    f = io.BytesIO()
    tg.save(x, f)
    f.seek(0)
    loaded = tg.load(f)
    f.seek(0)
    assert np.load(f)["#0"].shape == x.shape  # (NumPy reads the values, as before)
    return {"save/load": (_steps(loaded), loaded), "pickle": pickle.loads(pickle.dumps(x)),
            "deepcopy": copy.deepcopy(x)}


@pytest.mark.parametrize("name", list(LAYOUTS) + list(NEW_AXES))
def test_save_load_pickle_and_deepcopy_keep_the_strides(name):
    x = LAYOUTS[name](tg) if name in LAYOUTS else NEW_AXES[name]()
    if name in EXPECTED:
        assert x.stride() == EXPECTED[name]
    for how, back in _round_trips(x).items():
        steps, values = back if how == "save/load" else (back.stride(), back.numpy())
        assert steps == x.stride(), (name, how)
        np.testing.assert_array_equal(values, x.numpy())


# -- a pickled tensor's last write time --------------------------------------------------------
def test_a_tensor_written_in_place_then_pickled_backpropagates_in_another_process(tmp_path):
    w = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    optimizer = tg.optim.SGD([w], lr=0.1)
    for _ in range(3):  # (each step writes w in place)
        optimizer.zero_grad()
        (w * w).sum().backward()
        optimizer.step()
    optimizer.zero_grad()
    path = tmp_path / "w.pkl"
    path.write_bytes(pickle.dumps(w))
    script = ("import pickle, sys\nimport tinygrad_gd as tg\n"
              "w = pickle.loads(open(sys.argv[1], 'rb').read())\n"
              "(w * w).sum().backward()\n"  # (mul saves w)
              "print(repr((w.grad.numpy().tolist(), w.numpy().tolist())))\n")
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(tg.__file__)))
    env = {**os.environ, "PYTHONPATH": package_root}
    ran = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                         text=True, env=env, timeout=300, check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    grad, values = eval(ran.stdout.strip().splitlines()[-1])  # noqa: S307  (our own repr)
    np.testing.assert_allclose(values, w.numpy())
    np.testing.assert_allclose(grad, 2 * w.numpy())  # (d/dw of sum(w * w))


def test_copies_sharing_memory_still_share_the_in_place_checks():
    # (guards: pickle and deepcopy give a tensor and its detach() one memory again, so a
    # write through one is seen by the other's graph; copy.copy shares the tensor's memory)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        w.mul_(3.0)
    for how in ("pickle", "deepcopy"):
        a, b = pickle.loads(pickle.dumps([w, w.detach()])) if how == "pickle" else \
            copy.deepcopy([w, w.detach()])
        loss = (a * a).sum()
        b.data += 1.0
        assert a.numpy().tolist() == [4.0, 7.0], how
        with pytest.raises(RuntimeError, match="changed in place"):
            loss.backward()
    c = copy.copy(w)
    loss = (w * w).sum()
    c.data += 1.0
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


# -- against torch --------------------------------------------------------------------------------
VIEWS = {
    "scalar.expand(0)": lambda m: m.tensor(1.0).expand(0),
    "scalar.expand(0, 2)": lambda m: m.tensor(1.0).expand(0, 2),
    "empty.expand": lambda m: m.zeros(0, 1).expand(0, 3),
    "empty.expand_as": lambda m: m.zeros(0, 1).expand_as(m.zeros(0, 4)),
    "empty.broadcast_to": lambda m: m.zeros(3, 1, 0).broadcast_to(2, 3, 4, 0),
    "empty.T.expand(1, 3, 0)": lambda m: m.zeros(0, 3).T.expand(1, 3, 0),
    "empty.T": lambda m: m.zeros(0, 3).T,
    "empty.T.clone()": lambda m: m.zeros(0, 3).T.clone(),
    "empty.T.contiguous()": lambda m: m.zeros(0, 3).T.contiguous(),
    "empty.permute": lambda m: m.zeros(2, 0, 3).permute(2, 0, 1),
    "empty.transpose": lambda m: m.zeros(2, 0, 3).transpose(0, 2),
    "empty.movedim": lambda m: m.zeros(2, 0, 3).movedim(0, 2),
    "empty.T.reshape same": lambda m: m.zeros(0, 3).T.reshape(3, 0),
    "empty.permute.reshape": lambda m: m.zeros(2, 0, 3).permute(2, 0, 1).reshape(3, 2, 0),
    "empty.unfold": lambda m: m.zeros(0, 4).unfold(1, 2, 1),
    "empty.T.unfold": lambda m: m.zeros(0, 3).T.unfold(0, 2, 1),
    "empty_strided 0s clone": lambda m: m.empty_strided((0, 3), (0, 0)).clone(),
    "empty_strided clone": lambda m: m.empty_strided((0, 3), (1, 5)).clone(),
    "empty.T.double()": lambda m: m.zeros(0, 3).T.double(),
    "empty.T.long()": lambda m: m.zeros(0, 3).T.long(),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(VIEWS))
def test_strides_are_torchs(name):
    torch = pytest.importorskip("torch")
    ours, theirs = VIEWS[name](tg), VIEWS[name](torch)
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_save_load_and_pickle_keep_torchs_strides(name, tmp_path):
    torch = pytest.importorskip("torch")
    x, theirs = LAYOUTS[name](tg), LAYOUTS[name](torch)
    assert theirs.stride() == x.stride()
    torch.save(theirs, tmp_path / "t.pt")
    tg.save(x, tmp_path / "x.npz")
    assert _steps(tg.load(tmp_path / "x.npz")) == torch.load(tmp_path / "t.pt").stride()
    assert pickle.loads(pickle.dumps(x)).stride() == pickle.loads(pickle.dumps(theirs)).stride()


@pytest.mark.parametrize("like", ["zeros_like", "ones_like", "empty_like", "full_like",
                                  "rand_like"])
def test_a_like_of_an_empty_view_keeps_its_strides(like):
    x = tg.zeros(0, 3).T
    made = getattr(tg, like)(x, *([1.0] if like == "full_like" else []))
    assert made.shape == (3, 0) and made.stride() == x.stride() == (1, 3)
