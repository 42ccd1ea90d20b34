"""Containers of Modules: `ModuleList` (numbered) and `ModuleDict` (named), as PyTorch's.

A model that holds a varying number of layers keeps them in one of these, so that
`parameters()`, `state_dict()`, `train()` and the diagrams find them: each sub-module
is an attribute of the container ("0", "1", ... or its key), which is how every Module
finds its members. `Sequential` (layers.py) is a `ModuleList` that also runs its
modules one after another.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from .module import Module

__all__ = ["ModuleList", "ModuleDict"]


def _checked(container: Module, module: Any, position: Any) -> Module:
    if not isinstance(module, Module):
        what = (f"the class {module.__name__}; write {module.__name__}() to make one"
                if isinstance(module, type) else f"a {type(module).__name__}")
        raise TypeError(f"{type(container).__name__}: layer {position} must be a Module "
                        f"instance, got {what}")
    return module


class ModuleList(Module):
    """Modules in a list: `blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])`;
    the i-th is named "i" (`blocks.0.weight`). No forward: loop over it in yours."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def append(self, module: Module) -> "ModuleList":
        """Add `module` at the end, named by its position ("3"); returns self."""
        setattr(self, str(len(self)), _checked(self, module, len(self)))
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Append each of `modules`; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put `module` before position `index` (as list.insert); those after it are
        renumbered ("2" becomes "3"), as in PyTorch."""
        layers = self._layers()
        layers.insert(index, _checked(self, module, index))
        self._renumber(layers)

    def __setitem__(self, index: int, module: Module) -> None:
        """Replace the layer at `index` (its name kept)."""
        setattr(self, self._key(index), _checked(self, module, index))

    def __delitem__(self, index: int | slice) -> None:
        """Remove the layer(s) at `index`; the rest are renumbered, as in PyTorch."""
        layers = self._layers()
        if not isinstance(index, slice):
            self._key(index)  # (an index out of range: the error of __getitem__)
        del layers[index]
        self._renumber(layers)

    def pop(self, index: int = -1) -> Module:
        """Remove the layer at `index` (the last by default) and return it."""
        module = self[index]
        del self[index]
        return module

    def _renumber(self, layers: list[Module]) -> None:
        for key in self._keys():
            delattr(self, key)
        for i, module in enumerate(layers):
            setattr(self, str(i), module)

    def _keys(self) -> list[str]:
        return [key for key, m in vars(self).items() if isinstance(m, Module)]

    def _key(self, index: Any) -> str:
        """The attribute name of the layer at `index` (an int, negative from the end)."""
        keys = self._keys()
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                or not -len(keys) <= index < len(keys):
            raise IndexError(f"{type(self).__name__}: index {index!r} is out of range for "
                             f"{len(keys)} layers")
        return keys[index]

    def _layers(self) -> list[Module]:
        # the attributes append() set, "0", "1", ..., in order (named_children's Modules)
        return [m for m in vars(self).values() if isinstance(m, Module)]

    def __len__(self) -> int:
        return len(self._layers())

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers())

    def __getitem__(self, index: int | slice) -> Any:
        layers = self._layers()
        if isinstance(index, slice):
            return type(self)().extend(layers[index])  # (a Sequential's slice: a Sequential)
        try:
            return layers[index]
        except (IndexError, TypeError):
            raise IndexError(f"{type(self).__name__}: index {index!r} is out of range for "
                             f"{len(layers)} layers") from None


class ModuleDict(Module):
    """Modules by name: `heads = nn.ModuleDict({"digit": nn.Linear(8, 10)})`; `heads["digit"]`,
    `heads.digit`, parameters named `heads.digit.weight`. Keys keep their order."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for key, module in (modules or {}).items():
            self[key] = module

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key or key in vars(Module) \
                or key == "training":
            raise KeyError(f"ModuleDict: key {key!r} must be a non-empty string without '.' "
                           f"that is not a Module attribute (such as 'training' or 'forward')")
        setattr(self, key, _checked(self, module, repr(key)))

    def __getitem__(self, key: str) -> Module:
        if key not in self:
            raise KeyError(f"ModuleDict: no module named {key!r}; it has {list(self.keys())}")
        return vars(self)[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(vars(self).get(key), Module)  # type: ignore[call-overload]

    def keys(self) -> list[str]:
        return [key for key, _ in self.items()]

    def values(self) -> list[Module]:
        return [module for _, module in self.items()]

    def items(self) -> list[tuple[str, Module]]:
        return [(k, m) for k, m in vars(self).items() if isinstance(m, Module)]

    def __len__(self) -> int:
        return len(self.items())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())
