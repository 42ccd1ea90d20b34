"""The rest of torch.autograd.graph against torch 2.13: Node, GradientEdge, increment_version,
register_multi_grad_hook, allow_mutation_on_saved_tensors; and is_inference_mode_enabled,
set_multithreading_enabled. Each behaviour is run in both libraries and compared."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import tinygrad_gd as tg

G = tg.autograd.graph


def _torch():
    return pytest.importorskip("torch")


def _leaf(lib, values):
    if lib is None:
        return tg.tensor(values, requires_grad=True)
    return lib.tensor(values, requires_grad=True, dtype=lib.float64)  # (tg's default)


def _array(t):
    return None if t is None else np.asarray(t.detach()).copy()  # (torch adds into .grad)


def _graph_of(lib):
    return G if lib is None else lib.autograd.graph


# ------------------------------------------------------------------ Node


def test_every_node_of_a_graph_is_a_node_with_pytorchs_methods():
    torch = _torch()
    seen = {}
    for lib in (None, torch):
        graph = _graph_of(lib)
        a = _leaf(lib, [1.0, 2.0])
        y = (a * 2).exp()
        accumulate = y.grad_fn.next_functions[0][0].next_functions[0][0]
        seen[lib] = [isinstance(y.grad_fn, graph.Node), isinstance(accumulate, graph.Node),
                     isinstance(y.grad_fn.name(), str), accumulate.name(),
                     [f is None for f, _ in (a * torch.ones(2) if lib else a * tg.ones(2))
                      .grad_fn.next_functions],
                     isinstance(None, graph.Node), isinstance(3, graph.Node)]
    assert seen[None] == seen[torch]


def test_a_users_function_node_is_a_node():
    torch = _torch()
    for lib, base in ((None, tg.autograd.Function), (torch, torch.autograd.Function)):
        class Twice(base):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad * 2
        assert isinstance(Twice.apply(_leaf(lib, [1.0])).grad_fn, _graph_of(lib).Node)


def test_metadata_is_a_dict_kept_with_the_node_and_not_assignable():
    torch = _torch()
    seen = {}
    for lib in (None, torch):
        a = _leaf(lib, [1.0, 2.0])
        y = a * 2
        y.grad_fn.metadata["note"] = 1
        with pytest.raises(AttributeError):
            y.grad_fn.metadata = {}
        (y * 3).grad_fn.next_functions[0][0].next_functions[0][0].metadata["leaf"] = 2
        again = (a + 1).grad_fn.next_functions[0][0]  # the same leaf's AccumulateGrad
        seen[lib] = (dict(y.grad_fn.metadata), dict(again.metadata),
                     dict((a * 5).grad_fn.metadata))
    assert seen[None] == seen[torch] == ({"note": 1}, {"leaf": 2}, {})


@pytest.mark.parametrize("kind", ["hook", "prehook"])
def test_node_hooks_replace_gradients_as_pytorchs(kind):
    torch = _torch()
    got = {}
    for lib in (None, torch):
        a = _leaf(lib, [0.0, 1.0, 2.0])
        b = a.clone()  # (PyTorch's example: a node of one input)
        node = b.grad_fn
        assert isinstance(node, _graph_of(lib).Node)
        handle = (node.register_hook(lambda gi, go: (go[0] * 2,)) if kind == "hook"
                  else node.register_prehook(lambda go: (go[0] * 2,)))
        b.sum().backward(retain_graph=True)
        first = _array(a.grad)
        handle.remove()
        a.grad = None
        b.sum().backward()
        got[lib] = (first, _array(a.grad))
    np.testing.assert_allclose(got[None][0], got[torch][0])
    np.testing.assert_allclose(got[None][1], got[torch][1])

# ------------------------------------------------------------------ gradient edges


def test_grad_with_respect_to_an_edge_is_the_grad_with_respect_to_its_tensor():
    torch = _torch()
    got = {}
    for lib in (None, torch):
        graph, autograd = _graph_of(lib), (tg if lib is None else lib).autograd
        a = _leaf(lib, [0.5, -1.0])
        h = a * 3
        loss = (h.exp() * a).sum()
        edges = [graph.get_gradient_edge(h), graph.get_gradient_edge(a)]
        assert edges[0].node is h.grad_fn and edges[0].output_nr == 0
        by_edge = autograd.grad(loss, edges, retain_graph=True)
        by_tensor = autograd.grad(loss, [h, a], retain_graph=True)
        alone = autograd.grad(loss, edges[1])
        got[lib] = [_array(g) for g in (*by_edge, *by_tensor, *alone)]
    for mine, theirs in zip(got[None], got[torch]):
        np.testing.assert_allclose(mine, theirs)
    np.testing.assert_allclose(got[None][0], got[None][2])


def test_gradient_edge_refusals_as_pytorchs():
    torch = _torch()
    for lib in (None, torch):
        graph = _graph_of(lib)
        with pytest.raises(RuntimeError, match="does not require gradients"):
            graph.get_gradient_edge((tg if lib is None else lib).ones(2))
        a = _leaf(lib, [1.0, 2.0])
        elsewhere = graph.get_gradient_edge(_leaf(lib, [1.0]) * 3)
        with pytest.raises(RuntimeError, match="graph"):
            (tg if lib is None else lib).autograd.grad((a * 2).sum(), elsewhere)

# ------------------------------------------------------------------ increment_version


@pytest.mark.parametrize("case", ["saved input", "saved output", "input not saved", "list"])
def test_increment_version_refuses_a_backward_as_an_in_place_change_does(case):
    torch = _torch()
    outcome = {}
    for lib in (None, torch):
        graph = _graph_of(lib)
        a = _leaf(lib, [1.0, 2.0])
        b = a * 1
        out = {"saved input": lambda: b * b, "saved output": lambda: b.exp(),
               "input not saved": lambda: b.exp(), "list": lambda: b * b}[case]()
        graph.increment_version({"saved output": out, "list": [a, b]}.get(case, b))
        try:
            out.sum().backward()
            outcome[lib] = _array(a.grad)
        except RuntimeError:
            outcome[lib] = "refused"
    if isinstance(outcome[torch], str):
        assert outcome[None] == outcome[torch]
    else:
        np.testing.assert_allclose(outcome[None], outcome[torch])


def test_increment_version_of_what_is_no_tensor_is_refused_as_pytorchs():
    torch = _torch()
    for graph in (G, torch.autograd.graph):
        with pytest.raises(RuntimeError):
            graph.increment_version(3)
        with pytest.raises(RuntimeError):
            graph.increment_version([3])

# ------------------------------------------------------------------ register_multi_grad_hook


def _four_passes(lib):
    """PyTorch's example: a hook over (a, b, c, d), four backward passes."""
    torch = lib
    a, b = _leaf(lib, [1.0, 2.0]), _leaf(lib, [3.0, 4.0])
    c, d = a * b, a * b
    log = []
    handle = _graph_of(lib).register_multi_grad_hook(
        (a, b, c, d), lambda grads: log.append([_array(g) for g in grads]))
    autograd = (tg if torch is None else torch).autograd
    c.sum().backward(retain_graph=True)
    c.sum().backward(inputs=(a,), retain_graph=True)
    autograd.grad(c.sum(), [c], retain_graph=True)
    (c.sum() + d.sum()).backward(retain_graph=True)
    if torch is None:  # (torch refuses a leaf's multi-grad hook in autograd.grad over leaves)
        autograd.grad([c.sum(), d.sum()], [a, d], retain_graph=True)
    handle.remove()
    c.sum().backward()
    return log


def test_mode_all_gets_the_gradients_the_pass_computes_none_for_the_rest():
    torch = _torch()
    mine, theirs = _four_passes(None), _four_passes(torch)
    a, b = _leaf(torch, [1.0, 2.0]), _leaf(torch, [3.0, 4.0])
    c, d = a * b, a * b
    grad_a, grad_c, grad_d = torch.autograd.grad([c.sum(), d.sum()], [a, c, d])
    theirs.append([_array(grad_a), None, _array(grad_c), _array(grad_d)])
    assert len(mine) == len(theirs) == 5
    for row, want in zip(mine, theirs):
        assert [g is None for g in row] == [g is None for g in want]
        for g, w in zip(row, want):
            if w is not None:
                np.testing.assert_allclose(g, w)


def _hook_order(lib, mode):
    x = _leaf(lib, [1.0, 2.0])
    y = x * 2
    z = y * 3
    order = []
    x.register_hook(lambda g: order.append("x first"))
    x.register_hook(lambda g: g * 10)  # an earlier hook's replacement is what it sees
    _graph_of(lib).register_multi_grad_hook(
        [x, y], lambda got: order.append(
            ("any", _array(got).tolist()) if mode == "any"
            else ("all", [_array(g).tolist() for g in got])), mode=mode)
    x.register_hook(lambda g: order.append(("x last", _array(g).tolist())))
    y.register_hook(lambda g: order.append("y"))
    z.sum().backward(retain_graph=True)
    z.sum().backward()
    return order, _array(x.grad).tolist()


@pytest.mark.parametrize("mode", ["all", "any"])
def test_it_runs_once_per_pass_among_the_tensors_hooks_in_pytorchs_order(mode):
    torch = _torch()
    assert _hook_order(None, mode) == _hook_order(torch, mode)


def test_a_pass_inside_a_pass_and_a_pass_cut_short_keep_their_own_count():
    torch = _torch()
    logs = {}
    for lib in (None, torch):
        a = _leaf(lib, [1.0, 2.0])
        b = a * a
        inner, log, state = (b * 5).sum(), [], {"inner": True, "fail": False}
        _graph_of(lib).register_multi_grad_hook(
            [a, b], lambda grads: log.append([_array(g) for g in grads]))

        def after_the_multi_grad_hook(grad):  # (b's share of it has run: it waits for a)
            if state.pop("inner", False):
                inner.backward(retain_graph=True)  # a whole pass before the outer one goes on
            if state["fail"]:
                raise ZeroDivisionError("a pass cut short before a's gradient")

        b.register_hook(after_the_multi_grad_hook)
        (b * 2).sum().backward(retain_graph=True)
        state["fail"] = True
        with pytest.raises(ZeroDivisionError):
            (b * 3).sum().backward(retain_graph=True)
        state["fail"] = False
        (b * 4).sum().backward()
        logs[lib] = log
    assert len(logs[None]) == len(logs[torch]) == 3  # the inner pass's, the outer's, the last
    for row, want in zip(logs[None], logs[torch]):
        for g, w in zip(row, want):
            np.testing.assert_allclose(g, w)


def test_a_drawings_pass_does_not_call_it_and_the_next_backward_does_once():
    """The diagrams run the backward pass to draw its gradients; a multi-grad hook, which
    changes no gradient, is left to backward() (a tensor's own hook runs in both)."""
    a, b = (tg.tensor([1.0, 2.0], requires_grad=True) for _ in range(2))
    calls = []
    tg.autograd.graph.register_multi_grad_hook([a, b], lambda grads: calls.append(
        [g.tolist() for g in grads]))
    loss = (a * b * 3).sum()
    tg.draw_graph(loss, mode="backward")
    assert calls == []
    loss.backward()
    assert calls == [[[3.0, 6.0], [3.0, 6.0]]]  # (d/da = 3b, d/db = 3a: a = b here)


def test_passes_in_threads_are_counted_apart():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    seen, lock = [], threading.Lock()

    def fn(grads):
        with lock:
            seen.append([np.asarray(g) for g in grads])

    G.register_multi_grad_hook([a, b], fn)

    def run(k):
        for _ in range(25):
            tg.autograd.grad((b * k).sum(), [a, b], retain_graph=True)

    threads = [threading.Thread(target=run, args=(k,)) for k in (1.0, 3.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # each call gets one pass's pair: d/db = k, d/da = 2 k (chain rule through b = 2 a)
    assert len(seen) == 50
    for grad_a, grad_b in seen:
        np.testing.assert_allclose(grad_a, 2 * grad_b)
    assert sorted({float(grad_b[0]) for _, grad_b in seen}) == [1.0, 3.0]


def test_multi_grad_hook_refusals():
    torch = _torch()
    for graph, lib in ((G, tg), (torch.autograd.graph, torch)):
        x = lib.tensor([1.0], requires_grad=True)
        with pytest.raises(ValueError, match="one of"):
            graph.register_multi_grad_hook([x], print, mode="some")
        with pytest.raises((RuntimeError, AssertionError)):  # (torch's: AssertionError)
            graph.register_multi_grad_hook([x, lib.ones(1)], print)
        graph.register_multi_grad_hook([x, lib.ones(1)], print, mode="any").remove()
        graph.register_multi_grad_hook([], print).remove()
    with pytest.raises(TypeError, match="list or tuple"):  # (torch's hooks each element)
        G.register_multi_grad_hook(tg.tensor([1.0], requires_grad=True), print)
    with pytest.raises(TypeError, match="function"):
        G.register_multi_grad_hook([tg.tensor([1.0], requires_grad=True)], 3)

# ------------------------------------------------------------------ allow_mutation_on_saved_tensors


@pytest.mark.parametrize("case", ["saved input", "saved output", "twice retained"])
def test_saved_values_changed_in_place_inside_the_block_give_pytorchs_gradient(case):
    torch = _torch()
    got = {}
    for lib in (None, torch):
        with _graph_of(lib).allow_mutation_on_saved_tensors():
            a = _leaf(lib, [1.0, 2.0, 3.0])
            b = a.clone()
            if case == "saved output":
                out = b.exp()
                out.mul_(2)
                b.sin_()
            else:
                out = b ** 2
                b.sin_()
            out.sum().backward(retain_graph=case == "twice retained")
            if case == "twice retained":
                b.mul_(4)
                out.sum().backward()
        got[lib] = _array(a.grad)
    np.testing.assert_allclose(got[None], got[torch])


def test_the_same_change_without_the_block_is_refused_as_pytorchs():
    torch = _torch()
    for lib in (None, torch):
        a = _leaf(lib, [1.0, 2.0, 3.0])
        b = a.clone()
        out = (b ** 2).sum()
        b.sin_()
        with pytest.raises(RuntimeError):
            out.backward()


def test_allow_mutation_refusals_as_pytorchs():
    torch = _torch()
    for lib in (None, torch):
        graph = _graph_of(lib)
        with graph.allow_mutation_on_saved_tensors():
            a = _leaf(lib, [1.0, 2.0])
            out = (a.clone() ** 2).sum()
        with pytest.raises((RuntimeError, AssertionError), match="outside"):  # (torch's:
            out.backward()  # AssertionError)
        with graph.allow_mutation_on_saved_tensors():
            with pytest.raises(RuntimeError, match="cannot be nested"):
                with graph.allow_mutation_on_saved_tensors():
                    pass
        with graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with graph.allow_mutation_on_saved_tensors():
                    pass

# ------------------------------------------------------------------ modes


def test_is_inference_mode_enabled_as_pytorchs():
    torch = _torch()
    seen = {}
    for lib in (tg, torch):
        log = [lib.is_inference_mode_enabled()]
        with lib.inference_mode():
            log.append(lib.is_inference_mode_enabled())
            with lib.enable_grad():
                log.append(lib.is_inference_mode_enabled())
            with lib.inference_mode(False):
                log.append(lib.is_inference_mode_enabled())
            log.append(lib.is_inference_mode_enabled())
        with lib.no_grad():
            log.append(lib.is_inference_mode_enabled())
        log.append(lib.inference_mode()(lib.is_inference_mode_enabled)())
        log.append(lib.is_inference_mode_enabled())
        seen[lib] = log
    assert seen[tg] == seen[torch] == [False, True, True, False, True, False, True, False]


def test_set_multithreading_enabled_switches_as_pytorchs_and_changes_no_gradient():
    torch = _torch()
    seen = {}
    for lib in (tg, torch):
        autograd = lib.autograd
        log = [autograd.is_multithreading_enabled()]
        autograd.set_multithreading_enabled(False)
        log.append(autograd.is_multithreading_enabled())
        with autograd.set_multithreading_enabled(True):
            log.append(autograd.is_multithreading_enabled())
            a = lib.tensor([1.0, 2.0], requires_grad=True)
            (a * a).sum().backward()
        log.append(autograd.is_multithreading_enabled())
        autograd.set_multithreading_enabled(True)
        log.append(_array(a.grad).tolist())
        with pytest.raises(TypeError):
            autograd.set_multithreading_enabled("no")
        seen[lib] = log
    assert seen[tg] == seen[torch] == [True, False, True, False, [2.0, 4.0]]
