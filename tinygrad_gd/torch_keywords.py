"""PyTorch's keyword names for arguments the package reads by position, in one place.

A PyTorch user writes `x.reshape(shape=(3, 2))`, `x.view(size=(3, 2))`, `x.tile(dims=2)`,
`x.new_ones(size=(2,))`, `x.pow(exponent=2)`, `tg.searchsorted(s, input=v)`: where ours
takes that argument by position only (`*shape`), or calls it by NumPy's name
(`indices_or_sections`), `KEYWORDS` lists torch's names and `positioned` moves the value to
where ours takes it. NumPy's name keeps working; both given is one clear error. The ops'
methods and functions read the table in op_errors.py's `calling`; the functions and
methods written by hand get it from `give_torch_keywords`, which __init__.py calls once
every namespace is built. A call without keywords pays nothing for it.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

__all__ = ["KEYWORDS", "keyword_slots", "positioned", "give_torch_keywords"]

# torch's names of each argument, the tensor first ("a|b": torch takes either name, as
# view(size) or view(dtype)), up to the last one ours names otherwise; a method is given
# those after the tensor. (tg.linalg's functions are left out: a wrapper in their own
# module would replace what its own calls and pickle find, as out_keyword.py says.)
KEYWORDS: dict[str, tuple[str, ...]] = {
    "reshape": ("input", "shape"),
    "view": ("input", "size|dtype"),
    "expand": ("input", "size"),
    "broadcast_to": ("input", "size"),
    "repeat": ("input", "repeats"),
    "tile": ("input", "dims"),
    "new_ones": ("input", "size"),
    "new_zeros": ("input", "size"),
    "new_empty": ("input", "size"),
    "sum_to_size": ("input", "size"),
    # (torch.split's name, then Tensor.split's: either is taken by both here)
    "split": ("tensor", "split_size_or_sections|split_size"),
    "tensor_split": ("input", "sections|indices|tensor_indices_or_sections"),
    "hsplit": ("input", "sections|indices"),
    "vsplit": ("input", "sections|indices"),
    "dsplit": ("input", "sections|indices"),
    "take": ("input", "index"),
    "dot": ("input", "tensor"),
    "pow": ("input", "exponent"),
    "heaviside": ("input", "values"),
    "tensordot": ("a", "b", "dims"),
    "searchsorted": ("sorted_sequence", "input"),
    "allclose": ("input", "other", "rtol", "atol", "equal_nan"),
    "isclose": ("input", "other", "rtol", "atol", "equal_nan"),
    "equal": ("input", "other"),
    "logical_and": ("input", "other"),
    "logical_or": ("input", "other"),
    "logical_xor": ("input", "other"),
    "true_divide": ("input", "other"),
    "argsort": ("input",),
    "full_like": ("input",),
    "cholesky_solve": ("input", "input2"),
    "lu_solve": ("input",),
    "triangular_solve": ("input",),
    "ormqr": ("input", "input2", "input3"),
}

Slot = tuple[tuple[str, ...], "str | None"]  # torch's names, and ours at that position


def keyword_slots(name: str, function: Callable, method: bool) -> tuple[Slot, ...] | None:
    """For each position of `name`'s arguments, the tensor's first: torch's names there
    (none for a `method`'s tensor, which is `self`) and the name of `function`'s parameter
    there (None where it takes that position by `*args` only: every position, for an op's
    `call` that hands `*args, **kwargs` on to `forward`); None where the table has no
    entry for `name`, or one with nothing to move."""
    names = KEYWORDS.get(name)
    if names is None:
        return None
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    ours: list[str | None] = [p.name for p in parameters
                              if p.kind is p.POSITIONAL_OR_KEYWORD]
    ours += [None] * (len(names) - len(ours))
    slots = tuple((() if method and k == 0 else tuple(torch_names.split("|")), our)
                  for k, (torch_names, our) in enumerate(zip(names, ours)))
    moved = any(set(torch_names) - {our} for torch_names, our in slots)
    return slots if moved else None


def positioned(name: str, slots: tuple[Slot, ...], args: tuple, kwargs: dict
               ) -> tuple[tuple, dict]:
    """`args` and `kwargs` with torch's keywords (`slots`) moved where ours takes them: a
    keyword for the next position not given becomes a positional argument, or, where that
    position's parameter has another name (NumPy's), that name. Both names given, two of
    torch's names for one place, or a position given twice, is refused in one line."""
    for k, (torch_names, our) in enumerate(slots):
        given = [n for n in torch_names if n in kwargs and n != our]
        if not given:
            continue
        if len(given) > 1 or (our is not None and our in kwargs):
            both = given + ([our] if our in kwargs else [])
            raise TypeError(f"{name}: give {' or '.join(n + '=' for n in both)} (names of "
                            f"one argument, NumPy's or PyTorch's), not both")
        if len(args) > k:
            raise TypeError(f"{name}: {given[0]}= names an argument given by position "
                            f"too; give it once")
        value = kwargs.pop(given[0])
        if len(args) == k:
            args += (value,)
        else:  # (an earlier argument given by its keyword: this one by ours too)
            if our is None:
                raise TypeError(f"{name}: {given[0]}= needs the arguments before it given "
                                f"too (by position or keyword)")
            kwargs[our] = value
    return args, kwargs


def _accepting(name: str, function: Callable, slots: tuple[Slot, ...]) -> Callable:
    """`function` taking torch's keywords of `slots` too."""
    @functools.wraps(function)
    def accepting(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            args, kwargs = positioned(name, slots, args, kwargs)
        return function(*args, **kwargs)
    accepting.torch_keywords = slots
    return accepting


def give_torch_keywords(package: Any, tensor: type) -> None:
    """Give each function of `package` (`tg`) and method of `tensor` named in `KEYWORDS`
    and written by hand torch's keywords (an op's take them in `calling` already)."""
    for name in KEYWORDS:
        for owner, method in ((package, False), (tensor, True)):
            function = inspect.getattr_static(owner, name, None)
            if (not callable(function) or hasattr(function, "op")
                    or hasattr(function, "torch_keywords")):
                continue
            slots = keyword_slots(name, function, method)
            if slots is not None:
                wrapped = _accepting(name, function, slots)
                # found by pickle where it is: `tg.NAME` (its own module keeps the function
                # without torch's keywords), or `Tensor.NAME`
                wrapped.__module__ = tensor.__module__ if method else package.__name__
                wrapped.__qualname__ = f"{tensor.__name__}.{name}" if method else name
                setattr(owner, name, wrapped)
