"""NumPy's floating-point RuntimeWarnings inside the package, silenced once at import.

At its edges an op's answer is inf or NaN, as PyTorch's (`log(0)` is -inf, `1 / 0` inf,
`exp(1000)` inf, `sqrt(-1)` NaN), and PyTorch says nothing. NumPy says "divide by zero
encountered in log" and points the line at our module, which means nothing to a user.
An `np.errstate` around every op would cost the common path on each call, so instead one
warnings filter, set here at import, ignores RuntimeWarning where the frame that called
NumPy is one of this package's modules: NumPy attributes a floating-point warning to that
frame (its module's `__name__`), which is ours, at no cost per op. The package's
__init__ calls `quiet_numpy_in_package()` once.

What it leaves alone:
- the package's own warnings (`warnings.warn(..., stacklevel=...)`): none is a
  RuntimeWarning, and their stacklevel points them at the user's line (the user's module);
- a user's own NumPy code, on the arrays a tensor hands out too (`t.numpy()`, `t.data`:
  their ufuncs run in tracked.py, which the filter leaves out), and NumPy's warnings
  raised from NumPy's Python code ("Mean of empty slice" belongs to `numpy._core...`):
  the ops that reach those quiet them themselves;
- whatever the user configures. The filter is appended (`append=True`), so `python -W
  error`, PYTHONWARNINGS and a filter set before the import come first; a filter the user
  sets after the import (`warnings.simplefilter("error")`, pytest's `-W error`) is put in
  front of it and wins too: then an op at its edge raises NumPy's warning as an error
  (`-W default` and `python -X dev`, which ask to see every warning, show them).
  (`warnings.resetwarnings()` removes it, as every filter; so does leaving a
  `warnings.catch_warnings()` block that the package was first imported in, as pytest
  does after collecting: its plugin in testing.py, installed with the package, sets it
  again for the session.)
"""
import warnings

# (the package's modules only: "tinygrad_gd" and "tinygrad_gd.<anything>", not a user's
# module that merely starts with the same letters; and not tracked.py, whose
# `__array_ufunc__` runs the user's own NumPy on a tensor's array, `np.log(t.numpy())`,
# `t.data / 0`: those warn as NumPy's do)
PACKAGE_MODULES = r"tinygrad_gd(\.(?!tracked$)|$)"


def quiet_numpy_in_package() -> None:
    """Ignore RuntimeWarning raised from the package's modules, after every filter already
    there (the package's __init__ calls it once; a second call adds nothing)."""
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=PACKAGE_MODULES,
                            append=True)
