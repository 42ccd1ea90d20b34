"""The layouts the copies make (memory_formats.py): `x.stride()` after `clone`, `to`, the
casts, `contiguous`, the `*_like` functions and `model.to`, with `memory_format=`
preserve_format (each call's default), contiguous_format, channels_last and
channels_last_3d, and what a user sees of them: `is_contiguous(memory_format=...)`, which
`view` is refused, values and gradients unchanged by the layout.

Without torch: a copy of dense values keeps their strides; of values with gaps or repeats
it is dense, its axes in the order of theirs (NumPy's `order="K"` copy as the reference);
channels_last's strides are NumPy's NHWC array read as NCHW
(`a.transpose(0, 2, 3, 1).copy(order="C").transpose(0, 3, 1, 2)`); gradients
through every copy against finite differences (gradcheck, float64), and in the input's
layout. With torch: every call's strides, `is_contiguous` and `is x` against torch's over
permutations, slices with steps, expands, axes of length 1, 0-d and empty tensors.
"""
from __future__ import annotations

import io
import itertools

import numpy as np
import pytest

import tinygrad_gd as tg

FORMATS = {"preserve": tg.preserve_format, "contiguous": tg.contiguous_format,
           "channels_last": tg.channels_last, "channels_last_3d": tg.channels_last_3d}
# every call that copies, given `fmt` as memory_format, in either library `m` (tg or torch)
COPIES = {
    "clone": lambda m, x, fmt: x.clone(memory_format=fmt),
    "tg.clone": lambda m, x, fmt: m.clone(x, memory_format=fmt),
    "to(float32)": lambda m, x, fmt: x.to(m.float32, memory_format=fmt),
    "to(copy)": lambda m, x, fmt: x.to("cpu", copy=True, memory_format=fmt),
    "float": lambda m, x, fmt: x.float(memory_format=fmt),
    "half": lambda m, x, fmt: x.half(memory_format=fmt),
    "long": lambda m, x, fmt: x.long(memory_format=fmt),
    "bool": lambda m, x, fmt: x.bool(memory_format=fmt),
    "type": lambda m, x, fmt: x.type(m.float32, memory_format=fmt),
    "zeros_like": lambda m, x, fmt: m.zeros_like(x, memory_format=fmt),
    "ones_like": lambda m, x, fmt: m.ones_like(x, memory_format=fmt),
    "full_like": lambda m, x, fmt: m.full_like(x, 2.5, memory_format=fmt),
    "rand_like": lambda m, x, fmt: m.rand_like(x, memory_format=fmt),
    "randn_like": lambda m, x, fmt: m.randn_like(x, memory_format=fmt),
    "randint_like": lambda m, x, fmt: m.randint_like(x, 5, memory_format=fmt),
}
DRAWS = ("rand_like", "randn_like", "randint_like")
FILLED = {"zeros_like": 0.0, "ones_like": 1.0, "full_like": 2.5}


def _values(shape) -> np.ndarray:
    return np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape) / 4


def _views(m):
    """Tensors of library `m` (tg or torch) laid out every way a copy must follow: the
    permutations of a 3-d tensor, slices with steps, expands (stride 0), axes of length 1
    (their strides PyTorch keeps), a diagonal, 0-d and empty tensors. {name: tensor}."""
    base = m.tensor(_values((2, 3, 4)))
    found = {f"permute{p}": base.permute(*p) for p in itertools.permutations(range(3))}
    found.update({
        "steps": base[:, ::2], "steps_permuted": base[:, ::2].permute(2, 0, 1),
        "last_steps": base[..., ::2], "narrowed": base[:, :, 1:3],
        "expand": m.tensor(_values((3, 1))).expand(3, 4),
        "expand_T": m.tensor(_values((3, 1))).expand(3, 4).T,
        "expand_front": m.tensor(_values((4,))).expand(2, 3, 4),
        "expand_permuted": m.tensor(_values((2, 1, 3))).expand(2, 4, 3).permute(2, 1, 0),
        "length_1_T": m.tensor(_values((4, 1))).T,
        "length_1_permuted": m.tensor(_values((2, 1, 4))).permute(2, 1, 0),
        "unsqueezed_T": m.tensor(_values((3, 4))).T.unsqueeze(1),
        "diagonal": m.tensor(_values((3, 3))).diagonal(),
        "0-d": m.tensor(np.array(2.5)), "empty": m.tensor(np.zeros((0, 3))).T,
        "nhwc_view": m.tensor(_values((2, 4, 5, 3))).permute(0, 3, 1, 2),
        "nhwc_sliced": m.tensor(_values((2, 4, 5, 6))).permute(0, 3, 1, 2)[:, ::2],
        "length_1_image": m.tensor(_values((2, 4, 5, 1))).permute(0, 3, 1, 2),
    })
    return found


VIEWS = list(_views(tg))


def _dense(t) -> bool:
    """Every entry in memory of its own, none skipped: the axes longer than 1 sorted by
    stride, each stride the product of the lengths inside it."""
    step = 1
    for stride, n in sorted((s, n) for s, n in zip(t.stride(), t.shape) if n > 1):
        if stride != step:
            return False
        step *= n
    return True


def _nhwc(shape) -> tuple:
    """NumPy's strides (in entries) of a 4-d or 5-d array of `shape` whose channels (axis 1)
    are innermost: the channels-last array made by transposing a C-ordered one."""
    inner = (0, *range(2, len(shape)), 1)
    array = np.zeros(shape).transpose(inner).copy(order="C").transpose(np.argsort(inner))
    return tuple(s // array.itemsize for s in array.strides)


def _expected(name: str, x) -> np.ndarray:
    source = np.asarray(x)
    if name in FILLED:
        return np.full(source.shape, FILLED[name])
    return source


# -- without torch ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", COPIES)
@pytest.mark.parametrize("view", VIEWS)
def test_a_preserving_copy_keeps_dense_strides_and_orders_the_others_as_its_input(name, view):
    x = _views(tg)[view]
    got = COPIES[name](tg, x, tg.preserve_format)
    assert got.shape == x.shape
    if name not in DRAWS:
        np.testing.assert_array_equal(np.asarray(got, dtype=np.float64),
                                      _expected(name, x).astype(got.dtype))
    assert x.size == 0 or not np.shares_memory(np.asarray(got), np.asarray(x))
    if x.size == 0:
        return
    assert _dense(got)
    if _dense(x):  # (a transpose, a permutation, axes of length 1: the same strides)
        assert got.stride() == x.stride()
    elif 0 not in x.stride() and 1 not in x.shape:  # (a slice with steps: NumPy's K order)
        k_copy = np.array(np.asarray(x), order="K")
        assert got.stride() == tuple(s // k_copy.itemsize for s in k_copy.strides)


@pytest.mark.parametrize("name", COPIES)
@pytest.mark.parametrize("layout", ["channels_last", "channels_last_3d"])
def test_channels_last_copies_have_numpys_nhwc_strides_and_the_same_values(name, layout):
    fmt = FORMATS[layout]
    for shape in ([(2, 3, 4, 5), (1, 3, 4, 5), (2, 3, 4, 1), (2, 1, 4, 5)] if layout ==
                  "channels_last" else [(2, 3, 4, 5, 6), (1, 3, 1, 5, 6)]):
        for x in (tg.Tensor(_values(shape)), tg.Tensor(_values(shape[::-1])).permute(
                *range(len(shape) - 1, -1, -1))):  # (row by row, and reversed)
            got = COPIES[name](tg, x, fmt)
            assert got.shape == x.shape and got.stride() == _nhwc(shape), (shape, got.stride())
            assert got.is_contiguous(memory_format=fmt)
            assert got.is_contiguous() == (shape[1] == 1)  # (one channel: both layouts)
            if name not in DRAWS:
                np.testing.assert_array_equal(np.asarray(got, dtype=np.float64),
                                              _expected(name, x).astype(got.dtype))


def test_is_contiguous_answers_from_the_strides():
    images = tg.Tensor(_values((2, 3, 4, 5)))
    nhwc = tg.Tensor(_values((2, 4, 5, 3))).permute(0, 3, 1, 2)  # (a view in NHWC strides)
    one_channel = tg.Tensor(_values((2, 4, 5, 1))).permute(0, 3, 1, 2)
    volumes = tg.Tensor(_values((2, 4, 5, 6, 3))).permute(0, 4, 1, 2, 3)
    answers = {  # (contiguous, channels_last, channels_last_3d)
        "images": (images, (True, False, False)), "nhwc": (nhwc, (False, True, False)),
        "one channel": (one_channel, (True, True, False)),
        "nhwc with steps": (nhwc[:, :, ::2], (False, False, False)),
        "volumes": (volumes, (False, False, True)),
        "matrix": (tg.Tensor(_values((3, 4))), (True, False, False)),
    }
    for what, (x, expected) in answers.items():
        got = tuple(x.is_contiguous(memory_format=f) for f in (
            tg.contiguous_format, tg.channels_last, tg.channels_last_3d))
        assert got == expected, what
        assert x.is_contiguous(memory_format=tg.preserve_format) == expected[0]
    # contiguous() and to() give x itself where it is laid out so already
    assert nhwc.contiguous(memory_format=tg.channels_last) is nhwc
    assert nhwc.to(memory_format=tg.channels_last) is nhwc
    assert images.to(memory_format=tg.contiguous_format) is images
    assert nhwc.contiguous().is_contiguous() and nhwc.contiguous().stride() == (60, 20, 5, 1)
    # a matrix's transpose suggests no other format: to(contiguous_format) is x, as PyTorch's
    matrix_T = tg.Tensor(_values((3, 4))).T
    assert matrix_T.to(memory_format=tg.contiguous_format) is matrix_T


def test_view_of_a_copy_in_another_layout_is_refused_as_pytorchs():
    transposed = tg.Tensor(_values((3, 4))).T.clone()
    images = tg.Tensor(_values((2, 3, 4, 5))).to(memory_format=tg.channels_last)
    for x, shape in ((transposed, (-1,)), (images, (-1,)), (images, (2, 60))):
        with pytest.raises(RuntimeError, match=r"^view: .*use reshape\(\)"):
            x.view(*shape)


def test_a_view_its_strides_allow_shares_the_copys_memory():
    transposed = tg.Tensor(_values((3, 4))).T.clone()
    split = transposed.view(2, 2, 3)  # (the first axis split: strides allow it)
    split[1, 0, 2] = -1.0
    assert transposed[2, 2].item() == -1.0
    images = tg.Tensor(_values((2, 3, 4, 5))).to(memory_format=tg.channels_last)
    merged = images.view(2, 3, 20)  # (H and W merged: W's stride times W's length is H's)
    merged[1, 2, 7] = -2.0
    assert images[1, 2, 1, 2].item() == -2.0
    for x in (transposed, images):  # reshape copies where it must; contiguous().view views
        np.testing.assert_array_equal(np.asarray(x.reshape(-1)), np.asarray(x).reshape(-1))
        np.testing.assert_array_equal(np.asarray(x.contiguous().view(-1)),
                                      np.asarray(x).reshape(-1))


def test_contiguous_refuses_preserve_format_where_a_copy_is_needed():
    x = tg.Tensor(_values((3, 4)))
    assert x.contiguous(memory_format=tg.preserve_format) is x
    for strided in (x.T, tg.Tensor(_values((2, 3, 4, 5))).to(memory_format=tg.channels_last)):
        with pytest.raises(RuntimeError) as caught:
            strided.contiguous(memory_format=tg.preserve_format)
        message = str(caught.value)
        assert message.startswith("contiguous: memory_format=tg.preserve_format is not "
                                  "supported") and "x.clone()" in message
        assert "\n" not in message


COPIES_IN_THE_GRAPH = {
    "clone": lambda x, fmt: x.clone(memory_format=fmt),
    "contiguous": lambda x, fmt: x.contiguous(memory_format=fmt),
    "to": lambda x, fmt: x.to(memory_format=fmt),
    "to(copy)": lambda x, fmt: x.to(tg.float64, copy=True, memory_format=fmt),
    "double": lambda x, fmt: x.double(memory_format=fmt),
}


@pytest.mark.parametrize("name", COPIES_IN_THE_GRAPH)
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_gradients_through_a_copy_in_another_layout_equal_finite_differences(name, layout):
    fmt, rng = FORMATS[layout], np.random.default_rng(2)
    weights = tg.Tensor(rng.standard_normal((2, 3, 4, 5)))
    kernel = tg.Tensor(rng.standard_normal((2, 3, 2, 2)))
    for permuted in (False, True):
        x = tg.Tensor(rng.standard_normal((2, 4, 5, 3) if permuted else (2, 3, 4, 5)),
                      requires_grad=True)

        def loss(t, permuted=permuted):
            image = t.permute(0, 3, 1, 2) if permuted else t
            copy = COPIES_IN_THE_GRAPH[name](image, fmt)
            return (copy * weights).sum() + tg.nn.functional.conv2d(copy ** 2, kernel).sum()
        assert tg.gradcheck(loss, (x,))
        x.grad = None
        loss(x).backward()
        image = x.permute(0, 3, 1, 2) if permuted else x
        if COPIES_IN_THE_GRAPH[name](image, fmt) is not image:  # (a copy: in x's layout)
            assert x.grad.stride() == x.stride()


def test_a_leafs_gradient_through_a_copy_is_in_the_leafs_layout():
    rng = np.random.default_rng(3)
    leaf = tg.Tensor(rng.standard_normal((2, 3, 4, 5))).to(memory_format=tg.channels_last)
    leaf.requires_grad_()
    weights = rng.standard_normal((2, 3, 4, 5))
    for copy in (lambda t: t.contiguous(), lambda t: t.clone(memory_format=tg.contiguous_format)):
        leaf.grad = None
        (copy(leaf) * tg.Tensor(weights)).sum().backward()
        assert leaf.grad.stride() == leaf.stride() == _nhwc((2, 3, 4, 5))
        np.testing.assert_array_equal(np.asarray(leaf.grad), weights)


def test_a_models_to_lays_out_its_4_d_parameters_and_gradients_in_place():
    model = tg.nn.Sequential(tg.nn.Conv2d(3, 4, 3), tg.nn.ReLU(), tg.nn.Flatten(),
                             tg.nn.Linear(4 * 4 * 4, 2))
    images = tg.Tensor(np.random.default_rng(4).standard_normal((2, 3, 6, 6)))
    model(images).sum().backward()
    weight = model[0].weight
    before = {name: np.asarray(p).copy() for name, p in model.named_parameters()}
    outputs = np.asarray(model(images)).copy()
    grad = np.asarray(weight.grad).copy()
    assert model.to(memory_format=tg.channels_last) is model
    assert model[0].weight is weight and weight.stride() == _nhwc(weight.shape)
    assert weight.grad.stride() == _nhwc(weight.shape)
    np.testing.assert_array_equal(np.asarray(weight.grad), grad)
    assert model[3].weight.is_contiguous() and model[0].bias.is_contiguous()
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(np.asarray(p), before[name])
    np.testing.assert_allclose(np.asarray(model(images.to(memory_format=tg.channels_last))),
                               outputs, rtol=1e-12)
    model.to(tg.float32, memory_format=tg.contiguous_format)
    assert weight.is_contiguous() and weight.dtype == np.float32
    volume = tg.nn.Conv3d(2, 3, 2)
    kept = np.asarray(volume.weight).copy()
    with pytest.raises(RuntimeError, match=r"^Module\.to: memory_format=tg\.channels_last "
                                           r"needs a 4-d tensor"):
        volume.to(tg.float32, memory_format=tg.channels_last)
    assert volume.weight.dtype == np.float64  # (refused before anything changed)
    np.testing.assert_array_equal(np.asarray(volume.weight), kept)
    volume.to(memory_format=tg.channels_last_3d)
    assert volume.weight.stride() == _nhwc(volume.weight.shape)


def test_saving_a_channels_last_tensor_keeps_its_values():
    """tg.save stores values row by row (NumPy's format): the layout is not kept."""
    model = tg.nn.Conv2d(3, 4, 3).to(memory_format=tg.channels_last)
    buffer = io.BytesIO()
    tg.save(model.state_dict(), buffer)
    buffer.seek(0)
    loaded = tg.load(buffer)
    np.testing.assert_array_equal(np.asarray(loaded["weight"]), np.asarray(model.weight))
    fresh = tg.nn.Conv2d(3, 4, 3)
    fresh.load_state_dict(loaded)
    np.testing.assert_array_equal(np.asarray(fresh.weight), np.asarray(model.weight))


# -- against torch --------------------------------------------------------------------------
def _torch_format(torch, fmt):
    return getattr(torch, fmt.name)


@pytest.mark.torch
@pytest.mark.parametrize("name", COPIES)
@pytest.mark.parametrize("fmt", ["preserve", "contiguous"])
def test_each_copys_strides_are_pytorchs(name, fmt):
    torch = pytest.importorskip("torch")
    ours, theirs = _views(tg), _views(torch)
    for view in VIEWS:
        x, y = ours[view], theirs[view]
        got = COPIES[name](tg, x, FORMATS[fmt])
        expected = COPIES[name](torch, y, _torch_format(torch, FORMATS[fmt]))
        assert got.shape == tuple(expected.shape), view
        assert got.dtype.name == str(expected.dtype).removeprefix("torch."), view
        if name not in DRAWS:
            np.testing.assert_array_equal(np.asarray(got), expected.numpy())
        assert got.is_contiguous() == expected.is_contiguous(), view
        if x.size:  # (NumPy gives an empty array zero strides, PyTorch row by row ones)
            assert x.stride() == y.stride() and got.stride() == expected.stride(), view


@pytest.mark.torch
@pytest.mark.parametrize("name", [*COPIES, "to()", "contiguous"])
@pytest.mark.parametrize("layout", ["channels_last", "channels_last_3d"])
def test_channels_last_is_pytorchs(name, layout):
    torch = pytest.importorskip("torch")
    calls = {**COPIES, "to()": lambda m, x, fmt: x.to(memory_format=fmt),
             "contiguous": lambda m, x, fmt: x.contiguous(memory_format=fmt)}
    fmt = FORMATS[layout]
    shapes = [(2, 3, 4, 5), (1, 3, 4, 5), (2, 1, 4, 5), (2, 3, 1, 5), (2, 3, 4, 1), (1, 1, 1, 1),
              (2, 0, 4, 5), (0, 3, 4, 5)]
    shapes = shapes if layout == "channels_last" else [s + (3,) for s in shapes]
    ours, theirs = _views(tg), _views(torch)
    cases = [(tg.Tensor(_values(s)), torch.tensor(_values(s))) for s in shapes]
    cases += [(ours[k], theirs[k]) for k in ("nhwc_view", "nhwc_sliced", "length_1_image")]
    cases += [(tg.Tensor(_values((2, 3, 4, 5, 6))).permute(0, 2, 3, 4, 1),
               torch.tensor(_values((2, 3, 4, 5, 6))).permute(0, 2, 3, 4, 1))]
    for x, y in cases:
        assert x.is_contiguous(memory_format=fmt) == y.is_contiguous(
            memory_format=_torch_format(torch, fmt))
        if x.ndim != {"channels_last": 4, "channels_last_3d": 5}[layout]:
            with pytest.raises(RuntimeError):
                calls[name](torch, y, _torch_format(torch, fmt))
            with pytest.raises(RuntimeError, match=f"memory_format=tg.{layout} needs a"):
                calls[name](tg, x, fmt)
            continue
        got, expected = calls[name](tg, x, fmt), calls[name](torch, y, _torch_format(torch, fmt))
        assert (got is x) == (expected is y), (name, x.shape)
        assert got.stride() == expected.stride(), (x.shape, x.stride())
        assert got.is_contiguous(memory_format=fmt) == expected.is_contiguous(
            memory_format=_torch_format(torch, fmt))
        assert got.is_contiguous() == expected.is_contiguous()
        if name not in DRAWS:
            np.testing.assert_array_equal(np.asarray(got), expected.numpy())


@pytest.mark.torch
def test_to_and_contiguous_give_x_itself_where_pytorchs_do():
    torch = pytest.importorskip("torch")
    ours, theirs = _views(tg), _views(torch)
    for view in VIEWS:
        x, y = ours[view], theirs[view]
        for fmt in ("preserve", "contiguous", "channels_last", "channels_last_3d"):
            tf = _torch_format(torch, FORMATS[fmt])
            for call in (lambda t, f: t.to(memory_format=f), lambda t, f: t.contiguous(
                    memory_format=f), lambda t, f: t.to(t.dtype, memory_format=f)):
                try:
                    expected = call(y, tf) is y
                except RuntimeError:
                    with pytest.raises(RuntimeError):
                        call(x, FORMATS[fmt])
                    continue
                assert (call(x, FORMATS[fmt]) is x) == expected, (view, fmt)


@pytest.mark.torch
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_gradients_and_their_layout_are_pytorchs(layout):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    values, weights = rng.standard_normal((2, 4, 5, 3)), rng.standard_normal((2, 3, 4, 5))
    for name in COPIES_IN_THE_GRAPH:
        grads = []
        for m, fmt in ((tg, FORMATS[layout]), (torch, _torch_format(torch, FORMATS[layout]))):
            leaf = m.tensor(values).permute(0, 3, 1, 2).contiguous(memory_format=getattr(
                m, "channels_last")).detach().requires_grad_()  # (an NHWC leaf)
            plain = m.tensor(weights, requires_grad=True)  # (a row-by-row leaf)
            copies = {"clone": lambda t: t.clone(memory_format=fmt),
                      "contiguous": lambda t: t.contiguous(memory_format=fmt),
                      "to": lambda t: t.to(memory_format=fmt),
                      "to(copy)": lambda t: t.to(m.float64, copy=True, memory_format=fmt),
                      "double": lambda t: t.double(memory_format=fmt)}
            made = [copies[name](leaf), copies[name](plain)]
            (made[0] * made[1] ** 2).sum().backward()
            grads.append([(leaf.grad, made[0] is not leaf), (plain.grad, made[1] is not plain)])
        for (ours, copied), (theirs, _) in zip(*grads):
            np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-13)
            if copied:  # (the copy's gradient comes back in its input's layout)
                assert ours.stride() == theirs.stride(), name


@pytest.mark.torch
def test_a_models_to_is_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = tg.nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3).double()
    ours.weight.grad = tg.ones_like(ours.weight)
    theirs.weight.grad = torch.ones_like(theirs.weight)
    for fmt in ("channels_last", "contiguous", "preserve"):
        ours.to(memory_format=FORMATS[fmt])
        theirs.to(memory_format=_torch_format(torch, FORMATS[fmt]))
        for p, q in ((ours.weight, theirs.weight), (ours.bias, theirs.bias),
                     (ours.weight.grad, theirs.weight.grad)):
            assert p.stride() == q.stride(), fmt
    for model in (tg.nn.Conv3d(2, 3, 2), torch.nn.Conv3d(2, 3, 2)):
        with pytest.raises(RuntimeError):
            model.to(memory_format=getattr(tg if isinstance(model, tg.nn.Module) else torch,
                                           "channels_last"))


@pytest.mark.torch
def test_contiguous_refuses_preserve_format_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = _views(tg), _views(torch)
    for view in VIEWS:
        try:
            expected = theirs[view].contiguous(memory_format=torch.preserve_format)
        except RuntimeError:
            with pytest.raises(RuntimeError, match="preserve_format is not supported"):
                ours[view].contiguous(memory_format=tg.preserve_format)
            continue
        assert ours[view].contiguous(memory_format=tg.preserve_format) is ours[view]
        assert expected is theirs[view]


@pytest.mark.torch
def test_view_of_a_copy_is_refused_or_allowed_as_pytorchs():
    torch = pytest.importorskip("torch")
    for m in (tg, torch):
        transposed = m.tensor(_values((3, 4))).T.clone()
        images = m.tensor(_values((2, 3, 4, 5))).to(memory_format=m.channels_last)
        split, merged = transposed.view(2, 2, 3), images.view(2, 3, 20)
        split[1, 0, 2], merged[1, 2, 7] = -1.0, -2.0
        assert transposed[2, 2].item() == -1.0 and images[1, 2, 1, 2].item() == -2.0
    with pytest.raises(RuntimeError):
        torch.tensor(_values((3, 4))).T.clone().view(-1)


# -- tg.empty(memory_format=) and dim_order(ambiguity_check=) -------------------------------
def test_empty_takes_a_memory_format_as_pytorchs():
    images = tg.empty((2, 3, 5, 7), memory_format=tg.channels_last)
    assert images.shape == (2, 3, 5, 7) and images.stride() == (105, 1, 21, 3)
    assert images.dim_order() == (0, 2, 3, 1)
    assert tg.empty(2, 3, memory_format=tg.contiguous_format).stride() == (3, 1)
    with pytest.raises(RuntimeError, match=r"^empty: memory_format=tg.preserve_format is not"):
        tg.empty(2, 3, memory_format=tg.preserve_format)
    with pytest.raises(RuntimeError, match=r"^empty: memory_format=tg.channels_last needs a 4-d"):
        tg.empty(2, 3, memory_format=tg.channels_last)


def test_dim_order_refuses_an_order_that_is_not_unique_when_asked():
    square, singleton = tg.empty(2, 3, 4, 5), tg.empty(1, 2, 3, 4)
    assert square.dim_order(ambiguity_check=True) == (0, 1, 2, 3)
    assert singleton.dim_order() == (0, 1, 2, 3)  # (one of its orders, unchecked)
    with pytest.raises(RuntimeError, match=r"^dim_order: .* no unique dim order"):
        singleton.dim_order(ambiguity_check=True)
    # exactly one format of the list fits: that one's order
    assert singleton.dim_order(ambiguity_check=[tg.contiguous_format]) == (0, 1, 2, 3)
    both = tg.empty((1, 1, 3, 4), memory_format=tg.channels_last)  # C = 1: fits both
    with pytest.raises(RuntimeError, match="fits 2 of the formats given"):
        both.dim_order(ambiguity_check=[tg.contiguous_format, tg.channels_last])
    with pytest.raises(TypeError, match=r"^dim_order: ambiguity_check must be a bool or a list"):
        square.dim_order(ambiguity_check="ILLEGAL")


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 2, 3, 4), (2, 1, 3, 4), (1, 1, 3, 4)])
@pytest.mark.parametrize("layout", ["contiguous_format", "channels_last"])
@pytest.mark.parametrize("check", [False, True, ["contiguous_format"],
                                   ["contiguous_format", "channels_last"]])
def test_empty_and_dim_order_are_pytorchs(shape, layout, check):
    torch = pytest.importorskip("torch")

    def outcome(lib):
        asked = check if not isinstance(check, list) else [getattr(lib, f) for f in check]
        x = lib.empty(shape, memory_format=getattr(lib, layout))
        try:
            return x.stride(), x.dim_order(ambiguity_check=asked)
        except RuntimeError:
            return x.stride(), "refused"
    assert outcome(tg) == outcome(torch)
