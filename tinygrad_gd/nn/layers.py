"""Layers: `Linear` and its initialisations, activations, `Dropout`, `Flatten`,
`LayerNorm`, `BatchNorm1d`, `BatchNorm2d` (`Embedding` lives in embedding.py).

Weight layout of `Linear`: shape (out_features, in_features), forward `x @ W.T + b`, as in
PyTorch and as in Grokking Deep Learning's chapter 5, where `weights[i]` is the row of weights
feeding output i (`vect_mat_mul`, the nested update loop over `weights[i][j]`, and MNIST's
weights shown as images: row k reshaped to 28 x 28 is digit k's template). A one-output
layer's `weight[0]` is the documents' weight vector of `np.dot(input, weights)`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import make_generator as _make_generator
from ..engine import no_grad
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..tensor import Tensor
from . import functional as F
from .containers import Sequential  # (its home before containers.py: kept importable)
from ..ops.arguments import number
from .embedding import Embedding  # noqa: F401  (its home before embedding.py: importable)
from .layer_arguments import (_as_tensor, _check_features, _check_probability, _normalized_shape,
                              _one_dim)
from .module import Buffer, Module, Parameter
from .parameter_reset import (by_fan, inverse_root_fan, normal_, nothing_drawn, ones_zeros_,
                              ones_zeros_reset, reset_generator, start_parameters,
                              uniform_each_, written_, zero_weight_and_bias)
from .registration import _float_dtype

__all__ = ["Linear", "Sequential", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax",
           "LogSoftmax", "GELU", "SiLU", "ELU", "Softplus", "Identity", "Dropout", "Flatten",
           "LayerNorm", "BatchNorm1d", "BatchNorm2d", "INITS"]

# init name -> what it draws for the weight; biases are zero except with "uniform"
INITS = {
    "uniform": "U(-1/sqrt(in), 1/sqrt(in)) for weight and bias (PyTorch's default)",
    "normal": "N(0, 1/sqrt(in)) (the course notes': scale = 1/n_features**.5)",
    "he": "N(0, sqrt(2/in))", "kaiming": "N(0, sqrt(2/in))",
    "xavier": "U(-sqrt(6/(in+out)), sqrt(6/(in+out)))",
    "glorot": "U(-sqrt(6/(in+out)), sqrt(6/(in+out)))",
    "zeros": "all zeros",
}
"""The `init` names `Linear` accepts, each with what it draws for the weight."""


def _start_linear(layer: Linear, rng: np.random.Generator) -> None:
    """Linear's starting weight and bias by its `init` (see INITS), written in place: the
    weight drawn first, then the bias."""
    weight, bias, n_in = layer.weight, layer.bias, layer.weight.shape[1]
    if layer.init == "uniform":  # (bias too: the others start it at zero)
        uniform_each_(layer, (weight, bias), inverse_root_fan(n_in), rng)
        return
    if layer.init == "normal":
        normal_(layer, weight, inverse_root_fan(n_in), rng)
    elif layer.init in ("he", "kaiming"):
        normal_(layer, weight, by_fan(n_in, lambda n: (2 / n) ** 0.5), rng)
    elif layer.init in ("xavier", "glorot"):  # (the fan: in + out)
        uniform_each_(layer, (weight,), by_fan(n_in + weight.shape[0], lambda n: (6 / n) ** 0.5),
                      rng)
    else:
        written_(layer, weight, 0.0)
    if bias is not None:
        written_(layer, bias, 0.0)


class Linear(Module):
    """y = x @ W.T + b, with W of shape (out_features, in_features) and b of (out_features,).

    PyTorch's arguments in its order (device: the CPU); ours by keyword: `init` chooses
    the starting weights (see `INITS`): "uniform" (PyTorch's default), "normal" (N(0,
    1/sqrt(in_features)), the course notes'), "he"/"kaiming", "xavier"/"glorot" or
    "zeros"; the bias starts at zero except with "uniform". `seed` or `generator` (a
    NumPy Generator) makes the draw repeatable: the weight is drawn first, then the bias.
    The constructor ends with `self.reset_parameters()`, as PyTorch's (the other layers'
    too): a subclass's override gives the starting values, its draws from `seed` or
    `generator` where given (they stand in for tg.manual_seed's generator meanwhile).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None, *, init: str = "uniform",
                 seed: int | None = None, generator: np.random.Generator | None = None
                 ) -> None:
        super().__init__()
        self.in_features = _check_features(in_features, "in_features", empty=True)
        self.out_features = _check_features(out_features, "out_features", empty=True)
        if not isinstance(init, str) or init not in INITS:
            error = ValueError if isinstance(init, str) else TypeError
            raise error(f"Linear: unknown init {init!r}; choose one of "
                        f"{', '.join(repr(k) for k in INITS)} (by keyword)")
        self.init = init
        resolved = _float_dtype(dtype, "Linear", device)
        zero_weight_and_bias(self, (self.out_features, self.in_features),  # as in PyTorch
                             self.out_features if bias else None, resolved)
        start_parameters(self, seed, generator)

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """Weight and bias drawn again by the layer's `init`, in place (PyTorch's: with
        "uniform", its kaiming_uniform_(a=sqrt(5)) weight, U(-1/sqrt(in_features),
        1/sqrt(in_features)), and a bias of the same bound), from `generator` or
        default_rng(`seed`), else the global generator (tg.manual_seed's)."""
        _start_linear(self, reset_generator(self, seed, generator))

    def forward(self, input: Any) -> Tensor:
        weight = self.weight  # (read once: a parametrized weight is looked up at each read)
        input = _as_tensor(self, input, weight)
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            last = f"'s last axis has size {input.shape[-1]}" if input.ndim else " is 0-d"
            raise ShapeError(
                f"{self!r}: the input{last} (input shape {input.shape}), "
                f"but the layer takes in_features={self.in_features}; each sample must be a "
                f"row of {self.in_features} features")
        return F.linear(input, weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention's out_proj (torch.nn.modules.
    linear's; the name only keeps torch's quantization away from it), so that a printed
    model reads as PyTorch's."""


# ------------------------------------------------------------------ activations


def _inplace_repr(inplace: bool, before: str = "") -> str:
    """PyTorch's repr of an `inplace` flag: shown only when set."""
    return before + (", " if before else "") + "inplace=True" if inplace else before


class ReLU(Module):
    """max(x, 0) elementwise (see `functional.relu`).

    `inplace=True` (PyTorch's) writes the result into the input and returns the input, as
    `F.relu(x, inplace=True)` does (recorded in a graph; so does every layer here that
    takes `inplace`).
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)

    def forward(self, input: Any) -> Tensor:
        return F.relu(input, inplace=self.inplace)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise: squashes any value into (0, 1)."""

    def forward(self, input: Any) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x) elementwise: squashes any value into (-1, 1)."""

    def forward(self, input: Any) -> Tensor:
        return F.tanh(input)


class LeakyReLU(Module):
    """x where x > 0, else `negative_slope * x` (0.01 by default). `inplace=True` writes
    the result into the input (see `ReLU`)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Any) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"negative_slope={self.negative_slope}")


class Softmax(Module):
    """Softmax along `dim`: each slice becomes probabilities. Without a dim (PyTorch's
    default, None) the last axis of a 1-D or 2-D input, as PyTorch's choice; an input of
    more axes is refused (give dim=)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = _one_dim(type(self).__name__, dim, none_ok=True)

    def forward(self, input: Any) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along `dim`, computed without overflow."""

    def forward(self, input: Any) -> Tensor:
        return F.log_softmax(input, self.dim)


class _Activation(Module):
    """An activation with keyword settings: forward is `function(input, **settings)`
    (with `inplace=True` where PyTorch's layer has it and it is set, see `ReLU`)."""

    function: Any = None

    def __init__(self, inplace: bool = False, **settings: Any) -> None:
        super().__init__()
        self.setting_names, self.inplace = tuple(settings), inplace
        for key, value in settings.items():  # attributes, as PyTorch's (`elu.alpha`)
            setattr(self, key, value)

    @property
    def settings(self) -> dict[str, Any]:
        """The keyword settings forward passes to the function ({"alpha": 1.0})."""
        return {key: getattr(self, key) for key in self.setting_names}

    def forward(self, input: Any) -> Tensor:
        extra = {"inplace": True} if self.inplace else {}
        return type(self).function(input, **self.settings, **extra)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, ", ".join(
            f"{key}={value!r}" for key, value in self.settings.items()))


class GELU(_Activation):
    """x * Phi(x) (`approximate="tanh"`: the tanh formula), as PyTorch's GELU."""

    function = staticmethod(F.gelu)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__(approximate=approximate)


class SiLU(_Activation):
    """x * sigmoid(x) (also called swish). `inplace=True` writes the result into the
    input (see `ReLU`)."""

    function = staticmethod(F.silu)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class ELU(_Activation):
    """x where x > 0, else alpha * (exp(x) - 1) (`inplace=True`: see `ReLU`)."""

    function = staticmethod(F.elu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace=inplace, alpha=alpha)


class Softplus(_Activation):
    """log(1 + exp(beta * x)) / beta: a smooth relu; x itself where beta * x > threshold
    (PyTorch's)."""

    function = staticmethod(F.softplus)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__(beta=beta, threshold=threshold)


class Identity(Module):
    """Its input, unchanged: a placeholder where a layer may go."""

    _positional_tensors = None  # (its arguments are ignored, whatever they are)

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # (PyTorch's ignores them too)
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


# ------------------------------------------------------------------ regularisation and shape


class Dropout(Module):
    """Inverted dropout in training mode (see `functional.dropout`); identity in eval mode.

    Each call draws a new mask from the layer's own generator (`seed` or `generator`),
    so a seeded layer repeats the same sequence of masks; given neither, from the global
    generator at the time of the call (`tg.manual_seed`'s, as PyTorch's). `inplace=True`
    (PyTorch's) writes the result into the input and returns it, as `F.dropout(x, p,
    inplace=True)`.
    """

    function = staticmethod(F.dropout)  # (Dropout1d's and Dropout2d's: their own)
    zeroed = "an entry"  # (what p is the probability of zeroing: Dropout1d's, a channel)
    writes_in_place = True  # (PyTorch's AlphaDropout layers keep inplace= but never use it)
    _positional_tensors = 1  # (p, a 0-d tensor as PyTorch's: nn.Dropout(torch.tensor(0.5)))

    def __init__(self, p: float = 0.5, inplace: bool = False, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        name = type(self).__name__  # (Dropout1d's and Dropout2d's too)
        p = _check_probability(name, p, self.zeroed)
        if not isinstance(inplace, (bool, np.bool_)):
            raise TypeError(f"{name}: inplace must be True or False, got {inplace!r} (the "
                            f"second argument is PyTorch's inplace; pass seed= by keyword)")
        self.p, self.inplace = p, bool(inplace)
        # Given neither, None: each forward then looks up the global generator, so a
        # tg.manual_seed called after building the layer still rules (PyTorch's).
        self.generator = None if seed is None and generator is None \
            else _make_generator(seed, generator, name)

    def forward(self, input: Any) -> Tensor:
        return type(self).function(input, self.p, self.training,
                                   self.inplace and self.writes_in_place,
                                   generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Flatten(Module):
    """Merge the axes start_dim..end_dim into one: (batch, 28, 28) -> (batch, 784)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = _one_dim("Flatten", start_dim), _one_dim("Flatten", end_dim)

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        for dim in (self.start_dim, self.end_dim):
            if not -input.ndim <= dim < input.ndim:
                raise ValueError(f"{self!r}: input of shape {input.shape} has no axis {dim}; "
                                 f"Flatten() expects a batch axis first, e.g. (batch, 28, 28)")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


# ------------------------------------------------------------------ lookup and normalisation


class LayerNorm(Module):
    """Each sample normalised over its last axes (`normalized_shape`): (x - mean) /
    sqrt(var + eps), then times `weight` plus `bias` (learned, ones and zeros at first;
    none with elementwise_affine=False, no bias with bias=False), as PyTorch's LayerNorm."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        shape = _normalized_shape("LayerNorm", normalized_shape)
        self.normalized_shape = tuple(
            _check_features(n, "normalized_shape", "LayerNorm", empty=True) for n in shape)
        number("LayerNorm", "eps", eps, 0)
        self.eps = eps
        resolved = _float_dtype(dtype, "LayerNorm", device)
        self.register_parameter("weight", Parameter(np.zeros(self.normalized_shape, resolved))
                                if elementwise_affine else None)
        self.register_parameter("bias", Parameter(np.zeros(self.normalized_shape, resolved))
                                if elementwise_affine and bias else None)
        self.reset_parameters()

    reset_parameters = ones_zeros_reset

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.weight is not None}, bias={self.bias is not None}")


def _norm_state(module: Module, num_features: Any, eps: Any, momentum: Any, affine: Any,
                track_running_stats: Any, dtype: Any, device: Any, bias: Any = True) -> None:
    """What the batch and instance norm layers set up alike (PyTorch's _NormBase), checked
    in lines naming the layer's class: num_features, eps, momentum (or None), affine,
    track_running_stats; `weight` and `bias` (None with bias=False) with affine, Buffers
    `running_mean`, `running_var`, `num_batches_tracked` with track_running_stats (else
    None, as PyTorch's: `bn.running_mean is None` asks whether a layer tracks), the
    statistics at 0 and 1 already, as PyTorch's (a subclass's reset_parameters may not
    reset them); the layer's reset_parameters (`_NormBase`) gives the values."""
    name = type(module).__name__
    module.num_features = count = _check_features(num_features, "num_features", name, empty=True)
    number(name, "eps", eps, 0)
    if momentum is not None:
        number(name, "momentum", momentum)
    module.eps, module.momentum = eps, momentum
    module.affine = check_flag(name, "affine", affine)
    module.track_running_stats = check_flag(name, "track_running_stats", track_running_stats)
    resolved = _float_dtype(dtype, name, device)
    module.register_parameter("weight", Parameter(np.zeros(count, resolved))
                              if module.affine else None)
    module.register_parameter("bias", Parameter(np.zeros(count, resolved))
                              if module.affine and check_flag(name, "bias", bias) else None)
    module.running_mean = module.running_var = module.num_batches_tracked = None
    if module.track_running_stats:
        module.running_mean = Buffer(np.zeros(count, resolved))
        module.running_var = Buffer(np.ones(count, resolved))
        module.num_batches_tracked = Buffer(np.array(0), dtype=np.int64)
    module.reset_parameters()


def _norm_repr(module: Module) -> str:
    """The batch and instance norm layers' repr (PyTorch's _NormBase)."""
    return (f"{module.num_features}, eps={module.eps}, momentum={module.momentum}, "
            f"affine={module.affine}, bias={module.bias is not None}, "
            f"track_running_stats={module.track_running_stats}")


class _NormBase(Module):
    """What the batch and instance norms share beside `_norm_state` (PyTorch's _NormBase):
    reset_running_stats and reset_parameters."""

    def reset_running_stats(self) -> None:
        """The running mean 0, variance 1, batches counted 0 (PyTorch's; SWA's update_bn).
        A lazy norm's, before its first call, is refused (PyTorch's: uninitialized)."""
        if not self.track_running_stats:
            return
        if getattr(self, "has_uninitialized_params", bool)():  # (a lazy norm's: lazy.py)
            raise ValueError(f"{type(self).__name__}.reset_running_stats: the running "
                             f"statistics are uninitialized buffers until the lazy module's "
                             f"first call; call it on an input first (m(x))")
        for buffer, value in ((self.running_mean, 0.0), (self.running_var, 1.0),
                              (self.num_batches_tracked, 0)):
            written_(self, buffer, value, "reset_running_stats")

    def reset_parameters(self, *, seed: int | None = None,
                         generator: np.random.Generator | None = None) -> None:
        """reset_running_stats(), and weight 1 and bias 0 where there are (PyTorch's);
        nothing is drawn (seed and generator: checked, as every layer's reset takes them)."""
        nothing_drawn(self, seed, generator)
        self.reset_running_stats()
        ones_zeros_(self, self.weight, self.bias)


class BatchNorm1d(_NormBase):
    """Each feature normalised over the batch (and the length of a (batch, C, L) input):
    (x - mean) / sqrt(var + eps) * weight + bias, as PyTorch's BatchNorm1d; BatchNorm2d
    does the same for each channel of (batch, C, height, width) images.

    In training mode it uses the batch's mean and (biased) variance and moves the running
    estimates toward them, `running = (1 - momentum) * running + momentum * batch` (the
    unbiased variance, as PyTorch); in eval mode (`model.eval()`) it uses the running
    estimates. `running_mean`, `running_var` and `num_batches_tracked` are Buffers, saved
    in `state_dict()`; with momentum=None the running values are plain averages; with
    bias=False (PyTorch's keyword) `weight` alone."""

    input_ndims, expected = (2, 3), "(batch, C) or (batch, C, length)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        # (eps 0 is refused in training, as PyTorch's; momentum None: plain averages)
        _norm_state(self, num_features, eps, momentum, affine, track_running_stats, dtype,
                    device, bias)

    def forward(self, input: Any) -> Tensor:
        input = _as_tensor(self, input)
        if input.ndim not in self.input_ndims or input.shape[1] != self.num_features:
            raise ShapeError(f"{self!r}: expected input of shape {self.expected} with "
                             f"C = {self.num_features}, got {input.shape}")
        # PyTorch's: momentum None makes the running values plain averages (1 / batches)
        track = self.training and self.track_running_stats
        factor = self.momentum if self.momentum is not None else \
            1.0 / (int(self.num_batches_tracked._data) + 1) if track else 0.0
        out = F.batch_norm(input, getattr(self, "running_mean", None),
                           getattr(self, "running_var", None), self.weight, self.bias,
                           self.training or not self.track_running_stats, factor, self.eps)
        if track:
            with no_grad():
                self.num_batches_tracked += 1
        return out

    def extra_repr(self) -> str:
        return _norm_repr(self)


class BatchNorm2d(BatchNorm1d):
    """PyTorch's BatchNorm2d: each channel of (batch, C, height, width) over batch and pixels."""

    input_ndims, expected = (4,), "(batch, C, height, width)"
