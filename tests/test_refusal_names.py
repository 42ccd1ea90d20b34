"""A refusal names what the user called: `x.unsqueeze(5)` says "unsqueeze: ...", not the name
of the op underneath ("expand_dims: ..."), keeping the op's class of error and the rest of its
message.

Each other name of a registered op (its `methods=` and `functions=` besides its own name, and
`tg.special`'s) is found by walking the registry, so a name added later is checked; the
Tensor methods that call an op under another name (`clamp_min`, `amax`, `view_as`, ...) are
listed by hand.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest

import tinygrad_gd as tg

X = tg.Tensor([[0.5, 1.5], [2.0, 3.0]])
INDEX = tg.Tensor([[0, 1], [1, 0]], dtype="int64")
Y = tg.Tensor([[1.0, 2.0, 3.0]] * 3)  # (another shape than X's)


def _refusal(call: Callable[[], Any]) -> Exception:
    with pytest.raises(Exception) as info:  # noqa: PT011  (any class: compared below)
        call()
    return info.value


def _named(text: str, names: tuple[str, ...]) -> re.Match | None:
    """The leading name of a refusal, when it is one of `names` ("clip: ", "clip (clamp): ",
    "max(): "): group 1 holds "()" where the message wrote it."""
    alternatives = "|".join(map(re.escape, names))
    return re.match(rf"(?:{alternatives})(\(\))?(?: \([\w, ]+\))?: ", text)


def _check_said_as(called: str, alias: Exception, own: Exception, names: tuple[str, ...]) -> None:
    """`alias`, the refusal of the call by `called`, is `own` (the op's refusal under one of
    `names`), its class kept and its message starting with `called` instead."""
    match = _named(str(own), names)
    assert match, f"the op's own refusal does not start with {names}: {own}"
    expected = f"{called}{match.group(1) or ''}: {str(own)[match.end():]}"
    assert str(alias) == expected, f"{called}: {alias!r}, expected {expected!r}"
    assert type(alias) is type(own), f"{called}: {type(alias)} is not the op's {type(own)}"


# (name called, its call, the op's own names, the op's call with the same arguments)
PAIRS = {
    "unsqueeze (method)": ("unsqueeze", lambda: X.unsqueeze(5), ("expand_dims",),
                           lambda: X.expand_dims(5)),
    "unsqueeze (function)": ("unsqueeze", lambda: tg.unsqueeze(X, 5), ("expand_dims",),
                             lambda: tg.expand_dims(X, 5)),
    "amax": ("amax", lambda: tg.zeros((0, 3)).amax(0), ("max",), lambda: tg.zeros((0, 3)).max(0)),
    "amin": ("amin", lambda: tg.zeros((0, 3)).amin(0), ("min",), lambda: tg.zeros((0, 3)).min(0)),
    "amax axis": ("amax", lambda: X.amax(7), ("max",), lambda: X.max(7)),
    "amin axis": ("amin", lambda: X.amin(7), ("min",), lambda: X.min(7)),
    "cat": ("cat", lambda: tg.cat([X, Y], 1), ("concatenate",),
            lambda: tg.concatenate([X, Y], 1)),
    "cat axis": ("cat", lambda: tg.cat([X, X], 7), ("concatenate",),
                 lambda: tg.concatenate([X, X], 7)),
    "absolute": ("absolute", lambda: tg.absolute(X, axis=7), ("abs",),
                 lambda: tg.abs(X, axis=7)),
    "fabs": ("fabs", lambda: tg.fabs(X, axis=7), ("abs",), lambda: tg.abs(X, axis=7)),
    "clamp": ("clamp", lambda: X.clamp(min="a"), ("clip",), lambda: X.clip(min="a")),
    "tg.clamp": ("clamp", lambda: tg.clamp(X, None, "a"), ("clip",),
                 lambda: tg.clip(X, None, "a")),
    "clamp_min": ("clamp_min", lambda: X.clamp_min("a"), ("clip",), lambda: X.clip("a", None)),
    "clamp_max": ("clamp_max", lambda: X.clamp_max("a"), ("clip",), lambda: X.clip(None, "a")),
    "tg.clamp_min": ("clamp_min", lambda: tg.clamp_min(X, "a"), ("clip",),
                     lambda: X.clip("a", None)),
    "expand": ("expand", lambda: X.expand(3, 3), ("broadcast_to",),
               lambda: X.broadcast_to((3, 3))),
    "expand_as": ("expand_as", lambda: X.expand_as(Y), ("broadcast_to",),
                  lambda: X.broadcast_to(Y.shape)),
    "reshape_as": ("reshape_as", lambda: X.reshape_as(Y), ("reshape",),
                   lambda: X.reshape(Y.shape)),
    "view_as": ("view_as", lambda: X.view_as(Y), ("view", "reshape"), lambda: X.view(Y.shape)),
    "ptp": ("ptp", lambda: X.ptp(7), ("max",), lambda: X.max(7)),
    "fill": ("fill", lambda: X.clone().fill("a"), ("fill_",), lambda: X.clone().fill_("a")),
    "type": ("type", lambda: X.type("complex128"), ("to",), lambda: X.to("complex128")),
    "movedim": ("movedim", lambda: X.movedim(0, 7), ("moveaxis",), lambda: X.moveaxis(0, 7)),
    "repeat (method)": ("repeat", lambda: X.repeat(-1), ("tile",), lambda: X.tile(-1)),
    "repeat (function)": ("repeat", lambda: tg.repeat(X, 2, 7), ("repeat_interleave",),
                          lambda: tg.repeat_interleave(X, 2, 7)),
    "inverse": ("inverse", lambda: tg.inverse(Y[:2]), ("inv",),
                lambda: tg.registered_ops()["inv"].call(Y[:2])),
    "divide": ("divide", lambda: X.divide(Y), ("div",), lambda: X.div(Y)),
    "psi": ("psi", lambda: tg.special.psi(X, bogus=1), ("digamma",),
            lambda: tg.digamma(X, bogus=1)),
    "multigammaln": ("multigammaln", lambda: tg.special.multigammaln(X, 0), ("mvlgamma",),
                     lambda: tg.mvlgamma(X, 0)),
}


@pytest.mark.parametrize("label", sorted(PAIRS))
def test_an_alias_refuses_under_the_name_called(label):
    called, call, names, own_call = PAIRS[label]
    _check_said_as(called, _refusal(call), _refusal(own_call), names)


# aliases whose functions live in modules that call another name inside (each its call in
# try/except: `raise respelled(err, <name inside>, <name>)`)
ELSEWHERE = {
    "concat": ("concat", lambda: tg.concat([X, Y], 1), ("cat", "concatenate"),
               lambda: tg.concatenate([X, Y], 1)),
    "view": ("view", lambda: X.view(3, 3), ("reshape",), lambda: X.reshape(3, 3)),
    "unsafe_chunk": ("unsafe_chunk", lambda: X.unsafe_chunk(2, 7), ("chunk",),
                     lambda: X.chunk(2, 7)),
    "unsafe_split": ("unsafe_split", lambda: X.unsafe_split(1, 7), ("split",),
                     lambda: X.split(1, 7)),
    "true_divide": ("true_divide", lambda: tg.true_divide(X, Y), ("div",), lambda: X.div(Y)),
}


@pytest.mark.parametrize("label", sorted(ELSEWHERE))
def test_an_alias_made_elsewhere_refuses_under_the_name_called(label):
    called, call, names, own_call = ELSEWHERE[label]
    _check_said_as(called, _refusal(call), _refusal(own_call), names)


def test_the_ops_own_name_is_kept_where_it_was_called():
    """Called by its own name, an op still says it (clip's "(clamp)" hint too)."""
    assert str(_refusal(lambda: X.expand_dims(5))).startswith("expand_dims: axis 5")
    assert str(_refusal(lambda: tg.concatenate([X, Y], 1))).startswith("concatenate: ")
    assert str(_refusal(lambda: X.clip(min="a"))).startswith("clip (clamp): min must be")


def test_a_refusal_under_another_name_is_left_as_it_is():
    """Only the op's own leading name is replaced: a refusal that starts with another (the
    conversion of a string to a tensor) is left as it was, its class too."""
    for call in (lambda: tg.unsqueeze("a", 0), lambda: tg.expand_dims("a", 0)):
        err = _refusal(call)
        assert isinstance(err, TypeError)
        assert str(err).startswith("Tensor(): expected numeric data"), err


# -- every other name of a registered op, found in the registry --------------------------
_CALLS = [(X,), (X, X), ([X, X],), (X, 0), (X, 0, 1), (X, (2, 2)), (X, 2), (X, 0.5),
          (X, INDEX), (X, INDEX, 0)]
_SPOILERS = ("a", None, tg.Tensor([1.0, 2.0, 3.0]), 7, (0, 0), -1)
# other names whose refusals still say another: where the fix goes
KNOWN: dict[str, str] = {}


def _other_names() -> dict[str, tuple[Any, Callable[..., Any]]]:
    """Each name, not the op's own, a registered op is called by: "Tensor.unsqueeze",
    "tg.cat", "tg.special.psi" -> (op, the method or function of that name)."""
    found = {}
    for op in tg.registered_ops().values():
        if not op.__module__.startswith("tinygrad_gd."):
            continue
        for name in op.methods:
            if name != op.name and not name.startswith("_"):
                found[f"Tensor.{name}"] = (op, getattr(tg.Tensor, name))
        for name in op.functions:
            if name != op.name:
                found[f"tg.{name}"] = (op, getattr(tg, name))
    for name in dir(tg.special):
        function = getattr(tg.special, name)
        op = getattr(function, "op", None)
        if op is not None and op.name != name:
            found[f"tg.special.{name}"] = (op, function)
    return found


OTHER_NAMES = _other_names()


def _succeeds(call: Callable[[], Any]) -> bool:
    try:
        call()
    except Exception:  # noqa: BLE001  (trying shapes of a call)
        return False
    return True


def _bad_calls(function: Callable[..., Any]) -> list[tuple[tuple, dict]]:
    """A call that works, each argument after the first spoiled in turn, a wrong axis, a
    keyword it does not take, one argument too many."""
    args = next((a for a in _CALLS if _succeeds(lambda: function(*a))), None)
    assert args is not None, f"no usual call works for {function.__name__}: teach _CALLS one"
    variants = [(args, {"axis": 7}), (args, {"dim": 7}), (args, {"bogus": 1}),
                (args + (7,), {}), (args + ("a",), {})]
    variants += [(args[:i] + (bad,) + args[i + 1:], {}) for i in range(1, len(args))
                 for bad in _SPOILERS]
    return variants


def test_the_registry_walk_finds_the_other_names():
    assert {"Tensor.unsqueeze", "tg.unsqueeze", "tg.cat", "tg.absolute", "Tensor.clamp",
            "Tensor.expand", "tg.special.psi", "tg.special.expit"} <= set(OTHER_NAMES)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (x / 0 among the working calls)
@pytest.mark.parametrize("label", [
    pytest.param(label, marks=pytest.mark.xfail(strict=True, reason=KNOWN[label]))
    if label in KNOWN else label for label in sorted(OTHER_NAMES)])
def test_every_other_name_of_an_op_refuses_under_that_name(label):
    """Each bad call the name refuses starts with that name, never with the op's; where the
    op refuses the same arguments under its own name, the refusal is that one renamed."""
    op, function = OTHER_NAMES[label]
    called = label.rsplit(".", 1)[1]
    refused = 0
    for args, kwargs in _bad_calls(function):
        try:
            function(*args, **kwargs)
        except Exception as alias:  # noqa: BLE001  (its refusals are what is checked)
            refused += 1
            assert not _named(str(alias), (op.name,)), f"{label}{args}: {alias}"
            try:
                op.call(*args, **kwargs)
            except Exception as own:  # noqa: BLE001  (a count: the caller's, test_smalls_round30)
                if _named(str(own), (op.name,)) and " takes " not in str(own):
                    _check_said_as(called, alias, own, (op.name,))
    assert refused, f"{label}: no bad call refused; teach _bad_calls one"
