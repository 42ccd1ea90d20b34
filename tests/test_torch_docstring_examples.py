"""PyTorch's own docstring examples, run in torch and in tinygrad_gd, statement by statement.

Every `>>>` example of a public `torch.X`, `torch.Tensor.X`, `torch.nn.functional.X`,
`torch.nn.X` or `torch.linalg.X` whose name tinygrad_gd has too (`tg.X`, `tg.Tensor.X`, ...)
is run twice in lockstep: once with `torch` bound to PyTorch, once with `torch` bound to
a stand-in that answers with tinygrad_gd's names. What each statement evaluates to (and
what it prints) must agree: values to 1e-6 relative, shapes, dtypes by name, bools,
ints; a statement that raises in torch (its docs show the Traceback) must raise in
tinygrad_gd too, an error of the same built-in kind.

Both run with float64 as the default float dtype (tinygrad_gd's default; PyTorch's is
float32, a documented difference); an example that fails so is run again with float32 as
both defaults (one written for float32: `dtype=torch.float` beside a default tensor),
and passes if that run agrees. Random draws give both sides the same numbers: `randn`,
`rand`, `randint`, their `_like` forms, `randperm`, `normal`, `bernoulli`, `multinomial`
and the methods `uniform_` and `normal_` are replaced on each side by draws from one
NumPy generator seeded alike, made into tensors of that side's kind; `empty`,
`empty_like` and `new_empty` give zeros on both; a module's initial weights are copied
from torch's module into tinygrad_gd's right after both are built. Warnings are not
compared. An example that cannot run here is in EXCLUDED with its reason; there is no
other way to skip one.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import doctest
import inspect
import io
import itertools
import math
import textwrap
import types
import warnings
from typing import Any

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")
import torch.nn.functional  # noqa: E402  (after the skip: torch may be missing)

pytestmark = pytest.mark.torch

# PyTorch's namespaces whose docstrings are read, each beside tinygrad_gd's of the same path
SCOPES = [
    ("torch", torch, tg),
    ("torch.Tensor", torch.Tensor, tg.Tensor),
    ("torch.nn.functional", torch.nn.functional, tg.nn.functional),
    ("torch.nn", torch.nn, tg.nn),
    ("torch.linalg", torch.linalg, tg.linalg),
]

# Examples that are not compared, each with why. The reason's first word is its kind:
# complex, sparse, named, cuda, quantized, random (a draw inside torch that no stand-in
# reaches), design (tinygrad_gd does it differently on purpose, and says so), torch (the
# example fails in PyTorch itself), needs <file> (the fix is in a module not edited here),
# slow (seconds in tinygrad_gd's NumPy code on the example's sizes).
EXCLUDED: dict[str, str] = {
    "torch.Tensor.imag":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.Tensor.is_leaf":
        "cuda: moves tensors to a CUDA device (tinygrad_gd runs on the CPU; refused in one "
        "line)",
    "torch.Tensor.new_empty_strided":
        "random: memory never written in torch (whatever was there; ours zeros); the strides "
        "are compared in test_copies_and_creation_more.py",
    "torch.Tensor.real":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.Tensor.requires_grad_": "torch: calls preprocess(loaded_weights), never defined",
    "torch.Tensor.to":
        "cuda: moves tensors to a CUDA device (tinygrad_gd runs on the CPU; refused in one "
        "line)",
    "torch.Tensor.view":
        "design: view(dtype) (the bytes read as another dtype) is refused in one line; "
        "x.to(dtype) converts",
    "torch.adjoint":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.angle": "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.as_tensor":
        "cuda: moves tensors to a CUDA device (tinygrad_gd runs on the CPU; refused in one "
        "line)",
    "torch.asarray":
        "design: a NumPy array's memory is never shared (tg.asarray copies it, as "
        "tg.from_numpy does)",
    "torch.cholesky_inverse":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.cholesky_solve":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.conj": "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.conj_physical":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.empty_strided":
        "random: memory never written in torch (whatever was there; ours zeros); the strides "
        "are compared in test_copies_and_creation_more.py",
    "torch.from_dlpack":
        "design: from_dlpack copies the values (a write on either side never reaches the "
        "other); the capsule is tg.to_dlpack's (no tg.utils.dlpack)",
    "torch.imag": "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.inference_mode":
        "design: `y._version` is PyTorch's version counter, refused for inference tensors; "
        "ours is internal bookkeeping that every tensor has",
    "torch.is_complex":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.is_floating_point":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.is_storage":
        "design: no TypedStorage (storages here are bytes: x.untyped_storage(), which "
        "is_storage tells in the statements before)",
    "torch.isreal": "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.cholesky":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.cholesky_ex":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.cond":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.eigh":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.eigvalsh":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.householder_product":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.inv":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.ldl_solve":
        "torch: its last line `tensor(0.0001)` is printed output written as a statement "
        "(a NameError in torch itself)",
    "torch.linalg.lu": "torch: lu(A, pivot=False) is not implemented on PyTorch's CPU",
    "torch.linalg.matrix_rank":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.pinv":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.linalg.solve_ex": "torch: calls solve_ex(A) without its B",
    "torch.load": "torch: loads a file tensors.pt that the example never writes",
    "torch.logical_and": "design: no out= (every result is a new tensor)",
    "torch.logical_not": "design: no out= (every result is a new tensor)",
    "torch.logical_or": "design: no out= (every result is a new tensor)",
    "torch.logical_xor": "design: no out= (every result is a new tensor)",
    "torch.lu": "design: info.nonzero() is NumPy's tuple here (see torch.nonzero)",
    "torch.narrow_copy": "sparse: narrows a sparse tensor (to_sparse)",
    "torch.Tensor.to_dense": "sparse: densifies a sparse COO tensor (every tensor here is "
                             "dense: to_dense() gives it itself)",
    "torch.nn.AvgPool3d":
        "slow: 2 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.BatchNorm3d":
        "slow: 2 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.CircularPad3d":
        "slow: 5 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.Conv3d":
        "slow: 5 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.ConvTranspose3d":
        "slow: 9 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.Fold": "torch: Fold(output_size=...) and an `input` never defined",
    "torch.nn.InstanceNorm3d":
        "slow: 2 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.LPPool3d":
        "slow: 2 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.MaxPool3d":
        "slow: 2 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.MaxUnpool3d":
        "slow: 1 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.MultiheadAttention": "torch: embed_dim, num_heads, query, ... never defined",
    "torch.nn.PoissonNLLLoss": "design: counts below 0 (a randn target) refused in one line",
    "torch.nn.ReplicationPad3d":
        "slow: 4 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.Transformer":
        "slow: 25 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.TransformerDecoder":
        "slow: 10 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.TransformerDecoderLayer":
        "slow: 4 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.TransformerEncoder":
        "slow: 2 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.TransformerEncoderLayer":
        "slow: 2 s here on the example's sizes (the file must run in about a minute)",
    "torch.nn.TripletMarginWithDistanceLoss":
        "torch: backward() twice through one embedding's graph (PyTorch refuses it too)",
    "torch.nn.Unfold": "torch: Fold(output_size=...) and an `input` never defined",
    "torch.nn.functional.fractional_max_pool2d":
        "random: draws inside the function (its own samples), which no stand-in reaches",
    "torch.nn.functional.fractional_max_pool2d_with_indices":
        "random: draws inside the function (its own samples), which no stand-in reaches",
    "torch.nn.functional.fractional_max_pool3d":
        "random: draws inside the function (its own samples), which no stand-in reaches",
    "torch.nn.functional.fractional_max_pool3d_with_indices":
        "random: draws inside the function (its own samples), which no stand-in reaches",
    "torch.nn.functional.gumbel_softmax":
        "random: draws inside the function (its own samples), which no stand-in reaches",
    "torch.nn.functional.scaled_dot_product_attention":
        "torch: sdpa_kernel and SDPBackend never imported",
    "torch.nonzero":
        "design: tg.nonzero(x) is NumPy's tuple of index tensors; PyTorch's (count, ndim) "
        "tensor is as_tuple=False or tg.argwhere (its docstring)",
    "torch.norm":
        "design: norm(matrix, inf) positionally is NumPy's matrix norm or PyTorch's of the "
        "entries (different numbers): refused, p= asks PyTorch's",
    "torch.poisson":
        "random: draws inside the function (its own samples), which no stand-in reaches",
    "torch.qr": "torch: compares a 3x4 Q's Q^T Q with eye(5) (PyTorch refuses the shapes)",
    "torch.real": "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.resolve_conj":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.resolve_neg":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.set_default_device":
        "cuda: moves tensors to a CUDA device (tinygrad_gd runs on the CPU; refused in one "
        "line)",
    "torch.set_default_dtype":
        "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.set_flush_denormal":
        "design: NumPy keeps denormals and cannot be set to flush them: it says False (not "
        "supported), as PyTorch on a CPU without the instructions",
    "torch.sgn": "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.sort":
        "design: tg.sort(x) is NumPy's sorted values; PyTorch's (values, indices) with dim= "
        "or descending= (its docstring)",
    "torch.svd":
        "design: singular vectors are unique up to sign; LAPACK's signs differ from PyTorch's "
        "here (U S V^T agrees)",
    "torch.tensor":
        "cuda: moves tensors to a CUDA device (tinygrad_gd runs on the CPU; refused in one "
        "line)",
    "torch.typename":
        "design: the names are this package's ('tinygrad_gd.LongTensor', "
        "'tinygrad_gd.nn.module.Parameter'), module.qualname as PyTorch's",
    "torch.use_deterministic_algorithms":
        "cuda: moves tensors to a CUDA device (tinygrad_gd runs on the CPU; refused in one "
        "line)",
    "torch.vdot": "complex: complex tensors (tinygrad_gd's values are real; refused in one line)",
    "torch.vmap":
        "design: vmap is a loop here (README), so autograd.grad without retain_graph runs "
        "twice",
}


def _examples(obj: Any) -> list[doctest.Example] | None:
    doc = getattr(obj, "__doc__", None)
    if not isinstance(doc, str) or ">>>" not in doc:
        return None
    try:
        return doctest.DocTestParser().get_examples(doc)
    except ValueError:  # a docstring doctest cannot read (inconsistent indentation)
        return None


def _collect() -> dict[str, list[doctest.Example]]:
    found = {}
    for prefix, theirs, ours in SCOPES:
        for name in sorted(dir(theirs)):
            if name.startswith("_") or not hasattr(ours, name):
                continue
            try:
                obj = getattr(theirs, name)
            except AttributeError:
                continue
            if inspect.ismodule(obj):
                continue
            examples = _examples(obj)
            if examples:
                found[f"{prefix}.{name}"] = examples
    return found


EXAMPLES = _collect()


class _Draws:
    """The random functions both sides get: the same NumPy draws, as tensors of one side."""

    def __init__(self, lib: Any, seed: int):
        self.lib, self.rng = lib, np.random.default_rng(seed)

    def _make(self, values: Any, dtype: Any, requires_grad: bool = False) -> Any:
        if dtype is None:
            dtype = self.lib.get_default_dtype()
        out = self.lib.tensor(np.asarray(values), dtype=dtype)
        return out.requires_grad_() if requires_grad else out

    @staticmethod
    def _size(size: tuple, keyword: Any) -> tuple:
        if keyword is not None:
            size = (keyword,)
        if len(size) == 1 and isinstance(size[0], (tuple, list)) or (
                len(size) == 1 and type(size[0]).__name__ == "Size"):
            size = tuple(size[0])
        return tuple(int(s) for s in size)

    def randn(self, *size, dtype=None, requires_grad=False, **_ignored):
        return self._make(self.rng.standard_normal(self._size(size, _ignored.pop("size", None))),
                          dtype, requires_grad)

    def rand(self, *size, dtype=None, requires_grad=False, **_ignored):
        return self._make(self.rng.random(self._size(size, _ignored.pop("size", None))),
                          dtype, requires_grad)

    def randint(self, *args, low=0, high=None, size=None, dtype=None, requires_grad=False,
                **_ignored):
        if size is None:
            args, size = args[:-1], args[-1]
        if args:
            low, high = (0, args[0]) if len(args) == 1 else args
        values = self.rng.integers(low, high, self._size((size,), None))
        return self._make(values, dtype or self.lib.int64, requires_grad)

    def _like(self, x: Any) -> tuple:
        return tuple(x.shape)

    def randn_like(self, x, dtype=None, requires_grad=False, **_ignored):
        return self._make(self.rng.standard_normal(self._like(x)), dtype or x.dtype,
                          requires_grad)

    def rand_like(self, x, dtype=None, requires_grad=False, **_ignored):
        return self._make(self.rng.random(self._like(x)), dtype or x.dtype, requires_grad)

    def randint_like(self, x, *args, low=None, high=None, dtype=None, **_ignored):
        if high is None:
            low, high = (0, args[0]) if len(args) == 1 else args
        return self._make(self.rng.integers(low or 0, high, self._like(x)), dtype or x.dtype)

    def randperm(self, n, dtype=None, requires_grad=False, **_ignored):
        return self._make(self.rng.permutation(int(n)), dtype or self.lib.int64)

    def normal(self, mean=0.0, std=1.0, size=None, *args, **_ignored):
        mean_, std_ = _as_numpy(mean), _as_numpy(std)
        shape = self._size((size,), None) if size is not None else np.broadcast_shapes(
            np.shape(mean_), np.shape(std_))
        return self._make(mean_ + std_ * self.rng.standard_normal(shape), None)

    def bernoulli(self, x, p=None, **_ignored):
        probs = _as_numpy(x) if p is None else np.full(tuple(x.shape), p)
        return self._make(self.rng.random(probs.shape) < probs, x.dtype)

    def multinomial(self, x, num_samples, replacement=False, **_ignored):
        probs = np.atleast_2d(_as_numpy(x))
        if not replacement and num_samples > probs.shape[1]:
            raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) "
                               "samples without replacement")
        rows = [self.rng.choice(probs.shape[1], num_samples, replace=replacement,
                                p=row / row.sum()) for row in probs]
        values = np.array(rows) if np.ndim(_as_numpy(x)) == 2 else rows[0]
        return self._make(values, self.lib.int64)

    def uniform_(self, x, a=0.0, b=1.0, **_ignored):
        return self._fill(x, a + (b - a) * self.rng.random(self._like(x)))

    def normal_(self, x, mean=0.0, std=1.0, **_ignored):
        return self._fill(x, mean + std * self.rng.standard_normal(self._like(x)))

    def _fill(self, x: Any, values: np.ndarray) -> Any:
        with self.lib.no_grad():
            return x.copy_(self.lib.tensor(values, dtype=x.dtype))

    def empty(self, *size, dtype=None, requires_grad=False, **_ignored):
        # uninitialised memory differs from run to run: both sides get zeros
        return self._make(np.zeros(self._size(size, _ignored.pop("size", None))), dtype,
                          requires_grad)

    def new_empty(self, x, *size, dtype=None, requires_grad=False, **_ignored):
        return self._make(np.zeros(self._size(size, _ignored.pop("size", None))),
                          dtype or x.dtype, requires_grad)

    def empty_like(self, x, dtype=None, requires_grad=False, **_ignored):
        return self._make(np.zeros(self._like(x)), dtype or x.dtype, requires_grad)


DRAWN = ("randn", "rand", "randint", "randn_like", "rand_like", "randint_like", "randperm",
         "normal", "bernoulli", "multinomial", "empty", "empty_like")
# Tensor methods, replaced while an example runs (new_empty: zeros, as empty's)
DRAWN_IN_PLACE = ("uniform_", "normal_", "new_empty")


def _as_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, tg.Tensor):
        return np.asarray(x.data)
    return np.asarray(x)


def _method(draw: Any) -> Any:
    """A draw as a Tensor method: the tensor it is called on first."""
    return lambda x, *args, **kwargs: draw(x, *args, **kwargs)


class _Namespace(types.ModuleType):
    """`torch` (or one of its modules) as an example sees it: the library's own names, the
    random functions replaced, submodules wrapped alike."""

    def __init__(self, target: Any, draws: _Draws | None):
        super().__init__(getattr(target, "__name__", "torch"))
        self._target, self._draws = target, draws

    def __getattr__(self, name: str) -> Any:
        if self._draws is not None and name in DRAWN:
            return getattr(self._draws, name)
        value = getattr(self._target, name)
        # tg.tensor is a module one can call (the function): it stays as it is
        wrap = inspect.ismodule(value) and not callable(value)
        return _Namespace(value, None) if wrap else value

    def __dir__(self) -> list[str]:
        return dir(self._target)


class _Side:
    """One library's run of an example: its namespace, and what the statements gave."""

    def __init__(self, lib: Any, seed: int):
        self.lib = lib
        self.torch = _Namespace(lib, _Draws(lib, seed))
        self.printed: list = []
        own = dict(vars(builtins))
        own["__import__"], own["print"] = self._import, self._print
        self.globals = {"__builtins__": own, "torch": self.torch, "nn": self.torch.nn,
                        "F": self.torch.nn.functional, "np": np, "numpy": np, "math": math,
                        "itertools": itertools, "io": io, "linalg": self.torch.linalg}

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if name != "torch" and not name.startswith("torch."):
            return builtins.__import__(name, globals, locals, fromlist, level)
        if not fromlist:
            return self.torch
        found = self.torch
        for part in name.split(".")[1:]:
            found = getattr(found, part)
        return found

    def _print(self, *args, **_ignored):
        self.printed.append(args)

    def run(self, tree: ast.Module) -> tuple[str, Any]:
        """("value", what the statement evaluates to and printed) or ("raised", the error)."""
        self.printed = []
        draws = self.torch._draws
        saved = {name: getattr(self.lib.Tensor, name) for name in DRAWN_IN_PLACE}
        for name in DRAWN_IN_PLACE:
            setattr(self.lib.Tensor, name, _method(getattr(draws, name)))
        stack = contextlib.ExitStack()
        try:
            # warnings are each library's own say (PyTorch's deprecations): not compared
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
            if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
                value = eval(compile(ast.Expression(tree.body[0].value), "<example>", "eval"),
                             self.globals)
            else:
                exec(compile(tree, "<example>", "exec"), self.globals)
                value = None
        except Exception as error:  # the comparison asks whether both sides raised
            return "raised", error
        finally:
            stack.close()
            for name, method in saved.items():
                setattr(self.lib.Tensor, name, method)
        return "value", (value, list(self.printed))


def _dtype_name(d: Any) -> str:
    if isinstance(d, torch.dtype):
        return str(d).removeprefix("torch.")
    return np.dtype(d).name


def _is_dtype(v: Any) -> bool:
    return isinstance(v, (torch.dtype, np.dtype)) or (
        isinstance(v, type) and issubclass(v, np.generic))


def _normal(v: Any) -> Any:
    """A value as both libraries can be compared on: kinds, shapes, dtypes, numbers."""
    if isinstance(v, torch.Tensor):
        if v.layout != torch.strided:
            raise TypeError(f"a {v.layout} tensor cannot be compared")
        array = v.detach().resolve_conj().resolve_neg().numpy()
        return ("tensor", _dtype_name(v.dtype), tuple(v.shape), array)
    if isinstance(v, tg.Tensor):
        return ("tensor", _dtype_name(v.dtype), tuple(v.shape), np.asarray(v.data))
    if _is_dtype(v):
        return ("dtype", _dtype_name(v))
    if isinstance(v, (bool, np.bool_)):
        return ("bool", bool(v))
    if isinstance(v, (int, np.integer)):
        return ("int", int(v))
    if isinstance(v, (float, np.floating)):
        return ("float", float(v))
    if isinstance(v, (complex, np.complexfloating)):
        return ("complex", complex(v))
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (tuple, list)):
        return ("sequence", [_normal(x) for x in v])
    if isinstance(v, dict):
        return ("dict", {k: _normal(x) for k, x in v.items()})
    if isinstance(v, (torch.device, type(tg.device("cpu")))):
        return ("device", str(v))
    if isinstance(v, (torch.nn.Module, tg.nn.Module)):
        return ("module", type(v).__name__)
    return ("object", type(v).__name__)


def _differences(theirs: Any, ours: Any, where: str) -> list[str]:
    """Where two normalized values differ, one line each."""
    if isinstance(theirs, tuple) and theirs and theirs[0] == "tensor":
        if not (isinstance(ours, tuple) and ours and ours[0] == "tensor"):
            return [f"{where}: torch gives a tensor, tinygrad_gd {_show(ours)}"]
        found = []
        if theirs[1] != ours[1]:
            found.append(f"{where}: dtype {theirs[1]} in torch, {ours[1]} here")
        if theirs[2] != ours[2]:
            return found + [f"{where}: shape {theirs[2]} in torch, {ours[2]} here"]
        if not _close(theirs[3], ours[3]):
            found.append(f"{where}: values differ:\n  torch {theirs[3]!r}\n  tg    {ours[3]!r}")
        return found
    if isinstance(theirs, tuple) and theirs and theirs[0] in ("sequence", "dict"):
        if not (isinstance(ours, tuple) and ours and ours[0] == theirs[0]):
            return [f"{where}: torch gives a {theirs[0]}, tinygrad_gd {_show(ours)}"]
        if theirs[0] == "dict":
            if list(theirs[1]) != list(ours[1]):
                return [f"{where}: keys {list(theirs[1])} in torch, {list(ours[1])} here"]
            pairs = [(f"{where}[{k!r}]", theirs[1][k], ours[1][k]) for k in theirs[1]]
        else:
            if len(theirs[1]) != len(ours[1]):
                return [f"{where}: {len(theirs[1])} items in torch, {len(ours[1])} here"]
            pairs = [(f"{where}[{i}]", a, b) for i, (a, b) in enumerate(zip(*[theirs[1],
                                                                             ours[1]]))]
        return [line for w, a, b in pairs for line in _differences(a, b, w)]
    if isinstance(theirs, tuple) and theirs and theirs[0] in ("float", "complex"):
        if isinstance(ours, tuple) and ours and ours[0] == theirs[0] and _close(
                np.array(theirs[1]), np.array(ours[1])):
            return []
    elif theirs == ours:
        return []
    return [f"{where}: torch {_show(theirs)}, tinygrad_gd {_show(ours)}"]


def _show(v: Any) -> str:
    return f"a tensor {v[1]} {v[2]}" if isinstance(v, tuple) and v[:1] == ("tensor",) else repr(v)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        return np.array_equal(a, b)
    return bool(np.allclose(b.astype(complex if b.dtype.kind == "c" else float),
                            a.astype(complex if a.dtype.kind == "c" else float),
                            rtol=1e-6, atol=1e-12, equal_nan=True))


def _builtin_kind(error: BaseException) -> type:
    """The built-in exception class an error is, past a library's own subclasses."""
    return next(c for c in type(error).__mro__ if c.__module__ == "builtins")


def _sync_modules(theirs: _Side, ours: _Side, synced: dict) -> list[str]:
    """Give each module just built in tinygrad_gd the weights torch's module drew."""
    problems = []
    for name, module in list(theirs.globals.items()):
        mine = ours.globals.get(name)
        if not isinstance(module, torch.nn.Module) or not isinstance(mine, tg.nn.Module):
            continue
        if synced.get(name) == (id(module), id(mine)):
            continue
        synced[name] = (id(module), id(mine))
        state = {k: tg.tensor(v.detach().numpy()) for k, v in module.state_dict().items()}
        try:
            mine.load_state_dict(state)
        except Exception as error:  # noqa: BLE001 -- reported as the example's failure
            problems.append(f"{name}: torch's weights do not load: {error}")
    return problems


def _statements(examples: list[doctest.Example]) -> list[tuple[str, ast.Module, bool]]:
    """Each statement's source, parsed, and whether its docs show it raising. A statement
    whose next lines were written with `>>>` prompts of their own, or without any (doctest
    reads those as the expected output), is read with them."""
    statements, pending = [], ""
    for example in examples:
        source = pending + example.source
        for attempt in (source, source + example.want):
            try:
                tree = ast.parse(textwrap.dedent(attempt))
                break
            except SyntaxError:
                tree = None
        if tree is None:
            pending = source
            continue
        pending = ""
        # "Traceback" in the docs' output, or a comment saying the line is an error
        raises = example.want.startswith("Traceback") or "# ERROR" in attempt
        statements.append((attempt.strip(), tree, raises))
    assert not pending, f"a statement that never ends: {pending}"
    return statements


def _compare(qualname: str) -> list[str]:
    """Run the example in both libraries: every place their statements disagree, with
    float64 as the default float dtype or else with PyTorch's float32 (examples written
    for float32: `dtype=torch.float` beside a default tensor); float64's when both fail."""
    first = _compare_with(qualname, (torch.float64, tg.float64))
    return first and _compare_with(qualname, (torch.float32, tg.float32)) and first


def _compare_with(qualname: str, dtypes: tuple) -> list[str]:
    torch.set_default_dtype(dtypes[0])
    tg.set_default_dtype(dtypes[1])
    seed = sum(map(ord, qualname))
    theirs, ours = _Side(torch, seed), _Side(tg, seed)
    synced: dict = {}
    problems = []
    for number, (source, tree, expect_error) in enumerate(_statements(EXAMPLES[qualname]), 1):
        where = f"statement {number} `{source}`"
        t_kind, t_out = theirs.run(tree)
        o_kind, o_out = ours.run(tree)
        if t_kind == "raised":
            if not expect_error:
                problems.append(f"{where}: raises in torch itself: {t_out!r}")
            elif o_kind != "raised":
                problems.append(f"{where}: torch raises {t_out!r}, tinygrad_gd does not")
            elif not isinstance(o_out, _builtin_kind(t_out)):
                problems.append(f"{where}: torch raises {type(t_out).__name__}, tinygrad_gd "
                                f"{type(o_out).__name__}: {o_out}")
            continue
        if o_kind == "raised":
            problems.append(f"{where}: tinygrad_gd raises {type(o_out).__name__}: {o_out}")
            continue
        problems += _differences(_normal(t_out), _normal(o_out), where)
        problems += _sync_modules(theirs, ours, synced)
    return problems


@pytest.fixture
def restored(tmp_path, monkeypatch):
    """What an example changes (the default dtype or device, grad mode) put back after it;
    the files it writes (torch.save(x, "tensor.pt")) in a folder of its own."""
    monkeypatch.chdir(tmp_path)
    before = (torch.get_default_dtype(), tg.get_default_dtype(), torch.is_grad_enabled(),
              tg.is_grad_enabled())
    yield
    torch.set_default_dtype(before[0])
    tg.set_default_dtype(before[1])
    torch.set_grad_enabled(before[2])
    tg.set_grad_enabled(before[3])
    # (None, not "cpu": torch's "cpu" pushes a device mode that then stays on for the rest
    # of the process, changing torch's fast paths and its warnings' lines in later tests)
    torch.set_default_device(None)
    tg.set_default_device("cpu")


@pytest.mark.parametrize("qualname", [
    pytest.param(q, marks=pytest.mark.skip(reason=EXCLUDED[q])) if q in EXCLUDED else q
    for q in sorted(EXAMPLES)])
def test_docstring_example_runs_alike(qualname, restored):
    problems = _compare(qualname)
    assert not problems, f"{qualname}:\n" + "\n".join(problems)


def test_every_exclusion_names_a_collected_example_and_a_kind():
    kinds = ("complex", "sparse", "named", "cuda", "quantized", "random", "design", "torch",
             "needs", "slow")
    assert sorted(set(EXCLUDED) - set(EXAMPLES)) == []
    assert [q for q, why in EXCLUDED.items() if why.split()[0].rstrip(":") not in kinds] == []


def test_the_collection_reaches_every_namespace():
    for prefix, _, _ in SCOPES:
        assert any(q.rsplit(".", 1)[0] == prefix for q in EXAMPLES), prefix


def test_the_comparison_catches_a_wrong_value_and_a_missing_error(monkeypatch, restored):
    monkeypatch.setattr(tg, "tanh", lambda x: x * 1.0)  # a planted bug: no tanh at all
    assert any("values differ" in line for line in _compare("torch.tanh"))
    # torch's docs show is_nonzero refusing a tensor of several entries: one that never does
    monkeypatch.setattr(tg, "is_nonzero", lambda x: bool(np.asarray(x.data).any()))
    assert any("tinygrad_gd does not" in line for line in _compare("torch.is_nonzero"))
