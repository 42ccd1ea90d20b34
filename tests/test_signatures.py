"""Every nn layer and nn.functional function takes PyTorch's arguments in PyTorch's order.

The sweep (skipped without torch): each Module class in both torch.nn and tg.nn, and each
function in both torch's F and ours, has torch's positional parameters (names, order,
defaults), our extras keyword-only after them, and accepts every keyword torch's takes.
Torch's signature comes from `inspect.signature` where it works, else from the first line
of its docstring (the C-implemented functions); ours, for a registered op's `tg.`
function, from the op's `call`. `EXCEPTIONS` lists the few that differ, each with its
reason. Then what the new positions mean: PyTorch's deprecated size_average and reduce
(its legacy rule and warning, a string there refused), the weights in their places,
Embedding's max_norm, scale_grad_by_freq, _weight and _freeze, Softplus's threshold,
Hardtanh's min_value, the weighted mse/l1/huber losses, softmax's dtype.
"""
from __future__ import annotations

import ast
import inspect
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F
from tinygrad_gd.registry import registered_ops

EXCEPTIONS = {
    # torch's RNN, LSTM and GRU take (*args, **kwargs), their parameters read from them
    # (ours: input_size, hidden_size, ... as torch's docs list them)
    "RNN": "torch takes *args", "LSTM": "torch takes *args", "GRU": "torch takes *args",
    # torch's deprecated aliases are wrapped by @deprecated, which takes *args
    "NLLLoss2d": "torch's @deprecated wrapper takes *args",
    "Container": "torch's @deprecated wrapper takes *args",
    # the recurrent layers' and cells' bases: ours are their bases, not torch's RNNBase(mode,
    # ...) and RNNCellBase(..., num_chunks), which no one builds directly
    "RNNBase": "an alias of our RNN/LSTM/GRU base", "RNNCellBase": "an alias of our cells' base",
    # torch's conv_tbc is C-implemented and its docstring has no signature line: ours is
    # (input, weight, bias, pad=0), as its docstring's Args list them
    "conv_tbc": "torch's signature is unreadable",
    # refused in one line whatever the arguments (float8: NumPy has none)
    "scaled_mm": "refused: takes any arguments", "scaled_grouped_mm": "refused: takes any",
}

_EMPTY = inspect.Parameter.empty


def _from_doc(name: str, function) -> list | None:
    """`name(a, b=1, ...)` on a torch function's docstring: [(parameter, default)]."""
    doc = function.__doc__ or ""
    match = re.search(rf"\b{name}\(", doc)
    if match is None:
        return None
    depth, end = 1, match.end()
    while depth:
        depth += {"(": 1, ")": -1}.get(doc[end], 0)
        end += 1
    text = " ".join(doc[match.end():end - 1].replace("*,", "").split())
    arguments = ast.parse(f"def f({text}): pass").body[0].args
    names = [a.arg for a in arguments.args]
    defaults = [eval(compile(ast.Expression(d), name, "eval"), {})  # (torch's docs: numbers)
                for d in arguments.defaults]
    return list(zip(names, [_EMPTY] * (len(names) - len(defaults)) + defaults))


def _signature(function, name: str, doc_fallback: bool) -> tuple[list, set] | None:
    """(positional parameters [(name, default)], every parameter name), None where the
    signature says nothing ((*args, **kwargs) and no docstring line)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        parameters = None
    if parameters is not None and not any(p.kind is p.VAR_POSITIONAL for p in parameters):
        positional = [(p.name, p.default) for p in parameters
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return positional, {p.name for p in parameters if p.kind is not p.VAR_KEYWORD}
    if doc_fallback:
        listed = _from_doc(name, function)
        if listed is not None:
            return listed, {n for n, _ in listed}
    return None


def _ours(function, name: str) -> tuple[list, set] | None:
    """Our function's signature; a registered op's `tg.` function: its op's call's; a
    layer without an __init__ of its own: none (Module's takes no settings)."""
    if isinstance(function, type) and function.__init__ is nn.Module.__init__:
        return [], set()
    found = _signature(function, name, False)
    if found is None:
        ops = [op for op in registered_ops().values() if name in op.functions]
        found = _signature(ops[0].call, name, False) if ops else None
    return found


def _same_default(a, b) -> bool:
    if callable(a) or callable(b):  # (Transformer's activation: F.relu, ours or torch's)
        return getattr(a, "__name__", a) == getattr(b, "__name__", b)
    return a is b or (a is not _EMPTY and b is not _EMPTY and a == b)


def _differences(theirs, ours) -> list[str]:
    (their_positional, their_names), (our_positional, our_names) = theirs, ours
    problems = []
    if [n for n, _ in their_positional] != [n for n, _ in our_positional]:
        problems.append(f"positional {[n for n, _ in our_positional]}, torch's "
                        f"{[n for n, _ in their_positional]}")
    else:
        problems += [f"{n}={b!r}, torch's {a!r}" for (n, a), (_, b)
                     in zip(their_positional, our_positional) if not _same_default(a, b)]
    missing = their_names - our_names
    if missing:
        problems.append(f"no keyword {sorted(missing)}")
    return problems


def _classes(torch):
    for name in sorted(dir(torch.nn)):
        theirs = getattr(torch.nn, name)
        if isinstance(theirs, type) and issubclass(theirs, torch.nn.Module) \
                and hasattr(nn, name) and name not in EXCEPTIONS:
            yield name, theirs, getattr(nn, name)


def _functions(torch):
    import torch.nn.functional as TF
    for name in sorted(dir(TF)):
        theirs = getattr(TF, name)
        if not name.startswith("_") and callable(theirs) and not isinstance(theirs, type) \
                and hasattr(F, name) and name not in EXCEPTIONS:
            yield name, theirs, getattr(F, name)


@pytest.mark.torch
def test_every_layer_takes_pytorchs_constructor_arguments_in_its_order():
    torch = pytest.importorskip("torch")
    wrong, compared = {}, 0
    for name, theirs, ours in _classes(torch):
        their_signature, our_signature = _signature(theirs, name, False), _ours(ours, name)
        if their_signature is None and theirs.__init__ is torch.nn.Module.__init__:
            their_signature = ([], set())  # (torch's Module.__init__: no settings)
        if their_signature is None and our_signature is None:
            continue  # (Identity: both take any arguments, and ignore them)
        assert their_signature is not None, f"{name}: torch's signature unread; list it"
        problems = _differences(their_signature, our_signature)
        compared += 1
        if problems:
            wrong[name] = problems
    assert not wrong, f"layers whose arguments are not torch's: {wrong}"
    assert compared > 100


@pytest.mark.torch
def test_every_function_takes_pytorchs_arguments_in_its_order():
    torch = pytest.importorskip("torch")
    wrong, compared = {}, 0
    for name, theirs, ours in _functions(torch):
        their_signature = _signature(theirs, name, True)
        assert their_signature is not None, f"F.{name}: torch's signature unread; list it"
        our_signature = _ours(ours, name)
        assert our_signature is not None, f"F.{name}: our signature unread"
        problems = _differences(their_signature, our_signature)
        compared += 1
        if problems:
            wrong[name] = problems
    assert not wrong, f"F functions whose arguments are not torch's: {wrong}"
    assert compared > 100


def test_the_exceptions_name_what_exists():
    assert all(hasattr(nn, name) or hasattr(F, name) for name in EXCEPTIONS)


# ------------------------------------------------------------------ size_average and reduce

X, Y = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]), np.array([[0.0, 1.0, 1.0],
                                                                  [2.0, -1.0, 0.5]])
LEGACY = [(None, None), (True, None), (False, None), (None, True), (None, False),
          (True, True), (False, True), (True, False), (False, False)]


@pytest.mark.torch
@pytest.mark.parametrize("size_average, reduce", LEGACY)
def test_legacy_flags_map_to_pytorchs_reduction_with_its_warning(size_average, reduce):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as ours_said:
        warnings.simplefilter("always")
        ours = nn.MSELoss(size_average, reduce)(tg.tensor(X), tg.tensor(Y))
        by_function = F.l1_loss(tg.tensor(X), tg.tensor(Y), size_average, reduce)
    with warnings.catch_warnings(record=True) as torch_said:
        warnings.simplefilter("always")
        theirs = torch.nn.MSELoss(size_average, reduce)(torch.tensor(X), torch.tensor(Y))
        their_l1 = torch.nn.functional.l1_loss(torch.tensor(X), torch.tensor(Y),
                                               size_average, reduce)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
    np.testing.assert_allclose(by_function.numpy(), their_l1.numpy(), rtol=1e-15)
    assert [str(w.message) for w in ours_said] == [str(w.message) for w in torch_said]
    assert all(w.category is UserWarning for w in ours_said)


@pytest.mark.parametrize("call, where", [
    (lambda: nn.MSELoss("sum"), "MSELoss"),
    (lambda: nn.KLDivLoss("batchmean"), "KLDivLoss"),
    (lambda: nn.SmoothL1Loss(None, "none"), "SmoothL1Loss"),
    (lambda: F.mse_loss(tg.tensor(X), tg.tensor(Y), "sum"), "mse_loss"),
    (lambda: F.poisson_nll_loss(tg.tensor(X), tg.tensor(Y), True, False, "sum"),
     "poisson_nll_loss"),
    (lambda: F.margin_ranking_loss(tg.tensor(X[0]), tg.tensor(Y[0]), [1, -1, 1], 0.0, "sum"),
     "margin_ranking_loss"),
])
def test_a_reduction_given_where_size_average_goes_is_refused(call, where):
    with pytest.raises(TypeError, match=rf"^{where}: got '\w+' for (size_average|reduce), "
                                        r"PyTorch's deprecated flag .*pass reduction='\w+' "
                                        r"by keyword$"):
        call()


def test_a_tensor_given_where_size_average_goes_is_refused():
    with pytest.raises(TypeError, match=r"^soft_margin_loss: size_average \(deprecated\) must "
                                        r"be True, False or None, got a Tensor"):
        F.soft_margin_loss(tg.tensor(X), tg.tensor(np.sign(Y) + (Y == 0)), tg.tensor(X))


@pytest.mark.torch
@pytest.mark.parametrize("name, args", [
    ("CrossEntropyLoss", lambda w: (w, None, 1, None, "sum", 0.1)),
    ("NLLLoss", lambda w: (w, None, 2, None, "none")),
    ("BCEWithLogitsLoss", lambda w: (None, None, None, "sum", w)),
    ("MultiMarginLoss", lambda w: (2, 0.5, w, None, None, "sum")),
    ("PoissonNLLLoss", lambda w: (False, True, None, 1e-6, None, "none")),
    ("TripletMarginLoss", lambda w: (0.5, 1.0, 1e-6, True, None, None, "none")),
    ("HingeEmbeddingLoss", lambda w: (0.5, None, None, "sum")),
])
def test_losses_take_pytorchs_positional_arguments(name, args):
    torch = pytest.importorskip("torch")
    w = np.array([0.5, 2.0, 1.5])
    scores, labels = X + 1.0, np.array([2, 0])
    inputs = {"CrossEntropyLoss": (scores, labels), "NLLLoss": (scores - 3.0, labels),
              "BCEWithLogitsLoss": (X, (Y > 0).astype(float)),
              "MultiMarginLoss": (scores, labels), "PoissonNLLLoss": (np.abs(X) + 0.1, np.abs(Y)),
              "TripletMarginLoss": (X, Y, X[::-1].copy()),
              "HingeEmbeddingLoss": (X, np.where(Y > 0, 1.0, -1.0))}[name]
    ours = getattr(nn, name)(*args(tg.tensor(w)))
    theirs = getattr(torch.nn, name)(*args(torch.tensor(w)))
    leaves = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    out = ours(*leaves)
    their_leaves = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    their_out = theirs(*their_leaves)
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    their_out.sum().backward()
    np.testing.assert_allclose(leaves[0].grad.numpy(), their_leaves[0].grad.numpy(),
                               rtol=1e-12, atol=1e-15)
    if name in ("CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss", "PoissonNLLLoss"):
        # (the others are hinges: their kinks are checked in test_losses_more.py)
        assert tg.gradcheck(lambda x: ours(x, *leaves[1:]), [leaves[0]])


def test_a_weight_given_in_pytorchs_place_weighs():
    w = tg.tensor([1.0, 3.0, 0.5])
    plain = F.cross_entropy(tg.tensor(X), [2, 0])
    assert F.cross_entropy(tg.tensor(X), [2, 0], w).item() == \
        F.cross_entropy(tg.tensor(X), [2, 0], weight=w).item() != plain.item()
    assert nn.NLLLoss(w)(tg.tensor(X), [1, 1]).item() == -X[:, 1].mean()  # (one class's)


# ------------------------------------------------------------------ weighted squared errors


@pytest.mark.torch
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_error_losses_are_pytorchs(name, reduction):
    torch = pytest.importorskip("torch")
    w = np.abs(Y) + 0.25
    x = tg.tensor(X, requires_grad=True)
    ours = getattr(F, name)(x, tg.tensor(Y), reduction=reduction, weight=tg.tensor(w))
    tx = torch.tensor(X, requires_grad=True)
    theirs = getattr(torch.nn.functional, name)(tx, torch.tensor(Y), reduction=reduction,
                                                weight=torch.tensor(w))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-14)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-14)
    weight = tg.tensor(w, requires_grad=True)
    assert tg.gradcheck(lambda a, b: getattr(F, name)(a, tg.tensor(Y), reduction=reduction,
                                                      weight=b), [x, weight])


def test_weighted_error_losses_refuse_a_weight_of_another_shape():
    with pytest.raises(ValueError, match=r"^mse_loss: weight of shape \(3,\) must have the "
                                         r"input's shape \(2, 3\)"):
        F.mse_loss(tg.tensor(X), tg.tensor(Y), weight=tg.ones(3))
    empty = F.mse_loss(tg.zeros((0, 3)), tg.zeros((0, 3)), reduction="sum", weight=tg.zeros(
        (0, 3)))
    assert empty.item() == 0.0


# ------------------------------------------------------------------ Embedding


EMB = np.random.default_rng(3).normal(size=(5, 3)) * 2
ROWS = np.array([[0, 2, 2], [4, 2, 1]])


@pytest.mark.torch
@pytest.mark.parametrize("options", [
    dict(max_norm=1.0), dict(max_norm=1.5, norm_type=1.0), dict(scale_grad_by_freq=True),
    dict(padding_idx=2, scale_grad_by_freq=True, max_norm=2.0), dict(_freeze=True)])
def test_embedding_options_are_pytorchs(options):
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(5, 3, _weight=EMB, **options)
    theirs = torch.nn.Embedding(5, 3, _weight=torch.tensor(EMB), **options)
    assert repr(ours) == repr(theirs)
    assert ours.weight.requires_grad == theirs.weight.requires_grad
    out, their_out = ours(tg.as_tensor(ROWS)), theirs(torch.tensor(ROWS))
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-15)  # (max_norm: renormalised in place, as torch's)
    if ours.weight.requires_grad:
        g = np.arange(out.size, dtype=float).reshape(out.shape)
        (out * tg.tensor(g)).sum().backward()
        (their_out * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                                   rtol=1e-14)


def test_embedding_scale_grad_by_freq_divides_each_rows_gradient_by_its_count():
    plain, scaled = (tg.tensor(EMB, requires_grad=True) for _ in range(2))
    out = F.embedding(ROWS, scaled, None, None, 2.0, True)
    np.testing.assert_array_equal(out.numpy(), EMB[ROWS])
    out.sum().backward()
    F.embedding(ROWS, plain).sum().backward()
    counts = np.bincount(ROWS.ravel(), minlength=5)[:, None]
    np.testing.assert_allclose(scaled.grad.numpy(), plain.grad.numpy() / np.maximum(counts, 1))
    weight = tg.tensor(EMB, requires_grad=True)  # (max_norm above every row: no rescaling)
    assert tg.gradcheck(lambda w: F.embedding(ROWS, w, None, 100.0, 2.0), [weight])


def test_embedding_max_norm_writes_only_outside_the_graph():
    weight = tg.tensor(EMB.copy(), requires_grad=True)
    out = F.embedding(ROWS, weight, max_norm=1.0)
    norms = np.linalg.norm(weight.numpy(), axis=1)
    assert (norms[np.unique(ROWS)] <= 1.0 + 1e-6).all()
    assert norms[3] == np.linalg.norm(EMB[3])  # (a row not looked up keeps its norm)
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy()[3], 0.0)


def test_embedding_refuses_sparse_and_a_weight_of_another_shape():
    with pytest.raises(NotImplementedError, match=r"^Embedding: sparse=True is not supported"):
        nn.Embedding(5, 3, sparse=True)
    with pytest.raises(NotImplementedError, match=r"^embedding: sparse=True is not supported"):
        F.embedding(ROWS, tg.tensor(EMB), sparse=True)
    with pytest.raises(ValueError, match=r"^Embedding: _weight of shape \(5, 3\) must have "
                                         r"shape \(num_embeddings, embedding_dim\) = \(4, 3\)"):
        nn.Embedding(4, 3, _weight=EMB)
    with pytest.raises(ValueError, match=r"^embedding: max_norm must be positive"):
        F.embedding(ROWS, tg.tensor(EMB), max_norm=-1.0)


def test_embedding_keeps_float32_and_an_empty_lookup():
    layer = nn.Embedding(5, 3, _weight=EMB.astype(np.float32), max_norm=1.0)
    assert layer(tg.as_tensor(ROWS)).dtype == np.float32
    assert layer(tg.as_tensor(np.zeros((0,), np.int64))).shape == (0, 3)


# ------------------------------------------------------------------ activations and the rest


@pytest.mark.torch
def test_softplus_threshold_is_pytorchs():
    torch = pytest.importorskip("torch")
    values = np.array([-30.0, -1.0, 0.0, 4.9, 5.0, 5.1, 40.0])
    x = tg.tensor(values, requires_grad=True)
    out = nn.Softplus(2.0, 10.0)(x)
    tx = torch.tensor(values, requires_grad=True)
    their_out = torch.nn.Softplus(2.0, 10.0)(tx)
    np.testing.assert_allclose(out.numpy(), their_out.detach().numpy(), rtol=1e-15)
    out.sum().backward()
    their_out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-15)
    assert repr(nn.Softplus(2.0, 10.0)) == "Softplus(beta=2.0, threshold=10.0)"
    assert tg.gradcheck(lambda a: F.softplus(a, 1.0, 2.0), [tg.tensor([-1.0, 0.5, 2.5],
                                                                      requires_grad=True)])


def test_hardtanh_takes_pytorchs_deprecated_min_value_with_its_warning():
    with pytest.warns(FutureWarning, match=r"^keyword argument `min_value` is deprecated and "
                                           r"renamed to `min_val`$"):
        layer = nn.Hardtanh(min_value=-2.0)
    assert (layer.min_val, layer.max_val) == (-2.0, 1.0)


@pytest.mark.torch
def test_softmax_dtype_casts_first_as_pytorchs():
    torch = pytest.importorskip("torch")
    for function in ("softmax", "log_softmax", "softmin"):
        ours = getattr(F, function)(tg.tensor(X), 1, dtype=np.float32)
        theirs = getattr(torch.nn.functional, function)(torch.tensor(X), 1, dtype=torch.float32)
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert F.sigmoid(input=tg.tensor(X)).shape == X.shape
    np.testing.assert_array_equal(F.softmax(tg.tensor(X), axis=0).numpy(),
                                  F.softmax(tg.tensor(X), 0).numpy())  # (NumPy's word too)
    with pytest.raises(TypeError, match=r"^softmin: give axis= or dim="):
        F.softmin(tg.tensor(X), 1, axis=1)


def test_containers_and_layers_take_pytorchs_names():
    assert len(nn.ModuleList(modules=[nn.ReLU()])) == len(nn.ModuleList()) + 1
    assert len(nn.ParameterList(values=None)) == 0
    assert list(nn.Sequential(OrderedDict(act=nn.ReLU())).state_dict()) == []
    layer = nn.Linear(3, 2, True, "cpu", np.float32, init="zeros")
    assert layer.weight.dtype == np.float32 and not layer.weight.numpy().any()
    with pytest.raises(TypeError, match=r"takes from 3 to 6 positional arguments"):
        nn.Linear(3, 2, True, None, None, "zeros")  # (init is keyword-only)
    with pytest.raises(TypeError, match=r"positional argument"):
        nn.Dropout(0.5, False, 3)  # (seed is keyword-only)
    with pytest.raises(TypeError, match=r"^normalize: out= is not supported"):
        F.normalize(tg.tensor(X), out=tg.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"^dropout: inplace must be True or False"):
        F.dropout(tg.tensor(X), 0.5, True, np.random.default_rng(0))  # (generator: keyword)
