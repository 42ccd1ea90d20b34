"""Layouts kept as PyTorch keeps them: a saved tensor's strides through `tg.save`/`tg.load`
(serialization*.py), an empty tensor's `stride()` (memory.py), `resize_`'s and
`resize_as_`'s `memory_format=` (memory_formats.resized), and a leaf's `.grad` in the leaf's
strides, PyTorch's "gradient layout contract" (grad_layout.contracted_grad, hooks.py).

Without torch: a loaded array has the saved tensor's `stride()` and its values, `np.load`
reads the values row by row, a file without strides (an earlier version's, NumPy's) loads
as before, damaged strides are refused; an empty tensor's strides are row by row ones of
its shape (each axis at least 1 long); a resized tensor's values are its memory read in
the new strides (NumPy's NHWC array read as NCHW); a leaf's gradient has its strides and
the values of a NumPy formula. With torch: the same strides, values and refusals as
torch.save/torch.load, torch's empty tensors, resize_ and AccumulateGrad.
"""
from __future__ import annotations

import io
import warnings
import zipfile

import numpy as np
import pytest

import tinygrad_gd as tg


def _values(shape) -> np.ndarray:
    return np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape) / 4


def _dense_layouts(m):
    """Tensors of library `m` (tg or torch) whose values are dense in memory, laid out
    otherwise than row by row (and one row by row): {name: tensor}."""
    base = m.tensor(_values((2, 3, 4, 5)))
    return {
        "transposed": base[0, 0].T,
        "permuted": base[0].permute(2, 0, 1),
        "channels_last": base.contiguous(memory_format=m.channels_last),
        "channels_last_3d": base[None].contiguous(memory_format=m.channels_last_3d),
        "transposed_clone": base[1, 2].T.clone(),
        "row_by_row": base.clone(),
    }


def _steps(array: np.ndarray) -> tuple[int, ...]:
    return tuple(s // array.itemsize for s in array.strides)


def _saved_and_loaded(obj, f=None):
    f = io.BytesIO() if f is None else f
    tg.save(obj, f)
    if isinstance(f, io.BytesIO):
        f.seek(0)
    return tg.load(f)


# -- tg.save / tg.load ---------------------------------------------------------------------
@pytest.mark.parametrize("name", list(_dense_layouts(tg)))
def test_a_saved_tensor_loads_in_its_strides(name, tmp_path):
    x = _dense_layouts(tg)[name]
    for loaded in (_saved_and_loaded(x), _saved_and_loaded({"w": x})["w"],
                   _saved_and_loaded({"ckpt": [x, 3]})["ckpt"][0],
                   _saved_and_loaded({"w": x}, tmp_path / "w.npz")["w"]):
        assert _steps(loaded) == x.stride()
        np.testing.assert_array_equal(loaded, x.numpy())
        assert tg.from_numpy(loaded).stride() == x.stride()


@pytest.mark.torch
@pytest.mark.parametrize("name", list(_dense_layouts(tg)))
def test_a_saved_tensor_loads_in_torchs_strides(name):
    torch = pytest.importorskip("torch")
    ours, theirs = _dense_layouts(tg)[name], _dense_layouts(torch)[name]
    f = io.BytesIO()
    torch.save(theirs, f)
    f.seek(0)
    back = torch.load(f)
    loaded = _saved_and_loaded(ours)
    assert _steps(loaded) == back.stride()
    np.testing.assert_array_equal(loaded, back.numpy())


def test_a_view_with_gaps_loads_dense_in_the_order_of_its_strides():
    base = tg.tensor(_values((4, 6, 2)))
    for x in (base[:, ::2], base[::2].permute(2, 0, 1), base[:1].expand(3, 6, 2)):
        loaded = _saved_and_loaded({"w": x})["w"]
        assert _steps(loaded) == x.clone().stride()  # (torch.save keeps the gaps: its storage)
        np.testing.assert_array_equal(loaded, x.numpy())


def test_numpy_reads_the_values_and_a_file_without_strides_loads_as_before():
    layouts = _dense_layouts(tg)
    f = io.BytesIO()
    tg.save(layouts, f)
    read = np.load(io.BytesIO(f.getvalue()))
    for name, x in layouts.items():
        np.testing.assert_array_equal(read[name], x.numpy())
        assert read[name].shape == x.shape
    # an earlier version's file: the same entries, no comments
    earlier = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(f.getvalue())) as old, \
            zipfile.ZipFile(earlier, "w") as new:
        for member in old.infolist():
            new.writestr(member.filename, old.read(member.filename))
    earlier.seek(0)
    loaded = tg.load(earlier)
    for name, x in layouts.items():
        np.testing.assert_array_equal(loaded[name], x.numpy())
        assert _steps(loaded[name]) == _steps(read[name])  # (np.load's: F order kept)
    # NumPy's own file: what np.load gives
    plain = io.BytesIO()
    np.savez(plain, a=layouts["channels_last"].numpy(), b=layouts["transposed"].numpy())
    ours, numpys = tg.load(io.BytesIO(plain.getvalue())), np.load(io.BytesIO(plain.getvalue()))
    for name in "ab":
        assert _steps(ours[name]) == _steps(numpys[name])
        np.testing.assert_array_equal(ours[name], numpys[name])


def test_damaged_strides_are_refused_in_one_line():
    f = io.BytesIO()
    tg.save({"w": _dense_layouts(tg)["channels_last"]}, f)
    data = f.getvalue()
    kept = b"tinygrad_gd strides 60 1 15 3"
    assert data.count(kept) == 1
    for bad in (b"tinygrad_gd strides 60 1 15 9", b"tinygrad_gd strides 60 1 15 x",
                b"tinygrad_gd strides 60 1 15  "):
        with pytest.raises(tg.LoadError, match=r"^load: cannot read .*'w'.* strides [^\n]*$"):
            tg.load(io.BytesIO(data.replace(kept, bad)))


def test_a_whole_model_laid_out_channels_last_loads_so():
    model = tg.nn.Sequential(tg.nn.Conv2d(3, 4, 3), tg.nn.ReLU())
    model.to(memory_format=tg.channels_last)
    f = io.BytesIO()
    tg.save(model, f)
    back = tg.load(io.BytesIO(f.getvalue()), weights_only=False)
    assert back[0].weight.stride() == model[0].weight.stride() != (27, 9, 3, 1)
    assert _steps(tg.load(io.BytesIO(f.getvalue()))["0.weight"]) == model[0].weight.stride()
    np.testing.assert_array_equal(back[0].weight.numpy(), model[0].weight.numpy())


# -- an empty tensor's strides ---------------------------------------------------------------
EMPTIES = {
    "rows": lambda m: m.zeros(0, 3),
    "columns": lambda m: m.zeros(3, 0),
    "middle": lambda m: m.zeros(2, 0, 3),
    "one_axis": lambda m: m.zeros(0),
    "op_result": lambda m: m.zeros(0, 3) + 1,
    "reduced": lambda m: m.ones(3, 0, 2).sum(0),
    "reshaped": lambda m: m.zeros(0, 3).reshape(3, 0),
    "empty_like": lambda m: m.empty_like(m.zeros(2, 0)),
    "sliced": lambda m: m.zeros(4, 6)[:0],
    "sliced_columns": lambda m: m.zeros(4, 6)[:, :0],
    "expanded": lambda m: m.zeros(3).expand(0, 3),
    "channels_last": lambda m: m.zeros(0, 3, 4, 5).contiguous(memory_format=m.channels_last),
    "channels_last_middle": lambda m: m.zeros(2, 3, 0, 5).contiguous(
        memory_format=m.channels_last),
}
NEW = ("rows", "columns", "middle", "one_axis", "op_result", "reduced", "reshaped",
       "empty_like")


def _row_by_row(shape) -> tuple[int, ...]:
    """Row-by-row strides of `shape`, each axis at least 1 long (an independent formula)."""
    return tuple(int(np.prod([max(n, 1) for n in shape[k + 1:]])) for k in range(len(shape)))


@pytest.mark.parametrize("name", NEW)
def test_a_new_empty_tensor_has_row_by_row_strides(name):
    x = EMPTIES[name](tg)
    assert x.size == 0 and x.stride() == _row_by_row(x.shape)
    assert x.stride(-1) == x.stride()[-1] and x.is_contiguous()


@pytest.mark.torch
@pytest.mark.parametrize("name", list(EMPTIES))
def test_an_empty_tensors_strides_are_torchs(name):
    torch = pytest.importorskip("torch")
    ours, theirs = EMPTIES[name](tg), EMPTIES[name](torch)
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()


# -- resize_ and resize_as_ with memory_format= -----------------------------------------------
def _nhwc_read_as_nchw(memory: np.ndarray, shape) -> np.ndarray:
    """Memory holding an (N, H, W, C) array, read as (N, C, H, W) (independent of ours)."""
    n, c, h, w = shape
    return memory.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def test_resize_lays_out_as_asked_reading_the_memory_so():
    x = tg.arange(24.0)
    assert x.resize_(2, 3, 2, 2, memory_format=tg.channels_last) is x
    assert x.stride() == (12, 1, 6, 3) and x.is_contiguous(memory_format=tg.channels_last)
    np.testing.assert_array_equal(x.numpy(), _nhwc_read_as_nchw(np.arange(24.0), (2, 3, 2, 2)))
    # back to row by row: the memory (NHWC order) read row by row, one more entry a 0
    x.resize_(25, memory_format=tg.contiguous_format)
    np.testing.assert_array_equal(x.numpy(), np.append(np.arange(24.0), 0))
    t = tg.tensor(_values((4, 3))).T.clone()  # memory: the (4, 3) values row by row
    t.resize_(12)
    np.testing.assert_array_equal(t.numpy(), _values((4, 3)).reshape(-1))
    same = tg.tensor(_values((2, 3))).T
    assert same.resize_(3, 2) is same and same.stride() == (1, 3)  # (its shape: left as is)


def test_resize_as_takes_the_templates_format_for_preserve():
    nhwc = tg.zeros(2, 3, 2, 2).contiguous(memory_format=tg.channels_last)
    assert tg.arange(24.0).resize_as_(nhwc).stride() == (12, 4, 2, 1)
    assert tg.arange(24.0).resize_as_(nhwc, memory_format=tg.preserve_format).stride() \
        == (12, 1, 6, 3)
    assert tg.arange(6.0).resize_as_(tg.zeros(3, 2).T,
                                     memory_format=tg.preserve_format).stride() == (3, 1)
    assert tg.arange(24.0).resize_as_(tg.zeros(2, 3, 2, 2),
                                      memory_format=tg.channels_last).stride() == (12, 1, 6, 3)


REFUSED_RESIZES = [
    (lambda m: m.arange(6.0).resize_(2, 3, memory_format=m.channels_last), RuntimeError,
     "resize_: memory_format=tg.channels_last needs a 4-d tensor"),
    (lambda m: m.arange(6.0).resize_(1, 2, 3, 1, memory_format=m.channels_last_3d),
     RuntimeError, "resize_: memory_format=tg.channels_last_3d needs a 5-d tensor"),
    (lambda m: m.arange(6.0).resize_(2, 3, 1, 1, memory_format=m.preserve_format),
     RuntimeError, "resize_: memory_format=tg.preserve_format is not supported"),
    (lambda m: m.arange(6.0).resize_as_(m.zeros(2, 3), memory_format=m.channels_last),
     RuntimeError, "resize_as_: memory_format=tg.channels_last needs a 4-d tensor"),
    (lambda m: m.arange(6.0).resize_(2, 3, memory_format="x"), TypeError,
     "resize_: memory_format must be"),
    (lambda m: m.arange(6.0).resize_as_(m.zeros(6), memory_format=3), TypeError,
     "resize_as_: memory_format must be"),
]


@pytest.mark.parametrize("call,error,message", REFUSED_RESIZES)
def test_resize_refuses_a_format_as_torch_in_one_line(call, error, message):
    with pytest.raises(error, match="^" + message.replace(".", r"\.") + "[^\n]*$"):
        call(tg)


@pytest.mark.torch
@pytest.mark.parametrize("call,error,message", REFUSED_RESIZES)
def test_resize_refuses_what_torch_refuses(call, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        call(torch)


RESIZES = {
    "channels_last": lambda m, x: x.resize_(2, 3, 1, 1, memory_format=m.channels_last),
    "channels_last_ones": lambda m, x: x.resize_(1, 2, 3, 1, memory_format=m.channels_last),
    "channels_last_3d": lambda m, x: x.resize_(2, 3, 1, 1, 1,
                                               memory_format=m.channels_last_3d),
    "contiguous": lambda m, x: x.resize_(2, 3, 1, 1, memory_format=m.contiguous_format),
    "nhwc_same_size": lambda m, x: x.resize_(24).resize_(2, 3, 2, 2,
                                                         memory_format=m.channels_last),
    "nhwc_smaller": lambda m, x: x.resize_(24).resize_(1, 3, 2, 2,
                                                       memory_format=m.channels_last),
    "nhwc_back": lambda m, x: x.resize_(24).resize_(2, 3, 2, 2, memory_format=m.channels_last)
    .resize_(2, 3, 2, 2, memory_format=m.contiguous_format),
    "transposed": lambda m, x: x.resize_(2, 3).T.clone().resize_(2, 3),
    "transposed_same_shape": lambda m, x: x.resize_(2, 3).T.clone().resize_(
        3, 2, memory_format=m.contiguous_format),
    "nhwc_default": lambda m, x: x.resize_(24).resize_(1, 2, 3, 4).contiguous(
        memory_format=m.channels_last).resize_(1, 2, 3, 4),
    "as_preserve": lambda m, x: x.resize_(24).resize_as_(
        m.zeros(2, 3, 2, 2).contiguous(memory_format=m.channels_last),
        memory_format=m.preserve_format),
    "as_default": lambda m, x: x.resize_(24).resize_as_(
        m.zeros(2, 3, 2, 2).contiguous(memory_format=m.channels_last)),
    "as_transposed": lambda m, x: x.resize_as_(m.zeros(3, 2).T,
                                               memory_format=m.preserve_format),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(RESIZES))
def test_resize_gives_torchs_strides_and_values(name):
    torch = pytest.importorskip("torch")
    ours = RESIZES[name](tg, tg.arange(30.0))
    theirs = RESIZES[name](torch, torch.arange(30.0, dtype=torch.float64))
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- a leaf's .grad in the leaf's strides ------------------------------------------------------
LEAVES = {
    "transposed": lambda m: m.tensor(_values((4, 3))).T,
    "permuted": lambda m: m.tensor(_values((2, 3, 4))).permute(2, 0, 1),
    "channels_last": lambda m: m.tensor(_values((2, 3, 4, 5))).contiguous(
        memory_format=m.channels_last),
    "row_by_row": lambda m: m.tensor(_values((3, 4))),
    "steps": lambda m: m.tensor(_values((4, 6)))[:, ::2],
    "axis_of_one": lambda m: m.tensor(_values((3, 4))).unsqueeze(1),
}
DENSE_LEAVES = ("transposed", "permuted", "channels_last", "row_by_row", "axis_of_one")


def _leaf(m, name):
    return LEAVES[name](m).detach().requires_grad_()


def _losses(m, p):
    """Losses whose gradients NumPy lays out otherwise: through a transpose, a product, a
    broadcast sum; each with its gradient as a NumPy formula of p's values `v`."""
    w = m.tensor(_values(p.shape[-1:]) - 1.0)
    flipped = p.transpose(0, -1)
    return [
        ((p * p).sum(), lambda v: 2 * v),
        ((flipped * 3.0).sum() + (p * w).sum(), lambda v: 3.0 + np.broadcast_to(
            _values(v.shape[-1:]) - 1.0, v.shape)),
        (((flipped.exp()) * 0.5).sum(), lambda v: 0.5 * np.exp(v)),
    ]


def _long_axes(strides, shape) -> list[int]:
    """The strides of the axes longer than 1 (those of an axis of length 1 say nothing)."""
    return [s for s, n in zip(strides, shape) if n > 1]


@pytest.mark.parametrize("name", list(LEAVES))
def test_a_leafs_grad_has_the_leafs_strides(name):
    for k in range(3):
        p = _leaf(tg, name)
        # a dense leaf's strides; another's: dense, row by row (PyTorch's contiguous clone)
        expected = p.stride() if name in DENSE_LEAVES else tg.zeros(*p.shape).stride()
        for times in (1, 2):  # (set, then added to: the same layout)
            loss, formula = _losses(tg, p)[k]
            loss.backward()
            assert _long_axes(p.grad.stride(), p.shape) == _long_axes(expected, p.shape)
            np.testing.assert_allclose(p.grad.numpy(), times * formula(p.detach().numpy()),
                                       rtol=1e-12)


def test_a_row_by_row_weight_used_transposed_gets_a_row_by_row_grad():
    w = tg.tensor(_values((3, 4)), requires_grad=True)
    x = tg.tensor(_values((5, 4)) - 2.0)
    (x @ w.T).sum().backward()
    assert w.grad.stride() == (4, 1) and w.grad.is_contiguous()
    np.testing.assert_allclose(w.grad.numpy(), np.broadcast_to(x.numpy().sum(0), (3, 4)))


@pytest.mark.torch
@pytest.mark.parametrize("name", list(LEAVES))
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_leafs_grad_has_torchs_strides(name, create_graph):
    torch = pytest.importorskip("torch")
    for k in range(3):
        found = []
        for m in (tg, torch):
            p = _leaf(m, name)
            for _ in range(2):  # (set, then added to)
                with warnings.catch_warnings():  # (torch's on create_graph's reference cycle)
                    warnings.simplefilter("ignore" if m is torch else "error")
                    _losses(m, p)[k][0].backward(create_graph=create_graph)
                found.append((_long_axes(p.grad.stride(), p.shape),
                              p.grad.detach().numpy().copy()))
            p.grad = None
        for (ours, ours_values), (theirs, theirs_values) in zip(found[:2], found[2:]):
            assert ours == theirs
            np.testing.assert_allclose(ours_values, theirs_values, rtol=1e-12)


@pytest.mark.torch
def test_a_grad_set_by_hand_keeps_its_strides_as_torchs():
    torch = pytest.importorskip("torch")
    for m in (tg, torch):
        p = _leaf(m, "transposed")
        p.grad = m.zeros(3, 4, dtype=m.float64)
        with warnings.catch_warnings():  # (torch's: the layouts differ, "not an error")
            warnings.simplefilter("ignore" if m is torch else "error")
            (p * 2.0).sum().backward()
        assert p.grad.stride() == (4, 1)
        np.testing.assert_array_equal(p.grad.numpy(), np.full((3, 4), 2.0))

