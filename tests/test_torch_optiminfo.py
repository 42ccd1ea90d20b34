"""tg.optim against PyTorch's own optimizer test inputs (torch's `optim_db`).

`torch.testing._internal.common_optimizers.optim_db` holds, for each of torch's optimizers,
the option sets its own tests train with (`optim_inputs_func`), the LR schedulers it tries
them under (`scheduler_inputs`) and the arguments it must refuse (`optim_error_inputs_func`).
Each optimizer tg.optim has (MISSING names the others) runs every option set, and each
again with the foreach=, fused= or differentiable= switch torch's tests add, on the same
model in both libraries, float64 (torch's default dtype too, for the scalars its
optimizers keep as tensors): a weight matrix, a bias, a 0-d scale and a spare matrix that
gets no gradient every third step, under a loss that is not quadratic (log cosh of a tanh
layer's error, a little weight decay, sin of the spare), STEPS steps (LBFGS's with its
closure). The first option set runs again under each of torch's scheduler groups, a tensor
lr under the first; each scheduler is torch's own lambda with tg.optim.lr_scheduler's
classes behind its names. After every step the parameters must agree to RTOL (LBFGS to
its measured drift, see TWINNED); at the end the state_dict()s: each parameter's state,
names and values, and each group's options, a key torch has and ours lacks counting too.
Then torch's state_dict, tensors as arrays, goes into a fresh optimizer of ours over
torch's values, and both train on: our docs promise load_state_dict only our own
state_dict(), but the names are torch's, so this is where they would show a difference.

Every argument torch refuses (`optim_error_inputs_func`) ours must refuse too, in one line
naming the option, with an error of the class torch's test expects. KNOWN and
KNOWN_REFUSALS list the differences that stay, each with its reason; one that went away
fails the test, so the lists stay true. A planted lr 1% too large must be caught.
"""
from __future__ import annotations

import copy
import fnmatch
import math
import re
import types
import warnings
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")
common = pytest.importorskip("torch.testing._internal.common_optimizers")
pytestmark = pytest.mark.torch

RTOL = 1e-10
STEPS = 20
MORE_STEPS = 5  # after loading torch's state_dict

# optim_db's classes tg.optim lacks, with why
MISSING = {
    "SparseAdam": "missing: no sparse tensors, so no SparseAdam (it takes sparse gradients "
                  "only)",
}
INFOS = {info.optim_cls.__name__: info for info in common.optim_db}
CHECKED = sorted(name for name in INFOS if name not in MISSING)

# ---------------------------------------------------------------------------------------
# The model: the same numbers in both libraries

SHAPES = {"weight": (3, 4), "bias": (3,), "scale": (), "spare": (2, 2)}


# optimizers of matrices only (both libraries refuse the others): given the model's 2-d
# parameters, weight and spare; bias and scale stay as they are
MATRICES_ONLY = {"Muon"}


def trained(name: str, params: list) -> list:
    """The parameters the optimizer `name` is given: all, or the matrices of MATRICES_ONLY's."""
    return [p for p in params if p.dim() == 2] if name in MATRICES_ONLY else params


class Float64NewtonSchulz:
    """torch's Muon orthogonalizes in bfloat16 (`grad.bfloat16()`, fast on its GPUs), ours in
    the parameter's dtype: inside, torch's bfloat16() is a copy in the same dtype, so its own
    arithmetic runs in float64 and the two agree to RTOL (to a few per cent otherwise:
    test_namespaces_round32.py checks that too)."""

    def __enter__(self) -> None:
        self.saved = torch.Tensor.bfloat16
        torch.Tensor.bfloat16 = lambda self, *args, **kwargs: self.clone()

    def __exit__(self, *exc: Any) -> None:
        torch.Tensor.bfloat16 = self.saved


def start_values() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.standard_normal(shape) for shape in SHAPES.values()]


DATA = np.random.default_rng(8).standard_normal((5, 4))
TARGET = np.random.default_rng(9).standard_normal((5, 3))


def loss_of(params: list[Any], data: Any, target: Any, step: int) -> Any:
    """log cosh of a tanh layer's error, with a little L2 decay (a bounded minimum: L-BFGS
    would run the layer into saturation); the spare joins on two steps of three (its .grad
    is None on the third, so that step skips it)."""
    weight, bias, scale, spare = params
    out = (data @ weight.T + bias).tanh() * scale
    loss = (out - target).cosh().log().mean() + 0.05 * ((weight * weight).sum()
                                                       + (bias * bias).sum() + scale * scale)
    if step % 3 != 2:
        loss = loss + 0.3 * spare.sin().sum()
    return loss


def as_ours(value: Any, made: dict[int, Any] | None = None) -> Any:
    """torch's arguments in tinygrad_gd's terms: tensors as tg tensors (one tg tensor per
    torch tensor, so a repeated parameter stays repeated), containers element by element."""
    made = {} if made is None else made
    if isinstance(value, torch.Tensor):
        if id(value) not in made:
            data = value.detach().numpy().copy()
            made[id(value)] = (tg.Tensor(data, requires_grad=True) if value.requires_grad
                               else tg.tensor(data))
        return made[id(value)]
    if isinstance(value, dict):
        return {k: as_ours(v, made) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(as_ours(v, made) for v in value)
    return value


def plain(value: Any) -> Any:
    """A state or setting value as NumPy / Python, whichever library it came from."""
    if isinstance(value, torch.Tensor):
        return value.detach().numpy().copy()
    if isinstance(value, tg.Tensor):
        return np.array(value.data)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def spread(ours: Any, theirs: Any) -> float:
    """The largest relative difference between two values (each array's to its largest
    entry; inf where they differ in kind, shape, NaNs or infinities)."""
    ours, theirs = plain(ours), plain(theirs)
    if isinstance(ours, list) or isinstance(theirs, list):
        if not (isinstance(ours, list) and isinstance(theirs, list)) or len(ours) != len(theirs):
            return math.inf
        return max((spread(a, b) for a, b in zip(ours, theirs)), default=0.0)
    numeric = (int, float, np.ndarray, np.number)
    if not (isinstance(ours, numeric) and isinstance(theirs, numeric)) \
            or isinstance(ours, bool) or isinstance(theirs, bool):
        return 0.0 if ours == theirs else math.inf
    a, b = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    if a.shape != b.shape or (np.isnan(a) != np.isnan(b)).any() \
            or ((np.isinf(a) | np.isinf(b)) & (a != b)).any():
        return math.inf
    finite = np.isfinite(a) & np.isfinite(b)
    scale = float(np.abs(b[finite]).max(initial=0.0))
    gap = float(np.abs(a[finite] - b[finite]).max(initial=0.0))
    return gap / scale if scale else (0.0 if gap == 0 else math.inf)


def mismatch(ours: Any, theirs: Any, rtol: float = RTOL) -> str | None:
    """How two values differ beyond rtol (numbers and arrays to rtol of the largest entry,
    list entries each on its own, NaNs at the same places), None where they agree."""
    ours, theirs = plain(ours), plain(theirs)
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        for k, (a, b) in enumerate(zip(ours, theirs)):
            found = mismatch(a, b, rtol)
            if found:
                return f"[{k}] {found}"
        return None
    gap = spread(ours, theirs)
    if gap <= rtol:
        return None
    if isinstance(ours, np.ndarray) and isinstance(theirs, np.ndarray) \
            and ours.shape == theirs.shape and ours.ndim:
        at = np.unravel_index(np.argmax(np.abs(ours - theirs)), ours.shape)
        return f"at {tuple(int(i) for i in at)}: {ours[at]!r} vs {theirs[at]!r}"
    return f"{ours!r} vs {theirs!r}"


# ---------------------------------------------------------------------------------------
# Training side by side

# L-BFGS builds its curvature pairs from differences of nearly equal gradients (more so at
# a small fixed lr), so a last-bit difference grows from step to step: torch started 1e-15
# away from itself drifts as far from itself as we do from it (1e-5 by step 18 at lr=1e-3,
# 3e-15 at the default lr). Its runs are checked against that drift, measured in each run
# by a twin: torch's optimizer started from the values times (1 + TWIN_NUDGE); ours must
# stay within max(RTOL, TWIN_MARGIN * the twin's distance) of torch.
TWINNED = {"LBFGS"}
TWIN_NUDGE = 1e-15
TWIN_MARGIN = 100


class DefaultFloat64:
    """torch's default dtype float64 inside (its optimizers' scalar state is of that dtype)."""

    def __enter__(self) -> None:
        self.saved = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)

    def __exit__(self, *exc: Any) -> None:
        torch.set_default_dtype(self.saved)


def ours_scheduler(maker: Callable) -> Callable:
    """torch's scheduler lambda (`lambda opt: StepLR(opt, ...)`) with its names read from
    tg.optim.lr_scheduler instead: the same call, on our classes."""
    names = {name: getattr(tg.optim.lr_scheduler, name) for name in maker.__code__.co_names
             if hasattr(tg.optim.lr_scheduler, name)}
    return types.FunctionType(maker.__code__, {**maker.__globals__, **names})


class Side:
    """One library's parameters, optimizer and schedulers, and how it takes a step."""

    def __init__(self, lib: Any, params: list, optimizer: Any, schedulers: list) -> None:
        self.params, self.optimizer, self.schedulers = params, optimizer, schedulers
        self.data = (lib.tensor(DATA), lib.tensor(TARGET))

    def step(self, k: int, closure_needed: bool) -> None:
        def closure():
            self.optimizer.zero_grad()
            loss = loss_of(self.params, *self.data, k)
            loss.backward()
            return loss

        if closure_needed:
            loss = self.optimizer.step(closure)
        else:
            loss = closure()
            self.optimizer.step()
        for scheduler in self.schedulers:
            plateau = type(scheduler).__name__ == "ReduceLROnPlateau"
            scheduler.step(*([float(loss.detach())] if plateau else []))


class Pair:
    """One option set trained in both libraries (and torch's twin where TWINNED)."""

    def __init__(self, name: str, kwargs: dict, schedulers: tuple = ()) -> None:
        self.name, self.kwargs, self.count = name, kwargs, 0
        values = start_values()
        self.sides = {"theirs": self.torch_side(values, schedulers),
                      "ours": self.our_side(values, schedulers)}
        if name in TWINNED:
            self.sides["twin"] = self.torch_side([v * (1 + TWIN_NUDGE) for v in values],
                                                 schedulers)
        self.closure_needed = INFOS[name].step_requires_closure

    def torch_side(self, values: list[np.ndarray], schedulers: tuple) -> Side:
        params = [torch.tensor(v, requires_grad=True) for v in values]
        # (a copy each: torch keeps a tensor lr as given, and its schedulers write into it)
        optimizer = INFOS[self.name].optim_cls(trained(self.name, params),
                                               **copy.deepcopy(self.kwargs))
        return Side(torch, params, optimizer, [make(optimizer) for make in schedulers])

    def our_side(self, values: list[np.ndarray], schedulers: tuple) -> Side:
        params = [tg.Tensor(v.copy(), requires_grad=True) for v in values]
        optimizer = getattr(tg.optim, self.name)(trained(self.name, params),
                                                 **as_ours(self.kwargs))
        return Side(tg, params, optimizer, [ours_scheduler(make)(optimizer)
                                            for make in schedulers])

    def step(self) -> None:
        for side in self.sides.values():
            side.step(self.count, self.closure_needed)
        self.count += 1

    def rtol(self, ours_of: Callable, theirs_of: Callable) -> float:
        """RTOL, or for a TWINNED optimizer the twin's drift from torch times TWIN_MARGIN."""
        if "twin" not in self.sides:
            return RTOL
        return max(RTOL, TWIN_MARGIN * spread(ours_of(self.sides["twin"]),
                                              theirs_of(self.sides["theirs"])))

    def params_mismatch(self) -> str | None:
        for k, key in enumerate(SHAPES):
            value = lambda side: side.params[k]  # noqa: E731
            found = mismatch(self.sides["ours"].params[k], self.sides["theirs"].params[k],
                             self.rtol(value, value))
            if found:
                return f"{key} {found}"
        return None

    def state_differences(self) -> dict[str, str]:
        """The state_dict()s side by side: "state" (each parameter's names and values),
        "group keys" (a key torch's groups have and ours lack), "extra group keys" (the
        other way), "group values"."""
        ours, theirs = (self.sides[s].optimizer.state_dict() for s in ("ours", "theirs"))
        found: dict[str, str] = {}
        if sorted(ours["state"]) != sorted(theirs["state"]):
            found["state"] = f"parameters {sorted(ours['state'])} vs {sorted(theirs['state'])}"
        for i in sorted(set(ours["state"]) & set(theirs["state"])):
            mine, its = ours["state"][i], theirs["state"][i]
            if set(mine) != set(its):
                found["state"] = f"parameter {i}: names {sorted(mine)} vs {sorted(its)}"
                break
            for key in sorted(mine):
                value = lambda side: side.optimizer.state_dict()["state"][i][key]  # noqa: E731
                diff = mismatch(mine[key], its[key], self.rtol(value, value))
                if diff:
                    found["state"] = f"parameter {i} '{key}' {diff}"
                    break
        for mine, its in zip(ours["param_groups"], theirs["param_groups"]):
            lacks, extra = sorted(its.keys() - mine.keys()), sorted(mine.keys() - its.keys())
            if lacks:
                found["group keys"] = f"ours lacks {lacks}"
            if extra:
                found["extra group keys"] = f"ours has {extra} too"
            diffs = {key: d for key in sorted(mine.keys() & its.keys())
                     for d in [mismatch(mine[key], its[key])] if d}
            if diffs:
                found["group values"] = "; ".join(f"{k}: {d}" for k, d in diffs.items())
        return found

    def continue_from_torch_state(self) -> str | None:
        """Load torch's state_dict (as arrays) into a fresh optimizer of ours over torch's
        current values; all train MORE_STEPS more and must still agree."""
        theirs = self.sides["theirs"]
        saved = torch_state_as_arrays(theirs.optimizer.state_dict())
        fresh = self.our_side([p.detach().numpy().copy() for p in theirs.params], ())
        try:
            fresh.optimizer.load_state_dict(saved)
        except Exception as err:  # noqa: BLE001  (a refusal is an outcome to compare)
            return f"refused: {type(err).__name__}: {str(err).splitlines()[0][:150]}"
        # (torch's schedulers go on; ours are handed the fresh optimizer)
        fresh.schedulers = self.sides["ours"].schedulers
        for scheduler in fresh.schedulers:
            scheduler.optimizer = fresh.optimizer
        self.sides["ours"] = fresh
        for step in range(MORE_STEPS):
            try:
                self.step()
            except Exception as err:  # noqa: BLE001
                return f"step {step} after loading: {type(err).__name__}: {str(err)[:150]}"
            diff = self.params_mismatch()
            if diff:
                return f"step {step} after loading: {diff}"
        return None


SCALARS = ("step", "mu_product", "eta", "mu")  # (torch's 0-d tensors, our numbers)


def torch_state_as_arrays(state: dict) -> dict:
    """torch's state_dict() in our terms: tensors as arrays; the 0-d ones that are not an
    entry of a 0-d parameter (steps, NAdam's mu_product, ASGD's eta and mu, LBFGS's t and
    ro, a tensor lr) as numbers, the step as an int."""
    shapes = list(SHAPES.values())

    def convert(key: Any, value: Any, shape: tuple = ()) -> Any:
        if isinstance(value, torch.Tensor):
            if value.dim() == 0 and (shape != () or key in SCALARS):
                number = value.item()
                return int(number) if key == "step" else number
            return value.detach().numpy().copy()
        if isinstance(value, list) and key != "params":
            return [convert(key, v, shape) for v in value]
        if isinstance(value, tuple):
            return tuple(convert(key, v, shape) for v in value)
        return value
    return {"state": {i: {k: convert(k, v, shapes[i]) for k, v in s.items()}
                      for i, s in state["state"].items()},
            "param_groups": [{k: convert(k, v, (1,)) for k, v in g.items()}
                             for g in state["param_groups"]]}


def run_case(name: str, kwargs: dict, schedulers: tuple = ()) -> dict[str, str]:
    """Train one option set side by side: {aspect: how they differ}, aspects "refused",
    "steps", "state", "group keys", "extra group keys", "group values" and "load"."""
    with DefaultFloat64(), Float64NewtonSchulz(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's notes on its own options)
        try:
            pair = Pair(name, kwargs, schedulers)
        except Exception as err:  # noqa: BLE001  (a refusal is an outcome to compare)
            return {"refused": f"{type(err).__name__}: {str(err).splitlines()[0][:150]}"}
        for step in range(STEPS):
            try:
                pair.step()
            except Exception as err:  # noqa: BLE001
                return {"steps": f"step {step}: {type(err).__name__}: {str(err)[:150]}"}
            diff = pair.params_mismatch()
            if diff:
                return {"steps": f"step {step}: {diff}", **pair.state_differences()}
        found = pair.state_differences()
        diff = pair.continue_from_torch_state()
        if diff:
            found["load"] = diff
        return found


def cases(name: str) -> list[tuple[str, dict, tuple]]:
    """(desc, kwargs, scheduler makers): optim_db's inputs, each with torch's implementation
    switches on in turn (as its tests add them), then the first input under each of its
    scheduler groups and every tensor lr under the first group."""
    info = INFOS[name]
    with DefaultFloat64():  # (a tensor lr of torch's default dtype)
        inputs = info.optim_inputs_func(device="cpu")
    impls = [x for x in info.supported_impls if x != "fused" or "cpu" in info.supports_fused_on]
    found = []
    for each in inputs:
        assert each.params is None, (name, each.desc)  # (the model's parameters)
        found.append((each.desc, dict(each.kwargs), ()))
        found += [(f"{each.desc} & {flag}", {**each.kwargs, flag: True}, ()) for flag in impls]
    found += [(f"{inputs[0].desc} & schedulers {k}", dict(inputs[0].kwargs), tuple(group))
              for k, group in enumerate(info.scheduler_inputs)]
    found += [(f"{each.desc} & schedulers 0", dict(each.kwargs), tuple(info.scheduler_inputs[0]))
              for each in inputs if isinstance(each.kwargs.get("lr"), torch.Tensor)]
    return found


def differences(name: str) -> dict[str, str]:
    """"desc / aspect": how the two differ, for every case of the optimizer."""
    return {f"{desc} / {aspect}": diff for desc, kwargs, schedulers in cases(name)
            for aspect, diff in run_case(name, kwargs, schedulers).items()}


# ---------------------------------------------------------------------------------------
# What torch refuses


def attempt(make: Callable[[], Any]) -> tuple[str, Any]:
    """("refused", the error), ("warned", the UserWarning) or ("accepted", None)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            make()
        except Exception as err:  # noqa: BLE001  (a refusal is the outcome compared)
            return "refused", err
    warned = [w.message for w in caught if issubclass(w.category, UserWarning)]
    return ("warned", warned[0]) if warned else ("accepted", None)


def error_outcomes(name: str, error: Any) -> tuple[tuple[str, Any], tuple[str, Any]]:
    """(ours, torch's) outcome of one ErrorOptimizerInput: the optimizer made with its
    params (None: the model's) and kwargs, and stepped where the error is a step's."""
    given = error.optimizer_error_input
    on_step = error.error_on == common.OptimizerErrorEnum.STEP_ERROR

    def theirs() -> None:
        params = given.params
        if params is None:
            params = trained(name, [torch.tensor(v, requires_grad=True) for v in start_values()])
        optimizer = INFOS[name].optim_cls(params, **given.kwargs)
        if on_step:
            optimizer.step()

    def ours() -> None:
        made: dict[int, Any] = {}
        params = given.params
        if params is None:
            params = trained(name, [torch.tensor(v, requires_grad=True) for v in start_values()])
        params = as_ours(params, made)
        for p in given.params if isinstance(given.params, list) else [given.params]:
            if isinstance(p, torch.Tensor) and p.grad is not None:  # (a step's error)
                made[id(p)].grad = tg.tensor(p.grad.numpy())
        optimizer = getattr(tg.optim, name)(params, **as_ours(given.kwargs, made))
        if on_step:
            optimizer.step()

    with DefaultFloat64():
        return attempt(ours), attempt(theirs)


def named(error: Any) -> list[str]:
    """What our refusal must name, one of (regular expressions): the options given (lr
    only where it is the one given: beside another it is the valid one), or a parameter
    where torch refuses the parameter list."""
    given = sorted(error.optimizer_error_input.kwargs)
    options = [k for k in given if k != "lr"] or given
    return [rf"\b{re.escape(k)}\b" for k in options] or [r"\bparam"]


def refusal_differences(name: str) -> dict[str, str]:
    """desc: how ours answers an argument torch refuses (or warns about), where it differs:
    accepted, another family of error, more than one line, the option not named."""
    info = INFOS[name]
    if info.optim_error_inputs_func is None:
        return {}
    found = {}
    torch.manual_seed(0)  # (its sample parameters are drawn)
    for error in info.optim_error_inputs_func(device="cpu", dtype=torch.float64):
        desc, expected = error.optimizer_error_input.desc, error.error_type
        (ours, err), (theirs, their_err) = error_outcomes(name, error)
        wanted = "warned" if issubclass(expected, Warning) else "refused"
        assert theirs == wanted and isinstance(their_err, expected), (name, desc, their_err)
        text = str(err)
        if ours != wanted:
            found[desc] = f"ours {ours} ({type(err).__name__}: {text[:120]}) where torch {wanted}"
        elif not isinstance(err, expected):
            found[desc] = f"ours {type(err).__name__} ({text[:120]}), torch {expected.__name__}"
        elif "\n" in text:
            found[desc] = f"ours in {text.count(chr(10)) + 1} lines: {text[:120]}"
        elif not any(re.search(word, text.lower()) for word in named(error)):
            found[desc] = f"ours names none of {named(error)}: {text[:120]}"
    return found


# ---------------------------------------------------------------------------------------
# The differences that stay: (optimizer, "desc / aspect" pattern) -> why

KNOWN: dict[tuple[str, str], str] = {
    **{(name, "* & differentiable / refused"): "design: differentiable=True (autograd through "
       "the step) is refused in one line: our steps run in NumPy, outside the graph"
       for name in CHECKED if "differentiable" in INFOS[name].supported_impls},
    ("LBFGS", "Tensor lr & schedulers 0 / *"): "torch: its state 't' (the last step length) is "
    "the group's lr tensor itself, which the scheduler's fill_ rescales, so its next "
    "curvature pair takes a step it did not make; with lr=0.001 as a number it agrees with us",
}

KNOWN_REFUSALS: dict[tuple[str, str], str] = {
    **{(name, "a param group cannot have duplicate parameters"): "design: a parameter given "
       "twice is refused (ValueError naming it); torch warns that it will refuse it"
       for name in CHECKED},
    **{(name, "all optimizer params should be with/without names"): "design: a list mixing "
       "(name, tensor) pairs and tensors is refused as a TypeError (a tuple where a tensor "
       "goes; test_torch_ports.py holds it), torch's is a ValueError" for name in CHECKED},
    ("Adafactor", "does not support complex parameters"): "design: no complex tensors in "
    "tinygrad_gd: the parameter is refused when it is made (TypeError naming complex)",
    ("Muon", "does not support complex parameters"): "design: no complex tensors in "
    "tinygrad_gd: the parameter is refused when it is made (TypeError naming complex)",
}


def assert_as_known(name: str, found: dict[str, str], known: dict, label: str) -> None:
    """found ({case: how}) holds exactly what `known` lists for the optimizer (patterns in
    fnmatch's terms): nothing unexplained, no entry matching nothing."""
    patterns = [pattern for who, pattern in known if who == name]
    unexpected = {case: diff for case, diff in found.items()
                  if not any(fnmatch.fnmatchcase(case, p) for p in patterns)}
    gone = [p for p in patterns if not any(fnmatch.fnmatchcase(case, p) for case in found)]
    assert not unexpected, "\n".join(f"{name} {case}: {diff}" for case, diff in unexpected.items())
    assert not gone, f"{name}: nothing left at {gone}: take them out of {label}"


# ---------------------------------------------------------------------------------------
# The tests


def test_every_optim_db_class_is_checked_or_named_missing():
    assert {info.optim_cls.__name__ for info in common.optim_db} == set(CHECKED) | set(MISSING)
    for name in CHECKED:
        assert getattr(tg.optim, name).__name__ == name
    for name in MISSING:
        assert not hasattr(tg.optim, name), f"tg.optim has {name} now: check it"
    assert {who for who, _ in {**KNOWN, **KNOWN_REFUSALS}} <= set(CHECKED)


@pytest.mark.parametrize("name", CHECKED)
def test_training_agrees_with_pytorch(name):
    assert_as_known(name, differences(name), KNOWN, "KNOWN")


@pytest.mark.parametrize("name", CHECKED)
def test_refusals_agree_with_pytorch(name):
    assert_as_known(name, refusal_differences(name), KNOWN_REFUSALS, "KNOWN_REFUSALS")


@pytest.mark.parametrize("name", ["SGD", "LBFGS"])
def test_a_planted_wrong_learning_rate_is_caught(name, monkeypatch):
    """An optimizer whose step scales lr by 1.01 differs from torch in every option set
    that trains (LBFGS despite its twin's tolerance)."""
    cls = getattr(tg.optim, name)
    step = cls.step

    def one_percent_more(self, closure=None):
        saved = [group["lr"] for group in self.param_groups]
        for group in self.param_groups:
            group["lr"] = group["lr"] * 1.01
        try:
            return step(self, closure)
        finally:
            for group, lr in zip(self.param_groups, saved):
                group["lr"] = lr

    monkeypatch.setattr(cls, "step", one_percent_more)
    for desc, kwargs, schedulers in cases(name):
        found = run_case(name, kwargs, schedulers)
        assert "steps" in found or "refused" in found, (desc, found)
