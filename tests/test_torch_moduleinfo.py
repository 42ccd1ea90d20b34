"""PyTorch's own samples for its nn layers (module_db), run in torch and in tinygrad_gd.

`torch.testing._internal.common_modules.module_db` holds one ModuleInfo per layer, and its
`module_inputs_func` gives the constructor arguments and forward inputs PyTorch tests the
layer with (float64 here, inputs needing a gradient, training mode; eval mode too where
the layer behaves differently in it: batch and instance norm, attention, recurrent
layers). For every layer tinygrad_gd has by the same name, each sample builds torch's
layer and ours from the same arguments (torch tensors become ours), copies torch's
parameters and buffers into ours by their state_dict names (a name that differs is a
difference), runs both forward on the same inputs and compares the outputs (shapes,
dtypes, values to 1e-12 of the largest entry, as test_torch_edges), the buffers after the
forward (running statistics), then the gradients of every input that needs one and of
every parameter, from one seeded random cotangent per output. Torch is seeded before the
samples are made, so every run sees the same numbers.

No sample of module_db draws random numbers in the forward pass: it has no dropout layer,
the fractional max pools are given `_random_samples`, every transformer and attention
sample has dropout 0. A sample that would (a dropout with p > 0 in training, `_draws`) is
compared by its outputs' shapes and dtypes, then again in eval mode, values and gradients.
KNOWN lists the differences that stay, each with its reason, keyed by layer and case; one
that goes away fails too. MISSING names each layer of module_db that tinygrad_gd lacks.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")
common_modules = pytest.importorskip(  # (needs the package expecttest)
    "torch.testing._internal.common_modules")
from test_torch_edges import assert_as_known, mismatch, outcome  # noqa: E402  (after the skips)

pytestmark = pytest.mark.torch

MODULE_INFOS = {info.module_cls.__name__: info for info in common_modules.module_db}

# module_db's layers that tinygrad_gd does not have, each with why
MISSING: dict[str, str] = {}
CHECKED = sorted(set(MODULE_INFOS) - set(MISSING))

# ---------------------------------------------------------------------------------------
# torch's arguments as ours


def _layer(layer: Any) -> Any:
    """A torch transformer layer handed to a constructor (module_db's TransformerEncoder
    samples pass a TransformerEncoderLayer): ours with its settings, read off its parts."""
    attention = layer.self_attn
    return getattr(tg.nn, type(layer).__name__)(
        attention.embed_dim, attention.num_heads, layer.linear1.out_features,
        layer.dropout.p, ours(layer.activation), layer.norm1.eps, attention.batch_first,
        layer.norm_first, bias=layer.linear1.bias is not None)


def ours(value: Any) -> Any:
    """`value` with torch's tensors as tinygrad_gd's (a copy, needing a gradient where
    torch's does), torch's layers and functions as ours of the same name."""
    if isinstance(value, torch.Tensor):
        return tg.tensor(value.detach().numpy().copy(), requires_grad=value.requires_grad)
    if isinstance(value, torch.nn.Module):
        return _layer(value)
    if isinstance(value, (list, tuple)):
        return type(value)(ours(v) for v in value)
    if isinstance(value, dict):
        return {k: ours(v) for k, v in value.items()}
    named = getattr(value, "__name__", "")
    if callable(value) and getattr(torch.nn.functional, named, None) is value:
        return getattr(tg.nn.functional, named)
    return value


def fresh(value: Any) -> Any:
    """`value` with each torch tensor a new leaf of the same values (a case's own inputs)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, (list, tuple)):
        return type(value)(fresh(v) for v in value)
    if isinstance(value, dict):
        return {k: fresh(v) for k, v in value.items()}
    return value


def leaves(value: Any) -> list:
    """The non-container entries of nested tuples, lists and dicts, in order."""
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in leaves(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in leaves(v)]
    return [value]


def _array(t: Any) -> np.ndarray:
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _dtype(t: Any) -> str:
    return str(t.dtype).replace("torch.", "")


def _draws(layer: Any) -> bool:
    """Whether torch's `layer` draws random numbers in its forward pass (a dropout with
    p > 0 in training mode)."""
    return any(m.training and isinstance(m, torch.nn.modules.dropout._DropoutNd) and m.p > 0
               for m in layer.modules())


# ---------------------------------------------------------------------------------------
# One sample


def _build(name: str, sample: Any, training: bool) -> tuple[Any, Any]:
    """torch's layer and ours (or how ours refused), the same state in both."""
    args, kwargs = sample.constructor_input.args, sample.constructor_input.kwargs
    with warnings.catch_warnings():  # (torch's advice on its nested-tensor fast path)
        warnings.simplefilter("ignore")
        theirs = MODULE_INFOS[name].module_cls(*args, **kwargs).to(torch.float64)
    theirs.train(training)
    mine = outcome(lambda: getattr(tg.nn, name)(*ours(args), **ours(kwargs)).train(training))
    if isinstance(mine, str):
        return theirs, f"building ours {mine}"
    if isinstance(theirs, torch.nn.modules.lazy.LazyModuleMixin):  # (a first forward shapes it)
        forward = sample.forward_input
        with torch.no_grad():
            theirs(*fresh(forward.args), **fresh(forward.kwargs))
        with tg.no_grad():
            mine(*ours(forward.args), **ours(forward.kwargs))
    state, names = theirs.state_dict(), set(mine.state_dict())
    if names != set(state):
        return theirs, (f"state_dict names differ: ours alone {sorted(names - set(state))}, "
                        f"torch's alone {sorted(set(state) - names)}")
    loaded = outcome(mine.load_state_dict, {k: v.numpy() for k, v in state.items()})
    return theirs, f"loading torch's state {loaded}" if isinstance(loaded, str) else mine


def _same(what: str, mine: Any, theirs: Any, values: bool = True) -> str | None:
    """How tensor `mine` differs from torch's `theirs` (None where both are None)."""
    if mine is None or theirs is None:
        return None if mine is theirs else f"{what}: ours {mine!r:.40}, torch's {theirs!r:.40}"
    if _dtype(mine) != _dtype(theirs) or tuple(mine.shape) != tuple(theirs.shape):
        return (f"{what}: ours {_dtype(mine)} {tuple(mine.shape)}, torch's {_dtype(theirs)} "
                f"{tuple(theirs.shape)}")
    found = mismatch(_array(mine), _array(theirs)) if values else None
    return f"{what} {found}" if found else None


def _gradients(theirs: Any, mine: Any, pairs: list, inputs: list) -> str | None:
    """How the gradients differ, from one seeded cotangent per output of `pairs` (ours,
    torch's), with respect to `inputs` (ours, torch's) and every parameter."""
    rng = np.random.default_rng(0)
    cotangents = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
    params = [(n, p) for n, p in theirs.named_parameters() if p.requires_grad]
    own = dict(mine.named_parameters())
    wrt = [*inputs, *((own.get(n), p) for n, p in params)]
    if any(o is None or not o.requires_grad for o, _ in wrt):
        return "a parameter of torch's needs no gradient in ours"
    labels = [f"input {k}" for k in range(len(inputs))] + [f"parameter {n}" for n, _ in params]
    expected = torch.autograd.grad([t for _, t in pairs], [t for _, t in wrt],
                                   [torch.from_numpy(c) for c in cotangents], allow_unused=True)
    got = outcome(lambda: tg.autograd.grad([o for o, _ in pairs], [o for o, _ in wrt],
                                           [tg.tensor(c) for c in cotangents],
                                           allow_unused=True))
    if isinstance(got, str):
        return f"backward: ours {got}"
    for label, g, h, (o, t) in zip(labels, got, expected, wrt):
        g = np.zeros(o.shape) if g is None else _array(g)
        h = np.zeros(tuple(t.shape)) if h is None else _array(h)
        found = mismatch(g, h)
        if found:
            return f"gradient of {label} {found}"
    return None


def compare(name: str, sample: Any, training: bool) -> str | None:
    """One sample in one mode: None where both layers agree, else the first difference."""
    theirs, mine = _build(name, sample, training)
    if isinstance(mine, str):
        return mine
    forward = sample.forward_input
    t_args, t_kwargs = fresh(forward.args), fresh(forward.kwargs)
    o_args, o_kwargs = ours(forward.args), ours(forward.kwargs)
    expected = outcome(lambda: theirs(*t_args, **t_kwargs))
    got = outcome(lambda: mine(*o_args, **o_kwargs))
    if isinstance(got, str) or isinstance(expected, str):
        return None if isinstance(got, str) and isinstance(expected, str) else \
            f"forward: ours {got!r:.200}, torch's {expected!r:.200}"
    got, expected = leaves(got), leaves(expected)
    if len(got) != len(expected):
        return f"forward: {len(got)} outputs in ours, {len(expected)} in torch's"
    random = _draws(theirs)
    for k, (o, t) in enumerate(zip(got, expected)):
        found = _same(f"output {k}", o, t, values=not random)
        if found:
            return found
    if random:  # (its values and gradients: in eval mode, where it draws nothing)
        found = compare(name, sample, False)
        return f"in eval mode: {found}" if found else None
    buffers = dict(mine.named_buffers())
    for n, t in theirs.named_buffers():
        found = _same(f"buffer {n} after the forward", buffers.get(n), t)
        if found:
            return found
    pairs = [(o, t) for o, t in zip(got, expected) if t is not None and t.requires_grad]
    if not pairs:
        return None
    if not all(o.requires_grad for o, _ in pairs):
        return "an output of ours needs no gradient where torch's does"
    inputs = [(o, t) for o, t in zip(leaves((o_args, o_kwargs)), leaves((t_args, t_kwargs)))
              if isinstance(t, torch.Tensor) and t.requires_grad]
    return _gradients(theirs, mine, pairs, inputs)


def cases(name: str):
    """Every (case, training, sample) of the layer: its samples in training mode, and in
    eval mode where module_db says the layer behaves differently there."""
    info = MODULE_INFOS[name]
    for training in (True, False) if info.train_and_eval_differ else (True,):
        torch.manual_seed(0)
        samples = info.module_inputs_func(info, device="cpu", dtype=torch.float64,
                                          requires_grad=True, training=training)
        for k, sample in enumerate(samples):
            yield f"{'train' if training else 'eval'} {k} {sample.desc}".strip(), training, sample


def differences(name: str) -> dict[str, str]:
    """case: how the layers differ there, for every case of `name` that differs."""
    found = {}
    for case, training, sample in cases(name):
        diff = compare(name, sample, training)
        if diff:
            found[case] = diff
    return found


# ---------------------------------------------------------------------------------------
# The differences that stay: (layer, case) -> why. The reason's first word is its kind:
# design (tinygrad_gd differs on purpose, and says so), missing (an option it lacks),
# torch (PyTorch's own result is wrong), slow (too slow here on the sample's sizes).

KNOWN: dict[tuple[str, str], str] = {
    **{("CTCLoss", case): "torch: PyTorch's ctc_loss backward gives exp(log_probs) - "
       "posterior, the gradient of the logits under a log_softmax (the samples' log_probs "
       "are log_softmax outputs), not of log_probs themselves (ours: -posterior, as finite "
       "differences); through the log_softmax both agree "
       "(test_ctc_loss_gradients_agree_through_log_softmax)" for case, _, _ in cases("CTCLoss")},
    **{("MarginRankingLoss", case): "design: the target must hold 1 or -1 (PyTorch's docs); "
       "ours refuses the 0s of the samples' target (sign() of random integers) in one line, "
       "where torch's gives margin" for case, _, _ in cases("MarginRankingLoss")},
}

# ---------------------------------------------------------------------------------------
# The tests


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """torch on one thread while this file runs: on samples this small its thread pool
    only waits (the transformers' samples run ten times faster on one thread here)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("name", CHECKED)
def test_module_samples_agree_with_pytorch(name):
    assert_as_known(name, differences(name), KNOWN, "KNOWN")


def test_ctc_loss_gradients_agree_through_log_softmax():
    for case, _, sample in cases("CTCLoss"):
        log_probs, *rest = sample.forward_input.args
        kwargs = sample.constructor_input.kwargs
        logits = fresh(log_probs)  # (as logits: their log_softmax is themselves)
        expected = torch.nn.CTCLoss(**kwargs)(logits.log_softmax(2), *fresh(rest))
        x = ours(logits)
        got = tg.nn.CTCLoss(**kwargs)(x.log_softmax(2), *ours(rest))
        assert _same("value", got, expected) is None, case
        seed = np.random.default_rng(0).standard_normal(tuple(expected.shape))
        (slope,) = torch.autograd.grad(expected, logits, torch.from_numpy(seed))
        assert mismatch(_array(tg.autograd.grad(got, x, tg.tensor(seed))[0]),
                        slope.numpy()) is None, case


@pytest.mark.parametrize("function", ["softmax", "log_softmax", "softmin"])
def test_softmax_functions_take_a_0_d_tensor_along_its_one_axis(function):
    # module_db's Softmax, LogSoftmax and Softmin samples of a scalar, for F and every dim
    theirs, mine = getattr(torch.nn.functional, function), getattr(tg.nn.functional, function)
    for dim in (None, 0, -1):
        x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
        y = outcome(theirs, x, dim)  # (dim=None: torch warns)
        x_ours = ours(x)
        got = mine(x_ours, dim)
        assert _same(f"dim={dim}", got, y) is None
        (slope,) = torch.autograd.grad(y, x, torch.tensor(1.5, dtype=torch.float64))
        (ours_slope,) = tg.autograd.grad(got, x_ours, tg.tensor(1.5))
        assert mismatch(_array(ours_slope), slope.numpy()) is None
    assert outcome(mine, tg.tensor(0.7), 1).startswith("refused (AxisError")


def test_every_module_info_is_checked_or_named_missing():
    assert len(MODULE_INFOS) == len(common_modules.module_db)
    assert [n for n in CHECKED if not isinstance(getattr(tg.nn, n, None), type)] == []
    assert [n for n in MISSING if hasattr(tg.nn, n) or n not in MODULE_INFOS] == []
    assert [why for why in MISSING.values() if not why.startswith("missing:")] == []
    kinds = ("design", "missing", "torch", "slow")
    assert [k for k, why in KNOWN.items()
            if k[0] not in CHECKED or why.split()[0].rstrip(":") not in kinds] == []


def test_the_comparison_catches_a_wrong_value_gradient_and_running_statistic(monkeypatch):
    def planted(layer, change):
        forward = getattr(tg.nn, layer).forward
        monkeypatch.setattr(getattr(tg.nn, layer), "forward",
                            lambda self, input: change(self, forward(self, input)))
        return differences(layer)

    found = planted("Tanh", lambda self, y: y + 1e-3)
    assert len(found) == len(list(cases("Tanh")))
    assert [d for d in found.values() if not d.startswith("output 0 at")] == []
    # the same values, twice the gradient
    found = planted("Linear", lambda self, y: y.detach() + 2 * (y - y.detach()))
    assert len(found) == len(list(cases("Linear")))
    assert [d for d in found.values() if not d.startswith("gradient of input 0 at")] == []

    def drift(self, y):  # the running mean moved after the forward
        if getattr(self, "running_mean", None) is not None:  # (absent without tracking)
            with tg.no_grad():
                self.running_mean.add_(1e-3)
        return y
    found = planted("BatchNorm1d", drift)
    assert len(found) >= 10
    assert [d for d in found.values() if not d.startswith("buffer running_mean")] == []


def test_a_layer_that_draws_is_compared_by_shapes_then_in_eval_mode(monkeypatch):
    torch.manual_seed(0)
    sample = common_modules.ModuleInput(
        constructor_input=common_modules.FunctionInput(4, 2, 8, 0.5),
        forward_input=common_modules.FunctionInput(
            torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)))
    assert compare("TransformerEncoderLayer", sample, True) is None
    dropout = tg.nn.Dropout.forward
    monkeypatch.setattr(tg.nn.Dropout, "forward",
                        lambda self, x: dropout(self, x) + (0.0 if self.training else 1e-3))
    assert compare("TransformerEncoderLayer", sample, True).startswith(
        "in eval mode: output 0 at")
