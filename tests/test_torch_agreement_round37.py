"""Random programs against PyTorch 2.13 in the layers' less-used options and in indexing
(thirty-seventh round): each family over a small seeded sample of the configurations a
longer random search drew, values and the gradients of every input and parameter from a
random upstream gradient, float64, parameters copied across. That search found:

- `interpolate(..., antialias=True)` ('bilinear', 'bicubic') was refused; it now gives
  PyTorch's antialiased weights (PIL's resize), values and gradients, float32 too. Where
  the output is one column wide and the height changes, PyTorch's kernel repeats the
  first row's value down every row; ours resamples each row, as the transposed image
  (which PyTorch resamples right) says it should. Where an axis keeps its size by a
  scale_factor other than 1, both forwards copy it, but PyTorch's backward resamples it
  by the scale_factor (its gradcheck fails); ours gives each entry its copy's gradient;
- `scatter_add` and `scatter_reduce` with a `src` larger than the index (PyTorch reads
  only the index's part): PyTorch's backward raises a shape error; ours gives the
  gradient (finite differences agree), the read part's and zeros beyond;
- `interpolate(mode='nearest')` of a sequence by a non-integer scale_factor: PyTorch's
  gradient is not the derivative of its forward (its gradcheck fails); ours adds each
  output's gradient to the entry it copies, as its own forward says;
- getitem's and setitem's refusal of an index that does not fit spanned lines (each index
  array's repr); it is one line now, an array of more than one axis or eight entries
  shown by its dtype and shape, as a diagram titles the op; setitem into a tensor of the
  graph raised AttributeError instead;
- TransformerEncoderLayer and TransformerEncoder refused a bad mask, or is_causal without
  one, as `MultiheadAttention: ... attn_mask`; they name themselves and `src_mask`,
  `mask`, `src_key_padding_mask` now, as the decoder's did, a mask of the wrong shape
  a ShapeError (ValueError and RuntimeError) as MultiheadAttention's;
- `nn.Embedding.from_pretrained` was missing (EmbeddingBag had it); it is PyTorch's, the
  table copied; so were ParameterDict's get, setdefault, popitem, copy and fromkeys.

The rest of the search agreed (convolutions with groups, dilation, 'same'/'valid' and
every padding_mode, transposed ones with output_padding and output_size; max, average,
power-average, adaptive and fractional pooling with ceil_mode, count_include_pad,
divisor_override, return_indices and max_unpool; grid_sample and affine_grid; pad with
negative pads; fold and unfold; embedding and embedding_bag with max_norm, padding_idx,
per_sample_weights and offsets; the recurrent layers with packed sequences, proj_size,
two layers and both directions; attention with every kind of mask, kdim/vdim and
transformer layers with norm_first and a function as activation; getitem with slices,
None, Ellipsis, masks and negative indices; index_put_ with accumulate; the scatter and
index families with every reduce), or differed where the API guide says ours does, on
purpose (max_unpool and scatter with a repeated index, scatter_reduce's amax/amin ties
with include_self=False, NumPy's shape for an int beside an index array). Checked
against PyTorch (marked `torch`) and, where cheap, without it.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.errors import ShapeError
from tinygrad_gd.nn import functional as F


def _array(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t.numpy())


def _run(lib, program, floats, ints, make=None, state=None):
    """program(lib, functional, leaves, layer) run in `lib`: its outputs and the gradients
    of the float leaves and the layer's parameters, from a seeded upstream gradient.
    `make(lib)` builds the layer; `state` (torch's state_dict as arrays) is loaded into
    ours."""
    functional = lib.nn.functional
    leaves = {k: lib.tensor(np.array(v)).requires_grad_(True) for k, v in floats.items()}
    leaves.update({k: lib.tensor(np.array(v)) for k, v in ints.items()})
    layer = None if make is None else make(lib)
    if layer is not None and state is not None:
        layer.load_state_dict({k: v.copy() for k, v in state.items()})
    outs = program(lib, functional, leaves, layer)
    outs = [o for o in (outs if isinstance(outs, tuple) else (outs,)) if o is not None]
    rs, loss = np.random.RandomState(7), None
    for o in outs:
        if o.requires_grad:
            term = (o * lib.tensor(rs.randn(*tuple(o.shape)))).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    grads = {k: _array(leaves[k].grad) for k in floats if leaves[k].grad is not None}
    if layer is not None:
        grads.update({k: _array(p.grad) for k, p in layer.named_parameters()
                      if p.grad is not None})
    return [_array(o) for o in outs], grads, layer


def agree(torch, program, floats, ints=None, make=None, rtol=1e-9, atol=1e-11):
    """The same program in both libraries: outputs and gradients equal."""
    ints = ints or {}
    theirs, their_grads, layer = _run(torch, program, floats, ints, make)
    state = None if layer is None else {k: v.detach().numpy().copy()
                                        for k, v in layer.state_dict().items()}
    ours, our_grads, _ = _run(tg, program, floats, ints, make, state)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    assert set(our_grads) == set(their_grads)
    for k in their_grads:
        np.testing.assert_allclose(our_grads[k], their_grads[k], rtol=rtol, atol=atol,
                                   err_msg=k)


# -- 1. interpolate(antialias=True) ---------------------------------------------------------
def _antialiased_case(seed):
    """(input, keywords, output size) of one seeded antialiased resampling."""
    rs = np.random.RandomState(seed)
    height, width = (int(v) for v in rs.randint(1, 12, 2))
    options = dict(mode=str(rs.choice(["bilinear", "bicubic"])), antialias=True)
    corners = rs.choice([None, True, False])
    if corners is not None:
        options["align_corners"] = bool(corners)
    if rs.rand() < 0.5:
        size = tuple(int(v) for v in rs.randint(1, 14, 2))
        options["size"] = size
    else:
        factors = tuple(float(rs.choice([0.1, 0.25, 0.3, 0.5, 0.7, 1.3, 1.5, 2.0]))
                        for _ in range(2))
        size = tuple(max(math.floor(n * f), 0) for n, f in zip((height, width), factors))
        options["scale_factor"] = factors
        if rs.rand() < 0.4:
            options["recompute_scale_factor"] = bool(rs.rand() < 0.5)
    return rs.randn(2, 3, height, width), options, size, (height, width)


def _pytorch_is_right(options, size, height_width):
    """Not one column wide while the height changes (test_pytorchs_one_column_...), no
    axis keeping its size by a scale_factor other than 1 (test_an_axis_whose_size_...)."""
    if size[1] == 1 and size[0] != height_width[0]:
        return False
    factors = () if options.get("recompute_scale_factor") else options.get("scale_factor", ())
    return not any(n == m and f != 1.0 for n, m, f in zip(height_width, size, factors))


def _antialiased_sample(n):
    """Seeds of cases with an output, where PyTorch's kernel is right."""
    kept = []
    for seed in range(200):
        _, options, size, height_width = _antialiased_case(seed)
        if min(size) >= 1 and _pytorch_is_right(options, size, height_width):
            kept.append(seed)
    return kept[:n]


@pytest.mark.torch
@pytest.mark.parametrize("seed", _antialiased_sample(24))
def test_antialiased_interpolate_is_pytorchs(torch64, seed):
    x, options, _, _ = _antialiased_case(seed)
    agree(torch64, lambda lib, F, L, _: F.interpolate(L["x"], **options), dict(x=x))


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialiased_interpolate_of_float32_stays_float32_and_is_pytorchs(torch64, mode):
    x = np.random.RandomState(3).randn(1, 2, 9, 7).astype(np.float32)
    ours = F.interpolate(tg.tensor(x), size=(4, 3), mode=mode, antialias=True)
    theirs = torch64.nn.functional.interpolate(torch64.tensor(x), size=(4, 3), mode=mode,
                                               antialias=True)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_pytorchs_one_column_output_is_ours_of_the_transposed_image(torch64, mode):
    """PyTorch's kernel gives every row of a one-column output the first row's value;
    its result for the transposed image (one row wide) is right, and ours is it."""
    x = np.arange(12.0).reshape(1, 1, 3, 4) ** 2
    ours = F.interpolate(tg.tensor(x), size=(2, 1), mode=mode, antialias=True).numpy()
    transposed = torch64.nn.functional.interpolate(
        torch64.tensor(x).mT, size=(1, 2), mode=mode, antialias=True).mT.numpy()
    np.testing.assert_allclose(ours, transposed, rtol=1e-12)
    assert ours[0, 0, 0, 0] < ours[0, 0, 1, 0]  # (the image grows downward)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("shape, factors", [((7, 3), (0.9, 1.3)), ((5, 6), (0.5, 1.1)),
                                            ((6, 12), (1.1, 0.3))])
def test_an_axis_whose_size_stays_is_copied_and_its_gradient_too(mode, shape, factors):
    """Both forwards copy an axis whose size a scale_factor other than 1 keeps; PyTorch's
    backward resamples its gradient by the scale_factor (its gradcheck fails there). A
    copy's gradient of the sum is alike all along the copied axis."""
    x = tg.tensor(np.random.RandomState(10).randn(1, 2, *shape), requires_grad=True)
    resample = lambda x: F.interpolate(x, scale_factor=factors, mode=mode,  # noqa: E731
                                       antialias=True)
    y = resample(x)
    y.sum().backward()
    grad = x.grad.numpy()
    for axis in (2, 3):
        if y.shape[axis] == x.shape[axis]:
            first = np.take(grad, [0], axis=axis)
            np.testing.assert_allclose(grad, np.broadcast_to(first, grad.shape), rtol=1e-12)
    assert tg.autograd.gradcheck(resample, (x,))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_an_axis_copied_by_scale_factor_1_3_has_gradient_1(mode):
    x = tg.tensor(np.random.RandomState(11).randn(1, 1, 7, 3), requires_grad=True)
    y = F.interpolate(x, scale_factor=(1.0, 1.3), mode=mode, antialias=True)
    np.testing.assert_array_equal(y.numpy(), x.numpy())  # (7 rows by 1.0, 3 columns by 1.3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((1, 1, 7, 3)))
    assert tg.autograd.gradcheck(
        lambda x: F.interpolate(x, scale_factor=(1.0, 1.3), mode=mode, antialias=True), (x,))


@pytest.mark.torch
def test_an_axis_copied_by_a_scale_factor_is_pytorchs_forward(torch64):
    x = np.random.RandomState(12).randn(1, 2, 5, 6)
    for mode in ("bilinear", "bicubic"):
        ours = F.interpolate(tg.tensor(x), scale_factor=(0.5, 1.1), mode=mode, antialias=True)
        theirs = torch64.nn.functional.interpolate(torch64.tensor(x), scale_factor=(0.5, 1.1),
                                                   mode=mode, antialias=True)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(2, 1), (5, 1), (1, 3), (4, 6), (9, 2)])
def test_antialiased_interpolate_of_the_transposed_image_is_the_transposed_result(mode,
                                                                                   size):
    x = np.random.RandomState(5).randn(2, 1, 7, 4)
    straight = F.interpolate(tg.tensor(x), size=size, mode=mode, antialias=True).numpy()
    turned = F.interpolate(tg.tensor(x.swapaxes(-1, -2).copy()), size=size[::-1], mode=mode,
                           antialias=True).numpy().swapaxes(-1, -2)
    np.testing.assert_allclose(straight, turned, rtol=1e-12, atol=1e-14)


def test_antialiased_shrinking_averages_every_entry_and_keeps_a_constant():
    x = np.random.RandomState(6).randn(1, 1, 12, 12)
    for mode in ("bilinear", "bicubic"):
        shrunk = F.interpolate(tg.tensor(x), size=(3, 2), mode=mode, antialias=True)
        np.testing.assert_allclose(
            F.interpolate(tg.full((1, 1, 12, 12), 2.5), size=(3, 2), mode=mode,
                          antialias=True).numpy(), 2.5, rtol=1e-12)
        # every input entry reaches an output (without antialias 2 or 4 of each 6 do)
        x_leaf = tg.tensor(x, requires_grad=True)
        F.interpolate(x_leaf, size=(3, 2), mode=mode, antialias=True).sum().backward()
        assert (x_leaf.grad.numpy() != 0).all()
        assert shrunk.shape == (1, 1, 3, 2)


def test_antialiased_bilinear_enlarging_is_plain_bilinear():
    x = tg.tensor(np.random.RandomState(8).randn(2, 2, 4, 5))
    np.testing.assert_allclose(
        F.interpolate(x, size=(7, 11), mode="bilinear", antialias=True).numpy(),
        F.interpolate(x, size=(7, 11), mode="bilinear").numpy(), rtol=1e-12, atol=1e-14)


def test_antialiased_interpolate_passes_gradcheck():
    x = tg.tensor(np.random.RandomState(9).randn(1, 1, 6, 5), requires_grad=True)
    for mode in ("bilinear", "bicubic"):
        assert tg.autograd.gradcheck(
            lambda x: F.interpolate(x, size=(4, 7), mode=mode, antialias=True), (x,))


def test_antialias_is_still_refused_outside_bilinear_and_bicubic():
    with pytest.raises(ValueError, match=r"interpolate: antialias=True is restricted to the "
                       r"bilinear and bicubic modes and a 4-d input, got mode='area'"):
        F.interpolate(tg.zeros(1, 1, 4, 4), size=2, mode="area", antialias=True)


# -- 2. scatter with a src larger than the index -------------------------------------------
def _scatter_larger_src(seed):
    rs = np.random.RandomState(seed)
    x = rs.randn(3, 4)
    index = rs.randint(0, 3, (2, 3))
    src = rs.randn(4, 5) + 3.0
    return x, index, src


@pytest.mark.parametrize("reduce, include_self", [(None, True)] + [
    (reduce, include_self) for reduce in ("sum", "prod", "mean", "amax", "amin")
    for include_self in (True, False)])
def test_scatter_from_a_larger_src_has_the_finite_difference_gradient(reduce, include_self):
    x, index, src = _scatter_larger_src(0)
    x, src = tg.tensor(x, requires_grad=True), tg.tensor(src, requires_grad=True)
    index = tg.tensor(index)
    if reduce is None:
        op = lambda x, s: tg.scatter_add(x, 0, index, s)  # noqa: E731
    else:
        op = lambda x, s: tg.scatter_reduce(x, 0, index, s, reduce,  # noqa: E731
                                            include_self=include_self)
    assert tg.autograd.gradcheck(op, (x, src))
    op(x, src).sum().backward()
    assert (src.grad.numpy()[2:] == 0).all() and (src.grad.numpy()[:, 3:] == 0).all()


@pytest.mark.torch
@pytest.mark.parametrize("reduce", [None, "sum", "prod", "mean", "amax", "amin"])
def test_scatter_from_a_larger_src_is_pytorchs_forward(torch64, reduce):
    x, index, src = _scatter_larger_src(1)
    for lib in (tg, torch64):
        args = (lib.tensor(x), 0, lib.tensor(index), lib.tensor(src))
        out = lib.scatter_add(*args) if reduce is None else lib.scatter_reduce(*args, reduce)
        if lib is tg:
            ours = out.numpy()
    np.testing.assert_allclose(ours, out.numpy(), rtol=1e-12)
    # (PyTorch's backward of these raises: "returned an invalid gradient at index 1")


# -- 3. nearest resampling by a non-integer factor -----------------------------------------
def test_nearest_resampling_by_a_fraction_gives_each_copied_entry_its_gradients():
    x = tg.tensor(np.arange(1.0, 4.0).reshape(1, 1, 3), requires_grad=True)
    y = F.interpolate(x, scale_factor=1.3, mode="nearest")
    g = np.array([[[1.0, 10.0, 100.0]]])
    y.backward(tg.tensor(g))
    np.testing.assert_array_equal(y.numpy(), [[[1.0, 1.0, 2.0]]])
    np.testing.assert_array_equal(x.grad.numpy(), [[[11.0, 100.0, 0.0]]])
    assert tg.autograd.gradcheck(lambda x: F.interpolate(x, scale_factor=1.3), (x,))


# -- 4. a seeded sample of the search --------------------------------------------------------
def _conv_case(seed):
    rs = np.random.RandomState(seed)
    d, groups = int(rs.choice([1, 2, 3])), int(rs.choice([1, 2]))
    cin, cout = groups * int(rs.randint(1, 3)), groups * int(rs.randint(1, 3))
    kernel = tuple(int(v) for v in rs.randint(1, 4, d))
    dilation = tuple(int(v) for v in rs.randint(1, 3, d))
    x = rs.randn(2, cin, *(int(v) for v in rs.randint(5, 8, d)))
    if seed % 2:
        stride = tuple(int(v) for v in rs.randint(1, 3, d))
        padding = tuple(int(v) for v in rs.randint(0, 3, d))
        extra = tuple(int(rs.randint(0, max(s, t))) for s, t in zip(stride, dilation))
        make = lambda lib: getattr(lib.nn, f"ConvTranspose{d}d")(  # noqa: E731
            cin, cout, kernel, stride, padding, extra, groups, bool(seed % 3), dilation)
    else:
        padding = str(rs.choice(["same", "valid"])) if seed % 4 else 1
        mode = str(rs.choice(["zeros", "reflect", "replicate", "circular"]))
        make = lambda lib: getattr(lib.nn, f"Conv{d}d")(  # noqa: E731
            cin, cout, kernel, 1, padding, dilation, groups, bool(seed % 3), mode)
    return x, make


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(8))
def test_convolution_programs_are_pytorchs(torch64, seed):
    x, make = _conv_case(seed)
    agree(torch64, lambda lib, F, L, layer: layer(L["x"]), dict(x=x), make=make)


def _pool_program(seed):
    rs = np.random.RandomState(seed)
    d = int(rs.choice([1, 2, 3]))
    x = rs.permutation(2 * 3 * 6 ** d).reshape((2, 3) + (6,) * d) * 0.1 - 3.0
    kernel = tuple(int(v) for v in rs.randint(2, 4, d))
    stride, ceil = int(rs.randint(1, 3)), bool(seed % 2)
    padding = tuple(int(rs.randint(0, k // 2 + 1)) for k in kernel)
    kind = ("max", "avg", "lp", "adaptive_max", "adaptive_avg", "unpool")[seed % 6]

    def program(lib, F, L, _):
        if kind == "max":
            return getattr(F, f"max_pool{d}d")(L["x"], kernel, stride, padding, 2, ceil, True)
        if kind == "avg":
            extra = dict(divisor_override=3) if d > 1 and seed % 4 == 0 else {}
            return getattr(F, f"avg_pool{d}d")(L["x"], kernel, stride, padding, ceil,
                                               bool(seed % 3), **extra)
        if kind == "lp":
            size = kernel[0] if d == 1 else kernel  # (PyTorch's lp_pool1d takes an int)
            return getattr(F, f"lp_pool{d}d")(L["x"].abs() + 0.1, 3.0, size, stride, ceil)
        if kind == "adaptive_max":
            return getattr(F, f"adaptive_max_pool{d}d")(L["x"], (4,) * d, True)
        if kind == "adaptive_avg":
            return getattr(F, f"adaptive_avg_pool{d}d")(L["x"], (4,) * d)
        pooled, where = getattr(F, f"max_pool{d}d")(L["x"], kernel, kernel, 0, 1, ceil, True)
        return getattr(F, f"max_unpool{d}d")(pooled, where, kernel, kernel,
                                             output_size=tuple(L["x"].shape)[-d:])
    return x, program


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(12))
def test_pooling_programs_are_pytorchs(torch64, seed):
    x, program = _pool_program(seed)
    agree(torch64, program, dict(x=x))


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(6))
def test_resampling_and_padding_programs_are_pytorchs(torch64, seed):
    rs = np.random.RandomState(seed)
    image, grid = rs.randn(2, 2, 4, 5), rs.uniform(-1.3, 1.3, (2, 3, 3, 2))
    theta = rs.randn(2, 2, 3)
    mode = ("bilinear", "bicubic", "nearest")[seed % 3]
    padding_mode = ("zeros", "border", "reflection")[seed % 3]
    corners = bool(seed % 2)
    pads = [[1, -2, 0, 3], [-1, 2, 2, -1], [2, 1, 1, 2]][seed % 3]
    pad_mode = ("constant", "reflect", "replicate", "circular")[seed % 4]

    def program(lib, F, L, _):
        sampled = F.grid_sample(L["image"], L["grid"], mode, padding_mode, corners)
        affine = F.affine_grid(L["theta"], (2, 2, 3, 4), align_corners=corners)
        resized = F.interpolate(L["image"], scale_factor=(1.5, 0.7), mode="bicubic",
                                align_corners=corners, recompute_scale_factor=bool(seed % 3))
        padded = F.pad(L["image"], pads if pad_mode == "constant" else [abs(p) for p in pads],
                       pad_mode)
        blocks = F.unfold(L["image"], (2, 3), (1, 2), 1, (2, 1))
        folded = F.fold(blocks, (4, 5), (2, 3), (1, 2), 1, (2, 1))
        return sampled, affine, resized, padded, folded, F.pixel_unshuffle(
            F.pixel_shuffle(L["image"][:, :, :4, :4].reshape(2, 8, 2, 2), 2), 2)
    agree(torch64, program, dict(image=image, grid=grid, theta=theta))


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(6))
def test_embedding_bag_programs_are_pytorchs(torch64, seed):
    rs = np.random.RandomState(seed)
    weight, index = rs.randn(6, 3) * 2, rs.randint(0, 6, 8)
    mode = ("sum", "mean", "max")[seed % 3]
    offsets = np.array([0, 3, 3, 5] + ([8] if seed % 2 else []))
    options = dict(mode=mode, include_last_offset=bool(seed % 2),
                   padding_idx=[None, 2, -1][seed % 3], max_norm=[None, 1.5][seed % 2])
    floats = dict(weight=weight)
    if mode == "sum":
        floats["per_sample_weights"] = rs.randn(8)
    agree(torch64, lambda lib, F, L, _: F.embedding_bag(
        L["index"], L["weight"], L["offsets"], per_sample_weights=L.get("per_sample_weights"),
        **options), floats, dict(index=index, offsets=offsets))


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(6))
def test_recurrent_programs_are_pytorchs(torch64, seed):
    rs = np.random.RandomState(seed)
    kind = ("RNN", "GRU", "LSTM")[seed % 3]
    batch_first = bool(seed % 2)
    options = dict(num_layers=2, bidirectional=seed < 3, batch_first=batch_first, dropout=0.0)
    if kind == "LSTM" and seed > 2:
        options["proj_size"] = 2
    x = rs.randn(3, 4, 2) if batch_first else rs.randn(4, 3, 2)
    lengths = [4, 2, 3]

    def program(lib, F, L, layer):
        packed = lib.nn.utils.rnn.pack_padded_sequence(L["x"], lib.tensor(lengths),
                                                       batch_first, enforce_sorted=False)
        out, state = layer(packed)
        padded, _ = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first)
        return (padded,) + (state if isinstance(state, tuple) else (state,))
    agree(torch64, program, dict(x=x),
          make=lambda lib: getattr(lib.nn, kind)(2, 3, **options))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("seed", range(6))
def test_attention_programs_are_pytorchs(torch64, seed):
    rs = np.random.RandomState(seed)
    kdim = vdim = 3 if seed % 2 else None
    query, key, value = rs.randn(2, 3, 4), rs.randn(2, 5, kdim or 4), rs.randn(2, 5, vdim or 4)
    mask = rs.rand(3, 5) < 0.4
    mask[:, 0] = False
    padding = np.zeros((2, 5), bool)
    padding[1, 3:] = True
    floats = dict(query=query, key=key, value=value)
    ints = dict(padding=padding, mask=mask)
    if seed % 3 == 0:
        floats["mask"] = rs.randn(3, 5)
        del ints["mask"]

    def program(lib, F, L, layer):
        out, weights = layer(L["query"], L["key"], L["value"], key_padding_mask=L["padding"],
                             attn_mask=L["mask"], average_attn_weights=bool(seed % 2))
        causal = F.scaled_dot_product_attention(L["query"], L["query"], L["query"].flip(-1),
                                                is_causal=True, scale=0.7)
        return out, weights, causal
    agree(torch64, program, floats, ints, make=lambda lib: lib.nn.MultiheadAttention(
        4, 2, bias=bool(seed % 3), add_bias_kv=seed == 4, add_zero_attn=seed == 5,
        kdim=kdim, vdim=vdim, batch_first=True))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("seed", range(4))
def test_transformer_programs_are_pytorchs(torch64, seed):
    rs = np.random.RandomState(seed)
    source, target = rs.randn(2, 3, 4), rs.randn(2, 2, 4)
    padding = np.array([[False, False, True], [False, False, False]])

    def make(lib):
        activation = [lib.tanh, lib.nn.functional.gelu, "relu", "gelu"][seed]
        return lib.nn.Transformer(4, 2, 1, 2, 6, 0.0, activation, batch_first=True,
                                  norm_first=bool(seed % 2))

    def program(lib, F, L, layer):
        causal = lib.nn.Transformer.generate_square_subsequent_mask(2)
        return layer(L["source"], L["target"], tgt_mask=causal, src_key_padding_mask=L["pad"],
                     memory_key_padding_mask=L["pad"])
    agree(torch64, program, dict(source=source, target=target), dict(pad=padding), make=make)


@pytest.mark.parametrize("call, error, message", [
    (lambda layer, stack, x: layer(x, is_causal=True), RuntimeError,
     r"^TransformerEncoderLayer: is_causal=True is a hint that src_mask is the causal mask; "
     r"give that mask too \(src_mask=Transformer\.generate_square_subsequent_mask\(length\)\)$"),
    (lambda layer, stack, x: layer(x, src_mask=tg.zeros(2, 2)), ShapeError,
     r"^TransformerEncoderLayer: src_mask of shape \(2, 2\) must be \(3, 3\) or \(4, 3, 3\) "
     r"\(src length, src length; batch \* nhead = 2 \* 2 first\)$"),
    (lambda layer, stack, x: layer(x, src_key_padding_mask=tg.zeros(3, 3, dtype=tg.bool)),
     ShapeError, r"^TransformerEncoderLayer: src_key_padding_mask of shape \(3, 3\) must be "
                 r"\(2, 3\) \(batch, src length\)$"),
    (lambda layer, stack, x: stack(x, is_causal=True), RuntimeError,
     r"^TransformerEncoder: is_causal=True is a hint that mask is the causal mask; give that "
     r"mask too \(mask=Transformer"),
    (lambda layer, stack, x: stack(x, mask=tg.zeros(2, 2)), ShapeError,
     r"^TransformerEncoder: mask of shape \(2, 2\) must be \(3, 3\) or \(4, 3, 3\)"),
    (lambda layer, stack, x: layer(x, is_causal=1), TypeError,
     r"^TransformerEncoderLayer: is_causal must be True or False, got int 1$"),
])
def test_an_encoder_refuses_its_masks_by_the_names_it_was_given(call, error, message):
    """They said `MultiheadAttention: ... attn_mask`, names the user never wrote (the
    decoder's said tgt_mask already). PyTorch refuses each mask, and the hint without
    one; is_causal=1 it reads as True, where every flag here must be True or False."""
    layer = tg.nn.TransformerEncoderLayer(4, 2, 8, 0.0, batch_first=True)
    stack = tg.nn.TransformerEncoder(tg.nn.TransformerEncoderLayer(4, 2, 8, 0.0,
                                                                   batch_first=True), 2)
    with pytest.raises(error, match=message):
        call(layer, stack, tg.zeros(2, 3, 4))


@pytest.mark.parametrize("caught", [ValueError, RuntimeError])
@pytest.mark.parametrize("call", [
    lambda x: tg.nn.TransformerEncoderLayer(4, 2, 8, 0.0)(x, src_mask=tg.zeros(3, 4)),
    lambda x: tg.nn.TransformerEncoderLayer(4, 2, 8, 0.0)(
        x, src_key_padding_mask=tg.zeros(3, 3, dtype=tg.bool)),
    lambda x: tg.nn.TransformerDecoderLayer(4, 2, 8, 0.0)(x, x, tgt_mask=tg.zeros(3, 4)),
    lambda x: tg.nn.TransformerDecoderLayer(4, 2, 8, 0.0)(x, x, memory_mask=tg.zeros(2, 3)),
])
def test_a_transformer_mask_of_the_wrong_shape_is_a_shape_error(call, caught):
    """The encoder's said RuntimeError (the decoder's too), where MultiheadAttention's said
    ShapeError, which both `except ValueError` (NumPy's) and `except RuntimeError` (PyTorch's)
    catch; a padding mask's said ValueError."""
    try:
        call(tg.zeros(3, 2, 4))
    except caught as error:
        assert isinstance(error, ShapeError) and " of shape " in str(error)
    else:
        raise AssertionError("the mask was not refused")


@pytest.mark.torch
@pytest.mark.parametrize("padding_idx, max_norm", [(None, None), (2, None), (-1, 1.0)])
def test_embedding_from_pretrained_is_pytorchs(torch64, padding_idx, max_norm):
    rs = np.random.RandomState(4)
    table, index = rs.randn(5, 3) * 2, rs.randint(0, 5, (2, 4))

    def program(lib, F, L, _):
        layer = lib.nn.Embedding.from_pretrained(lib.tensor(table), freeze=False,
                                                 padding_idx=padding_idx, max_norm=max_norm)
        looked_up = layer(L["index"])
        (looked_up * L["scale"]).sum().backward()  # (the weight's gradient, compared below)
        return looked_up.detach(), layer.weight.detach(), layer.weight.grad
    agree(torch64, program, dict(scale=rs.randn(2, 4, 3)), dict(index=index))
    frozen = torch64.nn.Embedding.from_pretrained(torch64.tensor(table))
    assert repr(tg.nn.Embedding.from_pretrained(table)) == repr(frozen)


def test_embedding_from_pretrained_copies_the_table_and_freezes_it():
    table = np.arange(6.0).reshape(3, 2)
    layer = tg.nn.Embedding.from_pretrained(tg.tensor(table))
    assert not layer.weight.requires_grad and layer(tg.as_tensor([2, 0])).tolist() == [
        [4.0, 5.0], [0.0, 1.0]]
    learning = tg.nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    learning(tg.as_tensor([1, 2, 1])).sum().backward()
    np.testing.assert_array_equal(learning.weight.grad.numpy(), [[0, 0], [0, 0], [1, 1]])
    np.testing.assert_array_equal(learning.weight.numpy(), table)  # (padding row kept)
    with pytest.raises(ValueError, match=r"^Embedding\.from_pretrained: embeddings must be 2-D "
                       r"\(num_embeddings, embedding_dim\), got shape \(3,\)$"):
        tg.nn.Embedding.from_pretrained(tg.zeros(3))
    with pytest.raises(TypeError, match=r"freeze must be True or False, got int 1$"):
        tg.nn.Embedding.from_pretrained(table, freeze=1)


@pytest.mark.torch
def test_parameter_dict_has_pytorchs_dict_methods(torch64):
    """get, setdefault, popitem, copy and fromkeys were missing; each as PyTorch's."""
    seen = []
    for lib in (torch64, tg):
        table = lib.nn.ParameterDict([("b", lib.nn.Parameter(lib.ones(2))),
                                      ("a", lib.nn.Parameter(lib.zeros(1)))])
        added = table.setdefault("c", lib.nn.Parameter(lib.ones(3)))
        copied = table.copy()
        key, popped = table.popitem()
        made = table.fromkeys(["x", "y"], lib.nn.Parameter(lib.ones(1)))
        seen.append((table.get("a").tolist(), table.get("z"), table.get("z", 3),
                     table.setdefault("a").tolist(), tuple(added.shape), list(copied.keys()),
                     copied["b"] is table["b"], key, popped.tolist(), list(table.keys()),
                     list(made.keys()), made["x"] is made["y"], type(made).__name__))
    assert seen[0] == seen[1]
    with pytest.raises(KeyError, match="ParameterDict.popitem\\(\\): the ParameterDict is "
                                       "empty"):
        tg.nn.ParameterDict().popitem()


def _index(lib, parts):
    return tuple(lib.tensor(p) if isinstance(p, np.ndarray) else p for p in parts)


INDEXES = [  # (shape, index): ones where PyTorch's shape rule is NumPy's, and (for the
    # write) no entry picked twice: there ours gives the last write the gradient (the API
    # guide), PyTorch's every value written
    ((4, 3, 5), (Ellipsis, np.array([True, False, True, True, False]))),
    ((4, 3, 5), (slice(None, None, 2), None, np.array([[0, -1, 1]]))),
    ((4, 3, 5), (np.array([-1, 0, -1]), slice(1, None), np.array([4, 4, 0]))),
    ((4, 3, 5), (None, Ellipsis, -2)),
    ((4, 3, 5), (np.array([[True, False, True], [False, False, True], [True] * 3,
                           [False] * 3]),)),
    ((4, 3), (np.array([], dtype=np.int64),)),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", range(len(INDEXES)))
def test_indexing_and_index_put_are_pytorchs(torch64, case):
    shape, parts = INDEXES[case]
    rs = np.random.RandomState(case)
    x = rs.randn(*shape)
    picked = x[parts]

    def program(lib, F, L, _):
        written = L["x"] * 1.0
        written[_index(lib, parts)] = L["value"] * 2.0
        return L["x"][_index(lib, parts)], written
    agree(torch64, program, dict(x=x, value=rs.randn(*picked.shape)))
    rows, columns = rs.randint(-shape[0], shape[0], 7), rs.randint(0, shape[1], 7)

    def accumulated(lib, F, L, _):
        return (L["x"] * 1.0).index_put_((lib.tensor(rows), lib.tensor(columns)),
                                         L["values"], accumulate=True)
    agree(torch64, accumulated, dict(x=x, values=rs.randn(7, *shape[2:])))


def test_an_index_that_does_not_fit_is_refused_in_one_line_naming_its_parts():
    x = tg.zeros(3, 4, 5)
    with pytest.raises(IndexError, match=r"^getitem: index \[<int64 index of shape \(2, 2\)>, "
                       r":, \[0, 1, 2\]\] does not fit a tensor of shape \(3, 4, 5\): shape "
                       r"mismatch: indexing arrays could not be broadcast together with shapes "
                       r"\(2,2\) \(3,\)$"):
        x[tg.as_tensor([[0, 1], [1, 2]]), :, tg.as_tensor([0, 1, 2])]
    with pytest.raises(IndexError, match=r"^getitem: index \[<bool mask of shape \(3, 4\)>, "
                       r"\[0, 1\]\] does not fit"):
        x[tg.as_tensor(np.ones((3, 4), bool)), [0, 1]]
    with pytest.raises(IndexError, match=r"^getitem: index \[0, 1::2, \.\.\., None, 9\] does "
                       r"not fit a tensor of shape \(3, 4, 5\): index 9 is out of bounds for "
                       r"axis 2 with size 5$"):
        x[0, 1::2, ..., None, 9]
    h = tg.ones(3, 4, requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"^setitem: cannot write a value of shape \(5,\) at "
                       r"index \[<int64 index of shape \(2, 2\)>\] of a tensor of shape "
                       r"\(3, 4\): [^\n]*$"):
        h[tg.as_tensor([[0, 1], [1, 2]])] = tg.ones(5, requires_grad=True)


@pytest.mark.parametrize("index, written, error, reason", [
    (5, "5", IndexError, "index 5 is out of bounds for axis 0 with size 3"),
    ([0, 7], "[0, 7]", IndexError, "index 7 is out of bounds for axis 0 with size 3"),
    ((0, 0, 0), "0, 0, 0", IndexError, "too many indices for array: array is 2-dimensional, "
                                       "but 3 were indexed"),
    (np.ones((2, 2), bool), "<bool mask of shape (2, 2)>", IndexError,
     "boolean index did not match indexed array along axis 0; size of axis is 3 but size of "
     "corresponding boolean axis is 2"),
    (np.array([[0, 1], [1, 9]]), "<int64 index of shape (2, 2)>", IndexError,
     "index 9 is out of bounds for axis 0 with size 3"),
])
@pytest.mark.parametrize("in_graph", [True, False])
def test_a_write_at_an_index_that_does_not_fit_is_refused_in_one_line(index, written, error,
                                                                      reason, in_graph):
    """In the graph (`h = x * 2`) it raised AttributeError ('SetItem' object has no
    attribute 'value_shape'); outside it, the index's repr spanned lines."""
    if isinstance(index, np.ndarray):
        index = tg.as_tensor(index)
    h = tg.ones(3, 4, requires_grad=True) * 2 if in_graph else tg.zeros(3, 4)
    value = "a value of shape ()" if in_graph else "1.0"
    with pytest.raises(error) as refusal:
        h[index] = 1.0
    assert str(refusal.value) == (f"setitem: cannot write {value} at index [{written}] of a "
                                  f"tensor of shape (3, 4): {reason}")


def test_a_diagram_titles_an_index_as_a_refusal_writes_it():
    """graph/titles.py spelled an index its own way (`<mask (3, 4)>`): one spelling now."""
    mask = tg.as_tensor(np.eye(3, 4, dtype=bool))
    x = tg.ones(3, 4, requires_grad=True)
    source = tg.draw_graph(x[mask].sum()).source
    with pytest.raises(IndexError) as refusal:
        tg.zeros(2, 4)[mask]
    written = re.search(r"index \[(.*)\] does not fit", str(refusal.value)).group(1)
    assert written == "<bool mask of shape (3, 4)>"
    assert f'tooltip="getitem [{written}]"' in source  # (the title as text)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_and_index_families_are_pytorchs(torch64, reduce, include_self):
    rs = np.random.RandomState(len(reduce) + include_self)
    x = rs.permutation(12).reshape(3, 4) * 0.37 - 1.9  # distinct: no ties
    index = rs.randint(0, 4, (3, 3))
    src = rs.permutation(9).reshape(3, 3) * 0.29 - 1.3 + 0.011
    rows = np.array([2, 0, 2])
    mask = rs.rand(3, 4) < 0.5

    def program(lib, F, L, _):
        picked = lib.take_along_dim(L["x"], L["index"], 1)
        outs = (lib.scatter_reduce(L["x"], 1, L["index"], L["src"], reduce,
                                   include_self=include_self),
                lib.scatter_add(L["x"], 1, L["index"], L["src"]),
                lib.gather(L["x"], 1, L["index"][:, :0]), picked,
                lib.masked_scatter(L["x"], L["mask"], L["src"].reshape(-1).repeat(2)),
                (L["x"] * 1.0).put_(L["index"][0], L["src"][0], accumulate=True))
        if reduce != "sum":
            outs += (L["x"].index_reduce(0, L["rows"], L["src"].repeat(1, 2)[:, :4], reduce,
                                         include_self=include_self),)
        return outs + (L["x"].index_add(0, L["rows"], L["src"].repeat(1, 2)[:, :4],
                                        alpha=-1.5),
                       L["x"].index_fill(1, L["rows"][:2] - 3, -0.5))
    agree(torch64, program, dict(x=x, src=src), dict(index=index, rows=rows, mask=mask))
