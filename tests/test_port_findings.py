"""What the text-model and torch.func ports met, mended and checked against torch 2.13:
StepLR's float step_size (the tutorials' `StepLR(optimizer, 1.0, gamma=0.95)`), and
MultiStepLR's whole-float milestones; a DataLoader over a plain list of samples ((label,
text) pairs, mixed tuples, ragged lists, dicts); PyTorch's legacy tensor types
(`tg.LongTensor([1, 2])`, `isinstance(x, tg.LongTensor)`, `x.type(tg.LongTensor)`); the
in-place shape changes (`t.unsqueeze_(-1)`, squeeze_, t_, transpose_, swapaxes_,
swapdims_); and `tg.utils.benchmark.Timer`, which the func tutorials time vmap with.
"""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.optim import lr_scheduler
from tinygrad_gd.utils.benchmark import Measurement, Timer


def _one_line(info):
    assert "\n" not in str(info.value), str(info.value)


# ------------------------------------------------------------------ StepLR, MultiStepLR


def _rates(lib, make, epochs=10):
    optimizer = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=5.0)
    scheduler = make(lib.optim.lr_scheduler, optimizer)
    rates = []
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
    return rates, scheduler


@pytest.mark.parametrize("step_size", [1, 1.0, 1.5, 2.5, 3.0, np.float64(2.0)])
def test_step_lr_takes_a_float_step_size_as_torch(step_size):
    torch = pytest.importorskip("torch")
    make = lambda s, o: s.StepLR(o, step_size, gamma=0.95)  # noqa: E731
    ours, scheduler = _rates(tg, make)
    theirs, _ = _rates(torch, make)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)
    assert scheduler.state_dict()["step_size"] == step_size


@pytest.mark.parametrize("milestones", [[1.0, 3.0], [2, 4.0, 4]])
def test_multi_step_lr_counts_whole_float_milestones_as_torch(milestones):
    torch = pytest.importorskip("torch")
    make = lambda s, o: s.MultiStepLR(o, milestones, gamma=0.5)  # noqa: E731
    np.testing.assert_allclose(_rates(tg, make)[0], _rates(torch, make)[0], rtol=1e-15)


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.StepLR(o, 0.5), ValueError,
     "StepLR: step_size must be >= 1, got 0.5"),
    (lambda o: lr_scheduler.StepLR(o, 0), ValueError, "StepLR: step_size must be >= 1, got 0"),
    (lambda o: lr_scheduler.StepLR(o, float("nan")), ValueError, "step_size must be >= 1, got nan"),
    (lambda o: lr_scheduler.StepLR(o, "2"), TypeError,
     "StepLR: step_size must be a number, got '2'"),
    (lambda o: lr_scheduler.StepLR(o, True), TypeError, "step_size must be a number, got True"),
    (lambda o: lr_scheduler.MultiStepLR(o, [2.5]), TypeError,
     "MultiStepLR: each milestone must be an integer, got 2.5"),
    (lambda o: lr_scheduler.MultiStepLR(o, 3.0), TypeError,
     "MultiStepLR: milestones must be a list of epochs, got 3.0"),
])
def test_step_sizes_and_milestones_that_never_fit_are_named(make, error, match):
    optimizer = tg.optim.SGD([tg.nn.Parameter(tg.ones(1))], lr=0.1)
    with pytest.raises(error, match=re.escape(match)) as info:
        make(optimizer)
    _one_line(info)


# ------------------------------------------------------------------ DataLoader over a list

SAMPLES = {
    "pairs": [(3, "stock market"), (1, "vote"), (2, "goal score win")],
    "mixed": [(1, 2.5, "a"), (0, 1.5, "b"), (1, 0.5, "c")],
    "ragged": [[1, 2, 3], [4], [5, 6]],
    "strings": ["ab", "c", "def"],
    "dicts": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": 3, "b": "z"}],
    "label_tokens": [(0, [1, 2, 3]), (1, [4, 5]), (0, [6])],
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_data_loader_gives_the_samples_of_a_list_as_torch(name):
    torch = pytest.importorskip("torch")
    samples = SAMPLES[name]
    ours = list(tg.utils.data.DataLoader(samples, batch_size=2, collate_fn=lambda b: b))
    theirs = list(torch.utils.data.DataLoader(samples, batch_size=2, collate_fn=lambda b: b))
    assert ours == theirs
    loader = tg.utils.data.DataLoader(samples, batch_size=2)
    assert loader.dataset is samples and len(loader) == 2


def _same_batch(ours, theirs):
    """Ours against torch's default_collate: the same containers' fields (a tuple here where
    torch's is a list; strings in a list where torch's are a tuple: collate.py's
    documented departures), tensors of the same values and dtype."""
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs)
        for key in theirs:
            _same_batch(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)) and theirs and isinstance(theirs[0], str):
        assert list(ours) == list(theirs)
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for mine, its in zip(ours, theirs):
            _same_batch(mine, its)
    else:
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["pairs", "mixed", "strings", "dicts"])
def test_data_loader_collates_a_list_of_samples_as_torch(name):
    torch = pytest.importorskip("torch")
    samples = SAMPLES[name]
    ours = list(tg.utils.data.DataLoader(samples, batch_size=2))
    theirs = list(torch.utils.data.DataLoader(samples, batch_size=2))
    assert len(ours) == len(theirs) == 2
    for mine, its in zip(ours, theirs):
        _same_batch(mine, its)


def test_data_loader_shuffles_a_list_of_samples_whole():
    loader = tg.utils.data.DataLoader(SAMPLES["pairs"], batch_size=2, shuffle=True, seed=0,
                                      collate_fn=lambda b: b)
    seen = [sample for batch in loader for sample in batch]
    assert sorted(seen) == sorted(SAMPLES["pairs"])


def test_data_loader_refuses_to_stack_ragged_samples_in_one_line():
    loader = tg.utils.data.DataLoader(SAMPLES["label_tokens"], batch_size=2)
    # (torch's is a RuntimeError; collate.py's documented ValueError, naming the field)
    with pytest.raises(ValueError, match=re.escape("sample 1 of the batch has length 2, but "
                                                   "sample 0 has length 3 in field [1]")) as info:
        next(iter(loader))
    _one_line(info)


def test_data_loader_keeps_a_list_of_numbers_or_rows_an_array():
    assert [b.tolist() for b in tg.utils.data.DataLoader([1, 2, 3], batch_size=2)] == [[1, 2],
                                                                                         [3]]
    batches = list(tg.utils.data.DataLoader([[1, 2], [3, 4], [5, 6]], batch_size=2))
    # (torch's default_collate transposes list samples: one batch per position)
    assert [[b.tolist() for b in batch] for batch in batches] == [[[1, 3], [2, 4]], [[5], [6]]]


# ------------------------------------------------------------------ legacy tensor types

LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
          "CharTensor", "ByteTensor", "BoolTensor"]


def _dtype_name(torch_dtype) -> str:
    return str(torch_dtype).removeprefix("torch.")


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_types_make_tensors_of_their_dtype_as_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(tg, name), getattr(torch, name)
    negative = -2.5 if name != "ByteTensor" else 0.0
    for data in ([1, 0, 2], [[1.7, negative, 0.0]], (2, 3), np.array([1.5, 3.0])):
        made, expected = ours(data), theirs(data)
        assert type(made) is tg.Tensor and made.dtype.name == _dtype_name(expected.dtype)
        np.testing.assert_array_equal(made.numpy(), expected.numpy())
    assert ours.dtype.name == _dtype_name(theirs.dtype)
    for sizes in ((2, 3), (4,), (2, 0)):  # (torch's values are unset: ours are zeros)
        made = ours(*sizes)
        assert made.shape == tuple(theirs(*sizes).shape) and made.dtype == ours.dtype
        assert not made.numpy().any()
    assert ours(size=(2, 3)).shape == (2, 3) and ours().shape == tuple(theirs().shape) == (0,)
    assert repr(ours) == repr(theirs).replace("torch.", "tinygrad_gd.")


def test_isinstance_of_a_legacy_type_asks_for_its_dtype_as_torch():
    torch = pytest.importorskip("torch")
    for dtype in ("float32", "float64", "int64", "int32", "uint8", "bool"):
        x, tx = tg.zeros(2, dtype=dtype), torch.zeros(2, dtype=getattr(torch, dtype))
        for name in LEGACY:
            assert isinstance(x, getattr(tg, name)) == isinstance(tx, getattr(torch, name))
    assert isinstance(tg.nn.Parameter(tg.ones(1)), tg.DoubleTensor)
    assert not isinstance(np.zeros(2, np.int64), tg.LongTensor)
    assert not issubclass(tg.LongTensor, tg.Tensor)


def test_type_casts_to_a_legacy_type_as_torch():
    torch = pytest.importorskip("torch")
    x, tx = tg.tensor([1.5, -2.5]), torch.tensor([1.5, -2.5])
    for name in ("LongTensor", "FloatTensor", "BoolTensor", "ByteTensor"):
        cast, expected = x.type(getattr(tg, name)), tx.type(getattr(torch, name))
        assert cast.dtype.name == _dtype_name(expected.dtype)
        np.testing.assert_array_equal(cast.numpy(), expected.numpy())
        assert cast.type() == expected.type().replace("torch.", "tinygrad_gd.")
    assert x.type(tg.DoubleTensor) is x
    indexes = tg.LongTensor([4, 0, 58])
    assert tg.LongTensor(indexes) is indexes  # (torch's: a view of it, the same values)


@pytest.mark.parametrize("call, error, match", [
    (lambda lib: lib.ByteTensor([-1, 256]), RuntimeError,
     "ByteTensor(): value -1 cannot be converted to type uint8 without overflow"),
    (lambda lib: lib.CharTensor([1, 200]), RuntimeError, "value 200 cannot be converted"),
    (lambda lib: lib.LongTensor([math.nan]), RuntimeError, "value nan cannot be converted"),
    (lambda lib: lib.LongTensor([1e30]), RuntimeError, "value 1e+30 cannot be converted"),
    (lambda lib: lib.ByteTensor([-0.5]), RuntimeError, "value -0.5 cannot be converted"),
    (lambda lib: lib.ByteTensor([255.5]), RuntimeError, "value 255.5 cannot be converted"),
    (lambda lib: lib.LongTensor(3.0), TypeError,
     "LongTensor(): data must be a sequence (a list, tuple or array of numbers) or sizes"),
    (lambda lib: lib.LongTensor(None), TypeError, "data must be a sequence"),
    (lambda lib: lib.LongTensor(-1), RuntimeError,
     "LongTensor(): trying to create a tensor with negative dimension -1"),
    (lambda lib: lib.LongTensor([1], 2), TypeError, "takes data (one list, tuple or array)"),
    (lambda lib: lib.LongTensor(lib.tensor([1.0])), TypeError,
     "LongTensor(): expected a tensor of dtype int64, got one of dtype float"),
    (lambda lib: lib.FloatTensor([1.0], requires_grad=True), TypeError,
     "FloatTensor(): unexpected keyword(s) ['requires_grad']"),
    (lambda lib: lib.FloatTensor([1.0], device="meta"), RuntimeError,
     "legacy constructor expects device type: cpu but device type: meta was passed"),
    (lambda lib: lib.LongTensor([[1, 2], [3]]), ValueError,
     "LongTensor(): the data's rows have different lengths"),
])
def test_legacy_constructors_refuse_as_torch_in_one_line(call, error, match):
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=re.escape(match)) as info:
        call(tg)
    _one_line(info)


def test_legacy_types_are_no_base_class_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        type("Mine", (torch.LongTensor,), {})
    with pytest.raises(TypeError, match=re.escape("type 'tinygrad_gd.LongTensor' is not an "
                                                  "acceptable base type")):
        type("Mine", (tg.LongTensor,), {})


def test_legacy_float_types_overflow_to_inf_as_torch():
    torch = pytest.importorskip("torch")
    assert tg.HalfTensor([1e6]).tolist() == torch.HalfTensor([1e6]).tolist() == [math.inf]
    assert tg.FloatTensor([1e300]).tolist() == torch.FloatTensor([1e300]).tolist()


# ------------------------------------------------------------------ in-place shape changes

RESHAPES = [("unsqueeze_", (-1,), (3, 4)), ("unsqueeze_", (0,), (3, 4)),
            ("squeeze_", (), (1, 3, 1)), ("squeeze_", (0,), (1, 3, 1)),
            ("squeeze_", ((0, 2),), (1, 3, 1)), ("squeeze_", (1,), (1, 3, 1)),
            ("t_", (), (3, 4)), ("t_", (), (5,)), ("transpose_", (0, 2), (2, 3, 4)),
            ("swapaxes_", (0, 1), (2, 3, 4)), ("swapdims_", (-1, 0), (2, 3, 4))]


@pytest.mark.parametrize("name, args, shape", RESHAPES)
def test_in_place_shape_changes_as_torch(name, args, shape):
    torch = pytest.importorskip("torch")
    values = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    ours, theirs = tg.tensor(values), torch.tensor(values)
    assert getattr(ours, name)(*args) is ours
    getattr(theirs, name)(*args)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours[(0,) * ours.ndim] = -1.0  # still written in place, as any tensor
    theirs[(0,) * theirs.ndim] = -1.0
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_in_place_shape_change_keeps_sharing_with_a_detached_alias_as_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, tg):
        x = lib.tensor([[1.0, 2.0, 3.0]])
        alias = x.detach()
        x.t_()
        x[2, 0] = 30.0
        results.append((tuple(x.shape), tuple(alias.shape), alias.tolist()))
    assert results[0] == results[1]


def test_a_graph_that_saved_t_refuses_backward_after_unsqueeze_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, tg):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        t = lib.tensor([4.0, 5.0, 6.0])
        loss = (w * t).sum()  # (mul saves t for w's gradient)
        t.unsqueeze_(-1)
        with pytest.raises(RuntimeError, match="modified by an inplace|changed in place"):
            loss.backward()


def test_a_graph_that_saved_nothing_of_t_keeps_its_gradient_as_torch():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (torch, tg):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        t = lib.tensor([4.0, 5.0, 6.0])
        loss = ((w + t) ** 2).sum()
        t.unsqueeze_(0)
        loss.backward()
        grads.append(np.asarray(w.grad.tolist()))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-15)


def test_a_reshaped_tensor_in_a_new_graph_passes_gradcheck():
    t = tg.tensor([4.0, 5.0, 6.0])
    t.unsqueeze_(-1)
    w = tg.randn(3, 2, requires_grad=True)
    assert tg.gradcheck(lambda w: (w * t).sin().sum(), (w,))


def test_in_place_shape_changes_are_refused_where_add_is():
    leaf = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape("unsqueeze_: writing into a leaf tensor "
                                                     "that requires a gradient")) as info:
        leaf.unsqueeze_(0)
    _one_line(info)
    made = leaf * 2  # (recorded, as torch's: test_in_place_shape_round39.py)
    assert made.t_().shape == (3,)
    leaf.sum().backward()
    with tg.no_grad():
        assert leaf.unsqueeze_(0).shape == (1, 3)
    # (the gradient takes the new shape too; torch's keeps (3,) and fails later)
    assert leaf.grad.shape == (1, 3) and leaf.grad.tolist() == [[1.0, 1.0, 1.0]]


@pytest.mark.parametrize("call, error, match", [
    (lambda lib: lib.ones(3).unsqueeze_(5), IndexError, "axis 5 is out of range"),
    (lambda lib: lib.ones(3).transpose_(0, 3), IndexError, "axis 3 is out of range"),
    (lambda lib: lib.ones(2, 3, 4).t_(), (RuntimeError, ValueError), "at most 2 axes"),
])
def test_in_place_shape_changes_refuse_bad_axes_as_torch(call, error, match):
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        call(torch)
    x = None
    with pytest.raises(error, match=match) as info:
        x = call(tg)
    assert x is None
    _one_line(info)


# ------------------------------------------------------------------ utils.benchmark.Timer


def _summary(measurement) -> list[str]:
    """The printed lines but the object's address and the times themselves."""
    lines = repr(measurement).splitlines()[1:]
    return [line for line in lines if not re.match(r"\s+(Median: )?[\d.]+ (ns|us|ms|s)$", line)
            and not line.lstrip().startswith(("IQR", "WARNING", "This"))]


@pytest.mark.parametrize("options", [
    dict(), dict(label="matmul", sub_label="4x4", description="vmap"),
    dict(sub_label="small"), dict(setup="y = 1", num_threads=2),
    dict(setup="import math\nz = 2"), dict(stmt="a = x\nb = a @ a")])
def test_timeit_measurement_as_torch(options):
    torch = pytest.importorskip("torch")
    benchmark = pytest.importorskip("torch.utils.benchmark")
    options = {"stmt": "x @ x", **options}
    ours = Timer(globals={"x": tg.randn(4, 4)}, **options).timeit(5)
    theirs = benchmark.Timer(globals={"x": torch.randn(4, 4)}, **options).timeit(5)
    assert isinstance(ours, Measurement) and ours.number_per_run == theirs.number_per_run == 5
    assert len(ours.times) == len(ours.raw_times) == 1 and ours.times[0] > 0
    assert ours.times[0] == pytest.approx(ours.raw_times[0] / 5)
    assert ours.mean == ours.median == ours.times[0] and ours.iqr == 0
    assert ours.title == theirs.title and not ours.has_warnings
    assert [line.strip() for line in _summary(ours) if line.strip()] == \
           [line.strip() for line in _summary(theirs) if line.strip()]
    assert repr(ours).startswith("<tinygrad_gd.utils.benchmark.Measurement object at ")


def test_timer_runs_setup_once_and_reads_the_globals():
    calls = []
    timer = tg.utils.benchmark.Timer(stmt="f()", setup="calls.append('setup')",
                                     globals={"f": lambda: calls.append(1), "calls": calls})
    timer.timeit(7)
    assert calls.count("setup") == 2 and calls.count(1) == 7 + 2  # (a warm-up, then 7)


def test_blocked_and_adaptive_autorange():
    timer = Timer(stmt="x + 1", globals={"x": tg.ones(3)})
    seen = []
    measured = timer.blocked_autorange(callback=lambda n, t: seen.append((n, t)),
                                       min_run_time=0.01)
    assert sum(measured.raw_times) >= 0.01 and len(seen) == len(measured.raw_times)
    assert math.log10(measured.number_per_run).is_integer()
    assert measured.median == pytest.approx(float(np.median(measured.times)))
    last = repr(measured).splitlines()
    assert any(re.fullmatch(rf"  {len(measured.times)} measurements?, "
                            rf"{measured.number_per_run} runs (per measurement,|,) 1 thread",
                            line) for line in last)
    adaptive = timer.adaptive_autorange(min_run_time=0.005, max_run_time=0.05)
    assert len(adaptive.times) >= 1 and adaptive.median > 0


@pytest.mark.parametrize("call, error, match", [
    (lambda: Timer(stmt=3), ValueError, "Timer: currently only a `str` stmt is supported"),
    (lambda: Timer(stmt="x", language="c++"), ValueError, "language='c++' is not supported"),
    (lambda: Timer(global_setup="x = 1"), ValueError, "global_setup is C++ only"),
    (lambda: Timer(num_threads=0), ValueError, "num_threads must be an int >= 1, got 0"),
    (lambda: Timer().timeit(0), ValueError, "timeit: number must be an int >= 1, got 0"),
    (lambda: Timer().blocked_autorange(min_run_time=0), ValueError,
     "blocked_autorange: min_run_time must be > 0, got 0"),
    (lambda: Timer().timeit(2.5), TypeError, "timeit: number must be an int, got float 2.5"),
])
def test_timer_bad_settings_are_named(call, error, match):
    with pytest.raises(error, match=re.escape(match)) as info:
        call()
    _one_line(info)


def test_a_failing_statement_raises_its_own_error_as_torch():
    benchmark = pytest.importorskip("torch.utils.benchmark")
    for make in (Timer, benchmark.Timer):
        with pytest.raises(NameError, match="undefined_name"):
            make(stmt="undefined_name").timeit(1)
        with warnings.catch_warnings(), pytest.raises(SyntaxError):
            make(stmt="1 +").timeit(1)


# ---- what the autograd notes' port met


@pytest.mark.parametrize("set_flag", [lambda t: t.requires_grad_("no"),
                                      lambda t: setattr(t, "requires_grad", "yes"),
                                      lambda t: t.requires_grad_(None)])
def test_requires_grad_takes_true_or_false_only(set_flag):
    # (requires_grad_("no") turned gradients on, and `t.requires_grad = "yes"` kept the str)
    torch = pytest.importorskip("torch")
    with pytest.raises((TypeError, RuntimeError)):
        set_flag(torch.ones(2))
    t = tg.ones(2)
    with pytest.raises(TypeError, match=r"requires_grad must be True or False, got "):
        set_flag(t)
    assert t.requires_grad is False
    model = tg.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"requires_grad must be True or False"):
        model.requires_grad_("no")


def test_an_integer_tensor_is_refused_when_the_flag_is_set_not_at_backward():
    t = tg.tensor([1, 2])
    with pytest.raises(TypeError, match=r"^requires_grad: only floating-point tensors"):
        t.requires_grad = True
    assert t.requires_grad is False


def test_sqrts_gradient_at_zero_is_pytorchs_without_numpys_warning():
    torch = pytest.importorskip("torch")
    x, tx = tg.tensor([0.0, 4.0], requires_grad=True), torch.tensor([0.0, 4.0],
                                                                    requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x.sqrt() * 0).sum().backward()
    (tx.sqrt() * 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
