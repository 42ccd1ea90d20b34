"""PyTorch's names a user reaches for, and what their mistakes are told (thirty-fourth round).

The first part needs no torch (CI has none): a hand-written Tensor method given too many
arguments counts them as the user gave them; `tg.default_generator`; `dependent.check`
refused; `tg.testing.assert_allclose`; the top-level in-place functions (`tg.exp_`); the
global switches (`tg.use_deterministic_algorithms`, ...); `tg.convolution`,
`frobenius_norm`, `nuclear_norm`, `row_stack` and the predicates, against NumPy formulas
and finite differences. The second part runs each against torch 2.13 where it is installed.
"""
from __future__ import annotations

import inspect
import types
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import creation, in_place_functions
from tinygrad_gd.distributions import constraints
from tinygrad_gd.op_errors import TRAINING_STEP_METHODS

X = tg.tensor([[1.0, 2.0], [3.0, 4.0]])


# -- a wrong number of arguments to a hand-written method, counted without the tensor -------
@pytest.mark.parametrize("call, said", [
    (lambda: X.argmax(1, 2, 3, 4), "argmax: takes at most 2 arguments (axis, keepdims) but 4 "
                                   "were given; dim=, keepdim= are keyword-only"),
    (lambda: X.t(1), "t: takes no arguments but 1 was given"),
    (lambda: X.numpy(True), "numpy: takes no arguments but 1 was given"),
    (lambda: X.where(X > 2, 0.0, 3), "where: takes 2 arguments (condition, other) but 3 were "
                                     "given"),
    (lambda: X.float(1), "float: takes no arguments but 1 was given; memory_format= is "
                         "keyword-only"),
    (lambda: X.sort(0, True, 1, 2), "sort: takes at most 3 arguments (dim, descending, "
                                    "stable) but 4 were given; axis= is keyword-only"),
    (lambda: X.histc(1, 2, 3, 4), "histc: takes at most 3 arguments (bins, min, max) but 4 "
                                  "were given"),
    (lambda: X.addbmm(1, 2, 3, 4, 5), "addbmm: takes 2 arguments (batch1, batch2) but 5 were "
                                      "given; beta=, alpha= are keyword-only"),
    (lambda: tg.tensor([4]).gcd(1, 2), "gcd: takes 1 argument (other) but 2 were given"),
    (lambda: X.detach(1), "detach: takes no arguments but 1 was given"),
])
def test_a_method_given_too_many_arguments_counts_them_as_the_user_gave_them(call, said):
    """(Python counted the tensor: x.argmax(1, 2, 3, 4) said "takes from 1 to 3 positional
    arguments but 5 were given".)"""
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == said


def _fixed_methods():
    """The public methods of fixed arity (no *args), as inspect shows them to a user."""
    for name in sorted(dir(tg.Tensor)):
        attribute = inspect.getattr_static(tg.Tensor, name)
        if name.startswith("_") or not isinstance(attribute, types.FunctionType):
            continue
        parameters = list(inspect.signature(attribute).parameters.values())
        if parameters and all(p.kind is not p.VAR_POSITIONAL for p in parameters):
            yield name, sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                            for p in parameters) - 1


def test_no_method_but_a_training_steps_counts_the_tensor_among_the_arguments():
    """Every public method of fixed arity, given one argument more than it takes, says the
    number the user gave; but backward, item and requires_grad_ (a training step calls
    them: they are left without a wrapper, and keep Python's count)."""
    swept = 0
    for name, most in _fixed_methods():
        if name in TRAINING_STEP_METHODS:
            continue
        given = most + 1
        try:
            getattr(X.clone(), name)(*[1] * given)
        except TypeError as err:
            text = str(err)
        else:  # pragma: no cover  (a method that took one too many)
            raise AssertionError(f"x.{name} took {given} arguments")
        counted = f"but {given} {'was' if given == 1 else 'were'} given"
        swept += 1
        assert counted in text and text.startswith(f"{name}: takes "), (name, text)
    assert swept > 150


def test_a_mistake_inside_a_method_and_a_keyword_keep_their_own_words():
    with pytest.raises(TypeError, match=r"^argmax: axis must be an int"):
        X.argmax("a")
    with pytest.raises(TypeError, match=r"got an unexpected keyword argument 'nope'"):
        X.argmax(nope=1)
    with pytest.raises(TypeError, match=r"missing 1 required positional argument: 'k'"):
        X.kthvalue()
    assert X.argmax(1).tolist() == np.argmax(X.numpy(), 1).tolist()  # (a call still works)


# -- tg.default_generator --------------------------------------------------------------------
@pytest.fixture
def global_generator():
    """The global generator and default_generator's stream as the test found them."""
    saved, state = list(creation._seeded), tg.default_generator.bit_generator.state
    first = tg.default_generator._initial_seed
    yield
    creation._seeded[:] = saved
    tg.default_generator.bit_generator.state, tg.default_generator._initial_seed = state, first


def test_manual_seed_reseeds_the_one_default_generator_and_whatever_holds_it(global_generator):
    assert tg.random.default_generator is tg.default_generator
    held = tg.manual_seed(1)
    assert held is tg.default_generator and tg.manual_seed(2) is held
    assert held.initial_seed() == tg.initial_seed() == 2
    first = tg.randn(3, generator=held).numpy()
    tg.manual_seed(2)  # (a generator held from before follows, as PyTorch's)
    np.testing.assert_array_equal(held.standard_normal(3), first)
    tg.default_generator.manual_seed(5)  # (the same as tg.manual_seed(5))
    fives = tg.randn(4).numpy()
    np.testing.assert_array_equal(fives, np.random.default_rng(5).standard_normal(4))
    assert tg.initial_seed() == 5


def test_default_generators_state_is_tg_get_rng_states(global_generator):
    tg.manual_seed(0)
    state = tg.default_generator.get_state()
    after = tg.randn(3).numpy()
    assert tg.default_generator.set_state(state) is tg.default_generator
    np.testing.assert_array_equal(tg.randn(3).numpy(), after)
    tg.set_rng_state(state)
    np.testing.assert_array_equal(tg.default_generator.normal(size=3), after)
    assert tg.default_generator.seed() == tg.initial_seed()


def test_fork_rng_puts_default_generator_back_even_before_any_manual_seed(global_generator):
    creation._seeded[:] = [None]  # (as a program that never called manual_seed)
    state = tg.default_generator.bit_generator.state
    with tg.random.fork_rng():
        tg.manual_seed(9)
        tg.randn(2)
    assert tg.default_generator.bit_generator.state == state
    tg.randn(2)  # (no manual seed before, none after: fresh entropy, not its stream)
    assert tg.default_generator.bit_generator.state == state
    assert tg.random.thread_safe_generator() is None  # (no DataLoader worker threads)


# -- constraints.dependent -------------------------------------------------------------------
def test_dependent_check_is_refused_and_a_distribution_checks_its_own():
    """(dependent.check passed every value.)"""
    with pytest.raises(ValueError) as info:
        constraints.dependent.check(tg.tensor([1.0, 2.0]))
    assert str(info.value).startswith("dependent.check: cannot determine the validity")
    assert "constraints.is_dependent(c)" in str(info.value)
    uniform = tg.distributions.Uniform(tg.tensor([0.0]), tg.tensor([2.0]))
    np.testing.assert_allclose(uniform.log_prob(tg.tensor([1.0])).numpy(), [np.log(0.5)])
    with pytest.raises(ValueError, match=r"^Uniform: low must be < high"):
        tg.distributions.Uniform(1.0, 0.0)


# -- tg.testing.assert_allclose --------------------------------------------------------------
def test_assert_allclose_warns_and_compares_without_the_dtype():
    with pytest.warns(FutureWarning, match="use tg.testing.assert_close"):
        tg.testing.assert_allclose(tg.tensor([1, 2]), tg.tensor([1.0, 2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        tg.testing.assert_allclose(float("nan"), float("nan"))  # (NaN equal by default)
        tg.testing.assert_allclose(tg.tensor([1.0]), [1.0 + 1e-6])  # (looser than close's)
        with pytest.raises(AssertionError, match=r"^assert_allclose: 1 of 2 entries differ"):
            tg.testing.assert_allclose([1.0, 2.0], [1.0, 2.001])
        with pytest.raises(AssertionError, match=r"^assert_allclose: the shapes differ"):
            tg.testing.assert_allclose(tg.ones(2), tg.ones(3))
        with pytest.raises(AssertionError, match=r"^assert_allclose: 1 of 1"):
            tg.testing.assert_allclose(tg.tensor([1]), [1.5])  # (1.5 not rounded to 1)
        with pytest.raises(AssertionError, match="^mine$"):
            tg.testing.assert_allclose(1.0, 2.0, msg="mine")


# -- the top-level in-place functions --------------------------------------------------------
_ARGUMENTS = {"gcd_": (6,), "lcm_": (6,), "ldexp_": (2,), "xlogy_": (3.0,), "clamp_": (0.3, 0.5),
              "clip_": (0.3, 0.5), "clamp_min_": (0.4,), "clamp_max_": (0.4,), "fill_": (2.0,),
              "logit_": (), "nan_to_num_": (1.0,), "round_": (), "as_strided_": ((2,), (1,)),
              "addmv_": (tg.ones((3, 2)), tg.ones(2))}
_INTEGERS = {"gcd_", "lcm_"}


@pytest.mark.parametrize("name", in_place_functions.__all__)
def test_each_in_place_function_is_the_method_on_its_input(name):
    values = [4, 10, 3] if name in _INTEGERS else [0.2, 0.5, 0.7]
    x, y = tg.tensor(values), tg.tensor(values)
    arguments = _ARGUMENTS.get(name, ())
    result = getattr(tg, name)(x, *arguments)
    assert result is x
    expected = getattr(y, name)(*arguments)
    np.testing.assert_array_equal(x.numpy(), expected.numpy())
    with pytest.raises(TypeError, match=rf"^{name}: expected a tensor, got list"):
        getattr(tg, name)(values, *arguments)


def test_an_in_place_function_counts_its_arguments_as_given():
    with pytest.raises(TypeError, match=r"^exp_\(\) takes 1 positional argument but 2 were"):
        tg.exp_(tg.ones(2), 1)
    with pytest.raises(TypeError, match=r"^clamp_\(\) takes from 1 to 3 positional arguments "
                                        r"but 4 were given"):
        tg.clamp_(tg.ones(2), 0, 1, 2)
    leaf = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^exp_: "):
        tg.exp_(leaf)  # (the method's refusal of a leaf that requires grad, by that name)


# -- the global switches ---------------------------------------------------------------------
@pytest.fixture
def switches():
    saved = dict(tg.global_switches._switches)
    yield
    tg.global_switches._switches.update(saved)


def test_determinism_and_precision_switches_read_back(switches):
    assert tg.get_float32_matmul_precision() == "highest"
    tg.set_float32_matmul_precision("medium")
    assert tg.get_float32_matmul_precision() == "medium"
    for mode, deterministic, warn_only in ((1, True, True), ("error", True, False),
                                           ("default", False, False)):
        tg.set_deterministic_debug_mode(mode)
        assert tg.are_deterministic_algorithms_enabled() is deterministic
        assert tg.is_deterministic_algorithms_warn_only_enabled() is warn_only
    tg.use_deterministic_algorithms(True, warn_only=True)
    assert tg.get_deterministic_debug_mode() == 1
    with pytest.raises(ValueError, match="^set_float32_matmul_precision: precision must be "):
        tg.set_float32_matmul_precision("low")
    with pytest.raises(RuntimeError, match="^set_deterministic_debug_mode: debug_mode must"):
        tg.set_deterministic_debug_mode(3)
    with pytest.raises(TypeError, match="^use_deterministic_algorithms: mode must be True or"):
        tg.use_deterministic_algorithms(1)


def test_set_anomaly_enabled_is_anomaly_mode():
    try:
        tg.set_anomaly_enabled(True, check_nan=False)
        assert tg.is_anomaly_enabled() and not tg.is_anomaly_check_nan_enabled()
    finally:
        tg.set_anomaly_enabled(False)
    assert not tg.is_anomaly_enabled() and tg.is_anomaly_check_nan_enabled()
    with pytest.raises(TypeError, match="^set_anomaly_enabled: enabled must be True or False"):
        tg.set_anomaly_enabled("yes")


# -- convolution, the norms, row_stack and the predicates ------------------------------------
def test_convolution_is_the_convolution_its_weight_and_transposed_name():
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((1, 2, 5, 5)))
    w = tg.tensor(rng.standard_normal((3, 2, 2, 2)))
    ours = tg.convolution(x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1)
    np.testing.assert_array_equal(ours.numpy(), tg.nn.functional.conv2d(x, w, None, 1, 1).numpy())
    back = tg.tensor(rng.standard_normal((2, 3, 2)))
    ours = tg.convolution(tg.ones((1, 2, 4)), back, None, [2], [0], [1], True, [1], 1)
    np.testing.assert_array_equal(ours.numpy(), tg.nn.functional.conv_transpose1d(
        tg.ones((1, 2, 4)), back, None, 2, 0, 1).numpy())
    with pytest.raises(ValueError, match=r"^convolution: weight must have 3, 4 or 5 axes"):
        tg.convolution(x, tg.ones((2, 2)), None, [1], [0], [1], False, [0], 1)


def test_frobenius_and_nuclear_norms_are_numpys_and_their_gradients_finite_differences():
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    np.testing.assert_allclose(tg.frobenius_norm(tg.tensor(a), (1, 2)).numpy(),
                               np.linalg.norm(a, "fro", axis=(1, 2)))
    np.testing.assert_allclose(tg.frobenius_norm(tg.tensor(a), 2, True).numpy(),
                               np.linalg.norm(a, axis=2, keepdims=True))
    np.testing.assert_allclose(tg.nuclear_norm(tg.tensor(a), (1, 2)).numpy(),
                               np.linalg.norm(a, "nuc", axis=(1, 2)))
    np.testing.assert_allclose(tg.nuclear_norm(tg.tensor(a[0]), True).numpy(),
                               [[np.linalg.norm(a[0], "nuc")]])
    for norm in (lambda t: tg.frobenius_norm(t, (0, 1)), tg.nuclear_norm):
        assert tg.gradcheck(norm, [tg.tensor(a[0], requires_grad=True)])
    np.testing.assert_allclose(tg.nuclear_norm(tg.tensor(a)).numpy(),  # (each matrix's)
                               np.linalg.norm(a, "nuc", axis=(1, 2)))


def test_row_stack_and_the_predicates_at_the_top_level():
    a, b = tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])
    np.testing.assert_array_equal(tg.row_stack([a, b]).numpy(), np.vstack([a.numpy(), b.numpy()]))
    with pytest.raises(TypeError, match=r"wrap them in a list: row_stack\(\[a, b\]\)$"):
        tg.row_stack(a)
    assert tg.is_signed(a) and not tg.is_signed(tg.tensor([1], dtype="uint8"))
    assert tg.is_neg(a) is False and tg.is_distributed(a) is False and tg.get_device(a) == -1
    with pytest.raises(TypeError, match=r"^get_device: expected a tensor"):
        tg.get_device([1.0])


# -- against torch 2.13 ----------------------------------------------------------------------
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_conv_tbc_at_the_top_level_is_torchs(torch):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((6, 2, 3)), rng.standard_normal((3, 3, 4)), rng.standard_normal(4)
    ours = [tg.tensor(v, requires_grad=True) for v in (x, w, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    out, expected = tg.conv_tbc(*ours, 1), torch.conv_tbc(*theirs, 1)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    for mine, its in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), its.grad.numpy(), atol=1e-12)


def test_the_names_of_torch_random_are_here(torch):
    for name in torch.random.__all__ + ["default_generator"]:
        assert hasattr(tg.random, name), name
    assert hasattr(tg, "default_generator") and torch.manual_seed(0) is torch.default_generator


@pytest.mark.parametrize("actual, expected", [
    ([1.0, 2.0], [1.0, 2.000001]), ([1.0, 2.0], [1.0, 2.001]), (1.0, float("nan")),
    (float("nan"), float("nan")), (np.float32(1.0), 1.00005), (np.float32(1.0), 1.0002),
    ([1, 2], [1.0, 2.0]), ([1.0, 2.0], [1.0, 2.0, 3.0])])
def test_assert_allclose_passes_and_fails_as_torchs(torch, actual, expected):
    def passes(module, make):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            try:
                module.testing.assert_allclose(make(actual), expected)
            except AssertionError:
                return False
        return True
    dtype = np.asarray(actual).dtype
    ours = passes(tg, lambda v: tg.tensor(np.asarray(v, dtype=dtype)))
    assert ours == passes(torch, lambda v: torch.tensor(np.asarray(v, dtype=dtype)))


def test_dependent_check_is_refused_as_torchs(torch):
    from torch.distributions import constraints as theirs
    with pytest.raises(ValueError, match="dependent constraint"):
        theirs.dependent.check(torch.ones(2))
    with pytest.raises(ValueError, match="dependent constraint"):
        constraints.dependent.check(tg.ones(2))


@pytest.mark.parametrize("name", in_place_functions.__all__)
def test_each_in_place_function_is_torchs(torch, name):
    values = [4, 10, 3] if name in _INTEGERS else [0.2, 0.5, 0.7]
    arguments = _ARGUMENTS.get(name, ())
    if name == "logit_":
        arguments = (None,)
    theirs_arguments = tuple(torch.ones(a.shape, dtype=torch.float64)
                             if isinstance(a, tg.Tensor) else a for a in arguments)
    if name in ("gcd_", "lcm_", "ldexp_"):  # (torch's take a tensor for other, ours a number too)
        theirs_arguments = (torch.tensor(arguments[0]),)
    x, y = tg.tensor(values), torch.tensor(np.asarray(values))  # (float64, int64)
    getattr(tg, name)(x, *arguments)
    getattr(torch, name)(y, *theirs_arguments)
    np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-12)


# torch's frobenius_norm and nuclear_norm warn that they are deprecated (kept for its JIT)
@pytest.mark.filterwarnings("ignore:.*is just left for JIT compatibility:UserWarning")
def test_norms_convolution_and_predicates_are_torchs(torch):
    a = np.random.default_rng(3).standard_normal((3, 4))
    t = torch.tensor(a)
    np.testing.assert_allclose(tg.frobenius_norm(tg.tensor(a), [1], True).numpy(),
                               torch.frobenius_norm(t, [1], True).numpy())
    np.testing.assert_allclose(tg.nuclear_norm(tg.tensor(a)).numpy(),
                               torch.nuclear_norm(t).numpy())
    w = np.random.default_rng(4).standard_normal((2, 3, 2))
    arguments = (None, [1], [1], [1], False, [0], 1)
    np.testing.assert_allclose(tg.convolution(tg.tensor(a[None]), tg.tensor(w), *arguments)
                               .numpy(), torch.convolution(t[None], torch.tensor(w), *arguments)
                               .numpy(), atol=1e-12)
    for name in ("is_signed", "is_neg", "get_device", "is_distributed"):
        assert getattr(tg, name)(tg.tensor(a)) == getattr(torch, name)(t), name
    np.testing.assert_array_equal(tg.row_stack([tg.tensor(a), tg.tensor(a)]).numpy(),
                                  torch.row_stack([t, t]).numpy())


def test_the_switches_read_back_as_torchs(torch, switches):
    before = (torch.get_deterministic_debug_mode(), torch.get_float32_matmul_precision())
    try:
        for mode in ("warn", "error", 0):
            torch.set_deterministic_debug_mode(mode)
            tg.set_deterministic_debug_mode(mode)
            assert tg.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
            assert (tg.are_deterministic_algorithms_enabled()
                    == torch.are_deterministic_algorithms_enabled())
        torch.set_float32_matmul_precision("high")
        tg.set_float32_matmul_precision("high")
        assert tg.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    finally:
        torch.set_deterministic_debug_mode(before[0])
        torch.set_float32_matmul_precision(before[1])
