"""PyTorch's names a user reaches for that were missing (thirty-fifth round, part A).

The first part needs no torch (CI has none): the functional recurrent cells and layers
(`tg.lstm_cell`, `tg.lstm`, ...) against the nn modules holding the same weights, NumPy's
formulas and gradcheck, their refusals; torch's kernels' names (`native_layer_norm`,
`grid_sampler`, ...) against the F functions and NumPy; `binomial`; the copies of views
(`select_copy`, ...); the small utilities (threads, `set_flush_denormal`,
`set_default_tensor_type`, `typename`, `frombuffer`, `from_file`, DLPack, `compile`,
`cond`, `while_loop`, the deprecated `range`), what cannot be set said so. The second part
runs each against torch 2.13 where it is installed.
"""
from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

from test_names_round34 import global_generator

RNG = np.random.default_rng(35)


# the global generator as the test found it (some tests here call tg.manual_seed)
pytestmark = pytest.mark.usefixtures(global_generator.__name__)


def _leaf(*shape):
    return tg.tensor(RNG.normal(size=shape), requires_grad=True)


def _values(t):
    return t.detach().numpy()


# -- functional recurrent steps and layers: the modules' values on the same weights ------
def test_the_cells_compute_the_formulas_and_the_modules_values():
    x, h, c = _leaf(4, 2), _leaf(4, 3), _leaf(4, 3)
    cell = nn.RNNCell(2, 3, seed=0)
    w = cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh
    expected = np.tanh(_values(x) @ _values(w[0]).T + _values(w[2]) + _values(h)
                       @ _values(w[1]).T + _values(w[3]))
    np.testing.assert_allclose(_values(tg.rnn_tanh_cell(x, h, *w)), expected)
    np.testing.assert_allclose(_values(tg.rnn_tanh_cell(x, h, *w)), _values(cell(x, h)))
    np.testing.assert_allclose(_values(tg.rnn_relu_cell(x, h, w[0], w[1])),
                               np.maximum(_values(x) @ _values(w[0]).T
                                          + _values(h) @ _values(w[1]).T, 0))
    lstm = nn.LSTMCell(2, 3, seed=1)
    got = tg.lstm_cell(x, (h, c), lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh)
    assert isinstance(got, tuple) and len(got) == 2
    for a, b in zip(got, lstm(x, (h, c))):
        np.testing.assert_allclose(_values(a), _values(b))
    gru = nn.GRUCell(2, 3, seed=2)
    np.testing.assert_allclose(
        _values(tg.gru_cell(x, h, gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh)),
        _values(gru(x, h)))


@pytest.mark.parametrize("name", ["rnn_tanh_cell", "rnn_relu_cell", "gru_cell", "lstm_cell"])
def test_the_cells_gradients_pass_gradcheck(name):
    gates = {"gru_cell": 3, "lstm_cell": 4}.get(name, 1)
    x, h, c = _leaf(2, 2), _leaf(2, 3), _leaf(2, 3)
    weights = _leaf(gates * 3, 2), _leaf(gates * 3, 3), _leaf(gates * 3), _leaf(gates * 3)
    function = getattr(tg, name)

    def step(x, h, c, *weights):
        out = function(x, (h, c) if name == "lstm_cell" else h, *weights)
        return out[0] + 2 * out[1] if name == "lstm_cell" else out

    assert tg.gradcheck(step, [x, h, c, *weights])


def _module_and_params(kind, bias, bidirectional, proj=0):
    options = dict(num_layers=2, bias=bias, bidirectional=bidirectional, seed=3)
    if proj:
        options["proj_size"] = proj
    module = getattr(nn, kind)(2, 3, **options)
    return module, [w for weights in module.all_weights for w in weights]


@pytest.mark.parametrize("kind, function", [("RNN", "rnn_tanh"), ("GRU", "gru"),
                                            ("LSTM", "lstm")])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_the_sequence_functions_give_the_modules_outputs_and_gradients(
        kind, function, bias, bidirectional, batch_first):
    module, params = _module_and_params(kind, bias, bidirectional)
    module.batch_first = batch_first
    rows = 2 * (2 if bidirectional else 1)
    x, h, c = _leaf(*((4, 5, 2) if batch_first else (5, 4, 2))), _leaf(rows, 4, 3), \
        _leaf(rows, 4, 3)
    hx = [h, c] if kind == "LSTM" else h
    got = getattr(tg, function)(x, hx, params, bias, 2, 0.0, False, bidirectional, batch_first)
    output, final = module(x, tuple(hx) if kind == "LSTM" else hx)
    expected = (output, *final) if kind == "LSTM" else (output, final)
    assert isinstance(got, tuple) and len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(_values(a), _values(b))
    sum((k + 1) * t.sum() for k, t in enumerate(got)).backward()
    grads = [t.grad.numpy().copy() for t in [x, h, c, *params] if t.grad is not None]
    for t in [x, h, c, *params]:
        t.grad = None
    sum((k + 1) * t.sum() for k, t in enumerate(expected)).backward()
    again = [t.grad.numpy() for t in [x, h, c, *params] if t.grad is not None]
    assert len(grads) == len(again) >= 4
    for a, b in zip(grads, again):
        np.testing.assert_allclose(a, b)


def test_lstm_with_a_projection_and_unbatched_input_and_the_packed_form():
    module, params = _module_and_params("LSTM", True, True, proj=2)
    x, h, c = _leaf(5, 2), _leaf(4, 2), _leaf(4, 3)  # (unbatched: (length, features))
    got = tg.lstm(x, [h, c], params, True, 2, 0.0, False, True, False)
    output, (h_n, c_n) = module(x, (h, c))
    for a, b in zip(got, (output, h_n, c_n)):
        np.testing.assert_allclose(_values(a), _values(b))
    # the packed form: data of the sequences sorted longest first, step by step
    gru, params = _module_and_params("GRU", True, False)
    sequences = [_leaf(3, 2), _leaf(2, 2), _leaf(1, 2)]
    packed = nn.utils.rnn.pack_sequence(sequences)
    h = _leaf(2, 3, 3)
    data, h_n = tg.gru(packed.data, packed.batch_sizes, h, params, True, 2, 0.0, False, False)
    output, expected = gru(packed, h)
    np.testing.assert_allclose(_values(data), _values(output.data))
    np.testing.assert_allclose(_values(h_n), _values(expected))


def test_the_sequence_functions_drop_out_between_layers_only_in_training():
    _, params = _module_and_params("GRU", True, False)
    x, h = _leaf(5, 4, 2), _leaf(2, 4, 3)
    tg.manual_seed(0)
    kept = tg.gru(x, h, params, True, 2, 0.5, False, False, False)
    dropped = tg.gru(x, h, params, True, 2, 0.5, True, False, False)
    assert not np.allclose(_values(kept[0]), _values(dropped[0]))
    again = tg.gru(x, h, params, True, 2, 0.5, False, False, False)
    np.testing.assert_allclose(_values(kept[0]), _values(again[0]))


@pytest.mark.parametrize("call, error, said", [
    (lambda x, h, p: tg.rnn_tanh_cell(x, h, p[0], p[1][:, :2]), tg.ShapeError,
     "rnn_tanh_cell: w_hh of shape (3, 2) does not fit; expected (3, 3)"),
    (lambda x, h, p: tg.rnn_tanh_cell(x, h[:1], p[0], p[1]), tg.ShapeError,
     "rnn_tanh_cell: hx of shape (1, 3) does not fit input of shape (4, 2)"),
    (lambda x, h, p: tg.lstm_cell(x, h, p[0], p[1]), TypeError,
     "lstm_cell: hx must be a tuple or list (h, c) of two tensors, got Tensor"),
    (lambda x, h, p: tg.gru_cell(x.tolist(), h, p[0], p[1]), TypeError,
     "gru_cell: input must be a Tensor, got list"),
    (lambda x, h, p: tg.rnn_tanh(x[None], h[None], p[:1], False, 1, 0.0, False, False,
                                 False), ValueError,
     "rnn_tanh: got 1 params; expected 2: 1 layers and directions of w_ih, w_hh"),
    (lambda x, h, p: tg.rnn_tanh(x[None], h[None], p, False, 1, 1.5, False, False, False),
     ValueError, "rnn_tanh: dropout is the probability of zeroing an entry"),
    (lambda x, h, p: tg.lstm(x[None], h[None], p, False, 1, 0.0, False, False, False),
     TypeError, "lstm: hx must be a list [h_0, c_0] of two tensors, got Tensor"),
    (lambda x, h, p: tg.rnn_tanh(x[None], h, p, False, 1, 0.0, False, False, False),
     tg.ShapeError, "rnn_tanh: hx of shape (4, 3) does not fit input of shape (1, 4, 2)"),
    (lambda x, h, p: tg.rnn_relu(x[None], h[None], p[::-1], False, 1, 0.0, False, False,
                                 False),
     tg.ShapeError, "rnn_relu: w_ih (params group 0) of shape (3, 3) does not fit; expected "
                    "(3, 2)"),
])
def test_the_recurrent_functions_refuse_in_one_line(call, error, said):
    x, h, params = _leaf(4, 2), _leaf(4, 3), [_leaf(3, 2), _leaf(3, 3)]
    with pytest.raises(error) as info:
        call(x, h, params)
    assert said in str(info.value) and "\n" not in str(info.value)


# -- torch's kernels' names: the F functions' values, torch's tuples ---------------------
def test_native_layer_and_batch_norm_give_the_output_and_the_saved_statistics():
    x, w, b = _leaf(2, 3, 4), _leaf(4), _leaf(4)
    out, mean, rstd = tg.native_layer_norm(x, [4], w, b, 1e-5)
    np.testing.assert_allclose(_values(out), _values(nn.functional.layer_norm(x, [4], w, b)))
    data = _values(x)
    np.testing.assert_allclose(mean.numpy(), data.mean(-1, keepdims=True))
    np.testing.assert_allclose(rstd.numpy(), 1 / np.sqrt(data.var(-1, keepdims=True) + 1e-5))
    assert not mean.requires_grad and not rstd.requires_grad and out.requires_grad
    running_mean, running_var = tg.zeros(3, dtype=tg.float64), tg.ones(3, dtype=tg.float64)
    out, save_mean, save_invstd = tg.native_batch_norm(x, None, None, running_mean,
                                                       running_var, True, 0.1, 1e-5)
    np.testing.assert_allclose(save_mean.numpy(), data.mean((0, 2)))
    np.testing.assert_allclose(save_invstd.numpy(), 1 / np.sqrt(data.var((0, 2)) + 1e-5))
    np.testing.assert_allclose(running_mean.numpy(), 0.1 * data.mean((0, 2)))
    out, save_mean, save_invstd = tg.native_batch_norm(x, None, None, running_mean,
                                                       running_var, False, 0.1, 1e-5)
    assert save_mean.shape == save_invstd.shape == (0,)
    np.testing.assert_allclose(_values(out), _values(nn.functional.batch_norm(
        x, running_mean, running_var)))


def test_native_group_norm_checks_its_sizes_and_differentiates_its_statistics():
    x, w, b = _leaf(2, 4, 3), _leaf(4), _leaf(4)
    out, mean, rstd = tg.native_group_norm(x, w, b, 2, 4, 3, 2, 1e-5)
    grouped = _values(x).reshape(2, 2, 6)
    np.testing.assert_allclose(mean.numpy(), grouped.mean(-1))
    np.testing.assert_allclose(rstd.numpy(), 1 / np.sqrt(grouped.var(-1) + 1e-5))
    np.testing.assert_allclose(_values(out), _values(nn.functional.group_norm(x, 2, w, b)))
    assert tg.gradcheck(lambda x, w, b: sum(t.sum() * (k + 1) for k, t in enumerate(
        tg.native_group_norm(x, w, b, 2, 4, 3, 2, 1e-5))), [x, w, b])
    with pytest.raises(tg.ShapeError, match=r"native_group_norm: N, C, HxW = \(2, 4, 4\) do "
                                            r"not describe input of shape \(2, 4, 3\)"):
        tg.native_group_norm(x, w, b, 2, 4, 4, 2, 1e-5)


def test_grid_sampler_takes_torchs_codes():
    input, grid = _leaf(1, 2, 4, 5), tg.tensor(RNG.uniform(-1.2, 1.2, (1, 3, 3, 2)))
    for m, mode in enumerate(("bilinear", "nearest", "bicubic")):
        for p, padding in enumerate(("zeros", "border", "reflection")):
            expected = nn.functional.grid_sample(input, grid, mode, padding, True)
            np.testing.assert_allclose(_values(tg.grid_sampler(input, grid, m, p, True)),
                                       _values(expected))
            np.testing.assert_allclose(_values(tg.grid_sampler_2d(input, grid, m, p, True)),
                                       _values(expected))
    theta = _leaf(1, 2, 3)
    np.testing.assert_allclose(
        _values(tg.affine_grid_generator(theta, (1, 2, 3, 3), False)),
        _values(nn.functional.affine_grid(theta, (1, 2, 3, 3), align_corners=False)))
    with pytest.raises(ValueError, match=r"grid_sampler: interpolation_mode must be 0 "
                                         r"\(bilinear\), 1 \(nearest\), 2 \(bicubic\), got 3"):
        tg.grid_sampler(input, grid, 3, 0, False)
    with pytest.raises(tg.ShapeError, match=r"grid_sampler_3d: expected a 5-d input, got "
                                            r"shape \(1, 2, 4, 5\)"):
        tg.grid_sampler_3d(input, grid, 0, 0, False)


def test_norm_except_dim_and_embedding_renorm_():
    v = _leaf(3, 4, 2)
    data = _values(v)
    np.testing.assert_allclose(_values(tg.norm_except_dim(v)),
                               np.sqrt((data ** 2).sum((1, 2), keepdims=True)))
    np.testing.assert_allclose(_values(tg.norm_except_dim(v, 3, 1)),
                               (np.abs(data) ** 3).sum((0, 2), keepdims=True) ** (1 / 3))
    np.testing.assert_allclose(_values(tg.norm_except_dim(v, 2, -1)), np.linalg.norm(data))
    assert tg.gradcheck(lambda v: tg.norm_except_dim(v, 3, 2), [v])
    weight = _leaf(5, 3)
    before = _values(weight).copy()
    with tg.no_grad():
        assert tg.embedding_renorm_(weight, tg.tensor([0, 3, 3]), 0.5, 2.0) is weight
    norms = np.linalg.norm(before, axis=1)
    expected = before.copy()
    expected[[0, 3]] *= (0.5 / (norms[[0, 3]] + 1e-7))[:, None]
    np.testing.assert_allclose(_values(weight), expected)
    with pytest.raises(RuntimeError, match="embedding_renorm_: writing into a leaf tensor "
                                           "that requires a gradient"):
        tg.embedding_renorm_(weight, tg.tensor([1]), 0.5, 2.0)


def test_native_dropout_and_the_dropouts_spellings():
    x = tg.ones(400, 5, dtype=tg.float64, requires_grad=True)
    tg.manual_seed(1)
    out, mask = tg.native_dropout(x, 0.25, True)
    assert mask.dtype == np.bool_ and 0.65 < mask.numpy().mean() < 0.85
    np.testing.assert_allclose(_values(out), mask.numpy() / 0.75)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), mask.numpy() / 0.75)
    out, mask = tg.native_dropout(x, 0.25, False)
    assert mask.numpy().all() and np.array_equal(_values(out), _values(x))
    channels = tg.feature_dropout(tg.ones(6, 4, 3), 0.5, True).numpy()
    assert set(np.unique(channels)) <= {0.0, 2.0} and (channels == channels[..., :1]).all()
    with pytest.raises(tg.ShapeError, match="feature_dropout: feature dropout drops whole "
                                            "channels"):
        tg.feature_dropout(tg.ones(3), 0.5, True)
    y = tg.ones(3, 4)
    assert tg.dropout_(y, 0.5, True) is y and set(np.unique(y.numpy())) <= {0.0, 2.0}
    assert tg.alpha_dropout_(y, 0.5, False) is y and tg.feature_dropout_(y, 0.0, True) is y
    with pytest.raises(RuntimeError, match="dropout_: writing into a leaf tensor"):
        tg.dropout_(x, 0.5, True)
    z = x * 1.0
    tg.feature_alpha_dropout_(z, 0.5, True)
    z.sum().backward()  # (recorded: the gradient of the values written)
    assert np.isfinite(x.grad.numpy()).all()


# -- binomial and the copies of views ---------------------------------------------------
def test_binomial_draws_from_its_generator_and_refuses_what_torch_draws_garbage_for():
    count, prob = tg.full((4000,), 20.0), tg.tensor([0.1, 0.5, 0.9, 1.0] * 1000)
    drawn = tg.binomial(count, prob, generator=np.random.default_rng(5))
    assert drawn.dtype == np.float64 and not drawn.requires_grad
    np.testing.assert_array_equal(drawn.numpy(), tg.binomial(
        count, prob, generator=np.random.default_rng(5)).numpy())
    means = drawn.numpy().reshape(1000, 4).mean(0)
    np.testing.assert_allclose(means, [2, 10, 18, 20], atol=0.5)
    tg.manual_seed(7)
    first = tg.binomial(tg.tensor([[3.0], [5.0]]), tg.tensor([0.2, 0.7]))
    tg.manual_seed(7)
    assert first.shape == (2, 2) and np.array_equal(first.numpy(), tg.binomial(
        tg.tensor([[3.0], [5.0]]), tg.tensor([0.2, 0.7])).numpy())
    for count, prob, error, said in (
            (tg.tensor([3, 4]), tg.tensor([0.5, 0.5]), TypeError, "count and prob must be "
                                                                  "float tensors"),
            (tg.tensor([3.0]), tg.tensor([1.5]), ValueError, "probabilities must be in [0, 1],"
                                                             " got 1.5"),
            (tg.tensor([-1.0]), tg.tensor([0.5]), ValueError, "counts must be whole numbers "
                                                              ">= 0, got -1.0"),
            (tg.tensor([1.0, 2.0, 3.0]), tg.tensor([0.5, 0.5]), ValueError, "do not broadcast")):
        with pytest.raises(error) as info:
            tg.binomial(count, prob)
        assert str(info.value).startswith("binomial: ") and said in str(info.value)


def test_select_slice_split_and_detach_copy_are_copies_with_the_views_gradients():
    x = _leaf(3, 4)
    data = _values(x)
    np.testing.assert_array_equal(_values(tg.select_copy(x, 1, -1)), data[:, -1])
    np.testing.assert_array_equal(_values(tg.slice_copy(x, 1, 1, None, 2)), data[:, 1::2])
    np.testing.assert_array_equal(_values(tg.slice_copy(x, 0, -5, 100)), data)
    np.testing.assert_array_equal(_values(tg.slice_copy(x)), data)
    pieces = tg.split_copy(x, 3, 1)
    assert isinstance(pieces, tuple) and [p.shape for p in pieces] == [(3, 3), (3, 1)]
    copy = tg.detach_copy(x)
    assert not copy.requires_grad and np.array_equal(copy.numpy(), data)
    copy[0, 0] = 100.0
    assert _values(x)[0, 0] == data[0, 0]
    (tg.slice_copy(x, 1, 1, None, 2) ** 2).sum().backward()
    expected = np.zeros_like(data)
    expected[:, 1::2] = 2 * data[:, 1::2]
    np.testing.assert_allclose(x.grad.numpy(), expected)
    for call, error, said in (
            (lambda: tg.slice_copy(x, 1, 0, 3, 0), ValueError,
             "slice_copy: step must be positive, got 0"),
            (lambda: tg.slice_copy(x, 2), IndexError,
             "slice_copy: dim 2 is out of range for an input of shape (3, 4)"),
            (lambda: tg.select_copy(x, 0, 5), IndexError, "select_copy: index 5 is out of "
                                                          "range")):
        with pytest.raises(error) as info:
            call()
        assert str(info.value).startswith(said)


# -- small utilities: what can be set here, and what cannot, said so ---------------------
@pytest.mark.parametrize("threadpoolctl", [True, False])
def test_the_thread_counts_and_flush_denormal_say_what_runs(monkeypatch, threadpoolctl):
    if not threadpoolctl:  # (where it is missing, what the environment gave at load)
        monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    running = tg.get_num_threads()
    assert running >= 1 and tg.get_num_interop_threads() == 1
    if threadpoolctl:  # (where it is installed: what NumPy's BLAS says it runs)
        info = pytest.importorskip("threadpoolctl").threadpool_info()
        counts = [lib["num_threads"] for lib in info if lib["user_api"] == "blas"]
        assert running in counts or not counts  # (no BLAS it can see, macOS's: as below)
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.setenv(name, str(running + 5))  # (set after NumPy loaded: no effect)
    assert tg.get_num_threads() == running
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.set_num_threads(running)  # (the count running: quiet)
        tg.set_num_interop_threads(1)
    with pytest.warns(UserWarning, match=rf"set_num_threads\({running + 5}\): NumPy's BLAS "
                                         rf"runs with {running} threads, fixed when NumPy "
                                         rf"loaded; set OMP_NUM_THREADS={running + 5} before "
                                         r"Python starts"):
        tg.set_num_threads(running + 5)
    assert tg.get_num_threads() == running  # (what runs, not what was asked)
    with pytest.warns(UserWarning, match="set_num_interop_threads"):
        tg.set_num_interop_threads(4)
    for call in (lambda: tg.set_num_threads(0), lambda: tg.set_num_interop_threads(True)):
        with pytest.raises(RuntimeError, match="expects a positive integer"):
            call()
    assert tg.set_flush_denormal(True) is False and tg.set_flush_denormal(False) is False
    tiny = np.float64(5e-324)
    assert (tg.tensor([tiny]) * 1.0).numpy()[0] == tiny  # (denormals kept, as said)


def test_warn_always_and_the_default_tensor_type():
    assert tg.is_warn_always_enabled() is False
    tg.set_warn_always(True)
    assert tg.is_warn_always_enabled() is True
    tg.set_warn_always(False)
    with pytest.raises(TypeError, match="set_warn_always: b must be True or False"):
        tg.set_warn_always("yes")
    try:
        for given, dtype in ((tg.FloatTensor, np.float32), ("torch.DoubleTensor", np.float64),
                             ("FloatTensor", np.float32), (tg.DoubleTensor, np.float64)):
            with pytest.warns(UserWarning, match=r"set_default_tensor_type\(\) is deprecated"):
                tg.set_default_tensor_type(given)
            assert tg.get_default_dtype() == dtype and tg.zeros(1).dtype == dtype
        for given, said in ((tg.LongTensor, "only floating-point types are supported as the "
                                            "default type, got LongTensor"),
                            ("torch.cuda.FloatTensor", "expected a tensor type such as"),
                            (tg.float32, "expected a tensor type such as")):
            with pytest.warns(UserWarning), pytest.raises(TypeError, match=said):
                tg.set_default_tensor_type(given)
    finally:
        tg.set_default_dtype(tg.float64)


def test_typename_is_storage_and_the_ways_in_and_out_of_memory(tmp_path):
    x = tg.tensor([1.0, 2.0])
    assert tg.typename(x) == x.type() == "tinygrad_gd.DoubleTensor"
    assert tg.typename(nn.Linear) == tg.typename(nn.Linear(1, 1)) == \
        f"{nn.Linear.__module__}.Linear"
    assert (tg.typename(3), tg.typename(len), tg.typename(int)) == ("int", "len", "int")
    assert tg.is_storage(x.untyped_storage()) and not tg.is_storage(x)
    array = np.arange(4.0)
    y = tg.from_dlpack(array)
    array[0] = 9.0  # (a copy: the write does not reach y)
    assert y.numpy().tolist() == [0.0, 1.0, 2.0, 3.0] and y.dtype == np.float64
    assert tg.from_dlpack(tg.to_dlpack(x)).numpy().tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__"):
        tg.from_dlpack([1.0])
    data = bytearray(np.array([1.5, -2.0, 3.25], np.float32).tobytes())
    z = tg.frombuffer(data, dtype=tg.float32, count=2, offset=4, requires_grad=True)
    assert z.numpy().tolist() == [-2.0, 3.25] and z.requires_grad and z.dtype == np.float32
    for kwargs, said in (({"dtype": tg.float32, "offset": 12}, "offset (12 bytes) must be "
                                                                 "non-negative"),
                         ({"dtype": tg.float64}, "buffer length (12 bytes) after offset (0 "
                                                 "bytes) must be a multiple of element size "
                                                 "(8)"),
                         ({"dtype": tg.float32, "count": 4}, "4 entries of float32 from "
                                                             "byte 0 need 16 bytes")):
        with pytest.raises(ValueError, match=re.escape(said)):
            tg.frombuffer(data, **kwargs)
    path = tmp_path / "values.bin"
    np.arange(5.0).tofile(path)
    assert tg.from_file(str(path), size=3).numpy().tolist() == [0.0, 1.0, 2.0]
    assert tg.from_file(str(path), False, 2, dtype=tg.float64).shape == (2,)
    with pytest.raises(ValueError, match="from_file: shared=True maps the file"):
        tg.from_file(str(path), True, 2)
    with pytest.raises(ValueError, match="from_file: 6 entries of float64 need 48 bytes"):
        tg.from_file(str(path), size=6)
    with pytest.raises(FileNotFoundError, match="from_file: cannot read .*No such file"):
        tg.from_file(str(tmp_path / "missing.bin"), size=1)
    with pytest.raises(TypeError, match="from_file: filename must be a path"):
        tg.from_file(3, size=1)  # (not a file descriptor)


def test_compile_cond_while_loop_and_range_run_eagerly():
    def double(a):
        return a * 2

    model = nn.Linear(2, 1)
    assert tg.compile(double) is double and tg.compile(model) is model
    assert tg.compile(mode="max-autotune", fullgraph=True)(double) is double
    x = _leaf(3)
    out = tg.cond(x.sum() > -100, lambda a: (a * a).sum(), lambda a: a.sum(), (x,))
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * _values(x))
    assert tg.cond(False, lambda: 1, lambda: 2) == 2
    count, total = tg.while_loop(lambda i, t: i < 4, lambda i, t: (i + 1, t * 2), (0, x))
    assert count == 4
    np.testing.assert_allclose(_values(total), 16 * _values(x))
    with pytest.raises(ValueError, match="cond: the predicate must be one value, got a "
                                         r"tensor of shape \(3,\)"):
        tg.cond(x > 0, lambda a: a, lambda a: a, (x,))
    with pytest.raises(ValueError, match="while_loop: body_fn returned 1 values for 2"):
        tg.while_loop(lambda i, t: i < 1, lambda i, t: (i + 1,), (0, x))
    with pytest.warns(UserWarning, match="range is deprecated"):
        values = tg.range(1, 2, 0.25)
    np.testing.assert_allclose(values.numpy(), [1.0, 1.25, 1.5, 1.75, 2.0])
    assert values.dtype == tg.get_default_dtype()
    with pytest.warns(UserWarning):
        assert tg.range(3, 0, -1, dtype=tg.int64).numpy().tolist() == [3, 2, 1, 0]
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="range: step must be "
                                                                    "nonzero"):
        tg.range(0, 1, 0)
    assert "range" not in tg.__all__ and "compile" not in tg.__all__
    names = {}
    exec("from tinygrad_gd import *", names)  # (Python's range and compile are kept)
    assert "range" not in names and "compile" not in names


# -- the last round's two loose ends ----------------------------------------------------
def test_new_tensor_and_nuclear_norm_name_what_the_user_called():
    x = tg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match=r"^new_tensor\(\): a tensor in the data requires a "
                                         r"gradient"):
        copy = x.new_tensor(x)
    assert not copy.requires_grad and copy.dtype == x.dtype
    with pytest.raises(TypeError, match=r"^new_tensor\(\): requires_grad must be True or "
                                        r"False"):
        x.new_tensor([1.0], requires_grad=1)
    assert x.new_tensor([1.0, 2.0], requires_grad=True).requires_grad
    for given in (tg.ones(3), np.ones(3), [1.0, 2.0, 3.0]):
        with pytest.raises(ValueError) as info:
            tg.nuclear_norm(given)
        assert str(info.value) == ("nuclear_norm: input must have at least 2 dimensions (a "
                                   "matrix or a batch of them), got shape (3,)")


# -- the review's mends: zero norms, batch_sizes, h and c, the hints ---------------------
def test_norm_except_dim_of_a_zero_slice_has_gradient_zero_and_pow_0_counts():
    values = np.zeros((2, 3))
    values[1] = [1.0, -2.0, 0.0]
    v = tg.tensor(values, requires_grad=True)
    tg.norm_except_dim(v, 2, 0).sum().backward()
    expected = np.zeros_like(values)
    expected[1] = values[1] / np.linalg.norm(values[1])
    np.testing.assert_allclose(v.grad.numpy(), expected)  # (the zero row: 0, not NaN)
    for pow in (3, 4, 1):  # (integer orders only, as torch.norm_except_dim)
        v.grad = None
        tg.norm_except_dim(v, pow, 1).sum().backward()
        assert np.isfinite(v.grad.numpy()).all()
    zeros = tg.zeros(2, 3, requires_grad=True)
    tg.norm_except_dim(zeros, 2, -1).backward()
    assert zeros.grad.numpy().tolist() == [[0.0] * 3] * 2
    np.testing.assert_array_equal(_values(tg.norm_except_dim(v, 0, 0)),
                                  np.count_nonzero(values, axis=1)[:, None])
    assert _values(tg.norm_except_dim(v, 0, -1)) == np.count_nonzero(values)
    np.testing.assert_array_equal(_values(tg.norm_except_dim(tg.tensor([2.0, 0.0, -3.0]), 0)),
                                  [1.0, 0.0, 1.0])  # (1-d: each entry's own norm)


def _packed_call(name, sizes, rows=3):
    """torch's packed form of `name` on `rows` steps of data, 2 features, hidden size 4."""
    gates = {"lstm": 4, "gru": 3}.get(name, 1)
    params = [_leaf(gates * 4, 2), _leaf(gates * 4, 4), _leaf(gates * 4), _leaf(gates * 4)]
    h = _leaf(1, 2, 4)
    hx = [h, _leaf(1, 2, 4)] if name == "lstm" else h
    return lambda: getattr(tg, name)(_leaf(rows, 2), sizes, hx, params, True, 1, 0.0, False,
                                     False)


@pytest.mark.parametrize("name", ["rnn_tanh", "rnn_relu", "gru", "lstm"])
@pytest.mark.parametrize("sizes, shown", [
    (tg.tensor([1, 2]), "got [1, 2] (int64)"),  # (increasing: torch refuses too)
    (tg.Tensor([2.0, 1.0]), "got [2.0, 1.0] (float64)"),
    (tg.tensor([2, 2]), "got [2, 2] (int64)"),  # (4 rows said, data has 3)
    (tg.tensor([3, 0]), "got [3, 0] (int64)"),
    (tg.tensor([[2, 1]]), "got shape (1, 2) (int64)"),
    ([2, 1], "got list")])
def test_the_packed_forms_refuse_batch_sizes_that_do_not_fit(name, sizes, shown):
    if name == "lstm" and isinstance(sizes, list):  # (a list there is the input form's hx)
        with pytest.raises(TypeError, match=re.escape("lstm: hx[0] must be a Tensor, got int")):
            _packed_call(name, sizes)()
        return
    with pytest.raises(ValueError) as info:
        _packed_call(name, sizes)()
    said = str(info.value)
    assert said.startswith(f"{name}: batch_sizes must be a 1-d integer tensor of counts >= 1, "
                           f"non-increasing (the sequences sorted longest first) and summing "
                           f"to data's 3 rows; {shown}") and "\n" not in said
    assert said.endswith("pack the batch with nn.utils.rnn.pack_padded_sequence and pass its "
                         "batch_sizes")
    output = _packed_call(name, tg.tensor([2, 1]))()  # (sizes that fit run)
    assert output[0].shape == (3, 4) and output[1].shape == (1, 2, 4)


def test_lstm_cell_refuses_h_and_c_of_different_sizes():
    x, h, c = _leaf(2, 3), _leaf(2, 2), _leaf(2, 4)
    with pytest.raises(tg.ShapeError) as info:
        tg.lstm_cell(x, (h, c), _leaf(16, 3), _leaf(16, 2))
    assert str(info.value) == ("lstm_cell: hx[1] (c) of shape (2, 4) does not fit hx[0] (h) "
                               "of shape (2, 2); give h and c the same shape (batch, "
                               "hidden_size)")


def test_requires_grad_on_integers_gives_advice_that_can_be_followed(tmp_path):
    x = tg.zeros(2, dtype=tg.int64)
    with pytest.raises(TypeError) as info:
        x.new_tensor([1, 2], requires_grad=True)  # (dtype left out: x's int64)
    assert str(info.value) == ("new_tensor(): requires_grad=True needs a float dtype, got "
                               "int64; pass dtype='float64' (the dtype is x's, int64)")
    assert x.new_tensor([1, 2], dtype="float64", requires_grad=True).requires_grad
    with pytest.raises(TypeError, match=re.escape(
            "got int32; pass dtype='float64' (x's dtype is int64 too)")):
        x.new_zeros(2, dtype=tg.int32, requires_grad=True)
    data = np.array([3, -1], np.int16)
    path = tmp_path / "values.bin"
    data.tofile(path)
    for name, call in (
            ("frombuffer", lambda: tg.frombuffer(data.tobytes(), dtype=tg.int16,
                                                 requires_grad=True)),
            ("from_file", lambda: tg.from_file(str(path), size=2, dtype=tg.int16,
                                               requires_grad=True))):
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value) == (
            f"{name}: requires_grad=True needs a float dtype, got int16; dtype= says how the "
            f"bytes are read (float64 would read other values); convert the result: "
            f"tg.{name}(...).to(tg.float64).requires_grad_()")
    followed = tg.frombuffer(data.tobytes(), dtype=tg.int16).to(tg.float64).requires_grad_()
    assert followed.requires_grad and followed.numpy().tolist() == [3.0, -1.0]


# == against torch 2.13, where it is installed ============================================
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _pair(torch, *shape):
    values = RNG.normal(size=shape)
    return tg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


def _same(ours, theirs):
    np.testing.assert_allclose(_values(ours), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, gates", [("rnn_tanh_cell", 1), ("rnn_relu_cell", 1),
                                         ("gru_cell", 3), ("lstm_cell", 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_the_cells_values_and_gradients_are_torchs(torch, name, gates, bias):
    pairs = [_pair(torch, 4, 2), _pair(torch, 4, 3), _pair(torch, 4, 3),
             _pair(torch, gates * 3, 2), _pair(torch, gates * 3, 3)]
    pairs += [_pair(torch, gates * 3), _pair(torch, gates * 3)] if bias else []
    results = []
    for side, library in ((0, tg), (1, torch)):
        x, h, c, *weights = [p[side] for p in pairs]
        out = getattr(library, name)(x, [h, c] if gates == 4 else h, *weights)
        out = out if gates == 4 else (out,)
        sum((k + 1) * t.sum() for k, t in enumerate(out)).backward()
        results.append(out)
    for a, b in zip(*results):
        _same(a, b)
    for ours, theirs in pairs[:2] + pairs[3:] + (pairs[2:3] if gates == 4 else []):
        _same(ours.grad, theirs.grad)


@pytest.mark.parametrize("name, gates, bias, bidirectional, batch_first, proj", [
    (name, gates) + options for name, gates in (("rnn_tanh", 1), ("rnn_relu", 1), ("gru", 3),
                                                ("lstm", 4))
    for options in ((True, False, False, 0), (False, True, False, 0), (True, True, True, 0))
] + [("lstm", 4, True, True, False, 2), ("lstm", 4, False, False, True, 2)])
def test_the_sequence_functions_are_torchs(torch, name, gates, bias, bidirectional,
                                            batch_first, proj):
    directions, state = 2 if bidirectional else 1, proj or 3
    pairs = [_pair(torch, *((4, 5, 2) if batch_first else (5, 4, 2))),
             _pair(torch, 2 * directions, 4, state), _pair(torch, 2 * directions, 4, 3)]
    for layer in range(2):
        for _ in range(directions):
            shapes = [(gates * 3, 2 if layer == 0 else state * directions), (gates * 3, state)]
            shapes += [(gates * 3,), (gates * 3,)] if bias else []
            pairs += [_pair(torch, *shape) for shape in shapes + ([(state, 3)] if proj else [])]
    results = []
    for side, library in ((0, tg), (1, torch)):
        x, h, c, *params = [p[side] for p in pairs]
        out = getattr(library, name)(x, [h, c] if gates == 4 else h, params, bias, 2, 0.0,
                                     False, bidirectional, batch_first)
        sum((k + 1) * t.sum() for k, t in enumerate(out)).backward()
        results.append(out)
    assert len(results[0]) == len(results[1]) == (3 if gates == 4 else 2)
    for a, b in zip(*results):
        _same(a, b)
    for ours, theirs in pairs[:2] + pairs[3:] + (pairs[2:3] if gates == 4 else []):
        _same(ours.grad, theirs.grad)


@pytest.mark.parametrize("name, gates", [("rnn_tanh", 1), ("gru", 3), ("lstm", 4)])
def test_the_packed_forms_are_torchs(torch, name, gates):
    sizes = [3, 3, 2, 1]
    pairs = [_pair(torch, sum(sizes), 2), _pair(torch, 2, 3, 3), _pair(torch, 2, 3, 3)]
    for _ in range(2):
        pairs += [_pair(torch, *s) for s in [(gates * 3, 2), (gates * 3, 3), (gates * 3,),
                                              (gates * 3,)]]
    results = []
    for side, library in ((0, tg), (1, torch)):
        x, h, c, *params = [p[side] for p in pairs]
        out = getattr(library, name)(x, library.tensor(sizes), [h, c] if gates == 4 else h,
                                     params, True, 1, 0.0, False, True)
        sum((k + 1) * t.sum() for k, t in enumerate(out)).backward()
        results.append(out)
    for a, b in zip(*results):
        _same(a, b)
    for ours, theirs in pairs[:2] + pairs[3:]:
        _same(ours.grad, theirs.grad)


def test_the_kernels_names_give_torchs_tuples(torch):
    x, xt = _pair(torch, 2, 4, 3)
    w, wt = _pair(torch, 4)
    b, bt = _pair(torch, 4)
    for ours, theirs in (
            (tg.native_layer_norm(x, [4, 3], None, b[:3].reshape(1, 3).expand(4, 3), 1e-5),
             torch.native_layer_norm(xt, [4, 3], None, bt[:3].reshape(1, 3).expand(4, 3),
                                     1e-5)),
            (tg.native_group_norm(x, w, b, 2, 4, 3, 2, 1e-5),
             torch.native_group_norm(xt, wt, bt, 2, 4, 3, 2, 1e-5)),
            (tg.native_batch_norm(x, w, b, None, None, True, 0.1, 1e-5),
             torch.native_batch_norm(xt, wt, bt, None, None, True, 0.1, 1e-5))):
        assert isinstance(ours, tuple) and len(ours) == len(theirs) == 3
        for a, t in zip(ours, theirs):
            assert a.shape == tuple(t.shape) and a.requires_grad == t.requires_grad
            _same(a, t)
        sum((k + 1) * (a * a).sum() for k, a in enumerate(ours) if a.requires_grad).backward()
        sum((k + 1) * (t * t).sum() for k, t in enumerate(theirs) if t.requires_grad).backward()
        for a, t in ((x, xt), (w, wt), (b, bt)):
            assert (a.grad is None) == (t.grad is None)
            if t.grad is not None:
                _same(a.grad, t.grad)
            a.grad, t.grad = None, None
    running = [tg.zeros(4, dtype=tg.float64), tg.ones(4, dtype=tg.float64)]
    running_t = [torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)]
    for training in (True, False):
        ours = tg.native_batch_norm(x, w, b, *running, training, 0.3, 1e-3)
        theirs = torch.native_batch_norm(xt, wt, bt, *running_t, training, 0.3, 1e-3)
        for a, t in zip([*ours, *running], [*theirs, *running_t]):
            assert a.shape == tuple(t.shape)
            _same(a, t)


def test_grid_sampler_norm_except_dim_and_embedding_renorm_are_torchs(torch):
    input, input_t = _pair(torch, 1, 2, 4, 5)
    values = RNG.uniform(-1.2, 1.2, (1, 3, 3, 2))
    grid, grid_t = tg.tensor(values, requires_grad=True), torch.tensor(values,
                                                                       requires_grad=True)
    for m in range(3):
        for p in range(3):
            ours = tg.grid_sampler(input, grid, m, p, False)
            theirs = torch.grid_sampler(input_t, grid_t, m, p, False)
            _same(ours, theirs)
            (ours * ours).sum().backward()
            (theirs * theirs).sum().backward()
            _same(input.grad, input_t.grad)
            np.testing.assert_allclose(grid.grad.numpy(), grid_t.grad.numpy(), atol=1e-9)
    volume, volume_t = _pair(torch, 1, 2, 3, 4, 5)
    points = RNG.uniform(-1, 1, (1, 2, 3, 2, 3))
    _same(tg.grid_sampler_3d(volume, tg.tensor(points), 0, 2, True),
          torch.grid_sampler_3d(volume_t, torch.tensor(points), 0, 2, True))
    theta, theta_t = _pair(torch, 2, 3, 4)
    _same(tg.affine_grid_generator(theta, [2, 1, 2, 3, 4], True),
          torch.affine_grid_generator(theta_t, [2, 1, 2, 3, 4], True))
    v, v_t = _pair(torch, 3, 4, 2)
    for pow, dim in ((2, 0), (3, 1), (2, 2), (3, -1), (2, -2)):
        ours, theirs = tg.norm_except_dim(v, pow, dim), torch.norm_except_dim(v_t, pow, dim)
        assert ours.shape == tuple(theirs.shape)
        _same(ours, theirs)
        ours.sum().backward()
        theirs.sum().backward()
        _same(v.grad, v_t.grad)
    weight, weight_t = _pair(torch, 6, 3)
    with tg.no_grad():
        tg.embedding_renorm_(weight, tg.tensor([0, 2, 2, 5]), 0.8, 1.0)
    with torch.no_grad():
        torch.embedding_renorm_(weight_t, torch.tensor([0, 2, 2, 5]), 0.8, 1.0)
    _same(weight, weight_t)
    with pytest.raises(RuntimeError):  # (both refuse a leaf that requires grad)
        torch.embedding_renorm_(weight_t, torch.tensor([0]), 0.8, 1.0)
    with pytest.raises(RuntimeError):
        tg.embedding_renorm_(weight, tg.tensor([0]), 0.8, 1.0)


def test_the_copies_are_torchs(torch):
    x, x_t = _pair(torch, 3, 5)
    for ours, theirs in ((tg.select_copy(x, 1, 2), torch.select_copy(x_t, 1, 2)),
                         (tg.slice_copy(x, 1, -4, 9, 2), torch.slice_copy(x_t, 1, -4, 9, 2)),
                         (tg.slice_copy(x, 0, 1), torch.slice_copy(x_t, 0, 1))):
        assert ours.shape == tuple(theirs.shape) and ours.requires_grad == theirs.requires_grad
        _same(ours, theirs)
    # (torch's detach_copy of a tensor that requires grad says it requires grad, its
    # grad_fn NotImplemented: ours needs none, as x.detach())
    _same(tg.detach_copy(x), torch.detach_copy(x_t))
    ours, theirs = tg.split_copy(x, 2, 1), torch.split_copy(x_t, 2, 1)
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == 3
    for a, t in zip(ours, theirs):
        _same(a, t)
    sum((k + 1) * (a * a).sum() for k, a in enumerate(ours)).backward()
    sum((k + 1) * (t * t).sum() for k, t in enumerate(theirs)).backward()
    _same(x.grad, x_t.grad)


def test_the_utilities_answer_as_torchs(torch):
    import warnings as _warnings
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        for args in ((1, 4), (0, 1, 0.25), (1, 0, -0.5), (0, 2, 0.3), (-3.5, 3.5, 1.5)):
            ours, theirs = tg.range(*args), torch.range(*args, dtype=torch.float64)
            _same(ours, theirs)
    for obj in (nn.Linear(1, 1), 3, len, int, typename_probe):
        theirs = torch.typename(obj)
        assert tg.typename(obj) == theirs.replace("torch.nn.modules.linear",
                                                  nn.Linear.__module__)
    data = bytearray(np.arange(6, dtype=np.int16).tobytes())
    for kwargs in ({}, {"count": 2, "offset": 4}, {"offset": 2}):
        ours = tg.frombuffer(data, dtype=tg.int16, **kwargs)
        theirs = torch.frombuffer(data, dtype=torch.int16, **kwargs)
        assert ours.numpy().tolist() == theirs.tolist() and ours.dtype == np.int16
    for kwargs in ({"offset": 12}, {"count": 0}):
        with pytest.raises(ValueError):
            torch.frombuffer(data, dtype=torch.int16, **kwargs)
        with pytest.raises(ValueError):
            tg.frombuffer(data, dtype=tg.int16, **kwargs)
    x = torch.arange(4.0, dtype=torch.float64)
    _same(tg.from_dlpack(x), x)
    _same(tg.from_dlpack(torch.utils.dlpack.to_dlpack(x)), x)
    _same(tg.tensor([1.0, 2.0]), torch.from_dlpack(tg.to_dlpack(tg.tensor([1.0, 2.0]))))
    assert tg.get_num_interop_threads() >= 1 and tg.set_flush_denormal(False) is False
    for flag in (True, False):
        tg.set_warn_always(flag)
        torch.set_warn_always(flag)
        assert tg.is_warn_always_enabled() == torch.is_warn_always_enabled()


def typename_probe():
    """A module-level function: torch.typename names it module.qualname."""


def test_norm_except_dim_at_zero_and_the_packed_refusals_are_torchs(torch):
    values = np.zeros((3, 4))
    values[1] = RNG.normal(size=4)
    values[2, :2] = RNG.normal(size=2)
    for pow in (0, 1, 2, 3, -1):
        for dim in (0, 1, -1):
            v, v_t = tg.tensor(values, requires_grad=True), torch.tensor(values,
                                                                         requires_grad=True)
            ours, theirs = tg.norm_except_dim(v, pow, dim), torch.norm_except_dim(v_t, pow, dim)
            assert ours.shape == tuple(theirs.shape)
            _same(ours, theirs)
            ours.sum().backward()
            if theirs.requires_grad:  # (torch's count of pow=0 has no graph: ours gives 0)
                theirs.sum().backward()
            _same(v.grad, v_t.grad if v_t.grad is not None else torch.zeros(3, 4))
    weights = [RNG.normal(size=s) for s in ((4, 2), (4, 4), (4,), (4,))]
    for sizes in ([1, 2], [2, 2]):  # (increasing; more rows said than data has)
        with pytest.raises(RuntimeError):
            torch.rnn_tanh(torch.zeros(3, 2, dtype=torch.float64), torch.tensor(sizes),
                           torch.zeros(1, sizes[0], 4, dtype=torch.float64),
                           [torch.tensor(w) for w in weights], True, 1, 0.0, False, False)
        with pytest.raises(ValueError, match="rnn_tanh: batch_sizes must be"):
            tg.rnn_tanh(tg.zeros(3, 2), tg.tensor(sizes), tg.zeros(1, sizes[0], 4),
                        [tg.tensor(w) for w in weights], True, 1, 0.0, False, False)
    with pytest.raises(RuntimeError):  # (h and c of different sizes)
        torch.lstm_cell(torch.zeros(2, 3), (torch.zeros(2, 2), torch.zeros(2, 4)),
                        torch.zeros(16, 3), torch.zeros(16, 2))
    with pytest.raises(tg.ShapeError, match=r"lstm_cell: hx\[1\] \(c\)"):
        tg.lstm_cell(tg.zeros(2, 3), (tg.zeros(2, 2), tg.zeros(2, 4)), tg.zeros(16, 3),
                     tg.zeros(16, 2))


@pytest.mark.parametrize("keywords, kind, said", [
    ({"pin_memory": True}, RuntimeError, "from_file: pin_memory=True pins memory for copies"),
    ({"device": "cuda"}, TypeError, "from_file(): expected the device 'cpu'"),
    ({"layout": "sparse"}, TypeError, "from_file(): layout 'sparse' is not supported")])
def test_from_file_refuses_another_place_as_the_creation_functions_do(tmp_path, keywords,
                                                                     kind, said):
    path = tmp_path / "values.bin"
    np.arange(3.0).tofile(path)
    with pytest.raises(kind) as info:
        tg.from_file(str(path), size=3, **keywords)
    assert str(info.value).startswith(said) and "\n" not in str(info.value)
    with pytest.raises(kind, match=r"^empty_strided: " if kind is RuntimeError else None):
        tg.empty_strided((3,), (1,), **keywords)
