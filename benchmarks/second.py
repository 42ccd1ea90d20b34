"""Benchmark 6, `second`: what a second derivative costs, float64, one thread.

Three rows, each checked before it is timed:

1. Hessian-vector product of the 784-128-10 MLP of mlp.py's plain-ops row with biases
   (`relu(x @ w1 + b1) @ w2 + b2`, mean squared error against one-hot targets, batch 64)
   with respect to (w1, b1, w2, b2), for a random direction v. tinygrad_gd and PyTorch by
   double backward (`autograd.grad(loss, params, create_graph=True)`, then the gradient of
   `sum(g * v)`); NumPy by hand with Pearlmutter's R-operator (forward, R-forward,
   backward, R-backward). The plain gradient of each is timed beside it. The three HVPs
   must agree to 1e-9 relative, so the hand-written one is known to be right.
2. A gradient-penalty training step (WGAN-GP style) of a 32-64-1 tanh MLP, batch 64:
   `f(x).mean() + 10 * ((|df/dx| - 1) ** 2).mean()`, the gradient of f with respect to x
   taken with `create_graph=True`, then backward, SGD and zero grad; beside it the same
   step without the penalty. The parameters' gradients must agree with PyTorch's first.
3. The per-node cost of the graph pass on node.py's chain of 100 elementwise ops on 3
   elements: forward, then backward, backward(create_graph=True), or a second derivative
   (the gradient with a graph, then its sum's gradient), against PyTorch.

As in mlp.py, tinygrad_gd with NumPy and PyTorch run in two worker processes (PyTorch's
import changes how the process allocates), asked for one round in turn. Each worker first
frees one 16 MiB block, which raises glibc's mmap threshold as importing torch does, so
the two sides allocate alike and the figures do not hang on the process's history. Before
a process has freed a large block, glibc may hand the float64 MLP's freed arrays back to
the system after each call: in a process that had built only tinygrad_gd's MLP, its
gradient paid about 360 page faults per call, 1.5 ms instead of 0.9 ms (mlp.py's float32
steps were not affected).

Worker mode: `python -m benchmarks.second --side ours|torch --row hvp|penalty|chain [--quick]`.
"""
from __future__ import annotations

import argparse
import importlib.util
import warnings
from typing import Any, Callable

import numpy as np

from .harness import (OURS, Section, Stat, Worker, calibrate, fmt_ratio, fmt_stat_time, fmt_time,
                      package, ratios, send, serve, table, time_batch)
from .node import A, DEPTH, X0, chain

SIZES, BATCH = (784, 128, 10), 64
GP_SIZES, GP_BATCH, LAM, LR = (32, 64, 1), 64, 10.0, 0.01
HVP_RTOL, RTOL = 1e-9, 1e-10
TORCH = "PyTorch"
HAND = "NumPy (hand, R-operator)"


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """Largest difference over the largest entry of `want`: one figure per array."""
    return float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300))


def init_layers(rng: np.random.Generator, sizes: tuple[int, ...]) -> list[np.ndarray]:
    """[w1 (in, out), b1, w2, b2, ...] drawn as PyTorch's nn.Linear draws them, float64."""
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / n_in ** 0.5
        params += [rng.uniform(-bound, bound, (n_in, n_out)), rng.uniform(-bound, bound, n_out)]
    return params


def as_lists(arrays: list) -> list[list]:
    """Tensors or arrays as nested lists, for the JSON line to the parent."""
    return [np.asarray(a.detach().numpy() if hasattr(a, "detach") else a).tolist()
            for a in arrays]


# ---------------------------------------------------------------------------------------
# Row 1: Hessian-vector product of the 784-128-10 MLP


def mlp_arrays(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, list[np.ndarray]]:
    """Parameters [w1, b1, w2, b2], data, one-hot targets and a random direction v of the
    parameters' shapes: all float64."""
    rng = np.random.default_rng(seed)
    params = init_layers(rng, SIZES)
    x = rng.standard_normal((BATCH, SIZES[0]))
    y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], BATCH)]
    v = [rng.standard_normal(p.shape) for p in params]
    return params, x, y, v


Pair = tuple[Callable[[], list], Callable[[], list]]


def autograd_pair(lib: Any, params: list, x: Any, y: Any, v: list) -> Pair:
    """gradient and hvp by the framework's autograd (tinygrad_gd and PyTorch share names)."""
    w1, b1, w2, b2 = params

    def loss() -> Any:
        return (((x @ w1 + b1).relu() @ w2 + b2 - y) ** 2).mean()

    def gradient() -> list:
        return list(lib.autograd.grad(loss(), params))

    def hvp() -> list:
        grads = lib.autograd.grad(loss(), params, create_graph=True)
        dot = (grads[0] * v[0]).sum()
        for g, d in zip(grads[1:], v[1:]):
            dot = dot + (g * d).sum()
        return list(lib.autograd.grad(dot, params))

    return gradient, hvp


def make_ours() -> Pair:
    tg = package()
    params, x, y, v = mlp_arrays()
    return autograd_pair(tg, [tg.Tensor(p, requires_grad=True) for p in params], tg.Tensor(x),
                         tg.Tensor(y), [tg.Tensor(d) for d in v])


def make_torch() -> Pair:
    import torch

    params, x, y, v = mlp_arrays()
    return autograd_pair(torch, [torch.from_numpy(p).requires_grad_(True) for p in params],
                         torch.from_numpy(x), torch.from_numpy(y), [torch.from_numpy(d) for d in v])


def make_numpy() -> Pair:
    """The gradient by hand, and H v by Pearlmutter's R-operator: R{.} is the derivative
    along v, d/dt at t = 0 of each quantity with the parameters at p + t v."""
    (w1, b1, w2, b2), x, y, (v1, c1, v2, c2) = mlp_arrays()
    scale = 2 / y.size  # d mean(d ** 2) / d d = 2 d / (batch * classes)

    def forward() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = x @ w1 + b1
        mask = z > 0
        h = z * mask
        return mask, h, (h @ w2 + b2 - y) * scale  # the last: d loss / d pred

    def gradient() -> list:
        mask, h, g_pred = forward()
        g_pre = (g_pred @ w2.T) * mask
        return [x.T @ g_pre, g_pre.sum(0), h.T @ g_pred, g_pred.sum(0)]

    def hvp() -> list:
        mask, h, g_pred = forward()  # backward needs only g_pred: R-backward reads it
        r_h = (x @ v1 + c1) * mask  # R-forward: relu's mask is a constant along v
        r_g_pred = (r_h @ w2 + h @ v2 + c2) * scale  # R{pred}, scaled as g_pred is
        r_g_pre = (r_g_pred @ w2.T + g_pred @ v2.T) * mask  # R-backward, product rule
        return [x.T @ r_g_pre, r_g_pre.sum(0), r_h.T @ g_pred + h.T @ r_g_pred,
                r_g_pred.sum(0)]

    return gradient, hvp


# ---------------------------------------------------------------------------------------
# Row 2: a gradient-penalty training step


def penalty_arrays(seed: int = 1) -> tuple[list[np.ndarray], np.ndarray]:
    """Parameters [w1, b1, w2, b2] and data of the gradient-penalty step: float64."""
    rng = np.random.default_rng(seed)
    params = init_layers(rng, GP_SIZES)
    return params, rng.standard_normal((GP_BATCH, GP_SIZES[0]))


def penalty_closures(lib: Any, params: list, data: Any, penalty: bool) -> tuple:
    """(backward: zero grad, forward, penalty, backward; step: that and the SGD update)."""
    w1, b1, w2, b2 = params
    opt = lib.optim.SGD(params, lr=LR)

    def backward() -> Any:
        opt.zero_grad()
        x = data.detach().requires_grad_(True)  # as WGAN-GP's interpolates: a fresh leaf
        out = (x @ w1 + b1).tanh() @ w2 + b2
        loss = out.mean()
        if penalty:
            (g,) = lib.autograd.grad(out.sum(), x, create_graph=True)  # rows independent
            loss = loss + LAM * ((g.pow(2).sum(1).sqrt() - 1) ** 2).mean()
        loss.backward()
        return loss

    def step() -> None:
        backward()
        opt.step()

    return backward, step


def make_penalty(framework: str, penalty: bool) -> tuple:
    """(backward, step, the parameters) of one framework, from the same arrays."""
    params, data = penalty_arrays()
    if framework == OURS:
        tg = package()
        tensors = [tg.Tensor(p, requires_grad=True) for p in params]
        return penalty_closures(tg, tensors, tg.Tensor(data), penalty) + (tensors,)
    import torch

    tensors = [torch.from_numpy(p).requires_grad_(True) for p in params]
    return penalty_closures(torch, tensors, torch.from_numpy(data), penalty) + (tensors,)


# ---------------------------------------------------------------------------------------
# Row 3: the per-node cost of the graph pass


def chain_closures(lib: Any, x: Any, a: Any, tanh: Callable[[Any], Any]) -> dict[str, Callable]:
    """node.py's chain: forward alone, then each pass after it, clearing x's gradient."""
    def forward() -> Any:
        return chain(x, a, tanh)

    def backward() -> None:
        forward().sum().backward()
        x.grad = None

    def backward_graph() -> None:
        forward().sum().backward(create_graph=True)
        x.grad = None  # also breaks the cycle x -> x.grad -> its graph -> x

    def second() -> Any:
        (g,) = lib.autograd.grad(forward().sum(), x, create_graph=True)
        return lib.autograd.grad(g.sum(), x)[0]

    return {"forward": forward, "backward": backward, "create_graph": backward_graph,
            "second": second}


def make_chain(framework: str) -> tuple[dict[str, Callable], Any]:
    """The chain's closures in one framework, and its x."""
    if framework == OURS:
        tg = package()
        x = tg.Tensor(X0, requires_grad=True)
        return chain_closures(tg, x, tg.Tensor(A), tg.Tensor.tanh), x
    import torch

    x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    return chain_closures(torch, x, torch.tensor(A, dtype=torch.float64), torch.tanh), x


def chain_derivatives(closures: dict[str, Callable], x: Any) -> list:
    """The gradient by backward(), by backward(create_graph=True), and the second derivative."""
    out = []
    for create_graph in (False, True):
        closures["forward"]().sum().backward(create_graph=create_graph)
        out.append(x.grad.detach())
        x.grad = None
    return out + [closures["second"]()]


# ---------------------------------------------------------------------------------------
# Worker: one side's candidates of one row, the values to check, a round per request

PASSES = {"forward": "forward (graph recorded)", "backward": "forward + backward()",
          "create_graph": "forward + backward(create_graph=True)",
          "second": "forward + second derivative (grad with a graph, grad of its sum)"}
KINDS = {"hvp": ("gradient", "HVP"), "penalty": ("plain", "penalty"), "chain": tuple(PASSES)}
Built = tuple[dict[str, Callable[[], Any]], dict[str, list]]


def build(row: str, side: str) -> Built:
    """The timed closures {candidate: fn} and the values to check {name: arrays as lists}."""
    fw = OURS if side == "ours" else TORCH
    if row == "hvp":
        pairs = {OURS: make_ours(), HAND: make_numpy()} if fw == OURS else {TORCH: make_torch()}
        timed = {f"{name} {kind}": pair[i] for name, pair in pairs.items()
                 for i, kind in enumerate(KINDS[row])}
        return timed, {name: as_lists(fn()) for name, fn in timed.items()}
    if row == "penalty":
        backward, _, params = make_penalty(fw, True)
        check = {fw: as_lists([backward()] + [p.grad for p in params])}
        timed = {f"{fw} {kind}": make_penalty(fw, kind == "penalty")[1] for kind in KINDS[row]}
        return timed, check
    closures, x = make_chain(fw)
    check = {fw: as_lists(chain_derivatives(closures, x))}
    return {f"{fw} {kind}": fn for kind, fn in make_chain(fw)[0].items()}, check


def worker(side: str, row: str, quick: bool) -> None:
    from threadpoolctl import threadpool_limits

    np.empty(2 ** 24, np.uint8)  # mapped and freed at once: see the module's docstring
    threadpool_limits(limits=1)
    if side == "torch":
        import torch

        torch.set_num_threads(1)
        # PyTorch warns of the cycle backward(create_graph=True) makes; the closure breaks it
        warnings.filterwarnings("ignore", message=r"Using backward\(\) with create_graph=True")
    timed, check = build(row, side)
    batch_s = (0.05 if quick else 0.08) if row == "hvp" else (0.02 if quick else 0.03)
    calls = {name: calibrate(fn, 0.1 if quick else 0.2, batch_s) for name, fn in timed.items()}
    send({"check": check})
    names, counter = list(timed), [0]

    def one_round() -> dict[str, Any]:
        shift = counter[0] % len(names)
        counter[0] += 1
        return {"times": {n: time_batch(timed[n], calls[n]) for n in names[shift:] + names[:shift]}}

    serve({"round": one_round})


# ---------------------------------------------------------------------------------------
# Parent: the rounds, the checks, the tables


def measure(row: str, rounds: int, quick: bool, with_torch: bool
            ) -> tuple[dict[str, list[float]], dict[str, list]]:
    """Samples of every candidate, the two workers asked for a round in turn; the checks."""
    sides = ["ours"] + (["torch"] if with_torch else [])
    workers = [Worker("benchmarks.second", ["--side", side, "--row", row]
                      + (["--quick"] if quick else []), threads=1) for side in sides]
    try:
        checks = {k: v for w in workers for k, v in w.read()["check"].items()}
        samples: dict[str, list[float]] = {}
        for r in range(rounds):
            for w in workers[r % len(workers):] + workers[:r % len(workers)]:
                for name, t in w.request("round")["times"].items():
                    samples.setdefault(name, []).append(t)
    finally:
        for w in workers:
            w.close()
    return samples, checks


def compare(what: str, got: list, want: list, rtol: float) -> float:
    """The worst relative error of `got` against `want` (lists of arrays); over rtol: raise."""
    worst = 0.0
    for k, (a, b) in enumerate(zip(got, want)):
        err = relative_error(np.asarray(a), np.asarray(b))
        if not err <= rtol:
            raise AssertionError(f"{what}, entry {k}: {err:.2e} relative apart (at most {rtol:g})")
        worst = max(worst, err)
    return worst


def check_hvp(checks: dict[str, list]) -> str:
    worst = max(compare(f"MLP: {name} against {OURS}'s", values,
                        checks[f"{OURS} {name.rsplit(' ', 1)[1]}"], HVP_RTOL)
                for name, values in checks.items())
    return f"the three gradients and HVPs agree (worst {worst:.1e} relative, at most {HVP_RTOL:g})"


def check_penalty(checks: dict[str, list]) -> str:
    loss = checks[OURS][0]
    if TORCH not in checks:
        return f"loss {loss:.6f} (no PyTorch to compare with)"
    worst = compare(f"gradient penalty: PyTorch's loss and parameter gradients against {OURS}'s",
                    checks[TORCH], checks[OURS], RTOL)
    return f"loss {loss:.6f}, it and the parameter gradients as PyTorch's ({worst:.1e} relative)"


def check_chain(checks: dict[str, list]) -> str:
    for fw, (first, with_graph, _) in checks.items():
        compare(f"chain: {fw}'s backward(create_graph=True) against backward()", [with_graph],
                [first], RTOL)
        compare(f"chain: {fw} against {OURS}", checks[fw], checks[OURS], RTOL)
    first, _, second = checks[OURS]
    return (f"gradient {np.round(first, 6).tolist()}, second derivative "
            f"{np.round(second, 6).tolist()} in every framework and pass")


def _times(samples: dict[str, list[float]], name: str, unit: float = 1.0) -> Stat:
    return Stat.of(samples[name]).scaled(1 / unit)


def _ratio(samples: dict[str, list[float]], top: str, bottom: str) -> str:
    return fmt_ratio(Stat.of(ratios(samples[top], samples[bottom])))


def pair_rows(samples: dict[str, list[float]], names: list[str], kinds: tuple[str, ...]
              ) -> list[list[str]]:
    """Per name: both kinds' times, the second over the first, tinygrad_gd / it for each."""
    first, second = kinds
    rows = []
    for name in names:
        a, b = f"{name} {first}", f"{name} {second}"
        rows.append([name, fmt_stat_time(_times(samples, a)), fmt_stat_time(_times(samples, b)),
                     _ratio(samples, b, a)]
                    + (["1", "1"] if name == OURS else
                       [_ratio(samples, f"{OURS} {first}", a),
                        _ratio(samples, f"{OURS} {second}", b)]))
    return rows


def chain_rows(samples: dict[str, list[float]], frameworks: list[str]) -> list[list[str]]:
    """Per pass and framework: time per node, the part after the forward, tinygrad_gd / it."""
    rows = []
    for kind, label in PASSES.items():
        for fw in frameworks:
            total = _times(samples, f"{fw} {kind}", DEPTH)
            forward = _times(samples, f"{fw} forward", DEPTH).median
            first = _times(samples, f"{fw} backward", DEPTH).median - forward
            after = total.median - forward
            rows.append([label, fw, fmt_stat_time(total),
                         "" if kind == "forward" else f"{fmt_time(after)} ({after / first:.1f}x)",
                         "1" if fw == OURS else _ratio(samples, f"{OURS} {kind}", f"{fw} {kind}")])
    return rows


def run(quick: bool = False) -> Section:
    section = Section("6. Second derivatives: what they cost (float64, 1 thread)")
    with_torch = importlib.util.find_spec("torch") is not None
    frameworks = [OURS] + ([TORCH] if with_torch else [])
    rounds = {"hvp": 5 if quick else 15, "penalty": 7 if quick else 21, "chain": 7 if quick else 21}
    measured = {row: measure(row, n, quick, with_torch) for row, n in rounds.items()}
    samples = {row: found[0] for row, found in measured.items()}
    checks = [check_hvp(measured["hvp"][1]), check_penalty(measured["penalty"][1]),
              check_chain(measured["chain"][1])]
    section.blocks += [
        f"**Hessian-vector product**, {'-'.join(map(str, SIZES))} MLP, batch {BATCH}, with "
        f"respect to (w1, b1, w2, b2):\n\n" + table(
            ["implementation", "gradient: median (min - max)", "HVP: median (min - max)",
             "HVP / gradient (round by round)", f"{OURS} / it: gradient", f"{OURS} / it: HVP"],
            pair_rows(samples["hvp"], [OURS] + frameworks[1:] + [HAND], KINDS["hvp"])),
        f"**Gradient-penalty step** (WGAN-GP style), {'-'.join(map(str, GP_SIZES))} tanh MLP, "
        f"batch {GP_BATCH}, lambda {LAM:g}, SGD lr {LR}:\n\n" + table(
            ["framework", "step without the penalty", "step with the penalty",
             "with / without (round by round)", f"{OURS} / it: without", f"{OURS} / it: with"],
            pair_rows(samples["penalty"], frameworks, KINDS["penalty"])),
        f"**Per node**, node.py's chain of {DEPTH} elementwise ops on 3 elements:\n\n" + table(
            ["pass", "framework", "per node: median (min - max)",
             "after the forward, per node (x the first-order backward's)",
             f"{OURS} / it (round by round)"], chain_rows(samples["chain"], frameworks))]
    notes = ([] if with_torch else ["PyTorch not installed: its rows and comparisons are skipped."])
    notes += [
        f"Checked before timing: {checks[0]}; the penalty step: {checks[1]}; the chain: "
        f"{checks[2]}.",
        "Times include the forward pass. HVP / gradient and every ratio are taken round by "
        f"round. After the forward = (median(pass) - median(forward)) / {DEPTH}; in brackets, "
        "that over the first-order backward's.",
        f"{OURS} with NumPy, and PyTorch, in two worker processes at 1 thread, one round from "
        "each in turn; interleaved rounds: "
        + ", ".join(f"{n} ({row})" for row, n in rounds.items()) + "."]
    section.blocks.append("\n".join(f"- {n}" for n in notes))
    section.data = {row: {name: vars(Stat.of(v)) for name, v in found.items()}
                    for row, found in samples.items()}
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description="benchmark second's worker process")
    parser.add_argument("--side", choices=["ours", "torch"], required=True)
    parser.add_argument("--row", choices=list(KINDS), required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    worker(args.side, args.row, args.quick)


if __name__ == "__main__":
    main()
