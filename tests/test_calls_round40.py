"""PyTorch call spellings the thirty-ninth round's sweep left refused or wrong.

`tg.argmax(input=x)`, `tg.isnan(input=x)`, `tg.zeros_like(input=x)` ... were refused where
torch 2.13 takes input=; `tg.cat(input=[a, b])` ran where torch wants `tensors=`;
`tg.linalg.norm(input=A)` was refused (torch's parameter is named input at run time, its docs
say A); 0-d tensors as ignore_index, padding_idx, dropout's p and a 0-d bool tensor as an
int-list dim were refused; `tg.tensordot(m, dims=1)` named our internal `y`; index_select and
take_along_dim without dim wrapped a negative index that torch's CPU kernels refuse. Each
case is run in both libraries (values, dtypes, gradients through backward, errors), and
each gradient is gradchecked. After the review: dropout1d/2d/3d and the rnn functions read a
0-d p, the layers take it by position, the RNN layers refuse it (torch's); var and std given a
tensor axis by position divide by n - 1; a bool axis in a tuple, vector_norm's and norm's; an
ignore_index or padding_idx of one entry; a missing argument of tg.linalg named as torch's.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
import tinygrad_gd.nn.functional as F

M = np.array([[1.0, np.nan, -2.0], [0.0, np.inf, 3.0]])
SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])


def _lib_value(lib, value):
    """`value` (an array, a list of them, or anything else) as `lib`'s tensors."""
    if isinstance(value, np.ndarray):
        return lib.tensor(value)
    if isinstance(value, list):
        return [_lib_value(lib, v) for v in value]
    return value


def _numpy(result):
    """A result (a tensor, a tuple of them, a number) as NumPy arrays to compare."""
    if isinstance(result, tuple):
        return [_numpy(r) for r in result]
    if hasattr(result, "detach"):
        return result.detach().numpy() if hasattr(result.detach(), "numpy") else result.data
    return np.asarray(result)


def _same(ours, theirs):
    ours, theirs = _numpy(ours), _numpy(theirs)
    if isinstance(ours, list):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
        return
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)


# -- 1. input= on the functions torch takes it for -------------------------------------------
INPUT_CALLS = [  # (function, keywords besides input=)
    ("argmax", {}), ("argmin", {}), ("argmax", {"dim": 1}), ("argwhere", {}),
    ("count_nonzero", {}), ("count_nonzero", {"dim": 0}), ("isfinite", {}), ("isinf", {}),
    ("isnan", {}), ("logical_not", {}), ("nonzero", {"as_tuple": False}), ("numel", {}),
    ("ones_like", {}), ("zeros_like", {}),
]


@pytest.mark.parametrize("name, keywords", INPUT_CALLS)
def test_input_keyword_equals_the_call_by_position(name, keywords):
    x = tg.tensor(np.nan_to_num(M, nan=0.5, posinf=7.0))
    _same(getattr(tg, name)(input=x, **keywords), getattr(tg, name)(x, **keywords))


@pytest.mark.torch
@pytest.mark.parametrize("name, keywords", INPUT_CALLS)
def test_input_keyword_is_pytorchs(torch64, name, keywords):
    ours = getattr(tg, name)(input=tg.tensor(M), **keywords)
    _same(ours, getattr(torch64, name)(input=torch64.tensor(M), **keywords))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["rand_like", "randn_like"])
def test_random_likes_take_input_as_pytorchs(torch64, name):
    ours, theirs = getattr(tg, name)(input=tg.tensor(M)), getattr(torch64, name)(input=torch64.tensor(M))
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).split(".")[1]


@pytest.mark.torch
def test_input_given_twice_is_refused_as_torch_refuses(torch64):
    x = tg.tensor([0.25, 0.5])
    with pytest.raises(TypeError, match=r"^exp: input= names an argument given by position"):
        tg.exp(x, input=x)
    with pytest.raises(TypeError):
        torch64.exp(torch64.tensor([0.25]), input=torch64.tensor([0.5]))
    x = tg.tensor([0.25, 0.5], requires_grad=True)
    assert tg.gradcheck(lambda t: tg.log_softmax(input=t, dim=0), (x,))


# -- 2. tensors= for the joins, input= refused there -----------------------------------------
JOINS = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
         "column_stack", "row_stack"]


@pytest.mark.torch
@pytest.mark.parametrize("name", JOINS)
def test_joins_take_tensors_as_pytorchs(torch64, name):
    a, b = np.arange(6.0).reshape(2, 3), -np.arange(6.0).reshape(2, 3)
    ours = getattr(tg, name)(tensors=[tg.tensor(a), tg.tensor(b)])
    _same(ours, getattr(torch64, name)(tensors=[torch64.tensor(a), torch64.tensor(b)]))


@pytest.mark.torch
@pytest.mark.parametrize("name", JOINS)
def test_joins_refuse_input_in_one_line_as_torch_refuses_it(torch64, name):
    a = tg.tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=rf"^{name}: PyTorch names its first argument "
                                        r"tensors=, not input=.*give tensors="):
        getattr(tg, name)(input=[a, a])
    with pytest.raises(TypeError):
        getattr(torch64, name)(input=[torch64.ones(2, 3)] * 2)


def test_a_join_by_tensors_has_the_gradients_of_the_call_by_position():
    a = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = tg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    assert tg.gradcheck(lambda p, q: tg.cat(tensors=[p, q], dim=1) ** 2, (a, b))
    assert tg.gradcheck(lambda p, q: tg.stack(tensors=(p, q)).sin(), (a, b))


@pytest.mark.torch
@pytest.mark.parametrize("call", ["lib.tensordot(input=m, b=m.T, dims=1)",
                                  "lib.split(input=m, split_size_or_sections=1)"])
def test_input_is_refused_where_torch_names_the_tensor_otherwise(torch64, call):
    m = np.arange(6.0).reshape(2, 3)
    with pytest.raises(TypeError, match=r"PyTorch names its first argument (a|tensor)=, "):
        eval(call, {"lib": tg, "m": tg.tensor(m)})
    with pytest.raises(TypeError):
        eval(call, {"lib": torch64, "m": torch64.tensor(m)})


# -- 3. tg.linalg's input= ------------------------------------------------------------------
LINALG = [  # (function, keywords: "A" stands for the matrix)
    ("cholesky", {"input": "A"}), ("cholesky_ex", {"input": "A"}), ("cond", {"input": "A"}),
    ("eigh", {"input": "A"}), ("eigvalsh", {"input": "A"}), ("matrix_exp", {"input": "A"}),
    ("matrix_norm", {"input": "A"}), ("norm", {"input": "A"}), ("vector_norm", {"input": "A"}),
    ("vector_norm", {"x": "A"}), ("matrix_rank", {"input": "A"}), ("pinv", {"input": "A"}),
    ("ldl_factor", {"input": "A"}), ("tensorinv", {"input": "A", "ind": 1}),
    ("matrix_power", {"input": "A", "n": 3}), ("lstsq", {"input": "A", "b": "B"}),
    ("tensorsolve", {"input": "A", "other": "b"}),
    ("solve_triangular", {"input": "A", "B": "B", "upper": True}),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, keywords", LINALG)
def test_linalg_takes_torchs_names_as_pytorch(torch64, name, keywords):
    values = {"A": SPD, "B": np.arange(6.0).reshape(3, 2), "b": np.arange(3.0)}

    def run(lib):
        given = {k: _lib_value(lib, values[v]) if isinstance(v, str) else v
                 for k, v in keywords.items()}
        result = getattr(lib.linalg, name)(**given)
        # (the first result: eigh's eigenvectors' signs are either library's choice)
        return result[0] if name in ("lstsq", "ldl_factor", "cholesky_ex", "eigh") else result
    _same(run(tg), run(torch64))


def test_linalg_input_has_the_gradient_of_a_and_both_names_are_one_error():
    a = tg.tensor(SPD, requires_grad=True)
    assert tg.gradcheck(lambda t: tg.linalg.norm(input=t), (a,))
    assert tg.gradcheck(lambda t: tg.linalg.cholesky(input=t @ t.mT), (a,))  # (symmetric)
    assert tg.gradcheck(lambda t: tg.linalg.vector_norm(input=t, ord=3), (a,))
    np.testing.assert_array_equal(tg.linalg.norm(A=a).data, tg.linalg.norm(input=a).data)
    with pytest.raises(TypeError, match=r"^norm: give input= or A= .*not both"):
        tg.linalg.norm(A=a, input=a)


# -- 4. 0-d tensors for ignore_index, dropout's p, padding_idx, a bool dim -------------------
LOGITS = np.array([[0.5, -1.0, 2.0, 0.1], [1.5, 0.3, -0.7, 0.0], [-0.2, 0.9, 0.4, 1.1]])
TARGET = np.array([1, 2, 0])


def _loss_and_grad(lib, fn):
    x = lib.tensor(LOGITS, requires_grad=True)
    loss = fn(x, lib.tensor(TARGET))
    loss.backward()
    return _numpy(loss), _numpy(x.grad)


@pytest.mark.torch
@pytest.mark.parametrize("form", ["cross_entropy", "nll_loss", "CrossEntropyLoss", "NLLLoss"])
def test_a_0d_ignore_index_is_pytorchs(torch64, form):
    _ignoring_as_torch(torch64, form, 2)


def _ignoring_as_torch(torch64, form, index):
    """The loss `form` and its gradient with ignore_index=lib.tensor(index) (target 2), in
    both libraries, the same; the ignored sample without gradient."""
    def run(lib):
        ignored = lib.tensor(index)
        if form[0].isupper():
            return _loss_and_grad(lib, getattr(lib.nn, form)(ignore_index=ignored))
        functional = F if lib is tg else torch64.nn.functional
        return _loss_and_grad(lib, lambda x, t: getattr(functional, form)(
            x, t, ignore_index=ignored))
    ours, theirs = run(tg), run(torch64)
    _same(ours[0], theirs[0])
    _same(ours[1], theirs[1])
    assert not ours[1][1].any()  # (the ignored sample, target 2: no gradient)


@pytest.mark.torch
@pytest.mark.parametrize("index", ["tensor(2.0)", "tensor(True)"])
def test_a_float_or_bool_ignore_index_is_refused_in_one_line(torch64, index):
    with pytest.raises(TypeError, match=r"^cross_entropy: ignore_index must be an int, got a "
                                        r"tensor of shape \(\) and dtype"):
        F.cross_entropy(tg.tensor(LOGITS), tg.tensor(TARGET), ignore_index=eval(f"tg.{index}"))
    with pytest.raises((TypeError, RuntimeError)):  # (torch: an internal assert for a bool)
        torch64.nn.functional.cross_entropy(torch64.tensor(LOGITS), torch64.tensor(TARGET),
                                            ignore_index=eval(f"torch64.{index}"))


@pytest.mark.torch
@pytest.mark.parametrize("call", ["F.dropout(x, p=lib.tensor(0.0))",
                                  "F.dropout(x, p=lib.tensor(1.0))",
                                  "F.dropout(x, p=lib.tensor(0.5), training=False)",
                                  "F.dropout(x, p=lib.tensor(False))",
                                  "lib.nn.Dropout(p=lib.tensor(0.0))(x)",
                                  "lib.nn.Dropout(p=lib.tensor(0.5)).eval()(x)",
                                  "lib.dropout(x, lib.tensor(1.0), True)"])
def test_a_0d_dropout_p_is_pytorchs(torch64, call):
    def run(lib):
        x = lib.tensor(LOGITS, requires_grad=True)
        functional = F if lib is tg else torch64.nn.functional
        out = eval(call, {"lib": lib, "x": x, "F": functional})
        (out * lib.tensor(LOGITS)).sum().backward()
        return _numpy(out), _numpy(x.grad)
    ours, theirs = run(tg), run(torch64)
    _same(ours[0], theirs[0])
    _same(ours[1], theirs[1])


@pytest.mark.torch
@pytest.mark.parametrize("p, pattern", [
    ("tensor([0.5])", r"^dropout: p must be a number or a 0-d tensor without grad, got a "
                      r"tensor of shape \(1,\)"),
    ("tensor(0.5, requires_grad=True)", r"^dropout: p must be .* that requires grad"),
    ("tensor(1.5)", r"^dropout: p is the probability of zeroing an entry, a number in \[0, 1\]")])
def test_a_dropout_p_torch_refuses_is_refused_in_one_line(torch64, p, pattern):
    with pytest.raises((TypeError, ValueError), match=pattern):
        F.dropout(tg.tensor(LOGITS), p=eval(f"tg.{p}"))
    with pytest.raises((TypeError, ValueError)):
        torch64.nn.functional.dropout(torch64.tensor(LOGITS), p=eval(f"torch64.{p}"))


@pytest.mark.torch
@pytest.mark.parametrize("padding", [2, -1])
def test_a_0d_padding_idx_is_pytorchs(torch64, padding):
    weights = np.linspace(-1.0, 1.0, 15).reshape(5, 3)
    index = np.array([0, 2, 4, 2])

    def run(lib, layer):
        w = lib.tensor(weights, requires_grad=True)
        if layer:
            module = lib.nn.Embedding.from_pretrained(w, freeze=False,
                                                      padding_idx=lib.tensor(padding))
            out, w = module(lib.tensor(index)), module.weight
        else:
            functional = F if lib is tg else torch64.nn.functional
            out = functional.embedding(lib.tensor(index), w, padding_idx=lib.tensor(padding))
        (out * lib.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
        return _numpy(out), _numpy(w.grad)
    for layer in (False, True):
        ours, theirs = run(tg, layer), run(torch64, layer)
        _same(ours[0], theirs[0])
        _same(ours[1], theirs[1])  # (the padding row: no gradient in either)
    module = tg.nn.Embedding(5, 3, padding_idx=tg.tensor(padding))
    assert module.padding_idx == torch64.nn.Embedding(5, 3, padding_idx=padding).padding_idx
    assert not module.weight.data[padding].any()


@pytest.mark.torch
def test_a_float_padding_idx_is_refused_in_one_line(torch64):
    with pytest.raises(TypeError, match=r"^embedding: padding_idx must be an int, got a tensor"):
        F.embedding(tg.tensor([0, 1]), tg.ones(5, 3), padding_idx=tg.tensor(2.0))
    with pytest.raises(TypeError, match=r"^Embedding: padding_idx must be an int, got a tensor"):
        tg.nn.Embedding(5, 3, padding_idx=tg.tensor(2.0))
    with pytest.raises((TypeError, IndexError)):
        torch64.nn.Embedding(5, 3, padding_idx=torch64.tensor(2.0))


BOOL_DIM_TAKEN = ["sum", "mean", "amax", "amin", "nansum", "nanmean", "var", "std",
                  "logsumexp", "var_mean", "std_mean"]
BOOL_DIM_REFUSED = ["argmax", "cumsum", "softmax", "prod", "all", "unsqueeze", "median"]


@pytest.mark.torch
@pytest.mark.parametrize("name", BOOL_DIM_TAKEN)
@pytest.mark.parametrize("flag", [True, False])
def test_a_0d_bool_dim_of_an_int_list_is_pytorchs(torch64, name, flag):
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    _same(getattr(tg, name)(tg.tensor(x), dim=tg.tensor(flag)),
          getattr(torch64, name)(torch64.tensor(x), dim=torch64.tensor(flag)))
    assert tg.gradcheck(lambda t: getattr(t, name)(tg.tensor(flag), keepdim=True)
                        if name not in ("var_mean", "std_mean") else
                        getattr(tg, name)(t, dim=tg.tensor(flag))[0],
                        (tg.tensor(x, requires_grad=True),))


@pytest.mark.torch
@pytest.mark.parametrize("name", BOOL_DIM_REFUSED)
def test_a_0d_bool_dim_of_one_int_is_refused_as_torch_refuses(torch64, name):
    with pytest.raises(TypeError, match=rf"^{name}: axis must be .*dtype bool; only a 0-d "
                                        r"integer tensor stands for an int"):
        getattr(tg, name)(tg.ones(2, 3), dim=tg.tensor(True))
    with pytest.raises(TypeError):
        getattr(torch64, name)(torch64.ones(2, 3), dim=torch64.tensor(True))


# -- 5. a missing argument named by torch's name ---------------------------------------------
@pytest.mark.torch
def test_tensordot_without_b_names_b_and_what_to_do(torch64):
    with pytest.raises(TypeError, match=r"^tensordot: missing 1 required positional argument: "
                                        r"'b' \(PyTorch's name\); give b= or pass it by "
                                        r"position$"):
        tg.tensordot(tg.ones(2, 3), dims=1)
    with pytest.raises(TypeError, match="argument: 'b'"):
        torch64.tensordot(torch64.ones(2, 3), dims=1)
    with pytest.raises(TypeError, match=r"^mul: missing 1 required positional argument: "
                                        r"'other'"):
        tg.mul(tg.ones(2))


# -- 6. negative indices where torch's CPU kernels refuse them -------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("call, pattern", [
    ("lib.index_select(x, 1, lib.tensor([0, -1]))",
     r"^index_select: index -1 is out of range for dim 1 of size 3: .*no negative ones"),
    ("x.index_select(1, lib.tensor([-3]))",
     r"^index_select: index -3 is out of range for dim 1 of size 3"),
    ("lib.take_along_dim(x, lib.tensor([0, -1]))",
     r"^take_along_dim: index -1 is out of range for the flattened input \(no dim given\) "
     r"of size 6"),
])
def test_a_negative_index_torch_refuses_is_refused_in_one_line(torch64, call, pattern):
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(IndexError, match=pattern):
        eval(call, {"lib": tg, "x": tg.tensor(x)})
    with pytest.raises((IndexError, RuntimeError)):
        eval(call, {"lib": torch64, "x": torch64.tensor(x)})


@pytest.mark.torch
@pytest.mark.parametrize("call", ["lib.take_along_dim(x, lib.tensor([[0, -1]]), 1)",
                                  "lib.take_along_dim(x, lib.tensor([[-1], [-2]]), -1)",
                                  "x.index_select(1, lib.tensor(2))",
                                  "lib.index_select(x, 0, lib.tensor([1, 1, 0]))"])
def test_the_indices_torch_takes_are_pytorchs_values_and_gradients(torch64, call):
    def run(lib):
        x = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        out = eval(call, {"lib": lib, "x": x})
        (out * out).sum().backward()
        return _numpy(out), _numpy(x.grad)
    ours, theirs = run(tg), run(torch64)
    _same(ours[0], theirs[0])
    _same(ours[1], theirs[1])
    x = tg.tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3), requires_grad=True)
    assert tg.gradcheck(lambda t: eval(call, {"lib": tg, "x": t}), (x,))


# -- after the review: every dropout reads a 0-d p, var's tensor dim, lists, messages ------
CHANNELS = np.linspace(-1.0, 1.0, 2 * 4 * 3 * 3).reshape(2, 4, 3, 3)


@pytest.mark.torch
@pytest.mark.parametrize("name, shape", [("dropout1d", (2, 4, 9)), ("dropout2d", (2, 4, 3, 3)),
                                         ("dropout3d", (2, 4, 3, 3, 1))])
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_channel_dropout_reads_a_0d_p_as_pytorchs(torch64, name, shape, p):
    def run(lib):
        x = lib.tensor(CHANNELS.reshape(shape), requires_grad=True)
        functional = F if lib is tg else torch64.nn.functional
        out = getattr(functional, name)(x, p=lib.tensor(p))
        (out * lib.tensor(CHANNELS.reshape(shape))).sum().backward()
        return _numpy(out), _numpy(x.grad)
    ours, theirs = run(tg), run(torch64)
    _same(ours[0], theirs[0])
    _same(ours[1], theirs[1])


@pytest.mark.parametrize("name", ["dropout1d", "dropout2d", "dropout3d"])
def test_channel_dropout_at_a_0d_half_zeroes_whole_channels_and_doubles_the_rest(name):
    shape = {"dropout1d": (2, 4, 9), "dropout2d": (2, 4, 3, 3), "dropout3d": (2, 4, 3, 3, 1)}
    x = np.ones(shape[name])
    out = getattr(F, name)(tg.tensor(x), p=tg.tensor(0.5)).data
    per_channel = out.reshape(2, 4, -1)
    # (each channel all 0 or all 1 / (1 - p) = 2: one draw per channel)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))


@pytest.mark.torch
@pytest.mark.parametrize("build", [
    "lib.nn.Dropout(lib.tensor(0.25))", "lib.nn.Dropout1d(lib.tensor(0.25))",
    "lib.nn.AlphaDropout(lib.tensor(0.25))",
    "lib.nn.TransformerEncoderLayer(4, 1, dropout=lib.tensor(0.25)).dropout",
    "lib.nn.TransformerEncoderLayer(4, 1, 8, lib.tensor(0.25)).dropout1",
    "lib.nn.TransformerDecoderLayer(4, 1, dropout=lib.tensor(0.25)).dropout3",
    "lib.nn.Transformer(4, 1, 1, 1, 8, dropout=lib.tensor(0.25)).encoder.layers[0].dropout"])
def test_a_0d_dropout_of_a_layer_is_pytorchs(torch64, build):
    assert float(eval(build, {"lib": tg}).p) == float(eval(build, {"lib": torch64}).p) == 0.25


@pytest.mark.torch
def test_multihead_attention_with_a_0d_dropout_runs_as_pytorchs(torch64):
    query = np.linspace(-1.0, 1.0, 8).reshape(2, 4)
    outs = []
    for lib in (tg, torch64):
        lib.manual_seed(0)
        layer = lib.nn.MultiheadAttention(4, 1, lib.tensor(0.0))
        with lib.no_grad():
            for k, name in enumerate(("in_proj_weight", "out_proj.weight")):
                target = layer.in_proj_weight if k == 0 else layer.out_proj.weight
                target.copy_(lib.tensor(np.linspace(-0.5, 0.5, target.numel()).reshape(
                    tuple(target.shape))))
        q = lib.tensor(query, requires_grad=True)
        out = layer(q, q, q)[0]
        out.sum().backward()
        outs.append((_numpy(out), _numpy(q.grad)))
    _same(outs[0][0], outs[1][0])
    _same(outs[0][1], outs[1][1])


@pytest.mark.torch
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_an_rnn_layer_refuses_a_tensor_dropout_as_torch_does(torch64, name):
    with pytest.raises(ValueError, match=rf"^{name}: dropout must be a number in \[0, 1\], "
                                         r"not a tensor .*give dropout=t.item\(\)$"):
        getattr(tg.nn, name)(3, 3, num_layers=2, dropout=tg.tensor(0.5))
    with pytest.raises(ValueError, match="dropout should be a number"):
        getattr(torch64.nn, name)(3, 3, num_layers=2, dropout=torch64.tensor(0.5))


@pytest.mark.torch
def test_the_rnn_function_reads_a_0d_dropout_as_pytorchs(torch64):
    data = np.linspace(-1.0, 1.0, 18).reshape(2, 3, 3)
    outs = []
    for lib in (tg, torch64):
        params = [lib.tensor(np.linspace(-0.3, 0.3, n).reshape(shape), requires_grad=True)
                  for n, shape in ((9, (3, 3)), (9, (3, 3)), (3, (3,)), (3, (3,)))]
        out = lib.rnn_tanh(lib.tensor(data), lib.zeros(1, 3, 3, dtype=lib.float64), params,
                           True, 1, lib.tensor(0.0), True, False, False)[0]
        out.sum().backward()
        outs.append((_numpy(out), _numpy(params[0].grad)))
    _same(outs[0][0], outs[1][0])
    _same(outs[0][1], outs[1][1])


VAR_X = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])


@pytest.mark.torch
@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("dim", ["tensor(True)", "tensor(False)", "tensor(1)",
                                 "(tensor(True),)"])
def test_var_given_a_tensor_dim_by_position_divides_by_n_minus_1_as_pytorchs(
        torch64, name, dim):
    def run(lib):
        d = eval(dim.replace("tensor", "lib.tensor"), {"lib": lib})
        return getattr(lib, name)(lib.tensor(VAR_X), d)
    _same(run(tg), run(torch64))
    # (by hand: n - 1 = 2 along axis 1, 1 along axis 0)
    axis = 0 if "False" in dim else 1
    by_hand = ((VAR_X - VAR_X.mean(axis, keepdims=True)) ** 2).sum(axis) / (VAR_X.shape[axis]
                                                                           - 1)
    variance = _numpy(tg.var(tg.tensor(VAR_X), eval(dim.replace("tensor", "tg.tensor"))))
    np.testing.assert_allclose(variance, by_hand)
    assert tg.gradcheck(lambda t: tg.std(t, tg.tensor(True)), (tg.tensor(VAR_X,
                                                                          requires_grad=True),))


@pytest.mark.torch
@pytest.mark.parametrize("call", [
    "lib.linalg.vector_norm(x, dim=lib.tensor(True))",
    "lib.linalg.vector_norm(x, 2, lib.tensor(True))",
    "lib.linalg.vector_norm(x, dim=(lib.tensor(True),))",
    "lib.linalg.norm(x, dim=lib.tensor(True))",
    "lib.linalg.norm(x, dim=(lib.tensor(0), lib.tensor(True)))",
    "lib.linalg.matrix_norm(x, dim=(lib.tensor(0), lib.tensor(True)))",
    "x.sum(dim=(lib.tensor(True),))", "x.sum(dim=[lib.tensor(True)])",
    "x.sum(dim=(lib.tensor(0), lib.tensor(True)))", "x.mean(dim=(lib.tensor(True),))",
    "lib.amax(x, dim=(lib.tensor(False),))", "lib.flip(x, (lib.tensor(True),))",
    "lib.nansum(x, (lib.tensor(True),))", "lib.logsumexp(x, (lib.tensor(True),))"])
def test_a_0d_bool_dim_in_a_list_of_ints_is_pytorchs(torch64, call):
    def run(lib):
        x = lib.tensor(VAR_X, requires_grad=True)
        out = eval(call, {"lib": lib, "x": x})
        (out * 1.5).sum().backward()
        return _numpy(out), _numpy(x.grad)
    ours, theirs = run(tg), run(torch64)
    _same(ours[0], theirs[0])
    _same(ours[1], theirs[1])
    assert tg.gradcheck(lambda x: eval(call, {"lib": tg, "x": x}),
                        (tg.tensor(VAR_X, requires_grad=True),))


@pytest.mark.torch
@pytest.mark.parametrize("form", ["cross_entropy", "nll_loss", "CrossEntropyLoss"])
@pytest.mark.parametrize("index", [[2], [[2]]])
def test_an_ignore_index_of_one_entry_is_pytorchs(torch64, form, index):
    _ignoring_as_torch(torch64, form, index)


@pytest.mark.torch
def test_a_padding_idx_of_one_entry_is_pytorchs_and_of_two_is_refused(torch64):
    weights = np.linspace(-1.0, 1.0, 15).reshape(5, 3)
    outs = []
    for lib in (tg, torch64):
        w = lib.tensor(weights, requires_grad=True)
        functional = F if lib is tg else torch64.nn.functional
        out = functional.embedding(lib.tensor([0, 2, 2]), w, padding_idx=lib.tensor([2]))
        out.sum().backward()
        outs.append((_numpy(out), _numpy(w.grad)))
    _same(outs[0][0], outs[1][0])
    _same(outs[0][1], outs[1][1])
    # (the layer's padding row starts at 0, as an int padding_idx's; torch's layer keeps the
    # tensor, whose fill_ of weight[tensor([2])] writes a copy: its row 2 stays random)
    layer = tg.nn.Embedding(5, 3, padding_idx=tg.tensor([2]))
    assert layer.padding_idx == 2 and not layer.weight.data[2].any()
    with pytest.raises(TypeError, match=r"^cross_entropy: ignore_index must be an int, got a "
                                        r"tensor of shape \(2,\)"):
        F.cross_entropy(tg.tensor(LOGITS), tg.tensor(TARGET), ignore_index=tg.tensor([2, 3]))
    with pytest.raises(TypeError):
        torch64.nn.functional.cross_entropy(torch64.tensor(LOGITS), torch64.tensor(TARGET),
                                            ignore_index=torch64.tensor([2, 3]))


@pytest.mark.torch
@pytest.mark.parametrize("call, torch_name", [
    ("lib.linalg.lstsq(input=x)", "b"), ("lib.linalg.lstsq(x)", "b"),
    ("lib.argmax()", "input"), ("lib.zeros_like()", "input"), ("lib.isnan()", "input"),
    ("lib.linalg.vector_norm()", "input"), ("lib.linalg.tensorsolve(x)", "other"),
    ("lib.linalg.matrix_power(x)", "n"), ("lib.linalg.det()", "A"),
    ("lib.linalg.solve(x)", "B")])
def test_a_missing_argument_is_named_as_torch_names_it_with_the_op(torch64, call, torch_name):
    op = call.split("(")[0].split(".")[-1]
    with pytest.raises(TypeError, match=rf"^{op}: missing 1 required positional argument: "
                                        rf"'{torch_name}'(; its docstring lists its arguments|"
                                        rf" \(PyTorch's name\); give {torch_name}= or pass it "
                                        r"by position)$"):
        eval(call, {"lib": tg, "x": tg.ones(2, 2)})
    with pytest.raises(TypeError, match=rf"\"{torch_name}\""):
        eval(call, {"lib": torch64, "x": torch64.ones(2, 2)})


def test_an_error_inside_a_linalg_function_is_its_own_not_a_binding_one():
    with pytest.raises(tg.ShapeError, match=r"^det: A must be square"):
        tg.linalg.det(tg.ones(2, 3))


@pytest.mark.torch
def test_flip_refuses_a_bare_0d_bool_dim_as_torch_does(torch64):
    with pytest.raises(TypeError, match=r"^flip: axis must be .*dtype bool"):
        tg.flip(tg.ones(2, 3), tg.tensor(True))
    with pytest.raises(TypeError):
        torch64.flip(torch64.ones(2, 3), torch64.tensor(True))
