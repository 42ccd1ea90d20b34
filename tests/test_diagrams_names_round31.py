"""Diagrams name what a learner passed and what a learner called (thirty-first round).

- What a module call or a declared call was given is named as the argument it was passed
  as: tutorial 7's MSELoss target reads `target (2, 1)`, no longer `input (2, 1)` beside
  the model's own `input (2, 3)`; a user's `forward(x, mask)` draws `x` and `mask`. The
  call records what it was given, bound when drawing to the forward's parameters: a
  forward whose ops use its arguments in another order (KLDivLoss's target first, `mask *
  self.lin(x)`, `y.exp() + x`), a keyword argument, a tensor passed twice (`input and
  target`) are named as passed; a tensor read from elsewhere keeps `input`. A call keeps
  only the ids of what it was given: no argument kept alive by what the call made, none
  in a cycle with its graph (an argument changed in place), a function given still lets
  the graph pickle; two threads' calls keep their own.
- `tg.nansum` and its kin made of several ops (nanmean, median, nanmedian, kthvalue,
  logcumsumexp, cummax, cummin; the joins, take_along_dim, addcmul, addcdiv, cross, kron,
  rot90, dist, cdist) are drawn as one call titled as the user called it (`nansum()`),
  no longer as their inner ops alone (`masked_fill 0` and `sum`).

Values are checked against NumPy, never against the drawing code.
"""
from __future__ import annotations

import copy
import gc
import html
import inspect
import pickle
import re
import threading
import weakref

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F
from tinygrad_gd.scope import drawn_as_call

from test_diagrams_round29 import _nodes, _render
from test_diagrams_round31 import _frames_of
from test_graph_labels import needs_dot

pytestmark = needs_dot

_RNG = np.random.default_rng(31)


def _titles(path) -> list[str]:
    """Each node's text up to its shape, as the SVG shows it."""
    return [text.split(" (")[0] for text, _, _ in _nodes(path)]


def _op_frames(source: str) -> list[tuple[str, tuple[str, ...]]]:
    """Every op node's text and the titles of the frames it is drawn in, outermost first
    (() for an op outside every frame), read from the DOT text's nested clusters as
    `_frames_of` reads them; a list, as two ops may read the same (`mul`)."""
    stack: list[str] = []
    found = []
    for line in source.splitlines():
        if re.match(r"\s*subgraph cluster_\d+ \{", line):
            stack.append("")
        elif line.strip() == "}" and stack:
            stack.pop()
        elif heading := re.match(r"\s*heading\d+ \[label=<(.*?)> ", line):
            stack[-1] = html.unescape(heading.group(1))
        elif node := re.match(r"\s*f\d+ \[label=<(.*)> ", line):
            text = html.unescape(re.sub(r"<[^>]*>", " ", node.group(1)))
            found.append((" ".join(text.split()), tuple(stack)))
    return found


# ------------------------------------------------------------------ what a call was given


def _tutorial7():
    model = nn.Sequential(nn.Linear(3, 2, seed=0), nn.ReLU(), nn.Linear(2, 1, seed=1))
    xb = tg.Tensor(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]))
    yb = tg.Tensor([[1.0], [0.0]])
    loss = nn.MSELoss()(model(xb), yb)
    loss.backward()
    return model, xb, yb, loss


@pytest.mark.parametrize("open_modules", [False, True])
def test_tutorial7s_target_is_named_target_beside_the_models_input(tmp_path, open_modules):
    model, xb, yb, loss = _tutorial7()
    expected = np.mean((model(xb).numpy() - yb.numpy()) ** 2)
    assert loss.item() == pytest.approx(expected)
    path, text = _render(loss, tmp_path, "tut7", model=model, mode="backward",
                         open_modules=open_modules)
    assert "target (2, 1) data 1 0" in text and "input (2, 1)" not in text
    assert "input (2, 3) data 1 2 3 0.5 -1 2" in text
    source = tg.draw_graph(loss, model=model, mode="backward", open_modules=open_modules).source
    assert 'tooltip="target into op sub"' in source


_LOSSES = {  # loss -> (its class, each argument after the prediction)
    "MSELoss": (nn.MSELoss, lambda: [_RNG.standard_normal((2, 3))]),
    "L1Loss": (nn.L1Loss, lambda: [_RNG.standard_normal((2, 3))]),
    "SmoothL1Loss": (nn.SmoothL1Loss, lambda: [_RNG.standard_normal((2, 3))]),
    "HuberLoss": (nn.HuberLoss, lambda: [_RNG.standard_normal((2, 3))]),
    "BCELoss": (nn.BCELoss, lambda: [_RNG.uniform(0.1, 0.9, (2, 3))]),
    "CrossEntropyLoss": (nn.CrossEntropyLoss, lambda: [_RNG.dirichlet(np.ones(3), 2)]),
    "PoissonNLLLoss": (nn.PoissonNLLLoss, lambda: [_RNG.uniform(0.1, 2.0, (2, 3))]),
}
_ORDERED = {  # losses whose ops use the data before the prediction, or make more inside
    "KLDivLoss": (nn.KLDivLoss, lambda: [_RNG.dirichlet(np.ones(3), 2)]),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss, lambda: [_RNG.uniform(0.1, 0.9, (2, 3))]),
    "SoftMarginLoss": (nn.SoftMarginLoss, lambda: [np.sign(_RNG.standard_normal((2, 3)))]),
    "GaussianNLLLoss": (nn.GaussianNLLLoss,
                        lambda: [_RNG.standard_normal((2, 3)), _RNG.uniform(0.5, 1, (2, 3))]),
    "MarginRankingLoss": (nn.MarginRankingLoss,
                          lambda: [_RNG.standard_normal((2, 3))[0], np.array([1.0, -1, 1])]),
    "CosineEmbeddingLoss": (nn.CosineEmbeddingLoss,
                            lambda: [_RNG.standard_normal((2, 3)), np.array([1.0, -1])]),
    "TripletMarginLoss": (nn.TripletMarginLoss,
                          lambda: [_RNG.standard_normal((2, 3)), _RNG.standard_normal((2, 3))]),
}


_MARKS = (0.125, 0.375)  # one entry of each argument given, to find its node by


def _loss_call(kind, others):
    """The loss of a prediction made by an op (as a model's output) and the data given,
    each with its mark as first entry (a ±1 target left as it is)."""
    arrays = others()
    for array, mark in zip(arrays, _MARKS):
        if not np.isin(array, (-1.0, 1.0)).all():
            array.flat[0] = mark
    data = [tg.Tensor(a) for a in arrays]
    shape = data[0].shape if kind is not nn.MarginRankingLoss else (3,)
    weight = tg.Tensor(_RNG.standard_normal(shape), requires_grad=True)
    prediction = weight.sigmoid() if kind is nn.BCELoss else weight * 1.0
    parameters = list(inspect.signature(kind.forward).parameters)[1:]
    return kind()(prediction, *data), data, parameters[1:]


@pytest.mark.parametrize("name", sorted(_LOSSES))
def test_a_losss_data_is_named_as_its_forwards_parameter(tmp_path, name):
    loss, data, parameters = _loss_call(*_LOSSES[name])
    path, text = _render(loss, tmp_path, name)
    titles = _titles(path)
    for tensor, parameter in zip(data, parameters):
        assert titles.count(parameter) == 1, (parameter, titles)
        assert f"{parameter} {tensor.shape}" in text
    assert "input" not in titles


def _title_holding(path, mark: float) -> str | None:
    """The title of the one leaf whose values hold `mark`, None if no node does."""
    found = [text.split(" (")[0] for text, _, _ in _nodes(path)
             if re.search(rf"(?<![\d.]){mark:g}(?!\d)", text) and "result" not in text]
    assert len(found) <= 1, found
    return found[0] if found else None


@pytest.mark.parametrize("name", sorted(_LOSSES) + sorted(_ORDERED))
def test_a_losss_data_in_the_graph_is_named_as_passed_whatever_its_ops_order(tmp_path, name):
    kind, others = {**_LOSSES, **_ORDERED}[name]
    loss, data, parameters = _loss_call(kind, others)
    path, _ = _render(loss, tmp_path, name)
    for tensor, parameter, mark in zip(data, parameters, _MARKS):
        if tensor.numpy().flat[0] == mark:  # its own name, found by its values
            assert _title_holding(path, mark) == parameter, (name, parameter)
    every = list(inspect.signature(kind.forward).parameters)[1:]
    titles = _titles(path)
    assert all(titles.count(p) <= 1 for p in every[1:]), titles
    assert every[0] == "input" or every[0] not in titles  # (the prediction: an op's result)


class _Masked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 2, seed=0)

    def forward(self, x, mask):
        return (self.lin(x) * mask).sum()


class _MaskFirst(_Masked):
    def forward(self, x, mask):  # (its code reads mask first)
        return (mask * self.lin(x)).sum()


def _masked_call(kind):
    model, x, mask = kind(), tg.Tensor(np.arange(6.0).reshape(2, 3)), tg.Tensor(np.eye(2))
    out = model(x, mask)
    expected = ((x.numpy() @ model.lin.weight.numpy().T + model.lin.bias.numpy())
                * mask.numpy()).sum()
    assert out.item() == pytest.approx(expected)
    return model, out


@pytest.mark.parametrize("with_model", [True, False])
def test_a_users_forward_x_mask_names_both(tmp_path, with_model):
    model, out = _masked_call(_Masked)
    options = {"model": model} if with_model else {}
    _, text = _render(out, tmp_path, "masked", **options)
    assert "x (2, 3) data 0 1 2 3 4 5" in text and "mask (2, 2) data 1 0 0 1" in text
    assert "input (" not in text


def test_a_forward_reading_its_arguments_out_of_order_names_both(tmp_path):
    model, out = _masked_call(_MaskFirst)
    _, text = _render(out, tmp_path, "first", model=model)
    assert "x (2, 3) data 0 1 2 3 4 5" in text and "mask (2, 2) data 1 0 0 1" in text
    assert "input (" not in text


_OFFSET = tg.Tensor(np.array([[0.5, -0.5], [1.5, 2.5]]))  # read by a forward, not given


class _ReadsAGlobal(_Masked):
    def forward(self, x):  # (the offset is used first, and was not given)
        return (_OFFSET + self.lin(x)).sum()


def test_a_tensor_read_from_elsewhere_keeps_input_beside_the_argument(tmp_path):
    model, x = _ReadsAGlobal(), tg.Tensor(np.arange(6.0).reshape(2, 3))
    out = model(x)
    expected = (_OFFSET.numpy() + x.numpy() @ model.lin.weight.numpy().T
                + model.lin.bias.numpy()).sum()
    assert out.item() == pytest.approx(expected)
    _, text = _render(out, tmp_path, "global", model=model)
    assert "input (2, 2) data 0.5 -0.5 1.5 2.5" in text and "x (2, 3) data 0 1 2" in text


class _UsesYFirst(_Masked):
    def forward(self, x, y):  # (its code reads x first, its ops use y first)
        h = x
        return (self.lin.weight * y + h).sum()


def test_ops_using_the_arguments_in_another_order_name_each_as_passed(tmp_path):
    model = _UsesYFirst()
    x, y = tg.Tensor(np.arange(6.0).reshape(2, 3)), tg.Tensor([[0.5, 1.5, 2.5]])
    out = model(x, y)
    assert out.item() == pytest.approx((model.lin.weight.numpy() * y.numpy()
                                        + x.numpy()).sum())
    _, text = _render(out, tmp_path, "yfirst", model=model)
    assert "x (2, 3) data 0 1 2 3 4 5" in text and "y (1, 3) data 0.5 1.5 2.5" in text
    assert "input (" not in text


def test_a_keyword_argument_is_named_as_its_keyword(tmp_path):
    pred = tg.Tensor([[0.5], [0.2]], requires_grad=True) * 1.0
    y = tg.Tensor([[1.0], [0.0]])
    out = nn.MSELoss()(pred, target=y)
    assert out.item() == pytest.approx(np.mean((pred.numpy() - y.numpy()) ** 2))
    assert "target (2, 1) data 1 0" in _render(out, tmp_path, "keyword")[1]

    @drawn_as_call("shifted_error()")
    def shifted_error(pred, target, *, shift):
        return ((pred - target + shift) ** 2).mean()

    shift = tg.Tensor([[0.25], [0.75]])
    out = shifted_error(pred, target=y, shift=shift)
    expected = np.mean((pred.numpy() - y.numpy() + shift.numpy()) ** 2)
    assert out.item() == pytest.approx(expected)
    _, text = _render(out, tmp_path, "keywords")
    assert "target (2, 1) data 1 0" in text and "shift (2, 1) data 0.25 0.75" in text


class _Square(_Masked):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2, seed=0)


def test_a_tensor_passed_twice_is_named_by_both_parameters(tmp_path):
    model, x = _Square(), tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    out = model(x, x)
    expected = ((x.numpy() @ model.lin.weight.numpy().T + model.lin.bias.numpy())
                * x.numpy()).sum()
    assert out.item() == pytest.approx(expected)
    _, text = _render(out, tmp_path, "twice", model=model)
    assert "x and mask (2, 2) data 1 2 3 4" in text and "input (" not in text


class _Starred(_Masked):
    def forward(self, *inputs):
        return (self.lin(inputs[0]) * inputs[1]).sum()


def test_a_starred_parameter_names_each_tensor_by_its_place(tmp_path):
    model, out = _masked_call(_Starred)
    _, text = _render(out, tmp_path, "starred", model=model)
    assert "inputs[0] (2, 3) data 0 1 2 3 4 5" in text
    assert "inputs[1] (2, 2) data 1 0 0 1" in text


class _MakesItsOwn(nn.Module):
    def forward(self, x):  # (returns a constant it made, as an initial hidden state)
        return tg.zeros(x.shape)


@pytest.mark.parametrize("grad", [False, True])
def test_what_a_call_was_given_is_not_kept_alive_by_what_it_made(grad):
    x = tg.Tensor(np.ones((2, 3)))
    given = weakref.ref(x)
    with tg.set_grad_enabled(grad):
        out = _MakesItsOwn()(x)
    np.testing.assert_array_equal(out.numpy(), np.zeros((2, 3)))
    del x
    gc.collect()
    assert given() is None


def test_what_a_recorded_call_was_given_is_freed_with_its_graph():
    model, x = _Masked(), tg.Tensor(np.ones((2, 3)))
    mask = tg.Tensor(np.eye(2))
    given = weakref.ref(mask)
    out = model(x, mask)
    del mask
    gc.collect()
    assert given() is not None  # (the graph holds it: an input of the op `mul`)
    del out
    gc.collect()
    assert given() is None


def test_an_argument_changed_in_place_in_the_call_is_freed_with_its_graph():
    w = tg.Tensor(np.array([-1.0, 2.0, -3.0]), requires_grad=True)
    x = w * 2.0
    out = nn.ReLU(inplace=True)(x).sum()
    assert out.item() == pytest.approx(np.maximum(w.numpy() * 2, 0).sum())
    given = weakref.ref(x)
    gc.disable()  # (freed as soon as the last reference goes, not by a cycle collection)
    try:
        del x, out
        assert given() is None
    finally:
        gc.enable()


class _Applied(_Masked):
    def forward(self, x, function):
        return function(self.lin(x))


def test_a_graph_whose_call_was_given_a_function_pickles():
    model, x = _Applied(), tg.Tensor(np.arange(6.0).reshape(2, 3))
    out = model(x, lambda h: h * 2.0)
    again = pickle.loads(pickle.dumps(out))
    expected = 2 * (x.numpy() @ model.lin.weight.numpy().T + model.lin.bias.numpy())
    np.testing.assert_allclose(again.numpy(), expected, rtol=1e-12)


def _pickled_masked_call() -> tuple[bytes, float]:
    model, out = _masked_call(_Masked)
    return pickle.dumps(out), out.item()  # (the graph, its model and tensors freed here)


def test_a_graph_copied_or_pickled_forgets_the_names_never_swaps_them(tmp_path):
    """A copy's calls keep no ids: those were of this process's objects, which the copies'
    tensors may take once the originals are freed (a pickled graph loaded back drew the
    mask `x` and x `mask` in 16 of 20 runs of two calls pickled together)."""
    for n in range(4):
        saved, value = _pickled_masked_call()
        gc.collect()
        again = pickle.loads(saved)
        assert again.item() == value
        _, text = _render(again, tmp_path, f"pickled{n}")
        assert "x (2, " not in text and "mask (2, " not in text
        # (both unnamed data now: two `input` nodes, numbered)
        assert re.search(r"input #\d \(2, 3\) data 0 1 2 3 4 5", text)
        assert re.search(r"input #\d \(2, 2\) data 1 0 0 1", text)
    model, out = _masked_call(_Masked)
    _, text = _render(copy.deepcopy(out), tmp_path, "deepcopied", model=model)
    assert "x (2, " not in text and "mask (2, " not in text


def test_a_graph_through_a_declared_call_pickles():
    @drawn_as_call("scaled_sum()")
    def scaled_sum(x, scale):
        return (x * scale).sum()

    x = tg.Tensor(np.arange(3.0), requires_grad=True)
    again = pickle.loads(pickle.dumps(scaled_sum(x, tg.Tensor(np.full(3, 2.0)))))
    assert again.item() == 2 * np.arange(3.0).sum()


def test_a_forward_pre_hook_that_swaps_the_arguments_names_what_forward_got(tmp_path):
    model, x, mask = _Masked(), tg.Tensor(np.eye(2)), tg.Tensor(np.arange(6.0).reshape(2, 3))
    model.register_forward_pre_hook(lambda module, args: (args[1], args[0]))
    out = model(x, mask)  # forward gets x=mask, mask=x
    expected = ((mask.numpy() @ model.lin.weight.numpy().T + model.lin.bias.numpy())
                * x.numpy()).sum()
    assert out.item() == pytest.approx(expected)
    _, text = _render(out, tmp_path, "swapped", model=model)
    assert "x (2, 3) data 0 1 2 3 4 5" in text and "mask (2, 2) data 1 0 0 1" in text


class _Doubled(tg.Function, register=False):
    scope = "per-sample"  # (a user's class attribute of a name the engine's extras use)

    def forward(ctx, x):
        return x * 2.0

    def backward(ctx, grad):
        return grad * 2.0


class _CallsDoubled(nn.Module):
    def forward(self, x):
        return _Doubled.apply(x).sum()


def test_a_users_op_with_an_attribute_scope_is_drawn_in_the_call_it_ran_in():
    x = tg.Tensor(np.arange(3.0), requires_grad=True)
    out = _CallsDoubled()(x)
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 2.0))
    frames = _frames_of(tg.draw_graph(out, open_modules=True).source)
    assert frames[next(label for label in frames if label.startswith("_doubled"))] == (
        "_CallsDoubled",), frames  # (it drew frames 'str', 'str/str', ... one a letter)


class _Meeting(_Masked):
    """Waits inside its forward until the other thread's call is inside too."""

    def forward(self, x, mask):
        h = self.lin(x)
        self.both_inside.wait()
        return (h * mask).sum()


def test_two_threads_calling_one_module_keep_their_own_arguments(tmp_path):
    model = _Meeting()
    model.both_inside = threading.Barrier(2, timeout=30)
    given = {k: (tg.Tensor(np.full((2, 3), k + 1.0)), tg.Tensor(np.eye(2) * (k + 5)))
             for k in range(2)}
    out: dict = {}
    workers = [threading.Thread(target=lambda k=k: out.setdefault(k, model(*given[k])))
               for k in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    for k, (x, mask) in given.items():
        expected = ((x.numpy() @ model.lin.weight.numpy().T + model.lin.bias.numpy())
                    * mask.numpy()).sum()
        assert out[k].item() == pytest.approx(expected)
        _, text = _render(out[k], tmp_path, f"thread{k}", model=model)
        assert f"x (2, 3) data all {k + 1}" in text, text
        assert f"mask (2, 2) data {k + 5} 0 0 {k + 5}" in text


def test_a_declared_call_names_what_it_was_given(tmp_path):
    @drawn_as_call("scaled_error()")
    def scaled_error(pred, target, scale=2.0):
        return ((pred - target) ** 2).mean() * scale

    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    w = tg.Tensor([[0.5], [-0.2], [0.1]], requires_grad=True)
    y = tg.Tensor([[1.0], [0.0]])
    out = scaled_error(x @ w, y)
    assert out.item() == pytest.approx(2 * np.mean((x.numpy() @ w.numpy() - y.numpy()) ** 2))
    path, text = _render(out, tmp_path, "declared")
    assert "target (2, 1) data 1 0" in text
    assert "input (2, 3)" in text  # the data of the matmul outside the call: as it was
    frames = _frames_of(tg.draw_graph(out).source)
    assert [where for label, where in frames.items() if label.startswith("target")] == [()]


def test_the_function_form_draws_no_call_and_keeps_input(tmp_path):
    # F.mse_loss is drawn as its ops, no call: no argument is known to name its target by
    pred = tg.Tensor([[0.5], [0.2]], requires_grad=True) * 1.0
    y = tg.Tensor([[1.0], [0.0]])
    out = F.mse_loss(pred, y)
    assert out.item() == pytest.approx(np.mean((pred.numpy() - y.numpy()) ** 2))
    _, text = _render(out, tmp_path, "function")
    assert "input (2, 1) data 1 0" in text and "target" not in text


def test_a_tensor_also_used_outside_the_call_keeps_input(tmp_path):
    pred = tg.Tensor([[0.5], [0.2]], requires_grad=True) * 1.0
    y = tg.Tensor([[1.0], [0.0]])
    out = nn.MSELoss()(pred, y) + (y * pred).sum()
    _, text = _render(out, tmp_path, "shared")
    assert "input (2, 1) data 1 0" in text and "target" not in text


# ------------------------------------------------------------------ what a learner called

_NAN = np.array([[1.0, np.nan, 3.0], [-2.0, 0.5, np.nan]])
_PLAIN = np.array([[1.0, 4.0, 3.0], [2.0, 0.5, 7.0]])
_CALLED = {  # name -> (call, NumPy's values)
    "nansum": (lambda x: tg.nansum(x), lambda a: np.nansum(a), _NAN),
    "nanmean": (lambda x: tg.nanmean(x, 1), lambda a: np.nanmean(a, 1), _NAN),
    "median": (lambda x: tg.median(x, 1).values, lambda a: np.median(a, 1), _PLAIN),
    "nanmedian": (lambda x: tg.nanmedian(x), lambda a: np.nanmedian(a), _NAN[:, :2]),
    "kthvalue": (lambda x: tg.kthvalue(x, 2, 1).values, lambda a: np.sort(a, 1)[:, 1], _PLAIN),
    "logcumsumexp": (lambda x: tg.logcumsumexp(x, 1),
                     lambda a: np.logaddexp.accumulate(a, 1), _PLAIN),
    "cummax": (lambda x: tg.cummax(x, 1).values, lambda a: np.maximum.accumulate(a, 1),
               _PLAIN),
    "cummin": (lambda x: tg.cummin(x, 1).values, lambda a: np.minimum.accumulate(a, 1),
               _PLAIN),
}


@pytest.mark.parametrize("name", sorted(_CALLED))
def test_a_composed_function_is_drawn_as_the_call_the_learner_wrote(name):
    call, numpy_form, values = _CALLED[name]
    x = tg.Tensor(values, requires_grad=True)
    out = call(x)
    np.testing.assert_allclose(out.numpy(), numpy_form(values), rtol=1e-12)
    source = tg.draw_graph(out).source
    ops = _op_frames(source)  # (every op, each inside the call's frame)
    assert ops and all(where == (f"{name}()",) for _, where in ops), ops
    frames = _frames_of(source)
    assert frames[next(label for label in frames if label.startswith("parameter"))] == ()


def test_nansums_method_form_and_inside_a_users_module_read_nansum():
    x = tg.Tensor(_NAN, requires_grad=True)
    ops = _op_frames(tg.draw_graph((x * 2.0).nansum() + 1.0).source)
    assert sorted(ops) == [("+ 1", ()), ("masked_fill 0", ("nansum()",)),
                           ("sum", ("nansum()",)), ("× 2", ())], ops

    class Total(nn.Module):
        def forward(self, v):
            return tg.nansum(v * 2.0)

    out = Total()(x)
    assert out.item() == pytest.approx(2 * np.nansum(_NAN))
    ops = _op_frames(tg.draw_graph(out).source)
    assert sorted(ops) == [("masked_fill 0", ("Total", "nansum()")),
                           ("sum", ("Total", "nansum()")), ("× 2", ("Total",))], ops


_A = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
_B = np.array([[0.5, 1.5, -1.0], [2.0, -0.5, 4.0]])
_C = np.array([[2.0, 4.0, -0.5], [1.0, 8.0, 0.25]])
_COMPOSED = {  # name -> (call of three tensors, NumPy's values)
    "hstack": (lambda a, b, c: tg.hstack([a, b]), np.hstack([_A, _B])),
    "vstack": (lambda a, b, c: tg.vstack([a, b]), np.vstack([_A, _B])),
    "dstack": (lambda a, b, c: tg.dstack([a, b]), np.dstack([_A, _B])),
    "column_stack": (lambda a, b, c: tg.column_stack([a, b]), np.column_stack([_A, _B])),
    "take_along_dim": (lambda a, b, c: tg.take_along_dim(a, tg.tensor([[2], [0]]), 1),
                       np.take_along_axis(_A, np.array([[2], [0]]), 1)),
    "addcmul": (lambda a, b, c: tg.addcmul(a, b, c, value=0.5), _A + 0.5 * _B * _C),
    "addcdiv": (lambda a, b, c: tg.addcdiv(a, b, c, value=0.5), _A + 0.5 * _B / _C),
    "cross": (lambda a, b, c: tg.cross(a, b, dim=1), np.cross(_A, _B)),
    "kron": (lambda a, b, c: tg.kron(a, b), np.kron(_A, _B)),
    "rot90": (lambda a, b, c: tg.rot90(a), np.rot90(_A)),
    "dist": (lambda a, b, c: tg.dist(a, b), np.linalg.norm(_A - _B)),
    "cdist": (lambda a, b, c: tg.cdist(a, b),
              np.linalg.norm(_A[:, None, :] - _B[None, :, :], axis=-1)),
}


@pytest.mark.parametrize("name", sorted(_COMPOSED))
def test_a_composed_join_or_arithmetic_is_drawn_as_the_call_written(name):
    call, expected = _COMPOSED[name]
    a, b, c = (tg.Tensor(v, requires_grad=True) for v in (_A, _B, _C))
    out = call(a, b, c)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    ops = _op_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source)
    assert ops and all(where == (f"{name}()",) for _, where in ops), ops
    folded = tg.draw_graph(out, max_nodes=4).source  # (a large graph: the call one box)
    assert f"{name}()" in folded
