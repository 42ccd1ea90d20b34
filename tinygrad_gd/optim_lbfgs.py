"""`tg.optim.LBFGS`: the limited-memory BFGS optimizer, PyTorch's torch.optim.LBFGS, with
its strong-Wolfe line search (optim.py gathers it into `tg.optim`).

L-BFGS needs the loss at several points per step, so `step(closure)` takes a function
that clears the gradients, computes the loss, calls `backward()` and returns the loss:

    def closure():
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    optimizer.step(closure)

All parameters are treated as one flat vector (in their common dtype: float32 when all
are float32), in one parameter group; the state (the step history) is kept under the first
parameter, as PyTorch keeps it.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from .ops.arguments import integer
from .optim_base import Optimizer, _as_numpy, _is_tensor
from .optim_checks import _check_number, check_closure, closure_loss
from .tensor import Tensor

__all__ = ["LBFGS"]

# the history and the line search's last step, in PyTorch's state keys
_VECTORS = ("d", "prev_flat_grad")
_LISTS = ("old_dirs", "old_stps", "ro", "al")


def _cubic_minimum(x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any,
                   bounds: tuple[Any, Any] | None = None) -> Any:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    clipped into `bounds` (default: between x1 and x2); their midpoint when the cubic
    has no minimum (minFunc's polyinterp, as PyTorch's):
        d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2),  d2 = sqrt(d1**2 - g1 g2)
        x = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)      (x2 the farther point)
    """
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    square = d1 ** 2 - g1 * g2
    if not square >= 0:  # (NaN too: no real minimum)
        return (low + high) / 2.0
    d2 = np.sqrt(square)
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, low), high)


def _strong_wolfe(evaluate: Callable[[Any], tuple[float, np.ndarray]], t: Any, d: np.ndarray,
                  f: float, g: np.ndarray, gtd: Any, max_ls: int, c1: float = 1e-4,
                  c2: float = 0.9, tolerance_change: float = 1e-9
                  ) -> tuple[float, np.ndarray, Any, int]:
    """A step length t along d meeting the strong Wolfe conditions (minFunc's WolfeLineSearch,
    as PyTorch's), for the loss f, gradient g and slope gtd = g.d at t = 0:
        f(t) <= f + c1 t gtd  (enough decrease)   and   |g(t).d| <= -c2 gtd  (flat enough).
    A bracket around such a t is found by cubic extrapolation, then narrowed by cubic
    interpolation ("zoom") until it is narrower than tolerance_change (over max|d|), with
    at most max_ls evaluations; returns (f(t), g(t), t, count).
    """
    d_norm = np.abs(d).max()
    f_new, g_new = evaluate(t)
    evals, gtd_new = 1, g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done, ls_iter = False, 0
    while ls_iter < max_ls:  # bracketing
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g, done = [t], [f_new], [g_new], True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        step = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                              bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev, t = t, f_new, g_new, gtd_new, step
        f_new, g_new = evaluate(t)
        evals, gtd_new, ls_iter = evals + 1, g_new.dot(d), ls_iter + 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
        bracket_gtd = [gtd, gtd_new]  # (unread: the zoom below does not run)

    # zoom: shrink the bracket until a point meets both conditions
    stuck = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket[0], bracket_f[0], bracket_gtd[0],
                           bracket[1], bracket_f[1], bracket_gtd[1])
        # a t at (or near, twice running) an end of the bracket moves 10% inside it
        margin = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < margin:
            if stuck or t >= max(bracket) or t <= min(bracket):
                t = (max(bracket) - margin if abs(t - max(bracket)) < abs(t - min(bracket))
                     else min(bracket) + margin)
                stuck = False
            else:
                stuck = True
        else:
            stuck = False
        f_new, g_new = evaluate(t)
        evals, gtd_new, ls_iter = evals + 1, g_new.dot(d), ls_iter + 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
            continue
        if abs(gtd_new) <= -c2 * gtd:
            done = True
        elif gtd_new * (bracket[high] - bracket[low]) >= 0:  # the old low becomes the high
            bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
            bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
        bracket[low], bracket_f[low] = t, f_new
        bracket_g[low], bracket_gtd[low] = g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


def _direction(flat_grad: np.ndarray, y: np.ndarray, s: np.ndarray, h_diag: Any,
               history: tuple[list, list, list, list], history_size: int) -> tuple[np.ndarray, Any]:
    """The newest pair (s, y) into the history (old_dirs: the y's, old_stps: the s's, ro:
    their 1 / y.s) if y.s > 1e-10, then d = -H g by the two-loop recursion (al: its
    multipliers); returns d and the scale of H_0, y.s / y.y of the newest pair kept."""
    old_dirs, old_stps, ro, al = history
    ys = y.dot(s)
    if ys > 1e-10:
        while len(old_dirs) >= history_size:  # the oldest pair makes room
            del old_dirs[0], old_stps[0], ro[0]
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        h_diag = ys / y.dot(y)
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        q += -al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        r += (al[i] - old_dirs[i].dot(r) * ro[i]) * old_stps[i]
    return r, h_diag


class LBFGS(Optimizer):
    """L-BFGS (PyTorch's torch.optim.LBFGS, after minFunc): a quasi-Newton method that
    steers by the last `history_size` steps s_k and gradient changes y_k.

    Each `step(closure)` runs up to max_iter iterations (max_eval evaluations of the
    closure; default max_iter * 5 // 4). With g the gradient, an iteration moves along
        d = -H g,  H g by the two-loop recursion over the pairs (s_k, y_k) kept while
        y_k.s_k > 1e-10, starting from H_0 = (y.s / y.y) I of the newest pair (d = -g first)
    by the step t: lr (min(1, 1 / sum|g|) * lr on the very first iteration), or with
    line_search_fn="strong_wolfe" a t meeting the strong Wolfe conditions, found from
    that one (narrowed to PyTorch's fixed 1e-9, whatever tolerance_change says). It stops
    early when max|g| <= tolerance_grad, when g.d > -tolerance_change, or when the step
    max|t d| or the change of the loss falls below tolerance_change.

    `step` returns the closure's first loss; the closure runs with gradients enabled
    (inside `tg.no_grad()` too). Entries frozen with `Parameter.freeze_()` keep their
    values; a parameter without a gradient counts as gradient 0.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1,
                 max_iter: int = 20, max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None:  # (PyTorch's default)
            max_eval = integer("LBFGS", "max_iter", max_iter) * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def add_param_group(self, group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups); "
                             "give all the parameters in one group: LBFGS(model.parameters())")
        super().add_param_group(group)

    def _check_settings(self, group: dict[str, Any]) -> None:
        super()._check_settings(group)
        for name in ("max_iter", "max_eval", "history_size"):
            if integer(self._name, name, group[name]) < 1:
                raise ValueError(f"{self._name}: {name} must be >= 1, got {group[name]}")
        for name in ("tolerance_grad", "tolerance_change"):
            _check_number(self._name, name, group[name], -math.inf)
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise RuntimeError(f"{self._name}: line_search_fn must be None or 'strong_wolfe', "
                               f"got {group['line_search_fn']!r}; only 'strong_wolfe' is "
                               f"supported")

    # -- the parameters as one flat vector ------------------------------------------------
    def _flat_grad(self) -> np.ndarray:
        """Every parameter's gradient, flattened and joined (0 where there is none, and at
        frozen entries)."""
        dtype = np.result_type(*(p._data.dtype for p in self._params))
        parts = []
        for p in self._params:
            grad = p._grad
            if grad is None:
                parts.append(np.zeros(p._data.size, dtype))
                continue
            if grad.shape != p.shape:
                raise ValueError(f"{self._name}: the gradient of a parameter of shape {p.shape} "
                                 f"has shape {grad.shape}; was .grad assigned by hand?")
            mask = getattr(p, "frozen_mask", None)
            values = grad._data if mask is None else np.where(mask, 0, grad._data)
            parts.append(values.reshape(-1).astype(dtype, copy=False))
        return np.concatenate(parts)

    def _move(self, t: Any, d: np.ndarray) -> None:
        """Every parameter += t * (its part of d), frozen entries kept."""
        offset = 0
        for p in self._params:
            part = (t * d[offset:offset + p._data.size]).reshape(p.shape)
            offset += p._data.size
            mask = getattr(p, "frozen_mask", None)
            p._mark_changed()  # (before the write): a graph that used the old values refuses
            np.add(p._data, part, out=p._data, casting="same_kind",
                   where=True if mask is None else ~mask)

    def _set(self, values: list[np.ndarray]) -> None:
        for p, value in zip(self._params, values):
            p._mark_changed()
            np.copyto(p._data, value)

    def _loss(self, closure: Callable[[], Any]) -> tuple[Any, float]:
        """The closure's result, and its value as a float."""
        result = closure_loss(self._name, closure, needed=True)
        if isinstance(result, Tensor) and result.size != 1:
            raise RuntimeError(f"{self._name}.step: the closure returned a tensor of shape "
                               f"{result.shape}; it must return the loss, one number "
                               f"(reduce it: loss.mean() or loss.sum())")
        try:
            return result, float(result)
        except (TypeError, ValueError):
            raise TypeError(f"{self._name}.step: the closure returned "
                            f"{type(result).__name__} {repr(result)[:40]}; it must return "
                            f"the loss (a one-element Tensor or a number)") from None

    def _gradient(self) -> np.ndarray:
        if all(p._grad is None for p in self._params):
            raise RuntimeError(f"{self._name}.step: no parameter has a gradient after the "
                               f"closure ran; the closure must call loss.backward() (after "
                               f"optimizer.zero_grad()) before returning the loss")
        return self._flat_grad()

    # -- the step ---------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run up to max_iter iterations of L-BFGS; returns the closure's first loss.

        `closure` is required: a function that clears the gradients, computes the loss,
        calls backward() and returns the loss."""
        check_closure(self._name, closure, needed=True)
        # read now: a setting may have been changed by hand since, a tensor in place
        group = self._settings(self.param_groups[0])
        if not sum(p._data.size for p in self._params):
            raise RuntimeError(f"{self._name}.step: the parameters hold no numbers (every one "
                               f"is empty); there is nothing to optimize")
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss, loss = self._loss(closure)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._gradient()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return first_loss
        d, t, h_diag = state.get("d"), state.get("t"), state.get("H_diag")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1
            else:
                al = state.setdefault("al", [None] * history_size)
                al.extend([None] * (history_size - len(al)))  # (history_size raised by hand)
                d, h_diag = _direction(flat_grad, flat_grad - prev_flat_grad, d * t, h_diag,
                                       (old_dirs, old_stps, ro, al), history_size)
            prev_flat_grad, prev_loss = flat_grad.copy(), loss
            if state["n_iter"] == 1:
                with np.errstate(divide="ignore"):  # (a zero gradient: t = lr, as PyTorch)
                    t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction (any more)
                break
            count = 0
            if group["line_search_fn"] is not None:
                start = [p._data.copy() for p in self._params]

                def evaluate(step: Any) -> tuple[float, np.ndarray]:
                    self._move(step, d)
                    value = self._loss(closure)[1]
                    grad = self._gradient()
                    self._set(start)
                    return value, grad

                # (the line search's own tolerance is PyTorch's fixed 1e-9, not the
                # optimizer's tolerance_change: torch.optim.LBFGS passes it none)
                loss, flat_grad, t, count = _strong_wolfe(
                    evaluate, t, d, loss, flat_grad, gtd, max_eval - evals)
                self._move(t, d)
                optimal = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._move(t, d)
                optimal = False
                if n_iter != max_iter:  # (the last one's loss would go unused)
                    loss = self._loss(closure)[1]
                    flat_grad = self._gradient()
                    optimal = np.abs(flat_grad).max() <= tolerance_grad
                    count = 1
            evals += count
            state["func_evals"] += count
            if (n_iter == max_iter or evals >= max_eval or optimal
                    or np.abs(d * t).max() <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return first_loss

    # -- saving and loading -------------------------------------------------------------
    def _state_dict(self) -> dict[str, Any]:
        """Settings and state (copies, the history's lists too), as PyTorch's: the state
        under parameter 0."""
        saved = super()._state_dict()
        for s in saved["state"].values():
            for key in _LISTS:
                if isinstance(s.get(key), list):
                    s[key] = [v.copy() if isinstance(v, np.ndarray) else v for v in s[key]]
        return saved

    def _load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` saved, into an LBFGS over same-sized parameters."""
        saved = state_dict.get("state") if isinstance(state_dict, Mapping) else None
        if not (isinstance(saved, Mapping) and all(isinstance(s, Mapping)
                                                   for s in saved.values())):
            return super()._load_state_dict(state_dict)  # (its one-line errors)
        where, numel = f"{self._name}.load_state_dict", sum(p._data.size for p in self._params)

        def ours(value: Any) -> Any:  # (PyTorch's tensors as arrays, its 0-d ones as numbers)
            if isinstance(value, list):
                return [ours(v) for v in value]
            if not _is_tensor(value):
                return value
            array = _as_numpy(where, value)
            return array[()] if array.ndim == 0 else array
        saved = {i: {key: ours(value) for key, value in entries.items()}
                 for i, entries in saved.items()}
        if set(saved) - {0}:
            raise ValueError(f"{where}: LBFGS keeps its state under parameter 0, got state for "
                             f"parameters {sorted(saved, key=repr)}; load an LBFGS state_dict()")
        for key, value in saved.get(0, {}).items():
            values = value if key in ("old_dirs", "old_stps") else [value]
            if key in _VECTORS + ("old_dirs", "old_stps") and not all(
                    isinstance(v, np.ndarray) and v.shape == (numel,) for v in values):
                raise ValueError(f"{where}: state '{key}' must hold vectors of the {numel} "
                                 f"numbers of the parameters, got "
                                 f"{[getattr(v, 'shape', type(v).__name__) for v in values]}; "
                                 f"load the state of an LBFGS over same-sized parameters")
        super()._load_state_dict({**state_dict, "state": {}})  # (the settings)
        self.state = {self._params[0]: {
            key: [v.copy() if isinstance(v, np.ndarray) else v for v in value]
            if isinstance(value, list) else value.copy() if isinstance(value, np.ndarray)
            else value for key, value in saved[0].items()}} if saved else {}
