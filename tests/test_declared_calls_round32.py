"""Composed functions drawn as the call the learner wrote (thirty-second round).

- `tg.nansum`, `nanmean`, `median`, `kthvalue`, `cummax`, the joins, `addcmul`, `cross`,
  `kron`, `cdist` and kin, `F.nll_loss` and `F.binary_cross_entropy_with_logits` called as
  functions, the masked and `*_copy` functions: each drawn as one call titled as called
  (`nansum()`; `tg.linalg.cross` `linalg.cross()`, `tg.binary_cross_entropy_with_logits`
  without F's `F.`), every op of it inside its frame, its data named by the parameter it
  was passed as (`tensor1`, `tensors[1]`, `target`), its values and gradients PyTorch's.
- What a declared call draws, in the cases that tagging its ops any later than as they
  run got wrong: a list given by keyword or a deque (the user's ops before it stay
  outside), a tensor the function read from elsewhere (its ops stay outside), a result
  through a module's backward hook, a graph copied before any drawing, two threads
  drawing one graph at once; and a call inside the package's own module, two threads
  calling, a call that raises, several results, an argument given back, nested declared
  calls, a module called inside a declared function.
- The NaN a learner gives `nansum` on purpose reads `NaN left out by nansum()`, not red.

Values are checked against torch or NumPy, never against the drawing code.
"""
from __future__ import annotations

import collections
import copy
import html
import pickle
import sys
import threading

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F
from tinygrad_gd.nn.utils import rnn
from tinygrad_gd.scope import FunctionCall, drawn_as_call, function_call

from test_diagrams_names_round31 import _op_frames
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
    "linalg.cross": (tg.linalg.cross, lambda t, a, b: t.linalg.cross(a, b), [_A, _B],
                     "linalg.cross()", []),
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
    "tg.binary_cross_entropy_with_logits": (
        tg.binary_cross_entropy_with_logits,
        lambda t, x, y: t.binary_cross_entropy_with_logits(x, y),
        [_A, _C / 2], "binary_cross_entropy_with_logits()", ["target"]),
    "view_copy": (lambda x: tg.view_copy(x, (9,)), lambda t, x: t.view_copy(x, (9,)), [_A],
                  "view_copy()", []),
    "permute_copy": (lambda x: tg.permute_copy(x, (1, 0)),
                     lambda t, x: t.permute_copy(x, (1, 0)), [_A], "permute_copy()", []),
}


def _call_frames(out) -> set[tuple[str, ...]]:
    """The frames the op nodes of `out`'s opened diagram are drawn in, each op's: () among
    them for an op outside every frame."""
    source = tg.draw_graph(out, open_modules=True, max_nodes=None).source
    return {where for _, where in _op_frames(source)}


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
    assert _call_frames(out) == {(title,)}  # (every op inside the call's frame)
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
    out = getattr(tg.masked, name)(x, 1, mask=tg.Tensor(mask, dtype=bool))
    count = mask.sum(1) if name == "mean" else 1
    np.testing.assert_allclose(out.numpy(), np.where(mask, _A, 0).sum(1) / count, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), mask / np.reshape(count, (-1, 1)), rtol=1e-12)
    assert _call_frames(out) == {(f"masked.{name}()",)}


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


def test_a_function_call_block_draws_its_ops_as_one_call():
    def scaled_total(v, scale):
        """(the function the block stands for: its parameters name what it was given)"""

    x = tg.Tensor(_NAN, requires_grad=True)
    with function_call("scaled_total()", scaled_total, (x, 2.0)) as call:
        out = tg.nansum(x) * 2.0  # (nansum inside it: part of it, no frame of its own)
    assert isinstance(call, FunctionCall) and call.title == "scaled_total()"
    assert out.item() == pytest.approx(2 * np.nansum(_NAN))
    assert _call_frames(out) == {("scaled_total()",)}


# ------------------------------------------------------------------ what each call draws


def test_a_function_the_packages_module_calls_draws_only_the_module():
    x = tg.Tensor(_LOGP, requires_grad=True)
    out = nn.NLLLoss()(x, tg.as_tensor([2, 0, 1]))
    assert out.item() == pytest.approx(-np.mean(_LOGP[[0, 1, 2], [2, 0, 1]]))
    assert _call_frames(out) == {("NLLLoss",)}


class _Total(nn.Module):
    """nansum of twice its input: a learner's module calling a declared function."""

    def forward(self, v):
        return tg.nansum(v * 2.0)


def test_a_declared_function_inside_a_users_module_nests_in_its_frame():
    x = tg.Tensor(_NAN, requires_grad=True)
    out = _Total()(x)
    assert out.item() == pytest.approx(2 * np.nansum(_NAN))
    ops = _op_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source)
    assert sorted(ops) == [("masked_fill 0", ("_Total", "nansum()")),
                           ("sum", ("_Total", "nansum()")), ("× 2", ("_Total",))], ops


def test_a_module_called_inside_a_users_declared_function_nests_inside_it():
    layer = nn.Linear(3, 2, seed=0)

    @drawn_as_call("step()")
    def step(model, v):
        return tg.nansum(model(v))  # (nansum right inside step(): part of step())

    v = tg.Tensor(_A)
    out = step(layer, v)
    expected = np.sum(_A @ layer.weight.numpy().T + layer.bias.numpy())
    assert out.item() == pytest.approx(expected)
    ops = _op_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source)
    assert sorted(ops) == [("linear", ("step()", "step()/Linear(3 -> 2)")),
                           ("masked_fill 0", ("step()",)), ("sum", ("step()",))], ops


def test_nested_declared_functions_draw_the_outer_call_only():
    @drawn_as_call("spread()")
    def spread(x, y):
        return tg.cdist(tg.hstack([x, y]), tg.vstack([x, y]).T)

    a, b = (tg.Tensor(v, requires_grad=True) for v in (_A, _B))
    out = spread(a, b)
    joined = np.hstack([_A, _B])
    expected = np.linalg.norm(joined[:, None, :] - np.vstack([_A, _B]).T[None], axis=-1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert _call_frames(out) == {("spread()",)}


def test_several_results_and_an_argument_given_back():
    x = tg.Tensor(_A, requires_grad=True)
    values, indices = tg.kthvalue(x, 2, 1)
    np.testing.assert_array_equal(indices.numpy(), np.argsort(_A, 1)[:, 1])
    np.testing.assert_allclose(values.numpy(), np.sort(_A, 1)[:, 1], rtol=0)
    assert _call_frames(values) == {("kthvalue()",)}
    assert _call_frames(tg.cummax(x, 0).values) == {("cummax()",)}

    given = drawn_as_call("same()")(lambda t: t)
    y = x * 2
    assert given(y) is y  # (the result is an argument: no call to draw)
    assert _call_frames(y) == {()}


def test_a_call_that_raises_tags_nothing_and_the_next_call_is_drawn():
    x = tg.Tensor(_A, requires_grad=True)
    with pytest.raises(ValueError, match="addcmul"):
        tg.addcmul(x, tg.Tensor(np.ones((4, 4))), x)
    y = tg.Tensor(_B, requires_grad=True)
    out = tg.addcmul(y, x, x)
    np.testing.assert_allclose(out.numpy(), _B + _A * _A, rtol=1e-12)
    assert _call_frames(out) == {("addcmul()",)}
    assert _call_frames(x * 3.0) == {()}  # (no call left running after the refusal)


def test_two_threads_calling_at_once_each_draw_their_own_call():
    barrier, results, errors = threading.Barrier(2), {}, []

    def run(name, call, value):
        try:
            x = tg.Tensor(value, requires_grad=True)
            barrier.wait()
            outs = [call(x) for _ in range(50)]
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
        assert _call_frames(out) == {(f"{name}()",)}


def _made_before(x):
    """Two tensors the learner made with ops before the call: (x * 2).exp() and x.log()."""
    return (x * 2.0).exp(), x.log()


_SEQUENCE_CALLS = {  # how the list is given -> (the call, NumPy's values, its title, name)
    "hstack(tensors=[a, b])": (lambda a, b: tg.hstack(tensors=[a, b]), np.hstack,
                               "hstack()", "tensors"),
    "hstack(deque([a, b]))": (lambda a, b: tg.hstack(collections.deque([a, b])), np.hstack,
                              "hstack()", "tensors"),
    "pad_sequence(sequences=[a, b])": (lambda a, b: rnn.pad_sequence(sequences=[a, b]),
                                       lambda ab: np.stack(ab, 1), "pad_sequence()",
                                       "sequences"),
}


@pytest.mark.parametrize("how", sorted(_SEQUENCE_CALLS))
def test_a_list_given_by_keyword_or_a_deque_leaves_the_learners_ops_outside(how):
    call, numpy_form, title, parameter = _SEQUENCE_CALLS[how]
    x = tg.Tensor(_C, requires_grad=True)
    made, data = _made_before(x)[0], tg.Tensor(_B)
    out = call(made, data)
    np.testing.assert_allclose(out.numpy(), numpy_form([np.exp(2 * _C), _B]), rtol=1e-12)
    source = tg.draw_graph(out, open_modules=True, max_nodes=None).source
    ops = _op_frames(source)
    assert sorted(op for op in ops if not op[1]) == [("exp", ()), ("× 2", ())], ops
    assert {where for _, where in ops if where} == {(title,)}
    frames = {html.unescape(label): where for label, where in _frames_of(source).items()}
    named = [label for label in frames if label.startswith(f"{parameter}[1] (3, 3)")]
    assert len(named) == 1 and frames[named[0]] == (), frames  # (its data, an input)


def test_a_tensor_a_declared_function_read_from_elsewhere_keeps_its_ops_outside():
    x = tg.Tensor(_A, requires_grad=True)
    elsewhere = (x * 3.0).exp()
    shifted = drawn_as_call("shifted()")(lambda v: v + elsewhere)
    out = shifted(x)
    np.testing.assert_allclose(out.numpy(), _A + np.exp(3 * _A), rtol=1e-12)
    ops = _op_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source)
    assert sorted(ops) == [("add", ("shifted()",)), ("exp", ()), ("× 3", ())], ops


def test_a_result_through_a_modules_backward_hook_is_drawn_in_the_call():
    layer, heard = nn.Linear(3, 2, seed=0), []
    layer.register_full_backward_hook(lambda module, grad_in, grad_out: heard.append(1))
    step = drawn_as_call("step()")(lambda v: layer(v * 2.0))
    x = tg.Tensor(_A, requires_grad=True)
    out = step(x).sum()
    out.backward()
    weights = layer.weight.numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.tile(weights.sum(0), (3, 1)), rtol=1e-12)
    assert heard == [1]
    ops = _op_frames(tg.draw_graph(out, open_modules=True, max_nodes=None).source)
    inside = ("step()", "step()/Linear(3 -> 2)")
    assert sorted(ops) == [("linear", inside), ("sum", ()), ("× 2", ("step()",))], ops


@drawn_as_call("step()")
def _step(model, v):
    """3 * model(v): a learner's declared function calling a module that calls nansum."""
    return model(v) * 3.0


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_graph_copied_before_any_drawing_keeps_each_call(how):
    x = tg.Tensor(_NAN, requires_grad=True)
    out = _step(_Total(), x)  # (copied before any diagram read it)
    copied = pickle.loads(pickle.dumps(out)) if how == "pickle" else copy.deepcopy(out)
    np.testing.assert_allclose(copied.numpy(), 6 * np.nansum(_NAN), rtol=1e-12)
    expected = [("masked_fill 0", ("step()", "step()/_Total", "nansum()")),
                ("sum", ("step()", "step()/_Total", "nansum()")),
                ("× 2", ("step()", "step()/_Total")), ("× 3", ("step()",))]
    for graph in (copied, out):
        ops = _op_frames(tg.draw_graph(graph, open_modules=True, max_nodes=None).source)
        assert sorted(ops) == expected, ops


_EARLY = 1000  # ops of the long call below: long enough that a drawing ran beside another


def test_two_threads_drawing_one_graph_at_once_each_see_every_op_in_the_call():
    kept = []  # (a learner keeping the call's first op's result, to draw it)

    @drawn_as_call("chain()")
    def chain(v):
        for _ in range(_EARLY):
            v = v * 1.0
            kept.append(v)
        return v

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # (the threads take turns often: drawings overlap)
    try:
        for _ in range(12):
            kept.clear()
            out = chain(tg.Tensor([1.0, 2.0], requires_grad=True))
            barrier, drawn = threading.Barrier(2), {}

            def draw(name, tensor, **options):
                barrier.wait()
                drawn[name] = tg.draw_graph(tensor, open_modules=True, **options).source

            threads = [threading.Thread(target=draw, args=("whole", out), kwargs={
                           "max_nodes": 50}),
                       threading.Thread(target=draw, args=("first", kept[0]), kwargs={
                           "max_nodes": None})]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert _op_frames(drawn["first"]) == [("× 1", ("chain()",))]
            assert "chain()" in drawn["whole"]
    finally:
        sys.setswitchinterval(interval)
    np.testing.assert_allclose(out.numpy(), [1.0, 2.0], rtol=0)


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


@pytest.mark.parametrize("call, shape", [("bce", "(2, 3)"), ("dist", "(3,)"),
                                         ("hstack", "(2, 1)")])
def test_data_given_as_an_array_or_a_list_is_drawn_as_an_input_not_the_calls_own(call, shape):
    """An array or list the user gives a declared call is turned into a tensor inside it:
    it was drawn as `constant in F.binary_cross_entropy_with_logits()` inside the frame
    (found in review), where the same data given as a tensor, or to the module, is drawn
    outside as an input."""
    x = tg.Tensor(np.array([[0.5, -1.0, 2.0], [2.0, 0.1, -0.3]]), requires_grad=True)
    data = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]])
    out = {"bce": lambda: F.binary_cross_entropy_with_logits(x, data),
           "dist": lambda: tg.dist(x, [1.0, 2.0, 3.0]),
           "hstack": lambda: tg.hstack([x, np.ones((2, 1))]).sum()}[call]()
    frames = _frames_of(tg.draw_graph(out, open_modules=True, max_nodes=None).source)
    data_nodes = {text.split(" data")[0]: where for text, where in frames.items()
                  if f" {shape} data" in text and not text.startswith(("parameter", "output"))
                  and " result " not in f" {text}" and " of constants" not in text}
    assert data_nodes == {f"input {shape}": ()}, frames
