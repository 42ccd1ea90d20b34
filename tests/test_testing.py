"""tinygrad_gd.testing: the public strategies keep their promises, the pytest plugin's
`gradcheck` fixture reports failures with the worst entries and the graph's DOT source, and
the module imports without hypothesis."""
from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings

import tinygrad_gd as tg
from tinygrad_gd import testing
from tinygrad_gd.testing import (assert_gradcheck, broadcastable_tensors, floats,
                                 matmul_operands, tensors)

pytest_plugins = ["pytester"]


# ------------------------------------------------------------------ strategies


@settings(max_examples=100, deadline=None)
@given(v=floats(-1.0, 1.5, avoid=(0.0, 0.5), margin=0.1))
def test_floats_stay_in_range_and_clear_of_kinks(v):
    assert -1.0 <= v <= 1.5 and np.isfinite(v)
    assert abs(v) >= 0.1 and abs(v - 0.5) >= 0.1


@settings(max_examples=60, deadline=None)
@given(t=tensors())
def test_tensors_are_float64_leaves_that_need_a_gradient_and_avoid_zero(t):
    assert isinstance(t, tg.Tensor) and t.is_leaf and t.requires_grad
    assert t.dtype == np.float64 and t.ndim <= 3 and all(1 <= n <= 3 for n in t.shape)
    assert np.isfinite(t.data).all() and (np.abs(t.data) >= 0.1).all()
    assert (np.abs(t.data) <= 2.0).all()


@settings(max_examples=40, deadline=None)
@given(t=tensors((2, 3), min_value=0.2, max_value=3.0, avoid=(), dtype=np.float32,
                 requires_grad=False))
def test_tensors_of_a_fixed_shape_range_and_dtype(t):
    assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
    assert (t.data >= np.float32(0.2)).all() and (t.data <= np.float32(3.0)).all()


@settings(max_examples=60, deadline=None)
@given(t=tensors(distinct=True, margin=0.05))
def test_distinct_tensors_have_no_two_entries_closer_than_the_margin(t):
    values = np.sort(t.data.ravel())
    assert (np.diff(values) >= 0.05 - 1e-12).all()
    assert (np.abs(values) >= 0.05 - 1e-12).all()  # and the default kink at 0 is avoided


@settings(max_examples=60, deadline=None)
@given(ts=broadcastable_tensors(3))
def test_broadcastable_tensors_broadcast_together(ts):
    assert len(ts) == 3 and all(t.requires_grad for t in ts)
    np.broadcast_shapes(*(t.shape for t in ts))  # raises if they do not


def test_broadcastable_tensors_do_differ_in_shape():
    found = []

    @settings(max_examples=50, database=None, derandomize=True)
    @given(ts=broadcastable_tensors(2))
    def collect(ts):
        found.append(ts[0].shape != ts[1].shape)

    collect()
    assert sum(found) >= 10


@settings(max_examples=60, deadline=None)
@given(ts=broadcastable_tensors(2, distinct=True))
def test_distinct_broadcastable_tensors_never_tie(ts):
    x, y = ts
    gaps = np.abs(x.data.reshape(-1, 1) - y.data.reshape(1, -1))
    assert (gaps >= 0.1 - 1e-12).all()


@settings(max_examples=80, deadline=None)
@given(pair=matmul_operands())
def test_matmul_operands_multiply(pair):
    x, y = pair
    np.testing.assert_allclose((x @ y).data, np.matmul(x.data, y.data))


@pytest.mark.parametrize("kind, ndims", [("1@1", (1, 1)), ("1@2", (1, 2)), ("2@1", (2, 1)),
                                         ("2@2", (2, 2)), ("1@3", (1, 3)), ("3@1", (3, 1))])
def test_matmul_operands_of_one_kind(kind, ndims):
    @settings(max_examples=10, deadline=None)
    @given(pair=matmul_operands(kinds=[kind]))
    def check(pair):
        assert (pair[0].ndim, pair[1].ndim) == ndims

    check()


def test_batched_matmul_operands_broadcast_their_batch_axes():
    batch_pairs = []

    @settings(max_examples=60, database=None, derandomize=True)
    @given(pair=matmul_operands(kinds=["batched"]))
    def collect(pair):
        x, y = pair
        batch_pairs.append((x.shape[:-2], y.shape[:-2]))

    collect()
    assert any(bx != by and bx and by for bx, by in batch_pairs)  # broadcasting, not equal


@pytest.mark.parametrize("make, fragment", [
    (lambda: floats(1.0, 0.0), "min_value 1.0 is larger than max_value 0.0"),
    (lambda: floats(-0.05, 0.05, avoid=(0.0,), margin=0.1), "no value in"),
    (lambda: floats(margin=-1), "margin must be >= 0"),
    (lambda: tensors(distinct=True, margin=0), "distinct values need margin > 0"),
    (lambda: broadcastable_tensors(0), "num_tensors must be >= 1"),
    (lambda: matmul_operands(kinds=["4@4"]), r"unknown kinds \['4@4'\]"),
])
def test_bad_strategy_arguments_are_named(make, fragment):
    with pytest.raises(ValueError, match=fragment):
        make()


# ------------------------------------------------------------------ a user's own op


class Cube(tg.Function, register=False):
    """x**3, as a user would write a new op."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2


class CubeWithWrongBackward(Cube, register=False):
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x ** 2  # the 3 became a 2


@settings(max_examples=30, deadline=None)
@given(x=tensors())
def test_a_users_op_checked_with_the_strategies(gradcheck, x):
    assert gradcheck(Cube.apply, [x])


def test_assert_gradcheck_attaches_the_graph_to_the_error():
    x = tg.Tensor([1.0, -2.0], requires_grad=True)
    assert assert_gradcheck(Cube.apply, [x]) is True
    with pytest.raises(tg.GradcheckError) as info:
        assert_gradcheck(lambda t: CubeWithWrongBackward.apply(t).sum(), [x])
    assert "worst entries" in str(info.value)
    assert info.value.dot.startswith("digraph") and "cubewithwrongbackward" in info.value.dot


def test_graph_source_says_why_a_graph_cannot_be_drawn():
    def broken(x):
        raise RuntimeError("no graph today")

    text = testing.graph_source(broken, [tg.Tensor([1.0], requires_grad=True)])
    assert text.startswith("//") and "RuntimeError: no graph today" in text


# ------------------------------------------------------------------ the pytest plugin


def test_the_plugin_is_registered_through_the_pytest11_entry_point():
    points = importlib.metadata.entry_points(group="pytest11")
    assert any(p.name == "tinygrad_gd" and p.value == "tinygrad_gd.testing" for p in points)


USER_TESTS = '''
    import tinygrad_gd as tg

    class Cube(tg.Function, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    class WrongCube(Cube, register=False):
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x ** 2

    def test_right(gradcheck):
        assert gradcheck(Cube.apply, [tg.Tensor([1.0, 2.0], requires_grad=True)])

    def test_wrong(gradcheck):
        x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
        gradcheck(lambda t: WrongCube.apply(t).sum(), [x])

    from hypothesis import given, settings
    from tinygrad_gd.testing import assert_gradcheck, tensors

    @settings(max_examples=20, deadline=None, database=None)
    @given(x=tensors())
    def test_wrong_found_by_hypothesis(gradcheck, x):
        gradcheck(WrongCube.apply, [x])

    def test_wrong_without_the_fixture():
        assert_gradcheck(WrongCube.apply, [tg.Tensor([3.0], requires_grad=True)])
'''


def test_fixture_passes_a_right_op_and_reports_a_wrong_one(pytester):
    # no conftest and no import of the plugin: the entry point alone provides the fixture
    pytester.makepyfile(test_user=textwrap.dedent(USER_TESTS))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    output = result.stdout.str()
    assert output.count("- tinygrad_gd graph (DOT) -") == 3  # one drawing per failure
    assert "gradcheck(lambda t: WrongCube.apply(t).sum(), [x])" in output  # the user's line
    assert "gradcheck failed for input 0 'x' (shape (2,))" in output
    assert "worst entries" in output and "output (), input (1,)" in output  # x = 2: 12 vs 8
    dot = output.split("tinygrad_gd graph (DOT) -", 1)[1]  # after the section's title bar
    assert "digraph" in dot and "wrongcube" in dot and "<B>x</B>" in dot
    assert "tinygrad_gd/testing.py" not in output  # the helper's frames are hidden


def test_module_imports_without_hypothesis_and_pulls_in_nothing_else():
    script = textwrap.dedent('''
        import sys
        sys.modules["hypothesis"] = None  # as if it were not installed: importing it fails
        import pytest, tinygrad_gd
        before = set(sys.modules)
        import tinygrad_gd.testing as testing
        print(sorted(set(sys.modules) - before))
        try:
            testing.tensors()
        except ImportError as err:
            print(err)
    ''')
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    new_modules, message = result.stdout.splitlines()
    assert new_modules == "['tinygrad_gd.testing']"
    assert "the strategies need hypothesis" in message and "pip install hypothesis" in message


# ------------------------------------------------------------------ gradcheck: what fn may do


class _WrongSquare(tg.Function, register=False):
    def forward(ctx, w):
        ctx.save_for_backward(w)
        return w * w

    def backward(ctx, grad):
        (w,) = ctx.saved_tensors
        return 5 * grad * w  # wrong: 2 * grad * w


def test_gradcheck_refuses_a_fn_that_ignores_its_inputs_for_a_tensor_it_closes_over():
    w = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert not tg.gradcheck(_WrongSquare.apply, [w], raise_exception=False)
    with pytest.raises(ValueError, match=r"^gradcheck: fn's output requires a gradient, but none "
                       r"of the inputs given reaches it: fn must compute from the tensors it is "
                       r"given .*not from others it closes over$"):
        tg.gradcheck(lambda _w: _WrongSquare.apply(w).sum(), [w])
    model, x = tg.nn.Linear(3, 2, seed=0), tg.Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match="closes over"):
        tg.gradcheck(lambda weight: model(x).tanh().sum(), [model.weight])
    # legitimate: one input unused while another is used; a model's parameters used too
    y = tg.Tensor([0.5, -1.0], requires_grad=True)
    assert tg.gradcheck(lambda a, b: (a * 2).sum(), [w, y])
    assert tg.gradcheck(lambda t: model(t).tanh().sum(), [tg.Tensor(np.ones((4, 3)),
                                                                    requires_grad=True)])

    class NoGradient(tg.Function, register=False):  # reaches its input, gives it None
        def forward(ctx, a):
            return a * a

        def backward(ctx, grad):
            return (None,)  # (a bare None is refused: a missing return?)
    with pytest.raises(tg.GradcheckError, match=r"backward\(\) gives zero everywhere"):
        tg.gradcheck(lambda t: NoGradient.apply(t).sum(), [w])


def test_gradcheck_runs_a_fn_that_registers_hooks_and_catches_a_wrong_hook():
    torch = pytest.importorskip("torch")
    x = tg.Tensor([0.3, 0.8], requires_grad=True)
    tx = torch.tensor([0.3, 0.8], dtype=torch.float64, requires_grad=True)

    def hooked(factor):
        def fn(t):
            y = t * 2
            y.register_hook(lambda g: None if g is None else g * factor)  # (torch's: None too)
            return y
        return fn

    def retaining(t):
        y = t * 2
        y.retain_grad()
        return y * y

    assert tg.gradcheck(hooked(1), [x]) == torch.autograd.gradcheck(hooked(1), [tx])
    assert tg.gradcheck(retaining, [x]) == torch.autograd.gradcheck(retaining, [tx])
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):  # (torch's GradcheckError)
        torch.autograd.gradcheck(hooked(2), [tx])
    with pytest.raises(tg.GradcheckError, match="analytic gradient is 2x the numeric one"):
        tg.gradcheck(hooked(2), [x])


def test_gradcheck_reports_a_nan_gradient_as_a_jacobian_mismatch():
    x = tg.Tensor([0.0, 2.0], requires_grad=True)
    with pytest.raises(tg.GradcheckError) as caught:  # backward: 0 * inf at 0
        with np.errstate(invalid="ignore", divide="ignore"):
            tg.gradcheck(lambda t: t.sqrt() * 0, [x])
    message = str(caught.value)
    assert "Jacobian entries differ" in message and "two backward passes" not in message
    assert np.isnan(caught.value.worst[0][2])  # the analytic side of the worst entry


def test_gradcheck_lists_nan_finite_differences_first_among_the_worst_entries():
    with pytest.raises(tg.GradcheckError) as caught:  # finite differences: log(-1 +- eps)
        with np.errstate(invalid="ignore"):
            tg.gradcheck(lambda t: t.log(), [tg.Tensor([-1.0, 2.0], requires_grad=True)])
    worst = caught.value.worst
    assert worst and np.isnan(worst[0][3])  # listed, NaN first (the list was empty)
    assert "numeric  nan" in str(caught.value)


def test_gradcheck_refuses_a_dict_of_inputs():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"^gradcheck: inputs must be a Tensor or a sequence of "
                                        r"them \(a tuple or list\), got dict"):
        tg.gradcheck(lambda t: t * 2, {"a": x})


def test_gradcheck_hints_at_an_eps_below_the_input_s_float_spacing():
    big = tg.Tensor([1e12], requires_grad=True)  # 1e12 + 1e-6 == 1e12
    with pytest.raises(tg.GradcheckError, match=r"hint: eps=1e-06 is below the float spacing "
                                                r"of the input at 1 entry .*raise eps"):
        tg.gradcheck(lambda t: t.sin(), [big])


def test_assert_close_passes_and_fails_where_pytorchs_does():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for dtype in (np.float64, np.float32):
        for scale in (0.0, 1e-8, 1e-6, 1e-4, 1e-2):
            expected = rng.standard_normal(5).astype(dtype)
            actual = (expected * (1 + scale * rng.standard_normal(5))).astype(dtype)
            try:
                torch.testing.assert_close(torch.tensor(actual), torch.tensor(expected))
                theirs = True
            except AssertionError:
                theirs = False
            try:
                tg.testing.assert_close(tg.tensor(actual), tg.tensor(expected))
                ours = True
            except AssertionError as err:
                ours = False
                assert str(err).startswith("assert_close: ") and "\n" not in str(err)
            assert ours == theirs, (dtype, scale)


def test_assert_close_checks_shapes_dtypes_and_nan_as_pytorchs():
    tg.testing.assert_close(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), equal_nan=True)
    for actual, expected, options, text in [
            (np.array([np.nan]), np.array([np.nan]), {}, "1 of 1 entries differ"),
            (np.ones(2), np.ones(3), {}, "the shapes differ"),
            (np.ones(2), np.ones(2, np.float32), {}, "the dtypes differ"),
            (np.array([1.0]), np.array([1.1]), {"rtol": 0.2, "atol": 0.0}, None)]:
        if text is None:
            tg.testing.assert_close(actual, expected, **options)
            continue
        with pytest.raises(AssertionError, match=text):
            tg.testing.assert_close(actual, expected, **options)
    with pytest.raises(ValueError, match="give both rtol and atol"):
        tg.testing.assert_close(np.ones(1), np.ones(1), rtol=0.1)
    assert tg.vmap is tg.func.vmap and "testing" in dir(tg)
