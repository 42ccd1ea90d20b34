"""Composed functions drawn as the call the learner wrote, at little cost (thirty-second round).

- `tg.nansum`, `nanmean`, `median`, `kthvalue`, `cummax`, the joins, `addcmul`, `cross`,
  `kron`, `cdist` and kin, `F.nll_loss` and `F.binary_cross_entropy_with_logits` called as
  functions, the masked and `*_copy` functions: each drawn as one call titled as called
  (`nansum()`), its data named by the parameter it was passed as (`tensor1`,
  `tensors[1]`, `target`), its values and gradients PyTorch's.
- A declared call tags its ops when it returns and when a diagram reads the graph, not as
  each op runs: the cases that could go wrong so (a call inside the package's own module,
  two threads, a call that raises, several results, an argument given back, nested
  declared calls, a module called inside a declared function, copied graphs).
- The NaN a learner gives `nansum` on purpose reads `NaN left out by nansum()`, not red.

Values are checked against torch or NumPy, never against the drawing code.
"""
from __future__ import annotations

import copy
import html
import pickle
import threading

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F
from tinygrad_gd.scope import drawn_as_call

from test_diagrams_round29 import _nodes, _red_nodes, _render
from test_diagrams_round31 import _frames_of
from test_graph_labels import needs_dot

pytestmark = needs_dot

_RNG = np.random.default_rng(32)
_A = _RNG.standard_normal((3, 3))
_B = _RNG.standard_normal((3, 3))
_C = _RNG.uniform(1.0, 2.0, (3, 3))
_NAN = np.array([[1.0, np.nan, 3.0], [-2.0, 0.5, np.nan], [0.25, 4.0, -1.0]])
_LOGP = np.log(_RNG.dirichlet(np.ones(3), 3))


def _values(out):
    """The values of a function giving (values, indices), else its result."""
    return out[0] if isinstance(out, tuple) else out


# name -> (ours, torch's, the arrays given, the title, the names of the data given after
# the first argument, where the call's ops use it as given: dstack, cross, kron and cdist
# reshape it, a constant of their own)
_CASES = {
    "nansum": (tg.nansum, lambda t, x: t.nansum(x), [_NAN], "nansum()", []),
    "nanmean": (lambda x: tg.nanmean(x, 1), lambda t, x: t.nanmean(x, 1), [_NAN],
                "nanmean()", []),
    "median": (lambda x: tg.median(x, 1), lambda t, x: t.median(x, 1), [_A], "median()", []),
    "nanmedian": (lambda x: tg.nanmedian(x, 1), lambda t, x: t.nanmedian(x, 1), [_NAN],
                  "nanmedian()", []),
    "kthvalue": (lambda x: tg.kthvalue(x, 2, 1), lambda t, x: t.kthvalue(x, 2, 1), [_A],
                 "kthvalue()", []),
    "logcumsumexp": (lambda x: tg.logcumsumexp(x, 1), lambda t, x: t.logcumsumexp(x, 1), [_A],
                     "logcumsumexp()", []),
    "cummax": (lambda x: tg.cummax(x, 1), lambda t, x: t.cummax(x, 1), [_A], "cummax()", []),
    "cummin": (lambda x: tg.cummin(x, 1), lambda t, x: t.cummin(x, 1), [_A], "cummin()", []),
    "hstack": (lambda a, b: tg.hstack([a, b]), lambda t, a, b: t.hstack([a, b]), [_A, _B],
               "hstack()", ["tensors[1]"]),
    "vstack": (lambda a, b: tg.vstack([a, b]), lambda t, a, b: t.vstack([a, b]), [_A, _B],
               "vstack()", ["tensors[1]"]),
    "dstack": (lambda a, b: tg.dstack([a, b]), lambda t, a, b: t.dstack([a, b]), [_A, _B],
               "dstack()", []),
    "column_stack": (lambda a, b: tg.column_stack([a, b]), lambda t, a, b: t.column_stack([a, b]),
                     [_A, _B], "column_stack()", ["tensors[1]"]),
    "addcmul": (lambda a, b, c: tg.addcmul(a, b, c, value=0.5),
                lambda t, a, b, c: t.addcmul(a, b, c, value=0.5), [_A, _B, _C], "addcmul()",
                ["tensor1", "tensor2"]),
    "addcdiv": (lambda a, b, c: tg.addcdiv(a, b, c, value=0.5),
                lambda t, a, b, c: t.addcdiv(a, b, c, value=0.5), [_A, _B, _C], "addcdiv()",
                ["tensor1", "tensor2"]),
    "cross": (lambda a, b: tg.cross(a, b, dim=1), lambda t, a, b: t.linalg.cross(a, b, dim=1),
              [_A, _B], "cross()", []),
    "kron": (tg.kron, lambda t, a, b: t.kron(a, b), [_A, _B], "kron()", []),
    "rot90": (tg.rot90, lambda t, a: t.rot90(a), [_A], "rot90()", []),
    "dist": (tg.dist, lambda t, a, b: t.dist(a, b), [_A, _B], "dist()", ["other"]),
    "cdist": (tg.cdist, lambda t, a, b: t.cdist(a, b), [_A, _B], "cdist()", []),
    "nll_loss": (lambda x: F.nll_loss(x, tg.as_tensor([2, 0, 1])),
                 lambda t, x: t.nn.functional.nll_loss(x, t.tensor([2, 0, 1])), [_LOGP],
                 "F.nll_loss()", []),
    "binary_cross_entropy_with_logits": (
        F.binary_cross_entropy_with_logits,
        lambda t, x, y: t.nn.functional.binary_cross_entropy_with_logits(x, y),
        [_A, _C / 2], "F.binary_cross_entropy_with_logits()", ["target"]),
    "view_copy": (lambda x: tg.view_copy(x, (9,)), lambda t, x: t.view_copy(x, (9,)), [_A],
                  "view_copy()", []),
    "permute_copy": (lambda x: tg.permute_copy(x, (1, 0)),
                     lambda t, x: t.permute_copy(x, (1, 0)), [_A], "permute_copy()", []),
}


def _call_frames(source: str) -> set[tuple[str, ...]]:
    """The frames the ops and their results are drawn in (the leaves stand outside)."""
    return {where for where in _frames_of(source).values() if where}


@pytest.mark.parametrize("name", sorted(_CASES))
def test_a_declared_function_is_one_call_with_torchs_values_and_gradients(name):
    torch = pytest.importorskip("torch")
    ours, theirs, arrays, title, _ = _CASES[name]
    xs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = _values(ours(*xs)), _values(theirs(torch, *ts))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = _RNG.uniform(0.5, 1.5, out.shape)  # (every entry's gradient a different one)
    (out * tg.Tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert _call_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source) == {
        (title,)}
    assert title in tg.draw_graph(out, max_nodes=4).source  # (a large graph: one box)


@pytest.mark.parametrize("name", sorted(n for n in _CASES if _CASES[n][4]))
def test_the_data_a_declared_function_was_given_is_named_by_its_parameter(name):
    ours, _, arrays, title, names = _CASES[name]
    for k, parameter in enumerate(names, start=1):  # (that argument data, the others not)
        tensors = [tg.Tensor(a, requires_grad=j != k) for j, a in enumerate(arrays)]
        frames = {html.unescape(label): where for label, where in _frames_of(tg.draw_graph(
            _values(ours(*tensors)), open_modules=True, max_nodes=None).source).items()}
        shape = ", ".join(map(str, arrays[k].shape))
        labels = [label for label in frames if label.startswith(f"{parameter} ({shape})")]
        assert len(labels) == 1 and frames[labels[0]] == (), frames  # (an input: outside)
        assert title in {t for where in frames.values() for t in where}


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_a_masked_function_is_its_call(name):
    x = tg.Tensor(_A, requires_grad=True)
    mask = _A > 0
    out = getattr(tg.masked, name)(x * 2, 1, mask=tg.Tensor(mask, dtype=bool))
    count = mask.sum(1) if name == "mean" else 1
    np.testing.assert_allclose(out.numpy(), np.where(mask, 2 * _A, 0).sum(1) / count,
                               rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * mask / np.reshape(count, (-1, 1)),
                               rtol=1e-12)
    assert _call_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source) == {
        (f"masked.{name}()",)}


def test_one_rendered_svg_shows_the_call_its_named_data_and_its_result(tmp_path):
    a = tg.Tensor(_A, requires_grad=True)
    c = tg.Tensor(_C, requires_grad=True)
    out = tg.addcmul(a, tg.Tensor(_B), c, value=0.5).sum()
    path, text = _render(out, tmp_path, "addcmul", open_modules=True, max_nodes=None)
    svg = path.read_text()
    assert svg.count(">addcmul()<") == 1  # the frame's one title
    assert "tensor1 (3, 3)" in text
    assert "addcmul() result (3, 3)" in text
    assert out.item() == pytest.approx(float(np.sum(_A + 0.5 * _B * _C)))


# ------------------------------------------------------------------ what tagging late must keep


def test_a_function_the_packages_module_calls_draws_only_the_module():
    x = tg.Tensor(_LOGP, requires_grad=True)
    out = nn.NLLLoss()(x, tg.as_tensor([2, 0, 1]))
    assert out.item() == pytest.approx(-np.mean(_LOGP[[0, 1, 2], [2, 0, 1]]))
    frames = _call_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source)
    assert frames == {("NLLLoss",)}


def test_a_declared_function_inside_a_users_module_nests_in_its_frame():
    class Total(nn.Module):
        def forward(self, v):
            return tg.nansum(v * 2.0)

    x = tg.Tensor(_NAN, requires_grad=True)
    out = Total()(x)
    assert out.item() == pytest.approx(2 * np.nansum(_NAN))
    assert ("Total", "nansum()") in _call_frames(tg.draw_graph(out, open_modules=True,
                                                               max_nodes=None).source)


def test_a_module_called_inside_a_users_declared_function_nests_inside_it():
    layer = nn.Linear(3, 2, seed=0)

    @drawn_as_call("step()")
    def step(model, v):
        return tg.nansum(model(v))  # (nansum right inside step(): part of step())

    v = tg.Tensor(_A)
    out = step(layer, v)
    expected = np.sum(_A @ layer.weight.numpy().T + layer.bias.numpy())
    assert out.item() == pytest.approx(expected)
    frames = _call_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source)
    assert frames == {("step()",), ("step()", "step()/Linear(3 -> 2)")}, frames


def test_nested_declared_functions_draw_the_outer_call_only():
    @drawn_as_call("spread()")
    def spread(x, y):
        return tg.cdist(tg.hstack([x, y]), tg.vstack([x, y]).T)

    a, b = (tg.Tensor(v, requires_grad=True) for v in (_A, _B))
    out = spread(a, b)
    joined = np.hstack([_A, _B])
    expected = np.linalg.norm(joined[:, None, :] - np.vstack([_A, _B]).T[None], axis=-1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert _call_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source) == {
        ("spread()",)}


def test_several_results_and_an_argument_given_back():
    x = tg.Tensor(_A, requires_grad=True)
    values, indices = tg.kthvalue(x, 2, 1)
    np.testing.assert_array_equal(indices.numpy(), np.argsort(_A, 1)[:, 1])
    out = values.sum() + tg.cummax(x, 0).values.sum()
    frames = _call_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source)
    assert frames == {("kthvalue()",), ("cummax()",)}

    given = drawn_as_call("same()")(lambda t: t)
    y = x * 2
    assert given(y) is y  # (the result is an argument: no call to draw)
    assert _call_frames(tg.draw_graph(y.sum(), open_modules=True, max_nodes=None).source) == set()


def test_a_call_that_raises_tags_nothing_and_the_next_call_is_drawn():
    x = tg.Tensor(_A, requires_grad=True)
    with pytest.raises(ValueError, match="addcmul"):
        tg.addcmul(x, tg.Tensor(np.ones((4, 4))), x)
    out = tg.addcmul(x * 1.0, x, x)
    np.testing.assert_allclose(out.numpy(), _A + _A * _A, rtol=1e-12)
    assert _call_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source) == {
        ("addcmul()",)}


def test_two_threads_calling_at_once_each_draw_their_own_call():
    barrier, results, errors = threading.Barrier(2), {}, []

    def run(name, call, value):
        try:
            x = tg.Tensor(value, requires_grad=True)
            barrier.wait()
            outs = [call(x * 1.0) for _ in range(50)]
            results[name] = (outs[-1], value)
        except Exception as error:  # (reported below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=("nansum", tg.nansum, _NAN)),
               threading.Thread(target=run, args=("kron", lambda x: tg.kron(x, x), _A))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for name, (out, value) in results.items():
        expected = np.nansum(value) if name == "nansum" else np.kron(value, value)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
        assert _call_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source) == {
            (f"{name}()",)}


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_copied_graph_still_draws_the_call(how):
    x = tg.Tensor(_A, requires_grad=True)
    out = tg.cdist(x * 2, tg.Tensor(_B))  # (copied before any diagram read it)
    copied = pickle.loads(pickle.dumps(out)) if how == "pickle" else copy.deepcopy(out)
    np.testing.assert_allclose(copied.numpy(), out.numpy(), rtol=0)
    for graph in (copied, out):
        assert _call_frames(tg.draw_graph(graph, open_modules=True, max_nodes=None).source) \
            == {("cdist()",)}


# ------------------------------------------------------------------ the NaN given on purpose


@pytest.mark.parametrize("name", ["nansum", "nanmean"])
def test_the_nan_given_to_nansum_on_purpose_is_said_left_out_not_red(tmp_path, name):
    x = tg.Tensor(_NAN, requires_grad=True)
    out = getattr(tg, name)(x)
    out.backward()
    present = ~np.isnan(_NAN)
    expected = np.nansum(_NAN) if name == "nansum" else np.nanmean(_NAN)
    assert out.item() == pytest.approx(expected)
    np.testing.assert_allclose(x.grad.numpy(), present / (1 if name == "nansum"
                                                          else present.sum()), rtol=1e-12)
    for mode in ("forward", "backward"):
        path, text = _render(out, tmp_path, f"{name}-{mode}", mode=mode)
        assert not _red_nodes(path), _red_nodes(path)
        assert f"NaN left out by {name}()" in text and "NaN in data" not in text
    with pytest.raises(ValueError, match="no NaN or Inf"):
        tg.draw_anomaly(out)


def test_the_same_nan_used_outside_the_call_or_reaching_its_result_is_still_red(tmp_path):
    x = tg.Tensor(_NAN, requires_grad=True)
    path, text = _render(tg.nansum(x) + x.sum(), tmp_path, "outside")
    assert any(n.startswith("parameter (3, 3)") and "NaN in data" in n
               for n in _red_nodes(path))
    assert "left out" not in text
    whole = tg.Tensor(np.array([[np.nan, np.nan], [1.0, 2.0]]), requires_grad=True)
    out = tg.nanmean(whole, 1)  # (a row all NaN: NaN in the result, as NumPy's)
    assert np.isnan(out.numpy()[0])
    path, text = _render(out.sum(), tmp_path, "reaching")
    assert any(n.startswith("parameter (2, 2)") and "NaN in data" in n
               for n in _red_nodes(path))
    assert "left out" not in text
    assert [text for text, _, _ in _nodes(path) if text.startswith("output")]
