"""PyTorch's keyword names for arguments ours read by position or by NumPy's name.

`x.reshape(shape=(3, 2))`, `x.view(size=...)`, `x.new_ones(size=...)`, `x.pow(exponent=2)`,
`x.matmul(other=w)`, `tg.searchsorted(s, input=v)`, `tg.full_like(input=x, ...)`: each runs in
torch 2.13 and was refused here ("got an unexpected keyword argument"). Each call below is
run in both libraries (values, dtypes, shapes, compared with torch); without torch, each
keyword call must equal the same call with the arguments by position; NumPy's name and
torch's both given is one clear error; a gradient through a keyword form is gradchecked.
So are the 0-d tensors torch takes for an int (`x.max(dim=tensor(0))`, which gave the
elementwise maximum here, a correction, num_samples, tensordot's dims) and the 0-d inputs
whose one axis, 0 or -1, torch flips or moves (`tensor(2.).flip(0)`).

After review: `other=` is taken only where torch's parameter is named other (every op's
method and function swept against torch: `x.sum(other=0)` summed over axis 0); max's dim
by name or with keepdim (a NumPy array as dim= gave the elementwise maximum), an earlier
argument given by name (`tg.reshape(x=x, shape=...)`), tensordot's one-entry dims and
where's input=/other= against torch; float32, empty inputs, gradients and no_grad against
torch; the wrapped functions pickle as themselves.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

# (the call with torch's keywords, the same call by position): x is arange(6.), m (2, 3),
# s sorted, i an index tensor, lib the library (tg or torch)
CALLS = [
    ("x.reshape(shape=(3, 2))", "x.reshape((3, 2))"),
    ("lib.reshape(x, shape=(2, 3))", "lib.reshape(x, (2, 3))"),
    ("lib.reshape(input=x, shape=(2, 3))", "lib.reshape(x, (2, 3))"),
    ("x.view(size=(3, 2))", "x.view(3, 2)"),
    ("x.view(size=(-1,))", "x.view(-1)"),
    ("x.expand(size=(2, 6))", "x.expand(2, 6)"),
    ("x.broadcast_to(size=(2, 6))", "x.broadcast_to((2, 6))"),
    ("lib.broadcast_to(x, size=(2, 6))", "lib.broadcast_to(x, (2, 6))"),
    ("x.repeat(repeats=(2,))", "x.repeat(2)"),
    ("m.repeat(repeats=(2, 1))", "m.repeat(2, 1)"),
    ("x.tile(dims=(2,))", "x.tile((2,))"),
    ("lib.tile(m, dims=(1, 2))", "lib.tile(m, (1, 2))"),
    ("x.new_ones(size=(2,))", "x.new_ones(2)"),
    ("x.new_zeros(size=(2, 1))", "x.new_zeros(2, 1)"),
    ("x.new_empty(size=(0, 2))", "x.new_empty(0, 2)"),
    ("x.sum_to_size(size=(1,))", "x.sum_to_size(1)"),
    ("x.split(split_size=4)", "x.split(4)"),
    ("lib.split(x, split_size_or_sections=[2, 4])", "lib.split(x, [2, 4])"),
    ("x.tensor_split(sections=4)", "x.tensor_split(4)"),
    ("x.tensor_split(indices=[1, 3])", "x.tensor_split([1, 3])"),
    ("lib.tensor_split(m, indices=[1], dim=1)", "lib.tensor_split(m, [1], 1)"),
    ("m.hsplit(sections=3)", "m.hsplit(3)"),
    ("m.vsplit(indices=[1])", "m.vsplit([1])"),
    ("x.take(index=i)", "x.take(i)"),
    ("x.dot(tensor=x)", "x.dot(x)"),
    ("x.pow(exponent=2)", "x.pow(2)"),
    ("lib.pow(x, exponent=x)", "lib.pow(x, x)"),
    ("x.heaviside(values=x - 2)", "x.heaviside(x - 2)"),
    ("lib.tensordot(a=m, b=m.t(), dims=1)", "lib.tensordot(m, m.t(), 1)"),
    ("lib.searchsorted(s, input=x)", "lib.searchsorted(s, x)"),
    ("lib.searchsorted(sorted_sequence=s, input=x, right=True)",
     "lib.searchsorted(s, x, right=True)"),
    ("x.matmul(other=x)", "x.matmul(x)"),
    ("m.mul(other=x[:3])", "m.mul(x[:3])"),
    ("x.fmod(other=2.5)", "x.fmod(2.5)"),
    ("x.maximum(other=x.flip(0))", "x.maximum(x.flip(0))"),
    ("x.atan2(other=x + 1)", "x.atan2(x + 1)"),
    ("x.true_divide(other=x + 1)", "x.true_divide(x + 1)"),
    ("x.allclose(other=x)", "x.allclose(x)"),
    ("lib.isclose(input=x, other=x + 1e-9)", "lib.isclose(x, x + 1e-9)"),
    ("x.equal(other=x)", "x.equal(x)"),
    ("lib.logical_and(input=x, other=x - 1)", "lib.logical_and(x, x - 1)"),
    ("x.logical_xor(other=x - 1)", "x.logical_xor(x - 1)"),
    ("lib.argsort(input=x, descending=True)", "lib.argsort(x, descending=True)"),
    ("lib.full_like(input=x, fill_value=2.5)", "lib.full_like(x, 2.5)"),
    ("lib.cholesky_solve(input=m, input2=a)", "lib.cholesky_solve(m, a)"),
    ("m.cholesky_solve(input2=a.t(), upper=True)", "m.cholesky_solve(a.t(), True)"),
    ("lib.triangular_solve(input=m, A=a)", "lib.triangular_solve(m, a)"),
    ("lib.where(m > 0, input=m, other=x[:3])", "lib.where(m > 0, m, x[:3])"),
    ("lib.where(condition=m > 0, input=m, other=x[:3])", "lib.where(m > 0, m, x[:3])"),
    ("m.where(condition=m > 0, other=x[:3])", "m.where(m > 0, x[:3])"),
    ("lib.reshape(x=x, shape=(3, 2))", "lib.reshape(x, (3, 2))"),
    ("lib.pow(self=2, exponent=x)", "lib.pow(2, x)"),
    ("lib.tensordot(m, m.t(), dims=lib.tensor([1]))", "lib.tensordot(m, m.t(), 1)"),
    ("lib.tensordot(m, m.t(), lib.tensor([[1]]))", "lib.tensordot(m, m.t(), 1)"),
    ("lib.special.xlogy(input=x, other=x + 1)", "lib.special.xlogy(x, x + 1)"),
]


def _names(lib):
    """The tensors the calls read, in `lib`."""
    t = lib.tensor
    return {"lib": lib, "x": t(np.arange(6.0)), "m": t(np.arange(6.0).reshape(2, 3) - 2.0),
            "s": t(np.array([0.0, 1.5, 3.0, 4.5])), "i": t(np.array([5, 0, 2])),
            "a": t(np.array([[2.0, 0.0], [0.5, 3.0]]))}


def _arrays(value):
    """A result as NumPy arrays (nested tuples kept; a bool as it is)."""
    if isinstance(value, (tuple, list)):
        return [_arrays(v) for v in value]
    if isinstance(value, bool):
        return value
    return np.asarray(value.detach().numpy() if hasattr(value, "detach") and not isinstance(
        value, tg.Tensor) else value.data)


def _assert_same(ours, theirs):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    elif isinstance(theirs, bool):
        assert ours is theirs or ours == theirs
    else:
        assert ours.shape == theirs.shape
        assert ours.dtype == theirs.dtype
        if ours.size:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("keyword_call, positional_call", CALLS, ids=[c for c, _ in CALLS])
def test_a_keyword_call_equals_the_call_by_position(keyword_call, positional_call):
    """Without torch: torch's keyword spelling gives what the positional call gives."""
    names = _names(tg)
    by_keyword = _arrays(eval(keyword_call, names))
    by_position = _arrays(eval(positional_call, dict(names)))
    if "new_empty" in keyword_call:
        assert by_keyword.shape == by_position.shape
        return
    _assert_same(by_keyword, by_position)


@pytest.mark.torch
@pytest.mark.parametrize("keyword_call", [c for c, _ in CALLS])
def test_a_keyword_call_is_pytorchs(torch64, keyword_call):
    """torch runs the keyword call; ours gives its values, shapes and dtypes."""
    ours = _arrays(eval(keyword_call, _names(tg)))
    theirs = _arrays(eval(keyword_call, _names(torch64)))
    if "new_empty" in keyword_call:
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        return
    _assert_same(ours, theirs)


@pytest.mark.parametrize("call, words", [
    ("m.hsplit(indices_or_sections=3, sections=3)", ("give sections= or indices_or_sections=",)),
    ("x.tensor_split(sections=2, indices=[1])", ("sections", "indices")),
    ("x.split(split_size=2, split_size_or_sections=2)", ("split_size= or split_size_or",)),
    ("lib.searchsorted(lib.arange(3.0), x, input=x)", ("input= names an argument given",)),
    ("x.reshape((3, 2), shape=(3, 2))", ("shape= names an argument given by position",)),
    ("x.view(2, 3, size=(3, 2))", ("size= names an argument given by position",)),
    ("lib.reshape(shape=(3, 2))", ("shape= is given but not the argument before it",
                                   "give input= too")),
])
def test_a_place_given_twice_is_one_clear_error(call, words):
    """NumPy's name and torch's, two of torch's, or a position and a keyword for one
    argument: a TypeError naming the function and each spelling, in one line."""
    with pytest.raises(TypeError) as info:
        eval(call, _names(tg))
    text = str(info.value)
    name = call.split("(")[0].rpartition(".")[2]
    assert text.startswith(f"{name}: ") and "\n" not in text
    for word in words:
        assert word in text


def test_a_refused_keyword_still_names_the_op():
    """A keyword neither library takes is refused as before: one line naming the method."""
    x = tg.arange(6.0)
    with pytest.raises(TypeError, match=r"^reshape: got an unexpected keyword argument 'size'"):
        x.reshape(size=(3, 2))
    with pytest.raises(TypeError, match=r"^new_ones\b.*'shape'"):
        x.new_ones(shape=(2,))


@pytest.mark.parametrize("family, function", [
    ("shape", lambda t: t.reshape(shape=(3, 2)).expand(size=(2, 3, 2)).repeat(
        repeats=(1, 1, 2)).tile(dims=(2, 1, 1, 1)) * tg.arange(48.0).reshape(2, 2, 3, 4)),
    ("view", lambda t: t.view(size=(2, 3)).sum_to_size(size=(1, 3)) * tg.tensor([1.0, 2, 3])),
    ("split", lambda t: t.tensor_split(indices=[1, 4])[1] * t.split(split_size=3)[0]),
    ("binary", lambda t: (t * t + 1).pow(exponent=t) + t.mul(other=t.flip(0))
     + t.atan2(other=t + 7)),
    ("product", lambda t: t.dot(tensor=t.exp()) + tg.tensordot(a=t, b=t.cos(), dims=1)),
    ("solve", lambda t: tg.cholesky_solve(input=t.reshape(2, 3), input2=tg.tensor(
        [[2.0, 0.0], [0.5, 3.0]])) * tg.full_like(input=t.reshape(2, 3), fill_value=2.0)),
])
def test_gradients_flow_through_the_keyword_forms(family, function):
    """A gradient through each family of newly taken keywords: central differences agree
    (float64)."""
    x = tg.tensor(np.array([0.7, -1.3, 2.1, 0.4, -0.6, 1.9]), requires_grad=True)
    assert tg.gradcheck(function, (x,))


# (a call torch and ours both run with 0-d tensors: Z0 = tensor(0), Z1, Z2 integer ones,
# s = tensor(2.) a 0-d input), and the same call written with plain numbers
ZERO_D = [
    ("x.max(dim=Z0)", "x.max(dim=0)"),
    ("m.min(dim=Z1, keepdim=True)", "m.min(dim=1, keepdim=True)"),
    ("lib.max(m, dim=Z0)", "lib.max(m, dim=0)"),
    ("x.var(dim=Z0, correction=Z2)", "x.var(dim=0, correction=2)"),
    ("x.std(correction=Z0)", "x.std(correction=0)"),
    ("lib.tensordot(m, m.t(), Z1)", "lib.tensordot(m, m.t(), 1)"),
    ("s.flip(0)", "s.clone()"),
    ("s.flip(-1)", "s.clone()"),
    ("lib.flip(s, [0])", "s.clone()"),
    ("s.movedim(0, -1)", "s.clone()"),
    ("lib.movedim(s, -1, 0)", "s.clone()"),
    ("s.moveaxis(0, 0)", "s.clone()"),
]


def _zero_d(lib):
    names = _names(lib)
    names.update({f"Z{k}": lib.tensor(k) for k in range(3)}, s=lib.tensor(2.0))
    return names


@pytest.mark.parametrize("call, plain", ZERO_D, ids=[c for c, _ in ZERO_D])
def test_a_0d_tensor_reads_as_the_number_or_the_one_axis(call, plain):
    """Without torch: the call with 0-d tensors equals the call with the numbers (a 0-d
    input flipped or moved along its one axis: itself)."""
    _assert_same(_arrays(eval(call, _zero_d(tg))), _arrays(eval(plain, _zero_d(tg))))


@pytest.mark.torch
@pytest.mark.parametrize("call", [c for c, _ in ZERO_D])
def test_a_0d_tensor_call_is_pytorchs(torch64, call):
    _assert_same(_arrays(eval(call, _zero_d(tg))), _arrays(eval(call, _zero_d(torch64))))


@pytest.mark.torch
def test_multinomial_takes_a_0d_num_samples_as_pytorch(torch64):
    """num_samples as a 0-d integer tensor: as many draws, each an index of a weight."""
    weights = np.array([0.2, 0.0, 0.5, 0.3])
    ours = tg.tensor(weights).multinomial(num_samples=tg.tensor(3))
    theirs = torch64.tensor(weights).multinomial(num_samples=torch64.tensor(3))
    assert ours.shape == tuple(theirs.shape) and ours.dtype == tg.int64
    assert len(set(ours.tolist())) == 3 and 1 not in ours.tolist()


def test_0d_forms_refuse_what_is_no_int():
    """A float 0-d tensor as dim, or dim given twice: one line naming the op."""
    x = tg.arange(6.0)
    with pytest.raises(TypeError, match=r"^max: dim must be an int, got a tensor"):
        x.max(dim=tg.tensor(0.0))
    with pytest.raises(TypeError, match=r"^min: got dim both by position and as dim="):
        x.min(0, dim=0)
    with pytest.raises(np.exceptions.AxisError, match=r"^flip: axis 1 is out of range"):
        tg.tensor(2.0).flip(1)


def test_gradients_flow_through_the_0d_forms():
    """max over dim=tensor(0) sends the gradient to the index returned; a 0-d input
    flipped and moved keeps its gradient 1 (float64, central differences)."""
    m = tg.tensor(np.array([[0.3, -1.2, 2.5], [1.1, 0.4, -0.7]]), requires_grad=True)
    assert tg.gradcheck(lambda t: t.max(dim=tg.tensor(1)).values * tg.tensor([1.0, -2.0]), (m,))
    assert tg.gradcheck(lambda t: t.var(dim=tg.tensor(0), correction=tg.tensor(1)), (m,))
    s = tg.tensor(np.array(0.8), requires_grad=True)
    assert tg.gradcheck(lambda t: (t.flip(0).movedim(0, -1) * 3.0).exp(), (s,))


# -- other=: taken only where torch's parameter is named other -----------------------------
# (a method or function of an op, and what it is given besides the tensor x)
REFUSING_OTHER = [
    "x.sum(other=0)", "lib.sum(x, other=0)", "m.mean(other=1)", "m.softmax(other=0)",
    "m.reshape(other=(3, 2))", "m.clamp(other=0)", "x.pow(other=2)", "x.dot(other=x)",
    "lib.dot(x, other=x)", "m.cumsum(other=0)", "lib.exp(x, other=x)", "m.transpose(other=0)",
    "x.tanh(other=x)", "m.std(other=0)", "lib.softmax(m, other=1)", "x.neg(other=x)",
    "m.flip(other=0)", "lib.special.erf(x, other=x)", "m.argmax(other=1)", "x.float_power(other=2)",
]
# the ops whose torch method and function name their second argument other
TAKING_OTHER = ["atan2", "arctan2", "copysign", "floor_divide", "fmax", "fmin", "fmod",
                "hypot", "logaddexp", "logaddexp2", "matmul", "maximum", "minimum", "mul",
                "multiply", "remainder", "xlogy", "add", "sub", "div", "max", "min"]


@pytest.mark.parametrize("call", REFUSING_OTHER)
def test_other_is_refused_where_torch_names_no_argument_other(call):
    """`x.sum(other=0)` summed over axis 0 (and `m.reshape(other=(3, 2))` reshaped): a
    keyword torch refuses there is refused in one line naming the op, as torch's."""
    with pytest.raises(TypeError) as info:
        eval(call, _names(tg))
    name = call.split("(")[0].rpartition(".")[2]
    assert str(info.value).startswith(name) and "'other'" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.torch
@pytest.mark.parametrize("call", REFUSING_OTHER)
def test_torch_refuses_other_there_too(torch64, call):
    with pytest.raises(TypeError):
        eval(call, _names(torch64))


@pytest.mark.parametrize("name", TAKING_OTHER)
def test_other_is_taken_where_torch_names_it(name):
    """Without torch: `x.NAME(other=y)` and `tg.NAME(input=x, other=y)` give the call by
    position's values."""
    x, y = tg.tensor([0.5, 1.5, 2.5]), tg.tensor([1.25, 0.75, 3.0])
    want = getattr(x, name)(y)
    _assert_same(_arrays(getattr(x, name)(other=y)), _arrays(want))
    _assert_same(_arrays(getattr(tg, name)(input=x, other=y)), _arrays(want))


def _op_functions(lib):
    """(label, callable) of every method and `tg.`/`tg.special` function of an op that
    torch (`lib`) has too: the ops' calls read torch's keywords in one place."""
    import inspect

    found = []
    for owner, theirs, prefix in ((tg.Tensor, lib.Tensor, "x."), (tg, lib, "lib."),
                                  (tg.special, lib.special, "lib.special.")):
        for name in sorted(vars(owner) if owner is tg.Tensor else dir(owner)):
            ours = inspect.getattr_static(owner, name, None)
            if not name.startswith("_") and hasattr(ours, "op") and hasattr(theirs, name):
                found.append(prefix + name)
    return found


@pytest.mark.torch
def test_other_is_taken_exactly_where_torchs_is(torch64):
    """Every op's method and function that torch has too: ours takes `other=` where
    torch's does, giving its values, and refuses it in one line naming the op where
    torch's refuses it (x and y positive, of shape (3,))."""
    x, y = np.array([0.5, 1.5, 2.5]), np.array([1.25, 0.75, 3.0])
    taking, refusing = [], []
    for label in _op_functions(torch64):
        outcome = []
        for lib in (tg, torch64):
            names = {"lib": lib, "x": lib.tensor(x), "y": lib.tensor(y)}
            call = f"{label}(other=y)" if label.startswith("x.") else f"{label}(x, other=y)"
            try:
                outcome.append(_arrays(eval(call, names)))
            except Exception as err:  # noqa: BLE001  (torch refuses with several classes)
                outcome.append(err)
        ours, theirs = outcome
        if isinstance(theirs, Exception):
            refusing.append(label)
            name = label.rpartition(".")[2]
            assert isinstance(ours, TypeError), label
            assert str(ours).startswith(name) and "\n" not in str(ours), label
        else:
            taking.append(label)
            assert not isinstance(ours, Exception), (label, ours)
            _assert_same(ours, theirs)
    assert len(taking) >= 50 and len(refusing) >= 150  # (the sweep saw them all)


# -- max and min: dim by name or with keepdim, refused spellings ---------------------------
@pytest.mark.parametrize("call", ["m.max(Z1, keepdim=True)", "m.min(Z0, True)",
                                  "lib.max(m, Z1, keepdim=False)", "m.max(Z1)",
                                  "m.max(dim=Z1)"])
def test_max_with_a_0d_dim_by_position_and_keepdim_reduces(call):
    """A 0-d integer tensor by position with keepdim is an axis (values and indices); by
    position alone the elementwise extreme: the same call with the int, or the maximum."""
    names = _zero_d(tg)
    got = _arrays(eval(call, names))
    plain = call.replace("Z1", "1").replace("Z0", "0")
    want = (_arrays(eval(plain, names)) if "keepdim" in call or "True" in call
            or "dim=" in call else _arrays(names["m"].maximum(names["Z1"])))
    _assert_same(got, want)


@pytest.mark.torch
@pytest.mark.parametrize("call", ["m.max(Z1, keepdim=True)", "m.min(Z0, True)",
                                  "lib.max(m, Z1, keepdim=False)", "m.max(Z1)",
                                  "m.max(dim=Z1)"])
def test_max_with_a_0d_dim_is_pytorchs(torch64, call):
    _assert_same(_arrays(eval(call, _zero_d(tg))), _arrays(eval(call, _zero_d(torch64))))


@pytest.mark.parametrize("call, pattern", [
    ("m.max(dim=np.array(1))", r"^max: dim must be an int, got ndarray array\(1\)"),
    ("m.min(dim=np.array([0]))", r"^min: dim must be an int, got ndarray"),
    ("m.max(dim_or_other=1)", r"^max: got an unexpected keyword argument 'dim_or_other'"),
    ("m.max(1, True, 2)", r"^max: takes at most 2 arguments \(dim, keepdim\) but 3 were"),
    ("m.max(Z1.float(), keepdim=True)", r"^max: dim must be an int, got a tensor of shape"),
])
def test_max_refuses_what_torch_refuses_in_one_line(call, pattern):
    """A NumPy array as dim= gave the elementwise maximum; the parameter's name of this
    round's code, dim_or_other, was taken and named in a count's error: each refused in
    one line that says dim (torch refuses each)."""
    names = {**_zero_d(tg), "np": np}
    with pytest.raises(TypeError, match=pattern) as info:
        eval(call, names)
    assert "\n" not in str(info.value)


@pytest.mark.torch
@pytest.mark.parametrize("call", ["m.max(dim=np.array(1))", "m.max(dim_or_other=1)",
                                  "m.max(1, True, 2)", "m.max(Z1.float(), keepdim=True)"])
def test_torch_refuses_those_max_calls(torch64, call):
    with pytest.raises(TypeError):
        eval(call, {**_zero_d(torch64), "np": np})


# -- float32, empty inputs, no_grad and gradients: as torch's ------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("keyword_call", [c for c, _ in CALLS if "solve" not in c])
def test_a_keyword_call_in_float32_is_pytorchs(torch64, keyword_call):
    """The calls on float32 tensors: torch's dtypes, and values to float32's precision."""
    def in_float32(lib):
        names = _names(lib)
        return {k: v.float() if hasattr(v, "dtype") and v.dtype == lib.float64 else v
                for k, v in names.items()}
    ours = _arrays(eval(keyword_call, in_float32(tg)))
    theirs = _arrays(eval(keyword_call, in_float32(torch64)))
    _close(ours, theirs, keyword_call)


def _close(ours, theirs, call):
    if isinstance(theirs, list):
        for a, b in zip(ours, theirs, strict=True):
            _close(a, b, call)
    elif isinstance(theirs, bool):
        assert ours == theirs
    else:
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, call
        if ours.size and "new_empty" not in call:
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


EMPTY_CALLS = ["e.reshape(shape=(0, 3))", "e.view(size=(3, 0))", "e.mul(other=e)",
               "e.pow(exponent=2)", "lib.where(e > 0, input=e, other=e)", "e.matmul(other=e.t())",
               "e.sum_to_size(size=(1, 3))", "e.tensor_split(indices=[1])",
               "lib.tensordot(a=e, b=e, dims=2)", "e.max(dim=lib.tensor(1))",
               "e.new_zeros(size=(0,))"]


@pytest.mark.torch
@pytest.mark.parametrize("call", EMPTY_CALLS)
def test_a_keyword_call_on_an_empty_input_is_pytorchs(torch64, call):
    """On a (0, 3) input: torch's shapes, dtypes and values."""
    ours = _arrays(eval(call, {"lib": tg, "e": tg.zeros(0, 3)}))
    theirs = _arrays(eval(call, {"lib": torch64, "e": torch64.zeros(0, 3)}))
    _assert_same(ours, theirs)


GRAD_CALLS = ["w.reshape(shape=(3, 2))", "w.view(size=(6,))", "w.pow(exponent=3)",
              "w.mul(other=w.exp())", "w.matmul(other=w.t())", "w.atan2(other=w + 3)",
              "lib.where(w > 0, input=w, other=w * 2)", "lib.tensordot(a=w, b=w.t(), dims=1)",
              "w.max(dim=lib.tensor(1)).values", "w.max(lib.tensor(0), keepdim=True).values"]


@pytest.mark.torch
@pytest.mark.parametrize("call", GRAD_CALLS)
def test_a_keyword_calls_gradient_and_no_grad_are_pytorchs(torch64, call):
    """A leaf that requires a gradient: the result's requires_grad and the leaf's .grad
    (of the sum of the result times a fixed weighting) as torch's; under no_grad, no
    gradient required, as torch's (but for a view of the leaf, which torch's marks as
    requiring one: ours does not, as a result of no_grad never does here)."""
    start = np.array([[0.7, -1.3, 2.1], [0.4, -0.6, 1.9]])
    grads = []
    for lib in (tg, torch64):
        w = lib.tensor(start, requires_grad=True)
        out = eval(call, {"lib": lib, "w": w})
        weighting = lib.tensor(np.linspace(1.0, 2.0, int(np.prod(out.shape))).reshape(
            tuple(out.shape)))
        (out * weighting).sum().backward()
        with lib.no_grad():
            quiet = eval(call, {"lib": lib, "w": w})
            is_view = lib is not tg and quiet._is_view() and quiet._base is w
            assert quiet.requires_grad is is_view
        grads.append(_arrays(w.grad))
    _assert_same(*grads)


# -- the wrapped functions and methods pickle as themselves --------------------------------
def test_the_wrapped_functions_and_methods_pickle_as_themselves():
    """Each function and method given torch's keywords by a wrapper (and each given out=
    by out_keyword's, installed alike) loads back from pickle as the same object, and
    still shows the signature of the function it wraps."""
    import inspect
    import pickle

    wrapped = [getattr(tg, n) for n in dir(tg) if hasattr(getattr(tg, n), "torch_keywords")]
    wrapped += [inspect.getattr_static(tg.Tensor, n) for n in dir(tg.Tensor)
                if hasattr(inspect.getattr_static(tg.Tensor, n), "torch_keywords")]
    assert {tg.searchsorted, tg.full_like, tg.Tensor.view, tg.Tensor.new_ones} <= set(wrapped)
    for function in wrapped:
        assert inspect.signature(function) == inspect.signature(function.__wrapped__)
    for function in wrapped + [tg.mm, tg.zeros, tg.kthvalue]:
        assert pickle.loads(pickle.dumps(function)) is function, function.__qualname__
