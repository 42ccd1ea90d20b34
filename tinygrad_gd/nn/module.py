"""`Parameter` (a Tensor a model learns, with entry-wise freezing), `Buffer` (one it keeps
without learning) and `Module`, the base of layers.

A `Module` finds its parameters, buffers and sub-modules by looking at its attributes: a
`Parameter`, a `Buffer`, a `Module`, or a list/tuple of them (`name.0`, `name.1`, ...). No
registration call and no `super().__init__()` are needed (PyTorch's `register_buffer`,
`register_parameter` and `add_module` are there for code written with them). Names are
dotted paths, as in PyTorch (`0.weight`, `hidden.bias`, `blocks.1.weight`), and listed in
PyTorch's order: a module's own parameters first, then each sub-module's, in attribute
order. Saving and loading them (`state_dict`, `load_state_dict`, with a module's own
`get_extra_state`/`set_extra_state` under `_extra_state`) is module_state.py's work;
keeping and running the hooks (ModuleHooks, a base: backward and state-dict hooks), and the
repr, module_hooks.py's; converting a whole model to a dtype or a device (`to`, `float`,
`type`, `cpu`, `cuda`, ...: ModuleConversions, a base), module_conversions.py's; putting
a sub-module at a dotted path (`set_submodule`), module_paths.py's.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping, MutableMapping, TypeVar

import numpy as np

from ..hooks import RemovableHandle
from ..inference import refuse_requires_grad
from ..scope import scope
from ..tensor import Tensor, zero_grads
from . import global_hooks
from .module_conversions import ModuleConversions
from .module_hooks import (CALL_HOOKS, NO_HOOKS, ModuleHooks, add_forward_hook,
                           forward_with_hooks, module_repr)
from .module_paths import set_submodule
from .module_state import (IncompatibleKeys, StateDictError, load_state, no_extra_state,
                           no_set_extra_state, save_state, state_dict_arguments)
from .registration import (check_assignment, check_constructor_arguments, check_name,
                           own_constructor)

__all__ = ["Parameter", "Buffer", "Module", "IncompatibleKeys", "StateDictError"]


class Parameter(Tensor):
    """A leaf Tensor that belongs to a model: `requires_grad=True` unless told otherwise.

    Freeze a whole parameter with `p.requires_grad_(False)`, or single entries with
    `p.freeze_(index)`: a gradient hook then zeroes those entries of every gradient
    (after `backward()`, `p.grad` reads 0 there, the book's `weight_deltas[0] = 0`), and
    the optimizers in `tg.optim` leave them exactly unchanged, whatever momentum, weight
    decay or Adam state would otherwise do.
    """

    __slots__ = ("_frozen_mask", "_freeze_hook_registered")

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None,
                 name: str | None = None) -> None:
        if requires_grad is not False:  # (PyTorch's Parameter(t) sets t's requires_grad)
            refuse_requires_grad("Parameter", data, "its data", "make it from a clone "
                                 "(t.clone()), or inside tg.inference_mode()")
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)
        self._frozen_mask: np.ndarray | None = None
        self._freeze_hook_registered = False

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]

    def __setstate__(self, state: Any) -> None:
        # a copy (deepcopy, pickle) gets the attributes, not the hook (hooks are kept by
        # the tensor's identity, hooks.py): it registers its own
        for part in state if isinstance(state, tuple) else (state,):
            for key, value in (part or {}).items():
                object.__setattr__(self, key, value)
        self._freeze_hook_registered = False
        if self._frozen_mask is not None:
            self._register_freeze_hook()

    def _register_freeze_hook(self) -> None:
        """The hook that zeroes the frozen entries, once per tensor: it does nothing while no
        entry is frozen, so it is kept."""
        if not self._freeze_hook_registered:
            self.register_hook(self._zero_frozen_entries)
            self._freeze_hook_registered = True

    @property
    def frozen_mask(self) -> np.ndarray | None:
        """Boolean array of the parameter's shape, True at frozen entries; None if none is."""
        if self._frozen_mask is None:
            return None
        view = self._frozen_mask.view()
        view.flags.writeable = False  # change it through freeze_/unfreeze_ only
        return view

    def freeze_(self, index: Any = None) -> "Parameter":
        """Stop learning the entries at `index` (a NumPy index; None: all of them). Returns self."""
        if not self.requires_grad:
            raise RuntimeError(
                "freeze_: this parameter has requires_grad=False, so it is frozen whole "
                "already; call requires_grad_(True) first to freeze only some entries")
        mask = self._frozen_mask if self._frozen_mask is not None else np.zeros(self.shape, bool)
        self._set_mask(mask, index, True, "freeze_")
        self._frozen_mask = mask
        self._register_freeze_hook()
        return self

    def unfreeze_(self, index: Any = None) -> "Parameter":
        """Learn the entries at `index` again (None: every entry). Returns self."""
        if self._frozen_mask is not None and index is not None:
            self._set_mask(self._frozen_mask, index, False, "unfreeze_")
        if index is None or (self._frozen_mask is not None and not self._frozen_mask.any()):
            self._frozen_mask = None
        return self

    def _set_mask(self, mask: np.ndarray, index: Any, value: bool, where: str) -> None:
        if index is None:
            mask[...] = value
            return
        if isinstance(index, Tensor):
            index = index.data
        try:
            mask[index] = value
        except (IndexError, TypeError, ValueError) as err:
            raise IndexError(f"{where}: index {index!r} does not select entries of a parameter "
                             f"of shape {self.shape} ({err}); use an int, a tuple of ints, a "
                             f"slice or a boolean mask of shape {self.shape}") from None

    def _zero_frozen_entries(self, grad: Tensor) -> Tensor | None:
        if self._frozen_mask is None:
            return None
        return Tensor(np.where(self._frozen_mask, np.zeros((), grad.dtype), grad._data))


class Buffer(Tensor):
    """A Tensor a model keeps but does not learn (PyTorch's nn.Buffer): BatchNorm's running
    mean, say. It is saved and loaded with the parameters (`state_dict`), converted by
    `model.to(dtype)` when it is a float, and left out of `parameters()`."""

    def __init__(self, data: Any, dtype: Any = None, name: str | None = None) -> None:
        super().__init__(data, requires_grad=False, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Buffer" + super().__repr__()[len("Tensor"):]


class Module(ModuleConversions, ModuleHooks):
    """Base class of layers and models: subclass it and define `forward`.

    Calling the module (`model(x)`) runs `forward` inside `scope(self, args, kwargs)`, so
    the graph nodes it records know which module call made them, and what it was given."""

    training: bool = True  # a class default, so subclasses need not call __init__
    # PyTorch's: call_super_init=True makes __init__ call the next class's __init__ (a
    # class mixing Module with others); dump_patches is kept for code that reads it
    call_super_init: bool = False
    dump_patches: bool = False
    T_destination = TypeVar("T_destination", bound=dict[str, Any])
    get_extra_state, set_extra_state = no_extra_state, no_set_extra_state  # (overridden)
    _positional_tensors: int | None = 0  # (how many tensors a built-in's constructor takes)
    # PyTorch's hook dicts (module_hooks.py), each made in the instance on first use
    _forward_pre_hooks = _forward_hooks = _forward_pre_hooks_with_kwargs = \
        _forward_hooks_with_kwargs = NO_HOOKS

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith(__package__ + "."):  # the built-in modules only: a
            own_constructor(cls, Module.__init__)  # user's keeps Python's inheritance

    def __new__(cls, *args: Any, **kwargs: Any) -> "Module":
        if args and cls.__module__.startswith(__package__ + "."):  # the built-in modules
            check_constructor_arguments(cls, args)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self.call_super_init:
            super().__init__(*args, **kwargs)
        elif args or kwargs:  # (PyTorch's: arguments are for the next class's __init__)
            raise TypeError(f"Module.__init__: takes no arguments, got {len(args)} positional "
                            f"and {sorted(kwargs)} keyword (or set call_super_init = True)")
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; `model(x)` calls it. Subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} defines no forward(); a Module "
                                  f"subclass must define forward(self, ...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with scope(self, args, kwargs):
            if not global_hooks.call_hooks_on and self.__dict__.keys().isdisjoint(CALL_HOOKS):
                return self.forward(*args, **kwargs)  # (no hook: the short way)
            return forward_with_hooks(self, args, kwargs)

    # -- hooks and registration (PyTorch's names) -------------------------------------
    def _own(self, kind: str) -> dict[int, Any]:
        return vars(self).setdefault(kind, {})  # (made on first use)

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call `hook(module, args)` before each forward, as PyTorch's: what it returns
        (not None) replaces the positional arguments (a tuple, or one value). With
        with_kwargs=True it is `hook(module, args, kwargs)` and returns (args, kwargs).
        `prepend=True` runs it before those already registered. Returns a handle whose
        `remove()` takes it away. Kept as PyTorch's: `_forward_pre_hooks` {id: hook}."""
        return add_forward_hook(self, "_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call `hook(module, args, output)` after each forward, as PyTorch's: what it
        returns (not None) replaces the output. With with_kwargs=True it is
        `hook(module, args, kwargs, output)`; with always_call=True it runs even when
        forward raises (output None). Returns a handle whose `remove()` takes it away (to
        record activations: `layer.register_forward_hook(lambda m, a, o: seen.append(o))`)."""
        return add_forward_hook(self, "_forward_hooks", hook, prepend, with_kwargs, always_call)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """PyTorch's `register_buffer`: `self.name` becomes a Buffer holding `tensor`'s
        values (a copy, its dtype kept; a Buffer is kept as it is), the same as assigning
        `self.name = nn.Buffer(tensor)`. `persistent=False` leaves it out of
        `state_dict()` (it is still in `buffers()` and converted by `to`). `tensor` None
        registers the name: a Tensor assigned to it later becomes the buffer."""
        check_name("register_buffer", self, name, Buffer)
        if tensor is not None and not isinstance(tensor, (Tensor, np.ndarray)):
            raise TypeError(f"register_buffer: cannot assign a {type(tensor).__name__} to "
                            f"buffer {name!r} (a Tensor, a NumPy array or None required)")
        if tensor is not None and not isinstance(tensor, Buffer):
            data = np.asarray(tensor._data if isinstance(tensor, Tensor) else tensor)
            tensor = Buffer(data, dtype=data.dtype)
        self._own("_buffer_persistent")[name] = bool(persistent)
        setattr(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """PyTorch's `register_parameter`: `self.name = param` (a Parameter, or None for
        an absent one, like a Linear's bias=False)."""
        check_name("register_parameter", self, name, Parameter)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: cannot assign a {type(param).__name__} to "
                            f"parameter {name!r} (nn.Parameter or None required); wrap it: "
                            f"nn.Parameter(tensor)")
        setattr(self, name, param)
        self._own("_slots")[name] = "parameter"  # (None too: a Tensor is refused there later)

    def add_module(self, name: str, module: "Module | None") -> None:
        """PyTorch's `add_module`: `self.name = module` (any name, "0" or "conv1" alike)."""
        check_name("add_module", self, name, Module)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass "
                            f"(module {name!r})")
        self._own("_slots")[name] = "module"  # (before: a None's registration hook sees it)
        setattr(self, name, module)

    def register_module(self, name: str, module: "Module | None") -> None:
        """The same as `add_module` (PyTorch's alias)."""
        self.add_module(name, module)

    def __setattr__(self, name: str, value: Any) -> None:
        if global_hooks.registration_hooks_on:  # (hooks of every module: nn/modules/module.py)
            value = global_hooks.registered(self, name, value, self._member_kind(name, value))
        check_assignment(self, name, value, Parameter, Module)  # (PyTorch's TypeErrors)
        if isinstance(value, (Parameter, Module)):  # the name's kind, kept while it is None
            self._own("_slots")[name] = "parameter" if isinstance(value, Parameter) else "module"
        # PyTorch's: a plain Tensor assigned to a buffer's name stays a buffer
        if isinstance(value, Tensor) and not isinstance(value, (Parameter, Buffer)) and \
                self._member_kind(name, value) == "buffer":
            value = Buffer(value._data, dtype=value.dtype)
        object.__setattr__(self, name, value)

    def _member_kind(self, name: str, value: Any) -> str | None:
        """What `value` would be as `self.name`: 'parameter', 'module', 'buffer' or None.
        None keeps a module's or a buffer's name its kind (PyTorch's hooks see it there)."""
        if value is None:
            if vars(self).get("_slots", {}).get(name) == "module":
                return "module"
            return "buffer" if name in vars(self).get("_buffer_persistent", ()) else None
        if isinstance(value, (Parameter, Module)):
            return "parameter" if isinstance(value, Parameter) else "module"
        if isinstance(value, Buffer) or isinstance(value, Tensor) and (
                isinstance(vars(self).get(name), Buffer)
                or name in vars(self).get("_buffer_persistent", ())):
            return "buffer"
        return None

    def __delattr__(self, name: str) -> None:
        vars(self).get("_slots", {}).pop(name, None)  # (the name may then hold anything)
        object.__delattr__(self, name)

    # -- finding members -----------------------------------------------------------
    def _members(self) -> Iterator[tuple[str, Any]]:
        """Direct Parameters, Buffers and Modules among the attributes, lists unpacked too."""
        for attr, value in vars(self).items():
            if isinstance(value, (Parameter, Buffer, Module)):
                yield attr, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Parameter, Buffer, Module)):
                        yield f"{attr}.{i}", item

    def named_children(self) -> list[tuple[str, "Module"]]:
        """The direct sub-modules with their attribute names."""
        return [(name, m) for name, m in self._members() if isinstance(m, Module)]

    def children(self) -> list["Module"]:
        """The direct sub-modules, in attribute order."""
        return [m for _, m in self.named_children()]

    def named_modules(self, prefix: str = "") -> list[tuple[str, "Module"]]:
        """This module (named `prefix`, "" by default) and every sub-module, each once."""
        found: list[tuple[str, Module]] = []
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:  # depth first, children in attribute order
            name, module = stack.pop()
            if id(module) in seen:
                continue  # a module shared by two parents, or a reference back up
            seen.add(id(module))
            found.append((name, module))
            children = [(f"{name}.{child}" if name else child, m)
                        for child, m in module.named_children()]
            stack.extend(reversed(children))
        return found

    def modules(self) -> list["Module"]:
        """This module and every sub-module, each once (see `named_modules`)."""
        return [m for _, m in self.named_modules()]

    def named_parameters(self, prefix: str = "",
                         recurse: bool = True) -> list[tuple[str, Parameter]]:
        """Every Parameter with its dotted name (`0.weight`, `2.0.bias`), each once."""
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        found: list[tuple[str, Parameter]] = []
        seen: set[int] = set()
        for module_name, module in modules:
            for name, p in module._members():
                if isinstance(p, Parameter) and id(p) not in seen:
                    seen.add(id(p))
                    found.append((f"{module_name}.{name}" if module_name else name, p))
        return found

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> list[tuple[str, Buffer]]:
        """Every Buffer with its dotted name (`1.running_mean`), each once."""
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        return [(f"{module_name}.{name}" if module_name else name, b)
                for module_name, module in modules for name, b in module._members()
                if isinstance(b, Buffer)]

    def buffers(self, recurse: bool = True) -> list[Buffer]:
        """Every Buffer: what the model keeps without learning it (running statistics)."""
        return [b for _, b in self.named_buffers(recurse=recurse)]

    def parameters(self, recurse: bool = True) -> list[Parameter]:
        """Every Parameter, each once: what an optimizer needs (`SGD(model.parameters(), ...)`)."""
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def get_submodule(self, target: str) -> "Module":
        """The sub-module at the dotted path `target` (`"block.0"`; "" is this module), as
        PyTorch's; a path through something else is refused in one line naming it."""
        module, parts = self, target.split(".") if target else []
        while parts:
            members, name = dict(module._members()), parts.pop(0)
            if name not in members and parts and f"{name}.{parts[0]}" in members:
                name += "." + parts.pop(0)  # (one kept in a list: `layers.0`, one member)
            child = members.get(name)
            if not isinstance(child, Module):
                what = "no member" if child is None else f"a {type(child).__name__}, not a Module,"
                raise AttributeError(f"get_submodule: {type(module).__name__} has {what} named "
                                     f"{name!r} (in {target!r}); see named_modules()")
            module = child
        return module

    def set_submodule(self, target: str, module: "Module", strict: bool = False) -> None:
        """Put `module` at the dotted path `target` (`"block.0.conv"`), as PyTorch's: the one
        there replaced, or (strict=False) a new one added. Refused in one line: an empty
        target or no Module given (ValueError), a path through something else, a name held
        by no Module, or with strict=True a name not there (AttributeError)."""
        set_submodule(self, target, module, strict, Module)

    def get_parameter(self, target: str) -> Parameter:
        """The Parameter at the dotted path `target` (`"fc_loc.2.weight"`), as PyTorch's."""
        return self._member_at(target, Parameter, "get_parameter", "named_parameters()")

    def get_buffer(self, target: str) -> Buffer:
        """The Buffer at the dotted path `target` (`"1.running_mean"`), as PyTorch's."""
        return self._member_at(target, Buffer, "get_buffer", "named_buffers()")

    def _member_at(self, target: str, kind: type, where: str, listing: str) -> Any:
        path, _, name = target.rpartition(".")
        head, _, attr = path.rpartition(".")
        try:  # (a tensor kept in a list, `params.0`, is one member of its module)
            if path and f"{attr}.{name}" in dict(self.get_submodule(head)._members()):
                path, name = head, f"{attr}.{name}"
        except AttributeError:
            pass  # (no such module: the path is read as it is, and refused below)
        found = dict(self.get_submodule(path)._members()).get(name)
        if not isinstance(found, kind):
            raise AttributeError(f"{where}: {target!r} is not a {kind.__name__} of "
                                 f"{type(self).__name__}; see {listing}")
        return found

    # -- training state ----------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradients: `.grad = None` (or zeroed in place with
        set_to_none=False); a parameter without one keeps None (`tensor.zero_grads`)."""
        zero_grads(self.parameters(), set_to_none)

    def train(self, mode: bool = True) -> "Module":
        """Put this module and every sub-module in training mode (Dropout active). Returns self."""
        if not isinstance(mode, (bool, np.bool_)):  # bool("False") would be True
            raise ValueError(f"{type(self).__name__}.train: the training mode is expected to be "
                             f"True or False, got {type(mode).__name__} {mode!r}")
        for _, module in self.named_modules():
            module.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: `train(False)`. Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Make every parameter learn (True) or stay fixed (False), as PyTorch's; returns
        self. `model.requires_grad_(False)` freezes a whole model, e.g. a pretrained part."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Any) -> "Module":
        """Call `fn(module)` on every sub-module and then on this one (PyTorch's order, for
        initialising: `model.apply(init_weights)`); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- saving and loading ------------------------------------------------------------
    def state_dict(self, *args: Any, destination: MutableMapping | None = None,
                   prefix: str = "", keep_vars: bool = False) -> MutableMapping:
        """A snapshot of every parameter and persistent buffer: {dotted name: copy of its
        array}, PyTorch's arguments and order.

        Module by module (this one first, then each sub-module's, in attribute order), each
        module's parameters before its buffers. A tensor reached by two names (tied weights:
        `model.out.weight = model.emb.weight`) is listed under both, as in PyTorch. Copies,
        so later training leaves a saved state as it was; save it with
        `tg.save(model.state_dict(), path)`, load it with
        `model.load_state_dict(tg.load(path))` (atomic, never unpickled). `prefix` goes
        before every name ("encoder." gives "encoder.0.weight");
        `destination`, a dict, receives the entries in order and is returned (None: a new
        dict); `keep_vars=True` gives the Parameter and Buffer tensors themselves, not
        copies (`state_dict(keep_vars=True)["weight"] is model.weight`). Positional
        arguments (destination, prefix, keep_vars) warn, as PyTorch's: use keywords.
        """
        destination, prefix, keep_vars = state_dict_arguments(args, destination, prefix,
                                                              keep_vars)
        return save_state(self, prefix, destination, keep_vars)

    def _named_state(self, prefix: str = "", ancestors: frozenset[int] = frozenset()
                     ) -> list[tuple[str, Tensor, "Module", str]]:
        """What state_dict saves and load_state_dict loads, every name of every tensor:
        this module's parameters, then its buffers, then each sub-module's (a module that
        refers back to one holding it is not entered again). Each as (dotted name, tensor,
        the module holding it, its member name there)."""
        own = list(self._members())
        persistent = vars(self).get("_buffer_persistent", {})
        found: list[tuple[str, Tensor, Module, str]] = [
            (prefix + name, t, self, name) for kind in (Parameter, Buffer) for name, t in own
            if isinstance(t, kind) and persistent.get(name, True)]
        inside = ancestors | {id(self)}
        for name, child in own:
            if isinstance(child, Module) and id(child) not in inside:
                found += child._named_state(f"{prefix}{name}.", inside)
        return found

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Load arrays (or Tensors) from `state_dict` into the parameters and buffers of the
        same names.

        Every entry is checked before anything changes: a name known to both with a
        different shape is always an error, and so (assign=False) is a different dtype;
        with `strict=True` (the default) so is a missing or an unexpected name. On error
        nothing changes and the message lists every entry that differs. With
        `strict=False` the matching entries are loaded and the names that did not match
        are returned (`IncompatibleKeys`, printed as PyTorch's).

        `assign=False` copies the values into the existing arrays (optimizers keep working
        on them). `assign=True` (PyTorch's) replaces each loaded tensor by a new Parameter
        or Buffer holding a copy of the state's values with the state's dtype; a Parameter
        keeps the old one's requires_grad (and frozen entries), and tied weights stay
        tied. An optimizer made before then still holds the old tensors and no longer
        updates the model: make it after loading.
        """
        return load_state(self, state_dict, strict, assign, (Parameter, Buffer))

    # -- printing ------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its settings)."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's: the extra_repr and the children (module_hooks.module_repr)."""
        return module_repr(self)
