"""tg.ShapeError: a shape mistake is both a ValueError (NumPy's) and a RuntimeError (PyTorch's).

A table of representative mistakes across the ops, the products, the layers and the losses:
each raises a ShapeError whose message names the function and the shapes, and (with torch)
torch's exception for the same mistake is a type ours is an instance of.
"""
import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.errors import ShapeError
from tinygrad_gd.nn import functional as F


def t(*shape):
    return tg.randn(*shape)


def ints(*shape):
    return tg.zeros(*shape, dtype=tg.int64)


def bools(*shape):
    return tg.zeros(*shape, dtype=tg.bool)


# (name, our mistake, words the message keeps, torch's same mistake: given `torch`)
MISTAKES = [
    # elementwise broadcasting, restated from NumPy's error (op_errors)
    ("add", lambda: t(2, 3) + t(4), ["add", "(2, 3)", "(4,)", "broadcast"],
     lambda torch: torch.randn(2, 3) + torch.randn(4)),
    ("mul", lambda: tg.mul(t(2, 3), t(3, 2)), ["mul", "(2, 3)", "(3, 2)"],
     lambda torch: torch.randn(2, 3) * torch.randn(3, 2)),
    ("masked_fill", lambda: t(2, 3).masked_fill(bools(4), 0.0), ["masked_fill", "(4,)", "(2, 3)"],
     lambda torch: torch.randn(2, 3).masked_fill(torch.zeros(4, dtype=torch.bool), 0.0)),
    # products
    ("matmul", lambda: t(2, 3) @ t(4, 5), ["(2, 3)", "(4, 5)"],
     lambda torch: torch.randn(2, 3) @ torch.randn(4, 5)),
    ("matmul_0d", lambda: tg.matmul(tg.tensor(1.0), t(3)), ["at least 1 dimension"],
     lambda torch: torch.matmul(torch.tensor(1.0), torch.randn(3))),
    ("mm", lambda: tg.mm(t(2, 3), t(4, 2)), ["mm", "(2, 3)", "(4, 2)"],
     lambda torch: torch.mm(torch.randn(2, 3), torch.randn(4, 2))),
    ("bmm", lambda: tg.bmm(t(2, 3, 4), t(2, 5, 6)), ["(2, 3, 4)", "(2, 5, 6)"],
     lambda torch: torch.bmm(torch.randn(2, 3, 4), torch.randn(2, 5, 6))),
    ("dot", lambda: tg.dot(t(2, 3, 4), t(4)), ["dot", "(2, 3, 4)"],
     lambda torch: torch.dot(torch.randn(2, 3, 4), torch.randn(4))),
    ("mv", lambda: tg.mv(t(2, 3), t(4)), ["mv", "(2, 3)", "(4,)"],
     lambda torch: torch.mv(torch.randn(2, 3), torch.randn(4))),
    ("inner", lambda: tg.inner(t(3), t(4)), ["inner", "(3,)", "(4,)"],
     lambda torch: torch.inner(torch.randn(3), torch.randn(4))),
    ("addbmm", lambda: tg.addbmm(t(3, 5), t(2, 3, 4), t(3, 4, 5)), ["addbmm", "(2, 3, 4)"],
     lambda torch: torch.addbmm(torch.randn(3, 5), torch.randn(2, 3, 4), torch.randn(3, 4, 5))),
    ("tensordot", lambda: tg.tensordot(t(2, 3), t(4, 5), dims=([1], [0])),
     ["tensordot", "(2, 3)", "(4, 5)"],
     lambda torch: torch.tensordot(torch.randn(2, 3), torch.randn(4, 5), dims=([1], [0]))),
    ("einsum", lambda: tg.einsum("ij->i", t(2, 3, 4)), ["einsum", "'ij'"],
     lambda torch: torch.einsum("ij->i", torch.randn(2, 3, 4))),
    ("trace", lambda: tg.trace(t(3)), ["trace", "(3,)"],
     lambda torch: torch.trace(torch.randn(3))),
    ("inv", lambda: tg.linalg.inv(t(2, 3)), ["inv", "(2, 3)"],
     lambda torch: torch.linalg.inv(torch.randn(2, 3))),
    # reshaping and joining
    ("reshape", lambda: t(2, 3).reshape(4), ["reshape", "(2, 3)", "(4,)"],
     lambda torch: torch.randn(2, 3).reshape(4)),
    ("view", lambda: t(2, 3).view(5), ["(2, 3)", "(5,)"],
     lambda torch: torch.randn(2, 3).view(5)),
    ("expand", lambda: t(3).expand(4), ["(3,)", "(4,)"],
     lambda torch: torch.randn(3).expand(4)),
    ("broadcast_to", lambda: tg.broadcast_to(t(3), (2, 4)), ["broadcast_to", "(3,)", "(2, 4)"],
     lambda torch: torch.broadcast_to(torch.randn(3), (2, 4))),
    ("cat", lambda: tg.cat([t(2, 3), t(2, 4)]), ["cat", "(2, 3)", "(2, 4)"],
     lambda torch: torch.cat([torch.randn(2, 3), torch.randn(2, 4)])),
    ("cat_ndim", lambda: tg.cat([t(2, 3), t(3)]), ["cat", "(2, 3)", "(3,)"],
     lambda torch: torch.cat([torch.randn(2, 3), torch.randn(3)])),
    ("stack", lambda: tg.stack([t(2, 3), t(3, 2)]), ["stack", "(2, 3)", "(3, 2)"],
     lambda torch: torch.stack([torch.randn(2, 3), torch.randn(3, 2)])),
    ("split", lambda: tg.split(t(5), [2, 2]), ["split", "[2, 2]", "5"],
     lambda torch: torch.split(torch.randn(5), [2, 2])),
    ("gather", lambda: tg.gather(t(3, 4), 1, ints(3)), ["gather", "1 axes", "2"],
     lambda torch: torch.gather(torch.randn(3, 4), 1, torch.zeros(3, dtype=torch.long))),
    ("tril", lambda: tg.tril(t(3)), ["tril", "(3,)"],
     lambda torch: torch.tril(torch.randn(3))),
    ("diff", lambda: tg.diff(t(2, 3), prepend=t(4)), ["diff", "(4,)", "(2, 1)"],
     lambda torch: torch.diff(torch.randn(2, 3), prepend=torch.randn(4))),
    # convolution, pooling, padding
    ("conv2d_rank", lambda: F.conv2d(t(3, 4), t(2, 3, 1, 1)), ["conv2d", "(3, 4)"],
     lambda torch: torch.nn.functional.conv2d(torch.randn(3, 4), torch.randn(2, 3, 1, 1))),
    ("conv2d_channels", lambda: F.conv2d(t(1, 3, 5, 5), t(2, 4, 3, 3)),
     ["conv2d", "(2, 4, 3, 3)", "(1, 3, 5, 5)"],
     lambda torch: torch.nn.functional.conv2d(torch.randn(1, 3, 5, 5), torch.randn(2, 4, 3, 3))),
    ("conv2d_kernel", lambda: F.conv2d(t(1, 3, 2, 2), t(2, 3, 3, 3)), ["conv2d", "(3, 3)"],
     lambda torch: torch.nn.functional.conv2d(torch.randn(1, 3, 2, 2), torch.randn(2, 3, 3, 3))),
    ("conv1d", lambda: F.conv1d(t(1, 3, 5), t(2, 4, 3)), ["conv1d", "(2, 4, 3)", "(1, 3, 5)"],
     lambda torch: torch.nn.functional.conv1d(torch.randn(1, 3, 5), torch.randn(2, 4, 3))),
    ("conv_transpose2d", lambda: F.conv_transpose2d(t(1, 3, 5, 5), t(4, 2, 3, 3)),
     ["conv_transpose2d", "(4, 2, 3, 3)", "(1, 3, 5, 5)"],
     lambda torch: torch.nn.functional.conv_transpose2d(torch.randn(1, 3, 5, 5),
                                                        torch.randn(4, 2, 3, 3))),
    ("max_pool2d", lambda: F.max_pool2d(t(1, 1, 2, 2), 3), ["max_pool2d", "(2, 2)"],
     lambda torch: torch.nn.functional.max_pool2d(torch.randn(1, 1, 2, 2), 3)),
    ("adaptive_avg_pool2d", lambda: F.adaptive_avg_pool2d(t(3), 2),
     ["adaptive_avg_pool2d", "(3,)"],
     lambda torch: torch.nn.functional.adaptive_avg_pool2d(torch.randn(3), 2)),
    ("unfold", lambda: F.unfold(t(1, 1, 2, 2), 3), ["unfold", "(1, 1, 2, 2)"],
     lambda torch: torch.nn.functional.unfold(torch.randn(1, 1, 2, 2), 3)),
    ("pad_0d", lambda: F.pad(tg.tensor(1.0), (1, 1)), ["pad", "0-d"],
     lambda torch: torch.nn.functional.pad(torch.tensor(1.0), (1, 1))),
    # layers' inputs
    ("Linear", lambda: nn.Linear(3, 4)(t(2, 5)), ["Linear", "(2, 5)", "in_features=3"],
     lambda torch: torch.nn.Linear(3, 4)(torch.randn(2, 5))),
    ("linear", lambda: F.linear(t(2, 3), t(4, 5)), ["linear", "(2, 3)", "(4, 5)"],
     lambda torch: torch.nn.functional.linear(torch.randn(2, 3), torch.randn(4, 5))),
    ("Conv2d", lambda: nn.Conv2d(3, 4, 3)(t(1, 5, 6, 6)), ["conv2d", "(1, 5, 6, 6)"],
     lambda torch: torch.nn.Conv2d(3, 4, 3)(torch.randn(1, 5, 6, 6))),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3)(t(4, 5)), ["BatchNorm1d", "(4, 5)"],
     lambda torch: torch.nn.BatchNorm1d(3)(torch.randn(4, 5))),
    ("BatchNorm1d_rank", lambda: nn.BatchNorm1d(3)(t(4, 3, 2, 2)), ["BatchNorm1d", "(4, 3, 2, 2)"],
     lambda torch: torch.nn.BatchNorm1d(3)(torch.randn(4, 3, 2, 2))),
    ("layer_norm", lambda: F.layer_norm(t(2, 3), (4,)), ["layer_norm", "(2, 3)", "(4,)"],
     lambda torch: torch.nn.functional.layer_norm(torch.randn(2, 3), (4,))),
    ("group_norm", lambda: F.group_norm(t(2, 5, 3), 2), ["group_norm", "(2, 5, 3)"],
     lambda torch: torch.nn.functional.group_norm(torch.randn(2, 5, 3), 2)),
    ("glu", lambda: F.glu(t(2, 3)), ["glu", "(2, 3)"],
     lambda torch: torch.nn.functional.glu(torch.randn(2, 3))),
    ("prelu", lambda: F.prelu(t(2, 3), t(4)), ["prelu", "(4,)", "(2, 3)"],
     lambda torch: torch.nn.functional.prelu(torch.randn(2, 3), torch.randn(4))),
    ("RNN", lambda: nn.RNN(3, 4)(t(5, 2, 6)), ["RNN", "(5, 2, 6)"],
     lambda torch: torch.nn.RNN(3, 4)(torch.randn(5, 2, 6))),
    ("RNN_hx", lambda: nn.RNN(3, 4)(t(5, 2, 3), t(1, 3, 4)), ["RNN", "(1, 3, 4)"],
     lambda torch: torch.nn.RNN(3, 4)(torch.randn(5, 2, 3), torch.randn(1, 3, 4))),
    ("RNNCell", lambda: nn.RNNCell(3, 4)(t(2, 5)), ["RNNCell", "(2, 5)"],
     lambda torch: torch.nn.RNNCell(3, 4)(torch.randn(2, 5))),
    ("cosine_similarity", lambda: F.cosine_similarity(t(2, 3), t(4, 3)),
     ["cosine_similarity", "(2, 3)", "(4, 3)"],
     lambda torch: torch.nn.functional.cosine_similarity(torch.randn(2, 3), torch.randn(4, 3))),
    # losses
    ("mse_loss", lambda: F.mse_loss(t(2, 3), t(4, 3)), ["mse_loss", "(2, 3)", "(4, 3)"],
     lambda torch: torch.nn.functional.mse_loss(torch.randn(2, 3), torch.randn(4, 3))),
    ("binary_cross_entropy", lambda: F.binary_cross_entropy(tg.rand(2, 3), tg.rand(3)),
     ["binary_cross_entropy", "(2, 3)", "(3,)"],
     lambda torch: torch.nn.functional.binary_cross_entropy(torch.rand(2, 3), torch.rand(3))),
    ("nll_loss_batch", lambda: F.nll_loss(t(3, 4), ints(2)), ["nll_loss", "(3, 4)", "(2,)"],
     lambda torch: torch.nn.functional.nll_loss(torch.randn(3, 4),
                                                torch.zeros(2, dtype=torch.long))),
    ("nll_loss_class_axis", lambda: F.nll_loss(t(3, 4), ints(3, 4)), ["nll_loss", "(3, 4)"],
     lambda torch: torch.nn.functional.nll_loss(torch.randn(3, 4),
                                                torch.zeros(3, 4, dtype=torch.long))),
    ("cross_entropy_weight", lambda: F.cross_entropy(t(2, 4), ints(2), weight=t(3)),
     ["cross_entropy", "(3,)", "(2, 4)"],
     lambda torch: torch.nn.functional.cross_entropy(
         torch.randn(2, 4), torch.zeros(2, dtype=torch.long), weight=torch.randn(3))),
    ("cross_entropy_spatial", lambda: F.cross_entropy(t(2, 4, 5), ints(2, 6)),
     ["cross_entropy", "(2, 4, 5)", "(2, 6)"],
     lambda torch: torch.nn.functional.cross_entropy(torch.randn(2, 4, 5),
                                                     torch.zeros(2, 6, dtype=torch.long))),
    ("triplet_margin_loss", lambda: F.triplet_margin_loss(t(2, 3), t(3), t(2, 2, 3)),
     ["triplet_margin_loss", "(2, 3)", "(2, 2, 3)"],
     lambda torch: torch.nn.functional.triplet_margin_loss(torch.randn(2, 3), torch.randn(3),
                                                           torch.randn(2, 2, 3))),
    ("multi_margin_loss", lambda: F.multi_margin_loss(t(2, 3, 4), ints(2)),
     ["multi_margin_loss", "(2, 3, 4)"],
     lambda torch: torch.nn.functional.multi_margin_loss(torch.randn(2, 3, 4),
                                                         torch.zeros(2, dtype=torch.long))),
    # functions composed of several ops, and an in-place write
    ("hstack", lambda: tg.hstack([t(2, 2), t(3, 2)]), ["hstack", "(3, 2)", "(2, 2)"],
     lambda torch: torch.hstack([torch.randn(2, 2), torch.randn(3, 2)])),
    ("unflatten", lambda: t(3).unflatten(0, (2, 2)), ["unflatten", "(2, 2)"],
     lambda torch: torch.randn(3).unflatten(0, (2, 2))),
    ("take_along_dim", lambda: tg.take_along_dim(t(2, 2), ints(2, 2, 2), 1),
     ["take_along_dim", "3 axes"],
     lambda torch: torch.take_along_dim(torch.randn(2, 2), torch.zeros(2, 2, 2, dtype=torch.long),
                                        1)),
    ("add_", lambda: t(3).add_(t(2, 3)), ["add_", "(2, 3)", "(3,)"],
     lambda torch: torch.randn(3).add_(torch.randn(2, 3))),
    ("t", lambda: t(2, 3, 4).t(), ["t()", "(2, 3, 4)"], lambda torch: torch.randn(2, 3, 4).t()),
]
IDS = [name for name, *_ in MISTAKES]


def _raised(mistake):
    with pytest.raises(Exception) as info:
        mistake()
    return info.value


@pytest.mark.parametrize("name, mistake, words, torch_mistake", MISTAKES, ids=IDS)
def test_a_shape_mistake_is_a_value_and_a_runtime_error(name, mistake, words, torch_mistake):
    err = _raised(mistake)
    assert isinstance(err, tg.ShapeError), f"{name}: {type(err).__name__}: {err}"
    assert isinstance(err, ValueError) and isinstance(err, RuntimeError)
    text = str(err)
    assert "\n" not in text
    for word in words:
        assert word in text, f"{name}: {word!r} not in {text!r}"


@pytest.mark.filterwarnings("ignore::UserWarning")  # (torch's broadcast warning of mse_loss)
@pytest.mark.parametrize("name, mistake, words, torch_mistake", MISTAKES, ids=IDS)
def test_torchs_error_for_the_same_mistake_catches_ours(name, mistake, words, torch_mistake):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as info:
        torch_mistake(torch)
    ours = _raised(mistake)
    assert isinstance(ours, type(info.value)), \
        f"{name}: torch raises {type(info.value).__name__}, ours {type(ours).__name__}"


def test_the_table_covers_the_groups():
    assert len(MISTAKES) >= 40


def test_shape_error_is_exported_and_says_why_it_is_both():
    assert tg.ShapeError is ShapeError
    assert "ShapeError" in tg.__all__
    assert issubclass(tg.ShapeError, ValueError) and issubclass(tg.ShapeError, RuntimeError)
    doc = tg.ShapeError.__doc__
    assert "RuntimeError" in doc and "ValueError" in doc


def test_numpy_and_torch_style_handlers_both_catch_it():
    caught = []
    for kind in (ValueError, RuntimeError):
        try:
            t(2, 3) @ t(4, 5)
        except kind as err:
            caught.append(type(err))
    assert caught == [tg.ShapeError, tg.ShapeError]


def test_a_gradient_still_flows_where_the_shapes_fit():
    # the checks moved no logic: a fitting product still differentiates
    a = tg.randn(2, 3, dtype=tg.float64, requires_grad=True)
    b = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda x, y: x @ y, (a, b))


# argument values that are not about shapes keep their own types (PyTorch's IndexError for a
# dim; a plain ValueError for a bad number)
NOT_SHAPES = [
    ("dim out of range", lambda: t(2, 3).sum(dim=5), IndexError),
    ("negative size", lambda: t(6).reshape(-2, 3), ValueError),
    ("index_select 2-d index", lambda: tg.index_select(t(3), 0, ints(2, 2)), ValueError),
    ("bad reduction", lambda: F.mse_loss(t(2), t(2), reduction="avg"), ValueError),
    ("init of a vector", lambda: nn.init.xavier_uniform_(t(3)), ValueError),
    ("MultiheadAttention embed_dim", lambda: nn.MultiheadAttention(4, 2)(t(3, 2, 5), t(3, 2, 5),
                                                                        t(3, 2, 5)), ValueError),
]


@pytest.mark.parametrize("name, mistake, kind", NOT_SHAPES, ids=[n for n, *_ in NOT_SHAPES])
def test_other_argument_errors_are_not_shape_errors(name, mistake, kind):
    err = _raised(mistake)
    assert isinstance(err, kind) and not isinstance(err, tg.ShapeError), \
        f"{name}: {type(err).__name__}: {err}"


def test_a_users_op_error_that_is_not_about_shapes_stays_a_value_error():
    class Half(tg.Function, register=False):
        def forward(ctx, x):
            raise ValueError("half: no")

        def backward(ctx, g):
            return g

    with pytest.raises(ValueError) as info:
        Half.apply(tg.tensor(np.ones(2)))
    assert not isinstance(info.value, RuntimeError)


def test_transpose_and_swapaxes_take_either_librarys_keywords():
    # (x.transpose(dim0=0, dim1=1) and x.swapaxes(axis0=0, axis1=1), PyTorch's, were refused)
    torch = pytest.importorskip("torch")
    x, tx = t(2, 3, 4), torch.randn(2, 3, 4)
    assert x.transpose(dim0=0, dim1=2).shape == tuple(tx.transpose(dim0=0, dim1=2).shape)
    assert tg.transpose(x, dim0=1, dim1=2).shape == tuple(torch.transpose(tx, dim0=1,
                                                                           dim1=2).shape)
    assert x.swapaxes(axis0=0, axis1=1).shape == tuple(tx.swapaxes(axis0=0, axis1=1).shape)
    assert tg.swapaxes(x, axis1=0, axis2=2).shape == np.swapaxes(x.numpy(), axis1=0,
                                                                 axis2=2).shape
    np.testing.assert_array_equal(x.swapaxes(axis0=0, axis1=2).numpy(),
                                  np.swapaxes(x.numpy(), 0, 2))
    with pytest.raises(TypeError, match=r"^transpose: give the two axes to swap both as "
                                        r"keywords, dim0= and dim1=, or both by position"):
        x.transpose(0, dim1=1)
    with pytest.raises(TypeError, match=r"^swapaxes: takes two axes .* got 3 axes"):
        x.swapaxes(0, 1, axis2=2)
