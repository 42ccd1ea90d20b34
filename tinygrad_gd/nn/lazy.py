"""PyTorch's lazy modules: `LazyLinear`, `LazyConv1d/2d/3d`, `LazyConvTranspose1d/2d/3d`,
`LazyBatchNorm1d/2d/3d` and `LazyInstanceNorm1d/2d/3d`, which take every setting of
their plain class but the input's size (in_features, in_channels, num_features): the
first call infers it from the input. Also `UninitializedParameter` and
`UninitializedBuffer`, the tensors such a module holds until then, and `is_lazy`
(uninitialized.py).

    model = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)   # may come before the first call
    model(x)                   # infers in_features from x.shape[-1], 8 for the second layer

At the first call the module is built as its plain class with the inferred size (its
initialisation and its `seed=`/`generator=`, drawn then: `LazyLinear(4, seed=0)` gets the
weights of `Linear(3, 4, seed=0)`, and with the global generator the draw is the one a
`Linear(3, 4)` made at that moment would take, as PyTorch's). Its uninitialized tensors
then take their values in place, the same objects (an optimizer made before holds them),
and the module becomes the plain class (PyTorch's `cls_to_become`: `type(m) is
nn.Linear`). Before it, `state_dict()` holds an empty array (shape (0,)) for
each of them; `load_state_dict` on the lazy module itself gives them the loaded shapes and
values, and infers the size from them (0 too: a Linear built on 0 features loads as one).
A state whose every such array is empty, shape (0,), leaves it lazy: a lazy module's own,
in memory or saved to a file, or a norm's built at 0 (it reads the same).
Once the size is known, an input of another size is refused.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..creation import make_generator
from ..errors import ShapeError
from ..tensor import Tensor
from .convolution import Conv2d, Conv3d
from .layer_arguments import _as_tensor
from .layers import BatchNorm1d, BatchNorm2d, Linear
from .layers_more import BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .module import Buffer, IncompatibleKeys, Module, Parameter, StateDictError
from .spatial import Conv1d
from .transposed import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .uninitialized import UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = ["UninitializedParameter", "UninitializedBuffer", "is_lazy", "LazyModuleMixin",
           "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """What the lazy modules share (PyTorch's LazyModuleMixin): a subclass names its plain
    class (`cls_to_become`, also its base), the constructor argument the first call
    infers (`_inferred`) and how (`_input_size`), and passes its other settings to
    `_lazy_setup`, which checks them by building the plain class with a stand-in size and
    then leaves every float tensor uninitialized."""

    cls_to_become: type | None = None
    _inferred = ""

    def _lazy_setup(self, settings: dict[str, Any]) -> None:
        vars(self)["_lazy_settings"] = settings  # (before the check: repr may need it)
        vars(self)["_lazy_built"] = False
        checked = dict(settings)
        if "generator" in checked:  # checked now, drawn from only at the first call
            make_generator(checked["seed"], checked["generator"], type(self).__name__)
            checked.update(seed=None, generator=np.random.default_rng(0))
        self._plain_init(self._stand_in(), checked)
        for name, value in list(vars(self).items()):
            if isinstance(value, Parameter):
                setattr(self, name, UninitializedParameter(value.requires_grad,
                                                           dtype=value.dtype))
            elif isinstance(value, Buffer) and value.dtype.kind == "f":
                setattr(self, name, UninitializedBuffer(dtype=value.dtype))
        setattr(self, self._inferred, 0)  # (PyTorch's repr: in_features=0 until then)

    def _plain_init(self, size: int, settings: dict[str, Any]) -> None:
        """The plain class's __init__ on this object; its errors name the lazy class (a
        plain class that names itself, as Linear does, is renamed)."""
        plain, name = self.cls_to_become.__name__, type(self).__name__
        try:
            self.cls_to_become.__init__(self, size, **settings)
        except (TypeError, ValueError) as error:
            if not str(error).startswith(plain + ":") or type(error) not in (TypeError,
                                                                              ValueError):
                raise
            raise type(error)(name + str(error)[len(plain):]) from None

    def _stand_in(self) -> int:
        """A size the settings' check builds with (any the settings allow)."""
        return 1

    def _input_size(self, input: Tensor) -> int:
        """The inferred size read from the first call's input."""
        raise NotImplementedError

    def _size_from(self, shapes: dict[str, tuple[int, ...]]) -> int | None:
        """The inferred size read from loaded tensors' shapes ({name: shape}), or None."""
        raise NotImplementedError

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module has no values yet."""
        return any(is_lazy(value) for value in vars(self).values())

    def _built(self) -> bool:
        """Whether the size is known (inferred from an input or loaded), 0 too, and every
        tensor has values: the one test of it (the flag: a norm without affine or running
        statistics has no tensor to tell; a partial load leaves some without values)."""
        return vars(self).get("_lazy_built", True) and not self.has_uninitialized_params()

    def reset_parameters(self, *, seed: Any = None, generator: Any = None) -> None:
        """Nothing before the first call (no values to draw into), as PyTorch's; then the
        plain class's reset_parameters (which its constructor calls), seed= and generator=."""
        if self._built():
            super().reset_parameters(seed=seed, generator=generator)  # type: ignore[misc]

    def initialize_parameters(self, input: Any, *args: Any, **kwargs: Any) -> None:
        """Infer the size from `input` and give the uninitialized tensors their values
        (the plain class's initialisation); once the size is known, an input of another
        size is refused (PyTorch's: at a size of 0)."""
        size = self._input_size(_as_tensor(self, input))
        known = getattr(self, self._inferred)
        if not self._built():
            self._build(size)  # (0 too: a layer of zero size, as PyTorch's)
        elif size != known:
            raise ShapeError(f"{type(self).__name__}: {self._inferred} is {known} (inferred "
                             f"or loaded before), but the input has {size}; give it inputs "
                             f"of {known}, or use a new {type(self).__name__}")

    def _build(self, size: int) -> None:
        """Build the plain class with `size` on this object, then put the tensors it held
        back in their places: an uninitialized one takes the new values, any other (a
        loaded one, num_batches_tracked) stays as it was. All or nothing."""
        saved = dict(vars(self))
        settings = dict(self._lazy_settings)
        dtypes = [value.dtype for value in saved.values() if is_lazy(value)]
        if dtypes:  # (their dtype as model.to(...) may have left it)
            settings["dtype"] = dtypes[0]
        vars(self)["_lazy_built"] = True  # (the plain constructor's reset_parameters: drawn)
        try:
            self._plain_init(size, settings)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise
        built = vars(self)
        for name, before in saved.items():
            value = built.get(name)
            if is_lazy(before) and isinstance(value, Tensor):
                before._become(value._data)
                built[name] = before
            elif isinstance(before, Tensor) and isinstance(value, Tensor):
                built[name] = before
            elif name == "training" or name not in built:  # (its mode, hooks, settings)
                built[name] = before
        built["_lazy_built"] = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Infer the size from the input, initialize, become the plain class, and run it."""
        if not args and "input" not in kwargs:
            raise TypeError(f"{type(self).__name__}: the first call needs the input, from "
                            f"which {self._inferred} is inferred")
        self.initialize_parameters(*args, **kwargs)
        self.__class__ = self.cls_to_become
        vars(self).pop("_lazy_settings", None)
        vars(self).pop("_lazy_built", None)
        return Module.__call__(self, *args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The plain class's forward, once the size is known (call the module itself
        first: `m(x)` infers it, as PyTorch's lazy modules do in their call)."""
        if not self._built():
            raise ValueError(f"{type(self).__name__}.forward: the parameters are not "
                             f"initialized yet; call the module itself (m(x)), which infers "
                             f"{self._inferred} from x first")
        return super().forward(*args, **kwargs)  # type: ignore[misc]

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Module's load_state_dict; an uninitialized tensor named in `state` first takes
        the loaded shape (PyTorch's lazy load), and the size is inferred from it."""
        saved = {name: (value, type(value), value._data) for name, value in vars(self).items()
                 if is_lazy(value)}
        inferred, built = getattr(self, self._inferred), self._built()
        try:
            self._materialize_from(state)
            return Module.load_state_dict(self, state, strict, assign)  # type: ignore[arg-type]
        except BaseException:
            for value, kind, data in saved.values():  # nothing loaded: lazy again
                value.__class__, value._data = kind, data
            setattr(self, self._inferred, inferred)
            vars(self)["_lazy_built"] = built
            raise

    def _materialize_from(self, state: Any, prefix: str = "") -> None:
        if not hasattr(state, "keys"):
            return  # (Module.load_state_dict refuses it in its words)
        shapes = {}
        for name, value in vars(self).items():
            loaded = state[prefix + name] if is_lazy(value) and prefix + name in state else None
            array = loaded._data if isinstance(loaded, Tensor) else loaded
            if loaded is not None and not is_lazy(loaded):
                shapes[name] = np.shape(array)
        if all(shape == (0,) for shape in shapes.values()):  # (none, or a lazy module's own
            return  # state, in memory or from a file: lazy still; a norm's built at 0 too)
        size = self._size_from(shapes)
        expected = self._shapes_for(size) if size is not None else {}
        wrong = {name: shape for name, shape in shapes.items() if expected.get(name) != shape}
        if wrong:
            name = next(iter(wrong))
            fits = (f" (with {self._inferred}={size} it takes {expected.get(name)})"
                    if size is not None else "")
            raise StateDictError(
                f"load_state_dict: {prefix}{name} has shape {wrong[name]} in the state, which "
                f"does not fit {self!r}{fits}; load the state of a layer with the same "
                f"settings")
        for name, shape in shapes.items():
            vars(self)[name].materialize(shape)
        setattr(self, self._inferred, size)
        vars(self)["_lazy_built"] = True

    def _shapes_for(self, size: int) -> dict[str, tuple[int, ...]]:
        """The shapes of the tensors of the plain class built with `size`."""
        probe = self.cls_to_become.__new__(self.cls_to_become)
        settings = dict(self._lazy_settings)
        if "generator" in settings:
            settings.update(seed=None, generator=np.random.default_rng(0))
        self.cls_to_become.__init__(probe, size, **settings)
        return {name: value.shape for name, value in vars(probe).items()
                if isinstance(value, Tensor)}


class LazyLinear(LazyModuleMixin, Linear):
    """A `Linear` whose in_features is the last axis of its first input (PyTorch's
    LazyLinear); the other arguments are Linear's, in its order."""

    cls_to_become = Linear
    _inferred = "in_features"

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None, *, init: str = "uniform", seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        self._lazy_setup(dict(out_features=out_features, bias=bias, device=device,
                              dtype=dtype, init=init, seed=seed, generator=generator))

    def _input_size(self, input: Tensor) -> int:
        if input.ndim == 0:
            raise ValueError(f"{type(self).__name__}: cannot infer in_features from a 0-d "
                             f"input; give samples as rows, shape (..., in_features)")
        return input.shape[-1]

    def _size_from(self, shapes: dict[str, tuple[int, ...]]) -> int | None:
        weight = shapes.get("weight")
        return weight[-1] if weight is not None and len(weight) == 2 else None


def _whole(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class _LazyConvolution(LazyModuleMixin):
    """The lazy convolutions' in_channels: axis 1 of a batched input, axis 0 of an
    unbatched one (`spatial` axes after it)."""

    spatial = 2
    transposed = False

    def _stand_in(self) -> int:
        """groups (in_channels must be a multiple of it), checked here in words without
        the stand-in in_channels."""
        groups, out = self._lazy_settings["groups"], self._lazy_settings["out_channels"]
        if not _whole(groups):
            return 1  # (the plain class refuses it in its words)
        if groups < 1 or (_whole(out) and out % groups):
            raise ValueError(f"{type(self).__name__}: groups={groups} must be >= 1 and divide "
                             f"out_channels={out} (and the inferred in_channels)")
        return int(groups)

    def _input_size(self, input: Tensor) -> int:
        if input.ndim not in (self.spatial + 1, self.spatial + 2):
            raise ShapeError(f"{type(self).__name__}: expected a {self.spatial + 1}-d "
                             f"(unbatched) or {self.spatial + 2}-d (batched) input, got "
                             f"shape {input.shape}")
        return input.shape[1] if input.ndim == self.spatial + 2 else input.shape[0]

    def _size_from(self, shapes: dict[str, tuple[int, ...]]) -> int | None:
        weight = shapes.get("weight")
        if weight is None or len(weight) != self.spatial + 2:
            return None
        groups = self._lazy_settings["groups"]
        return weight[0] if self.transposed else weight[1] * groups


class _LazyConv(_LazyConvolution):
    """The lazy convolutions' arguments: the plain ones', in_channels left out."""

    _inferred = "in_channels"

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None, *,
                 seed: int | None = None, generator: np.random.Generator | None = None) -> None:
        self._lazy_setup(dict(out_channels=out_channels, kernel_size=kernel_size,
                              stride=stride, padding=padding, dilation=dilation, groups=groups,
                              bias=bias, padding_mode=padding_mode, device=device, dtype=dtype,
                              seed=seed, generator=generator))


class LazyConv1d(_LazyConv, Conv1d):
    """A `Conv1d` whose in_channels is read from its first input (PyTorch's LazyConv1d)."""

    cls_to_become, spatial = Conv1d, 1


class LazyConv2d(_LazyConv, Conv2d):
    """A `Conv2d` whose in_channels is read from its first input (PyTorch's LazyConv2d)."""

    cls_to_become, spatial = Conv2d, 2


class LazyConv3d(_LazyConv, Conv3d):
    """A `Conv3d` whose in_channels is read from its first input (PyTorch's LazyConv3d)."""

    cls_to_become, spatial = Conv3d, 3


class _LazyConvTranspose(_LazyConvolution):
    """The lazy transposed convolutions' arguments: the plain ones', in_channels left out."""

    _inferred, transposed = "in_channels", True

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None, *, seed: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        self._lazy_setup(dict(out_channels=out_channels, kernel_size=kernel_size,
                              stride=stride, padding=padding, output_padding=output_padding,
                              groups=groups, bias=bias, dilation=dilation,
                              padding_mode=padding_mode, device=device, dtype=dtype, seed=seed,
                              generator=generator))


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A `ConvTranspose1d` whose in_channels is read from its first input (PyTorch's
    LazyConvTranspose1d)."""

    cls_to_become, spatial = ConvTranspose1d, 1


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A `ConvTranspose2d` whose in_channels is read from its first input (PyTorch's
    LazyConvTranspose2d)."""

    cls_to_become, spatial = ConvTranspose2d, 2


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """A `ConvTranspose3d` whose in_channels is read from its first input (PyTorch's
    LazyConvTranspose3d)."""

    cls_to_become, spatial = ConvTranspose3d, 3


class _LazyNorm(LazyModuleMixin):
    """The lazy batch and instance norms: num_features is the channel axis of the first
    input. PyTorch's defaults for all of them: affine=True, track_running_stats=True (the
    plain instance norms' are False)."""

    _inferred = "num_features"

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        self._lazy_setup(dict(eps=eps, momentum=momentum, affine=affine,
                              track_running_stats=track_running_stats, device=device,
                              dtype=dtype, bias=bias))

    def _channel_axis(self, input: Tensor) -> int:
        plain = self.cls_to_become
        if input.ndim not in plain.input_ndims:
            raise ValueError(f"{type(self).__name__}: expected input of shape "
                             f"{plain.expected}, got {input.shape}")
        return 1

    def _input_size(self, input: Tensor) -> int:
        return input.shape[self._channel_axis(input)]

    def _size_from(self, shapes: dict[str, tuple[int, ...]]) -> int | None:
        shape = next(iter(shapes.values()))
        return shape[0] if len(shape) == 1 else None


class _LazyInstanceNorm(_LazyNorm):
    """The channel axis: 1 of a batched input, 0 of an unbatched one."""

    def _channel_axis(self, input: Tensor) -> int:
        unbatched = self.cls_to_become.unbatched_ndim
        if input.ndim not in (unbatched, unbatched + 1):
            raise ValueError(f"{type(self).__name__}: expected input of shape "
                             f"{self.cls_to_become.expected}, got {input.shape}")
        return int(input.ndim > unbatched)


class LazyBatchNorm1d(_LazyNorm, BatchNorm1d):
    """A `BatchNorm1d` whose num_features is read from its first input (PyTorch's
    LazyBatchNorm1d)."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNorm, BatchNorm2d):
    """A `BatchNorm2d` whose num_features is read from its first input."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNorm, BatchNorm3d):
    """A `BatchNorm3d` whose num_features is read from its first input."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """An `InstanceNorm1d` whose num_features is read from its first input (PyTorch's
    LazyInstanceNorm1d, with its defaults affine=True, track_running_stats=True)."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """An `InstanceNorm2d` whose num_features is read from its first input."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """An `InstanceNorm3d` whose num_features is read from its first input."""

    cls_to_become = InstanceNorm3d
