"""The package's own exception for inputs of the wrong shape: one class both PyTorch's and
NumPy's users catch. It imports nothing from the package, so any module may raise it."""
from __future__ import annotations

__all__ = ["ShapeError"]


class ShapeError(ValueError, RuntimeError):
    """Inputs whose shapes do not fit the op (`a @ b` of mismatched inner sizes, shapes that
    do not broadcast, a reshape to another number of elements, a layer's input of the wrong
    size): PyTorch raises RuntimeError for these, NumPy ValueError, so this is both, and
    `except RuntimeError:` (code written for torch) and `except ValueError:` (code written
    for NumPy) both catch it."""
