"""The package's own exception for inputs of the wrong shape: one class both PyTorch's and
NumPy's users catch; and `user_stacklevel`, which makes a warning name the user's line. It
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


def user_stacklevel() -> int:
    """The `stacklevel` for a warning of the caller's that names the innermost frame
    outside this package (the user's line, as PyTorch's warnings do)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level
