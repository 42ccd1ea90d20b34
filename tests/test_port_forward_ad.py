"""PyTorch's tutorial "Forward-mode Automatic Differentiation (Beta)" ported as a user would,
beside torch 2.13 with the same data (sizes as the tutorial's): dual tensors under
`dual_level` (make_dual, unpack_dual, a plain tensor's zero tangent, the tangents dropped
at the level's end), with a Linear module (its parameters made dual by delattr/setattr,
then by `functional_call`), a custom Function with a `jvp` staticmethod, and
`torch.func.jvp` (`tg.func.jvp`), alone and over a module's parameters. Values and tangents
equal torch's, in float64 and float32.

Where the port differs from the tutorial: a Function's forward and jvp get arrays here (as
its backward does), and `gradcheck(..., check_forward_ad=True)` has no counterpart, so the
custom Function's jvp is checked against finite differences instead.
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import forward_ad as fwAD
from tinygrad_gd import nn

torch = pytest.importorskip("torch")
torch_fwAD = torch.autograd.forward_ad
# (torch's own: its functorch imports torch.jit.script)
pytestmark = [pytest.mark.torch,
              pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")]
DTYPES = [np.float64, np.float32]


def _tolerance(dtype):
    return dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)


def _same(ours, theirs, dtype):
    """Our tensor equal to torch's, of our dtype `dtype` and torch's shape."""
    assert ours.dtype == dtype and ours.shape == tuple(theirs.shape), (ours.dtype, ours.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **_tolerance(dtype))


def _data(dtype, *shapes, seed=0):
    """Arrays of `shapes` drawn once: the same data for both libraries."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def fn(x, y):
    return x ** 2 + y ** 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_basic_usage(dtype):
    primal, tangent, plain = _data(dtype, (10, 10), (10, 10), (10, 10))
    results = []
    for lib, ad in ((tg, fwAD), (torch, torch_fwAD)):
        primal_t, tangent_t, plain_t = (lib.tensor(a) for a in (primal, tangent, plain))
        with ad.dual_level():
            dual_input = ad.make_dual(primal_t, tangent_t)
            assert ad.unpack_dual(dual_input).tangent is tangent_t  # the tangent as given
            dual_input_alt = ad.make_dual(primal_t, tangent_t.T)
            assert ad.unpack_dual(dual_input_alt).tangent is not tangent_t
            # a tensor without a tangent counts as one with a zero tangent
            dual_output = fn(dual_input, plain_t)
            jvp = ad.unpack_dual(dual_output).tangent
            results.append((ad.unpack_dual(dual_output).primal, jvp))
        assert ad.unpack_dual(dual_output).tangent is None  # dropped at the level's end
    (ours, our_jvp), (theirs, their_jvp) = results
    _same(ours, theirs, dtype)
    _same(our_jvp, their_jvp, dtype)
    np.testing.assert_allclose(our_jvp.numpy(), 2 * primal * tangent, **_tolerance(dtype))


def _linear(dtype):
    """nn.Linear(5, 5) in both libraries, ours with torch's initial weights."""
    theirs = torch.nn.Linear(5, 5).to(getattr(torch, np.dtype(dtype).name))
    ours = nn.Linear(5, 5).to(getattr(tg, np.dtype(dtype).name))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _tangents(model, dtype):
    """A tangent per parameter, by name (the tutorial's rand_like): the same in both."""
    rng = np.random.default_rng(1)
    return {name: rng.random(tuple(p.shape)).astype(dtype)
            for name, p in model.named_parameters()}


@pytest.mark.parametrize("dtype", DTYPES)
def test_usage_with_modules(dtype):
    (input,) = _data(dtype, (16, 5))
    ours, theirs = _linear(dtype)
    arrays = _tangents(theirs, dtype)
    results = []
    for lib, ad, model in ((tg, fwAD, ours), (torch, torch_fwAD, theirs)):
        params = {name: p for name, p in model.named_parameters()}
        tangents = {name: lib.tensor(arrays[name]) for name in params}
        with ad.dual_level():
            for name, p in params.items():
                delattr(model, name)
                setattr(model, name, ad.make_dual(p, tangents[name]))
            out = model(lib.tensor(input))
            results.append(ad.unpack_dual(out))
    (our_out, our_jvp), (their_out, their_jvp) = results
    _same(our_out, their_out, dtype)
    _same(our_jvp, their_jvp, dtype)
    # the output is linear in the parameters: its tangent is the model with the tangents
    expected = input @ arrays["weight"].T + arrays["bias"]
    np.testing.assert_allclose(our_jvp.numpy(), expected, **_tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_usage_with_the_functional_module_api(dtype):
    (input,) = _data(dtype, (16, 5))
    ours, theirs = _linear(dtype)
    arrays = _tangents(theirs, dtype)
    results = []
    for lib, ad, model in ((tg, fwAD, ours), (torch, torch_fwAD, theirs)):
        params = {name: p for name, p in model.named_parameters()}
        tangents = {name: lib.tensor(arrays[name]) for name in params}
        dual_params = {}
        with ad.dual_level():
            for name, p in params.items():
                dual_params[name] = ad.make_dual(p, tangents[name])
            out = lib.func.functional_call(model, dual_params, lib.tensor(input))
            results.append(ad.unpack_dual(out))
        # the module keeps its own parameters, and they still train by reverse mode
        assert all(p.requires_grad for p in model.parameters())
        model(lib.tensor(input)).sum().backward()
    (our_out, our_jvp), (their_out, their_jvp) = results
    _same(our_out, their_out, dtype)
    _same(our_jvp, their_jvp, dtype)
    _same(ours.weight.grad, theirs.weight.grad, dtype)


class Fn(tg.autograd.Function):
    """The tutorial's custom Function: exp, with its forward derivative (ours on arrays)."""

    @staticmethod
    def forward(ctx, foo):
        result = np.exp(foo)
        # what ctx keeps can be used in the forward derivative
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        # not needed by a backward pass here: free it
        del ctx.result
        return gO


class TorchFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO


def test_custom_function_with_a_jvp():
    primal, tangent = _data(np.float64, (10, 10), (10, 10))
    results = []
    for lib, ad, function in ((tg, fwAD, Fn), (torch, torch_fwAD, TorchFn)):
        fn = function.apply
        primal_t = lib.tensor(primal, dtype=lib.double, requires_grad=True)
        with ad.dual_level():
            dual_input = ad.make_dual(primal_t, lib.tensor(tangent))
            dual_output = fn(dual_input)
            results.append(ad.unpack_dual(dual_output))
    (ours, our_jvp), (theirs, their_jvp) = results
    _same(ours, theirs, np.float64)
    _same(our_jvp, their_jvp, np.float64)
    # (the tutorial's gradcheck(check_forward_ad=True)): the tangent against differences
    eps = 1e-6
    difference = (np.exp(primal + eps * tangent) - np.exp(primal - eps * tangent)) / (2 * eps)
    np.testing.assert_allclose(our_jvp.numpy(), difference, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_api(dtype):
    primal0, tangent0, primal1, tangent1 = _data(dtype, (10, 10), (10, 10), (10, 10), (10, 10))
    results = []
    for lib in (tg, torch):
        primals = (lib.tensor(primal0), lib.tensor(primal1))
        tangents = (lib.tensor(tangent0), lib.tensor(tangent1))
        results.append(lib.func.jvp(fn, primals, tangents))
    for ours, theirs in zip(*results):
        _same(ours, theirs, dtype)
    # the same product as dual tensors give
    with fwAD.dual_level():
        dual = fn(fwAD.make_dual(tg.tensor(primal0), tg.tensor(tangent0)),
                  fwAD.make_dual(tg.tensor(primal1), tg.tensor(tangent1)))
        np.testing.assert_allclose(fwAD.unpack_dual(dual).tangent.numpy(),
                                   results[0][1].numpy(), **_tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_api_with_modules(dtype):
    (input,) = _data(dtype, (16, 5))
    ours, theirs = _linear(dtype)
    arrays = _tangents(theirs, dtype)
    results = []
    for lib, model in ((tg, ours), (torch, theirs)):
        def func(params, input):
            return lib.func.functional_call(model, params, input)
        params = dict(model.named_parameters())
        tangents = {name: lib.tensor(arrays[name]) for name in params}
        results.append(lib.func.jvp(partial(func, input=lib.tensor(input)),
                                    (params,), (tangents,)))
    for ours_, theirs_ in zip(*results):
        _same(ours_, theirs_, dtype)
