"""PyTorch's connectionist temporal classification loss, `ctc_loss` (`nn.functional`
re-exports it; the Module `CTCLoss` is in loss_more.py): the negative log of the total
probability of every alignment of a target sequence to the input's time steps.

The forward pass is Graves' dynamic program over the target with a blank between labels
(alpha); one op, `ctc_loss`, whose backward runs the same program backwards in time (beta)
and gives each log-probability minus its share of the alignments' probability: the
gradient with respect to `log_probs` itself. (PyTorch's kernel adds exp(log_probs) to it,
which log_softmax's backward cancels: the gradients of the logits before log_softmax are
the same, those of `log_probs` themselves are not.) Computed in float64, the results in
the input's float dtype.

Bad shapes, lengths and blanks are PyTorch's RuntimeErrors (in one line naming ctc_loss);
labels out of range or equal to the blank, which PyTorch does not check, ValueErrors.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Function
from ..errors import ShapeError
from ..grad_mode import check_flag
from ..ops.arguments import floating, integer
from ..tensor import Tensor, _raw
from .layer_arguments import _as_tensor, _constant
from .loss_checks import _check_reduction

__all__ = ["ctc_loss"]

_WHERE = "ctc_loss"


def _log_add(*terms: np.ndarray) -> np.ndarray:
    """log(sum(exp(terms))) entry by entry, -inf where every term is -inf."""
    top = np.maximum.reduce(terms)
    shift = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return shift + np.log(sum(np.exp(t - shift) for t in terms))


def _shifted(a: np.ndarray, by: int) -> np.ndarray:
    """`a` moved `by` places along its last axis (right for by > 0), -inf where it is new."""
    out = np.full_like(a, -np.inf)
    if by > 0:
        out[..., by:] = a[..., :-by]
    else:
        out[..., :by] = a[..., -by:]
    return out


class _CTCLoss(Function, register=False, name="ctc_loss"):
    """The negative log-likelihood of each sample's target, from log-probabilities (T, N, C).

    `labels` (N, L): each target with a blank before, between and after its labels
    (2 S + 1 of them, padded with blanks); `skips` (N, L): where a state may be reached
    from two states back (a label after a blank, other than the label before it);
    `lengths` (N,), the 2 S + 1; `steps` (N,), the input lengths.

    forward: `-log(sum over alignments of prod_t p[t, label])`, by alpha
    gradient: `-g * sum_{s: labels[s] = c} exp(alpha[t, s] + beta[t, s] + loss)` for
    log_probs[t, :, c], t < the input length (beta: what follows t, without t's emission)
    """

    def forward(ctx, log_probs, *, labels, skips, lengths, steps, zero_infinity):
        lp = floating(log_probs)
        ctx.dtype = lp.dtype  # (of the results; the program runs in float64)
        lp = lp.astype(np.float64)
        n_steps, batch = lp.shape[:2]
        valid = np.arange(labels.shape[1]) < lengths[:, None]
        emitted = np.take_along_axis(lp, np.broadcast_to(labels, (n_steps,) + labels.shape),
                                     axis=2) if n_steps else np.zeros((0,) + labels.shape)
        emitted = np.where(valid, emitted, -np.inf)
        alpha = np.full((n_steps, batch, labels.shape[1]), -np.inf)
        if n_steps:
            alpha[0, :, :2] = emitted[0, :, :2]
        for t in range(1, n_steps):
            before = alpha[t - 1]
            alpha[t] = _log_add(before, _shifted(before, 1),
                                np.where(skips, _shifted(before, 2), -np.inf)) + emitted[t]
        rows = np.arange(batch)
        last = (alpha[np.maximum(steps - 1, 0), rows] if n_steps  # (N, L): the last steps
                else np.full(labels.shape, -np.inf))
        ends = _log_add(last[rows, lengths - 1],
                        np.where(lengths > 1, last[rows, np.maximum(lengths - 2, 0)], -np.inf))
        # no step: the empty target's one alignment (probability 1), or none
        log_likelihood = np.where(steps > 0, ends, np.where(lengths == 1, 0.0, -np.inf))
        losses = -log_likelihood
        infinite = np.isinf(losses)
        ctx.save_for_backward(emitted, alpha, log_likelihood)
        ctx.shape, ctx.labels, ctx.skips, ctx.lengths, ctx.steps = (
            lp.shape, labels, skips, lengths, steps)
        ctx.zeroed = infinite if zero_infinity else np.zeros_like(infinite)
        return np.where(ctx.zeroed, 0.0, losses).astype(ctx.dtype)

    def backward(ctx, g):
        emitted, alpha, log_likelihood = ctx.saved_tensors
        n_steps, batch, n_classes = ctx.shape
        rows = np.arange(batch)
        beta = np.full_like(alpha, -np.inf)
        start = np.full(alpha.shape[1:], -np.inf)  # beta at each sample's last step
        start[rows, ctx.lengths - 1] = 0.0
        start[rows[ctx.lengths > 1], ctx.lengths[ctx.lengths > 1] - 2] = 0.0
        for t in range(n_steps - 1, -1, -1):
            if t + 1 < n_steps:
                after = beta[t + 1] + emitted[t + 1]
                inner = _log_add(after, _shifted(after, -1),
                                 _shifted(np.where(ctx.skips, after, -np.inf), -2))
            else:
                inner = np.full_like(start, -np.inf)
            beta[t] = np.where((t == ctx.steps - 1)[:, None], start,
                               np.where((t < ctx.steps - 1)[:, None], inner, -np.inf))
        with np.errstate(invalid="ignore"):
            share = np.exp(alpha + beta - log_likelihood[:, None])
        grad = np.zeros((n_steps, batch, n_classes))
        times, samples, states = np.indices(alpha.shape, sparse=True)
        np.add.at(grad, (times, samples, ctx.labels[None]), -np.nan_to_num(share, nan=0.0))
        # an infinite loss has no gradient: NaN over its steps (PyTorch's), or 0 if zeroed
        undefined = np.isinf(log_likelihood) & ~ctx.zeroed
        grad[(np.arange(n_steps)[:, None] < ctx.steps) & undefined] = np.nan
        grad[:, ctx.zeroed] = 0.0
        return (grad * g[None, :, None]).astype(ctx.dtype)


def _lengths(what: str, value: Any, batch: int | None) -> np.ndarray:
    """input_lengths or target_lengths: non-negative integers, one per sample (batch None:
    unbatched, one number), as an int64 array of shape (N,) ((1,) unbatched)."""
    data = np.array(_raw(value))
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"{_WHERE}: {what} must be integers, got dtype {data.dtype}")
    if data.shape not in (((), (1,)) if batch is None else ((batch,),)):
        wanted = f"({batch},), one per sample" if batch is not None else "() or (1,)"
        raise ShapeError(f"{_WHERE}: {what} of shape {data.shape} must have shape {wanted}")
    if (data < 0).any():
        raise RuntimeError(f"{_WHERE}: {what} must be >= 0, got {data.min()}")
    return data.reshape(-1).astype(np.int64)


def _target_rows(targets: Any, target_lengths: np.ndarray, batched: bool) -> list:
    """Each sample's target labels, from padded rows (N, S) or one concatenated sequence."""
    data = np.array(_raw(targets))
    if data.size and data.dtype.kind == "f" and np.array_equal(data, np.round(data)):
        data = data.astype(np.int64)
    if data.size and data.dtype.kind not in "iu":
        raise TypeError(f"{_WHERE}: targets must be integer class indices, got dtype "
                        f"{data.dtype}")
    data = data.astype(np.int64)
    total, longest = int(target_lengths.sum()), int(target_lengths.max(initial=0))
    if batched and data.ndim == 2:
        if data.shape[0] != len(target_lengths) or data.shape[1] < longest:
            raise ShapeError(f"{_WHERE}: padded targets of shape {data.shape} need "
                             f"{len(target_lengths)} rows of at least {longest} labels (the "
                             f"longest target length)")
        return [row[:n] for row, n in zip(data, target_lengths)]
    if data.ndim != 1 or data.size != total:
        form = "(N, S) padded or (sum(target_lengths),) concatenated" if batched else \
            "(target_length,)"
        raise ShapeError(f"{_WHERE}: targets of shape {data.shape} do not fit target_lengths "
                         f"summing to {total}; give {form}")
    return np.split(data, np.cumsum(target_lengths)[:-1])


def ctc_loss(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The CTC loss of `log_probs` (T, N, C) (log_softmax's output over C classes, the
    blank among them), or (T, C) for one sample, against `targets`: padded rows (N, S),
    or the targets one after the other (sum(target_lengths),). `input_lengths` and
    `target_lengths` (N,): how many steps and labels of each sample count. Labels lie in
    [0, C) and are not `blank`.

    'none': each sample's loss (inf where no alignment fits its input length); 'mean':
    the mean over the batch of each loss divided by its target length (at least 1);
    'sum': their sum. `zero_infinity`: infinite losses, and their gradients, are 0.
    """
    _check_reduction(_WHERE, reduction)
    zero_infinity = check_flag(_WHERE, "zero_infinity", zero_infinity)
    log_probs = _as_tensor(_WHERE, log_probs, None, "log_probs")
    if log_probs.ndim not in (2, 3) or log_probs.shape[-1] == 0:
        raise ShapeError(f"{_WHERE}: log_probs must be (T, N, C) or (T, C) for one sample, with "
                         f"at least one class, got shape {log_probs.shape}")
    batched = log_probs.ndim == 3
    n_steps, n_classes = log_probs.shape[0], log_probs.shape[-1]
    batch = log_probs.shape[1] if batched else None
    blank = integer(_WHERE, "blank", blank)
    if not 0 <= blank < n_classes:
        raise RuntimeError(f"{_WHERE}: blank must be a class in [0, {n_classes - 1}], got {blank}")
    steps = _lengths("input_lengths", input_lengths, batch)
    if (steps > n_steps).any():
        raise RuntimeError(f"{_WHERE}: input_lengths must be at most T = {n_steps} (the "
                           f"log_probs' first axis), got {steps.max()}")
    sizes = _lengths("target_lengths", target_lengths, batch)
    rows = _target_rows(targets, sizes, batched)
    used = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    bad = (used < 0) | (used >= n_classes) | (used == blank)
    if bad.any():
        raise ValueError(f"{_WHERE}: target labels must be classes in [0, {n_classes - 1}] "
                         f"other than the blank {blank}, got {np.unique(used[bad]).tolist()}")
    labels = np.full((len(rows), 2 * int(sizes.max(initial=0)) + 1), blank, np.int64)
    for i, row in enumerate(rows):
        labels[i, 1:2 * len(row):2] = row
    two_back = np.full_like(labels, -1)
    two_back[:, 2:] = labels[:, :-2]
    skips = (labels != blank) & (labels != two_back)
    work = log_probs if batched else log_probs.reshape((n_steps, 1, n_classes))
    losses = _CTCLoss.apply(work, labels=labels, skips=skips, lengths=2 * sizes + 1,
                            steps=steps, zero_infinity=zero_infinity)
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        divisors = _constant(np.maximum(sizes, 1).astype(losses.dtype), "target lengths")
        return (losses / divisors).mean()
    return losses if batched else losses.reshape(())
