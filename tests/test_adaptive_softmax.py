"""Tests of nn/adaptive_softmax.py, nn/attention_forward.py and nn/layer_aliases.py:
AdaptiveLogSoftmaxWithLoss (forward's _ASMoutput, log_prob, predict),
F.multi_head_attention_forward, and PyTorch's other names RNNBase, RNNCellBase, NLLLoss2d
and Container.

Outputs and the gradients of every input and parameter are compared with PyTorch's (its
layers given our weights by their state_dict names), gradients checked with
`tg.gradcheck` in float64; then the edges (empty batch, one sample, float32) and the
errors of bad input.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(59)
X = RNG.standard_normal((7, 8))
TARGETS = np.array([0, 4, 9, 2, 7, 5, 3])  # shortlist [0, 3), clusters [3, 6), [6, 10)


def _pair(torch, head_bias=True, dtype=np.float64):
    """Our layer and PyTorch's with our weights."""
    ours = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=head_bias,
                                         dtype=dtype, seed=1)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0,
                                                 head_bias=head_bias)
    theirs = theirs.double() if dtype == np.float64 else theirs
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.torch
@pytest.mark.parametrize("head_bias", [False, True])
@pytest.mark.parametrize("targets", [TARGETS, np.array([0, 1, 2, 0, 1, 2, 2]),
                                     np.array([9, 8, 7, 6, 6, 9, 8])])
def test_forward_output_loss_and_every_gradient_are_pytorchs(head_bias, targets):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, head_bias)
    x, tx = Tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    out, expected = ours(x, targets), theirs(tx, torch.tensor(targets))
    assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
    np.testing.assert_allclose(out.output.data, expected.output.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(out.loss.data, expected.loss.detach().numpy(), rtol=1e-12)
    weights = RNG.standard_normal(7)
    ((out.output * weights).sum() + out.loss).backward()
    ((expected.output * torch.tensor(weights)).sum() + expected.loss).backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-14)
    grads = {name: p.grad for name, p in ours.named_parameters()}
    for name, p in theirs.named_parameters():
        if p.grad is None:  # (a cluster no target falls in: no gradient in either)
            assert grads[name] is None or not grads[name].data.any(), name
        else:
            np.testing.assert_allclose(grads[name].data, p.grad.numpy(), rtol=1e-10,
                                       atol=1e-14, err_msg=name)


@pytest.mark.torch
def test_log_prob_and_predict_are_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch)
    x, tx = Tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    log_p, expected = ours.log_prob(x), theirs.log_prob(tx)
    np.testing.assert_allclose(log_p.data, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_p.data).sum(axis=1), 1.0, rtol=1e-12)
    log_p.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-14)
    for scale in (1.0, 5.0, -5.0):  # (the head's best in the shortlist, in a cluster, both)
        rows = X * scale
        best = ours.predict(rows)
        assert best.dtype == np.int64 and best.requires_grad is False
        np.testing.assert_array_equal(best.data, theirs.predict(torch.tensor(rows)).numpy())
    one = ours.predict(X[2])
    # (PyTorch 2.13's predict of one unbatched sample raises IndexError: of a batch of one)
    assert one.shape == () and one.item() == theirs.predict(torch.tensor(X[2:3])).item()
    np.testing.assert_allclose(ours.log_prob(X[2]).data, log_p.data[2], rtol=1e-12)


def test_gradcheck_of_the_input_and_every_parameter():
    layer = nn.AdaptiveLogSoftmaxWithLoss(4, 8, [2, 5], div_value=2.0, head_bias=True, seed=2)
    names = [name for name, _ in layer.named_parameters()]
    parameters = [Tensor(p.data, requires_grad=True) for p in layer.parameters()]
    x, targets = RNG.standard_normal((5, 4)), np.array([0, 3, 7, 1, 6])

    def run(method):
        def call(x, *values):
            out = tg.func.functional_call(layer, dict(zip(names, values)), (x,) + (
                (targets,) if method == "forward" else ()))
            return tg.cat([out.output, out.loss.reshape(1)]) if method == "forward" else out
        return call
    assert tg.gradcheck(run("forward"), [Tensor(x, requires_grad=True)] + parameters)
    log_prob = type("LogProb", (nn.AdaptiveLogSoftmaxWithLoss,), {"forward": lambda self, x:
                                                                  self.log_prob(x)})
    layer.__class__ = log_prob  # (functional_call calls forward: log_prob here)
    assert tg.gradcheck(run("log_prob"), [Tensor(x, requires_grad=True)] + parameters)


def test_edges_one_sample_empty_batch_and_float32():
    layer = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, seed=3)
    batch = layer(X, TARGETS)
    one = layer(X[1], TARGETS[1])
    assert one.output.shape == () and one.loss.shape == ()
    np.testing.assert_allclose(one.output.data, batch.output.data[1], rtol=1e-12)
    np.testing.assert_allclose(batch.loss.data, -batch.output.data.mean(), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no NumPy warning for the mean of nothing)
        empty = layer(np.zeros((0, 8)), np.zeros(0, np.int64))
    assert empty.output.shape == (0,) and np.isnan(empty.loss.item())
    small = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], 2.0, dtype=np.float32, seed=3)
    out = small(X.astype(np.float32), TARGETS)
    assert out.output.dtype == np.float32 and out.loss.dtype == np.float32
    assert small.log_prob(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, []), ValueError, "length larger than 0"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3]), ValueError, "sorted in an increas"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 3]), ValueError, "unique"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10]), ValueError, "n_classes-1 (9)"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [2.5]), ValueError, "integers"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, 3), TypeError, "sequence of ints"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3], div_value=0), ValueError, "div_value"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(-1, 10, [3, 6]), ValueError,
     "in_features must be a non-negative int, got -1"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3], seed=0)(X, TARGETS + 1), RuntimeError,
     "Target values should be in [0, 9], but values in range [1, 10] were found"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3], seed=0)(X, TARGETS[:3]), RuntimeError,
     "same size in the batch dimension"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3], seed=0)(X, TARGETS[None]), RuntimeError,
     "0D or 1D target tensor expected"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3], seed=0)(X[0], TARGETS), RuntimeError,
     "1D target tensor expects 2D input"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3], seed=0)(X, TARGETS * 1.0),
     RuntimeError, "integer class indices"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3], seed=0)(X[:, :5], TARGETS),
     RuntimeError, "expected input of shape (batch, 8) or (8,), got (7, 5)"),
    (lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3], seed=0).predict(X[None]),
     RuntimeError, "expected input of shape (batch, 8)"),
])
def test_adaptive_softmax_refuses_bad_input_in_one_line(call, error, words):
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert words in message and "\n" not in message
    assert message.startswith("AdaptiveLogSoftmaxWithLoss")


# ------------------------------------------------------------------ multi_head_attention_forward

L, S, N, E, HEADS = 3, 4, 2, 6, 2


def _attention_arrays(rng, kdim=E, vdim=E):
    return dict(q=rng.standard_normal((L, N, E)), k=rng.standard_normal((S, N, kdim)),
                v=rng.standard_normal((S, N, vdim)), w=rng.standard_normal((3 * E, E)) * 0.4,
                b=rng.standard_normal(3 * E) * 0.1, bk=rng.standard_normal((1, 1, E)),
                bv=rng.standard_normal((1, 1, E)), wo=rng.standard_normal((E, E)) * 0.4,
                bo=rng.standard_normal(E) * 0.1, wq=rng.standard_normal((E, E)) * 0.4,
                wk=rng.standard_normal((E, kdim)) * 0.4, wv=rng.standard_normal((E, vdim)) * 0.4)


def _attend(function, t, separate, bias_kv, zero, **options):
    return function(t["q"], t["k"], t["v"], E, HEADS, None if separate else t["w"], t["b"],
                    t["bk"] if bias_kv else None, t["bv"] if bias_kv else None, zero, 0.0,
                    t["wo"], t["bo"], use_separate_proj_weight=separate,
                    q_proj_weight=t["wq"], k_proj_weight=t["wk"], v_proj_weight=t["wv"],
                    **options)


@pytest.mark.torch
@pytest.mark.parametrize("separate, bias_kv, zero, need_weights, average, masks",
                         list(itertools.product([False, True], [False, True], [False, True],
                                                [False, True], [False, True], [0, 1, 2, 3]))[::3])
def test_multi_head_attention_forward_is_pytorchs(separate, bias_kv, zero, need_weights,
                                                  average, masks):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(masks)
    arrays = _attention_arrays(rng, 5 if separate else E, 7 if separate else E)
    padding = rng.random((N, S)) < 0.3 if masks in (1, 3) else None
    attention = (rng.standard_normal((L, S)) if masks == 2 else rng.random((N * HEADS, L, S))
                 < 0.3) if masks in (2, 3) else None
    if masks == 3:  # (a key every query sees: no row all shut)
        padding[:, 0] = attention[:, :, 0] = False
    results = []
    for library, make in ((F, lambda a: Tensor(a, requires_grad=True)),
                          (torch.nn.functional, lambda a: torch.tensor(a, requires_grad=True))):
        t = {name: make(a) for name, a in arrays.items()}
        as_mask = (lambda m: m) if library is F else (lambda m: None if m is None else
                                                      torch.tensor(m))
        out, weights = _attend(library.multi_head_attention_forward, t, separate, bias_kv,
                               zero, key_padding_mask=as_mask(padding), need_weights=need_weights,
                               attn_mask=as_mask(attention), average_attn_weights=average)
        loss = (out * make(np.cos(np.arange(out.numel() if library is not F else out.size)
                                  ).reshape(tuple(out.shape)))).sum()
        if weights is not None:
            loss = loss + (weights * weights).sum()
        loss.backward()
        results.append((out, weights, t))
    (out, weights, ours), (expected, expected_weights, theirs) = results
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert (weights is None) == (expected_weights is None)
    if weights is not None:
        np.testing.assert_allclose(weights.data, expected_weights.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    for name, tensor in ours.items():
        if theirs[name].grad is None:
            assert tensor.grad is None or not tensor.grad.data.any(), name
        else:
            np.testing.assert_allclose(tensor.grad.data, theirs[name].grad.numpy(),
                                       rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.torch
def test_static_keys_unbatched_input_and_the_causal_hint_are_pytorchs():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional.multi_head_attention_forward
    a = _attention_arrays(np.random.default_rng(4))
    static_k, static_v = (np.random.default_rng(5).standard_normal((N * HEADS, 5, E // HEADS))
                          for _ in range(2))
    causal = np.triu(np.ones((L, S), bool), 1)
    for options in (dict(static_k=static_k, static_v=static_v),
                    dict(attn_mask=causal, is_causal=True, need_weights=False),
                    dict(static_k=static_k, static_v=static_v, need_weights=False)):
        ours = _attend(F.multi_head_attention_forward, a, False, False, True, **options)
        theirs = _attend(TF, {k: torch.tensor(v) for k, v in a.items()}, False, False, True,
                         **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                            for k, v in options.items()})
        for part, expected in zip(ours, theirs):
            assert (part is None) == (expected is None)
            if part is not None:
                np.testing.assert_allclose(part.data, expected.numpy(), rtol=1e-10, atol=1e-12)
    one = {**a, "q": a["q"][:, 0], "k": a["k"][:, 0], "v": a["v"][:, 0]}
    ours = _attend(F.multi_head_attention_forward, one, False, True, False)
    theirs = _attend(TF, {k: torch.tensor(v) for k, v in one.items()}, False, True, False)
    assert ours[0].shape == (L, E) and ours[1].shape == (L, S + 1)
    for part, expected in zip(ours, theirs):
        np.testing.assert_allclose(part.data, expected.numpy(), rtol=1e-10, atol=1e-12)


def test_multi_head_attention_forward_is_the_layers_attention():
    layer = nn.MultiheadAttention(E, HEADS, add_bias_kv=True, seed=6)
    q, k = RNG.standard_normal((L, N, E)), RNG.standard_normal((S, N, E))
    out, weights = layer(q, k, k)
    given = F.multi_head_attention_forward(
        q, k, k, E, HEADS, layer.in_proj_weight, layer.in_proj_bias, layer.bias_k,
        layer.bias_v, False, 0.0, layer.out_proj.weight, layer.out_proj.bias)
    np.testing.assert_allclose(given[0].data, out.data, rtol=1e-12)
    np.testing.assert_allclose(given[1].data, weights.data, rtol=1e-12)


def test_multi_head_attention_forward_gradcheck_and_dropout():
    a = _attention_arrays(np.random.default_rng(7))
    names = ["q", "k", "v", "w", "b", "bk", "bv", "wo", "bo"]

    def attend(*tensors):
        t = {**a, **dict(zip(names, tensors))}
        out, weights = _attend(F.multi_head_attention_forward, t, False, True, True,
                               average_attn_weights=False)
        return tg.cat([out.reshape(-1), weights.reshape(-1)])
    assert tg.gradcheck(attend, [Tensor(a[n], requires_grad=True) for n in names])
    mask = Tensor(np.random.default_rng(8).standard_normal((L, S)), requires_grad=True)
    assert tg.gradcheck(lambda m: _attend(F.multi_head_attention_forward, a, False, False,
                                          False, attn_mask=m, need_weights=False)[0], [mask])
    dropped = [_attend(F.multi_head_attention_forward, a, False, False, False, training=t,
                       generator=np.random.default_rng(9))[1] for t in (True, True, False)]
    np.testing.assert_array_equal(dropped[0].data, dropped[1].data)
    plain = _attend(F.multi_head_attention_forward, a, False, False, False)[1]
    np.testing.assert_array_equal(dropped[2].data, plain.data)  # (training=False: none)


@pytest.mark.parametrize("change, error, words", [
    (dict(embed_dim_to_check=5), ValueError, "expecting embedding dimension of 5"),
    (dict(num_heads=4), ValueError, "num_heads must be a positive int dividing the query's 6"),
    (dict(in_proj_weight=None), ValueError, "in_proj_weight is None"),
    (dict(in_proj_weight=np.zeros((12, 6))), ValueError, "in_proj_weight of shape (12, 6)"),
    (dict(bias_k=np.zeros((1, 1, 6))), ValueError, "both bias_k and bias_v"),
    (dict(key=np.zeros((4, 3, 6)), value=np.zeros((4, 3, 6))), ValueError, "batch"),
    (dict(attn_mask=np.zeros((2, 2))), RuntimeError, "attn_mask of shape (2, 2) must be"),
    (dict(key_padding_mask=np.zeros((2, 3), bool)), ValueError, "key_padding_mask of shape"),
    (dict(attn_mask=np.zeros((3, 4), np.int64)), TypeError, "boolean (True: not allowed)"),
    (dict(is_causal=True), RuntimeError, "give that mask too"),
    (dict(static_k=np.zeros((4, 5, 2))), ValueError, "static_k of shape (4, 5, 2)"),
    (dict(dropout_p=1.5), ValueError, "dropout_p"),
])
def test_multi_head_attention_forward_refuses_bad_input_in_one_line(change, error, words):
    a = _attention_arrays(np.random.default_rng(10))
    arguments = dict(query=a["q"], key=a["k"], value=a["v"], embed_dim_to_check=E,
                     num_heads=HEADS, in_proj_weight=a["w"], in_proj_bias=a["b"], bias_k=None,
                     bias_v=None, add_zero_attn=False, dropout_p=0.0, out_proj_weight=a["wo"],
                     out_proj_bias=a["bo"])
    with pytest.raises(error) as caught:
        F.multi_head_attention_forward(**{**arguments, **change})
    message = str(caught.value)
    assert words in message and "\n" not in message
    assert message.startswith("multi_head_attention_forward: ")


# ------------------------------------------------------------------ PyTorch's other names


@pytest.mark.torch
def test_recurrent_base_classes_are_the_layers_bases_as_pytorchs():
    torch = pytest.importorskip("torch")
    for library in (nn, torch.nn):
        assert all(issubclass(getattr(library, name), library.RNNBase)
                   for name in ("RNN", "LSTM", "GRU"))
        assert all(issubclass(getattr(library, name), library.RNNCellBase)
                   for name in ("RNNCell", "LSTMCell", "GRUCell"))
    assert isinstance(nn.LSTM(3, 2), nn.RNNBase) and not isinstance(nn.LSTMCell(3, 2),
                                                                    nn.RNNBase)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_2d_warns_and_is_pytorchs_over_images(reduction):
    torch = pytest.importorskip("torch")
    log_p = Tensor(RNG.uniform(-3, 0, (2, 3, 4, 5)), requires_grad=True)
    target = RNG.integers(0, 3, (2, 4, 5))
    weight = np.array([0.5, 1.0, 2.0])
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated") as caught:
        loss = nn.NLLLoss2d(weight, ignore_index=1, reduction=reduction)
    assert caught[0].filename == __file__
    assert isinstance(loss, nn.NLLLoss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin = torch.nn.NLLLoss2d(torch.tensor(weight), ignore_index=1, reduction=reduction)
    theirs = torch.tensor(log_p.data, requires_grad=True)
    out, expected = loss(log_p, target), twin(theirs, torch.tensor(target))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(log_p.grad.data, theirs.grad.numpy(), rtol=1e-12)
    rows = loss(log_p.data[:, :, 0, 0], target[:, 0, 0])  # ((batch, classes): NLLLoss's)
    np.testing.assert_allclose(rows.data, F.nll_loss(
        log_p.data[:, :, 0, 0], target[:, 0, 0], weight, ignore_index=1,
        reduction=reduction).data)
    with pytest.raises(ValueError, match=r"nll_loss: input of shape \(2, 3, 4, 5\) \(batch, "
                                         r"classes, d1, ...\) needs a target of class indices "
                                         r"of shape \(2, 4, 5\), got shape \(2, 5\)"):
        loss(log_p, target[:, 0])


@pytest.mark.torch
def test_container_warns_and_holds_its_modules_by_name():
    torch = pytest.importorskip("torch")
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        ours = nn.Container(conv=nn.Conv2d(1, 2, 3), linear=nn.Linear(2, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.Container(conv=torch.nn.Conv2d(1, 2, 3),
                                    linear=torch.nn.Linear(2, 1))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.conv is dict(ours.named_children())["conv"]
