"""What a reader sees in the diagrams of functions made of several ops, read from rendered SVGs.

- A public function made of several ops (`tg.*_copy`, `tg.svd_lowrank`, `tg.pca_lowrank`,
  `F.linear_cross_entropy`, `nn.utils.rnn`'s packing and padding) is drawn as the call the
  user wrote: a dashed frame titled `permute_copy()` around its ops in a small graph, one
  box `svd_lowrank()` in a large one, its result named after it. They were drawn as bare
  ops (`permute`, `clone`; `cat`, `getitem`), the result as `clone result`. A function
  the package's own module or function calls draws no frame of its own (the user called
  the module: `LinearCrossEntropyLoss`, `pca_lowrank()`).
- The several results of one folded call are numbered (`LSTM result #1`, `#2`, `#3`):
  each was `LSTM result`, an LSTM's output and its two states alike.
- Part of a registered buffer an op of constants took (`self.scale[:2]`) is named after
  the buffer, `getitem of scale`, in the buffer's style: it was `getitem of constants`,
  drawn as data.
- A mask's fill (the constant NaN or inf a `where` puts where a mask leaves entries out:
  tg.masked.median's NaN, amin's and softmin's inf) is no fault when the output is
  finite: it was marked red, "NaN in data", and `draw_anomaly` blamed it before a real
  fault.

Numbers are checked against NumPy's own computation, never against the drawing code.
"""
from __future__ import annotations

import html
import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

from test_graph_labels import needs_dot, svg_texts

pytestmark = needs_dot


def _seen(output: Tensor, tmp_path, name: str, **options) -> str:
    """The text of the picture of `output`, rendered as an SVG."""
    return svg_texts(tg.render_graph(output, tmp_path / f"{name}.svg", **options))


def _box_numbers(text: str, title: str) -> tuple[np.ndarray, np.ndarray]:
    """The result and gradient a folded call's box `title` shows (`result [3.8, 2.2]`)."""
    found = re.search(re.escape(title) + r" function call: \d+ nodes "
                      r"result \[([^\]]*)\] grad \[([^\]]*)\]", text)
    assert found is not None, text
    return tuple(np.array([float(v) for v in found.group(k).split(",")]) for k in (1, 2))


# ---------------------------------------------------------------------------------------
# Functions made of several ops, drawn as the call the user wrote


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_a_copy_function_is_drawn_as_its_call_around_the_view_and_clone(tmp_path, mode):
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="x")
    weights = Tensor([[1.0, 10.0], [100.0, 1000.0], [0.5, 0.25]], name="weights")
    loss = (tg.permute_copy(x, (1, 0)) * weights).sum()
    text = _seen(loss, tmp_path, "permute_copy", mode=mode)
    assert "permute_copy()" in text  # the frame's title
    assert "permute_copy() result (3, 2)" in text and "clone result" not in text
    assert "permute" in text and "clone" in text  # the ops inside stay drawn
    assert "1 4 2 5 3 6" in text  # the copy's values: x transposed, row by row
    if mode == "backward":  # x's gradient: the weights transposed back
        assert " ".join(f"{v:g}" for v in np.array(weights.data).T.ravel()) in text


def test_a_copy_giving_several_tensors_names_the_one_used_after_the_call(tmp_path):
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="x")
    loss = (tg.unbind_copy(x)[1] * Tensor([1.0, 2.0, 3.0], name="w")).sum()
    text = _seen(loss, tmp_path, "unbind_copy")
    assert "unbind_copy()" in text and "unbind_copy() result (3,)" in text
    assert "data [4, 5, 6]" in text.replace(".0", "")


def _low_rank(rows: int = 5, columns: int = 4) -> np.ndarray:
    """A matrix of rank 2: svd_lowrank with q=2 gives its singular values exactly."""
    rng = np.random.default_rng(3)
    return rng.normal(size=(rows, 2)) @ rng.normal(size=(2, columns))


@pytest.mark.parametrize("function", ["svd_lowrank", "pca_lowrank"])
def test_a_low_rank_decomposition_folds_into_one_box_named_as_called(tmp_path, function):
    values = _low_rank()
    a = Tensor(values, requires_grad=True, name="A")
    tg.manual_seed(0)
    _, s, _ = getattr(tg, function)(a, q=2)
    text = _seen(s.sum(), tmp_path, function, mode="backward")
    assert f"{function}() function call:" in text
    assert "svd_lowrank()" not in text.replace(f"{function}()", "")  # (pca's own call: none)
    centred = values - values.mean(axis=0) if function == "pca_lowrank" else values
    expected = np.linalg.svd(centred, compute_uv=False)[:2]
    result, grad = _box_numbers(text, f"{function}()")
    np.testing.assert_allclose(result, expected, rtol=1e-3)
    np.testing.assert_allclose(grad, [1.0, 1.0])  # d sum(S) / d S


def test_the_several_results_of_a_folded_function_call_are_told_apart(tmp_path):
    a = Tensor(_low_rank(), requires_grad=True, name="A")
    tg.manual_seed(0)
    u, s, _ = tg.svd_lowrank(a, q=2)
    text = _seen(u.sum() + s.sum(), tmp_path, "two_results", mode="backward")
    assert "svd_lowrank() result #1" in text and "svd_lowrank() result #2" in text
    assert not re.search(r"svd_lowrank\(\) result(?! #)", text)


def _cross_entropy(logits: np.ndarray, target: list[int]) -> float:
    """The mean cross-entropy, from the log-softmax formula."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(target)), target].mean())


def test_linear_cross_entropy_is_framed_as_called_and_its_loss_is_the_formulas(tmp_path):
    x = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], requires_grad=True, name="x")
    w = Tensor(np.arange(12.0).reshape(4, 3) / 10, requires_grad=True, name="W")
    loss = F.linear_cross_entropy(x, w, tg.as_tensor([1, 3]))
    text = _seen(loss, tmp_path, "linear_cross_entropy")
    assert "F.linear_cross_entropy()" in text
    expected = _cross_entropy(np.array(x.data) @ np.array(w.data).T, [1, 3])
    shown = float(re.search(r"output data (\S+)", text).group(1))
    assert shown == pytest.approx(expected, rel=1e-3)


def test_a_function_a_module_of_the_package_calls_draws_only_the_module(tmp_path):
    tg.manual_seed(0)
    loss_module = nn.LinearCrossEntropyLoss(3, 4)
    x = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], requires_grad=True, name="x")
    text = _seen(loss_module(x, tg.as_tensor([1, 3])), tmp_path, "module")
    assert "LinearCrossEntropyLoss" in text and "linear_cross_entropy()" not in text


def test_a_function_called_in_the_users_own_module_is_framed_inside_it(tmp_path):
    class Swap(nn.Module):  # the user's module: its forward calls the function
        def forward(self, x):
            return tg.t_copy(x) * 2

    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    text = _seen(Swap()(x).sum(), tmp_path, "users_module")
    assert "Swap" in text and "t_copy()" in text and "t_copy() result" in text


@pytest.mark.parametrize("function", ["pad_sequence", "pack_sequence"])
def test_padding_and_packing_are_drawn_as_the_call(tmp_path, function):
    a = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True, name="a")
    b = Tensor([[7.0, 8.0]], requires_grad=True, name="b")
    made = getattr(nn.utils.rnn, function)([a, b])
    data = made if function == "pad_sequence" else made.data
    text = _seen(data.sum(), tmp_path, function, mode="backward")
    assert f"{function}()" in text
    assert f"{function}() function call:" in text or f"∂/∂({function}() result)" in text


# ---------------------------------------------------------------------------------------
# Several results of one folded module call


def test_an_lstms_output_and_states_are_numbered_results_of_its_box(tmp_path):
    tg.manual_seed(0)
    lstm = nn.LSTM(2, 2)
    out, (h, c) = lstm(tg.as_tensor(np.ones((2, 1, 2))))
    text = _seen(out.sum() + h.sum() + c.sum(), tmp_path, "lstm", mode="backward", model=lstm)
    named = set(re.findall(r"∂/∂(LSTM result[^=]*?) =", text))
    assert named == {"LSTM result #1", "LSTM result #2", "LSTM result #3"}, text


# ---------------------------------------------------------------------------------------
# A slice of a buffer


class _Scaled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 2, seed=0)
        self.register_buffer("scale", tg.as_tensor([10.0, 20.0, 30.0, 40.0]))

    def forward(self, x):
        return self.lin(x) * self.scale[:2]


@pytest.mark.parametrize("given", [True, False])
def test_part_of_a_buffer_is_named_after_the_buffer(tmp_path, given):
    model = _Scaled()
    out = model(tg.as_tensor([[1.0, 2.0, 3.0]])).sum()
    text = _seen(out, tmp_path, "buffer", legend=True, **({"model": model} if given else {}))
    assert "getitem of scale (2,) data [10, 20]" in text.replace(".0", "")
    assert "of constants" not in text and "buffer (model state)" in text


# ---------------------------------------------------------------------------------------
# A mask's fill is no fault


M = [[True, False, True], [True, True, False]]


@pytest.mark.parametrize("function", ["median", "amin"])
def test_a_masks_nan_or_inf_fill_is_not_marked_as_a_fault(tmp_path, function):
    values = np.array([[1.0, 9.0, 3.0], [4.0, 5.0, 9.0]])
    x = Tensor(values, requires_grad=True, name="x")
    out = getattr(tg.masked, function)(x, 1, mask=tg.as_tensor(M)).sum()
    for mode in ("forward", "backward"):
        text = _seen(out, tmp_path, f"{function}_{mode}", mode=mode, legend=True)
        assert "in data" not in text and "NaN or Inf" not in text, text
        assert re.search(r"where (nan|inf)", text)
    kept = np.where(M, values, np.nan)
    expected = (np.nanmin(kept, axis=1) if function == "amin" else
                np.sort(kept, axis=1)[np.arange(2), (np.sum(M, axis=1) - 1) // 2])
    shown = float(re.search(r"output data (\S+)", text).group(1))
    assert shown == pytest.approx(expected.sum())


def test_a_softmins_inf_fill_is_not_marked_but_an_infinite_output_still_is(tmp_path):
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="x")
    weights = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], name="weights")
    mask = tg.as_tensor(M)
    finite = (tg.masked.softmin(x, 1, mask=mask) * weights).sum()
    assert "Inf in data" not in _seen(finite, tmp_path, "finite")
    left_out = tg.as_tensor([[True, True, True], [False, False, False]])  # a row all out
    infinite = tg.masked.amin(x, 1, mask=left_out).sum()
    assert "Inf in data" in _seen(infinite, tmp_path, "infinite")


def test_a_nan_from_the_users_data_through_where_is_still_marked(tmp_path):
    x = Tensor([[1.0, np.nan, 3.0]], requires_grad=True, name="x")
    kept = tg.where(tg.as_tensor([[True, True, False]]), x, 0.0)
    out = tg.nansum(kept)
    assert "NaN in data" in _seen(out, tmp_path, "users_nan")


def test_draw_anomaly_passes_a_masks_fill_and_finds_the_real_fault(tmp_path):
    x = Tensor([[1.0, 9.0, 3.0], [4.0, 5.0, 9.0]], requires_grad=True, name="x")
    y = Tensor([0.0, 4.0], requires_grad=True, name="y")
    out = tg.masked.median(x, 1, mask=tg.as_tensor(M)).sum() + y.sqrt().sum()
    source = html.unescape(tg.draw_anomaly(out).source)
    marked = [line for line in source.splitlines() if "#ffc9c9" in line]
    assert len(marked) == 1 and "sqrt" in marked[0] and "where" not in marked[0], marked
