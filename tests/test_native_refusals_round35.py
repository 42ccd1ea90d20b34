"""A refusal of torch's kernels' names names the function the user called (thirty-fifth
round): `tg.native_layer_norm(x, (4,), None, None, -0.5)` says "native_layer_norm: eps must
be >= 0", where it said "layer_norm: ...", F.layer_norm's words. Every function of
`tinygrad_gd.native_functions` is called badly here; where an F function refuses for it,
the refusal is that function's, its class and reason kept, under the name called. The
`_copy` functions restate their views' refusals by the same rule.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.nn.functional as F
from tinygrad_gd import native_functions

from test_refusal_names import _check_said_as, _refusal  # (the same checks)

X = tg.Tensor(np.random.default_rng(35).normal(size=(2, 3, 4)))
IMAGE = tg.ones((1, 2, 4, 4))
VOLUME = tg.ones((1, 2, 3, 3, 3))
_GRID_2D = tg.zeros((2, 3, 3, 2))  # (batch 2 for input's 1)
_GRID_3D = tg.zeros((1, 3, 3, 3, 2))  # (2 positions an entry for a 5-d input's 3)
_THETA = tg.zeros((1, 3, 3))  # (a 2-d affine matrix is 2 x 3)

# name called -> (its bad call, the F function's call it makes with the same arguments,
# or None where the function refuses by itself)
CALLS: dict[str, tuple[Callable[[], Any], Callable[[], Any] | None]] = {
    "grid_sampler": (lambda: tg.grid_sampler(IMAGE, _GRID_2D, 0, 0, False),
                     lambda: F.grid_sample(IMAGE, _GRID_2D, "bilinear", "zeros", False)),
    "grid_sampler_2d": (lambda: tg.grid_sampler_2d(IMAGE, _GRID_2D, 1, 1, True),
                        lambda: F.grid_sample(IMAGE, _GRID_2D, "nearest", "border", True)),
    "grid_sampler_3d": (lambda: tg.grid_sampler_3d(VOLUME, _GRID_3D, 0, 2, False),
                        lambda: F.grid_sample(VOLUME, _GRID_3D, "bilinear", "reflection",
                                              False)),
    "affine_grid_generator": (lambda: tg.affine_grid_generator(_THETA, (1, 1, 4, 4), False),
                              lambda: F.affine_grid(_THETA, (1, 1, 4, 4), False)),
    "native_layer_norm": (lambda: tg.native_layer_norm(X, (4,), None, None, -0.5),
                          lambda: F.layer_norm(X, (4,), None, None, -0.5)),
    "native_batch_norm": (
        lambda: tg.native_batch_norm(X, tg.ones(5), None, None, None, True, 0.1, 1e-5),
        lambda: F.batch_norm(X, None, None, tg.ones(5), None, True, 0.1, 1e-5)),
    "native_group_norm": (lambda: tg.native_group_norm(IMAGE, None, None, 1, 2, 16, 3, 1e-5),
                          None),  # (its own words: group=, where F.group_norm's num_groups=)
    "native_dropout": (lambda: tg.native_dropout(X, 1.5, True), lambda: F.dropout(X, 1.5)),
    "norm_except_dim": (lambda: tg.norm_except_dim(X, 2, 5), None),
    "embedding_renorm_": (lambda: tg.embedding_renorm_(tg.ones((4, 3)), tg.tensor([1, 7]),
                                                       1.0, 2.0), None),
    "feature_dropout": (lambda: tg.feature_dropout(X, 2.0, True),
                        lambda: F.dropout1d(X, 2.0, True)),
    "dropout_": (lambda: tg.dropout_(X, 2.0, True), lambda: F.dropout(X, 2.0, True)),
    "alpha_dropout_": (lambda: tg.alpha_dropout_(X, -1.0, True),
                       lambda: F.alpha_dropout(X, -1.0, True)),
    "feature_dropout_": (lambda: tg.feature_dropout_(tg.ones(3), 0.5, True),
                         lambda: tg.feature_dropout(tg.ones(3), 0.5, True)),
    "feature_alpha_dropout_": (lambda: tg.feature_alpha_dropout_(X, 2.0, True),
                               lambda: F.feature_alpha_dropout(X, 2.0, True)),
}


def test_every_kernels_name_is_called_badly_here():
    assert sorted(CALLS) == sorted(native_functions.__all__)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_kernels_names_refusal_names_it_in_one_line(name):
    call, inner = CALLS[name]
    refusal = _refusal(call)
    assert str(refusal).startswith(f"{name}: ") and "\n" not in str(refusal), repr(refusal)
    if inner is not None:  # (the F function's refusal, said of the name called)
        own = _refusal(inner)
        _check_said_as(name, refusal, own, (re.match(r"[\w.]+", str(own)).group(),))


def test_pythons_complaint_about_the_arguments_names_the_function_once():
    refusal = _refusal(lambda: tg.native_layer_norm(X, (4,)))
    assert isinstance(refusal, TypeError)  # (op_errors.refusing_as's words, as selu's)
    assert str(refusal).startswith("native_layer_norm: missing 3 required positional")
    assert str(refusal).count("native_layer_norm") == 1


@pytest.mark.parametrize("name, call, view", [
    ("permute_copy", lambda: tg.permute_copy(X, (0, 1)), lambda: X.permute((0, 1))),
    ("select_copy", lambda: tg.select_copy(X, 5, 0), lambda: X.select(5, 0)),
    ("t_copy", lambda: tg.t_copy(X), lambda: X.t()),
])
def test_a_copys_refusal_is_its_views_under_its_name(name, call, view):
    refusal, own = _refusal(call), _refusal(view)
    line = re.sub(r"^(op '[\w.]+'|[\w.]+(\(\))?): ", "", str(own).splitlines()[0])
    assert str(refusal) == f"{name}: {line}" and type(refusal) is type(own)
