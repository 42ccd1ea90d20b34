"""PyTorch's keyword names for arguments the package reads by position, in one place.

A PyTorch user writes `x.reshape(shape=(3, 2))`, `x.view(size=(3, 2))`, `x.tile(dims=2)`,
`x.new_ones(size=(2,))`, `x.pow(exponent=2)`, `x.mul(other=y)`, `tg.searchsorted(s, input=v)`:
where ours takes that argument by position only (`*shape`), or calls it by another name
(NumPy's `indices_or_sections`, an op's `y`), `KEYWORDS` lists torch's names and
`positioned` moves the value to where ours takes it. A keyword torch does not take there
is refused, as torch refuses it (`x.sum(other=0)`), and so is `input=` where torch names the
first argument otherwise (`tg.cat(input=...)`: torch's `tensors=`). NumPy's name keeps
working; both given is one clear error. An op's `tg.` function takes torch's `input=` for
its first argument by the same table (its first slot), in the same pass over the keywords;
`torch_named` names a missing argument by torch's name (`tg.tensordot(m, dims=1)`: 'b').
tg.linalg's functions take torch's run-time names and np.linalg's from `LINALG_KEYWORDS`
(NumPy's names of keyword-only arguments, `axis=`, `rcond=`: `LINALG_NUMPY_RENAMES`), and each
of them says a call it cannot bind as an op's call is said ("lstsq: missing ... 'b' (PyTorch's
name); give b= ..."), as do the wrapped functions of `tg.`. The ops' methods
and functions read the table in op_errors.py's `calling`, where a call without keywords
pays nothing for it; the functions and methods written by hand that the table names are
replaced by a wrapper from `give_torch_keywords` (which __init__.py calls once every
namespace is built), which costs each call one Python call more. `replaced` installs such a
wrapper where the wrapped function was, found there by pickle (out_keyword.py's `out=`
wrappers too).
"""
from __future__ import annotations

import functools
import inspect
import re
from typing import Any, Callable, Sequence

__all__ = ["KEYWORDS", "keyword_slots", "positioned", "torch_named", "give_torch_keywords",
           "replaced"]

# torch's names of each argument, the tensor first ("a|b": torch takes either name, as
# view(size) or view(dtype)), up to the last one ours names otherwise; a method is given
# those after the tensor (tg.linalg's: LINALG_KEYWORDS, below).
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
    "pow": ("input|self", "exponent"),
    "heaviside": ("input", "values"),
    "tensordot": ("a", "b", "dims"),
    "searchsorted": ("sorted_sequence", "input"),
    "allclose": ("input", "other", "rtol", "atol", "equal_nan"),
    "isclose": ("input", "other", "rtol", "atol", "equal_nan"),
    "where": ("condition", "input", "other"),
    "argsort": ("input",),
    "full_like": ("input",),
    "cholesky_solve": ("input", "input2"),
    "lu_solve": ("input",),
    "triangular_solve": ("input",),
    "ormqr": ("input", "input2", "input3"),
    # torch's list of tensors is `tensors=`: input= is refused there, as torch refuses it
    **dict.fromkeys(("cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
                     "column_stack", "row_stack"), ("tensors",)),
    # functions written by hand whose tensor ours names `x`: torch's input= too
    **dict.fromkeys(("argmax", "argmin", "argwhere", "count_nonzero", "isfinite", "isinf",
                     "isnan", "logical_not", "nonzero", "numel", "ones_like", "zeros_like",
                     "rand_like", "randn_like"), ("input",)),
}
# the functions and methods whose torch namesakes (torch.special's only, for gammainc,
# gammaincc, xlog1py and zeta) name their second argument `other`, where ours names it
# otherwise (the ops' each checked against torch by tests/test_keywords_round39.py; max
# and min take other= in their own signature, add, sub, div, igamma ... by that name)
KEYWORDS.update(dict.fromkeys((
    "arctan2", "atan2", "copysign", "floor_divide", "fmax", "fmin", "fmod", "hypot",
    "logaddexp", "logaddexp2", "matmul", "maximum", "minimum", "mul", "multiply",
    "remainder", "xlogy", "gammainc", "gammaincc", "xlog1py", "zeta", "equal",
    "logical_and", "logical_or", "logical_xor", "true_divide"), ("input", "other")))
# tg.linalg's, by torch's names at run time (its docs say A, its parser input; A= is ours,
# so either is taken) and np.linalg's (`solve(a=, b=)`, `norm(x=, axis=, keepdims=)`): the
# wrappers are set on tg.linalg, whose own calls of its functions (norm's of matrix_norm)
# then go through them too: one call more
LINALG_KEYWORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("cholesky", "cholesky_ex", "householder_product", "ldl_factor",
                     "ldl_factor_ex", "matrix_exp", "matrix_rank", "solve_triangular"),
                    ("input",)),
    **dict.fromkeys(("eigh", "eigvalsh", "matrix_power", "pinv", "tensorinv"), ("input|a",)),
    **dict.fromkeys(("det", "inv", "qr", "slogdet", "svd"), ("A|a",)),
    "cond": ("input|x",),
    "lstsq": ("input|a", "b"),
    "matrix_norm": ("input", "ord", "dim", "keepdim|keepdims"),
    "multi_dot": ("tensors|arrays",),
    "norm": ("input|x", "ord", "dim|axis", "keepdim|keepdims"),
    "solve": ("A|a", "B|b"),
    "tensorsolve": ("input|a", "other|b", "dims|axes"),
    "vector_norm": ("input", "ord", "dim|axis", "keepdim|keepdims"),
}
# np.linalg's names of tg.linalg's keyword-only arguments (no place to move them to):
# our name for each of NumPy's (pinv's rcond and matrix_rank's tol mean torch's rtol and atol)
LINALG_NUMPY_RENAMES: dict[str, dict[str, str]] = {
    "cross": {"axis": "dim"}, "vecdot": {"axis": "dim"}, "pinv": {"rcond": "rtol"},
    "matrix_rank": {"tol": "atol"},
}
# where a method's tensor is not torch's first argument (torch.where(condition, input,
# other) is input.where(condition, other)): its position among torch's names
_METHODS_TENSOR_AT = {"where": 1}

Slot = tuple[tuple[str, ...], "str | None"]  # torch's names, and ours at that position


def keyword_slots(name: str, function: Callable, method: bool, input_first: bool = False,
                  table: dict[str, tuple[str, ...]] = KEYWORDS) -> tuple[Slot, ...] | None:
    """For each position of `name`'s arguments, the tensor's first: torch's names there
    (none for a `method`'s tensor, which is `self`) and the name of `function`'s parameter
    there (None where it takes that position by `*args` only: every position, for an op's
    `call` that hands `*args, **kwargs` on to `forward`); None where the table has no
    entry for `name` (`input_first`, an op's `tg.` function: torch's `input=` for its
    first), or one with nothing to move and no `input=` to refuse."""
    names = table.get(name, ("input",) if input_first else None)
    if names is None:
        return None
    if method:  # (the tensor first, self: no keyword names it)
        at = _METHODS_TENSOR_AT.get(name, 0)
        names = ("",) + names[:at] + names[at + 1:]
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    ours: list[str | None] = [p.name for p in parameters
                              if p.kind is p.POSITIONAL_OR_KEYWORD]
    ours += [None] * (len(names) - len(ours))
    slots = tuple((tuple(torch_names.split("|")) if torch_names else (), our)
                  for torch_names, our in zip(names, ours))
    moved = any(set(torch_names) - {our} for torch_names, our in slots)
    return slots if moved or _refuses_input(slots) else None


def _refuses_input(slots: tuple[Slot, ...]) -> bool:
    """Whether `input=` is no name of any of `slots` (a function's, whose first argument
    torch names otherwise: cat's `tensors=`, tensordot's `a=`): refused, naming torch's."""
    return bool(slots[0][0]) and all("input" not in torch_names and our != "input"
                                     for torch_names, our in slots)


def positioned(name: str, slots: tuple[Slot, ...], args: tuple, kwargs: dict
               ) -> tuple[tuple, dict]:
    """`args` and `kwargs` with torch's keywords (`slots`) moved where ours takes them: a
    keyword for the next position not given becomes a positional argument, or, where that
    position's parameter has another name (NumPy's), that name; one for a place ours takes
    by position only, after arguments given by keyword (ours or torch's names: `x=`,
    `input=`), takes those by position too. Both names given, two of torch's names for one
    place, or a position given twice, is refused in one line."""
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
        if len(args) < k and our is not None:  # (an earlier one given by keyword: ours too)
            kwargs[our] = value
            continue
        args += tuple(_by_position(name, given[0], slots[j], kwargs)
                      for j in range(len(args), k)) + (value,)
    if "input" in kwargs and _refuses_input(slots):
        first = slots[0][0][0]
        raise TypeError(f"{name}: PyTorch names its first argument {first}=, not input= "
                        f"(torch.{name} refuses input= too); give {first}= or pass it by "
                        f"position")
    return args, kwargs


def torch_named(err: TypeError, name: str, slots: tuple[Slot, ...],
                inputs: Sequence[str] = ()) -> TypeError:
    """Python's "missing 1 required positional argument: 'y'" (`err`, restated by
    op_errors as `name`'s) with torch's names of `slots` where ours differ
    (`tg.tensordot(m, dims=1)`: 'b', not our 'y'; `inputs`, our names of the places a
    slot takes by `*args` only: forward's) and what to do; any other error as it is.
    Only a refused call gets here."""
    text = str(err)
    if not text.startswith(f"{name}: missing "):
        return err
    ours = [our if our is not None else inputs[k] if k < len(inputs) else None
            for k, (_, our) in enumerate(slots)]
    renamed = {our: torch_names[0] for (torch_names, _), our in zip(slots, ours)
               if torch_names and our is not None and our not in torch_names}
    head, _, names = text.split(";")[0].rpartition(": ")  # ("mul: missing 1 ...", "'y'")
    missing = re.findall(r"'(\w+)'", names)
    if not any(n in renamed for n in missing):
        return err
    torch_missing = [renamed.get(n, n) for n in missing]
    return TypeError(f"{head}: {', '.join(repr(n) for n in torch_missing)} (PyTorch's "
                     f"name{'s' * (len(missing) > 1)}); give "
                     f"{' and '.join(n + '=' for n in torch_missing)} or pass "
                     f"{'them' if len(missing) > 1 else 'it'} by position")


def _by_position(name: str, keyword: str, slot: Slot, kwargs: dict) -> Any:
    """The argument of `slot`, an earlier place than `keyword`'s, given by one of its names
    (torch's or ours), taken out of `kwargs` to be given by position; refused in one line,
    naming torch's name, where it was not given."""
    torch_names, our = slot
    for candidate in torch_names + ((our,) if our is not None else ()):
        if candidate in kwargs:
            return kwargs.pop(candidate)
    wanted = (torch_names or (our,))[0]
    raise TypeError(f"{name}: {keyword}= is given but not the argument before it: give "
                    f"{wanted}= too, or the arguments before {keyword}= by position")


def _accepting(name: str, function: Callable, slots: tuple[Slot, ...],
               renames: dict[str, str] | None = None) -> Callable:
    """`function` taking torch's keywords of `slots` too (none: tg.linalg's others) and
    NumPy's names of its keyword-only arguments (`renames`: NumPy's name to ours), a call
    it cannot bind said as an op's is ("lstsq: missing ... 'b' (PyTorch's name)")."""
    @functools.wraps(function)
    def accepting(*args: Any, **kwargs: Any) -> Any:
        if kwargs and renames:
            _rename(name, renames, kwargs)
        if kwargs and slots:
            args, kwargs = positioned(name, slots, args, kwargs)
        try:
            return function(*args, **kwargs)
        except TypeError as err:
            try:  # (through an out= wrapper's *args too: the signature it wraps)
                inspect.signature(function).bind(*args, **kwargs)
            except TypeError:
                raise _unbindable(err, name, slots) from None
            raise  # (raised inside the function: not its arguments' binding)
    accepting.torch_keywords = slots
    return accepting


def _rename(name: str, renames: dict[str, str], kwargs: dict) -> None:
    """NumPy's keywords in `kwargs` (`renames`' keys) renamed to ours, in place; both names
    of one argument refused in one line, as `positioned` refuses them."""
    for numpy_name, our in renames.items():
        if numpy_name in kwargs:
            if our in kwargs:
                raise TypeError(f"{name}: give {our}= or {numpy_name}= (names of one argument, "
                                f"PyTorch's or NumPy's), not both")
            kwargs[our] = kwargs.pop(numpy_name)


def _unbindable(err: TypeError, name: str, slots: tuple[Slot, ...]) -> TypeError:
    """Python's "f() missing 1 required positional argument: 'B'" (or "takes 2 positional
    arguments", an unexpected keyword) said of `name` as an op's call is said
    (op_errors.argument_error's words), a missing one by torch's name (`slots`)."""
    text = str(err)
    if "() " not in text:
        return err
    restated = TypeError(f"{name}: {text.split('() ', 1)[1]}; its docstring lists its "
                         f"arguments")
    return torch_named(restated, name, slots)


def give_torch_keywords(package: Any, tensor: type) -> None:
    """Give each function of `package` (`tg`) and method of `tensor` named in `KEYWORDS`,
    and each of `package.linalg` named in `LINALG_KEYWORDS`, written by hand torch's
    keywords (an op's take them in `calling` already)."""
    for table, owners in ((KEYWORDS, ((package, False), (tensor, True))),
                          (LINALG_KEYWORDS, ((package.linalg, False),))):
        for name in table:
            for owner, method in owners:
                function = inspect.getattr_static(owner, name, None)
                if (not callable(function) or hasattr(function, "op")
                        or hasattr(function, "torch_keywords")):
                    continue
                slots = keyword_slots(name, function, method, table=table)
                if slots is not None:
                    renames = LINALG_NUMPY_RENAMES.get(name) if table is LINALG_KEYWORDS \
                        else None
                    replaced(owner, name, _accepting(name, function, slots, renames))
    for name in package.linalg.__all__:  # (the others: an unbindable call said as an op's)
        function = vars(package.linalg)[name]
        if inspect.isfunction(function) and not hasattr(function, "op") \
                and not hasattr(function, "torch_keywords"):
            replaced(package.linalg, name, _accepting(name, function, (),
                                                      LINALG_NUMPY_RENAMES.get(name)))


def replaced(owner: Any, name: str, wrapper: Callable) -> None:
    """`wrapper` (of the function `owner.name`, by functools.wraps) set as `owner.name`, a
    module's function or a class's method, and named so that pickle finds it there: the
    function's own module keeps the function it wraps."""
    if isinstance(owner, type):
        wrapper.__module__, wrapper.__qualname__ = owner.__module__, f"{owner.__qualname__}.{name}"
    else:
        wrapper.__module__, wrapper.__qualname__ = owner.__name__, name
    setattr(owner, name, wrapper)
