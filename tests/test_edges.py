"""Gradients right at the edges: 0, -0.0, ties, +-inf, empty tensors, integer inputs.

Each case states the value PyTorch gives (its conventions at kinks and singular points)
and asserts it without torch; with torch installed the same case is also run in torch
and compared, so a changed convention there shows up here.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

INF, NAN = np.inf, np.nan
F = "torch.nn.functional"
BCE_EPS = float(np.float32(1e-12))  # binary_cross_entropy's least x (1 - x), PyTorch's

# name: (tinygrad_gd function, torch function as text, inputs, expected value, expected grads)
# The loss is out.sum(); a grad of None means the input gets none.
CASES = {
    "x ** 0 at 0": (lambda x: x ** 0, "lambda x: x ** 0", [[0.0, 2.0]], [1, 1], [[0, 0]]),
    "x ** 0.0 at 0": (lambda x: x ** 0.0, "lambda x: x ** 0.0", [[0.0]], [1], [[0]]),
    "x ** y at x = 0, y learned": (lambda x, y: x ** y, "lambda x, y: x ** y",
                                   [[0.0, 2.0], [3.0, 3.0]], [0, 8],
                                   [[0, 12], [0, 8 * np.log(2)]]),
    "0 ** 0, both learned": (lambda x, y: x ** y, "lambda x, y: x ** y", [[0.0], [0.0]], [1],
                             [[0], [0]]),
    "0 ** -1": (lambda x, y: x ** y, "lambda x, y: x ** y", [[0.0], [-1.0]], [INF],
                [[-INF], [-INF]]),
    "x ** 0.5 at 0": (lambda x: x ** 0.5, "lambda x: x ** 0.5", [[0.0]], [0], [[INF]]),
    "x ** 1 at 0": (lambda x: x ** 1, "lambda x: x ** 1", [[0.0]], [0], [[1]]),
    "x ** 2 at -0.0": (lambda x: x ** 2, "lambda x: x ** 2", [[-0.0]], [0], [[0]]),
    "square at 0": (tg.square, "torch.square", [[0.0, -0.0]], [0, 0], [[0, 0]]),
    "abs at 0 and -0.0": (tg.abs, "torch.abs", [[0.0, -0.0]], [0, 0], [[0, 0]]),
    "relu at 0 and -0.0": (tg.relu, "torch.relu", [[0.0, -0.0]], [0, 0], [[0, 0]]),
    "leaky_relu at 0": (lambda x: x.leaky_relu(0.1),
                        f"lambda x: {F}.leaky_relu(x, 0.1)", [[0.0]], [0], [[0.1]]),
    "sqrt at 0 and -0.0": (tg.sqrt, "torch.sqrt", [[0.0, -0.0]], [0, 0], [[INF, -INF]]),
    "log at 0": (tg.log, "torch.log", [[0.0]], [-INF], [[INF]]),
    "log1p at -1": (tg.log1p, "torch.log1p", [[-1.0]], [-INF], [[INF]]),
    "reciprocal at 0 and -0.0": (tg.reciprocal, "torch.reciprocal", [[0.0, -0.0]],
                                 [INF, -INF], [[-INF, -INF]]),
    "arcsin at +-1": (tg.arcsin, "torch.asin", [[1.0, -1.0]], [np.pi / 2, -np.pi / 2],
                      [[INF, INF]]),
    "arccos at +-1": (tg.arccos, "torch.acos", [[1.0, -1.0]], [0, np.pi], [[-INF, -INF]]),
    "arctan at +-inf": (tg.arctan, "torch.atan", [[INF, -INF]], [np.pi / 2, -np.pi / 2],
                        [[0, 0]]),
    "exp at -inf": (tg.exp, "torch.exp", [[-INF]], [0], [[0]]),
    "sigmoid at +-inf": (tg.sigmoid, "torch.sigmoid", [[INF, -INF]], [1, 0], [[0, 0]]),
    "tanh at +-inf": (tg.tanh, "torch.tanh", [[INF, -INF]], [1, -1], [[0, 0]]),
    "softplus far out": (tg.softplus, f"{F}.softplus", [[1000.0, -1000.0, 0.0]],
                         [1000, 0, np.log(2)], [[1, 0, 0.5]]),
    "elu at 0": (tg.elu, f"{F}.elu", [[0.0]], [0], [[1]]),
    "gelu at 0": (tg.gelu, f"{F}.gelu", [[0.0]], [0], [[0.5]]),
    "silu at 0": (tg.silu, f"{F}.silu", [[0.0]], [0], [[0.5]]),
    "clip passes the gradient at its bounds": (lambda x: x.clip(-1, 1),
                                               "lambda x: x.clamp(-1, 1)", [[-1.0, 0.0, 1.0]],
                                               [-1, 0, 1], [[1, 1, 1]]),
    "hardtanh does not at its bounds": (tg.hardtanh, f"{F}.hardtanh", [[-1.0, 0.0, 1.0]],
                                        [-1, 0, 1], [[0, 1, 0]]),
    "relu6 at 0 and 6": (tg.relu6, f"{F}.relu6", [[0.0, 6.0]], [0, 6], [[0, 0]]),
    "repeat_interleave with a last count of 0": (
        lambda x: x.repeat_interleave([1, 2, 0], dim=0),
        "lambda x: x.repeat_interleave(torch.tensor([1, 2, 0]), dim=0)", [[1.0, 2.0, 3.0]],
        [1, 2, 2], [[1, 2, 0]]),
    "einsum of operands that broadcast": (
        lambda a, b: tg.einsum("ij,ij->ij", a, b), "lambda a, b: torch.einsum('ij,ij->ij', a, b)",
        [[[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]], [[1, 4, 9], [4, 10, 18]],
        [[[5, 7, 9]], [[1, 2, 3], [1, 2, 3]]]),
    "max with a NaN: the NaN gets the gradient": (lambda x: x.max(), "lambda x: x.max()",
                                                  [[1.0, NAN, 2.0]], NAN, [[0, 1, 0]]),
    "min over an axis with a NaN": (lambda x: x.min(axis=0), "lambda x: x.min(0).values",
                                    [[[NAN, 1.0], [2.0, 3.0]]], [NAN, 1], [[[1, 1], [0, 0]]]),
    "maximum and minimum with NaNs: both get the gradient": (
        lambda x, y: tg.maximum(x, y) + tg.minimum(x, y),
        "lambda x, y: torch.maximum(x, y) + torch.minimum(x, y)", [[NAN, 1.0], [1.0, NAN]],
        [NAN, NAN], [[2, 2], [2, 2]]),
    "hardswish at its kinks -3 and 3": (tg.hardswish, f"{F}.hardswish", [[-3.0, 3.0]], [0, 3],
                                        [[0, 1]]),
    "var of fewer values than ddof: NaN": (lambda x: x.var(ddof=2), "lambda x: x.var(correction=2)",
                                           [[5.0]], NAN, [[NAN]]),
    "std of no values: NaN": (lambda x: x.std(dim=0), "lambda x: x.std(0)",
                              [np.zeros((0, 2))], [NAN, NAN], [np.zeros((0, 2))]),
    "sign, floor, ceil, round: gradient 0": (
        lambda x: tg.sign(x) + x.floor() + x.ceil() + x.round(),
        "lambda x: x.sign() + x.floor() + x.ceil() + x.round()", [[0.0, 0.5, 1.5, -2.5]],
        [0, 2, 6, -8], [[0, 0, 0, 0]]),
    "max: ties share": (lambda x: x.max(), "lambda x: x.max()", [[1.0, 3.0, 3.0]], 3,
                        [[0, 0.5, 0.5]]),
    "min over an axis: ties share": (lambda x: x.min(axis=0), "lambda x: x.amin(0)",
                                     [[2.0, 2.0, 5.0]], 2, [[0.5, 0.5, 0]]),
    "maximum: a tie shares": (tg.maximum, "torch.maximum", [[1.0], [1.0]], [1], [[0.5], [0.5]]),
    "prod with one zero": (lambda x: x.prod(), "lambda x: x.prod()", [[0.0, 2.0, 3.0]], 0,
                           [[6, 0, 0]]),
    "prod with two zeros": (lambda x: x.prod(), "lambda x: x.prod()", [[0.0, 0.0, 3.0]], 0,
                            [[0, 0, 0]]),
    "std of equal values": (lambda x: x.std(), "lambda x: x.std(correction=0)", [[1.0, 1.0]], 0,
                            [[0, 0]]),
    "logsumexp with a -inf": (lambda x: x.logsumexp(axis=0), "lambda x: x.logsumexp(0)",
                              [[-INF, 0.0]], 0, [[0, 1]]),
    "logsumexp of all -inf": (lambda x: x.logsumexp(axis=0), "lambda x: x.logsumexp(0)",
                              [[-INF, -INF]], -INF, [[NAN, NAN]]),
    "logaddexp of -inf and -inf": (tg.logaddexp, "torch.logaddexp", [[-INF], [-INF]], [-INF],
                                   [[NAN], [NAN]]),
    "norm at 0: gradient 0": (lambda x: x.norm(), "lambda x: x.norm()", [[0.0, 0.0]], 0,
                              [[0, 0]]),
    "norm with an inf": (lambda x: x.norm(), "lambda x: x.norm()", [[INF, 1.0]], INF,
                         [[NAN, 0]]),
    "norm of an empty tensor": (lambda x: x.norm(), "lambda x: x.norm()", [[]], 0, [[]]),
    "sum of an empty tensor": (lambda x: x.sum(), "lambda x: x.sum()", [[]], 0, [[]]),
    "mean of an empty tensor": (lambda x: x.mean(), "lambda x: x.mean()", [[]], NAN, [[]]),
    "prod of an empty tensor": (lambda x: x.prod(), "lambda x: x.prod()", [[]], 1, [[]]),
    "logsumexp of an empty tensor": (lambda x: x.logsumexp(axis=0), "lambda x: x.logsumexp(0)",
                                     [[]], -INF, [[]]),
    "cumsum": (lambda x: x.cumsum(axis=0), "lambda x: x.cumsum(0)", [[1.0, 2.0, 3.0]],
               [1, 3, 6], [[3, 2, 1]]),
    "cumprod through zeros": (lambda x: x.cumprod(axis=0), "lambda x: x.cumprod(0)",
                              [[2.0, 0.0, 3.0, 0.0, 5.0]], [2, 0, 0, 0, 0],
                              [[1, 2 + 2 * 3, 0, 0, 0]]),
    "rsqrt at 0, -0.0 and inf": (tg.rsqrt, "torch.rsqrt", [[0.0, -0.0, INF]], [INF, -INF, 0],
                                 [[-INF, INF, 0]]),
    "diff undoes cumsum": (lambda x: x.cumsum(axis=0).diff(axis=0, prepend=0.0),
                           "lambda x: x.cumsum(0).diff(dim=0, prepend=torch.zeros(1))",
                           [[1.0, 2.0, 3.0]], [1, 2, 3], [[1, 1, 1]]),
    "diff more often than there are entries": (lambda x: x.diff(n=3), "lambda x: x.diff(n=3)",
                                               [[1.0, 4.0]], [], [[0, 0]]),
    "diff of an empty tensor": (lambda x: x.diff(), "lambda x: x.diff()", [[]], [], [[]]),
    "roll of an empty tensor": (lambda x: x.roll(2), "lambda x: x.roll(2)", [[]], [], [[]]),
    "masked_fill with -inf stops the gradient there": (
        lambda x, v: x.masked_fill(np.array([True, False]), v),
        "lambda x, v: x.masked_fill(torch.tensor([True, False]), v)",
        [[1.0, 2.0], -INF], [-INF, 2], [[0, 1], 1]),
    "take with no indices": (lambda x: tg.take(x, np.zeros(0, dtype=np.int64)),
                             "lambda x: x.take(torch.zeros(0, dtype=torch.int64))", [[1.0, 2.0]],
                             [], [[0, 0]]),
    "index_select repeating an index adds up": (
        lambda x: x.index_select(0, [1, 1, 0]),
        "lambda x: x.index_select(0, torch.tensor([1, 1, 0]))",
        [[5.0, 7.0]], [7, 7, 5], [[1, 2]]),
    "narrow to nothing": (lambda x: x.narrow(0, 1, 0), "lambda x: x.narrow(0, 1, 0)",
                          [[1.0, 2.0]], [], [[0, 0]]),
    "atan2 at the origin and at inf": (tg.atan2, "torch.atan2",
                                       [[0.0, 0.0, 1.0, INF], [0.0, -1.0, INF, 1.0]],
                                       [0, np.pi, 0, np.pi / 2], [[0, -1, NAN, 0], [0, 0, 0, NAN]]),
    "hypot at 0 and far out": (tg.hypot, "torch.hypot",
                               [[0.0, 3e300, 3e-300, -3.0], [0.0, 4e300, 4e-300, 4.0]],
                               [0, 5e300, 5e-300, 5], [[NAN, 0.6, 0.6, -0.6],
                                                       [NAN, 0.8, 0.8, 0.8]]),
    "fmod: x's sign, a divisor of 0 and inf": (tg.fmod, "torch.fmod",
                                              [[5.0, -5.0, 1.0, 3.0], [-3.0, 3.0, 0.0, INF]],
                                              [2, -2, NAN, 3], [[1, 1, 1, 1], [1, 1, -INF, 0]]),
    "trunc and fix: gradient 0": (lambda x: tg.trunc(x) + x.fix(), "lambda x: x.trunc() + x.fix()",
                                  [[1.5, -1.5, -0.0, INF]], [2, -2, 0, INF], [[0, 0, 0, 0]]),
    "frac at +-inf": (tg.frac, "torch.frac", [[-1.5, INF, -INF, 2.0]], [-0.5, NAN, NAN, 0],
                      [[1, 1, 1, 1]]),
    "logit at 0, 1 and outside": (tg.logit, "torch.logit", [[0.0, 1.0, 0.5, -0.5, 1.5]],
                                  [-INF, INF, 0, NAN, NAN], [[INF, INF, 4, NAN, NAN]]),
    "logit with eps: gradient 0 beyond its bounds, kept at them": (
        lambda x: x.logit(eps=0.25), "lambda x: x.logit(eps=0.25)",
        [[0.0, 0.25, 0.5, 0.75, 1.0]], np.log([1 / 3, 1 / 3, 1, 3, 3]),
        [[0, 16 / 3, 4, 16 / 3, 0]]),
    "xlogy at x = 0": (tg.xlogy, "torch.xlogy",
                       [[0.0, 0.0, 0.0, 0.0, 2.0], [0.0, -1.0, INF, NAN, 0.0]],
                       [0, 0, 0, NAN, -INF], [[0, 0, INF, NAN, -INF], [NAN, 0, 0, NAN, INF]]),
    "nan_to_num stops the gradient where it replaces": (
        tg.nan_to_num, "torch.nan_to_num", [[NAN, INF, -INF, 1.0]],
        [0, np.finfo(float).max, -np.finfo(float).max, 1], [[0, 0, 0, 1]]),
    "nan_to_num with replacements given": (lambda x: x.nan_to_num(1.0, 2.0, -3.0),
                                           "lambda x: x.nan_to_num(1.0, 2.0, -3.0)",
                                           [[NAN, INF, -INF]], [1, 2, -3], [[0, 0, 0]]),
    "fmax ignores NaN, a tie goes to x": (tg.fmax, "torch.fmax",
                                          [[NAN, 1.0, 1.0, NAN, 2.0], [1.0, NAN, 1.0, NAN, 3.0]],
                                          [1, 1, 1, NAN, 3], [[0, 1, 1, 1, 0], [1, 0, 0, 0, 1]]),
    "fmin ignores NaN, a tie goes to x": (tg.fmin, "torch.fmin",
                                          [[NAN, 1.0, 1.0, NAN, 2.0], [1.0, NAN, 1.0, NAN, 3.0]],
                                          [1, 1, 1, NAN, 2], [[0, 1, 1, 1, 1], [1, 0, 0, 0, 0]]),
    "copysign at 0, -0.0 and inf": (tg.copysign, "torch.copysign",
                                    [[1.0, 0.0, -0.0, INF, 3.0], [-1.0, -1.0, 1.0, -1.0, -0.0]],
                                    [-1, -0.0, 0, -INF, -3],
                                    [[-1, 0, 0, NAN, -1], [0, 0, 0, 0, 0]]),
    "sinc at 0 and inf": (tg.sinc, "torch.sinc", [[0.0, -0.0, INF]], [1, 1, NAN], [[0, 0, NAN]]),
    # PyTorch's: each log clamped at -100; the gradient (x - y) / max(x (1 - x), BCE_EPS)
    # for x, -logit(x) for the target
    "binary_cross_entropy at 0 and 1": (
        lambda x, y: tg.nn.functional.binary_cross_entropy(x, y, reduction="none"),
        f"lambda x, y: {F}.binary_cross_entropy(x, y, reduction='none')",
        [[0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 0.0, 1.0]], [100, 0, 100, 0],
        [[-1 / BCE_EPS, 0, 1 / BCE_EPS, 0], [INF, INF, -INF, -INF]]),
    "binary_cross_entropy of 1e-20 and 1 - 1e-17": (
        lambda x, y: tg.nn.functional.binary_cross_entropy(x, y, reduction="none"),
        f"lambda x, y: {F}.binary_cross_entropy(x, y, reduction='none')",
        [[1e-20, 1e-20, 1 - 1e-17, 0.5], [1.0, 0.0, 0.0, 0.3]],
        [-np.log(1e-20), 1e-20, 100, np.log(2)],
        [[-(1 - 1e-20) / BCE_EPS, 1e-20 / BCE_EPS, 1 / BCE_EPS, 0.8],
         [-np.log(1e-20), -np.log(1e-20), -INF, 0]]),
    # linear algebra: PyTorch's det gradient is 0 at a singular matrix (its LU solve of a
    # zero right-hand side); log|det| is -inf there, its gradient inf and NaN
    "det of a singular matrix: gradient 0": (tg.linalg.det, "torch.linalg.det",
                                             [[[1.0, 2.0], [2.0, 4.0]]], 0, [[[0, 0], [0, 0]]]),
    "det of a batch holding a singular matrix": (
        tg.linalg.det, "torch.linalg.det", [[[[2.0, 0.0], [0.0, 4.0]], [[1.0, 0.0], [0.0, 0.0]]]],
        [8, 0], [[[[4, 0], [0, 2]], [[0, 0], [0, 0]]]]),
    "slogdet of a singular matrix": (lambda x: tg.linalg.slogdet(x).logabsdet,
                                     "lambda x: torch.linalg.slogdet(x).logabsdet",
                                     [[[1.0, 0.0], [0.0, 0.0]]], -INF, [[[NAN, NAN], [NAN, INF]]]),
    "det, slogdet and inv of a 0x0 matrix": (
        lambda x: tg.linalg.det(x) + tg.linalg.slogdet(x).logabsdet + tg.linalg.inv(x).sum(),
        "lambda x: torch.linalg.det(x) + torch.linalg.slogdet(x).logabsdet"
        " + torch.linalg.inv(x).sum()", [np.zeros((0, 0))], 1, [np.zeros((0, 0))]),
    "solve of a vector by a batch of matrices": (
        tg.linalg.solve, "torch.linalg.solve",
        [[[[2.0, 0.0], [0.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]], [2.0, 4.0]],
        [[1, 1], [2, 4]], [[[[-0.5, -0.5], [-0.25, -0.25]], [[-2, -4], [-2, -4]]], [1.5, 1.25]]),
    # the decompositions: repeated eigenvalues and singular values leave the values' gradient
    # finite and make the vectors' NaN (they are not unique); ties of 2-norms share
    "eigh of the identity: the eigenvalues' gradient": (
        lambda x: tg.linalg.eigh(x).eigenvalues, "lambda x: torch.linalg.eigh(x).eigenvalues",
        [np.eye(2)], [1, 1], [np.eye(2)]),
    "eigh of the identity: the eigenvectors' gradient": (
        lambda x: tg.linalg.eigh(x).eigenvectors ** 2,
        "lambda x: torch.linalg.eigh(x).eigenvectors ** 2", [np.eye(2)], np.eye(2),
        [np.full((2, 2), NAN)]),
    "svd of 2 I: U's gradient": (lambda x: tg.linalg.svd(x).U, "lambda x: torch.linalg.svd(x).U",
                                 [2 * np.eye(2)], np.eye(2), [np.full((2, 2), NAN)]),
    "svdvals of a zero matrix": (tg.linalg.svdvals, "torch.linalg.svdvals", [np.zeros((3, 2))],
                                 [0, 0], [[[1, 0], [0, 1], [0, 0]]]),
    "matrix_norm 2 of a zero matrix: the tied singular values share": (
        lambda x: tg.linalg.matrix_norm(x, 2), "lambda x: torch.linalg.matrix_norm(x, 2)",
        [np.zeros((3, 2))], 0, [[[0.5, 0], [0, 0.5], [0, 0]]]),
    "pinv of a rank-deficient matrix: a finite gradient": (
        tg.linalg.pinv, "torch.linalg.pinv", [[[2.0, 0.0], [0.0, 0.0]]], [[0.5, 0], [0, 0]],
        [[[-0.25, 0.25], [0.25, 0]]]),
    "lstsq of a rank-deficient matrix: the least-norm solution": (
        lambda a, b: tg.linalg.lstsq(a, b).solution,
        "lambda a, b: torch.linalg.lstsq(a, b).solution",
        [[[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]], [[1.0], [2.0], [3.0]]], [[1], [0]],
        [[[-1, 1], [2, 0], [3, 0]], [[1], [0], [0]]]),
    "solve_triangular with a 0 on the diagonal: inf, no refusal": (
        lambda a, b: tg.linalg.solve_triangular(a, b, upper=False),
        "lambda a, b: torch.linalg.solve_triangular(a, b, upper=False)",
        [[[0.0, 0.0], [1.0, 1.0]], [[1.0], [1.0]]], [[INF], [-INF]],
        [[[NAN, 0], [-INF, INF]], [[NAN], [1]]]),
    "cond of a singular matrix": (tg.linalg.cond, "torch.linalg.cond", [[[1.0, 0.0], [0.0, 0.0]]],
                                  INF, [np.full((2, 2), NAN)]),
    "matrix_power 0: the identity, gradient 0": (
        lambda x: tg.linalg.matrix_power(x, 0), "lambda x: torch.linalg.matrix_power(x, 0)",
        [[[1.0, 2.0], [2.0, 4.0]]], np.eye(2), [np.zeros((2, 2))]),
    "vander at 0: the gradient of x ** 1 is 1": (tg.linalg.vander, "torch.linalg.vander",
                                                 [[0.0, 2.0]], [[1, 0], [1, 2]], [[1, 1]]),
    "matrix_exp of 0: the identity, its derivative the identity map": (
        tg.linalg.matrix_exp, "torch.linalg.matrix_exp", [np.zeros((2, 2))], np.eye(2),
        [np.ones((2, 2))]),
    "lu at a tie of pivots: the first row, as LAPACK's; U = L^-1 A's gradient": (
        lambda x: tg.linalg.lu(x).U, "lambda x: torch.linalg.lu(x).U",
        [[[1.0, 2.0], [-1.0, 3.0]]], [[1, 2], [0, 5]], [[[-1, 2], [-2, 1]]]),
    # scatter_reduce: a place's amax shared among its ties, the tensor's own value
    # included; prod's gradient the product of the others, a zero among them too
    "scatter_reduce amax with a three-way tie": (
        lambda x, s: x.scatter_reduce(0, [1, 1, 0], s, "amax"),
        "lambda x, s: x.scatter_reduce(0, torch.tensor([1, 1, 0]), s, 'amax')",
        [[1.0, 2.0], [2.0, 2.0, 0.5]], [1, 2], [[1, 1 / 3], [1 / 3, 1 / 3, 0]]),
    "scatter_reduce prod with zeros": (
        lambda x, s: x.scatter_reduce(0, [0, 1, 1, 2, 2], s, "prod"),
        "lambda x, s: x.scatter_reduce(0, torch.tensor([0, 1, 1, 2, 2]), s, 'prod')",
        [[0.0, 5.0, 2.0], [3.0, 0.0, 2.0, 0.0, 0.0]], [0, 0, 0], [[3, 0, 0], [0, 10, 0, 0, 0]]),
    # pad's copying modes: an entry's gradient adds up its copies; negative pads crop
    "pad reflect: a mirrored entry's copies add up": (
        lambda x: tg.nn.functional.pad(x, (2, 2), "reflect"), f"lambda x: {F}.pad(x, (2, 2), "
        f"mode='reflect')", [[[1.0, 2.0, 3.0]]], [[3, 2, 1, 2, 3, 2, 1]], [[[2, 3, 2]]]),
    "pad replicate of one entry: all its copies": (
        lambda x: tg.nn.functional.pad(x, (2, 3), "replicate"), f"lambda x: {F}.pad(x, (2, 3), "
        f"mode='replicate')", [[[5.0]]], [[5, 5, 5, 5, 5, 5]], [[[6]]]),
    "pad circular by the whole length": (
        lambda x: tg.nn.functional.pad(x, (2, 2), "circular"), f"lambda x: {F}.pad(x, (2, 2), "
        f"mode='circular')", [[[1.0, 2.0]]], [[1, 2, 1, 2, 1, 2]], [[[3, 3]]]),
    "pad crops by a negative pad: gradient 0 where cut": (
        lambda x: tg.nn.functional.pad(x, (-1, 1)), f"lambda x: {F}.pad(x, (-1, 1))",
        [[[1.0, 2.0, 3.0]]], [[2, 3, 0]], [[[0, 1, 1]]]),
    "pad reflect after a crop reads the cropped entries": (
        lambda x: tg.nn.functional.pad(x, (-3, 4), "reflect"), f"lambda x: {F}.pad(x, (-3, 4), "
        f"mode='reflect')", [[[0.0, 1.0, 2.0, 3.0, 4.0]]], [[3, 4, 3, 2, 1, 0]],
        [[[1, 1, 1, 2, 1]]]),
    # the special functions at their poles and ends (tg.special; more in test_special.py)
    "lgamma at 0, -0.0 and a negative integer": (tg.lgamma, "torch.lgamma", [[0.0, -0.0, -2.0]],
                                                 [INF, INF, INF], [[-INF, INF, NAN]]),
    "digamma at 0 and -0.0": (tg.digamma, "torch.digamma", [[0.0, -0.0]], [-INF, INF],
                              [[INF, INF]]),
    "polygamma(2) at 0 and a negative integer": (lambda x: tg.polygamma(2, x),
                                                 "lambda x: torch.polygamma(2, x)", [[0.0, -1.0]],
                                                 [-INF, -INF], [[INF, INF]]),
    "erfinv at +-1": (tg.erfinv, "torch.erfinv", [[1.0, -1.0]], [INF, -INF], [[INF, INF]]),
    "erfc at +-inf": (tg.erfc, "torch.erfc", [[INF, -INF]], [0, 2], [[0, 0]]),
    "erfcx at -inf": (tg.special.erfcx, "torch.special.erfcx", [[-INF]], [INF], [[-INF]]),
    "ndtri at 0 and 1": (tg.special.ndtri, "torch.special.ndtri", [[0.0, 1.0]], [-INF, INF],
                         [[INF, INF]]),
    "entr at 0 and below": (tg.special.entr, "torch.special.entr", [[0.0, -1.0]], [0, -INF],
                            [[INF, NAN]]),
    "i0e at 0: gradient 0": (tg.special.i0e, "torch.special.i0e", [[0.0]], [1], [[0]]),
    "i1 and i1e at 0: gradient 1/2 each": (
        lambda x: tg.special.i1(x) + tg.special.i1e(x),
        "lambda x: torch.special.i1(x) + torch.special.i1e(x)", [[0.0]], [0], [[1]]),
    "xlog1py at x = 0 and y <= -1": (tg.special.xlog1py, "torch.special.xlog1py",
                                     [[0.0, 0.0], [-1.0, -2.0]], [0, 0], [[0, 0], [NAN, 0]]),
    "zeta at q = 0 and a negative integer": (lambda q: tg.special.zeta(2.0, q),
                                             "lambda q: torch.special.zeta(2.0, q)",
                                             [[0.0, -1.0]], [INF, INF], [[-INF, -INF]]),
    "igamma at x = 0 and a = 0": (lambda x: tg.igamma(tg.Tensor([0.5, 2.0, 0.0]), x),
                                  "lambda x: torch.igamma(torch.tensor([0.5, 2.0, 0.0], "
                                  "dtype=torch.float64), x)", [[0.0, 0.0, 1.0]], [0, 0, 1],
                                  [[INF, 0, 0]]),
    "igammac at x = 0 and a = 0": (lambda x: tg.igammac(tg.Tensor([0.5, 2.0, 0.0]), x),
                                   "lambda x: torch.igammac(torch.tensor([0.5, 2.0, 0.0], "
                                   "dtype=torch.float64), x)", [[0.0, 0.0, 1.0]], [1, 1, 0],
                                   [[-INF, 0, 0]]),
    # (torch's Bessel functions have no gradient: theirs here are the derivatives written out)
    "bessel_j0 and bessel_j1 at 0 and -0.0: gradients 0 and 1/2": (
        lambda x: tg.special.bessel_j0(x) + tg.special.bessel_j1(x),
        "lambda x: torch.special.bessel_j0(x.detach()) + torch.special.bessel_j1(x.detach()) "
        "+ (0.5 - torch.special.bessel_j1(x.detach())) * (x - x.detach())", [[0.0, -0.0]],
        [1, 1], [[0.5, 0.5]]),
    "bessel_y0 and bessel_y1 below 0: NaN": (
        lambda x: tg.special.bessel_y0(x) + tg.special.bessel_y1(x),
        "lambda x: torch.special.bessel_y0(x.detach()) + torch.special.bessel_y1(x.detach()) "
        "* (1 + x - x.detach())", [[-1.0]], [NAN], [[NAN]]),
    "modified_bessel_k0 and modified_bessel_k1 below 0: NaN": (
        lambda x: tg.special.modified_bessel_k0(x) + tg.special.modified_bessel_k1(x),
        "lambda x: torch.special.modified_bessel_k0(x.detach()) + "
        "torch.special.modified_bessel_k1(x.detach()) * (1 + x - x.detach())", [[-1.0]], [NAN],
        [[NAN]]),
    "spherical_bessel_j0 at 0 and -0.0: gradient 0 (sinc's)": (
        tg.special.spherical_bessel_j0, "lambda x: torch.special.spherical_bessel_j0(x.detach()) "
        "+ torch.sinc(x / torch.pi) - torch.sinc(x.detach() / torch.pi)", [[0.0, -0.0]], [1, 1],
        [[0, 0]]),
}


def _run_ours(fn, inputs):
    leaves = [tg.Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in inputs]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*leaves)
        out.sum().backward()
    return out.data, [None if t.grad is None else t.grad.data for t in leaves]


@pytest.mark.parametrize("case", sorted(CASES))
def test_value_and_gradient_at_the_edge(case):
    fn, _, inputs, value, grads = CASES[case]
    out, got = _run_ours(fn, inputs)
    np.testing.assert_array_equal(out, np.array(value, dtype=float), err_msg=f"{case}: value")
    for i, (g, expected) in enumerate(zip(got, grads)):
        np.testing.assert_allclose(g, np.array(expected, dtype=float), rtol=1e-12,
                                   err_msg=f"{case}: gradient of input {i}")


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_edges_agree_with_pytorch(case):
    torch = pytest.importorskip("torch")
    fn, torch_text, inputs, _, _ = CASES[case]
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = eval(torch_text, {"torch": torch})(*leaves)  # noqa: S307  (our own table)
        out.sum().backward()
    ours, got = _run_ours(fn, inputs)
    np.testing.assert_array_equal(ours, out.detach().numpy())
    for g, leaf in zip(got, leaves):
        np.testing.assert_allclose(g, leaf.grad.numpy(), rtol=1e-12)


def test_integer_inputs_give_float_results_and_refuse_a_gradient():
    i = tg.as_tensor([1, 2, 3])
    assert i.dtype == np.int64
    assert (i * 0.5).dtype == np.float64 and tg.exp(i).dtype == np.float64
    assert tg.sqrt(i).dtype == np.float64 and i.sum().dtype == np.int64
    signed = tg.as_tensor([-1, 0, 2])  # sigmoid of integers: their floats, never truncated
    np.testing.assert_allclose(signed.sigmoid().data, 1 / (1 + np.exp(-np.array([-1., 0, 2]))))
    np.testing.assert_allclose(signed.silu().data, signed.data * signed.sigmoid().data)
    w = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (w * i).sum().backward()  # an integer constant times a weight
    np.testing.assert_array_equal(w.grad.data, [1, 2, 3])
    with pytest.raises(TypeError, match="floating-point"):
        i.requires_grad_()


def test_empty_tensors_through_shape_ops():
    x = tg.Tensor(np.zeros((0, 3)), requires_grad=True)
    out = tg.concatenate([x.flip(0), x.pad(((1, 0), (0, 0)))]).sum() + x.var(axis=1).sum()
    out.backward()
    assert x.grad.shape == (0, 3)
    with pytest.raises(ValueError, match="empty"):
        x.max()


def test_float32_sums_means_variances_and_running_sums_add_up_in_float64():
    # NumPy adds an outer axis up naively in float32: var(dim=0) of 4e6 x 2 values was
    # 2.7e-3 off, a running sum of 1e6 values 4.4e-6 (PyTorch: about 1e-8)
    data = np.random.default_rng(0).random((1_000_000, 2)).astype(np.float32)
    x = tg.Tensor(data)
    exact = data.astype(np.float64)
    for ours, theirs in [(x.var(dim=0), exact.var(0, ddof=1)), (x.sum(0), exact.sum(0)),
                         (x.mean(0), exact.mean(0)), (x.cumsum(0)[-1], exact.sum(0))]:
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-6)


def test_variance_takes_the_means_rounding_out():
    # 1e8 + noise: the plain two-pass variance was 3.4e-2 off in float32, 1e-4 in float64
    far = 1e8 + np.random.default_rng(2).standard_normal((8, 64)) * 30
    np.testing.assert_allclose(tg.Tensor(far).var(dim=1).numpy(), far.var(1, ddof=1),
                               rtol=1e-12)
    constant = tg.Tensor([3.3] * 20, requires_grad=True)  # its mean is not exactly 3.3
    spread = constant.std(dim=0)
    spread.backward()
    assert spread.item() == 0.0 and constant.grad.tolist() == [0.0] * 20  # PyTorch's: 0, 0


def test_every_target_ignored_gives_nan_and_gradient_zero_as_pytorchs():
    # the mean divided 0 by 0 in backward too: NaN in every .grad, and the next step
    # turned every weight into NaN
    x = tg.Tensor(np.zeros((2, 3)), requires_grad=True)
    loss = tg.nn.functional.cross_entropy(x, tg.as_tensor([-100, -100]))
    loss.backward()
    assert np.isnan(loss.item()) and x.grad.tolist() == [[0.0] * 3] * 2


def test_a_numpy_float64_bound_keeps_float32_as_a_python_number_does():
    x = tg.Tensor(np.array([0.5, -9.0], dtype=np.float32))
    assert x.clamp(min=np.float64(-6.9)).dtype == np.float32
    assert x.clip(np.float64(-1), 2.0).tolist() == [0.5, -1.0]


def test_an_empty_index_list_selects_nothing_as_numpys():
    # x[[]] was refused: NumPy's empty list is float64, read as a float index tensor
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    picked = x[[]]
    assert picked.shape == (0, 3) and x[:, []].shape == (2, 0)
    picked.sum().backward()
    assert x.grad.tolist() == [[0, 0, 0], [0, 0, 0]]


def test_floor_divide_is_pythons_and_steps_with_gradient_0():
    x = tg.Tensor([1.0, -2.5, 7.0], requires_grad=True)
    y = tg.Tensor([0.1, 2.0, -2.0], requires_grad=True)
    out = x // y
    np.testing.assert_array_equal(out.data, [1.0 // 0.1, -2.5 // 2.0, 7.0 // -2.0])  # 9, -2, -4
    assert (out * y + x % y).tolist() == pytest.approx(x.tolist())
    out.sum().backward()
    assert x.grad.tolist() == [0, 0, 0] and y.grad.tolist() == [0, 0, 0]
    with np.errstate(divide="ignore"):
        assert (tg.Tensor([1.0, -1.0]) // 0.0).tolist() == [INF, -INF]  # NumPy's and PyTorch's


def test_cumprod_gradient_needs_no_division_so_tiny_values_stay_exact():
    # found by hypothesis: dividing by x (as a formula without zeros would) rounds badly at a
    # subnormal x; d/dx0 of x0 + x0 * x1 is 1 + x1 exactly
    x = tg.Tensor([5e-324, 1.5], requires_grad=True)
    x.cumprod(axis=0).sum().backward()
    assert x.grad.tolist() == [2.5, 5e-324]


# --- logaddexp's gradient, float32 std, empty axes in softmax and max(dim=), dim=(),
# the gradient at ties in the api guide, the pools' bounds (audit 13) ---

LOGADDEXP_CASES = {  # (a, b, dtype): a rounded out (1e16), inf, a difference too big for e**
    "rounded sum": ([1e16, np.inf], [1e16, 1.0], "float64"),
    "far apart": ([2000.0, -3000.0, -1e300], [-2000.0, 1e-300, 1e300], "float64"),
    "float32 near -1e5": ([-1e5], [-1e5 + 0.25], "float32"),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
@pytest.mark.parametrize("case", sorted(LOGADDEXP_CASES))
def test_logaddexp_gradient_comes_from_the_difference_as_pytorchs(name, case):
    torch = pytest.importorskip("torch")
    a, b, dtype = LOGADDEXP_CASES[case]
    x, y = (tg.tensor(v, dtype=getattr(tg, dtype), requires_grad=True) for v in (a, b))
    out = getattr(tg, name)(x, y).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow in e**(x - y), no inf - inf
        out.backward()
    tx, ty = (torch.tensor(v, dtype=getattr(torch, dtype), requires_grad=True) for v in (a, b))
    getattr(torch, name)(tx, ty).sum().backward()
    for ours, theirs in ((x, tx), (y, ty)):
        assert ours.grad.dtype == getattr(tg, dtype)
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("scale", [1e20, 1e-23])
@pytest.mark.parametrize("dim", [None, 1])
def test_float32_std_far_from_1_stays_finite_and_nonzero_as_pytorchs(scale, dim):
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 1.0, 1.0, 2.0]], dtype=np.float32) * scale
    x = tg.tensor(data, requires_grad=True)
    out = x.std(dim=dim, correction=0)
    out.sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    expected = tx.std(dim=dim, correction=0)
    expected.sum().backward()
    assert out.dtype == tg.float32 and x.grad.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5)


@pytest.mark.torch
@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((0, 3), 0), ((0,), 0), ((2, 0), 0)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_an_empty_axis_is_empty_as_pytorchs(shape, dim, name):
    torch = pytest.importorskip("torch")
    x = tg.zeros(shape, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(x, name)(dim=dim)
        out.sum().backward()
    expected = getattr(torch.zeros(shape, dtype=torch.float64), name)(dim=dim)
    assert out.shape == tuple(expected.shape) and out.dtype == tg.float64
    assert x.grad.shape == shape


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_cross_entropy_with_probabilities_over_no_classes_as_pytorchs(reduction):
    torch = pytest.importorskip("torch")
    x = tg.zeros((2, 0), requires_grad=True)
    loss = tg.nn.functional.cross_entropy(x, tg.zeros((2, 0)), reduction=reduction)
    loss.sum().backward()
    expected = torch.nn.functional.cross_entropy(torch.zeros(2, 0, dtype=torch.float64),
                                                 torch.zeros(2, 0, dtype=torch.float64),
                                                 reduction=reduction)
    np.testing.assert_array_equal(loss.numpy(), expected.numpy())
    assert x.grad.shape == (2, 0)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_with_dim_of_an_empty_tensor_over_a_nonempty_axis_as_pytorchs(name, keepdim):
    torch = pytest.importorskip("torch")
    x = tg.zeros((0, 3), requires_grad=True)
    values, indices = getattr(x, name)(dim=1, keepdim=keepdim)
    values.sum().backward()
    theirs = getattr(torch.zeros(0, 3), name)(dim=1, keepdim=keepdim)
    assert values.shape == tuple(theirs.values.shape) == indices.shape
    assert indices.dtype == tg.int64 and x.grad.shape == (0, 3)
    assert getattr(x, "a" + name)(dim=1).shape == (0,)


@pytest.mark.parametrize("call, message", [
    (lambda x: x.max(dim=0), "max: axis 0 of the tensor of shape (0, 3) is empty"),
    (lambda x: x.amin(dim=(1, 0)), "amin: axis 0 of the tensor of shape (0, 3) is empty"),
    (lambda x: x.max(), "max: the tensor of shape (0, 3) is empty"),
])
def test_max_over_an_axis_of_length_0_is_refused_in_one_line(call, message):
    with pytest.raises(ValueError) as info:
        call(tg.zeros((0, 3)))
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


EMPTY_AXES_OPS = ["sum", "mean", "std", "var", "logsumexp", "prod", "max", "min", "norm", "amax",
                  "amin", "count_nonzero"]


@pytest.mark.parametrize("name", EMPTY_AXES_OPS)
@pytest.mark.parametrize("dim", [(), []])
def test_dim_empty_is_refused_as_it_means_every_axis_in_pytorch_and_none_in_numpy(name, dim):
    # PyTorch's x.sum(dim=()) was read as NumPy's x.sum(axis=()): x itself, not its sum
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    start = f"{name}: dim={dim!r} reduces every axis in PyTorch but none in NumPy; give dim=None"
    with pytest.raises(ValueError, match="^" + re.escape(start)) as info:
        getattr(x, name)(dim=dim)
    assert "\n" not in str(info.value)
    assert getattr(x, name)(dim=None).shape == ()


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "logsumexp"])
def test_axis_empty_keeps_numpys_meaning_and_a_scalar_takes_dim_empty(name):
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = tg.tensor(data, requires_grad=True)
    # NumPy's: no axis reduced (amax's position is PyTorch's dim, whose () is every axis)
    positional = [] if name == "amax" else [getattr(x, name)(())]
    for out in [getattr(x, name)(axis=())] + positional:
        np.testing.assert_array_equal(out.numpy(), data)
    assert getattr(tg.tensor(2.0), name)(dim=()).item() == 2.0  # every axis = none of them


@pytest.mark.torch
def test_ties_get_pytorchs_gradient_and_the_guide_says_which_rule_each_op_follows():
    # max(dim=) and min(dim=), which return indices, give the gradient to the index they
    # return, as PyTorch's (they shared it evenly once, unlike PyTorch); the max pools give
    # it to their index; amax and a max without dim share it evenly: all as PyTorch's
    torch = pytest.importorskip("torch")
    from pathlib import Path
    guide = (Path(__file__).parent.parent / "docs/reference/api-guide.md").read_text()
    paragraph = " ".join(guide.split("## Gradients at the edges")[1].split("\n\n")[1].split())
    x = tg.tensor([[3.0, 3.0, 1.0]], requires_grad=True)
    tx = torch.tensor([[3.0, 3.0, 1.0]], requires_grad=True)
    pool = (lambda t: tg.nn.functional.max_pool2d(t.reshape(1, 1, 1, 3), (1, 2)),
            lambda t: torch.nn.functional.max_pool2d(t.reshape(1, 1, 1, 3), (1, 2)))
    for op, ours in [("max(dim=)", lambda t: t.max(dim=1)[0]),
                     ("min(dim=)", lambda t: (-t).min(dim=1)[0]),
                     ("max", lambda t: t.max())]:
        x.grad, tx.grad = None, None
        ours(x).sum().backward()
        ours(tx).sum().backward()
        assert x.grad.tolist() == tx.grad.tolist(), op
        assert f"`{op}`" in paragraph, op
    assert "which give it all to the index they return" in paragraph
    x.grad, tx.grad = None, None
    pool[0](x).sum().backward()
    pool[1](tx).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist() and "`max_pool2d`" in paragraph
    assert "the entry their index names" in paragraph
    x.grad, tx.grad = None, None
    x.amax(dim=1).sum().backward()
    tx.amax(dim=1).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist() and "`amax`" in paragraph


@pytest.mark.parametrize("call, message", [
    (lambda: tg.nn.MaxPool2d(-1), "MaxPool2d: kernel_size must be an int or a pair of ints >= 1, "
                                  "got -1"),
    (lambda: tg.nn.MaxPool2d((2, 2, 2)), "MaxPool2d: kernel_size must be an int or a pair of "
                                         "ints >= 1, got (2, 2, 2)"),
    (lambda: tg.nn.AvgPool2d(2, stride=-1), "AvgPool2d: stride must be an int or a pair of ints "
                                            ">= 1, got -1"),
    (lambda: tg.nn.functional.max_pool2d(tg.zeros((1, 1, 4, 4)), -2),
     "max_pool2d: kernel_size must be an int or a pair of ints >= 1, got -2"),
    (lambda: tg.nn.functional.conv2d(tg.zeros((1, 1, 4, 4)), tg.zeros((1, 1, 2, 2)), stride=-1),
     "conv2d: stride must be an int or a pair of ints >= 1, got -1"),
    (lambda: tg.nn.MaxPool2d(2, padding=-1), "MaxPool2d: padding must be an int or a pair of "
                                             "ints >= 0, got -1"),
])
def test_the_pools_messages_give_the_lowest_value_allowed(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape, dim, keepdim", [((3, 4), 1, False), ((3, 4), 0, True),
                                                 ((2, 3, 4), -1, False), ((2, 3, 4), 1, True),
                                                 ((0, 3), 1, False), ((5,), 0, False)])
def test_max_and_min_with_dim_give_ties_and_nans_gradient_at_pytorchs_index(name, shape, dim,
                                                                            keepdim):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(sum(shape) + dim)
    a = rng.integers(0, 3, size=shape).astype(float)  # many ties
    if a.size > 4:
        a.flat[[1, 3]] = np.nan  # a NaN is the extreme, as PyTorch's
    weights = rng.normal(size=np.max(a, axis=dim, keepdims=keepdim).shape)
    x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    values, indices = getattr(x, name)(dim=dim, keepdim=keepdim)
    t_values, t_indices = getattr(tx, name)(dim=dim, keepdim=keepdim)
    (values * tg.tensor(weights)).sum().backward()
    (t_values * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(values.numpy(), t_values.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("x0", [2.0, 0.5, 7.0])  # (x < 0: x ** y is NaN beside y = 0)
def test_pow_at_exponent_zero_keeps_the_mixed_second_derivative(x0):
    # at y == 0 the gradient in x, y * x**(y - 1), is 0, but its derivative in y is
    # x**(y - 1) (1 + y log x) = 1 / x: masking it to a constant 0 (needed only at x = 0
    # or NaN, where the formula gives 0 * inf) lost it. Checked against central
    # differences of backward()'s gradient in x, taken at y = +-h
    x, y = tg.tensor(x0, requires_grad=True), tg.tensor(0.0, requires_grad=True)
    (gx,) = tg.autograd.grad(x ** y, (x,), create_graph=True)
    (mixed,) = tg.autograd.grad(gx, (y,))

    def gradient_in_x(at_y):
        a = tg.tensor(x0, requires_grad=True)
        (a ** tg.tensor(at_y)).backward()
        return a.grad.item()

    h = 1e-6
    expected = (gradient_in_x(h) - gradient_in_x(-h)) / (2 * h)
    np.testing.assert_allclose(mixed.item(), expected, rtol=1e-6)
    np.testing.assert_allclose(mixed.item(), 1 / x0, rtol=1e-12)


@pytest.mark.parametrize("make, expected", [
    (lambda: tg.tensor(7).div(tg.tensor(2), rounding_mode="floor"), 3),
    (lambda: tg.tensor(-7).div(tg.tensor(2), rounding_mode="floor"), -4),
    (lambda: tg.tensor(-7).div(tg.tensor(2), rounding_mode="trunc"), -3),
    (lambda: tg.nextafter(tg.tensor(1.0), tg.tensor(2.0)), np.nextafter(1.0, 2.0)),
    (lambda: tg.bernoulli(tg.tensor(1.0)), 1.0),
    (lambda: tg.tensor(0.0).bernoulli(), 0.0),
])
def test_a_0_d_result_reads_as_an_array(make, expected):
    """A 0-d result of an op NumPy answers with a scalar (its ufuncs do, for 0-d arrays)
    reads like any tensor: `.data` raised AttributeError ('numpy.float64' object has no
    attribute '_counter') for div with a rounding mode, nextafter and bernoulli."""
    t = make()
    assert t.shape == () and isinstance(t.data, np.ndarray)
    assert t.numpy() == expected and t.item() == expected and t.tolist() == expected


_ALONG_A_SCALARS_AXIS = ["sum", "mean", "prod", "amax", "amin", "nansum", "nanmean", "std",
                         "var", "logsumexp", "count_nonzero", "all", "any", "argmax", "argmin",
                         "argsort", "softmax", "log_softmax"]


@pytest.mark.parametrize("name", _ALONG_A_SCALARS_AXIS)
@pytest.mark.parametrize("dim", [0, -1])
def test_a_0_d_tensor_has_one_axis_as_in_pytorch(name, dim):
    """PyTorch gives a 0-d tensor one axis, 0 or -1, for the ops that reduce or work along
    an axis: ours refused it ("axis 0 is out of range for a tensor with 0 dimension(s)").
    The op along it is the op along the axis of the one-entry vector, made 0-d again, with
    the same gradient; another axis is still refused."""
    op = getattr(tg, name)
    x, v = (tg.tensor(data, requires_grad=True) for data in (2.5, [2.5]))
    out, expected = op(x, dim), op(v, 0)
    assert out.shape == () and out.dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected.numpy().reshape(()))
    if out.requires_grad:
        out.backward()
        expected.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), v.grad.numpy().reshape(()))
    with pytest.raises(IndexError, match=f"^{name}: axis 1 is out of range"):
        op(x, 1)


@pytest.mark.parametrize("name, call, as_vector", [
    ("gather", lambda x, d: tg.gather(x, d, tg.tensor([0, 0])),
     lambda v: tg.gather(v, 0, tg.tensor([0, 0]))),
    ("gather", lambda x, d: tg.gather(x, d, tg.tensor(0)),
     lambda v: tg.gather(v, 0, tg.tensor([0])).reshape(())),
    ("index_select", lambda x, d: tg.index_select(x, d, tg.tensor([0])),
     lambda v: tg.index_select(v, 0, tg.tensor([0])).reshape(())),
    ("transpose", lambda x, d: x.transpose(d, 0), lambda v: v.transpose(0, 0).reshape(())),
    ("swapaxes", lambda x, d: tg.swapaxes(x, 0, d), lambda v: v.reshape(())),
    ("squeeze", lambda x, d: x.squeeze(d), lambda v: v.squeeze(0)),
])
@pytest.mark.parametrize("dim", [0, -1])
def test_a_0_d_tensor_has_one_axis_to_pick_along_as_in_pytorch(name, call, as_vector, dim):
    """gather, index_select, transpose and squeeze along a 0-d tensor's one axis, as
    PyTorch's (gather's result has the index's shape; index_select's is 0-d); another
    axis is refused, and so are two indices for index_select's one entry."""
    x, v = (tg.tensor(data, requires_grad=True) for data in (2.5, [2.5]))
    out, expected = call(x, dim), as_vector(v)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), v.grad.numpy().reshape(()))
    with pytest.raises(IndexError, match=f"^{name}: axis 1 is out of range"):
        call(x, 1)
    with pytest.raises(IndexError, match="^index_select: a 0-d tensor has one entry"):
        tg.index_select(x, dim, tg.tensor([0, 0]))


@pytest.mark.parametrize("name, call, as_vector", [
    ("max", lambda x, d: x.max(d), lambda v: v.max(0)),
    ("min", lambda x, d: tg.min(x, d, keepdim=True), lambda v: v.min(0)),
    ("topk", lambda x, d: tg.topk(x, 1, d), lambda v: v.topk(1, 0)),
    ("topk", lambda x, d: tg.topk(x, 0, dim=d), lambda v: v.topk(1, 0)),
    ("sort", lambda x, d: tg.sort(x, dim=d), lambda v: v.sort(dim=0)),
    ("sort", lambda x, d: tg.sort(x, d), lambda v: tg.sort(v, 0)),
    ("cumsum", lambda x, d: tg.cumsum(x, d), lambda v: tg.cumsum(v, 0)),
    ("cumprod", lambda x, d: x.cumprod(dim=d), lambda v: v.cumprod(dim=0)),
])
@pytest.mark.parametrize("dim", [0, -1])
def test_a_0_d_tensor_has_one_axis_to_rank_and_run_along_as_in_pytorch(name, call, as_vector,
                                                                       dim):
    """max/min and topk/sort with indices, cumsum and cumprod along a 0-d tensor's one
    axis: 0-d values (and index 0), as PyTorch's (topk's k may be 0 or 1 there)."""
    x, v = (tg.tensor(data, requires_grad=True) for data in (2.5, [2.5]))
    out, expected = call(x, dim), as_vector(v)
    outs = out if isinstance(out, tuple) else (out,)
    for got, want in zip(outs, expected if isinstance(expected, tuple) else (expected,)):
        assert got.shape == () and got.dtype == want.dtype
        np.testing.assert_array_equal(got.numpy(), want.numpy().reshape(()))
    outs[0].backward()
    np.testing.assert_array_equal(x.grad.numpy(), 1.0)
    with pytest.raises(IndexError, match=f"^{name}: axis 1 is out of range"):
        call(x, 1)


def test_a_tensor_of_an_array_in_another_order_takes_strided_views():
    """A tensor made from an array laid out in neither C nor F order (a copy of a permuted
    array keeps its layout) refused unfold and as_strided ('ndarray is not contiguous',
    found by the fuzzer): they read its storage in memory order, as PyTorch's do."""
    data = np.array(np.arange(24.0).reshape(2, 3, 4).transpose(1, 0, 2))  # (owns, permuted)
    x = tg.tensor(data, requires_grad=True)
    windows = x.unfold(0, 2, 1)
    np.testing.assert_array_equal(windows.numpy(),
                                  tg.tensor(np.ascontiguousarray(data)).unfold(0, 2, 1).numpy())
    windows.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[1.0] * 4] * 2, [[2.0] * 4] * 2,
                                                   [[1.0] * 4] * 2])
    memory = data.ravel(order="K")  # (the storage in memory order: strides all positive)
    np.testing.assert_array_equal(x.as_strided((2, 3), (1, 2), 1).numpy(),
                                  [[memory[1 + i + 2 * j] for j in range(3)] for i in range(2)])


@pytest.mark.parametrize("shapes", [((5, 3), (5, 1)), ((5, 1), (5, 3)), ((4, 1, 3), (4, 2, 1))])
def test_cross_refuses_a_vector_axis_of_length_one_broadcast_to_three(shapes):
    """A length-1 axis broadcast along the cross product's axis is no 3-vector: ours
    computed with (y, y, y) there, where PyTorch and NumPy refuse. The batch axes still
    broadcast (`(2, 3)` with `(1, 3)`), as PyTorch's do."""
    a, b = (np.arange(float(np.prod(s))).reshape(s) + 1 for s in shapes)
    for call in (tg.cross, tg.linalg.cross):
        with pytest.raises(ValueError, match=r"^cross: axis -?\d must have length 3 in both"):
            call(tg.tensor(a), tg.tensor(b), dim=-1)
    x, y = np.arange(6.0).reshape(2, 3), np.array([[1.0, -2.0, 0.5]])
    np.testing.assert_array_equal(tg.cross(tg.tensor(x), tg.tensor(y), dim=-1).numpy(),
                                  np.cross(x, y))
