"""Tests of tg.nn: Module bookkeeping, state dicts, Linear and its inits, activations,
Dropout, the losses (values, gradients, stability, errors) and entry-wise freezing."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F
from tinygrad_gd.engine import toposort


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _mlp(seed=0):
    return nn.Sequential(nn.Linear(3, 4, seed=seed), nn.ReLU(),
                         nn.Sequential(nn.Linear(4, 2, seed=seed + 1), nn.Sigmoid()))


# ------------------------------------------------------------------ Module bookkeeping


def test_named_parameters_have_dotted_names_in_nested_sequentials():
    model = _mlp()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    assert model.parameters()[2] is model[2][0].weight
    assert [p.shape for p in model.parameters()] == [(4, 3), (4,), (2, 4), (2,)]


class _TwoLayer(nn.Module):
    # deliberately no super().__init__(): attributes alone make the structure
    def __init__(self):
        self.hidden = nn.Linear(2, 3, seed=0)
        self.blocks = [nn.Linear(3, 3, seed=1), nn.Tanh(), nn.Linear(3, 1, seed=2, bias=False)]
        self.scale = nn.Parameter([2.0])
        self.note = "not a member"

    def forward(self, x):
        x = self.hidden(x).relu()
        for block in self.blocks:
            x = block(x)
        return x * self.scale


def test_custom_module_finds_attributes_lists_and_parameters():
    model = _TwoLayer()
    # a module's own parameters first, then its sub-modules' (PyTorch's order)
    assert [n for n, _ in model.named_parameters()] == [
        "scale", "hidden.weight", "hidden.bias", "blocks.0.weight", "blocks.0.bias",
        "blocks.2.weight"]
    assert [n for n, _ in model.named_modules()] == ["", "hidden", "blocks.0", "blocks.1",
                                                     "blocks.2"]
    assert [n for n, _ in model.named_children()] == ["hidden", "blocks.0", "blocks.1", "blocks.2"]
    assert model.children()[0] is model.hidden
    assert model.training is True
    assert [n for n, _ in model.named_parameters(recurse=False)] == ["scale"]


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2, seed=0)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(model.named_modules()) == 3  # the Sequential, the Linear once, the ReLU


def test_module_referring_back_to_its_parent_does_not_loop():
    outer = nn.Sequential(nn.Linear(2, 2, seed=0))
    outer[0].owner = outer
    assert [n for n, _ in outer.named_parameters()] == ["0.weight", "0.bias"]


def test_train_and_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.Sequential(nn.Dropout(0.5, seed=0)))
    assert model.eval() is model
    assert [m.training for m in model.modules()] == [False, False, False, False]
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_clears_or_zeroes():
    model = _mlp()
    model(np.ones((2, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_zero_grad_keeping_tensors_gives_no_gradient_to_a_frozen_layer():
    model = _mlp()
    model[0].weight.requires_grad_(False)
    model.zero_grad(set_to_none=False)
    assert model[0].weight.grad is None
    model(np.ones((2, 3))).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model[0].weight.grad is None and not model[0].bias.grad.data.any()


def test_call_records_the_module_scope_on_graph_nodes():
    model = _mlp()
    out = model(Tensor(np.ones((2, 3))))
    inner, layer = model[2], model[2][0]
    assert out.grad_fn.scope == (model, inner, inner[1])  # the sigmoid
    scopes = {node.grad_fn.scope for node in toposort(out) if node.grad_fn is not None}
    assert (model, model[0]) in scopes and (model, inner, layer) in scopes
    outside = out * 2
    assert outside.grad_fn.scope == ()


def test_module_without_forward_says_so():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty defines no forward"):
        Empty()(1.0)


def test_repr_shows_the_structure():
    text = repr(_mlp())
    assert "(0): Linear(in_features=3, out_features=4, bias=True)" in text
    assert "(2): Sequential(\n    (0): Linear(in_features=4, out_features=2, bias=True)" in text


def test_parameter_is_a_trainable_leaf_tensor():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf and p.dtype == np.float64
    assert repr(p).startswith("Parameter([1., 2.]")
    assert nn.Parameter(np.zeros(2, np.float32)).dtype == np.float32
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad


# ------------------------------------------------------------------ state_dict


def test_state_dict_round_trip_gives_the_same_model():
    a, b = _mlp(seed=0), _mlp(seed=10)
    x = np.random.default_rng(0).standard_normal((5, 3))
    assert not np.allclose(a(x).data, b(x).data)
    keys = b.load_state_dict(a.state_dict())
    assert keys.missing_keys == [] and keys.unexpected_keys == []
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_state_dict_is_a_snapshot_and_loading_copies_in_place():
    model = _mlp()
    state = model.state_dict()
    weight = model[0].weight
    before = weight.data
    weight.data += 1.0
    assert not np.array_equal(state["0.weight"], weight.data)
    model.load_state_dict(state)
    assert np.shares_memory(weight.data, before)  # the same memory, updated in place
    np.testing.assert_array_equal(weight.data, state["0.weight"])


def test_state_dict_saves_and_loads_through_npz(tmp_path):
    a, b = _mlp(seed=0), _mlp(seed=3)
    np.savez(tmp_path / "model.npz", **a.state_dict())
    b.load_state_dict(np.load(tmp_path / "model.npz"))
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)


def _snapshot(model):
    return {name: p.data.copy() for name, p in model.named_parameters()}


def _unchanged(model, snapshot):
    return all(np.array_equal(p.data, snapshot[name]) for name, p in model.named_parameters())


def test_shape_mismatch_lists_the_entry_and_changes_nothing():
    model = _mlp()
    before = _snapshot(model)
    state = {k: v + 1.0 for k, v in _mlp(seed=5).state_dict().items()}
    state["2.0.weight"] = np.zeros((3, 4))
    with pytest.raises(ValueError) as err:
        model.load_state_dict(state)
    assert "2.0.weight: shape (3, 4) in the state, (2, 4) in the model" in str(err.value)
    assert "nothing was loaded" in str(err.value)
    assert _unchanged(model, before)  # the three matching entries were not loaded either
    with pytest.raises(ValueError, match="2.0.weight"):
        model.load_state_dict(state, strict=False)  # a wrong shape is an error in any mode
    assert _unchanged(model, before)


def test_dtype_mismatch_is_an_error():
    model = _mlp()
    before = _snapshot(model)
    state = model.state_dict()
    state["0.bias"] = state["0.bias"].astype(np.float32) + 1
    with pytest.raises(ValueError, match=r"0\.bias: dtype float32 in the state, float64"):
        model.load_state_dict(state)
    assert _unchanged(model, before)


def test_strict_missing_and_unexpected_names_are_listed_and_nothing_changes():
    model = _mlp()
    before = _snapshot(model)
    state = {k: v + 1.0 for k, v in model.state_dict().items()}
    del state["0.bias"]
    state["3.weight"] = np.zeros(2)
    with pytest.raises(ValueError) as err:
        model.load_state_dict(state)
    message = str(err.value)
    assert "0.bias: in the model, missing from the state" in message
    assert "3.weight: in the state, not a parameter of the model" in message
    assert "2 entries" in message
    assert _unchanged(model, before)


def test_non_strict_loads_what_matches_and_reports_the_rest():
    model = _mlp()
    before = _snapshot(model)
    state = {k: v + 1.0 for k, v in model.state_dict().items()}
    del state["0.bias"]
    state["extra"] = np.zeros(1)
    keys = model.load_state_dict(state, strict=False)
    assert keys == nn.IncompatibleKeys(missing_keys=["0.bias"], unexpected_keys=["extra"])
    np.testing.assert_array_equal(model[0].bias.data, before["0.bias"])
    np.testing.assert_array_equal(model[0].weight.data, before["0.weight"] + 1.0)


def test_load_state_dict_rejects_a_non_mapping():
    with pytest.raises(TypeError, match="mapping of names to arrays"):
        _mlp().load_state_dict([np.zeros(3)])


# ------------------------------------------------------------------ Linear


def test_linear_forward_is_x_at_w_transposed_plus_b():
    layer = nn.Linear(3, 2, seed=0)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    x = np.random.default_rng(1).standard_normal((4, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data,
                               rtol=0, atol=1e-15)
    one = layer(x[0])  # a single sample without a batch axis
    assert one.shape == (2,)
    np.testing.assert_allclose(one.data, layer(x).data[0], rtol=0, atol=1e-15)
    no_bias = nn.Linear(3, 2, bias=False, seed=0)
    assert no_bias.bias is None and len(no_bias.parameters()) == 1


def test_linear_gradients_pass_gradcheck():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)
    assert tg.gradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), [x, w, b])
    layer = nn.Linear(3, 2, seed=0)
    assert tg.gradcheck(lambda x: layer(x) ** 2, [x])


def test_linear_parameter_gradients_from_backward_match_the_formulas():
    layer = nn.Linear(3, 2, seed=0)
    x = np.random.default_rng(3).standard_normal((5, 3))
    upstream = np.random.default_rng(4).standard_normal((5, 2))
    layer(x).backward(upstream)
    np.testing.assert_allclose(layer.weight.grad.data, upstream.T @ x, rtol=1e-13)
    np.testing.assert_allclose(layer.bias.grad.data, upstream.sum(axis=0), rtol=1e-13)
    # what a user sees of the layout: the weight reshapes as a view, writes reach it
    flat = layer.weight.data.reshape(-1)
    flat[0] = 7.0
    assert layer.weight.data[0, 0] == 7.0


def test_linear_names_itself_when_the_input_does_not_fit():
    layer = nn.Linear(3, 2, seed=0)
    with pytest.raises(ValueError) as err:
        layer(np.ones((4, 5)))
    message = str(err.value)
    assert "Linear(in_features=3, out_features=2" in message
    assert "size 5" in message and "in_features=3" in message
    with pytest.raises(ValueError, match="Linear"):
        layer(Tensor(2.0))


@pytest.mark.parametrize("bad, match", [
    (dict(in_features=-1, out_features=2), "in_features must be a non-negative int"),
    (dict(in_features=2, out_features=2.5), "out_features must be a non-negative int"),
    (dict(in_features=2, out_features=2, init="gaussian"), "unknown init 'gaussian'"),
    (dict(in_features=2, out_features=2, seed=0, generator=np.random.default_rng(0)),
     "seed or generator, not both"),
    (dict(in_features=2, out_features=2, generator=0), "numpy.random.Generator"),
    (dict(in_features=2, out_features=2, dtype=np.int64), "floating point"),
])
def test_linear_rejects_bad_arguments(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        nn.Linear(**bad)


N_IN, N_OUT = 400, 500  # 200,000 weights: sample moments within a percent or two


@pytest.mark.parametrize("init, expected_std, bound", [
    ("uniform", (1 / N_IN) ** 0.5 / 3 ** 0.5, (1 / N_IN) ** 0.5),
    ("normal", 1 / N_IN ** 0.5, None),
    ("he", (2 / N_IN) ** 0.5, None),
    ("kaiming", (2 / N_IN) ** 0.5, None),
    ("xavier", (6 / (N_IN + N_OUT)) ** 0.5 / 3 ** 0.5, (6 / (N_IN + N_OUT)) ** 0.5),
    ("glorot", (6 / (N_IN + N_OUT)) ** 0.5 / 3 ** 0.5, (6 / (N_IN + N_OUT)) ** 0.5),
])
def test_init_statistics(init, expected_std, bound):
    layer = nn.Linear(N_IN, N_OUT, init=init, seed=0)
    w = layer.weight.data
    assert w.shape == (N_OUT, N_IN)
    assert abs(w.mean()) < 0.01 * expected_std  # 4.5 standard errors
    assert abs(w.std() / expected_std - 1) < 0.01
    if bound is not None:
        assert -bound <= w.min() and w.max() < bound and w.max() > 0.99 * bound
    b = layer.bias.data
    if init == "uniform":
        assert np.abs(b).max() < bound and b.std() > 0.5 * expected_std
    else:
        assert not b.any()


def test_zeros_init_and_same_seed_same_weights():
    assert not nn.Linear(3, 4, init="zeros").weight.data.any()
    for init in ("uniform", "normal", "he", "xavier"):
        a, b = nn.Linear(5, 3, init=init, seed=7), nn.Linear(5, 3, init=init, seed=7)
        c = nn.Linear(5, 3, init=init, generator=np.random.default_rng(7))
        np.testing.assert_array_equal(a.weight.data, b.weight.data)
        np.testing.assert_array_equal(a.weight.data, c.weight.data)
        np.testing.assert_array_equal(a.bias.data, c.bias.data)
        assert not np.array_equal(a.weight.data, nn.Linear(5, 3, init=init, seed=8).weight.data)
    unseeded = nn.Linear(5, 3), nn.Linear(5, 3)
    assert not np.array_equal(unseeded[0].weight.data, unseeded[1].weight.data)


def test_normal_init_is_the_course_notes_draw():
    # the course notes: weights = np.random.normal(scale=1/n_features**.5, size=n_features)
    n_features = 6
    layer = nn.Linear(n_features, 1, bias=False, init="normal", seed=42)
    expected = np.random.default_rng(42).normal(scale=1 / n_features ** .5, size=n_features)
    np.testing.assert_array_equal(layer.weight.data[0], expected)


def test_a_shared_generator_draws_layer_after_layer():
    rng = np.random.default_rng(0)
    first, second = nn.Linear(3, 3, generator=rng), nn.Linear(3, 3, generator=rng)
    assert not np.array_equal(first.weight.data, second.weight.data)
    replay = np.random.default_rng(0)
    nn.Linear(3, 3, generator=replay)
    np.testing.assert_array_equal(nn.Linear(3, 3, generator=replay).weight.data,
                                  second.weight.data)


def test_float32_layer_stays_float32():
    layer = nn.Linear(3, 2, seed=0, dtype=np.float32)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    out = layer(np.ones((2, 3)))
    assert out.dtype == np.float32
    nn.MSELoss()(out, np.zeros((2, 2))).backward()
    assert layer.weight.grad.dtype == np.float32


# ------------------------------------------------------------------ other layers


def test_activation_modules_match_numpy():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    np.testing.assert_array_equal(nn.ReLU()(x).data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, _sigmoid(x), rtol=1e-15)
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x), rtol=1e-15)
    np.testing.assert_array_equal(nn.LeakyReLU(0.1)(x).data, np.where(x > 0, x, 0.1 * x))
    soft = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(nn.Softmax()(x).data, soft, rtol=1e-14)
    np.testing.assert_allclose(nn.Softmax(dim=0)(x).data, np.ones_like(x), rtol=1e-15)
    np.testing.assert_allclose(nn.LogSoftmax()(x).data, np.log(soft), rtol=1e-14)


def test_flatten_keeps_the_batch_axis():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0)(x).shape == (24,)
    assert nn.Flatten(1, 1)(x).shape == (2, 3, 4)
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=1.*no axis 1"):
        nn.Flatten()(np.ones(5))


def test_sequential_indexing_and_errors():
    model = _mlp()
    assert len(model) == 3 and isinstance(model[1], nn.ReLU) and model[-1] is model[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and head[0] is model[0]
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Sequential"]
    with pytest.raises(IndexError, match="index 3 is out of range for 3 layers"):
        model[3]
    with pytest.raises(TypeError, match=r"layer 1 .* the class ReLU; write ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)
    with pytest.raises(TypeError, match="layer 0 must be a Module instance, got a function"):
        nn.Sequential(lambda x: x)


# ------------------------------------------------------------------ Dropout


def test_dropout_in_training_zeroes_about_p_and_scales_the_rest():
    x = Tensor(np.full((200, 500), 2.0), requires_grad=True)
    out = nn.Dropout(0.3, seed=0)(x)
    zero = out.data == 0
    assert abs(zero.mean() - 0.3) < 0.005
    np.testing.assert_allclose(out.data[~zero], 2.0 / 0.7, rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.where(zero, 0.0, 1 / 0.7), rtol=1e-15)


def test_dropout_is_the_identity_in_eval_mode():
    x = Tensor(np.arange(6.0))
    layer = nn.Dropout(0.5, seed=0)
    layer.eval()
    assert layer(x) is x
    model = nn.Sequential(nn.Linear(6, 6, seed=0), nn.Dropout(0.9, seed=0)).eval()
    np.testing.assert_array_equal(model(x).data, model[0](x).data)
    assert F.dropout(x, 0.5, training=False) is x


def test_dropout_masks_are_seeded_and_fresh_each_call():
    x = np.ones((10, 10))
    a, b = nn.Dropout(0.5, seed=1), nn.Dropout(0.5, seed=1)
    first = a(x).data
    np.testing.assert_array_equal(first, b(x).data)
    assert not np.array_equal(first, a(x).data)


def test_dropout_edge_probabilities_and_errors():
    x = Tensor(np.ones(5))
    assert nn.Dropout(0.0)(x) is x
    np.testing.assert_array_equal(nn.Dropout(1.0, seed=0)(x).data, np.zeros(5))
    for p in (-0.1, 1.5, "half", True):
        with pytest.raises(ValueError, match="probability of zeroing an entry"):
            nn.Dropout(p)
    with pytest.raises(ValueError, match="dropout: p"):
        F.dropout(x, 2.0)


# ------------------------------------------------------------------ losses: values


_RNG = np.random.default_rng(5)
PRED = _RNG.standard_normal((4, 3))
TARGET = _RNG.standard_normal((4, 3))


def test_squared_error_losses_match_numpy():
    d2 = (PRED - TARGET) ** 2
    np.testing.assert_allclose(nn.SSELoss()(PRED, TARGET).item(), d2.sum(), rtol=1e-14)
    np.testing.assert_allclose(nn.HalfSSELoss()(PRED, TARGET).item(), 0.5 * d2.sum(), rtol=1e-14)
    np.testing.assert_allclose(nn.MSELoss()(PRED, TARGET).item(), d2.mean(), rtol=1e-14)
    np.testing.assert_allclose(nn.MSELoss(reduction="sum")(PRED, TARGET).item(), d2.sum(),
                               rtol=1e-14)
    none = nn.MSELoss(reduction="none")(PRED, TARGET)
    assert none.shape == (4, 3)
    np.testing.assert_allclose(none.data, d2, rtol=1e-14)


def test_half_sse_gradient_is_exactly_the_books_delta():
    pred = Tensor(PRED, requires_grad=True)
    nn.HalfSSELoss()(pred, TARGET).backward()
    np.testing.assert_array_equal(pred.grad.data, PRED - TARGET)


def test_sse_and_mse_gradients():
    pred = Tensor(PRED, requires_grad=True)
    F.sse_loss(pred, TARGET).backward()
    np.testing.assert_allclose(pred.grad.data, 2 * (PRED - TARGET), rtol=1e-15)
    pred.grad = None
    F.mse_loss(pred, TARGET).backward()
    np.testing.assert_allclose(pred.grad.data, 2 * (PRED - TARGET) / PRED.size, rtol=1e-15)


def test_binary_cross_entropy_matches_numpy():
    p = _sigmoid(PRED)
    y = (TARGET > 0).astype(float)
    losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(nn.BCELoss()(p, y).item(), losses.mean(), rtol=1e-13)
    np.testing.assert_allclose(nn.BCELoss(reduction="none")(p, y).data, losses, rtol=1e-13)
    np.testing.assert_allclose(nn.BCEWithLogitsLoss()(PRED, y).item(), losses.mean(), rtol=1e-13)
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction="sum")(PRED, y).item(), losses.sum(),
                               rtol=1e-13)
    soft = _sigmoid(TARGET)  # probabilities as targets are allowed too
    expected = -(soft * np.log(p) + (1 - soft) * np.log(1 - p))
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(PRED, soft, reduction="none").data, expected,
        rtol=1e-12)


def test_binary_cross_entropy_on_certain_probabilities_stays_finite():
    p = Tensor([0.0, 1.0, 1.0, 0.0], requires_grad=True)
    y = np.array([0.0, 1.0, 0.0, 1.0])
    losses = F.binary_cross_entropy(p, y, reduction="none")
    assert np.isfinite(losses.data).all()
    np.testing.assert_allclose(losses.data[:2], 0.0, atol=1e-15)
    assert (losses.data[2:] > 30).all()  # each log clamped at -100, as PyTorch's
    losses.sum().backward()
    assert np.isfinite(p.grad.data).all()


def test_bce_with_logits_is_stable_for_huge_logits():
    x = Tensor([1000.0, -1000.0, 1000.0, -1000.0, 0.0], requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    losses = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(losses.data, [0.0, 0.0, 1000.0, 1000.0, np.log(2)], rtol=1e-15)
    losses.sum().backward()
    # d/dx = sigmoid(x) - y, at x == 0 as well: 0.5 - 1
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 1.0, -1.0, -0.5], atol=1e-15)


def test_cross_entropy_with_class_indices_matches_numpy():
    logits = PRED
    classes = np.array([0, 2, 1, 2])
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    losses = -log_p[np.arange(4), classes]
    np.testing.assert_allclose(nn.CrossEntropyLoss()(logits, classes).item(), losses.mean(),
                               rtol=1e-14)
    np.testing.assert_allclose(F.cross_entropy(logits, classes, reduction="sum").item(),
                               losses.sum(), rtol=1e-14)
    np.testing.assert_allclose(F.cross_entropy(logits, classes, reduction="none").data, losses,
                               rtol=1e-14)
    # class indices given as a float Tensor (the default dtype of lists) are accepted too
    np.testing.assert_allclose(F.cross_entropy(logits, Tensor([0, 2, 1, 2])).item(),
                               losses.mean(), rtol=1e-14)
    np.testing.assert_allclose(F.cross_entropy(logits[1], 2).item(), losses[1], rtol=1e-14)


def test_cross_entropy_with_probability_targets_matches_one_hot_indices():
    classes = np.array([0, 2, 1, 2])
    one_hot = np.eye(3)[classes]
    np.testing.assert_allclose(F.cross_entropy(PRED, one_hot).item(),
                               F.cross_entropy(PRED, classes).item(), rtol=1e-14)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits = Tensor(PRED, requires_grad=True)
    classes = np.array([0, 2, 1, 2])
    F.cross_entropy(logits, classes).backward()
    soft = np.exp(PRED) / np.exp(PRED).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad.data, (soft - np.eye(3)[classes]) / 4, rtol=1e-12)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = Tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]], requires_grad=True)
    losses = F.cross_entropy(logits, np.array([1, 2]), reduction="none")
    np.testing.assert_allclose(losses.data, [2000.0, np.log(2)], rtol=1e-15)
    losses.sum().backward()
    np.testing.assert_allclose(logits.grad.data, [[1.0, -1.0, 0.0], [0.0, 0.5, -0.5]],
                               atol=1e-15)


@pytest.mark.parametrize("loss", [
    lambda x, t: F.sse_loss(x, t),
    lambda x, t: F.half_sse_loss(x, t),
    lambda x, t: F.mse_loss(x, t),
    lambda x, t: F.mse_loss(x, t, reduction="none"),
    lambda x, t: F.binary_cross_entropy(x.sigmoid(), (t > 0).astype(float)),
    lambda x, t: F.binary_cross_entropy_with_logits(x, _sigmoid(t)),
    lambda x, t: F.cross_entropy(x, np.array([0, 2, 1, 2])),
    lambda x, t: F.cross_entropy(x, np.eye(3)[[1, 1, 0, 2]], reduction="none"),
])
def test_loss_gradients_pass_gradcheck(loss):
    x = Tensor(PRED, requires_grad=True)
    assert tg.gradcheck(lambda x: loss(x, TARGET), [x])


# ------------------------------------------------------------------ losses: errors


@pytest.mark.parametrize("name, fn", [
    ("sse_loss", nn.SSELoss()), ("half_sse_loss", nn.HalfSSELoss()),
    ("mse_loss", nn.MSELoss()), ("binary_cross_entropy", nn.BCELoss()),
    ("binary_cross_entropy_with_logits", nn.BCEWithLogitsLoss()),
])
def test_losses_refuse_to_broadcast_different_shapes(name, fn):
    pred = Tensor(np.full((3, 1), 0.5), requires_grad=True)
    with pytest.raises(ValueError) as err:
        fn(pred, np.array([0.0, 1.0, 1.0]))
    message = str(err.value)
    assert message.startswith(name + ":")
    assert "(3, 1)" in message and "(3,)" in message and "target.reshape(3, 1)" in message


def test_loss_argument_errors():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="cross_entropy: reduction"):
        F.cross_entropy(PRED, np.zeros(4, int), reduction="max")
    with pytest.raises(ValueError, match=r"input \(probabilities\) must lie in \[0, 1\].*"
                                         r"binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(PRED, np.zeros_like(PRED))
    with pytest.raises(ValueError, match="target must lie in"):
        F.binary_cross_entropy_with_logits(PRED, np.full_like(PRED, 2.0))


@pytest.mark.parametrize("target, error, match", [
    (np.array([0, 3, 1, 2]), ValueError, r"indices must lie in \[0, 2\] for 3 classes, got \[3\]"),
    (np.array([0, -1, 1, 2]), ValueError, r"got \[-1\]"),
    (np.array([0, 1, 1]), ValueError, r"target of class indices of shape \(4,\).*got target "
                                      r"shape \(3,\)"),
    (np.array([0.5, 1, 1, 2]), ValueError, "whole numbers"),
    (np.array([True, False, True, True]), TypeError, "must be integers"),
])
def test_cross_entropy_target_errors(target, error, match):
    with pytest.raises(error, match=match):
        F.cross_entropy(PRED, target)
    with pytest.raises(ValueError, match=r"input of shape \(2, 3, 4\) \(batch, classes, d1, "
                                         r"...\) needs a target of class indices of shape "
                                         r"\(2, 4\)"):  # (each position a sample)
        F.cross_entropy(np.ones((2, 3, 4)), np.zeros((2, 3), int))


# ------------------------------------------------------------------ freezing single entries


def _book_step(weights):
    """Grokking ch. 5: input toes/wlrec/nfans, true 1, delta = pred - true (half SSE)."""
    pred = Tensor([8.5, 0.65, 1.2]).dot(weights)
    loss = nn.HalfSSELoss()(pred, Tensor(1.0))
    loss.backward()
    return pred


def test_book_weight_deltas_come_from_backward():
    weights = nn.Parameter([0.1, 0.2, -0.1])
    pred = _book_step(weights)
    np.testing.assert_allclose(pred.item(), 0.86, rtol=1e-14)
    np.testing.assert_allclose(weights.grad.data, [-1.19, -0.091, -0.168], rtol=1e-13)


def test_frozen_entry_reads_zero_gradient_and_others_are_untouched():
    weights = nn.Parameter([0.1, 0.2, -0.1]).freeze_(0)
    np.testing.assert_array_equal(weights.frozen_mask, [True, False, False])
    _book_step(weights)
    np.testing.assert_allclose(weights.grad.data, [0.0, -0.091, -0.168], rtol=1e-13)
    assert weights.grad.data[0] == 0.0


def test_book_freezing_experiment_a_never_moves_and_error_falls():
    weights = nn.Parameter([0.1, 0.2, -0.1]).freeze_(0)  # weight a
    alpha = 0.3
    errors = []
    for _ in range(20):
        weights.grad = None
        pred = _book_step(weights)
        errors.append((pred.item() - 1) ** 2)
        with tg.no_grad():
            weights.data -= alpha * weights.grad.data  # the book's own update loop
    assert weights.data[0] == 0.1
    assert errors[-1] < 1e-6 < errors[0]


def test_freezing_entries_of_a_matrix_and_unfreezing():
    w = nn.Parameter(np.ones((2, 3)))
    w.freeze_((0, 1)).freeze_(np.s_[1, :])
    np.testing.assert_array_equal(w.frozen_mask, [[False, True, False], [True, True, True]])
    (w * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[3.0, 0.0, 3.0], [0.0, 0.0, 0.0]])
    w.unfreeze_(np.s_[1, :])
    np.testing.assert_array_equal(w.frozen_mask, [[False, True, False], [False, False, False]])
    w.unfreeze_((0, 1))
    assert w.frozen_mask is None
    w.grad = None
    (w * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, np.full((2, 3), 3.0))


def test_freeze_everything_then_unfreeze_everything():
    w = nn.Parameter(np.ones(3)).freeze_()
    assert w.frozen_mask.all()
    (w * 2.0).sum().backward()
    assert w.grad is not None and not w.grad.data.any()
    w.unfreeze_()
    assert w.frozen_mask is None
    w.grad = None
    (w * 2.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0, 2.0])


def test_freeze_errors_and_read_only_mask():
    w = nn.Parameter(np.ones(3)).freeze_(1)
    with pytest.raises(ValueError):
        w.frozen_mask[0] = True  # change it through freeze_/unfreeze_ only
    with pytest.raises(IndexError, match=r"freeze_: index 5 .* shape \(3,\)"):
        w.freeze_(5)
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        nn.Parameter([1.0], requires_grad=False).freeze_(0)


def test_freezing_a_linear_layer_weight_entry():
    layer = nn.Linear(3, 1, bias=False, init="zeros")
    layer.weight.freeze_((0, 0))
    F.half_sse_loss(layer(np.array([[8.5, 0.65, 1.2]])), np.array([[1.0]])).backward()
    np.testing.assert_allclose(layer.weight.grad.data, [[0.0, -0.65, -1.2]], rtol=1e-15)


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))])
def test_a_copied_model_keeps_its_own_frozen_entries(clone):
    model = nn.Sequential(nn.Linear(3, 1, seed=0))
    model[0].weight.freeze_((0, 1))
    twin = clone(model)
    assert twin[0].weight is not model[0].weight
    twin(np.ones((2, 3))).sum().backward()
    np.testing.assert_array_equal(twin[0].weight.grad.data, [[2.0, 0.0, 2.0]])
    assert model[0].weight.grad is None
    twin[0].weight.unfreeze_()
    assert model[0].weight.frozen_mask is not None


def test_module_to_is_pytorchs_for_the_cpu_and_float_dtypes():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    first = model.parameters()[0]
    before = first.data.copy()
    assert model.to("cpu") is model and model.to(np.float32) is model
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model.parameters()[0] is first  # the same Parameter objects, as PyTorch's
    np.testing.assert_allclose(first.data, before.astype(np.float32))
    loss = model(tg.Tensor(np.ones((4, 2)), dtype=np.float32)).sum()
    loss.backward()
    assert loss.dtype == np.float32 and first.grad.dtype == np.float32
    model.to(np.float64)
    assert first.dtype == np.float64 and first.grad.dtype == np.float64
    for bad in ("cuda", np.int64):
        with pytest.raises(TypeError, match=r"^Module.to: (expected .*device 'cpu'|a model's "
                                            r"parameters are floats, .*pass np.float32)"):
            model.to(bad)
    # PyTorch's other forms, read as Tensor.to reads them
    assert model.to("cpu", np.float32) is model and first.dtype == np.float32
    assert model.to(device="cpu", dtype="float64") is model and first.dtype == np.float64
    assert model.to(tg.zeros(1, dtype=np.float32)) is model and first.dtype == np.float32


def test_nn_init_draws_pytorchs_initialisations_in_place():
    layer = nn.Linear(400, 300, seed=0)
    weight = layer.weight
    rng = np.random.default_rng(0)
    for init, spread in ((nn.init.xavier_uniform_, np.sqrt(6 / 700)),
                         (nn.init.kaiming_uniform_, np.sqrt(2) * np.sqrt(3 / 400))):
        assert init(weight, generator=rng) is weight  # in place, the same Parameter
        assert 0.99 * spread < np.abs(weight.data).max() <= spread  # U(-bound, bound)
    nn.init.kaiming_normal_(weight, nonlinearity="relu", generator=rng)
    assert np.std(weight.data) == pytest.approx(np.sqrt(2 / 400), rel=0.02)  # He's, as init="he"
    nn.init.xavier_normal_(weight, gain=nn.init.calculate_gain("tanh"), generator=rng)
    assert np.std(weight.data) == pytest.approx(5 / 3 * np.sqrt(2 / 700), rel=0.02)
    nn.init.normal_(weight, mean=1.0, std=0.5, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(weight.data, np.random.default_rng(3).normal(1.0, 0.5, (300, 400)))
    assert nn.init.zeros_(layer.bias).tolist() == [0.0] * 300
    assert nn.init.constant_(layer.bias, 0.5).tolist() == [0.5] * 300
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(np.sqrt(2 / 1.04))
    # a graph that saved the old values refuses, as for any in-place change (the bias's
    # values are not needed by backward: changing them is allowed, as PyTorch's)
    loss = layer(tg.Tensor(np.ones((1, 400)), requires_grad=True)).sum()
    nn.init.ones_(layer.weight)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    loss = layer(tg.Tensor(np.ones((1, 400)), requires_grad=True)).sum()
    nn.init.zeros_(layer.bias)
    loss.backward()
    with pytest.raises(ValueError, match=r"xavier_uniform_: fan_in and fan_out need a tensor of "
                                         r"at least 2 axes .*got shape \(300,\)"):
        nn.init.xavier_uniform_(layer.bias)
    doubled = weight * 2
    assert nn.init.zeros_(doubled) is doubled and not doubled.data.any()  # (as PyTorch's:
    assert doubled.grad_fn.name == "mul"  # under no_grad(), values only, not recorded)


@pytest.mark.parametrize("make", [lambda: tg.nn.BatchNorm1d(3, track_running_stats=False),
                                  lambda: tg.nn.InstanceNorm1d(3)])
def test_a_norm_layer_that_tracks_nothing_has_none_for_its_running_statistics(make):
    """PyTorch's `bn.running_mean is None` asks whether a layer tracks its statistics: ours
    raised AttributeError. Nothing of them is saved, and the layer runs in both modes."""
    layer = make()
    assert layer.running_mean is None and layer.running_var is None
    assert layer.num_batches_tracked is None
    assert not [name for name in layer.state_dict() if name.startswith(("running", "num"))]
    x = tg.tensor(np.arange(24.0).reshape(4, 3, 2))
    train = layer(x).numpy()
    np.testing.assert_allclose(layer.eval()(x).numpy(), train)  # batch statistics in both
