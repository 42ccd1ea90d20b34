"""Inference tensors (made inside `inference_mode()`) at PyTorch 2.13's remaining edges: the
norm functions keep their input, weight and running statistics for backward whenever they
are recorded (layer_norm its bias too), so an inference one is refused even where the ops
they are made of here would not keep it; einsum (and Bilinear) keeps only what another
operand's gradient reads, its own summed-away axes summed first, so an inference operand
no gradient reads runs; instance_norm keeps a copy of its weight.

Each test runs with both libraries (`lib`: tinygrad_gd always, torch where installed),
held to one expectation; values against NumPy formulas or the same program on ordinary
tensors. Three deliberate differences, each tested on tinygrad_gd with PyTorch's side
beside it (marked `torch`): an inference tensor used as an index, mask or condition runs
here (the op keeps a copy of its values; PyTorch's refuses); an op whose inputs are all
inference tensors is recorded here (PyTorch's records nothing, dropping the gradient of an
inference leaf that requires one); fuse_conv_bn_eval of layers built inside runs outside
(PyTorch's refuses as it computes the fused values with autograd, then drops the graph).
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

import test_inference_mode
from test_inference_mode import IN_PLACE, SAVED

lib = test_inference_mode.lib  # (the fixture: each test in both libraries)

X = np.random.default_rng(30).normal(size=(2, 4, 3))


def _np(t):
    return np.array(t.detach().numpy())


def _tensor(lib, values, inside=False, requires_grad=False):
    if inside:
        with lib.inference_mode():
            return lib.tensor(values, dtype=lib.float64, requires_grad=requires_grad)
    return lib.tensor(values, dtype=lib.float64, requires_grad=requires_grad)


# ------------------------------------------------------------------ the norm layers


_NORM_LAYERS = {  # lib -> a layer of 4 channels (or 3 features) taking X
    "LayerNorm": lambda lib: lib.nn.LayerNorm(3),
    "GroupNorm": lambda lib: lib.nn.GroupNorm(2, 4),
    "BatchNorm1d (eval)": lambda lib: lib.nn.BatchNorm1d(4).eval(),
}


def _built(lib, layer, inside):
    if inside:
        with lib.inference_mode():
            return _NORM_LAYERS[layer](lib).double()
    return _NORM_LAYERS[layer](lib).double()


@pytest.mark.parametrize("layer", list(_NORM_LAYERS))
@pytest.mark.parametrize("input_needs_grad", [False, True])
def test_a_norm_layer_built_inside_is_refused_outside_wherever_it_is_recorded(
        lib, layer, input_needs_grad):
    module = _built(lib, layer, inside=True)
    x = _tensor(lib, X, requires_grad=input_needs_grad)
    with pytest.raises(RuntimeError, match=SAVED):
        module(x)  # (its weight requires a gradient: recorded even for a plain input)


@pytest.mark.parametrize("layer", list(_NORM_LAYERS))
def test_a_norm_layer_built_inside_runs_outside_under_no_grad_as_one_built_outside(
        lib, layer):
    inside, outside = _built(lib, layer, inside=True), _built(lib, layer, inside=False)
    with lib.no_grad():
        got = inside(_tensor(lib, X))
    assert not got.requires_grad
    np.testing.assert_allclose(_np(got), _np(outside(_tensor(lib, X))), rtol=1e-12)


@pytest.mark.parametrize("layer", list(_NORM_LAYERS) + ["InstanceNorm1d"])
def test_data_made_inside_is_refused_by_a_norm_layer_built_outside(lib, layer):
    module = (lib.nn.InstanceNorm1d(4, affine=True).double() if layer == "InstanceNorm1d"
              else _built(lib, layer, inside=False))
    with pytest.raises(RuntimeError, match=SAVED):
        module(_tensor(lib, X, inside=True))  # (the input: kept by the kernel)


_NORM_FUNCTIONS = {  # (lib, x, w, b, running mean, running var) -> the function's output
    "layer_norm": lambda lib, x, w, b, m, v: lib.nn.functional.layer_norm(x, (3,), w[:3],
                                                                         b[:3]),
    "group_norm": lambda lib, x, w, b, m, v: lib.nn.functional.group_norm(x, 2, w, b),
    "batch_norm (eval)": lambda lib, x, w, b, m, v: lib.nn.functional.batch_norm(
        x, m, v, w, b, training=False),
    "batch_norm (training)": lambda lib, x, w, b, m, v: lib.nn.functional.batch_norm(
        x, None, None, w, b, training=True),
    "instance_norm": lambda lib, x, w, b, m, v: lib.nn.functional.instance_norm(
        x, weight=w, bias=b),
}
_KEPT = {  # what PyTorch's kernel keeps, of weight, bias and the running statistics
    "layer_norm": {"weight", "bias"}, "group_norm": {"weight"},
    "batch_norm (eval)": {"weight", "running_mean", "running_var"},
    "batch_norm (training)": {"weight"}, "instance_norm": set(),
}
_OPERANDS = ["weight", "bias", "running_mean", "running_var"]


def _norm_case(lib, function, inside):
    """x needing a gradient; of weight, bias, running mean and var the one named `inside`
    made inside the block, the others outside."""
    values = {"weight": np.linspace(0.5, 2.0, 4), "bias": np.linspace(-1.0, 1.0, 4),
              "running_mean": np.linspace(-0.2, 0.3, 4), "running_var": np.linspace(0.5, 1.5, 4)}
    x = _tensor(lib, X, requires_grad=True)
    made = {name: _tensor(lib, v, inside=name == inside) for name, v in values.items()}
    return x, made


@pytest.mark.parametrize("function, inside", [
    (function, name) for function in _NORM_FUNCTIONS for name in _OPERANDS
    if function == "batch_norm (eval)" or not name.startswith("running")])
def test_a_norm_function_refuses_an_inference_operand_its_kernel_keeps_and_runs_otherwise(
        lib, function, inside):
    x, made = _norm_case(lib, function, inside)
    run = _NORM_FUNCTIONS[function]
    if inside in _KEPT[function]:
        with pytest.raises(RuntimeError, match=SAVED):
            run(lib, x, *made.values())
        return
    (run(lib, x, *made.values()) * lib.tensor(X)).sum().backward()
    clones = [t.clone() for t in made.values()]  # (ordinary: the same program, nothing kept)
    again = lib.tensor(X, requires_grad=True)
    (run(lib, again, *clones) * lib.tensor(X)).sum().backward()
    np.testing.assert_allclose(_np(x.grad), _np(again.grad), rtol=1e-12)


def test_a_batch_norm_layer_built_inside_refuses_training_outside_before_anything_moves(lib):
    module = _built(lib, "BatchNorm1d (eval)", inside=True).train()
    before = _np(module.running_mean)
    with pytest.raises(RuntimeError, match=IN_PLACE):
        module(_tensor(lib, X))
    np.testing.assert_array_equal(_np(module.running_mean), before)


# ------------------------------------------------------------------ einsum and Bilinear


def test_a_bilinear_layer_built_inside_gives_its_weight_its_gradient_for_plain_inputs(lib):
    with lib.inference_mode():
        layer = lib.nn.Bilinear(2, 3, 4).double()
    x1, x2 = np.arange(10.0).reshape(5, 2), np.linspace(-1, 1, 15).reshape(5, 3)
    out = layer(lib.tensor(x1), lib.tensor(x2))
    np.testing.assert_allclose(
        _np(out), np.einsum("ni,oij,nj->no", x1, _np(layer.weight), x2) + _np(layer.bias),
        rtol=1e-12)
    (out * lib.tensor(np.arange(20.0).reshape(5, 4))).sum().backward()
    g = np.arange(20.0).reshape(5, 4)
    np.testing.assert_allclose(_np(layer.weight.grad), np.einsum("no,ni,nj->oij", g, x1, x2),
                               rtol=1e-12)
    np.testing.assert_allclose(_np(layer.bias.grad), g.sum(0), rtol=1e-12)


def test_a_bilinear_layer_built_inside_refuses_an_input_that_needs_a_gradient(lib):
    with lib.inference_mode():
        layer = lib.nn.Bilinear(2, 3, 4).double()
    with pytest.raises(RuntimeError, match=SAVED):
        layer(_tensor(lib, np.ones((5, 2)), requires_grad=True), lib.ones(5, 3).double())


A, W = np.arange(6.0).reshape(2, 3), np.linspace(-1, 1, 12).reshape(3, 4)


@pytest.mark.parametrize("equation", ["ij,jk->", "ij,jk->k", "ij,jk->j", "ij,jk->jk"])
def test_einsum_of_an_inference_operand_whose_own_axis_it_sums_runs_with_the_gradient(
        lib, equation):
    a = _tensor(lib, A, inside=True)  # (i: its own axis, summed before the product)
    w = _tensor(lib, W, requires_grad=True)
    out = lib.einsum(equation, a, w)
    g = np.arange(1.0, out.numel() + 1).reshape(tuple(out.shape))
    (out * lib.tensor(g)).sum().backward()
    back = equation.split("->")[1]
    np.testing.assert_allclose(_np(w.grad), np.einsum(f"{back},ij->jk", g, A)
                               if "k" in back else
                               np.einsum(f"{back},ij,jk->jk", g, A, np.ones_like(W)),
                               rtol=1e-12)


@pytest.mark.parametrize("equation", ["ij,jk->ik", "ij,jk->i", "ij,jk->ijk"])
def test_einsum_keeping_an_inference_operand_for_another_operands_gradient_refuses_it(
        lib, equation):
    a, w = _tensor(lib, A, inside=True), _tensor(lib, W, requires_grad=True)
    with pytest.raises(RuntimeError, match=SAVED):
        lib.einsum(equation, a, w)


def test_einsum_of_an_inference_leaf_needing_a_gradient_gives_it_one():
    # (PyTorch's records nothing: its einsum takes views of the operand, which carry no
    # history there; here a view keeps it, as the Linear weight's does)
    a = _tensor(tg, A, inside=True, requires_grad=True)
    tg.einsum("ij,jk->ik", a, tg.tensor(W)).sum().backward()
    np.testing.assert_allclose(_np(a.grad), np.tile(W.sum(1), (2, 1)), rtol=1e-12)


@pytest.mark.torch
def test_pytorchs_einsum_of_an_inference_leaf_needing_a_gradient_records_nothing():
    torch = pytest.importorskip("torch")
    a = _tensor(torch, A, inside=True, requires_grad=True)
    assert not torch.einsum("ij,jk->ik", a, torch.tensor(W)).requires_grad


# ------------------------------------------------------------------ the deliberate differences


_INDEXED = {  # (lib, an index, a mask, w) -> an op taking an inference index, mask or condition
    "w[rows]": lambda lib, i, m, w: w[i],
    "gather(w, 1, index)": lambda lib, i, m, w: lib.gather(w, 1, i.reshape(2, 1)),
    "index_select(w, 1, rows)": lambda lib, i, m, w: lib.index_select(w, 1, i),
    "where(mask, w, 0)": lambda lib, i, m, w: lib.where(m, w, lib.zeros_like(w)),
    "w[mask]": lambda lib, i, m, w: w[m],
    "masked_fill(mask, 0)": lambda lib, i, m, w: w.masked_fill(m, 0.0),
    "cross_entropy(w, target)": lambda lib, i, m, w: lib.nn.functional.cross_entropy(w, i),
}


def _indexed_inputs(lib):
    with lib.inference_mode():
        rows = lib.tensor([1, 0])
        mask = lib.tensor([[True, False, True], [False, True, False]])
    return rows, mask, _tensor(lib, np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)


@pytest.mark.parametrize("program", list(_INDEXED))
def test_an_inference_index_mask_or_condition_runs_outside_with_the_gradient(program):
    rows, mask, w = _indexed_inputs(tg)
    _INDEXED[program](tg, rows, mask, w).sum().backward()
    again = _tensor(tg, np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    _INDEXED[program](tg, rows.clone(), mask.clone(), again).sum().backward()
    np.testing.assert_allclose(_np(w.grad), _np(again.grad), rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("program", list(_INDEXED))
def test_pytorch_refuses_an_inference_index_mask_or_condition_outside(program):
    torch = pytest.importorskip("torch")
    rows, mask, w = _indexed_inputs(torch)
    with pytest.raises(RuntimeError, match=SAVED):
        _INDEXED[program](torch, rows, mask, w)


def test_an_op_of_inference_tensors_alone_is_recorded_outside():
    leaf = _tensor(tg, [0.5, 1.0, 2.0], inside=True, requires_grad=True)
    out = leaf.exp().sum()
    assert out.requires_grad and out.grad_fn is not None and not out.is_inference()
    out.backward()
    np.testing.assert_allclose(_np(leaf.grad), np.exp([0.5, 1.0, 2.0]), rtol=1e-12)
    with pytest.raises(RuntimeError, match=SAVED):  # (one keeping it: refused, as any)
        leaf * leaf


@pytest.mark.torch
def test_pytorchs_op_of_inference_tensors_alone_records_nothing():
    torch = pytest.importorskip("torch")
    leaf = _tensor(torch, [0.5, 1.0, 2.0], inside=True, requires_grad=True)
    for out in (leaf.exp().sum(), leaf * leaf):
        assert not out.requires_grad and out.grad_fn is None and not out.is_inference()


def _conv_and_bn(lib):
    with lib.inference_mode():
        conv, bn = lib.nn.Conv2d(2, 3, 1).double().eval(), lib.nn.BatchNorm2d(3).double().eval()
        bn.running_mean.copy_(lib.tensor([0.1, -0.2, 0.3], dtype=lib.float64))
        bn.running_var.copy_(lib.tensor([0.5, 1.5, 2.0], dtype=lib.float64))
    return conv, bn


def _fused(lib, conv, bn):
    utils = lib.nn.utils
    return utils.fusion.fuse_conv_bn_eval(conv, bn)


def test_fusing_a_conv_and_batch_norm_built_inside_runs_inside_as_the_layers_do(lib):
    conv, bn = _conv_and_bn(lib)
    with lib.inference_mode():
        fused = _fused(lib, conv, bn)
        x = lib.tensor(np.linspace(-1, 1, 2 * 2 * 3 * 3).reshape(2, 2, 3, 3),
                       dtype=lib.float64)
        np.testing.assert_allclose(_np(fused(x)), _np(bn(conv(x))), rtol=1e-12)


def test_fusing_a_conv_and_batch_norm_built_inside_runs_outside():
    # (PyTorch's refuses: it multiplies the conv's bias, which needs a gradient, by the
    # batch norm's inference weight in autograd, then keeps only the values)
    conv, bn = _conv_and_bn(tg)
    fused = _fused(tg, conv, bn)
    with tg.inference_mode():
        expected = _fused(tg, conv, bn)
    assert not fused.weight.is_inference() and fused.weight.requires_grad
    assert fused.weight.grad_fn is None
    np.testing.assert_array_equal(_np(fused.weight), _np(expected.weight))
    np.testing.assert_array_equal(_np(fused.bias), _np(expected.bias))


@pytest.mark.torch
def test_pytorch_refuses_fusing_a_conv_and_batch_norm_built_inside_outside():
    torch = pytest.importorskip("torch")
    conv, bn = _conv_and_bn(torch)
    with pytest.raises(RuntimeError, match=SAVED):
        _fused(torch, conv, bn)
