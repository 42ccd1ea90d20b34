"""tg.autograd.graph: saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks (and
Tensor.is_inference), against torch 2.13 and central finite differences."""
from __future__ import annotations

import os
import threading
import uuid

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, engine
from tinygrad_gd.autograd.graph import (disable_saved_tensors_hooks, save_on_cpu,
                                        saved_tensors_hooks)

F = tg.nn.functional


def _counting(log):
    """Hooks that note each call in `log` and keep the value as it is."""
    def pack(x):
        log.append("pack")
        return x

    def unpack(x):
        log.append("unpack")
        return x
    return pack, unpack


def _mul_example(lib, hooks):
    """PyTorch's documented example: y = a * b inside the hooks, y.sum().backward()."""
    a = lib.ones(5, requires_grad=True, dtype=lib.float64)
    b = lib.ones(5, requires_grad=True, dtype=lib.float64) * 2
    with hooks:
        y = a * b
    return a, b, y

# ------------------------------------------------------------------ PyTorch's examples


def test_pack_to_a_list_and_unpack_by_index_as_pytorchs_docs():
    storage = []

    def pack(x):
        storage.append(x)
        return len(storage) - 1

    def unpack(i):
        return storage[i]

    x = Tensor(np.linspace(-1, 1, 6), requires_grad=True)
    with saved_tensors_hooks(pack, unpack):
        y = (x * x.exp()).sum()
    assert len(storage) == 3  # x and x for mul, exp's output
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), (1 + x.numpy()) * np.exp(x.numpy()))


def test_pack_and_unpack_calls_as_many_as_pytorchs():
    torch = pytest.importorskip("torch")
    counts = []
    for lib in (tg, torch):
        log = []
        a, b, y = _mul_example(lib, saved_tensors_hooks(*_counting(log)) if lib is tg
                               else torch.autograd.graph.saved_tensors_hooks(*_counting(log)))
        packed = log.count("pack")
        y.sum().backward(retain_graph=True)
        y.sum().backward()  # retain_graph=True: unpacked again on the second pass
        counts.append((packed, log.count("unpack")))
    assert counts[0] == counts[1] == (2, 4)


@pytest.mark.parametrize("op", ["mul", "exp", "relu", "sum", "matmul", "conv2d"])
def test_the_arrays_an_op_saves_are_packed_as_often_as_pytorchs(op):
    # (where both save the same: some ops keep other things here, e.g. `x * 3` keeps the
    # constant too and `x ** 2` its exponent, a padded conv2d its padded input)
    torch = pytest.importorskip("torch")
    counts = []
    for lib, hooks in ((tg, saved_tensors_hooks),
                       (torch, torch.autograd.graph.saved_tensors_hooks)):
        log = []
        a = lib.ones((2, 1, 3, 3), requires_grad=True, dtype=lib.float64)
        b = lib.ones((2, 1, 3, 3), requires_grad=True, dtype=lib.float64)
        with hooks(*_counting(log)):
            y = {"mul": lambda: a * b, "exp": lambda: a.exp(), "relu": lambda: lib.relu(a),
                 "sum": lambda: a.sum(), "matmul": lambda: a @ b,
                 "conv2d": lambda: lib.nn.functional.conv2d(a, b)}[op]()
        y.sum().backward()
        counts.append((log.count("pack"), log.count("unpack")))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_doubling_in_pack_and_halving_in_unpack_changes_no_gradient(dtype):
    x = Tensor(np.linspace(-2, 2, 5), requires_grad=True, dtype=dtype)
    w = Tensor(np.linspace(0.5, 1.5, 5), requires_grad=True, dtype=dtype)
    grads = []
    for hooks in (None, saved_tensors_hooks(lambda t: t * 2, lambda t: t / 2)):
        with hooks if hooks is not None else _nothing():
            loss = (tg.tanh(x * w) * w.exp()).sum()
        loss.backward()
        grads.append((x.grad.numpy().copy(), w.grad.numpy().copy()))
        assert x.grad.dtype == dtype
        x.grad = w.grad = None
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return None


def test_hooks_that_save_to_disk_as_pytorchs_docs(tmp_path):
    class SelfDeletingTempFile:
        def __init__(self):
            self.name = os.path.join(tmp_path, str(uuid.uuid4()))

        def __del__(self):
            os.remove(self.name)

    def pack_hook(tensor):
        temp_file = SelfDeletingTempFile()
        tg.save({"saved": tensor}, temp_file.name)
        return temp_file

    def unpack_hook(temp_file):
        return tg.load(temp_file.name)["saved"]

    x = Tensor(np.linspace(-1, 1, 4), requires_grad=True)
    w = Tensor(np.linspace(1, 2, 4), requires_grad=True)
    with saved_tensors_hooks(pack_hook, unpack_hook):
        loss = (x * w).tanh().sum()
    assert len(os.listdir(tmp_path)) == 3  # x, w, tanh's output
    loss.backward()
    assert os.listdir(tmp_path) == []  # the graph freed: the files deleted with it
    t = np.tanh(x.numpy() * w.numpy())
    np.testing.assert_allclose(x.grad.numpy(), (1 - t * t) * w.numpy())
    np.testing.assert_allclose(w.grad.numpy(), (1 - t * t) * x.numpy())

# ------------------------------------------------------------------ where the hooks apply


def test_nested_blocks_the_innermost_wins_and_each_node_keeps_its_unpack():
    log = []

    def tagged(tag):
        return (lambda x: (tag, x)), (lambda p: log.append(p[0]) or p[1])

    a = Tensor([1.0, 2.0], requires_grad=True)
    with saved_tensors_hooks(*tagged("outer")):
        with saved_tensors_hooks(*tagged("inner")):
            y1 = a.exp()
        y2 = a.exp()
    (y1 + y2).sum().backward()
    assert sorted(log) == ["inner", "outer"]
    np.testing.assert_allclose(a.grad.numpy(), 2 * np.exp([1.0, 2.0]))


def test_a_node_recorded_outside_is_untouched_inside_as_pytorchs():
    torch = pytest.importorskip("torch")
    for lib, hooks in ((tg, saved_tensors_hooks),
                       (torch, torch.autograd.graph.saved_tensors_hooks)):
        log = []
        a = lib.tensor([1.0, 2.0], requires_grad=True, dtype=lib.float64)
        y = a * a
        with hooks(*_counting(log)):
            y.sum().backward()
        assert log == [], lib.__name__
        np.testing.assert_allclose(np.asarray(a.grad.detach()), [2.0, 4.0])


def test_backward_outside_the_block_and_in_another_thread_unpacks():
    log = []
    a = Tensor([1.0, -1.0], requires_grad=True)
    with saved_tensors_hooks(*_counting(log)):
        y = (a * a).sum()
    worker = threading.Thread(target=y.backward)
    worker.start()
    worker.join()
    assert log == ["pack", "pack", "unpack", "unpack"]
    np.testing.assert_allclose(a.grad.numpy(), [2.0, -2.0])


def test_hooks_are_per_thread_as_pytorchs():
    torch = pytest.importorskip("torch")
    for lib, hooks in ((tg, saved_tensors_hooks),
                       (torch, torch.autograd.graph.saved_tensors_hooks)):
        log = []

        def other(lib=lib):
            t = lib.ones(3, requires_grad=True)
            (t * t).sum().backward()
            log.append("other thread done")

        with hooks(*_counting(log)):
            worker = threading.Thread(target=other)
            worker.start()
            worker.join()
        assert log == ["other thread done"], lib.__name__


def test_the_extension_is_off_once_no_block_is_open_and_no_graph_holds_packed_values():
    a = Tensor([1.0, 2.0], requires_grad=True)
    with saved_tensors_hooks(lambda x: x, lambda x: x):
        y = (a * a).sum()
    assert any(type(e).__name__ == "SavedTensorsHooks" for e in engine.extensions)
    y.backward()
    assert not any(type(e).__name__ == "SavedTensorsHooks" for e in engine.extensions)


def test_empty_and_float32_arrays_and_a_users_function():
    class Cube(tg.Function, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            assert not x.flags.writeable  # a user's op still reads its saved arrays only
            return 3 * x * x * grad

    shapes = []
    e = Tensor(np.zeros((0, 3)), requires_grad=True)
    x = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float32)
    with saved_tensors_hooks(lambda t: shapes.append((t.shape, t.dtype)) or t, lambda t: t):
        (e.exp().sum() + Cube.apply(x).sum()).backward()
    assert ((0, 3), np.float64) in [(tuple(s), d) for s, d in shapes]
    assert e.grad.shape == (0, 3)
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_pack_hook_gets_read_only_values_and_grad_mode_off():
    torch = pytest.importorskip("torch")
    seen = {}
    for lib, hooks in ((tg, saved_tensors_hooks),
                       (torch, torch.autograd.graph.saved_tensors_hooks)):
        def pack(x, lib=lib):
            seen[lib.__name__] = lib.is_grad_enabled()
            return x
        a = lib.ones(2, requires_grad=True)
        with hooks(pack, lambda x: x):
            a.exp()
    assert seen == {"tinygrad_gd": False, "torch": False}

    def writes(x):
        x[0] = 5.0
        return x

    a = Tensor([1.0, 2.0], requires_grad=True)
    with saved_tensors_hooks(writes, lambda x: x), pytest.raises(  # (PyTorch's type too)
            RuntimeError, match=r"^saved_tensors_hooks: pack_hook changed the tensor it was "
                                r"given \(shape \(2,\)\) in place"):
        a.exp()
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])  # refused before the write
    ta = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(writes, lambda x: x), pytest.raises(
            RuntimeError, match="pack hook is modifying its input in place"):
        ta.exp()

# ------------------------------------------------------------------ in-place changes


def test_in_place_changes_are_still_refused_with_hooks():
    # (PyTorch skips its version check for saved tensors that went through hooks; here the
    # guarantee that no gradient is computed from values the forward never saw holds)
    w = Tensor([1.0, 2.0], requires_grad=True)
    with saved_tensors_hooks(lambda x: x, lambda x: x):
        h = w * 1
        y = (h * h).sum()
        h.data[0] = 7.0
    with pytest.raises(RuntimeError, match="input 0 .*op 'mul' was changed in place"):
        y.backward()
    with saved_tensors_hooks(lambda x: x * 2, lambda x: x / 2):
        e = w.exp()
        e.data[1] = 0.0
    with pytest.raises(RuntimeError, match="output of op 'exp' was changed in place"):
        e.sum().backward()


def test_anomaly_mode_accepts_a_lossy_pack():
    x = Tensor(np.linspace(0.1, 1, 4), requires_grad=True)
    with tg.autograd.detect_anomaly(), \
            saved_tensors_hooks(lambda t: t.float(), lambda t: t.double()):
        (x.exp() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (1 + x.numpy()) * np.exp(x.numpy()),
                               rtol=1e-6)

# ------------------------------------------------------------------ models, against torch


def _mlp(lib, x, params):
    w1, b1, w2, b2 = params
    return lib.nn.functional.linear(lib.tanh(lib.nn.functional.linear(x, w1, b1)), w2, b2)


def _conv_net(lib, x, params):
    k, c, w, b = params
    f = lib.nn.functional
    h = f.max_pool2d(f.relu(f.conv2d(x, k, c, padding=1)), 2)
    return f.linear(h.reshape(h.shape[0], -1), w, b)


_SHAPES = {"mlp": ((4, 3), [(5, 3), (5,), (2, 5), (2,)], _mlp),
           "conv": ((2, 1, 4, 4), [(3, 1, 3, 3), (3,), (2, 12), (2,)], _conv_net)}


@pytest.mark.parametrize("model", sorted(_SHAPES))
def test_model_gradients_as_pytorchs_and_finite_differences(model):
    x_shape, param_shapes, net = _SHAPES[model]
    rng = np.random.default_rng(0)
    x_values = rng.standard_normal(x_shape)
    values = [rng.standard_normal(s) * 0.5 for s in param_shapes]
    x = Tensor(x_values, requires_grad=True)
    params = [Tensor(v, requires_grad=True) for v in values]
    storage = []

    def run(x, *params):
        with saved_tensors_hooks(lambda t: storage.append(t * 2) or len(storage) - 1,
                                 lambda i: storage[i] / 2):
            return net(tg, x, params)

    assert tg.gradcheck(run, [x, *params])
    (run(x, *params) ** 2).sum().backward()
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x_values, requires_grad=True)
    tparams = [torch.tensor(v, requires_grad=True) for v in values]
    # (torch's max_pool2d saves its integer indices too: those kept as they are)
    with torch.autograd.graph.saved_tensors_hooks(
            lambda t: t * 2 if t.is_floating_point() else t,
            lambda t: t / 2 if t.is_floating_point() else t):
        (net(torch, tx, tparams) ** 2).sum().backward()
    for ours, theirs in zip([x, *params], [tx, *tparams]):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10)

# ------------------------------------------------------------------ save_on_cpu, disabling


def test_save_on_cpu_keeps_the_gradients_and_checks_its_arguments():
    torch = pytest.importorskip("torch")
    grads = []
    for lib, block in ((tg, save_on_cpu), (torch, torch.autograd.graph.save_on_cpu)):
        a, b, y = _mul_example(lib, block(pin_memory=False))
        (y * y).sum().backward()
        grads.append(np.asarray(a.grad.detach()))
    np.testing.assert_array_equal(grads[0], grads[1])
    with pytest.raises(TypeError, match="save_on_cpu: pin_memory must be True or False"):
        save_on_cpu(pin_memory="yes")
    with pytest.raises(TypeError, match="save_on_cpu: device_type must be a string"):
        save_on_cpu(device_type=0)


def test_disable_saved_tensors_hooks_as_pytorchs():
    torch = pytest.importorskip("torch")
    for graph in (tg.autograd.graph, torch.autograd.graph):
        with graph.disable_saved_tensors_hooks("outer"):
            with pytest.raises(RuntimeError, match="^outer$"):
                with graph.save_on_cpu():
                    pass
            with graph.disable_saved_tensors_hooks("inner"):
                with pytest.raises(RuntimeError, match="^inner$"):
                    graph.saved_tensors_hooks(lambda x: x, lambda x: x).__enter__()
            with pytest.raises(RuntimeError, match="^outer$"):  # the outer's message again
                graph.saved_tensors_hooks(lambda x: x, lambda x: x).__enter__()
            entered = []  # another thread is not disabled

            def other(graph=graph):
                with graph.saved_tensors_hooks(lambda x: x, lambda x: x):
                    entered.append(True)
            worker = threading.Thread(target=other)
            worker.start()
            worker.join()
            assert entered == [True]
        with graph.saved_tensors_hooks(lambda x: x, lambda x: x):
            with pytest.raises(RuntimeError, match="^not now$"):  # entered inside hooks
                with graph.disable_saved_tensors_hooks("not now"):
                    pass
        with graph.saved_tensors_hooks(lambda x: x, lambda x: x):  # enabled again after
            pass

# ------------------------------------------------------------------ bad hooks


def test_hooks_that_are_not_callable_are_refused():
    with pytest.raises(TypeError, match="saved_tensors_hooks: pack_hook must be callable"):
        saved_tensors_hooks(3, lambda x: x)
    with pytest.raises(TypeError, match="saved_tensors_hooks: unpack_hook must be callable"):
        saved_tensors_hooks(lambda x: x, "unpack")
    with pytest.raises(TypeError, match="error_message must be a string"):
        with disable_saved_tensors_hooks(None):
            pass


@pytest.mark.parametrize("returned, error, what", [
    (lambda x: tg.ones(2, 5), RuntimeError, r"shape \(2, 5\)"),
    (lambda x: 3, TypeError, "int '3'"),
    (lambda x: x > 0, RuntimeError, "dtype bool"),
])
def test_unpack_returning_something_else_is_a_one_line_error_naming_the_op(
        returned, error, what):
    a = Tensor(np.ones(5), requires_grad=True)
    with saved_tensors_hooks(lambda x: x, returned):
        y = a.exp()
    with pytest.raises(error, match=f"unpack_hook returned {what} for array 0 that op 'exp' "
                                    r"saved \(shape \(5,\), dtype float64\)") as info:
        y.sum().backward()
    assert "\n" not in str(info.value)


def test_unpack_returning_another_float_type_is_cast_as_pytorch_promotes():
    a = Tensor(np.linspace(0, 1, 3), requires_grad=True)
    with saved_tensors_hooks(lambda x: x, lambda x: x.float()):
        y = a.exp()
    y.sum().backward()
    assert a.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad.numpy(), np.exp(a.numpy()), rtol=1e-6)
