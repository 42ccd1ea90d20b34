"""Autograd's mechanics against PyTorch 2.13, in random programs (thirty-sixth round): the
same seeded programs run in both libraries, float64, comparing values, `.grad`s, hook
calls (their arguments and how often, in each hook's order) and errors (both refuse or
both accept, the same type):

- tensor hooks returning None or a new gradient, on leaves and non-leaves, several on
  one tensor, some removed, `retain_grad`, `register_post_accumulate_grad_hook`, one
  backward or two;
- Module hooks: forward pre-hooks and hooks with and without kwargs (changing the
  arguments, the keyword arguments or the output), full backward hooks and pre-hooks
  (changing the gradients), a module called twice in one graph, in-place ops inside it;
- `tg.autograd.grad` with grad_outputs, allow_unused, materialize_grads, retain_graph,
  create_graph to third derivatives, is_grads_batched (with create_graph too: the rows
  were refused, now stacked by a recorded op and differentiated again);
- `tg.autograd.functional`'s six functions with vectorize, strict, create_graph and the
  strategies: with create_graph the function's outputs keep their graph and the products
  are differentiable with respect to `v` (both were cut), create_graph with the forward
  strategy is refused, hessian refuses strict with vectorize, and strict with
  create_graph refuses a product that depends on no input, as PyTorch's, and under the
  caller's no_grad() too the products of create_graph=True differentiate to x and v;
- in-place ops on leaves, non-leaves and their views, under no_grad, inference_mode and
  set_grad_enabled(False), `requires_grad_()`, then backward: an op that saved its own
  output (`h.exp_()`, `h.relu_()`) refuses its backward once h is changed again, as
  after `h = x.exp()` (it computed from a copy and accepted), a view's too (`h[0].exp_()`,
  then any change of h), in words that name h, its shape and the in-place op; erfinv's
  gradient reads its input, so `h.erfinv_()` then a change of h keeps it; a constant's
  view made a leaf by `requires_grad_()` refuses a write of a value that needs a
  gradient (it wrote through into the constant).

Differences kept on purpose and left out of the draws: PyTorch's forward-mode jacobian and
hessian give results with a graph even with create_graph=False, and its vectorized
jacobian with create_graph=True gives an output's block for an input that output does
not depend on a graph when another output's block for it has one (a view of one tensor
per input; ours is zeros without a graph), so vectorize is not drawn with create_graph;
PyTorch refuses a second change of a constant's view after a write that needs a gradient
("a leaf Variable ...") unless the view's grad_fn was read in between, so constants are
not drawn as bases.
Each mended case also has a check without torch."""
from __future__ import annotations

import random
import re
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg


def _numpy(value):
    """Tensors as (array, requires_grad), through tuples; other values as they are."""
    if isinstance(value, (tuple, list)):
        return tuple(_numpy(v) for v in value)
    if hasattr(value, "detach"):
        return (value.detach().numpy().copy(), bool(value.requires_grad))
    return value


def _pair(value):
    """Whether value is one tensor as `_numpy` gives it: (array, requires_grad)."""
    return isinstance(value, tuple) and len(value) == 2 and isinstance(
        value[0], np.ndarray) and isinstance(value[1], bool)


def _same(a, b, where=""):
    if _pair(a):
        assert isinstance(b, tuple) and np.shape(a[0]) == np.shape(b[0]), (where, a, b)
        np.testing.assert_allclose(b[0], a[0], rtol=1e-9, atol=1e-12, err_msg=where)
        assert a[1] == b[1], (where, "requires_grad", a[1], b[1])
    elif isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), (where, a, b)
        for k, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{k}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12, err_msg=where)
    else:
        assert a == b, (where, a, b)


def _both(torch, program, *args):
    """`program(lib, *args)` in each library: both results alike, or both errors of one
    type."""
    outcomes = []
    for lib in (torch, tg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                outcomes.append(("ok", program(lib, *args)))
            except Exception as error:  # (compared: both refuse, with one type)
                outcomes.append(("error", type(error).__name__, str(error)[:200]))
    (kind, *expected), (got_kind, *got) = outcomes
    assert kind == got_kind, outcomes
    if kind == "ok":
        _same(expected[0], got[0])
    else:
        assert expected[0] == got[0], outcomes


# -- 1. tensor hooks ----------------------------------------------------------------------
def _hooks_program(lib, p, data):
    tensors = [lib.tensor(d.copy(), requires_grad=True) for d in data[:p["leaves"]]]
    log = []
    for step in p["steps"]:
        a = tensors[step[1]]
        if step[0] == "binary":
            b = tensors[step[2]]
            b = b if a.shape == b.shape else b.sum()
            made = {"add": a + b, "mul": a * b, "sub": a - b}[step[3]]
        else:
            made = {"sin": lambda: a.sin(), "tanh": lambda: a.tanh(), "sq": lambda: a * a,
                    "view": lambda: a.reshape(-1), "slice": lambda: a[1:],
                    "flip": lambda: a.flip(0), "sum": lambda: a.sum(0, keepdim=True)}[step[2]]()
        tensors.append(made)
    for k, (i, kind, remove) in enumerate(p["hooks"]):
        def hook(g, k=k, kind=kind):
            log.append((k, g.detach().numpy().copy()))
            return g * (k + 2) if kind == "scale" else None
        handle = tensors[i].register_hook(hook)
        if remove:
            handle.remove()
    for i in p["retain"]:
        tensors[i].retain_grad()
    for i in p["post"]:
        tensors[i].register_post_accumulate_grad_hook(
            lambda t, i=i: log.append((f"post{i}", t.grad.numpy().copy())))
    made = tensors[p["leaves"]:]
    loss = sum((t.sum() * (j + 1) for j, t in enumerate(made)), lib.tensor(0.0))
    loss.backward(retain_graph=p["twice"])
    if p["twice"]:
        loss.backward()
    by_hook = {}  # (each hook's calls in order; PyTorch's order across tensors is its own)
    for key, grad in log:
        by_hook.setdefault(str(key), []).append(grad)
    grads = [None if t.grad is None else t.grad.numpy().copy() for t in tensors
             if t.is_leaf or t.retains_grad]
    return sorted(by_hook.items()), grads


def _draw_hooks(rng):
    leaves = rng.randint(1, 3)
    steps, count = [], leaves
    for _ in range(rng.randint(1, 5)):
        if rng.random() < 0.4 and count > 1:
            steps.append(("binary", rng.randrange(count), rng.randrange(count),
                          rng.choice(["add", "mul", "sub"])))
        else:
            steps.append(("unary", rng.randrange(count),
                          rng.choice(["sin", "tanh", "sq", "view", "slice", "flip", "sum"])))
        count += 1
    return dict(leaves=leaves, steps=steps,
                hooks=[(rng.randrange(count), rng.choice(["none", "scale"]), rng.random() < 0.25)
                       for _ in range(rng.randint(0, 5))],
                retain=[i for i in range(leaves, count) if rng.random() < 0.3],
                post=[i for i in range(leaves) if rng.random() < 0.5], twice=rng.random() < 0.4)


@pytest.mark.parametrize("seed", range(4))
def test_tensor_hooks_in_random_programs_agree(torch64, seed):
    for k in range(40):
        rng = random.Random(1000 * seed + k)
        p = _draw_hooks(rng)
        shape = rng.choice([(3,), (2, 3)])
        data = [np.random.default_rng(1000 * seed + k + j).normal(size=shape) for j in range(3)]
        _both(torch64, _hooks_program, p, data)


# -- 2. module hooks ----------------------------------------------------------------------
def _module_program(lib, p, x_data, w_data):
    class Scaled(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.tensor(w_data.copy()))

        def forward(self, x, scale=1.0, y=None):
            h = x * self.w * scale
            if p["inplace"] == "mul_":
                h.mul_(2.0)
            elif p["inplace"] == "tanh_":
                h = h.clone()
                h.tanh_()
            elif p["inplace"] == "input":
                x.mul_(2.0)
            return h if y is None else h + y

    module, log = Scaled(), []
    handles = []
    for k, kind in enumerate(p["hooks"]):
        if kind == "pre":
            def hook(mod, args, k=k):
                log.append(("pre", k, _numpy(args[0])))
                return (args[0] * 1.5,) + tuple(args[1:]) if p["change"] else None
            handles.append(module.register_forward_pre_hook(hook))
        elif kind == "pre_kwargs":
            def hook(mod, args, kwargs, k=k):
                log.append(("pre_kwargs", k, sorted(kwargs)))
                return (args, dict(kwargs, scale=3.0)) if p["change"] else None
            handles.append(module.register_forward_pre_hook(hook, with_kwargs=True))
        elif kind == "forward":
            def hook(mod, args, out, k=k):
                log.append(("forward", k, _numpy(out)))
                return out * 2 if p["change"] else None
            handles.append(module.register_forward_hook(hook))
        elif kind == "forward_kwargs":
            def hook(mod, args, kwargs, out, k=k):
                log.append(("forward_kwargs", k, sorted(kwargs)))
            handles.append(module.register_forward_hook(hook, with_kwargs=True))
        elif kind == "backward":
            def hook(mod, grad_in, grad_out, k=k):
                log.append(("backward", k, _numpy(grad_in), _numpy(grad_out)))
                if p["change"] and grad_in[0] is not None:
                    return (grad_in[0] * 0.5,) + tuple(grad_in[1:])
            handles.append(module.register_full_backward_hook(hook))
        else:
            def hook(mod, grad_out, k=k):
                log.append(("backward_pre", k, _numpy(grad_out)))
                return tuple(g * 3 for g in grad_out) if p["change"] else None
            handles.append(module.register_full_backward_pre_hook(hook))
    if p["remove"] is not None and handles:
        handles[p["remove"] % len(handles)].remove()
    x = lib.tensor(x_data.copy(), requires_grad=p["x_grad"])
    given = x * 1.0 if p["x_made"] else x
    outs = []
    for call in p["calls"]:
        out = {"plain": lambda: module(given), "keyword": lambda: module(given, scale=0.7),
               "y": lambda: module(given, y=given * 0.1)}[call]()
        outs.append(out)
        given = out if p["chain"] else given
    loss = sum(((o * (i + 1)).sum() for i, o in enumerate(outs)), lib.tensor(0.0))
    loss.backward()
    return _numpy(loss), log, _numpy(module.w.grad), _numpy(x.grad) if p["x_grad"] else None


@pytest.mark.parametrize("seed", range(3))
def test_module_hooks_in_random_programs_agree(torch64, seed):
    kinds = ["pre", "pre_kwargs", "forward", "forward_kwargs", "backward", "backward_pre"]
    for k in range(30):
        rng = random.Random(2000 * seed + k)
        p = dict(inplace=rng.choice([None, None, "mul_", "tanh_", "input"]),
                 hooks=[rng.choice(kinds) for _ in range(rng.randint(0, 4))],
                 change=rng.random() < 0.5, remove=rng.choice([None, None, 0, 1, 2]),
                 x_grad=rng.random() < 0.7, x_made=rng.random() < 0.5,
                 calls=[rng.choice(["plain", "keyword", "y"]) for _ in range(rng.randint(1, 3))],
                 chain=rng.random() < 0.5)
        x_data = np.random.default_rng(k).normal(size=(2, 3))
        _both(torch64, _module_program, p, x_data, np.random.default_rng(k + 1).normal(size=3))


# -- 3. autograd.grad ---------------------------------------------------------------------
def _compose(ops, tensors):
    tensors = list(tensors)
    for op, i, j in ops:
        a, b = tensors[i % len(tensors)], tensors[j % len(tensors)]
        tensors.append({"mul": lambda: a * b, "sin": lambda: a.sin(),
                        "exp": lambda: (a * 0.5).exp(), "pow": lambda: a ** 3,
                        "div": lambda: a / (b * b + 1), "log": lambda: (a * a + 1).log(),
                        "sum": lambda: a.sum() * b}[op]())
    return tensors


def _grad_program(lib, p, data):
    xs = [lib.tensor(d.copy(), requires_grad=True) for d in data[:p["inputs"]]]
    unused = lib.tensor(data[3].copy(), requires_grad=True)
    made = _compose(p["ops"], xs)
    outs = [made[-1 - k] for k in range(p["outputs"])]
    wanted = xs + ([unused] if p["unused"] else [])
    seeds = None
    if p["seeds"]:
        seeds = [lib.tensor(np.random.default_rng(p["seed"] + k).normal(size=tuple(o.shape)))
                 for k, o in enumerate(outs)]
        seeds = [lib.stack([g, g * 2, -g]) for g in seeds] if p["batched"] else seeds
    else:
        outs = [o.sum() for o in outs]
        seeds = [lib.tensor([1.0, 2.0]) for o in outs] if p["batched"] else None
    options = dict(allow_unused=p["allow_unused"], create_graph=p["order"] > 1 or p["graph"],
                   retain_graph=p["retain"], is_grads_batched=p["batched"])
    if p["materialize"]:
        options["materialize_grads"] = True
    grads = lib.autograd.grad(outs, wanted, grad_outputs=seeds, **options)
    results = [_numpy(grads)]
    for _ in range(2, p["order"] + 1):
        total = sum(((g * g).sum() for g in grads if g is not None), lib.tensor(0.0))
        grads = lib.autograd.grad(total, xs, create_graph=True, materialize_grads=True)
        results.append(_numpy(grads))
    if p["again"]:
        results.append(_numpy(lib.autograd.grad(outs, wanted, grad_outputs=seeds, **options)))
    return results


@pytest.mark.parametrize("seed", range(4))
def test_autograd_grad_in_random_programs_agrees(torch64, seed):
    for k in range(40):
        rng = random.Random(3000 * seed + k)
        p = dict(seed=k, inputs=rng.randint(1, 3),
                 ops=[(rng.choice(["mul", "sin", "exp", "pow", "div", "log", "sum"]),
                       rng.randrange(9), rng.randrange(9)) for _ in range(rng.randint(1, 5))],
                 outputs=rng.randint(1, 2), unused=rng.random() < 0.3,
                 allow_unused=rng.random() < 0.5, materialize=rng.random() < 0.3,
                 seeds=rng.random() < 0.5, batched=rng.random() < 0.3,
                 order=rng.choice([1, 1, 2, 3]), graph=rng.random() < 0.2,
                 retain=rng.choice([None, None, True, False]), again=rng.random() < 0.3)
        shape = rng.choice([(3,), (2, 2)])
        data = [np.random.default_rng(3000 * seed + k + j).normal(size=shape) for j in range(4)]
        _both(torch64, _grad_program, p, data)


def test_materialized_zeros_require_a_gradient_with_create_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    unused = tg.tensor([3.0, 4.0, 5.0], requires_grad=True)
    for create_graph in (False, True):
        _, zeros = tg.autograd.grad((x * x).sum(), (x, unused), create_graph=create_graph,
                                    materialize_grads=True)
        np.testing.assert_array_equal(zeros.numpy(), np.zeros(3))
        assert zeros.requires_grad is create_graph  # (PyTorch's zeros_like(requires_grad=))
    (again,) = tg.autograd.grad((zeros * zeros).sum(), zeros)  # (a leaf: differentiable)
    np.testing.assert_array_equal(again.numpy(), np.zeros(3))


def test_batched_grad_outputs_with_create_graph_agree(torch64):
    def program(lib):
        x = lib.tensor([0.3, -1.2, 0.7], requires_grad=True)
        seeds = lib.tensor(np.arange(9.0).reshape(3, 3) / 4, requires_grad=True)
        (rows,) = lib.autograd.grad((x ** 3).sin(), x, grad_outputs=seeds, create_graph=True,
                                    is_grads_batched=True)
        second = lib.autograd.grad((rows * rows).sum(), [x, seeds], create_graph=True)
        third = lib.autograd.grad(second[0].sum(), x)
        return _numpy(rows), _numpy(second), _numpy(third)
    _both(torch64, program)


# -- 4. autograd.functional ---------------------------------------------------------------
def _function(lib, p):
    def func(*xs):
        made = list(xs)
        for op, i, j in p["ops"]:
            a, b = made[i % len(made)], made[j % len(made)]
            made.append({"mul": lambda: a * b if a.shape == b.shape else a * b.sum(),
                         "sin": lambda: a.sin(), "exp": lambda: (a * 0.5).exp(),
                         "pow": lambda: a ** 3, "sum": lambda: a.sum() * b,
                         "const": lambda: a.detach() * 2, "zero": lambda: lib.zeros_like(a)}[op]())
        outs = made[len(xs):]
        if p["scalar"]:
            return outs[-1].sum()
        return tuple(outs[-2:]) if p["tuple_out"] and len(outs) > 1 else outs[-1]
    return func


def _functional_program(lib, p, data):
    functional = lib.autograd.functional
    xs = tuple(lib.tensor(d.copy(), requires_grad=p["x_grad"]) for d in data[:p["inputs"]])
    given = xs if p["tuple_in"] or len(xs) > 1 else xs[0]
    func, name = _function(lib, p), p["name"]
    options = dict(create_graph=p["graph"], strict=p["strict"])
    vs = []
    if name == "jacobian":
        result = functional.jacobian(func, given, vectorize=p["vectorize"],
                                     strategy=p["strategy"], **options)
    elif name == "hessian":
        result = functional.hessian(func, given, vectorize=p["vectorize"],
                                    outer_jacobian_strategy=p["strategy"], **options)
    else:
        like = func(*xs) if name == "vjp" else xs
        like = like if isinstance(like, tuple) else (like,)
        vs = [lib.tensor(np.random.default_rng(p["seed"] + k).normal(size=tuple(t.shape)),
                         requires_grad=p["v_grad"]) for k, t in enumerate(like)]
        v = None if p["v_none"] else tuple(vs) if len(vs) > 1 or isinstance(
            func(*xs) if name == "vjp" else given, tuple) else vs[0]
        result = getattr(functional, name)(func, given, v, **options)
    found = [_numpy(result)]
    if p["strategy"] == "forward-mode":  # (PyTorch's keep a graph without create_graph)
        return [tuple(pair[0] for pair in _flat(found[0]))]
    leaves = [t for t in list(xs) + ([] if p["v_none"] else vs) if t.requires_grad]
    parts = [t for t in _flat(result) if t.requires_grad]
    if leaves and parts:
        total = sum(((t * t).sum() for t in parts), lib.tensor(0.0))
        found.append(_numpy(lib.autograd.grad(total, leaves, allow_unused=True,
                                              materialize_grads=True)))
    return found


def _flat(value):
    """The tensors (or `_numpy` pairs) of a nest of tuples, in order."""
    if isinstance(value, (tuple, list)) and not _pair(value):
        return [leaf for item in value for leaf in _flat(item)]
    return [value]


@pytest.mark.parametrize("seed", range(5))
def test_autograd_functional_in_random_programs_agrees(torch64, seed):
    for k in range(40):
        rng = random.Random(4000 * seed + k)
        name = rng.choice(["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
        p = dict(seed=k, name=name, inputs=rng.randint(1, 2), tuple_in=rng.random() < 0.3,
                 ops=[(rng.choice(["mul", "sin", "exp", "pow", "sum", "const", "zero"]),
                       rng.randrange(9), rng.randrange(9)) for _ in range(rng.randint(1, 4))],
                 scalar=name in ("hessian", "hvp", "vhp") or (name == "vjp" and rng.random() < .3),
                 tuple_out=rng.random() < 0.3, graph=rng.random() < 0.4,
                 strict=rng.random() < 0.3, vectorize=rng.random() < 0.4,
                 strategy=rng.choice(["reverse-mode", "reverse-mode", "forward-mode"]),
                 v_none=rng.random() < 0.1, x_grad=rng.random() < 0.4, v_grad=rng.random() < 0.4)
        p["vectorize"] = p["vectorize"] and not p["graph"]  # (PyTorch's quirk: the docstring)
        shape = rng.choice([(3,), (2, 2), ()])
        data = [np.random.default_rng(4000 * seed + k + j).normal(size=shape) for j in range(3)]
        _both(torch64, _functional_program, p, data)


def test_functional_create_graph_keeps_the_outputs_and_v_differentiable():
    functional = tg.autograd.functional
    x0 = np.array([0.5, -1.0, 2.0])
    v0 = np.array([1.0, 2.0, -0.5])
    for name in ("vjp", "jvp", "hvp", "vhp"):
        x = tg.tensor(x0, requires_grad=True)
        v = tg.tensor(v0, requires_grad=True)
        scalar = name in ("hvp", "vhp")
        out, product = getattr(functional, name)(
            (lambda a: (a.sin() * a).sum()) if scalar else (lambda a: a.sin() * a), x, v,
            create_graph=True)
        assert out.requires_grad and product.requires_grad, name
        (through_out,) = tg.autograd.grad(out.sum(), x, retain_graph=True)
        np.testing.assert_allclose(through_out.numpy(), np.sin(x0) + x0 * np.cos(x0))
        (through_v,) = tg.autograd.grad(product.sum(), v)  # linear in v: the Jacobian's slope
        slope = 2 * np.cos(x0) - x0 * np.sin(x0) if scalar else np.sin(x0) + x0 * np.cos(x0)
        np.testing.assert_allclose(through_v.numpy(), slope)
    out, _ = functional.vjp(lambda a: a * 2, tg.tensor(x0), tg.tensor(v0))
    assert not out.requires_grad  # (without create_graph: cut, as before)


_FUNCTIONAL = ("vjp", "jvp", "hvp", "vhp", "jacobian", "hessian")


def _under_no_grad(lib, name):
    """`name`'s result with create_graph=True, computed under no_grad(), then backward from
    (result * result).sum(): the .grads of x and v."""
    x = lib.tensor([0.5, 1.0, -2.0], requires_grad=True)
    v = lib.tensor([1.0, 2.0, -0.5], requires_grad=True)
    scalar = name in ("hvp", "vhp", "hessian")
    func = (lambda a: (a.sin() * a).sum()) if scalar else (lambda a: a.sin() * a)
    function = getattr(lib.autograd.functional, name)
    with lib.no_grad():
        if name in ("jacobian", "hessian"):
            result = function(func, x, create_graph=True)
        else:
            result = function(func, x, v, create_graph=True)[1]
    assert result.requires_grad, name
    (result * result).sum().backward()
    return _numpy(x.grad), None if v.grad is None else _numpy(v.grad)


@pytest.mark.parametrize("name", _FUNCTIONAL)
def test_functional_create_graph_under_no_grad_keeps_the_graph(name):
    found = _under_no_grad(tg, name)
    with tg.enable_grad():  # (the same call outside no_grad(): the graph it must keep)
        expected = _under_no_grad(tg, name)
    _same(expected, found, name)
    assert found[0] is not None and (found[1] is not None) == (name not in ("jacobian",
                                                                             "hessian"))
    if name == "hvp":  # H v = (2 cos x - x sin x) v: its square's slopes, by hand
        x0, v0 = np.array([0.5, 1.0, -2.0]), np.array([1.0, 2.0, -0.5])
        curvature = 2 * np.cos(x0) - x0 * np.sin(x0)
        np.testing.assert_allclose(found[1][0], 2 * curvature ** 2 * v0)
        np.testing.assert_allclose(found[0][0], 2 * curvature * v0 ** 2 * (
            -3 * np.sin(x0) - x0 * np.cos(x0)))


def test_functional_create_graph_under_no_grad_agrees_with_pytorch(torch64):
    for name in _FUNCTIONAL:
        _both(torch64, _under_no_grad, name)


def test_functional_refuses_what_pytorch_refuses():
    functional = tg.autograd.functional
    x = tg.tensor([0.5, -1.0])
    cube = lambda a: (a ** 3).sum()  # noqa: E731
    for call in (lambda: functional.jacobian(lambda a: a ** 3, x, create_graph=True,
                                             vectorize=True, strategy="forward-mode"),
                 lambda: functional.hessian(cube, x, create_graph=True, vectorize=True,
                                            outer_jacobian_strategy="forward-mode")):
        with pytest.raises(NotImplementedError, match=r"create_graph=True and .*'forward-mode' "
                                                       r"are not supported together"):
            call()
    with pytest.raises(RuntimeError, match=r"^hessian: strict=True and vectorize=True"):
        functional.hessian(cube, x, strict=True, vectorize=True)
    linear = tg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"^vjp: The jacobian of the user-provided function "
                                           r"is independent of input 0.*create_graph=True"):
        functional.vjp(lambda a: a * 2, x, linear, create_graph=True, strict=True)
    with pytest.raises(RuntimeError, match=r"^hvp: The hessian .* independent of input 0"):
        functional.hvp(lambda a: (a * a).sum(), x, linear, create_graph=True, strict=True)
    with pytest.raises(RuntimeError, match=r"^jvp: The output of the user-provided function is "
                                           r"independent of input 1"):
        functional.jvp(lambda a, b: a.exp(), (x, x), (linear, linear), create_graph=True,
                       strict=True)
    # a v with a graph keeps the product dependent: accepted, as PyTorch's
    _, product = functional.vjp(lambda a: a * 2, x, tg.tensor([1.0, 2.0], requires_grad=True),
                                create_graph=True, strict=True)
    assert product.requires_grad


# -- 5. in-place ops, views and grad modes ------------------------------------------------
_CHANGES = ["mul_", "add_", "sin_", "exp_", "zero_", "copy_", "setitem", "clamp_", "div_",
            "fill_", "requires_grad_", "retain"]


def _change(lib, t, kind, y):
    if kind == "mul_":
        t.mul_(1.7)
    elif kind == "add_":
        t.add_(y.sum())
    elif kind == "sin_":
        t.sin_()
    elif kind == "exp_":
        t.exp_()
    elif kind == "zero_":
        t.zero_()
    elif kind == "copy_":
        t.copy_(y.sum() * lib.ones(t.shape))
    elif kind == "setitem":
        t[..., 0] = y.sum()
    elif kind == "clamp_":
        t.clamp_(-0.5, 0.5)
    elif kind == "div_":
        t.div_(3.0)
    else:
        t.fill_(0.25)


def _in_place_program(lib, p, x_data, y_data):
    x = lib.tensor(x_data.copy(), requires_grad=p["x_grad"])
    y = lib.tensor(y_data.copy(), requires_grad=True)
    base = {"leaf": lambda: x, "made": lambda: x * 1.0 + y, "clone": lambda: x.clone()}[
        p["base"]]()
    mode = {"none": None, "no_grad": lib.no_grad, "inference_mode": lib.inference_mode,
            "set_grad_enabled": lambda: lib.set_grad_enabled(False)}[p["mode"]]
    used = (base.sin() * base).sum() if p["used"] else None
    view = {"slice": lambda: base[:, 1:], "t": lambda: base.t(), "view": lambda: base.view(-1),
            "select": lambda: base[0], "narrow": lambda: base.narrow(1, 0, 2),
            "none": lambda: base}[p["view"]]()
    for kind in p["changes"]:
        if kind == "requires_grad_":
            view.requires_grad_()
        elif kind == "retain":
            if view.requires_grad:
                view.retain_grad()
        elif mode is not None and p["in_mode"]:
            with mode():
                _change(lib, view, kind, y)
        else:
            _change(lib, view, kind, y)
    found = [_numpy(view), _numpy(base), view.is_leaf, base.is_leaf]
    total = (base * base).sum() + (view * 3).sum() + (used if used is not None else 0)
    if total.requires_grad:
        total.backward()
    return found + [_numpy(x.grad), _numpy(y.grad)]


@pytest.mark.parametrize("seed", range(4))
def test_in_place_changes_in_random_programs_agree(torch64, seed):
    for k in range(60):
        rng = random.Random(5000 * seed + k)
        p = dict(base=rng.choice(["leaf", "made", "clone"]), x_grad=rng.random() < 0.7,
                 mode=rng.choice(["none", "none", "no_grad", "inference_mode",
                                  "set_grad_enabled"]), in_mode=rng.random() < 0.6,
                 used=rng.random() < 0.5,
                 view=rng.choice(["slice", "t", "view", "select", "narrow", "none"]),
                 changes=[rng.choice(_CHANGES) for _ in range(rng.randint(1, 3))])
        p["x_grad"] = p["x_grad"] or p["base"] != "made"  # (a constant's view: PyTorch's
        # "leaf Variable" refusal of a change after a write that needs a gradient is its own)
        x_data = np.random.default_rng(k).normal(size=(2, 3))
        _both(torch64, _in_place_program, p, x_data, np.random.default_rng(k + 1).normal(size=3))


@pytest.mark.parametrize("change", ["exp_", "tanh_", "sigmoid_", "relu_", "sqrt_"])
@pytest.mark.parametrize("then", ["add_", "setitem", "no_grad", "detach"])
def test_an_op_that_saved_its_output_refuses_once_that_tensor_changes_again(change, then):
    x = tg.tensor([0.5, 1.0, 2.0], requires_grad=True)
    h = x * 1.0
    getattr(h, change)()
    if then == "add_":
        h.add_(1.0)
    elif then == "setitem":
        h[0] = 3.0
    elif then == "no_grad":
        with tg.no_grad():
            h.mul_(2.0)
    else:
        h.detach().add_(1.0)
    with pytest.raises(RuntimeError, match=rf"^backward\(\): the output of op "
                                           rf"'{change[:-1]}' was changed in place"):
        h.sum().backward()


def test_the_saved_output_refusal_names_the_tensor_written_in_place_and_the_op():
    x = tg.tensor(np.arange(1.0, 7.0).reshape(2, 3) / 8, requires_grad=True)
    h = x * 1.0
    h.name = "h"
    h.exp_()
    h.add_(1.0)
    with pytest.raises(RuntimeError, match=re.escape(
            "backward(): the output of op 'exp' was changed in place after the op saved it "
            "for backward: h (2, 3) was written in place by exp_ and changed again after, so "
            "the gradient would be computed from values the forward pass never made. Make one "
            "of them out of place (h = h.exp()), or change a copy (h = "
            "h.clone() before the second change)")):
        h.sum().backward()
    h = x * 1.0
    h.name = "h"
    h[0].exp_()
    h[1].add_(1.0)
    with pytest.raises(RuntimeError, match=re.escape(
            "a view (3,) of h (2, 3) was written in place by exp_ and changed again after (a "
            "view shares its base's count)")):
        h.sum().backward()
    model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.ReLU(inplace=True),
                             tg.nn.ReLU(inplace=True))
    with pytest.raises(RuntimeError, match=r"the tensor \(2, 4\) was written in place by "
                                           r"relu.*, or inplace=False\)"):
        model(x).sum().backward()
    h = x * 1.0
    h.tanh_()
    with tg.no_grad():
        h.mul_(2.0)
    with pytest.raises(RuntimeError, match=r": the tensor \(2, 3\) was written in place by "
                                           r"tanh_ .*\(t = t\.tanh\(\)\), or "):
        h.sum().backward()


def test_an_op_that_saved_no_output_or_came_last_keeps_its_gradient():
    x0 = np.array([0.5, 1.0, 2.0])
    x = tg.tensor(x0, requires_grad=True)
    h = x * 1.0
    h.sin_()  # (its gradient reads its input, cos(x): a change after it spoils nothing)
    h.add_(1.0)
    h.exp_()  # (the last change: its saved output is h as it is)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(np.sin(x0) + 1) * np.cos(x0))


def test_a_view_whose_op_saved_its_output_refuses_once_its_base_changes():
    x = tg.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    h = x * 1.0
    h[0].exp_()  # (exp's saved output is that row of h, as in PyTorch)
    h[1, 2] = 0.0  # (another part of h: h's counter is the row's)
    with pytest.raises(RuntimeError, match=r"^backward\(\): the output of op 'exp' was changed"):
        h.sum().backward()
    x0 = np.arange(1.0, 7.0).reshape(2, 3)
    x = tg.tensor(x0, requires_grad=True)
    h = x * 1.0
    h.diagonal().add_(1.0)
    h.t().exp_()  # (the last change: accepted)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x0 + np.eye(2, 3)))


@pytest.mark.parametrize("then", ["add_", "none"])
def test_erfinv_reads_its_input_so_a_later_change_keeps_its_gradient(then):
    x0 = np.array([0.1, 0.3, -0.2])
    x = tg.tensor(x0, requires_grad=True)
    h = x * 1.0
    h.erfinv_()  # (PyTorch's backward reads erfinv's input: a change of h after is allowed)
    doubled = h * 2
    getattr(h, then, lambda *_: None)(1.0)
    doubled.sum().backward()
    slope = np.sqrt(np.pi) / 2 * np.exp(tg.special.erfinv(tg.tensor(x0)).numpy() ** 2)
    np.testing.assert_allclose(x.grad.numpy(), 2 * slope)
    y = tg.tensor(x0, requires_grad=True)
    out = y.erfinv()
    out.add_(1.0)  # (refused before: erfinv saved its output)
    out.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), slope)


def test_saved_output_refusals_agree_with_pytorch(torch64):
    def program(lib, change, then):
        x = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
        h = x * (0.25 if change == "erfinv_" else 2.0)  # (erfinv's domain: -1 to 1)
        getattr(h, change)()
        getattr(h, then)(3.0) if then != "view" else h[1:].add_(1.0)
        h.sum().backward()
        return _numpy(x.grad)
    for change in ("exp_", "tanh_", "sigmoid_", "relu_", "sin_", "mul_", "reciprocal_",
                   "erfinv_"):
        for then in ("add_", "mul_", "view"):
            _both(torch64, program, change, then)

    def on_a_view(lib, view, change, then):
        x = lib.tensor(np.arange(1.0, 7.0).reshape(2, 3) / 4, requires_grad=True)
        h = x * 1.0
        v = {"row": lambda: h[0], "slice": lambda: h[:, 1:], "t": lambda: h.t(),
             "flat": lambda: h.view(-1), "diagonal": lambda: h.diagonal()}[view]()
        getattr(v, change)()
        if then == "base":
            h.add_(1.0)
        elif then == "view":
            v.mul_(2.0)
        elif then == "no_grad":
            with lib.no_grad():
                h[0, 0] = 5.0
        ((h * h).sum() + (v * 3).sum()).backward()
        return _numpy(x.grad)
    for view in ("row", "slice", "t", "flat", "diagonal"):
        for change in ("exp_", "tanh_", "sin_"):
            for then in ("none", "base", "view", "no_grad"):
                _both(torch64, on_a_view, view, change, then)


@pytest.mark.parametrize("view", ["row", "t", "diagonal"])
def test_a_constants_view_made_a_leaf_by_requires_grad_refuses_a_change(view):
    y = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.ones(2, 3)
    v = {"row": lambda: c[0], "t": lambda: c.t(), "diagonal": lambda: c.diagonal()}[view]()
    v.requires_grad_()
    with pytest.raises(RuntimeError, match=r"^setitem: writing into a leaf tensor that "
                                           r"requires a gradient"):
        v[..., 0] = y.sum()  # (it wrote through into c, which joined the graph)
    with pytest.raises(RuntimeError, match=r"^mul_: writing into a leaf tensor"):
        v.mul_(y.sum())
    assert not c.requires_grad and v.is_leaf
    np.testing.assert_array_equal(c.numpy(), np.ones((2, 3)))


def test_requires_grad_on_views_agrees_with_pytorch(torch64):
    def program(lib, view, change):
        y = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.ones(2, 3)
        v = {"row": lambda: c[0], "t": lambda: c.t(), "whole": lambda: c,
             "diagonal": lambda: c.diagonal()}[view]()
        if change != "none":
            v.requires_grad_()
        if change in ("none", "grad"):
            v[..., 0] = y.sum()
        elif change == "constant":
            v[..., 0] = 2.0
        elif change == "mul_":
            v.mul_(y.sum())
        else:
            v.copy_(y.sum() * lib.ones(v.shape))
        return v.is_leaf, c.requires_grad, _numpy(c)
    for view in ("row", "t", "whole", "diagonal"):
        for change in ("none", "grad", "constant", "mul_", "copy_"):
            _both(torch64, program, view, change)
