"""Numbers at their edges (fortieth round): NumPy's warnings out of the user's face.

1. An op at its edge (`log(0)`, `1 / 0`, `exp(1000)`, `sqrt(-1)`) gives PyTorch's inf or
   NaN and says nothing, as PyTorch: numpy_warnings.py ignores RuntimeWarning raised in
   the package's modules. What it must leave alone is checked too: a user's own NumPy
   code, a module of the user's named like the package, the package's own warnings (at
   the user's line), a filter the user sets after the import, `python -W error` and
   pytest's `-W error`. Every registered op (test_ops.OP_SPECS) is swept forward and
   backward at 0, -1, +-inf, NaN, 1e308 and empty, in float64 and float32: no
   RuntimeWarning gets out (outer, sinc, var and std let NumPy's own Python code warn).
2. kl_divergence(Uniform, Gumbel) past float64: high's gradient -inf as PyTorch's (it was
   NaN); LogNormal's cdf at 0 silent, its values and gradients PyTorch's.
3. A stack of 0 Transformer layers refuses a mask of the wrong shape in one line, as its
   layers would (PyTorch's forward of no layers fails on layers[0] whatever it is given).
"""
from __future__ import annotations

import contextlib
import math
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_gd as tg
from tinygrad_gd import distributions as D
from tinygrad_gd import nn
from test_ops import OP_SPECS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@contextlib.contextmanager
def shown():
    """Every warning that gets past the filters as they are (the package's own included):
    "always" appended after them, so nothing is hidden by once-per-line bookkeeping."""
    with warnings.catch_warnings(record=True) as log:
        warnings.filterwarnings("always", append=True)
        yield log


def run_python(*arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run([sys.executable, *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


# ------------------------------------------------------------------ 1. the filter

EDGE_CASES = {  # name: (function of tensors, inputs), each as torch.NAME would take them
    "log(0)": (lambda x: x.log(), [[0.0, -0.0, 2.0]]),
    "log(-1)": (lambda x: x.log(), [[-1.0]]),
    "1 / 0": (lambda x, y: x / y, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]]),
    "exp(1000)": (lambda x: x.exp(), [[1000.0, -1000.0]]),
    "sqrt(-1), sqrt(0)": (lambda x: x.sqrt(), [[-1.0, 0.0]]),
    "0 ** -1": (lambda x, y: x ** y, [[0.0, 0.0], [-1.0, -0.5]]),
    "reciprocal(0)": (lambda x: x.reciprocal(), [[0.0]]),
    "asin(2)": (lambda x: x.asin(), [[2.0, 1.0]]),
    "x * inf": (lambda x, y: x * y, [[0.0, 1.0], [np.inf, np.inf]]),
    "outer at 1e308": (lambda x, y: x.outer(y), [[1e308, 2.0], [10.0, 1.0]]),
    "sinc(1e308)": (lambda x: x.sinc(), [[1e308, 1e300, 3.0]]),
    "var at 1e308": (lambda x: x.var(correction=1), [[1e308, 1e308, 1.0]]),
    "std at 1e308": (lambda x: x.std(correction=1), [[1e308, -1e308, 1.0]]),
}


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_an_op_at_its_edge_is_silent_and_gives_pytorchs_values_and_gradients(torch64, case,
                                                                             dtype):
    fn, values = EDGE_CASES[case]
    ours = [tg.tensor(v, dtype=getattr(tg, dtype), requires_grad=True) for v in values]
    theirs = [torch64.tensor(v, dtype=getattr(torch64, dtype), requires_grad=True)
              for v in values]
    with shown() as log:
        out = fn(*ours)
        out.sum().backward()
    assert [str(w.message) for w in log] == []
    expected = fn(*theirs)
    expected.sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-6)
    for t, u in zip(ours, theirs):
        np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-6)


EDGES = [0.0, -1.0, np.inf, -np.inf, np.nan, 1e308, "empty"]


def at_edge(a: np.ndarray, edge, dtype, whole: bool) -> np.ndarray:
    """A drawn input at an edge: every entry (`whole`) or its first only, or with no rows;
    integer inputs (indices) as drawn."""
    if a.dtype.kind != "f":
        return a
    if edge == "empty":
        return np.zeros((0,) + a.shape[1:], dtype)
    with np.errstate(over="ignore"):  # (1e308 as float32: inf)
        b = np.full(a.shape, edge, dtype) if whole else a.astype(dtype)
        b.reshape(-1)[:1] = edge
    return b


@pytest.mark.parametrize("name", sorted(OP_SPECS))
@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_op_at_its_edges_lets_no_runtime_warning_out(name, data):
    fn, arrays, _ = OP_SPECS[name](data)
    for dtype in (np.float64, np.float32):
        for edge in EDGES:
            for whole in ((True,) if edge == "empty" else (True, False)):
                inputs = [at_edge(np.asarray(a), edge, dtype, whole) for a in arrays]
                with shown() as log:
                    try:
                        out = fn(*[tg.Tensor(a, requires_grad=a.dtype.kind == "f")
                                   for a in inputs])
                        out = out[0] if isinstance(out, (tuple, list)) else out
                        if out.requires_grad:
                            out.backward(tg.ones_like(out))
                    except Exception:  # (refused in one line: other tests read those lines)
                        pass
                escaped = [f"{w.filename}:{w.lineno}: {w.message}" for w in log
                           if issubclass(w.category, RuntimeWarning)]
                assert not escaped, (name, edge, dtype.__name__, escaped)


def test_a_users_own_numpy_code_still_warns():
    with shown() as log:
        tg.tensor([0.0]).log()
        np.log(np.zeros(1))
    assert [(w.category, w.filename) for w in log] == [(RuntimeWarning, __file__)]
    assert "divide by zero encountered in log" in str(log[0].message)


@pytest.mark.parametrize("user_numpy, message", [
    (lambda t: np.log(t.numpy()), "divide by zero encountered in log"),
    (lambda t: np.log(t.detach().numpy()), "divide by zero encountered in log"),
    (lambda t: t.data / 0, "divide by zero encountered in divide"),
    (lambda t: np.sqrt(t.data - 1), "invalid value encountered in sqrt"),
    (lambda t: np.exp(t.numpy() + 1000), "overflow encountered in exp"),
])
def test_a_users_numpy_on_a_tensors_array_still_warns(user_numpy, message):
    # the arrays a tensor hands out are NumPy's: NumPy's warnings, as on torch's t.numpy()
    t = tg.tensor([0.0, 1.0])
    with shown() as log:
        user_numpy(t)
    assert message in [str(w.message) for w in log]
    assert {w.category for w in log} == {RuntimeWarning}


@pytest.mark.parametrize("module", ["tinygrad_gd_extras", "my_tinygrad_gd", "tinygrad_gdx.ops"])
def test_a_users_module_named_like_the_package_still_warns(module):
    code = compile("np.log(np.zeros(1))", f"{module}.py", "exec")
    with shown() as log:
        exec(code, {"__name__": module, "np": np})
    assert [w.category for w in log] == [RuntimeWarning]


@pytest.mark.parametrize("call, category, message", [
    (lambda: tg.tensor([1.0]).var(correction=1), UserWarning, r"^var: degrees of freedom"),
    (lambda: nn.init.normal(tg.zeros(2)), FutureWarning, r"nn\.init\.normal` is now deprecated"),
    (lambda: nn.init.xavier_uniform_(tg.zeros(0, 2)), UserWarning, r"zero-element tensor"),
    (lambda: tg.range(0, 3), UserWarning, r"^range is deprecated"),
])
def test_the_packages_own_warnings_still_show_at_the_users_line(call, category, message):
    with shown() as log:
        call()
    assert [(w.category, w.filename) for w in log] == [(category, __file__)]
    assert re.search(message, str(log[0].message))


def test_an_error_filter_set_after_the_import_turns_an_edge_into_an_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="divide by zero encountered in log"):
            tg.tensor([0.0]).log()
        with pytest.raises(RuntimeWarning, match="overflow encountered in exp"):
            tg.tensor([1000.0]).exp()
    with shown() as log:  # (and after the block, silent again)
        tg.tensor([0.0]).log()
    assert log == []


def test_python_and_pytest_W_error_still_raise_and_plain_python_is_silent(tmp_path):
    script = "import tinygrad_gd as tg; print(tg.tensor([0.0]).log().tolist())"
    plain = run_python("-c", script)
    assert plain.returncode == 0 and plain.stdout.strip() == "[-inf]" and plain.stderr == ""
    strict = run_python("-W", "error", "-c", script)
    assert strict.returncode != 0
    assert "RuntimeWarning: divide by zero encountered in log" in strict.stderr
    test = tmp_path / "test_edge.py"
    test.write_text("import tinygrad_gd as tg\n\n\ndef test_log_of_0():\n"
                    "    assert tg.tensor([0.0]).log().tolist() == [-float('inf')]\n")
    quiet = run_python("-m", "pytest", "-q", "-p", "no:cacheprovider", str(test))
    assert quiet.returncode == 0 and "warning" not in quiet.stdout, quiet.stdout
    failed = run_python("-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error",
                        str(test))
    assert failed.returncode == 1 and "divide by zero encountered in log" in failed.stdout


# ------------------------------------------------------------------ 2. distributions

UNIFORM_GUMBEL = [  # (low, high, loc, scale): overflow past float64, wide, narrow
    (-1000.0, 1.0, 0.0, 1.0), (-800.0, -700.0, 0.0, 1.0), (-710.0, 1.0, 0.0, 1.0),
    (0.0, 1.0, 800.0, 1.0), (-1.0, 1000.0, 0.0, 1.0), (0.0, 1.0, 0.0, 1.0),
    (1.2, 1.2 + 1e-3, 0.3, 0.7), (-3.0, 2.0, 1.0, 0.5),
]


@pytest.mark.torch
@pytest.mark.parametrize("values", UNIFORM_GUMBEL)
def test_uniform_gumbel_kl_and_its_gradients_are_pytorchs_past_float64_too(torch64, values):
    ours = [tg.tensor(v, requires_grad=True) for v in values]
    theirs = [torch64.tensor(v, requires_grad=True) for v in values]
    with shown() as log:
        kl = D.kl_divergence(D.Uniform(*ours[:2]), D.Gumbel(*ours[2:]))
        kl.backward()
    assert log == []
    td = torch64.distributions
    expected = td.kl_divergence(td.Uniform(*theirs[:2]), td.Gumbel(*theirs[2:]))
    expected.backward()
    np.testing.assert_allclose(kl.item(), expected.item(), rtol=1e-9)
    np.testing.assert_allclose([t.grad.item() for t in ours], [t.grad.item() for t in theirs],
                               rtol=1e-9)


def test_uniform_gumbel_kl_of_a_narrow_uniform_past_float64_is_inf():
    # width w = 0.1 far below the Gumbel: -log w + 0.5 (low_z + high_z) + E[exp(-z)], whose
    # last term exp(750) / ... is past float64 (PyTorch's exp(750) - exp(749.9): NaN)
    kl = D.kl_divergence(D.Uniform(-750.0, -749.9), D.Gumbel(0.0, 1.0))
    assert kl.item() == math.inf


@pytest.mark.parametrize("low, high, loc, scale", [
    ([-1.0, 1.2, 0.0], [2.0, 1.2 + 1e-3, 0.4], [[0.3], [-0.5]], [0.7, 2.0, 1.5]),
    ([0.0], [0.5], [0.0, 1.0], [1.0]),
])
def test_uniform_gumbel_kl_passes_gradcheck_narrow_and_wide_broadcast(low, high, loc, scale):
    inputs = [tg.tensor(v, requires_grad=True) for v in (low, high, loc, scale)]
    assert tg.gradcheck(lambda a, b, m, s: D.kl_divergence(D.Uniform(a, b), D.Gumbel(m, s)),
                        inputs)


@pytest.mark.torch
@pytest.mark.parametrize("values", [[0.0], [0.0, 1e-300, 2.0], [2.0, 0.5]])
def test_lognormal_cdf_at_0_is_silent_and_pytorchs(torch64, values):
    loc, scale, x = (tg.tensor(0.3, requires_grad=True), tg.tensor(1.5, requires_grad=True),
                     tg.tensor(values, requires_grad=True))
    with shown() as log:
        cdf = D.LogNormal(loc, scale).cdf(x)
        cdf.sum().backward()
    assert log == []
    t_loc, t_scale, t_x = (torch64.tensor(0.3, requires_grad=True),
                           torch64.tensor(1.5, requires_grad=True),
                           torch64.tensor(values, requires_grad=True))
    expected = torch64.distributions.LogNormal(t_loc, t_scale).cdf(t_x)
    expected.sum().backward()
    np.testing.assert_allclose(cdf.numpy(), expected.detach().numpy(), rtol=1e-12)
    for ours, theirs in ((loc, t_loc), (scale, t_scale), (x, t_x)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_lognormal_cdf_passes_gradcheck_above_0():
    inputs = [tg.tensor(v, requires_grad=True) for v in ([0.3, -1.0], [[1.5], [0.5]], [2.0, 0.1])]
    assert tg.gradcheck(lambda m, s, x: D.LogNormal(m, s).cdf(x), inputs)


# ------------------------------------------------------------------ 3. stacks of 0 layers

SRC, TGT = np.zeros((5, 2, 8)), np.ones((3, 2, 8))


def no_layers(kind: str):
    """(ours, PyTorch's builder) of a stack of 0 layers; a call of (module, src, tgt, **masks)."""
    if kind == "TransformerEncoder":
        return (lambda n: n.TransformerEncoder(n.TransformerEncoderLayer(8, 2, 16), 0,
                                               enable_nested_tensor=False),
                lambda m, src, tgt, **masks: m(src, **masks))
    if kind == "TransformerDecoder":
        return (lambda n: n.TransformerDecoder(n.TransformerDecoderLayer(8, 2, 16), 0),
                lambda m, src, tgt, **masks: m(tgt, src, **masks))
    layers = {"Transformer(0, 1)": (0, 1), "Transformer(1, 0)": (1, 0),
              "Transformer(0, 0)": (0, 0)}[kind]
    return (lambda n: n.Transformer(8, 2, *layers, 16, dropout=0.0),
            lambda m, src, tgt, **masks: m(src, tgt, **masks))


WRONG_MASKS = [
    ("TransformerEncoder", "mask", (7, 7), r"^TransformerEncoder: mask of shape \(7, 7\) "
                                           r"must be \(5, 5\) or \(4, 5, 5\)"),
    ("TransformerEncoder", "src_key_padding_mask", (3, 9),
     r"^TransformerEncoder: src_key_padding_mask of shape \(3, 9\) must be \(2, 5\)"),
    ("TransformerDecoder", "tgt_mask", (7, 7), r"^TransformerDecoder: tgt_mask of shape"),
    ("TransformerDecoder", "memory_mask", (5, 3),
     r"^TransformerDecoder: memory_mask of shape \(5, 3\) must be \(3, 5\) or \(4, 3, 5\)"),
    ("TransformerDecoder", "memory_key_padding_mask", (2, 3),
     r"^TransformerDecoder: memory_key_padding_mask of shape \(2, 3\) must be \(2, 5\)"),
    ("Transformer(0, 1)", "src_mask", (7, 7), r"^Transformer: src_mask of shape \(7, 7\)"),
    ("Transformer(1, 0)", "tgt_mask", (5, 5), r"^Transformer: tgt_mask of shape \(5, 5\)"),
    ("Transformer(0, 0)", "memory_mask", (7, 7), r"^Transformer: memory_mask of shape"),
    ("Transformer(0, 0)", "src_key_padding_mask", (4, 4),
     r"^Transformer: src_key_padding_mask of shape \(4, 4\) must be \(2, 5\)"),
]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning")  # (PyTorch's)
@pytest.mark.parametrize("kind, name, shape, message", WRONG_MASKS)
def test_a_stack_of_no_layers_refuses_a_mask_of_the_wrong_shape_in_one_line(
        torch64, kind, name, shape, message):
    build, call = no_layers(kind)
    with pytest.raises(IndexError):  # (PyTorch's: layers[0] of none, whatever it is given)
        call(build(torch64.nn), torch64.tensor(SRC), torch64.tensor(TGT),
             **{name: torch64.zeros(shape)})
    with pytest.raises(tg.ShapeError, match=message) as refused:
        call(build(nn), tg.tensor(SRC), tg.tensor(TGT), **{name: tg.zeros(shape)})
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("kind", ["TransformerEncoder", "TransformerDecoder",
                                  "Transformer(0, 1)", "Transformer(1, 0)", "Transformer(0, 0)"])
def test_a_stack_of_no_layers_runs_with_masks_that_fit(kind):
    build, call = no_layers(kind)
    model = build(nn)
    fit = {"TransformerEncoder": dict(mask=tg.zeros(4, 5, 5),
                                      src_key_padding_mask=tg.zeros(2, 5, dtype=tg.bool)),
           "TransformerDecoder": dict(tgt_mask=tg.zeros(3, 3), memory_mask=tg.zeros(3, 5),
                                      memory_key_padding_mask=tg.zeros(2, 5, dtype=tg.bool))}
    masks = fit.get(kind, dict(src_mask=tg.zeros(5, 5), tgt_mask=tg.zeros(3, 3),
                               memory_mask=tg.zeros(3, 5)))
    out = call(model, tg.tensor(SRC), tg.tensor(TGT), **masks)
    plain = call(model, tg.tensor(SRC), tg.tensor(TGT))  # (masks change nothing here...)
    np.testing.assert_array_equal(out.numpy(), plain.numpy())
    if kind.startswith("TransformerEncoder"):  # (...but the stack is the input, unchanged)
        np.testing.assert_array_equal(out.numpy(), SRC)
