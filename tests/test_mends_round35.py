"""The thirty-fifth round's mends of what a user trips on: methods that pickle as
themselves, a wrong call said in one line naming what was called."""
from __future__ import annotations

import inspect
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import registry

NAMESPACES = {"tg": tg, "nn": tg.nn, "F": tg.nn.functional, "linalg": tg.linalg,
              "special": tg.special, "fft": tg.fft, "optim": tg.optim, "init": tg.nn.init,
              "autograd": tg.autograd, "distributions": tg.distributions, "func": tg.func}


def _tensor_methods() -> list[str]:
    return [name for name in dir(tg.Tensor) if not name.startswith("_") and isinstance(
        inspect.getattr_static(tg.Tensor, name), (type(len), type(_tensor_methods)))]


def _functions() -> list[tuple[str, str]]:
    return [(label, name) for label, module in NAMESPACES.items()
            for name in getattr(module, "__all__", dir(module)) if not name.startswith("_")
            and inspect.isfunction(getattr(module, name, None))]


def _round_trips(obj: object) -> list[int]:
    """The pickle protocols under which `obj` does not load back as itself."""
    failed = []
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        try:
            if pickle.loads(pickle.dumps(obj, protocol)) is not obj:
                failed.append(protocol)
        except (pickle.PicklingError, AttributeError, TypeError):
            failed.append(protocol)
    return failed


def test_every_public_tensor_method_pickles_unbound_as_itself():
    # 347 of them said "Can't pickle <function abs>: attribute lookup abs on
    # tinygrad_gd.op_errors failed" (torch pickles torch.Tensor.exp)
    names = _tensor_methods()
    assert len(names) > 500
    failed = {name: _round_trips(getattr(tg.Tensor, name)) for name in names}
    assert not {name: p for name, p in failed.items() if p}
    for name in ("from_op", "operands"):  # (classmethods: bound anew on each lookup)
        assert pickle.loads(pickle.dumps(getattr(tg.Tensor, name))) == getattr(tg.Tensor, name)


def test_every_public_function_of_the_namespaces_pickles_as_itself():
    functions = _functions()
    assert len(functions) > 500
    failed = {f"{label}.{name}": _round_trips(getattr(NAMESPACES[label], name))
              for label, name in functions}
    assert not {name: p for name, p in failed.items() if p}


def test_a_pickled_method_still_computes_and_names_itself():
    x = tg.tensor([-1.0, 2.0], requires_grad=True)
    for name in ("abs", "abs_", "view", "amax", "cuda", "new_zeros"):
        method = pickle.loads(pickle.dumps(getattr(tg.Tensor, name)))
        assert method.__qualname__ == f"Tensor.{name}"
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(tg.Tensor.abs))(x).numpy(),
                                  np.abs(x.detach().numpy()))
    with pytest.raises(TypeError, match=r"^abs: takes no arguments but 1 was given"):
        x.abs(1)


@pytest.fixture
def users_op():
    class CubeR35(tg.Function, methods=("cube_r35",), reflected=("rcube_r35",)):
        def forward(ctx, x, y=None):
            ctx.save_for_backward(x)
            return x ** 3

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2
    try:
        yield CubeR35
    finally:
        registry._registry.pop(CubeR35.name, None)
        for name in ("cube_r35", "rcube_r35", "cube_r35_"):
            if name in vars(tg.Tensor):
                delattr(tg.Tensor, name)


def test_a_users_op_registered_later_pickles_as_its_methods(users_op):
    names = [name for name in ("cube_r35", "rcube_r35", "cube_r35_") if name in vars(tg.Tensor)]
    assert names[:2] == ["cube_r35", "rcube_r35"]
    for name in names:
        assert not _round_trips(getattr(tg.Tensor, name)), name
    x = tg.tensor([2.0], requires_grad=True)
    assert pickle.loads(pickle.dumps(tg.Tensor.cube_r35))(x).item() == 8.0


# -- uniform_ and make_tensor: one rule for a draw that a narrower dtype rounds up --------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("low, high", [(0.0, 1.0), (1000.0, 1000.3), (1000.0, 1000.7),
                                       (-1.0, 2049.0)])
def test_uniform_and_make_tensor_keep_their_draws_below_high_as_torch(dtype, low, high):
    # (testing._uniform and in_place._below were twins: one rule now, values.uniform_draws)
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = [torch.empty(4000, dtype=getattr(torch, dtype)).uniform_(low, high),
              torch.testing.make_tensor(4000, dtype=getattr(torch, dtype), device="cpu",
                                        low=low, high=high)]
    ours = [tg.empty(4000, dtype=dtype).uniform_(low, high,
                                                 generator=np.random.default_rng(0)),
            tg.testing.make_tensor(4000, dtype=dtype, device="cpu", low=low, high=high)]
    for mine, want in zip(ours, theirs):
        values, reference = mine.numpy(), want.numpy()
        assert values.dtype == reference.dtype == np.dtype(dtype)
        assert values.min() >= np.dtype(dtype).type(low)
        top = np.nextafter(np.dtype(dtype).type(high), -np.inf, dtype=dtype)
        if np.dtype(dtype).type(low) < np.dtype(dtype).type(high):
            assert values.max() <= top and reference.max() <= top
        if len(np.unique(reference)) == 1:  # (a range of one value of the dtype: that one)
            np.testing.assert_array_equal(np.unique(values), np.unique(reference))


def _drawn(draw: str, dtype: str, low: float, high: float, n: int) -> np.ndarray:
    if draw == "uniform_":
        return tg.empty(n, dtype=dtype).uniform_(low, high,
                                                 generator=np.random.default_rng(0)).numpy()
    tg.manual_seed(0)
    return tg.testing.make_tensor(n, dtype=dtype, device="cpu", low=low, high=high).numpy()


@pytest.mark.parametrize("draw", ["uniform_", "make_tensor"])
@pytest.mark.parametrize("low, high", [(0.0, 1.0), (-1.0, 2049.0), (-3.0, 100.3)])
def test_float16_draws_give_the_values_below_high_their_share_only(draw, low, high):
    # (rounded to the nearest value, then kept below high, the top value was drawn 1450 times
    # per 958 for the one below it in uniform_(0, 1), 2406 per 993 in (-1, 2049); torch ~1:1)
    n, half = 2 * 10 ** 6, np.float16
    values = _drawn(draw, "float16", low, high, n)
    top = np.nextafter(half(high), half(-np.inf))
    below = np.nextafter(top, half(-np.inf))
    for value, width in ((top, half(high) - top), (below, top - below)):
        expected = n * float(width) / (float(half(high)) - float(half(low)))
        count = int((values == value).sum())
        assert abs(count - expected) < 6 * expected ** 0.5, (value, count, expected)
    assert values.min() >= half(low) and values.max() <= top


def test_float32_uniform_draws_are_torchs_multiples_of_2_to_the_minus_24():
    # (drawn in float64 and rounded, a third of them were not: torch's are, as tg.rand's)
    torch = pytest.importorskip("torch")
    ours = tg.empty(10 ** 5, dtype="float32").uniform_(0, 1, generator=np.random.default_rng(0))
    theirs = torch.empty(10 ** 5, dtype=torch.float32).uniform_(0, 1)
    for values in (ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64)):
        assert np.array_equal(values * 2.0 ** 24, np.floor(values * 2.0 ** 24))


def test_float64_draws_are_numpys_own_still():
    for low, high in ((0.0, 1.0), (-3.5, 7.25)):
        drawn = tg.empty(1000).uniform_(low, high, generator=np.random.default_rng(5)).numpy()
        np.testing.assert_array_equal(drawn, np.random.default_rng(5).uniform(low, high, 1000))
    np.testing.assert_array_equal(tg.rand(1000, seed=5).numpy(),
                                  np.random.default_rng(5).random(1000))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_the_draw_rule_draws_a_0d_tensor_in_every_dtype(dtype):
    bounds = tg.tensor(2.0, dtype=dtype), tg.tensor(3.0, dtype=dtype)
    for drawn in (tg.rand((), dtype=dtype), tg.empty((), dtype=dtype).uniform_(2, 3) - 2,
                  tg.testing.make_tensor((), dtype=dtype, device="cpu", low=0, high=1),
                  tg.distributions.Uniform(*bounds).sample() - 2):
        assert drawn.shape == () and str(drawn.dtype) == dtype and 0 <= drawn.item() < 1


def test_a_float16_uniform_distribution_never_samples_its_high():
    # (its draws were cast to float16 by rounding: 58 of 200000 samples were 1.0, log_prob -inf)
    half = tg.tensor(0.0, dtype="float16"), tg.tensor(1.0, dtype="float16")
    uniform = tg.distributions.Uniform(*half)
    samples = uniform.sample((200000,), seed=0)
    assert samples.dtype == np.float16 and samples.numpy().max() < 1.0
    assert np.isfinite(uniform.log_prob(samples).numpy()).all()


# -- biject_to and transform_to: their arguments bound by Python's rules --------------------
@pytest.mark.parametrize("call, text", [
    (lambda D: D.biject_to(), "biject_to(): missing 1 required positional argument: "
                              "'constraint'; give the constraint alone: "
                              "biject_to(constraints.positive)"),
    (lambda D: D.transform_to(D.constraints.real, 2),
     "transform_to(): takes 1 positional argument but 2 were given; give the constraint "
     "alone: transform_to(constraints.positive)"),
    (lambda D: D.biject_to(bound=D.constraints.real),
     "biject_to(): got an unexpected keyword argument 'bound'; give the constraint alone"),
    (lambda D: D.biject_to(D.constraints.real, constraint=D.constraints.real),
     "biject_to(): got multiple values for argument 'constraint'"),
    (lambda D: D.biject_to.register(), "biject_to.register(): missing 1 required positional "
                                       "argument: 'constraint'; give the constraint and, "
                                       "unless used as a decorator, the factory"),
    (lambda D: D.transform_to.register(D.constraints.real, len, 3),
     "transform_to.register(): takes from 1 to 2 positional arguments but 3 were given"),
])
def test_biject_to_refuses_a_bad_call_with_pythons_reason_naming_itself(call, text):
    with pytest.raises(TypeError) as info:
        call(tg.distributions)
    assert str(info.value).startswith(text), info.value
    assert "\n" not in str(info.value)
    assert str(inspect.signature(tg.distributions.biject_to)) == "(constraint)"
    assert str(inspect.signature(tg.distributions.biject_to.register)) == (
        "(constraint, factory=None)")
    positive = tg.distributions.constraints.positive
    for transform in (tg.distributions.biject_to(constraint=positive),
                      tg.distributions.transform_to(positive)):
        np.testing.assert_allclose(transform(tg.tensor([0.0, 1.0])).numpy(), np.exp([0, 1.0]))


# -- wrong calls said in one line naming the call, the value and what to do ---------------
def _refusal(call, kind):
    with pytest.raises(kind) as info:
        call()
    text = str(info.value)
    assert "\n" not in text, text
    return text


@pytest.mark.parametrize("closure", [1, "closure", tg.ones(1)])
def test_an_optimizer_step_given_a_closure_it_cannot_call_says_so(closure):
    # (it said "'int' object is not callable", from inside step, as PyTorch's)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    for make in (lambda: tg.optim.SGD([w], lr=0.1), lambda: tg.optim.Adam([w])):
        optimizer = make()
        name = type(optimizer).__name__
        text = _refusal(lambda: optimizer.step(closure), TypeError)
        assert text.startswith(f"{name}.step: closure must be a function that recomputes the "
                               f"loss, calls loss.backward() and returns the loss, got "
                               f"{type(closure).__name__} "), text
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])

    def recomputed():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    optimizer = tg.optim.SGD([w], lr=0.1)
    assert optimizer.step(recomputed).item() == 5.0
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.2, 2.0 - 0.4])


@pytest.mark.parametrize("closure", [1, "closure", tg.ones(3, 3)])
def test_lbfgs_refuses_a_closure_it_cannot_call_in_sgds_words(closure):
    # (LBFGS.step(1) said "LBFGS.step needs a closure (got 1)", SGD.step(1) another message)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    texts = {name: _refusal(lambda: make([w], lr=0.1).step(closure), TypeError)
             for name, make in (("SGD", tg.optim.SGD), ("LBFGS", tg.optim.LBFGS))}
    opening = texts["SGD"].split("; ")[0].replace("SGD.step", "LBFGS.step")
    assert texts["LBFGS"] == (f"{opening}; LBFGS evaluates the loss several times a step: "
                              f"give one, then optimizer.step(closure)")
    assert texts["SGD"].endswith("; after loss.backward() call step() without it")
    assert f"got {type(closure).__name__} " in opening
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    optimizer = tg.optim.LBFGS([w], lr=0.1, max_iter=1)

    def recomputed():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    assert optimizer.step(recomputed).item() == 5.0  # (the first loss, as torch's)
    torch = pytest.importorskip("torch")
    theirs = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    reference = torch.optim.LBFGS([theirs], lr=0.1, max_iter=1)
    reference.step(lambda: (reference.zero_grad(), (theirs * theirs).sum().backward(),
                            (theirs * theirs).sum())[-1])
    np.testing.assert_allclose(w.numpy(), theirs.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("group, kind, text", [
    ("tensor", TypeError, "SGD.add_param_group: a parameter group must be a dict such as "
                          "{'params': [w], 'lr': 0.01}, got Tensor"),
    ("list", TypeError, "SGD.add_param_group: a parameter group must be a dict such as "
                        "{'params': [w], 'lr': 0.01}, got list"),
    (None, TypeError, "SGD.add_param_group: a parameter group must be a dict such as "
                      "{'params': [w], 'lr': 0.01}, got NoneType"),
    ({"params": None}, TypeError, "SGD: a parameter group's 'params' must be a tensor or an "
                                  "iterable of tensors, got NoneType None"),
    ({"params": 5}, TypeError, "SGD: a parameter group's 'params' must be a tensor or an "
                               "iterable of tensors, got int 5"),
    ({"lr": 0.1}, ValueError, "SGD: a parameter group needs a 'params' entry"),
])
def test_add_param_group_refuses_what_is_no_group_in_one_line(group, kind, text):
    # (a tensor said "in: a tensor can be searched for a number or a tensor, got str
    # 'params'"; None "argument of type 'NoneType' is not iterable")
    w, v = tg.ones(2, requires_grad=True), tg.ones(3, requires_grad=True)
    optimizer = tg.optim.SGD([w], lr=0.1)
    group = {"tensor": v, "list": [v]}.get(group, group) if isinstance(group, str) else group
    assert _refusal(lambda: optimizer.add_param_group(group), kind) == text
    optimizer.add_param_group({"params": v, "lr": 0.5})
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5]


def test_an_optimizer_given_groups_mixed_with_tensors_names_both_kinds():
    # (it said "SGD: parameter 0 is a dict, not a Tensor"; PyTorch: "param_group must be a
    # dict, but got Tensor")
    w, v = tg.ones(2, requires_grad=True), tg.ones(3, requires_grad=True)
    text = _refusal(lambda: tg.optim.SGD([{"params": [w]}, v], lr=0.1), TypeError)
    assert text == ("SGD: params mixes parameter groups (dicts) with tensors: item 0 is a dict, "
                    "item 1 a Tensor; give a list of tensors, or of dicts ({'params': [w], "
                    "'lr': 0.01})")
    assert len(tg.optim.SGD([{"params": [w]}, {"params": v}], lr=0.1).param_groups) == 2


@pytest.mark.parametrize("call, kind, text", [
    # (the target said "got target shape ()": None read as a 0-d array)
    (lambda F, x: F.cross_entropy(x, None), TypeError,
     "cross_entropy: target must be a tensor of class indices (integers) of shape (2,), or of "
     "class probabilities of shape (2, 3); got None"),
    (lambda F, x: F.nll_loss(F.log_softmax(x, dim=1), None), TypeError,
     "nll_loss: target must be a tensor of class indices (integers) of shape (2,); got None"),
    (lambda F, x: tg.nn.CrossEntropyLoss()(x[0], None), TypeError,
     "cross_entropy: class indices must be integers, got None"),
    # (it said "the input's last axis has size no axis")
    (lambda F, x: tg.nn.Linear(3, 2)(tg.tensor(1.0)), tg.ShapeError,
     "Linear(in_features=3, out_features=2, bias=True): the input is 0-d (input shape ()), but "
     "the layer takes in_features=3; each sample must be a row of 3 features"),
    # (they said "'NoneType' object is not iterable")
    (lambda F, x: tg.nn.utils.clip_grad_norm_(None, 1.0), TypeError,
     "clip_grad_norm_: parameters must be a tensor or an iterable of tensors "
     "(model.parameters()), got NoneType"),
    (lambda F, x: tg.nn.utils.clip_grad_value_(5, 1.0), TypeError,
     "clip_grad_value_: parameters must be a tensor or an iterable of tensors "
     "(model.parameters()), got int"),
    # (they said "array 0 is 0-d (a single scalar)")
    (lambda F, x: tg.utils.data.DataLoader(None), TypeError,
     "DataLoader: array 0 is None; give arrays or Tensors of samples, or a dataset"),
    (lambda F, x: tg.utils.data.TensorDataset(tg.ones(2), None), TypeError,
     "TensorDataset: array 1 is None; give arrays or Tensors of samples"),
])
def test_none_or_a_0d_input_is_named_as_such(call, kind, text):
    x = tg.tensor([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], requires_grad=True)
    assert _refusal(lambda: call(tg.nn.functional, x), kind) == text


def test_the_calls_beside_those_refusals_still_compute():
    torch = pytest.importorskip("torch")
    values = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
    loss = tg.nn.functional.cross_entropy(tg.tensor(values), tg.tensor([2, 0]))
    want = torch.nn.functional.cross_entropy(torch.tensor(values), torch.tensor([2, 0]))
    np.testing.assert_allclose(loss.item(), want.item(), rtol=1e-12)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()  # (gradient (6, 8), norm 10)
    assert tg.nn.utils.clip_grad_norm_(w, 1.0).item() == pytest.approx(10.0)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    batches = list(tg.utils.data.DataLoader(tg.utils.data.TensorDataset(tg.ones(4), tg.zeros(4)),
                                            batch_size=3))
    assert [tuple(b[0].shape) for b in batches] == [(3,), (1,)]


@pytest.mark.parametrize("subscripts, shapes, letter, sizes", [
    ("ij,jk->ik", [(2, 3), (2, 3)], "'j'", (3, 0, 2, 1)),
    ("bij,bjk->bik", [(2, 3, 4), (3, 4, 5)], "'b'", (2, 0, 3, 1)),
    ("...j,...j->...", [(4, 3), (5, 3)], "'...'", (4, 0, 5, 1)),
    # a letter first seen of size 1 (it said the shapes "do not broadcast together")
    ("i,i,i->", [(1,), (3,), (4,)], "'i'", (3, 1, 4, 2)),
    ("i,i,i->", [(3,), (1,), (4,)], "'i'", (3, 0, 4, 2)),
    ("ij,kj,lj->", [(2, 1), (2, 5), (2, 6)], "'j'", (5, 1, 6, 2)),
])
def test_einsum_names_the_subscript_whose_sizes_differ(subscripts, shapes, letter, sizes):
    # (it said "shapes (2, 3), (2, 3) do not broadcast together (NumPy's rule: ...)")
    operands = [tg.ones(shape) for shape in shapes]
    text = _refusal(lambda: tg.einsum(subscripts, *operands), tg.ShapeError)
    first, k, other, m = sizes
    listed = ", ".join(str(shape) for shape in shapes)
    assert text == (f"einsum: subscript {letter} of {subscripts!r} is an axis of size {first} in "
                    f"operand {k} and {other} in operand {m} (shapes {listed}); the axes a "
                    f"letter names must be of one size (or 1)")
    torch = pytest.importorskip("torch")  # (torch names the same letter and sizes)
    with pytest.raises(RuntimeError, match=rf"subscript {letter[1]} has size {other} .* size "
                                           rf"{first}|ellipsis"):
        torch.einsum(subscripts, *(torch.ones(shape) for shape in shapes))


@pytest.mark.parametrize("subscripts, shape, sizes", [
    ("ii->i", (2, 3), (2, 3)), ("ii->i", (1, 3), (1, 3)), ("bii->bi", (2, 3, 1), (3, 1)),
])
def test_einsum_names_a_letter_repeated_in_one_operand_over_two_sizes(subscripts, shape, sizes):
    # ((1, 3) got NumPy's message, (2, 3) "an axis of size 2 in operand 0 and 3 in operand 0")
    text = _refusal(lambda: tg.einsum(subscripts, tg.ones(shape)), tg.ShapeError)
    assert text == (f"einsum: subscript 'i' of {subscripts!r} is repeated in operand 0 over "
                    f"axes of sizes {sizes[0]} and {sizes[1]} (shapes {shape}); a repeated letter "
                    f"takes a diagonal, whose axes must be of one size")
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="subscript i is repeated for operand 0"):
        torch.einsum(subscripts, torch.ones(shape))


@pytest.mark.parametrize("subscripts, shapes", [
    ("ij,jk->ik", [(2, 3), (1, 4)]), ("...j,...j->...", [(4, 3), (5, 4, 3)]),
    ("i...,i...->...", [(3, 1, 4), (3, 5, 4)]), ("ii->i", [(3, 3)]),
])
def test_einsum_still_broadcasts_an_axis_of_size_one_as_numpy(subscripts, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    np.testing.assert_allclose(tg.einsum(subscripts, *map(tg.tensor, arrays)).numpy(),
                               np.einsum(subscripts, *arrays), rtol=1e-12)


_REPEATED = "only an axis of size 1 is repeated (repeat() tiles one)"


@pytest.mark.parametrize("shape, sizes, why", [
    ((2, 3), (-1, -1, 3), "-1 keeps an axis's size, but dimension 0 is a new leading one, "
                          "which has none; give its size"),
    ((2, 3), (3,), "the tensor has 2 axes but 1 size was given; give a size for each axis (-1 "
                   "keeps one) and any new ones before them"),
    ((3,), (), "the tensor has 1 axis but 0 sizes were given; give a size for each axis (-1 "
               "keeps one) and any new ones before them"),
    ((2, 3), (3, -1), f"dimension 0 asks for size 3, but the tensor's size there is 2, not 1; "
                      f"{_REPEATED}"),
    ((2, 3), (5, -1, 4), f"dimension 2 asks for size 4, but the tensor's size there is 3, not "
                         f"1; {_REPEATED}"),
    ((2, 3), (2, 3, 3), f"dimension 1 asks for size 3, but the tensor's size there is 2, not 1; "
                        f"{_REPEATED}"),
    # (a size below -1 said "axis 0 has size 1, not 1, so it cannot become -2")
    ((1, 3), (-2, 3), "size -2 at dimension 0 is negative; give sizes >= 0, or -1 to keep the "
                      "tensor's size"),
    ((3,), (-2, 3), "size -2 at dimension 0 is negative; give sizes >= 0, or -1 to keep the "
                    "tensor's size"),
    ((2, 3), (-1, -5), "size -5 at dimension 1 is negative; give sizes >= 0, or -1 to keep the "
                       "tensor's size"),
])
def test_expand_says_why_a_shape_cannot_be_made(shape, sizes, why):
    # the sizes as the user gave them, -1s kept (it showed (-1, 2, 3) for (-1, -1, 3)), each
    # dimension numbered in them as PyTorch's "at non-singleton dimension 2"
    x = tg.ones(shape)
    for call, name in ((lambda: x.expand(*sizes), "expand"),
                       (lambda: tg.broadcast_to(x, sizes), "broadcast_to")):
        text = _refusal(call, tg.ShapeError)
        assert text == f"{name}: cannot broadcast shape {shape} to {sizes}: {why}"
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, TypeError)):  # (expand() of no sizes: a TypeError)
        torch.ones(shape).expand(*sizes)
    values = np.arange(3.0).reshape(1, 3)
    np.testing.assert_array_equal(tg.tensor(values).expand(4, 2, -1).numpy(),
                                  torch.tensor(values).expand(4, 2, -1).numpy())


@pytest.mark.parametrize("call", [lambda x: x.size(0, 1), lambda x: x.size(None, 1),
                                  lambda x: x.size(0, 1, 2)])
def test_size_given_two_axes_counts_what_the_user_gave(call):
    x = tg.ones(2, 3)
    with pytest.raises(TypeError) as info:
        call(x)
    text = str(info.value)
    assert text.startswith("size: takes at most 1 argument (dim) but ")
    assert "Tensor.size()" not in text and "\n" not in text
    assert (x.size(), x.size(1), x.size(-2)) == ((2, 3), 3, 2)


@pytest.mark.parametrize("base", ["autograd.Function", "Function"])
@pytest.mark.parametrize("attribute, value, text", [
    ("needs_input_grad", 1, "forward set ctx.needs_input_grad, which the engine sets"),
    ("saved_tensors", "input", "forward set ctx.saved_tensors (to ndarray); save arrays "
                               "with ctx.save_for_backward"),
    ("saved_tensors", [], "forward set ctx.saved_tensors (to list); save arrays with")])
def test_a_users_forward_that_sets_what_the_engine_reads_is_refused_naming_it(
        base, attribute, value, text):
    parent = tg.autograd.Function if base == "autograd.Function" else tg.Function

    class Squared(parent):
        @staticmethod
        def forward(ctx, x):
            setattr(ctx, attribute, x if value == "input" else value)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        Squared.apply(x)
    assert str(info.value).startswith(f"squared: {text}"), str(info.value)
    assert "\n" not in str(info.value)


def test_save_for_backward_still_gives_backward_its_arrays():
    class Squared(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = tg.tensor([1.0, -3.0], requires_grad=True)
    Squared.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.detach().numpy())


# -- the seeded fuzzers: the command printed under a failure reruns it ----------------------
_PLANTED_FUZZER = """import os
import pytest
FIRST_SEED = int(os.environ.get("TINYGRAD_GD_FUZZ_SEED", "0"))
COUNT = int(os.environ.get("PLANTED_EXAMPLES", "3"))
@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + COUNT))
def test_program(seed):
    assert seed != 7
"""


def test_a_seeded_fuzzers_failure_prints_a_command_that_reruns_it(tmp_path):
    # (it printed TINYGRAD_GD_FUZZ_SEED=0 beside the id test_program[7]: "not found" once the
    # count variable that had reached seed 7 was left out)
    (tmp_path / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    (tmp_path / "test_planted_fuzzer.py").write_text(_PLANTED_FUZZER)
    kept = {k: v for k, v in os.environ.items()
            if k not in ("TINYGRAD_GD_FUZZ_SEED", "HYPOTHESIS_PROFILE", "PLANTED_EXAMPLES")}

    def pytest_run(env: dict, target: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               target], cwd=tmp_path, env={**kept, **env},
                              capture_output=True, text=True, timeout=120)

    failed = pytest_run({"PLANTED_EXAMPLES": "10"}, "test_planted_fuzzer.py")
    command = re.search(r"rerun it alone: (\w+)=(\d+) python -m pytest '([^']+)'", failed.stdout)
    assert command is not None, failed.stdout
    variable, seed, test_id = command.groups()
    assert (variable, seed, test_id) == ("TINYGRAD_GD_FUZZ_SEED", "7",
                                         "test_planted_fuzzer.py::test_program[7]")
    again = pytest_run({variable: seed}, test_id)  # as printed: no count variable
    assert again.returncode == 1 and "1 failed" in again.stdout, again.stdout


def test_a_pytorch_style_forward_that_sets_needs_input_grad_to_a_tuple_is_refused():
    """(Its output came back detached: the gradient through the op lost, unsaid.)"""
    class Product(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.needs_input_grad = (False, False)
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"^product: forward set ctx.needs_input_grad, "):
        Product.apply(x, x * 1)


def test_mark_non_differentiable_still_leaves_an_op_unrecorded():
    class Doubled(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = Doubled.apply(x)
    assert not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("attribute, value, said", [
    ("needs_input_grad", (False,), "setup_context set ctx.needs_input_grad, which the engine"),
    ("saved_tensors", [], "setup_context set ctx.saved_tensors (to list)")])
def test_what_setup_context_sets_is_refused_naming_setup_context(attribute, value, said):
    class Tripled(tg.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            setattr(ctx, attribute, value)

        @staticmethod
        def backward(ctx, grad):
            return 3 * grad

    with pytest.raises(TypeError, match=r"^tripled: " + re.escape(said)):
        Tripled.apply(tg.tensor([1.0, 2.0], requires_grad=True))


def test_needs_input_grad_set_after_mark_non_differentiable_is_refused():
    """(The op was recorded after all: x.grad [3, 3] where torch gives [1, 1].)"""
    class Marked(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.mark_non_differentiable(out)
            ctx.needs_input_grad = (True,)
            return out

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

    with pytest.raises(TypeError, match=r"^marked: forward set ctx.needs_input_grad, "):
        Marked.apply(tg.tensor([1.0, 2.0], requires_grad=True))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_a_linear_layer_starts_as_kaiming_uniform_and_uniform_of_the_same_seed(dtype):
    # PyTorch's reset_parameters: kaiming_uniform_(a=√5) for the weight, then the bias
    # uniform in ±1/√in_features, drawn next from the same generator, in the layer's dtype
    d = getattr(tg, dtype)
    tg.manual_seed(0)
    layer = tg.nn.Linear(30, 20, dtype=d)
    tg.manual_seed(0)
    weight = tg.nn.init.kaiming_uniform_(tg.zeros(20, 30, dtype=d), a=5 ** 0.5)
    bound = 1 / 30 ** 0.5
    bias = tg.nn.init.uniform_(tg.zeros(20, dtype=d), -bound, bound)
    assert layer.weight.dtype == weight.dtype == d and layer.bias.dtype == d
    np.testing.assert_array_equal(layer.weight.data, weight.data)
    np.testing.assert_array_equal(layer.bias.data, bias.data)
