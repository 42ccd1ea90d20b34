"""Benchmark 3: one float32 training step of an MLP, MNIST-sized, where matrix products dominate.

Networks: 784-128-10 at batch 64 and 256, 784-1024-1024-10 at batch 256; ReLU between
layers, cross-entropy on logits, plain SGD (lr 0.01). Every implementation starts from
the same weights and data and must produce the same first losses (checked before timing):

    tinygrad_gd         nn.Sequential(nn.Linear, nn.ReLU, ...), nn.CrossEntropyLoss, optim.SGD
    NumPy (hand)        the same step with the gradients written out by hand
    NumPy GEMMs only    only the step's matrix products (same shapes, same layouts): the floor
                        no framework can beat; its rate is "the measured GEMM rate"
    PyTorch             torch.nn equivalents, torch.optim.SGD

The NumPy side (the first three) and the PyTorch side run in two separate worker processes:
their BLAS worker threads spin after each call and would slow each other down in one
process. The parent asks the workers for one round in turn (order rotated each round), so
ratios between the two processes are still taken round by round.

A second row, "plain ops", writes the 784-128-10 network the way the documents do, with no
`nn` module: `relu(x @ w1) @ w2`, the loss `mean((pred - y) ** 2)` against one-hot labels,
no biases, the same SGD; NumPy by hand and PyTorch write the same step.

Worker mode: `python -m benchmarks.mlp --side numpy|torch --sizes 784,128,10 --batch 64 [--plain]`.
"""
from __future__ import annotations

import argparse
import importlib.util
from typing import Any, Callable

import numpy as np

from .harness import (OURS, Section, Stat, Target, Worker, calibrate, fmt_ratio, fmt_stat_time,
                      package, ratios, send, serve, table, time_batch)

CONFIGS: list[tuple[tuple[int, ...], int]] = [((784, 128, 10), 64), ((784, 128, 10), 256),
                                              ((784, 1024, 1024, 10), 256)]
LR = 0.01
CHECK_STEPS = 3
PLAIN = ((784, 128, 10), 64)  # the plain-ops row: x @ w1, relu, @ w2, mean squared error


def label(sizes: tuple[int, ...], batch: int) -> str:
    return f"{'-'.join(map(str, sizes))}, batch {batch}"


def step_flops(sizes: tuple[int, ...], batch: int) -> int:
    """Multiply-adds x 2 of one step: forward, weight gradients, input gradients but the first."""
    layers = list(zip(sizes[:-1], sizes[1:]))
    products = sum(n_in * n_out for n_in, n_out in layers)
    first = sizes[0] * sizes[1]
    return 2 * batch * (3 * products - first)


def init_arrays(sizes: tuple[int, ...], batch: int, seed: int = 0) -> tuple[list, np.ndarray, np.ndarray]:
    """Weights (out, in) and biases as PyTorch initialises them, data and labels: all float32."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / n_in ** 0.5
        params.append((rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32),
                       rng.uniform(-bound, bound, n_out).astype(np.float32)))
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    return params, x, y


def training_step(model: Any, loss_fn: Any, opt: Any, x: Any, y: Any) -> Callable[[], Any]:
    """One step as users of both frameworks write it (tinygrad_gd and PyTorch share the names)."""
    def step() -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


# ---------------------------------------------------------------------------------------
# The NumPy side


def make_ours(sizes: tuple[int, ...], batch: int, name: str = OURS) -> Callable[[], Any]:
    tg = package(name)
    nn, optim = tg.nn, tg.optim

    params, x_data, y = init_arrays(sizes, batch)
    layers: list[Any] = []
    for i, (w, b) in enumerate(params):
        linear = nn.Linear(w.shape[1], w.shape[0], dtype=np.float32)
        linear.weight.data[...] = w
        linear.bias.data[...] = b
        layers += [linear] + ([nn.ReLU()] if i < len(params) - 1 else [])
    model = nn.Sequential(*layers)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=LR)
    return training_step(model, loss_fn, opt, tg.Tensor(x_data), y)


def make_numpy(sizes: tuple[int, ...], batch: int) -> Callable[[], Any]:
    params, x, y = init_arrays(sizes, batch)
    rows = np.arange(batch)
    last = len(params) - 1

    def step() -> Any:
        inputs, pre = [x], []
        a = x
        for i, (w, b) in enumerate(params):
            z = a @ w.T + b
            pre.append(z)
            a = np.maximum(z, 0) if i < last else z
            inputs.append(a)
        shifted = a - a.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - shifted[rows, y])
        g = e / total  # d loss / d logits = (softmax - onehot) / batch
        g[rows, y] -= 1
        g /= batch
        for i in range(last, -1, -1):
            w, b = params[i]
            dw = g.T @ inputs[i]
            db = g.sum(axis=0)
            if i > 0:
                g = (g @ w) * (pre[i - 1] > 0)
            w -= LR * dw
            b -= LR * db
        return loss

    return step


def plain_arrays(sizes: tuple[int, ...], batch: int) -> tuple[list, np.ndarray, np.ndarray]:
    """The plain-ops step's weights as (in, out) matrices (`x @ w`), its data, one-hot labels."""
    params, x, y = init_arrays(sizes, batch)
    onehot = np.eye(sizes[-1], dtype=np.float32)[y]
    return [np.ascontiguousarray(w.T) for w, _ in params], x, onehot


def plain_step(w1: Any, w2: Any, x: Any, y: Any, opt: Any) -> Callable[[], Any]:
    """The plain-ops step as the documents write it (tinygrad_gd and PyTorch share it)."""
    def step() -> Any:
        opt.zero_grad()
        pred = (x @ w1).relu() @ w2
        loss = ((pred - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    return step


def make_plain_ours(sizes: tuple[int, ...], batch: int, name: str = OURS) -> Callable[[], Any]:
    tg = package(name)
    weights, x_data, y_data = plain_arrays(sizes, batch)
    w1, w2 = (tg.Tensor(w, requires_grad=True) for w in weights)
    return plain_step(w1, w2, tg.Tensor(x_data), tg.Tensor(y_data),
                      tg.optim.SGD([w1, w2], lr=LR))


def make_plain_numpy(sizes: tuple[int, ...], batch: int) -> Callable[[], Any]:
    (w1, w2), x, y = plain_arrays(sizes, batch)

    def step() -> Any:
        pre = x @ w1
        hidden = np.maximum(pre, 0)
        diff = hidden @ w2 - y
        loss = np.mean(diff ** 2)
        g = diff * (2 / diff.size)  # d loss / d pred
        dw2 = hidden.T @ g
        dw1 = x.T @ ((g @ w2.T) * (pre > 0))
        np.subtract(w1, LR * dw1, out=w1)
        np.subtract(w2, LR * dw2, out=w2)
        return loss

    return step


def make_plain_torch(sizes: tuple[int, ...], batch: int) -> Callable[[], Any]:
    import torch

    weights, x_data, y_data = plain_arrays(sizes, batch)
    w1, w2 = (torch.from_numpy(w).requires_grad_(True) for w in weights)
    return plain_step(w1, w2, torch.from_numpy(x_data), torch.from_numpy(y_data),
                      torch.optim.SGD([w1, w2], lr=LR))


def make_gemm_only(sizes: tuple[int, ...], batch: int) -> Callable[[], Any]:
    params, x, _ = init_arrays(sizes, batch)
    acts = [x] + [np.ones((batch, w.shape[0]), np.float32) for w, _ in params]

    def step() -> None:
        for i, (w, _) in enumerate(params):
            np.matmul(acts[i], w.T)  # forward
            np.matmul(acts[i + 1].T, acts[i])  # weight gradient (the output's gradient's shape)
            if i > 0:
                np.matmul(acts[i + 1], w)  # input gradient

    return step


def gemm_rate(n: int = 1024, seconds: float = 1.0) -> float:
    """FLOP/s of NumPy's float32 n x n x n product on this process's threads."""
    a = np.ones((n, n), np.float32)
    calls = calibrate(lambda: a @ a, 0.2, seconds / 3)
    best = min(time_batch(lambda: a @ a, calls) for _ in range(3))
    return 2 * n ** 3 / best


# ---------------------------------------------------------------------------------------
# The PyTorch side


def make_torch(sizes: tuple[int, ...], batch: int) -> Callable[[], Any]:
    import torch

    params, x_data, y_data = init_arrays(sizes, batch)
    layers: list[Any] = []
    for i, (w, b) in enumerate(params):
        linear = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear] + ([torch.nn.ReLU()] if i < len(params) - 1 else [])
    model = torch.nn.Sequential(*layers)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    return training_step(model, loss_fn, opt, torch.from_numpy(x_data), torch.from_numpy(y_data))


# ---------------------------------------------------------------------------------------
# Worker


def worker(side: str, sizes: tuple[int, ...], batch: int, threads: int, quick: bool,
           plain: bool = False) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
    if side == "torch":
        import torch

        torch.set_num_threads(threads)
        makers = {"PyTorch": make_plain_torch if plain else make_torch}
    elif plain:
        makers = {OURS: make_plain_ours, "NumPy (hand)": make_plain_numpy}
    else:
        makers = {OURS: make_ours, "NumPy (hand)": make_numpy, "NumPy GEMMs only": make_gemm_only}
    losses = {}
    for name, make in makers.items():
        if name != "NumPy GEMMs only":
            check = make(sizes, batch)  # a fresh copy: the timed one keeps training
            losses[name] = [check().item() for _ in range(CHECK_STEPS)]
    steps = {name: make(sizes, batch) for name, make in makers.items()}
    calls = {name: calibrate(fn, 0.2 if quick else 0.5, 0.05 if quick else 0.12)
             for name, fn in steps.items()}
    send({"losses": losses, "calls": calls})
    names = list(steps)
    counter = [0]

    def one_round() -> dict[str, Any]:
        shift = counter[0] % len(names)
        counter[0] += 1
        return {"times": {n: time_batch(steps[n], calls[n]) for n in names[shift:] + names[:shift]}}

    serve({"round": one_round, "peak": lambda: {"gemm_rate": gemm_rate()}})


# ---------------------------------------------------------------------------------------
# Parent


def measure(sizes: tuple[int, ...], batch: int, threads: int, rounds: int, quick: bool,
            with_torch: bool, plain: bool = False) -> tuple[dict[str, list[float]], float | None]:
    """Interleaved rounds over the two workers; and the 1024^3 GEMM rate on the first config."""
    args = ["--sizes", ",".join(map(str, sizes)), "--batch", str(batch), "--threads", str(threads)]
    args += (["--quick"] if quick else []) + (["--plain"] if plain else [])
    sides = ["numpy"] + (["torch"] if with_torch else [])
    workers = [Worker("benchmarks.mlp", ["--side", side] + args, threads) for side in sides]
    try:
        ready = [w.read() for w in workers]
        losses = {k: v for r in ready for k, v in r["losses"].items()}
        reference = losses[OURS]
        for name, values in losses.items():
            if not np.allclose(values, reference, rtol=1e-4):
                raise AssertionError(f"MLP {label(sizes, batch)}: {name} gives the losses {values} "
                                     f"over the first {CHECK_STEPS} steps, {OURS} {reference}")
        samples: dict[str, list[float]] = {}
        for r in range(rounds):
            order = workers[r % len(workers):] + workers[:r % len(workers)]
            for w in order:
                for name, t in w.request("round")["times"].items():
                    samples.setdefault(name, []).append(t)
        peak = workers[0].request("peak")["gemm_rate"] \
            if (sizes, batch) == CONFIGS[0] and not plain else None
    finally:
        for w in workers:
            w.close()
    return samples, peak


def run(quick: bool = False) -> Section:
    section = Section("3. MLP training step, float32")
    with_torch = importlib.util.find_spec("torch") is not None
    rows, gemm_rows, peaks = [], [], []
    results: dict[tuple, dict[str, Any]] = {}
    # 21 rounds at one thread: with 11 the headline median moved 1.08x - 1.19x between runs
    plan = ((1, 5 if quick else 21), (2, 3 if quick else 5))
    for sizes, batch in CONFIGS:
        flops = step_flops(sizes, batch)
        for threads, rounds in plan:
            samples, peak = measure(sizes, batch, threads, rounds, quick, with_torch)
            if peak:
                peaks.append([str(threads), f"{peak / 1e9:.1f} GFLOP/s"])
            ours = samples[OURS]
            stats = {name: Stat.of(v) for name, v in samples.items()}
            ratio = {name: Stat.of(ratios(ours, v)) for name, v in samples.items() if name != OURS}
            for name, stat in stats.items():
                rows.append([label(sizes, batch), str(threads), name, fmt_stat_time(stat),
                             f"{flops / stat.median / 1e9:.1f}",
                             fmt_ratio(ratio[name]) if name in ratio else "1"])
            gemm = samples["NumPy GEMMs only"]
            share = Stat.of(ratios(gemm, ours))  # fraction of the GEMM rate reached
            gemm_rows.append([label(sizes, batch), str(threads), f"{flops / 1e9:.3f}",
                              f"{flops / stats['NumPy GEMMs only'].median / 1e9:.1f}",
                              f"{flops / stats[OURS].median / 1e9:.1f}",
                              f"{share.median:.0%} ({share.low:.0%} - {share.high:.0%})"])
            results[(sizes, batch, threads)] = {"ratio": ratio, "share": share}
            section.data[f"{label(sizes, batch)}, threads {threads}"] = {
                name: vars(s) for name, s in stats.items()}
    sizes, batch = PLAIN
    samples, _ = measure(sizes, batch, 1, plan[0][1], quick, with_torch, plain=True)
    ours, flops = samples[OURS], step_flops(sizes, batch)
    plain_ratio = {n: Stat.of(ratios(ours, v)) for n, v in samples.items() if n != OURS}
    for name, values in samples.items():
        stat = Stat.of(values)
        rows.append([label(sizes, batch) + ", plain ops", "1", name, fmt_stat_time(stat),
                     f"{flops / stat.median / 1e9:.1f}",
                     fmt_ratio(plain_ratio[name]) if name in plain_ratio else "1"])
    results["plain"] = {"ratio": plain_ratio}
    section.data[f"{label(sizes, batch)}, plain ops, threads 1"] = {
        name: vars(Stat.of(v)) for name, v in samples.items()}
    section.blocks.append(table(
        ["network", "threads", "implementation", "time per step: median (min - max)", "GFLOP/s",
         f"{OURS} / it, round by round"], rows))
    section.blocks.append(table(
        ["network", "threads", "GFLOP per step", "GEMM rate (the step's GEMMs alone), GFLOP/s",
         f"{OURS} GFLOP/s", f"{OURS} share of the GEMM rate (round by round)"], gemm_rows))
    if peaks:
        section.blocks.append(table(["threads", "NumPy float32 GEMM 1024 x 1024 x 1024"], peaks))
    section.blocks.append(
        "- GFLOP per step counts 2 x multiply-adds of the forward products, the weight gradients "
        "and the input gradients of every layer but the first (the data needs none).\n"
        "- NumPy side and PyTorch side in separate worker processes, one round from each in "
        "turn; interleaved rounds: " + ", ".join(f"{r} at {t} thread(s)" for t, r in plan) + ".\n"
        f"- Checked before timing: every implementation gives the same losses (rtol 1e-4) over "
        f"its first {CHECK_STEPS} steps from the same weights and data."
        + ("" if with_torch else "\n- PyTorch not installed: its rows and targets are skipped."))
    section.targets += _targets(results, with_torch)
    return section


def _targets(results: dict, with_torch: bool) -> list[Target]:
    small, large = ((784, 128, 10), 64, 1), ((784, 1024, 1024, 10), 256, 1)
    out = []
    r = results[small]["ratio"]["NumPy (hand)"].median
    out.append(Target("784-128-10 b64 vs NumPy", "<= 1.15x NumPy's time", f"{r:.2f}x", r <= 1.15))
    if with_torch:
        r = results[small]["ratio"]["PyTorch"].median
        out.append(Target("784-128-10 b64 vs PyTorch", "faster (< 1x)", f"{r:.2f}x", r < 1))
    else:
        out.append(Target("784-128-10 b64 vs PyTorch", "faster (< 1x)", "PyTorch not installed", None))
    r = results["plain"]["ratio"]["NumPy (hand)"].median
    out.append(Target("784-128-10 b64 plain ops vs NumPy", "<= 1.15x NumPy's time", f"{r:.2f}x",
                      r <= 1.15))
    if with_torch:
        r = results["plain"]["ratio"]["PyTorch"].median
        out.append(Target("784-128-10 b64 plain ops vs PyTorch", "faster (< 1x)", f"{r:.2f}x",
                          r < 1))
    r = results[large]["ratio"]["NumPy (hand)"].median
    out.append(Target("784-1024-1024-10 b256 vs NumPy", "<= 1.05x NumPy's time", f"{r:.2f}x", r <= 1.05))
    s = results[large]["share"].median
    out.append(Target("784-1024-1024-10 b256 GEMM rate", ">= 75% of the measured GEMM rate",
                      f"{s:.0%}", s >= 0.75))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="benchmark 3's worker process")
    parser.add_argument("--side", choices=["numpy", "torch"], required=True)
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--plain", action="store_true", help="the plain-ops step")
    args = parser.parse_args()
    worker(args.side, tuple(int(n) for n in args.sizes.split(",")), args.batch, args.threads,
           args.quick, args.plain)


if __name__ == "__main__":
    main()
