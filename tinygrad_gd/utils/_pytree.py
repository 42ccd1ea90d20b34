"""Nested tuples, lists and dicts of Tensors (PyTorch's pytrees, torch.utils._pytree), as
`tg.func`'s transforms take and return them: `tree_flatten` gives the leaves and the
nesting, `tree_unflatten` rebuilds it from new leaves, `prefix_leaves` spreads vmap's
in_dims or out_dims over a tree. None holds no leaf; a namedtuple is rebuilt as itself.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator

import numpy as np

__all__ = ["tree_flatten", "tree_unflatten", "prefix_leaves"]


def tree_flatten(tree: Any) -> tuple[list, Any]:
    """The leaves of `tree`, in order, and its nesting (a leaf's is None)."""
    if isinstance(tree, (tuple, list, dict)):
        keys = list(tree) if isinstance(tree, dict) else None
        parts = [tree_flatten(tree[k]) for k in keys] if keys is not None else \
            [tree_flatten(item) for item in tree]
        return [leaf for leaves, _ in parts for leaf in leaves], \
            (type(tree), keys, [spec for _, spec in parts])
    return ([], (None, None, [])) if tree is None else ([tree], None)


def tree_unflatten(leaves: list, spec: Any) -> Any:
    """The nesting `spec` (tree_flatten's) filled with `leaves`, in order."""
    return _filled(spec, iter(leaves))


def _filled(spec: Any, leaves: Iterator) -> Any:
    if spec is None:
        return next(leaves)
    kind, keys, children = spec
    values = [_filled(child, leaves) for child in children]
    if kind is None:
        return None
    if keys is not None:
        return (OrderedDict if kind is OrderedDict else dict)(zip(keys, values))
    return kind(*values) if hasattr(kind, "_fields") else kind(values)  # (a namedtuple)


def prefix_leaves(where: str, name: str, dims: Any, tree: Any, what: str) -> list:
    """One of `dims` per leaf of `tree`: an int or None stands for a whole subtree, else
    `dims` has the tree's nesting down to where it has an int or None (PyTorch's rule)."""
    if dims is None or isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        return [dims] * len(tree_flatten(tree)[0])
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) \
            and len(dims) == len(tree):
        return [d for sub, part in zip(dims, tree)
                for d in prefix_leaves(where, name, sub, part, what)]
    if isinstance(dims, dict) and isinstance(tree, dict) and set(dims) == set(tree):
        return [d for k in tree for d in prefix_leaves(where, name, dims[k], tree[k], what)]
    if not isinstance(dims, (tuple, list, dict)):
        raise ValueError(f"{where}: expected {name} to be int, None or a (nested) tuple "
                         f"matching the structure of {what}, got {type(dims).__name__}")
    raise ValueError(f"{where}: {name} {dims!r:.60} is not compatible with the structure of "
                     f"the {what}; give one entry per {what[:-1]} (None: not mapped), or one int")
