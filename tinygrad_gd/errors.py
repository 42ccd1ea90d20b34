"""The package's own exceptions that several modules raise, each one class that both
PyTorch's and the package's (or NumPy's) users catch: inputs of the wrong shape, a gradient
asked of integers; and `user_stacklevel`, which makes a warning name the user's line. It
imports nothing from the package, so any module may use them."""
from __future__ import annotations

import os
import sys

__all__ = ["ShapeError"]  # (user_stacklevel: the package's own)

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class ShapeError(ValueError, RuntimeError):
    """Inputs whose shapes do not fit the op (`a @ b` of mismatched inner sizes, shapes that
    do not broadcast, a reshape to another number of elements, a layer's input of the wrong
    size): PyTorch raises RuntimeError for these, NumPy ValueError, so this is both, and
    `except RuntimeError:` (code written for torch) and `except ValueError:` (code written
    for NumPy) both catch it."""


class GradientDtypeError(TypeError, RuntimeError):
    """A gradient asked of a tensor of integers or bools (`requires_grad=True`,
    `requires_grad_()`): gradients are of floats. PyTorch raises RuntimeError, and this was a
    TypeError here, so it is both, and code written for either catches it."""


def user_stacklevel() -> int:
    """The `stacklevel` for a warning of the caller's that names the innermost frame
    outside this package (the user's line, as PyTorch's warnings do)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level
