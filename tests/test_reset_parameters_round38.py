"""`reset_parameters()` on every layer PyTorch 2.13 gives it (thirty-eighth round).

A reset gives a layer's parameters PyTorch's starting values again. Each class's rule is
written here from torch's source (torch/nn/modules/*.py) as a check of the values:
within the uniform bound computed from fan_in (or hidden_size, in1_features) and not all
equal; N(0, 1) with the padding row zero; ones, zeros and the running statistics
exactly; PReLU's slope `init`. Ours meets it after its parameters were set to constants
or trained a step, and (marked `torch`) PyTorch's own layer of the same arguments meets
the same check, so the rules are PyTorch's. Also: the same Parameter objects (an
optimizer made before still trains them), their dtype kept, a seeded reset repeats and
draws what the seeded constructor drew, a lazy layer's reset before its first call does
nothing (as PyTorch's), and a reset between forward and backward is refused where the
backward reads the old values (PyTorch's refuses the same, but for the instance norms).
A subclass overriding `reset_parameters(self)` is built by its override, as PyTorch's
(its seed= or generator= what the override draws from); float16 and float64 layers,
resets under no_grad and inference_mode, frozen parameters, seed= and generator= on
every layer's reset, and Linear's inits against their definitions.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.nn.lazy import is_lazy


def _floats(lib, *shape, seed=0):
    """An input that requires a gradient (so a backward reads the weights)."""
    values = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(values, requires_grad=True)


def _indices(lib, rows):
    return lib.tensor(np.array(rows, dtype=np.int64))


# ------------------------------------------------------------------ PyTorch's rules


def _fan_in(shape):
    """torch.nn.init._calculate_fan_in_and_fan_out's fan_in: axis 1 times the rest."""
    return shape[1] * math.prod(shape[2:])


def _kaiming(layer, prefix=""):
    """Linear's and the convolutions': kaiming_uniform_(weight, a=sqrt(5)), bound gain *
    sqrt(3 / fan_in) with gain sqrt(2 / (1 + a**2)); the bias from U(+-1/sqrt(fan_in))."""
    fan = _fan_in(tuple(layer.weight.shape))
    rule = {prefix + "weight": ("uniform", math.sqrt(2 / (1 + 5)) * math.sqrt(3 / fan))}
    if layer.bias is not None:
        rule[prefix + "bias"] = ("uniform", 1 / math.sqrt(fan))
    return rule


def _bilinear(layer):
    """Both from U(+-1/sqrt(weight.size(1)))."""
    bound = 1 / math.sqrt(layer.weight.shape[1])
    return {name: ("uniform", bound) for name, _ in layer.named_parameters()}


def _recurrent(layer):
    """RNNBase's and RNNCellBase's: every parameter from U(+-1/sqrt(hidden_size))."""
    bound = 1 / math.sqrt(layer.hidden_size)
    return {name: ("uniform", bound) for name, _ in layer.named_parameters()}


def _affine(layer):
    """The norms' weight 1, bias 0; _NormBase's running mean 0, variance 1, count 0."""
    wanted = {"weight": ("equal", 1), "bias": ("equal", 0), "running_mean": ("equal", 0),
              "running_var": ("equal", 1), "num_batches_tracked": ("equal", 0)}
    return {name: rule for name, rule in wanted.items() if getattr(layer, name, None) is not None}


def _embedding(layer):
    """normal_(weight), then the padding_idx row zero."""
    return {"weight": ("normal", layer.padding_idx)}


def _prelu(layer):
    return {"weight": ("equal", layer.init)}


def _adaptive(layer):
    """AdaptiveLogSoftmaxWithLoss's: the head's and each tail Linear's own reset."""
    rule = _kaiming(layer.head, "head.")
    for i, tail in enumerate(layer.tail):
        for j, linear in enumerate(tail):
            rule.update(_kaiming(linear, f"tail.{i}.{j}."))
    return rule


def _one_seq(lib):
    return (_floats(lib, 4, 2, 3),)


# id: (class, args, kwargs, the forward's inputs, the rule)
CASES = {
    "Linear": ("Linear", (5, 4), {}, lambda lib: (_floats(lib, 3, 5),), _kaiming),
    "Linear-no-bias": ("Linear", (5, 4), {"bias": False}, lambda lib: (_floats(lib, 3, 5),),
                       _kaiming),
    "Bilinear": ("Bilinear", (3, 4, 2), {},
                 lambda lib: (_floats(lib, 2, 3), _floats(lib, 2, 4, seed=1)), _bilinear),
    "Conv1d": ("Conv1d", (4, 6, 3), {"groups": 2}, lambda lib: (_floats(lib, 2, 4, 7),),
               _kaiming),
    "Conv2d": ("Conv2d", (4, 6, (2, 3)), {}, lambda lib: (_floats(lib, 2, 4, 5, 5),),
               _kaiming),
    "Conv3d": ("Conv3d", (2, 4, 2), {"bias": False},
               lambda lib: (_floats(lib, 1, 2, 3, 3, 3),), _kaiming),
    "ConvTranspose1d": ("ConvTranspose1d", (4, 6, 3), {"groups": 2},
                        lambda lib: (_floats(lib, 2, 4, 5),), _kaiming),
    "ConvTranspose2d": ("ConvTranspose2d", (4, 6, 2), {},
                        lambda lib: (_floats(lib, 2, 4, 3, 3),), _kaiming),
    "ConvTranspose3d": ("ConvTranspose3d", (2, 4, 2), {},
                        lambda lib: (_floats(lib, 1, 2, 2, 2, 2),), _kaiming),
    "Embedding": ("Embedding", (50, 4), {"padding_idx": 3},
                  lambda lib: (_indices(lib, [0, 3, 5]),), _embedding),
    "EmbeddingBag": ("EmbeddingBag", (50, 4), {"padding_idx": -1, "mode": "sum"},
                     lambda lib: (_indices(lib, [[0, 49], [5, 1]]),), _embedding),
    "LayerNorm": ("LayerNorm", ((2, 3),), {}, lambda lib: (_floats(lib, 4, 2, 3),), _affine),
    "GroupNorm": ("GroupNorm", (2, 4), {}, lambda lib: (_floats(lib, 2, 4, 3),), _affine),
    "RMSNorm": ("RMSNorm", (4,), {}, lambda lib: (_floats(lib, 2, 4),), _affine),
    "PReLU": ("PReLU", (3,), {"init": 0.1}, lambda lib: (_floats(lib, 2, 3, 4),), _prelu),
    "BatchNorm1d": ("BatchNorm1d", (4,), {}, lambda lib: (_floats(lib, 3, 4),), _affine),
    "BatchNorm2d": ("BatchNorm2d", (4,), {}, lambda lib: (_floats(lib, 2, 4, 2, 2),),
                    _affine),
    "BatchNorm3d": ("BatchNorm3d", (4,), {"bias": False},
                    lambda lib: (_floats(lib, 2, 4, 2, 2, 2),), _affine),
    "InstanceNorm1d": ("InstanceNorm1d", (4,), {"affine": True, "track_running_stats": True},
                       lambda lib: (_floats(lib, 2, 4, 5),), _affine),
    "InstanceNorm2d": ("InstanceNorm2d", (4,), {"affine": True},
                       lambda lib: (_floats(lib, 2, 4, 3, 3),), _affine),
    "InstanceNorm3d": ("InstanceNorm3d", (4,), {"affine": True, "bias": False,
                                                "track_running_stats": True},
                       lambda lib: (_floats(lib, 2, 4, 2, 2, 2),), _affine),
    "RNNCell": ("RNNCell", (3, 5), {}, lambda lib: (_floats(lib, 2, 3),), _recurrent),
    "LSTMCell": ("LSTMCell", (3, 5), {"bias": False}, lambda lib: (_floats(lib, 2, 3),),
                 _recurrent),
    "GRUCell": ("GRUCell", (3, 5), {}, lambda lib: (_floats(lib, 2, 3),), _recurrent),
    "RNN": ("RNN", (3, 5, 2), {"bidirectional": True}, _one_seq, _recurrent),
    "LSTM": ("LSTM", (3, 5, 2), {"proj_size": 2}, _one_seq, _recurrent),
    "GRU": ("GRU", (3, 5), {}, _one_seq, _recurrent),
    "AdaptiveLogSoftmaxWithLoss": (
        "AdaptiveLogSoftmaxWithLoss", (8, 10, [2, 5]), {"div_value": 2.0, "head_bias": True},
        lambda lib: (_floats(lib, 4, 8), _indices(lib, [0, 3, 6, 9])), _adaptive),
    # a lazy layer is built and called once (then it is its plain class, as PyTorch's)
    "LazyLinear": ("LazyLinear", (4,), {}, lambda lib: (_floats(lib, 3, 5),), _kaiming),
    "LazyConv2d": ("LazyConv2d", (6, 3), {}, lambda lib: (_floats(lib, 1, 2, 4, 4),),
                   _kaiming),
    "LazyConvTranspose1d": ("LazyConvTranspose1d", (6, 3), {},
                            lambda lib: (_floats(lib, 1, 2, 4),), _kaiming),
    "LazyBatchNorm1d": ("LazyBatchNorm1d", (), {}, lambda lib: (_floats(lib, 3, 4),),
                        _affine),
    "LazyInstanceNorm2d": ("LazyInstanceNorm2d", (), {},
                           lambda lib: (_floats(lib, 2, 4, 3, 3),), _affine),
}
RANDOM = [name for name, case in CASES.items() if case[4] not in (_affine, _prelu)]
# the backward of a lookup does not read the table, so a reset before it changes nothing
# it needs (PyTorch's goes on too)
# (PReLU's backward reads the slope the forward picked, x's where x <= 0, not the weight)
READS_ITS_WEIGHTS = [name for name in CASES if not name.startswith(("Embedding", "PReLU"))]


def _make(lib, name, dtype=None):
    cls, args, kwargs, inputs, _ = CASES[name]
    layer = getattr(lib.nn, cls)(*args, **kwargs, **({} if dtype is None else {"dtype": dtype}))
    if cls.startswith("Lazy"):  # (its input in the layer's dtype)
        layer(*[x.float() if dtype is not None and x.is_floating_point() else x
                for x in inputs(lib)])
    return layer


def _loss(layer, lib, name):
    out = layer(*CASES[name][3](lib))
    while isinstance(out, tuple):  # (output, state), (h, c), (output, loss)
        out = out[0]
    return (out ** 2).sum()


def _values(layer):
    """The layer's state as NumPy arrays (ours are already; PyTorch's are tensors)."""
    return {k: np.array(v.detach().numpy() if hasattr(v, "detach") else v)
            for k, v in layer.state_dict().items()}


def _set_constants(layer, lib):
    """Every parameter and buffer 7, far from any starting value."""
    with lib.no_grad():
        for tensor in list(layer.parameters()) + list(layer.buffers()):
            tensor.fill_(7)


def _meets(layer, name):
    """Whether the layer's state is what `name`'s rule says PyTorch's reset gives."""
    _check(layer, CASES[name][4])


def _check(layer, rule):
    values, rule = _values(layer), rule(layer)
    assert set(values) == set(rule), "the rule covers each parameter and buffer"
    for key, (kind, arg) in rule.items():
        v = values[key]
        if kind == "uniform":
            # (the bound as the dtype holds it: within its rounding)
            assert np.abs(v).max() <= arg * (1 + np.finfo(v.dtype).eps), (key, v, arg)
            assert v.size < 2 or np.ptp(v) > 0, (key, v)
        elif kind == "equal":
            np.testing.assert_array_equal(v, np.full(v.shape, arg, v.dtype), err_msg=key)
        else:  # N(0, 1), the padding row zero
            rows = np.delete(v, arg, axis=0) if arg is not None else v
            if arg is not None:
                np.testing.assert_array_equal(v[arg], 0)
            # (200 draws: the mean within 4 of its standard errors, the spread near 1)
            assert abs(rows.mean()) < 4 / rows.size ** 0.5 and 0.8 < rows.std() < 1.2, key


# ------------------------------------------------------------------ the classes


@pytest.mark.torch
def test_every_layer_pytorch_gives_a_reset_has_one_here_and_a_case_above(torch64):
    ours = [n for n in tg.nn.__all__ if isinstance(getattr(tg.nn, n), type)
            and issubclass(getattr(tg.nn, n), tg.nn.Module)]
    for method in ("reset_parameters", "reset_running_stats"):
        theirs = [n for n in ours if hasattr(getattr(torch64.nn, n, None), method)]
        assert theirs, method
        assert [n for n in theirs if not hasattr(getattr(tg.nn, n), method)] == []
    theirs = {n for n in ours if hasattr(getattr(torch64.nn, n, None), "reset_parameters")}
    cased = {case[0] for case in CASES.values()}
    # (the bases are run through their subclasses; the lazy ones not above are built as
    # those that are, then are their plain class)
    others = {"RNNBase", "RNNCellBase", "LazyConv1d", "LazyConv3d", "LazyConvTranspose2d",
              "LazyConvTranspose3d", "LazyBatchNorm2d", "LazyBatchNorm3d",
              "LazyInstanceNorm1d", "LazyInstanceNorm3d"}
    assert theirs - cased == others


@pytest.mark.parametrize("name", CASES)
def test_a_reset_restores_pytorchs_starting_values(name):
    layer = _make(tg, name)
    _set_constants(layer, tg)
    layer.reset_parameters()
    _meets(layer, name)


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
def test_pytorchs_reset_meets_the_same_rule_same_objects_same_dtype(name, torch64):
    torch64.manual_seed(0)
    layer = _make(torch64, name, torch64.float32)
    before = dict(layer.named_parameters())
    _set_constants(layer, torch64)
    layer.reset_parameters()
    _meets(layer, name)
    after = dict(layer.named_parameters())
    assert all(after[k] is p and p.dtype == torch64.float32 for k, p in before.items())


@pytest.mark.parametrize("name", CASES)
def test_a_reset_keeps_the_same_parameters_and_their_dtype(name):
    layer = _make(tg, name, tg.float32)
    tensors = dict(layer.named_parameters(), **dict(layer.named_buffers()))
    _set_constants(layer, tg)
    layer.reset_parameters()
    _meets(layer, name)
    now = dict(layer.named_parameters(), **dict(layer.named_buffers()))
    assert all(now[k] is t for k, t in tensors.items())
    assert all(p.dtype == tg.float32 for p in layer.parameters())


@pytest.mark.parametrize("name", RANDOM)
def test_a_seeded_reset_repeats_and_draws_what_the_seeded_constructor_drew(name):
    tg.manual_seed(0)
    built = _values(_make(tg, name))
    layer = _make(tg, name)
    tg.manual_seed(0)
    layer.reset_parameters()
    assert _values(layer).keys() == built.keys()
    for key, value in _values(layer).items():
        np.testing.assert_array_equal(value, built[key], err_msg=key)
    tg.manual_seed(1)
    layer.reset_parameters()
    first = _values(layer)
    layer.reset_parameters(generator=np.random.default_rng(2))
    drawn = _values(layer)
    tg.manual_seed(1)
    layer.reset_parameters()
    assert all(np.array_equal(v, first[k]) for k, v in _values(layer).items())
    assert not all(np.array_equal(v, drawn[k]) for k, v in first.items() if v.size > 1)
    layer.reset_parameters(generator=np.random.default_rng(2))
    assert all(np.array_equal(v, drawn[k]) for k, v in _values(layer).items())


@pytest.mark.parametrize("name", CASES)
def test_an_optimizer_made_before_a_reset_still_trains_the_parameters(name):
    tg.manual_seed(0)
    layer = _make(tg, name)
    optimizer = tg.optim.SGD(layer.parameters(), lr=0.5)
    _loss(layer, tg, name).backward()
    optimizer.step()  # (trained a step: the values moved from their start)
    layer.reset_parameters()
    _meets(layer, name)
    reset = {k: v.copy() for k, v in _values(layer).items()}
    optimizer.zero_grad()
    _loss(layer, tg, name).backward()
    optimizer.step()
    moved = [k for k, p in layer.named_parameters() if not np.array_equal(
        _values(layer)[k], reset[k])]
    learned = [k for k, p in layer.named_parameters() if p.grad is not None
               and np.any(p.grad.numpy() != 0)]
    assert learned and sorted(moved) == sorted(learned)
    assert [id(p) for p in optimizer.param_groups[0]["params"]] == \
        [id(p) for p in layer.parameters()]


@pytest.mark.parametrize("name", READS_ITS_WEIGHTS)
def test_a_reset_between_forward_and_backward_is_refused(name):
    layer = _make(tg, name)
    loss = _loss(layer, tg, name)
    layer.reset_parameters()
    with pytest.raises(RuntimeError, match="changed in place after the op used it"):
        loss.backward()


@pytest.mark.parametrize("name", ["Embedding", "EmbeddingBag", "PReLU"])
def test_a_lookups_backward_after_a_reset_gives_the_gradient_it_would_have(name):
    tg.manual_seed(0)
    layer = _make(tg, name)
    _loss(layer, tg, name).backward()
    expected = layer.weight.grad.numpy().copy()
    layer.weight.grad = None
    loss = _loss(layer, tg, name)
    layer.reset_parameters()  # (a lookup's backward reads no rows; PReLU's its own copy)
    loss.backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), expected)


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
def test_pytorch_refuses_a_reset_between_forward_and_backward_where_ours_does(name, torch64):
    layer = _make(torch64, name)
    loss = _loss(layer, torch64, name)
    layer.reset_parameters()
    try:
        loss.backward()
        refused = False
    except RuntimeError as error:
        refused = "modified by an inplace operation" in str(error)
    # PyTorch's instance norm keeps a repeated copy of the weight for its backward; ours
    # reads the weight itself, so its gradient would not be the forward's: refused. PyTorch's
    # prelu reads the weight; ours its copy of the slopes used, giving the forward's gradient
    assert refused == ((name in READS_ITS_WEIGHTS or name.startswith("PReLU"))
                       and "InstanceNorm" not in name)


# ------------------------------------------------------------------ particular layers


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d",
                                  "InstanceNorm3d", "LazyBatchNorm1d", "LazyInstanceNorm2d"])
def test_reset_running_stats_leaves_the_parameters_as_they_are(name):
    layer = _make(tg, name)
    if layer.weight is not None:
        with tg.no_grad():
            layer.weight.fill_(3)
    layer.train()
    _loss(layer, tg, name)  # (moves the running statistics)
    assert not np.array_equal(layer.running_mean.numpy(), np.zeros(4))
    layer.reset_running_stats()
    np.testing.assert_array_equal(layer.running_mean.numpy(), np.zeros(4))
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(4))
    assert int(layer.num_batches_tracked.numpy()) == 0
    if layer.weight is not None:
        np.testing.assert_array_equal(layer.weight.numpy(), np.full(4, 3.0))


@pytest.mark.torch
def test_a_lazy_layers_reset_before_its_first_call_does_nothing_as_pytorchs(torch64):
    theirs = torch64.nn.LazyLinear(3)
    theirs.reset_parameters()
    assert isinstance(theirs.weight, torch64.nn.UninitializedParameter)
    tg.manual_seed(0)
    expected = tg.rand(3).numpy()
    for cls in (tg.nn.LazyLinear, tg.nn.LazyBatchNorm1d):
        layer = cls(3) if cls is tg.nn.LazyLinear else cls()
        tg.manual_seed(0)
        layer.reset_parameters()
        assert is_lazy(layer.weight)
        np.testing.assert_array_equal(tg.rand(3).numpy(), expected)  # (nothing drawn)
        layer(tg.ones(2, 4))
        assert layer.weight.shape[-1 if cls is tg.nn.LazyLinear else 0] == 4


# each init's draws, written from its definition, from a NumPy generator of the same seed:
# U(-b, b) is -b + u * 2b with u from rng.random (NumPy's [0, 1) grid, as float64 draws)
_LINEAR_INITS = {
    "uniform": lambda g: (_uniform(g, (4, 6), 1 / math.sqrt(6)), _uniform(g, 4, 1 / math.sqrt(6))),
    "normal": lambda g: (g.normal(0.0, 1 / math.sqrt(6), (4, 6)), np.zeros(4)),
    "he": lambda g: (g.normal(0.0, math.sqrt(2 / 6), (4, 6)), np.zeros(4)),
    "xavier": lambda g: (_uniform(g, (4, 6), math.sqrt(6 / (6 + 4))), np.zeros(4)),
    "zeros": lambda g: (np.zeros((4, 6)), np.zeros(4)),
}
_LINEAR_INITS.update(kaiming=_LINEAR_INITS["he"], glorot=_LINEAR_INITS["xavier"])


def _uniform(g, shape, bound):
    return g.random(shape) * (2 * bound) - bound


@pytest.mark.parametrize("init", sorted(tg.nn.INITS))
def test_linear_resets_by_its_own_init_from_seed_or_generator(init):
    layer = tg.nn.Linear(6, 4, init=init, dtype=tg.float64)
    for given in ({"seed": 3}, {"generator": np.random.default_rng(3)}):
        _set_constants(layer, tg)
        layer.reset_parameters(**given)
        weight, bias = _LINEAR_INITS[init](np.random.default_rng(3))
        np.testing.assert_allclose(layer.weight.numpy(), weight, rtol=1e-14, atol=0)
        np.testing.assert_allclose(layer.bias.numpy(), bias, rtol=1e-14, atol=0)


def test_model_apply_resets_every_layer_that_has_it():
    model = tg.nn.Sequential(tg.nn.Linear(5, 4), tg.nn.ReLU(), tg.nn.BatchNorm1d(4),
                             tg.nn.Linear(4, 1))
    _set_constants(model, tg)
    model.apply(lambda m: m.reset_parameters() if hasattr(m, "reset_parameters") else None)
    for layer, rule in ((model[0], _kaiming), (model[3], _kaiming), (model[2], _affine)):
        _check(layer, rule)


def test_a_reset_refuses_a_generator_of_another_kind_naming_the_layer():
    with pytest.raises(TypeError, match=r"^Conv2d.reset_parameters: generator must be a "
                                        r"numpy.random.Generator"):
        tg.nn.Conv2d(1, 2, 3).reset_parameters(generator=0)


# ------------------------------------------------------------------ subclasses, modes, dtypes

# every kind of layer whose constructor calls its reset (PyTorch's: all of CASES but the
# lazy ones, built as these, and AdaptiveLogSoftmaxWithLoss, whose constructor does not),
# and the two whose constructor calls `_reset_parameters`: (class, args, kwargs, method)
SUBCLASSED = {name: case[:3] + ("reset_parameters",) for name, case in CASES.items()
              if not name.startswith("Lazy") and name != "AdaptiveLogSoftmaxWithLoss"}
SUBCLASSED.update(
    MultiheadAttention=("MultiheadAttention", (4, 2), {"kdim": 3, "add_bias_kv": True},
                        "_reset_parameters"),
    Transformer=("Transformer", (4, 2, 1, 1, 8), {"batch_first": True}, "_reset_parameters"))


def _subclass(lib, name):
    """`name`'s class with PyTorch's usual override, `def reset_parameters(self)`: every
    parameter 0.5 (by lib's nn.init), each call recorded."""
    cls, args, kwargs, method = SUBCLASSED[name]
    calls = []

    def override(self):
        calls.append(type(self).__name__)
        for parameter in self.parameters():
            lib.nn.init.constant_(parameter, 0.5)
    return type("Mine", (getattr(lib.nn, cls),), {method: override}), args, kwargs, calls


@pytest.mark.parametrize("name", SUBCLASSED)
def test_a_subclass_overriding_the_reset_is_built_by_its_override(name):
    cls, args, kwargs, calls = _subclass(tg, name)
    layer = cls(*args, **kwargs)
    assert calls == ["Mine"]
    assert all(np.all(p.numpy() == 0.5) for p in layer.parameters())
    getattr(layer, SUBCLASSED[name][3])()
    assert calls == ["Mine"] * 2


@pytest.mark.torch
@pytest.mark.parametrize("name", SUBCLASSED)
def test_a_subclass_overriding_the_reset_is_built_as_pytorchs(name, torch64):
    built = {}
    for lib in (tg, torch64):
        cls, args, kwargs, calls = _subclass(lib, name)
        built[lib] = calls, _values(cls(*args, **kwargs))
    (ours, our_state), (theirs, their_state) = built[tg], built[torch64]
    assert ours == theirs == ["Mine"]
    assert our_state.keys() == their_state.keys()
    for key, value in their_state.items():  # (the running statistics 0 and 1 too)
        np.testing.assert_array_equal(our_state[key], value, err_msg=key)


def test_a_subclass_built_with_seed_or_generator_draws_from_it_and_leaves_the_global_one():
    class Mine(tg.nn.Linear):
        def reset_parameters(self):
            tg.nn.init.uniform_(self.weight, -1.0, 1.0)  # (no generator=: the global one)
            tg.nn.init.zeros_(self.bias)

    class Default(tg.nn.Linear):
        def reset_parameters(self):
            super().reset_parameters()

    class Broken(tg.nn.Linear):
        def reset_parameters(self):
            raise RuntimeError("mine")
    tg.manual_seed(0)
    after_seed = tg.rand(3).numpy()
    tg.manual_seed(0)
    layer = Mine(3, 2, dtype=tg.float64, seed=5)
    np.testing.assert_allclose(layer.weight.numpy(),
                               _uniform(np.random.default_rng(5), (2, 3), 1.0), rtol=1e-15)
    layer = Default(3, 2, dtype=tg.float64, generator=np.random.default_rng(7))
    rng, bound = np.random.default_rng(7), 1 / math.sqrt(3)
    np.testing.assert_allclose(layer.weight.numpy(), _uniform(rng, (2, 3), bound), rtol=1e-15)
    np.testing.assert_allclose(layer.bias.numpy(), _uniform(rng, 2, bound), rtol=1e-15)
    with pytest.raises(RuntimeError, match="^mine$"):
        Broken(3, 2, seed=1)
    np.testing.assert_array_equal(tg.rand(3).numpy(), after_seed)  # (its stream untouched)


@pytest.mark.parametrize("dtype", ["float16", "float64"])
@pytest.mark.parametrize("name", CASES)
def test_a_float16_or_float64_layer_resets_by_the_rule_in_its_dtype(name, dtype):
    layer = _make(tg, name, getattr(tg, dtype))
    _set_constants(layer, tg)
    layer.reset_parameters()
    _meets(layer, name)
    assert all(p.dtype == np.dtype(dtype) for p in layer.parameters())
    assert all(b.dtype == (np.dtype(dtype) if k != "num_batches_tracked" else np.int64)
               for k, b in layer.named_buffers())


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
@pytest.mark.parametrize("name", CASES)
def test_a_reset_under_no_grad_or_inference_mode_and_training_after_it(name, mode):
    layer = _make(tg, name)
    learns = {k: p.requires_grad for k, p in layer.named_parameters()}
    _set_constants(layer, tg)
    with getattr(tg, mode)():
        layer.reset_parameters()
    _meets(layer, name)
    assert {k: p.requires_grad for k, p in layer.named_parameters()} == learns
    _loss(layer, tg, name).backward()  # (outside the mode: its parameters are plain ones)
    assert any(p.grad is not None for p in layer.parameters())


@pytest.mark.parametrize("cls, args, method", [
    ("Linear", (3, 2), "reset_parameters"), ("Embedding", (5, 2), "reset_parameters"),
    ("LSTM", (2, 3), "reset_parameters"), ("PReLU", (), "reset_parameters"),
    ("BatchNorm1d", (3,), "reset_running_stats")])
def test_a_layer_made_in_inference_mode_is_reset_inside_it_and_refused_outside(cls, args,
                                                                                method):
    with tg.inference_mode():
        layer = getattr(tg.nn, cls)(*args)
        layer.reset_parameters()  # (inside: as PyTorch's)
    before = _values(layer)
    with pytest.raises(RuntimeError, match=rf"^{cls}\.{method}: Inplace update to inference "
                                           rf"tensor outside InferenceMode is not allowed"):
        layer.reset_parameters()
    assert all(np.array_equal(v, before[k]) for k, v in _values(layer).items())


@pytest.mark.torch
@pytest.mark.parametrize("cls, args", [("Linear", (3, 2)), ("Embedding", (5, 2)),
                                       ("LSTM", (2, 3)), ("PReLU", ()), ("BatchNorm1d", (3,))])
def test_pytorch_refuses_the_reset_outside_inference_mode_too(cls, args, torch64):
    with torch64.inference_mode():
        layer = getattr(torch64.nn, cls)(*args)
        layer.reset_parameters()
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside"):
        layer.reset_parameters()


@pytest.mark.parametrize("cls", ["Embedding", "EmbeddingBag"])
def test_a_negative_padding_idx_counts_from_the_end_and_its_row_is_zero_after_a_reset(cls):
    layer = getattr(tg.nn, cls)(50, 4, padding_idx=-3)
    assert layer.padding_idx == 50 - 3  # (PyTorch's: num_embeddings + padding_idx)
    _set_constants(layer, tg)
    layer.reset_parameters()
    _check(layer, _embedding)  # (row 47 zero, the others N(0, 1))


def test_a_reset_keeps_requires_grad_false_and_the_entries_frozen_with_freeze_():
    layer = tg.nn.Linear(5, 4)
    layer.weight.requires_grad_(False)
    layer.bias.freeze_([0, 1])
    table = tg.nn.Embedding(10, 3, padding_idx=2)  # (its padding row frozen by the layer)
    pretrained = tg.nn.Embedding.from_pretrained(tg.ones(4, 2))  # (frozen: freeze=True)
    for module in (layer, table, pretrained):
        _set_constants(module, tg)
        module.reset_parameters()
    _check(layer, _kaiming)
    assert not layer.weight.requires_grad and layer.bias.requires_grad
    assert not pretrained.weight.requires_grad
    np.testing.assert_array_equal(layer.bias.frozen_mask, [True, True, False, False])
    layer(_floats(tg, 3, 5)).sum().backward()
    assert layer.weight.grad is None
    np.testing.assert_array_equal(layer.bias.grad.numpy(), [0, 0, 3, 3])  # (d sum / d b: 3)
    table(_indices(tg, [2, 3])).sum().backward()
    np.testing.assert_array_equal(table.weight.grad.numpy()[2:4], [[0, 0, 0], [1, 1, 1]])


# the resets that draw nothing (they take seed= and generator= as every layer's does)
DRAWS_NOTHING = [name for name in CASES if name not in RANDOM]


@pytest.mark.parametrize("name", CASES)
def test_every_reset_takes_seed_and_generator_by_keyword(name):
    layer = _make(tg, name)
    generator = np.random.default_rng(3)
    layer.reset_parameters(seed=3)
    by_seed = _values(layer)
    layer.reset_parameters(generator=generator)
    assert all(np.array_equal(v, by_seed[k]) for k, v in _values(layer).items())
    if name in DRAWS_NOTHING:  # (nothing drawn from it)
        assert generator.bit_generator.state == np.random.default_rng(3).bit_generator.state
    where = f"{type(layer).__name__}.reset_parameters"
    with pytest.raises(TypeError, match=rf"^{where}: generator must be a numpy.random.Generator"):
        layer.reset_parameters(generator=0)
    with pytest.raises(ValueError, match=rf"^{where}: give seed or generator, not both"):
        layer.reset_parameters(seed=1, generator=generator)
    with pytest.raises(TypeError, match="unexpected keyword argument 'generatr'"):
        layer.reset_parameters(generatr=0)


def test_a_lazy_layers_reset_refuses_an_unknown_keyword_before_its_first_call():
    layer = tg.nn.LazyLinear(3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'generatr'"):
        layer.reset_parameters(generatr=0)
    layer.reset_parameters(seed=0)  # (accepted, as after the first call; nothing drawn)
    assert is_lazy(layer.weight)
