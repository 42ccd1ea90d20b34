"""Differential fuzzing of second and third derivatives: random programs against PyTorch.

The programs are test_fuzz.py's (its builder `graphs()`, its op table OPS and their torch
twins TORCH_OPS), drawn from the ops that have a `backward_graph` (`second_order_ops()`:
every registered op has one; test_second_order.py fails when one is added without). For
each program, in both frameworks, `derivatives` takes the gradient of the loss with
`create_graph=True`, then the gradient of (gradient . v) (a Hessian-vector product), and
for some programs the gradient of (that . u) (a third-order product), v and u fixed random
directions. Each must equal torch's to test_fuzz's tolerances (atol scaled by the size of
the entries), and the first equals backward()'s. Where a torch twin is exact to first
order only, or torch's own higher derivatives are off (masked, underflowed, cancelled),
SECOND_ORDER_TWINS replaces it by one exact to the third order. A program recording an op
without `backward_graph` must instead have its Hessian-vector product refused with
NotImplementedError naming that op (`check_program`: its gradient is values, as PyTorch's
through a once-differentiable backward). `test_planted_*` show the fuzzer catching a
second derivative that treats a smooth factor as a constant, and refusing an op whose
`backward_graph` is taken away. Two models close the file: a gradient penalty on a small
MLP (`loss.backward(create_graph=True)`, then `(w.grad ** 2).sum().backward()`) and
`tg.autograd.functional.hessian` of an MLP's loss in a weight, against torch to 1e-12.

Examples per run: SECOND_ORDER_EXAMPLES programs per test (environment variable
TINYGRAD_GD_SECOND_ORDER_EXAMPLES), a third as many third-order ones; the file runs in
well under a minute on two cores.
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

import tinygrad_gd as tg
from tinygrad_gd import engine
from tinygrad_gd import ops as ops_module
from tinygrad_gd.higher_order import has_backward_graph
from test_fuzz import FUZZ_SETTINGS, OPS, TORCH_OPS, Graph, failure_report, graphs

torch = pytest.importorskip("torch")  # (every test here compares with PyTorch or needs it)

SECOND_ORDER_EXAMPLES = int(os.environ.get("TINYGRAD_GD_SECOND_ORDER_EXAMPLES", "200"))
THIRD_ORDER_EXAMPLES = max(1, SECOND_ORDER_EXAMPLES // 3)
RTOL, ATOL = 1e-9, 1e-12  # test_fuzz's, for the gradients of every order (ATOL scaled)
MAX_STEPS = 8  # ops per program: each derivative is a pass over a graph twice as long


def second_order_ops() -> tuple[str, ...]:
    """The fuzzed ops that can be differentiated twice, as registered now."""
    return _ops_where(True)


def lacking_ops() -> tuple[str, ...]:
    """The fuzzed ops registered without a backward_graph."""
    return _ops_where(False)


def _ops_where(has: bool) -> tuple[str, ...]:
    registered = tg.registered_ops()
    return tuple(sorted(name for name in OPS if name in registered
                        and has_backward_graph(registered[name]) == has))


# The programs of the focused test: broadcasting operands, reductions, matmul, indexing
FOCUS = ("add", "sub", "mul", "div", "where", "sum", "mean", "max", "min", "matmul", "linear",
         "getitem", "broadcast_to", "reshape", "transpose", "tanh", "exp", "sigmoid", "pow")


def _available(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in names if name in second_order_ops())


# ---------------------------------------------------------------------------------------
# PyTorch's side: TORCH_OPS, but where its twin is exact to first order only, or torch's
# own higher derivatives are off, a twin exact to the third order


def _psi(t: Any, v: Any, n: int) -> Any:
    """polygamma(n, v) to float64: digamma, then (-1)**(n+1) n! zeta(n + 1, v) (torch's own
    trigamma is a short series, accurate to about 5e-10)."""
    if n == 0:
        return t.digamma(v)
    return (-1) ** (n + 1) * math.factorial(n) * t.special.zeta(t.full_like(v, n + 1.0), v)


def _torch_polygamma(t: Any, x: Any, n: int) -> Any:
    v = x.detach()
    return _jet(x, *[_psi(t, v, n + k) for k in range(4)])


def _torch_mvlgamma(t: Any, x: Any, p: int) -> Any:
    """mvlgamma (lgamma for p = 1): a constant plus lgamma(x - j / 2) for j < p."""
    v = x.detach()
    return _jet(x, t.mvlgamma(v, p), *[sum(_psi(t, v - j / 2, n) for j in range(p))
                                       for n in range(3)])


def _k_slopes(k0: Any, k1: Any, x: Any) -> tuple[list, list]:
    """K0's and K1's values and first three derivatives, from K0 and K1 (linear in them)."""
    return ([k0, -k1, k0 + k1 / x, -k1 - k0 / x - 2 * k1 / x**2],
            [k1, -k0 - k1 / x, k1 + k0 / x + 2 * k1 / x**2,
             -k0 - 2 * k1 / x - 3 * k0 / x**2 - 6 * k1 / x**3])


def _torch_bessel_k(name: str) -> Callable[..., Any]:
    """torch's K0, K1 and their scaled forms e**x K (which have no gradient in torch) with
    three derivatives: the scaled ones' by Leibniz's rule, sum_j C(n, j) K^(j)."""
    order, prefix = int(name[-1]), name[:-len("modified_bessel_k0")]

    def twin(t: Any, x: Any) -> Any:
        v = x.detach()
        d = _k_slopes(getattr(t.special, f"{prefix}modified_bessel_k0")(v),
                      getattr(t.special, f"{prefix}modified_bessel_k1")(v), v)[order]
        if prefix:
            d = [sum(math.comb(n, j) * d[j] for j in range(n + 1)) for n in range(4)]
        return _jet(x, *d)
    return twin


def _torch_bessel_i(name: str) -> Callable[..., Any]:
    """I0 and I1 (times e**-|x| for the scaled ones) as their Maclaurin series, terms of one
    sign, in y = x**2 / 4 (45 terms: exact to |x| = 20): torch's formulas for the higher
    derivatives lose every digit to cancellation near 0 (i1's third derivative at 1e-60)."""
    order, scaled = int(name[1]), name.endswith("e")

    def twin(t: Any, x: Any) -> Any:
        y, total = x * x / 4, 0.0
        for k in reversed(range(45)):
            total = total * y + 1 / (math.factorial(k) * math.factorial(k + order))
        value = total * x / 2 if order else total
        return value * t.exp(-x.abs()) if scaled else value
    return twin


def _products(t: Any, x: Any, axis: Any) -> Any:
    """The running products of x along `axis` (None: flattened), multiplied out one by
    one: torch's cumprod and prod divide the output by the input where no entry is 0, so
    an output that underflows to 0 loses their second derivatives (ours match finite
    differences there)."""
    moved = x.reshape(-1) if axis is None else x.movedim(axis, 0)
    parts = [moved[0]]
    for row in moved[1:]:
        parts.append(parts[-1] * row)
    return t.stack(parts) if axis is None else t.stack(parts).movedim(0, axis)


def _torch_prod(t: Any, x: Any, *, axis: Any, keepdims: bool) -> Any:
    last = _products(t, x, axis).select(0 if axis is None else axis, -1)
    if keepdims:
        return last.reshape((1,) * x.dim()) if axis is None else last.unsqueeze(axis)
    return last


def _jet(x: Any, value: Any, *slopes: Any) -> Any:
    """A function with `value` and derivatives `slopes` (1st to 3rd, taken at x) exact up
    to the third order: its Taylor polynomial in h = x - x.detach(), which is 0."""
    h = x - x.detach()
    return value + h * (slopes[0] + h / 2 * (slopes[1] + h / 3 * slopes[2]))


# torch twins exact to the third order where test_fuzz's (or torch's own) are not
SECOND_ORDER_TWINS: dict[str, Callable[..., Any]] = {
    "digamma": lambda t, x: _torch_polygamma(t, x, 0),
    "polygamma": lambda t, x, *, n: _torch_polygamma(t, x, n),
    "lgamma": lambda t, x: _torch_mvlgamma(t, x, 1),
    "mvlgamma": lambda t, x, *, p: _torch_mvlgamma(t, x, p),
    **{name: _torch_bessel_k(name) for name in (
        "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
        "scaled_modified_bessel_k1")},
    **{name: _torch_bessel_i(name) for name in ("i0", "i1", "i0e", "i1e")},
    "cumprod": lambda t, x, *, axis: _products(t, x, axis),
    "prod": _torch_prod,
    # (torch's x ** y masks its gradient in x to 0 where y == 0, and so its derivative in y
    # (1 / x there), and at y == 1 a third derivative: exp(y log x), x > 0 in these programs)
    "pow": lambda t, x, y=None, *, exponent=None: x ** exponent if y is None
    else t.exp(y * t.log(x)),
    # (torch's own: its second derivative 5e-9 off where x is also the target, x = 0.86;
    # its third fails, "ZeroTensors are immutable")
    "binary_cross_entropy": lambda t, x, y: -(y * t.log(x) + (1 - y) * t.log(1 - x)),
}


def torch_program(graph: Graph) -> tuple[Any, list[Any]]:
    """The program in torch (float64), with SECOND_ORDER_TWINS: its loss and leaves."""
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in graph.leaves]
    inputs = iter(leaves)
    values: list[Any] = []
    for step in graph.steps:
        if step.op == "leaf":
            values.append(next(inputs))
        else:
            twin = SECOND_ORDER_TWINS.get(step.op, TORCH_OPS[step.op])
            values.append(twin(torch, *[values[i] for i in step.args], **step.params))
    loss = sum((values[i] * torch.from_numpy(w)).sum() for i, w in graph.weights.items())
    return loss, leaves


# ---------------------------------------------------------------------------------------
# The check


def derivatives(autograd: Any, loss: Any, leaves: list, directions: list[list[Any]]) -> list:
    """[gradient, gradient of (gradient . v), gradient of (that . u)...], one array per leaf
    each, for as many directions as given (v, u, ... one tensor per leaf): each pass with
    create_graph=True, in tinygrad_gd (`autograd` tg.autograd) or torch (torch.autograd).
    A product that needs no gradient (no term depends on the leaves) has zero gradients."""
    found, f = [], loss
    for k in range(len(directions) + 1):
        if f is None:
            found.append([np.zeros(x.shape) for x in leaves])
            continue
        grads = autograd.grad(f, leaves, create_graph=True, allow_unused=True)
        found.append([np.zeros(x.shape) if g is None else _array(g) for g, x in zip(grads, leaves)])
        if k < len(directions):
            terms = [(g * v).sum() for g, v in zip(grads, directions[k])
                     if g is not None and g.requires_grad]
            f = sum(terms[1:], terms[0]) if terms else None
    return found


def _array(g: Any) -> np.ndarray:
    """A gradient's values. (torch's may be a ZeroTensor, which has no memory: clone() makes
    it zeros; numpy(force=True) of one read freed memory and crashed the process once)"""
    return g.detach().clone().numpy() if isinstance(g, torch.Tensor) else np.array(g.data)


def lacking_in(loss: tg.Tensor) -> set[str]:
    """The ops recorded between the leaves and the loss that have no backward_graph."""
    return {t.grad_fn.name for t in engine.toposort(loss)
            if t.grad_fn is not None and not has_backward_graph(t.grad_fn)}


# Where a program's derivatives of an order cannot be compared: (op, the first order
# affected, where its input must not be). A program with such a value is skipped.
UNCOMPARABLE: list[tuple[str, int, Callable[[np.ndarray], np.ndarray]]] = [
    # e**-|x| I1(x)'s second derivative jumps at 0 (test_fuzz's builder lets 0 through: the
    # first is smooth); there ours takes 0 and the one-sided third, 15/8, torch's 0 and 0
    ("i1e", 2, lambda v: v == 0),
    # where tanh and sigmoid saturate, 1 - tanh(x)**2 and 1 - sigmoid(x) keep a relative
    # rounding error of eps over themselves (2e-6 at |x| = 12.5), torch's as ours but not
    # the same digits: their higher derivatives, amplified by the chain, cannot be compared
    ("tanh", 2, lambda v: np.abs(v) > 8),
    ("sigmoid", 2, lambda v: v > 16),
]


def comparable(graph: Graph, orders: int) -> bool:
    """No op of UNCOMPARABLE, from its order on, is given a value it must not be."""
    rules = [(op, where) for op, first, where in UNCOMPARABLE if orders >= first]
    if not any(step.op == op for step in graph.steps for op, _ in rules):
        return True
    with tg.no_grad():
        values = [v.data for v in graph.nodes(*graph.leaf_tensors())]
    return not any(step.op == op and np.any(where(values[step.args[0]]))
                   for step in graph.steps for op, where in rules)


def check_program(graph: Graph, orders: int = 2) -> str:
    """Derivatives up to `orders` (2: gradient and H.v; 3: and a third-order product) equal
    torch's; or, where the program records an op without backward_graph, refused naming
    it. Says which ("compared" or "refused"). (In a hypothesis test only: a program
    that is not `comparable` is rejected, `assume`.)"""
    assume(comparable(graph, orders))
    rng = np.random.default_rng(len(graph.steps))
    directions = [[rng.uniform(-1, 1, a.shape) for a in graph.leaves] for _ in range(orders - 1)]
    leaves = graph.leaf_tensors()
    loss = graph.run(*leaves)
    lacking = lacking_in(loss)
    try:
        if lacking:  # (its gradient: values; a derivative through them refused)
            gradients = tg.autograd.grad(loss, leaves, create_graph=True, allow_unused=True)
            total = sum((g * tg.Tensor(v)).sum() for g, v in zip(gradients, directions[0])
                        if g is not None)
            with pytest.raises(NotImplementedError) as refusal:
                tg.autograd.grad(total, leaves, allow_unused=True)
            message = str(refusal.value)
            assert "\n" not in message and any(f"op '{name}' has no backward_graph" in message
                                               for name in lacking), (message, lacking)
            return "refused"
        ours = derivatives(tg.autograd, loss, leaves, directions)
        plain = graph.leaf_tensors()
        graph.run(*plain).backward()
        for i, x in enumerate(plain):  # backward()'s gradients, as gradgradcheck asks
            np.testing.assert_allclose(ours[0][i], 0 if x.grad is None else x.grad.data,
                                       rtol=1e-10, atol=1e-12, err_msg=f"leaf {i}: backward()'s")
        t_loss, t_leaves = torch_program(graph)
        theirs = derivatives(torch.autograd, t_loss, t_leaves,
                             [[torch.from_numpy(v) for v in d] for d in directions])
        scale = 1.0
        for order, (got, expected) in enumerate(zip(ours, theirs), 1):
            # (atol relative to the largest entry of this order and the one before, at
            # least 1: an entry that is the small difference of large terms, as mish''
            # at 10, keeps their absolute rounding error, in torch as here)
            scale = max([scale] + [np.abs(b).max(initial=0) for b in expected])
            for i, (a, b) in enumerate(zip(got, expected)):
                np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL * scale,
                                           err_msg=f"order {order}, leaf {i}")
            scale = max([1.0] + [np.abs(b).max(initial=0) for b in expected])
    except Exception as err:  # noqa: BLE001  (any failure gets the program and its graph)
        raise AssertionError(failure_report(graph, graph.leaf_tensors(), err)) from err
    return "compared"


def program_strategy(names: Callable[[], tuple[str, ...]], max_steps: int = MAX_STEPS) -> Any:
    """test_fuzz's programs of the ops `names()` gives when first drawn (not at import)."""
    return st.deferred(lambda: graphs(ops=names(), max_steps=max_steps))


@pytest.mark.torch
@settings(max_examples=SECOND_ORDER_EXAMPLES, **FUZZ_SETTINGS)
@given(graph=program_strategy(second_order_ops))
def test_second_derivatives_of_random_programs_match_pytorch(graph):
    check_program(graph)


@pytest.mark.torch
@settings(max_examples=SECOND_ORDER_EXAMPLES, **FUZZ_SETTINGS)
@given(graph=program_strategy(lambda: _available(FOCUS)))
def test_broadcasting_reductions_matmul_and_indexing_match_pytorch(graph):
    check_program(graph)


@pytest.mark.torch
@settings(max_examples=THIRD_ORDER_EXAMPLES, **FUZZ_SETTINGS)
@given(graph=program_strategy(second_order_ops))
def test_third_order_products_of_random_programs_match_pytorch(graph):
    check_program(graph, orders=3)


def test_the_focused_programs_broadcast_reduce_multiply_and_index():
    counts = dict.fromkeys(("broadcast", "reduction", "matmul", "getitem"), 0)

    @settings(max_examples=100, database=None, derandomize=True, **FUZZ_SETTINGS)
    @given(graph=program_strategy(lambda: _available(FOCUS)))
    def collect(graph):
        shapes = [v.shape for v in graph.nodes(*graph.leaf_tensors())]
        ops = {s.op for s in graph.steps}
        counts["broadcast"] += any(len(s.args) == 2 and shapes[s.args[0]] != shapes[s.args[1]]
                                   and s.op not in ("matmul", "linear") for s in graph.steps)
        counts["reduction"] += bool(ops & {"sum", "mean", "max", "min"})
        counts["matmul"] += bool(ops & {"matmul", "linear"})
        counts["getitem"] += "getitem" in ops

    collect()  # (each feature in some programs; the draws depend on the ops registered)
    assert all(n >= 5 for n in counts.values()), counts


# ---------------------------------------------------------------------------------------
# Refusals, and planted bugs


def fuzz(ops: tuple[str, ...], examples: int, orders: int = 2) -> list[str]:
    """check_program over `examples` programs of `ops` (no shrinking); what each gave."""
    outcomes: list[str] = []

    @settings(max_examples=examples, database=None, derandomize=True,
              phases=[Phase.generate], **FUZZ_SETTINGS)
    @given(graph=graphs(ops=ops, max_steps=5))
    def run(graph):
        outcomes.append(check_program(graph, orders))

    run()
    return outcomes


@pytest.mark.torch
def test_programs_through_ops_without_backward_graph_are_refused_naming_them():
    lacking = lacking_ops()
    if lacking:  # (none left: test_planted_removed_backward_graph_* shows the refusal)
        outcomes = fuzz(lacking + _available(("add", "tanh", "mul")), 40)
        assert "refused" in outcomes


@pytest.mark.torch
def test_planted_removed_backward_graph_is_refused_naming_the_op(monkeypatch):
    monkeypatch.setattr(ops_module.elementary.Tanh, "backward_graph", None)
    outcomes = fuzz(("tanh", "add", "mul"), 20)
    assert "refused" in outcomes and "compared" in outcomes  # (some draw no tanh)


@pytest.mark.torch
def test_planted_constant_factor_in_a_second_derivative_is_caught(monkeypatch):
    def constant(ctx, out, g):  # the right first derivative; 1 - out**2 taken as a constant
        return g * (1 - out.detach() * out.detach())

    monkeypatch.setattr(ops_module.elementary.Tanh, "backward_graph", constant)
    with pytest.raises(AssertionError) as info:
        fuzz(("tanh", "add", "mul"), 30)
    report = str(info.value)
    assert "order 2" in report and "tg.tanh(" in report and "digraph" in report


# ---------------------------------------------------------------------------------------
# Models: a gradient penalty and a Hessian, against torch to 1e-12

SIZES = (3, 5, 2)  # an MLP 3 -> 5 -> 2 on 4 samples


def _mlps(seed: int) -> tuple[Any, Any, np.ndarray, np.ndarray]:
    """The same MLP (Linear, tanh, Linear) in both frameworks, and data."""
    rng = np.random.default_rng(seed)
    ours = tg.nn.Sequential(tg.nn.Linear(SIZES[0], SIZES[1]), tg.nn.Tanh(),
                            tg.nn.Linear(SIZES[1], SIZES[2]))
    theirs = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Tanh(),
                                 torch.nn.Linear(SIZES[1], SIZES[2])).double()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        p.data = rng.uniform(-1, 1, p.shape)
        with torch.no_grad():
            q.copy_(torch.from_numpy(np.array(p.data)))
    return ours, theirs, rng.normal(size=(4, SIZES[0])), rng.normal(size=(4, SIZES[2]))


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # (torch's)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("penalised", ["0.weight", "all"])
def test_a_gradient_penalty_on_an_mlp_matches_pytorch(seed, penalised):
    ours, theirs, x, y = _mlps(seed)
    loss = tg.nn.functional.mse_loss(ours(tg.Tensor(x)), tg.Tensor(y))
    loss.backward(create_graph=True)
    first = [np.array(p.grad.data) for p in ours.parameters()]
    chosen = [p for name, p in ours.named_parameters() if penalised in ("all", name)]
    penalty = sum(((w.grad ** 2).sum() for w in chosen[1:]), (chosen[0].grad ** 2).sum())
    penalty.backward()
    t_loss = torch.nn.functional.mse_loss(theirs(torch.from_numpy(x)), torch.from_numpy(y))
    t_loss.backward(create_graph=True)
    t_first = [p.grad.detach().clone() for p in theirs.parameters()]
    t_chosen = [p for name, p in theirs.named_parameters() if penalised in ("all", name)]
    t_penalty = sum((w.grad ** 2).sum() for w in t_chosen)
    t_penalty.backward()
    assert len(chosen) == len(t_chosen) >= 1
    np.testing.assert_allclose(penalty.item(), t_penalty.item(), rtol=1e-12)
    for (name, p), q, g, tg_first in zip(ours.named_parameters(), theirs.parameters(),
                                          t_first, first):
        np.testing.assert_allclose(tg_first, g.numpy(), rtol=1e-12, atol=1e-15, err_msg=name)
        # .grad now holds the loss's gradient plus the penalty's, as torch's
        np.testing.assert_allclose(p.grad.data, q.grad.detach().numpy(), rtol=1e-12,
                                   atol=1e-15, err_msg=name)


@pytest.mark.torch
@pytest.mark.parametrize("seed", [0, 1])
def test_the_hessian_of_an_mlps_loss_in_a_weight_matches_pytorch(seed):
    ours, theirs, x, y = _mlps(seed)
    w1, b1, w2, b2 = (np.array(p.data) for p in ours.parameters())

    def loss(framework: Any, w: Any) -> Any:  # the loss as a function of the first weight
        f = framework.nn.functional
        hidden = framework.tanh(f.linear(as_(framework, x), w, as_(framework, b1)))
        return f.mse_loss(f.linear(hidden, as_(framework, w2), as_(framework, b2)),
                          as_(framework, y))

    def as_(framework: Any, a: np.ndarray) -> Any:
        return tg.Tensor(a) if framework is tg else torch.from_numpy(a)

    ours_h = tg.autograd.functional.hessian(lambda w: loss(tg, w), tg.Tensor(w1))
    theirs_h = torch.autograd.functional.hessian(lambda w: loss(torch, w), torch.from_numpy(w1))
    assert ours_h.shape == w1.shape * 2
    np.testing.assert_allclose(ours_h.data, theirs_h.numpy(), rtol=1e-12, atol=1e-15)
