"""Forward-mode AD through every registered op: each op's output tangent is J·t.

`test_every_op_gives_the_directional_derivative` runs each op of test_ops.OP_SPECS, on
the inputs its spec draws, inside `forward_ad.dual_level()` with a random float64 tangent
on every input, then on each input alone (that input's column of J, the inputs then
requiring a gradient too, which makes the op save other things). The tangent must equal
central finite differences of the op along t and reverse mode's Jacobian contracted with t;
the primal must be the op's plain output. `test_every_registered_op_is_checked` fails when
an op is added without a spec. Integer results carry no tangent, as torch's. The op
setitem, an in-place change, is refused in one line (`REFUSED`: forward mode does not
follow in-place changes here; torch does). Found by this file: a dual value written into
a tensor without a tangent (`out[1] = dual`) left it without one, silently: refused now.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import tinygrad_gd as tg
from tinygrad_gd import forward_ad as fwAD
from test_ops import OP_SPECS, library_ops

# (torch's own warning: its functorch imports torch.jit.script)
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

EPS = 1e-6  # gradcheck's step and tolerances: the finite differences' error
FINITE_DIFFERENCES = dict(rtol=1e-3, atol=1e-5)
REVERSE_MODE = dict(rtol=1e-9, atol=1e-12)  # the same derivative, summed in another order

# ops refused in forward mode, documented (torch 2.13 gives J·t): setitem is an in-place
# change (`out[index] = value`), which forward mode does not follow here (forward_ad.py)
REFUSED = {"setitem": "forward-mode AD does not follow in-place changes"}


def test_every_registered_op_is_checked():
    missing = library_ops() - set(OP_SPECS)
    assert not missing, f"ops without a forward-mode check (add them to OP_SPECS): {missing}"
    stale = set(REFUSED) - set(OP_SPECS)
    assert not stale, f"refusals name ops that are not registered: {sorted(stale)}"


def directional_derivative(fn, arrays, tangents) -> np.ndarray:
    """(fn(a + eps t) - fn(a - eps t)) / 2 eps, in float64, without forward AD."""
    def at(step):
        return fn(*[tg.Tensor(a + step * t) for a, t in zip(arrays, tangents)]).data
    return (at(EPS) - at(-EPS)) / (2 * EPS)


def reverse_mode_jt(fn, arrays, tangents) -> np.ndarray:
    """J·t from reverse mode's Jacobian (one backward pass per output entry)."""
    blocks = tg.autograd.functional.jacobian(fn, tuple(tg.Tensor(a) for a in arrays))
    return sum(np.tensordot(block.data, t, axes=t.ndim) for block, t in zip(blocks, tangents))


def dual_run(fn, arrays, tangents, requires_grad=False):
    """fn on the arrays, those with a tangent made dual: (output, primal, tangent)."""
    with fwAD.dual_level():
        inputs = [tg.Tensor(a, requires_grad=requires_grad) for a in arrays]
        inputs = [x if t is None else fwAD.make_dual(x, tg.Tensor(t))
                  for x, t in zip(inputs, tangents)]
        out = fn(*inputs)
        primal, tangent = fwAD.unpack_dual(out)
        return out, primal.data.copy(), None if tangent is None else tangent.data.copy()


def assert_tangent(tangent, expected, out_shape, **tolerance):
    assert tangent is not None, "a float op on a dual input gave no tangent"
    assert tangent.dtype == np.float64 and tangent.shape == out_shape
    np.testing.assert_allclose(tangent, expected, **tolerance)


@pytest.mark.parametrize("name", sorted(OP_SPECS))
# (no shrinking: a failure's program is printed as drawn; the examples: the same every run
# under conftest's "ci" profile, new ones under "explore")
@settings(max_examples=3, deadline=None, phases=(Phase.explicit, Phase.generate))
@given(data=st.data())
def test_every_op_gives_the_directional_derivative(name, data):
    fn, arrays, _ = OP_SPECS[name](data)
    arrays = [np.asarray(a) for a in arrays]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    dual = [a.dtype.kind == "f" for a in arrays]  # (integers take no tangent, as in torch)
    tangents = [rng.standard_normal(a.shape) if d else None for a, d in zip(arrays, dual)]
    plain = fn(*[tg.Tensor(a) for a in arrays]).data
    if name in REFUSED:  # (in one line, never a tangent silently lost)
        with pytest.raises(RuntimeError, match=REFUSED[name]) as caught:
            dual_run(fn, arrays, tangents)
        assert "\n" not in str(caught.value)
        return

    out, primal, tangent = dual_run(fn, arrays, tangents)
    np.testing.assert_array_equal(primal, plain)
    if out.dtype.kind != "f" or not any(dual):
        assert tangent is None, "an integer result or integer inputs gave a tangent"
        return
    zeros = [np.zeros(a.shape) if t is None else t for a, t in zip(arrays, tangents)]
    assert_tangent(tangent, directional_derivative(fn, arrays, zeros), plain.shape,
                   **FINITE_DIFFERENCES)
    assert_tangent(tangent, reverse_mode_jt(fn, arrays, zeros), plain.shape, **REVERSE_MODE)

    if sum(dual) < 2:
        return
    columns = np.zeros(plain.shape)
    for k, t in enumerate(tangents):  # each input alone dual: its column, J_k t_k
        if t is None:
            continue
        alone = [t if i == k else None for i in range(len(arrays))]
        out, primal, column = dual_run(fn, arrays, alone, requires_grad=True)
        assert out.grad_fn is not None and out.grad_fn.name == name  # the op under test
        np.testing.assert_array_equal(primal, plain)
        along = [t if i == k else np.zeros(a.shape) for i, a in enumerate(arrays)]
        assert_tangent(column, directional_derivative(fn, arrays, along), plain.shape,
                       **FINITE_DIFFERENCES)
        columns = columns + column
    np.testing.assert_allclose(columns, tangent, **REVERSE_MODE)  # J t = sum_k J_k t_k


def test_a_dual_value_written_into_a_plain_tensor_is_refused_not_dropped():
    """Found by this file: `out = c * 1; out[1] = dual` left out without a tangent,
    silently (torch gives out the value's tangent at index 1, zeros elsewhere). In-place
    changes are not followed here: refused in one line, never a tangent lost."""
    x, v, tv = np.array([1.0, 2.0, 3.0]), np.array(5.0), np.array(7.0)
    with fwAD.dual_level():
        out = tg.Tensor(x) * 1
        dual = fwAD.make_dual(tg.Tensor(v), tg.Tensor(tv))
        for write in (lambda: out.__setitem__(1, dual), lambda: out.add_(dual),
                      lambda: out[1:2].copy_(dual), lambda: dual.mul_(2.0)):
            with pytest.raises(RuntimeError, match="forward-mode AD does not follow in-place "
                                                   "changes") as caught:
                write()
            assert "\n" not in str(caught.value)
        assert out.tolist() == x.tolist() and fwAD.unpack_dual(dual).tangent.item() == 7.0


# an op's integer companion (positions) beside its values: torch gives it no tangent
COMPANIONS = {
    "max(dim)": lambda L, x: x.max(1),
    "min(dim)": lambda L, x: x.min(0),
    "sort": lambda L, x: L.sort(x, dim=1),  # (tg.sort(x, 1): NumPy's, values alone)
    "topk": lambda L, x: x.topk(2, 1),
    "argmax": lambda L, x: (x, x.argmax(1)),
    "argsort": lambda L, x: (x, x.argsort(1)),
}


@pytest.mark.parametrize("name", sorted(COMPANIONS))
def test_integer_results_carry_no_tangent_and_their_values_do(name):
    torch = pytest.importorskip("torch")
    x, t = np.random.default_rng(3).standard_normal((2, 2, 3))  # (no ties)
    results = []
    for lib, ad in ((tg, fwAD), (torch, torch.autograd.forward_ad)):
        with ad.dual_level():
            values, positions = COMPANIONS[name](lib, ad.make_dual(lib.tensor(x),
                                                                   lib.tensor(t)))
            assert ad.unpack_dual(positions).tangent is None
            results.append([np.asarray(ad.unpack_dual(values).tangent), np.asarray(positions)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
