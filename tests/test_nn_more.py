"""Tests of the rest of PyTorch's nn that tg.nn has: containers, Module.apply and
requires_grad_, the activations as modules, Embedding, LayerNorm, the L1/Huber/NLL
losses, one_hot/normalize/cosine_similarity/logsigmoid/pad, and nn.utils' clipping.

Each is made of gradient-checked ops; here its values and gradients are checked against
its definition (gradcheck in float64) and, where torch is installed, against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((4, 3)) * 2, RNG.standard_normal((4, 3))
LABELS = np.array([0, 2, 1, 0])
P = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.1, 0.1, 0.8]])  # (with zeros)
WC = np.array([0.5, 2.0, 1.5])  # class weights
SKIPPED = np.array([0, -100, 2, 1])  # the second sample is ignored (PyTorch's default index)
RM, RV = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, 4.0])  # running statistics
IDX, EMB = np.array([[1, 3], [1, 0]]), RNG.standard_normal((5, 3))
SLOPES = np.array([0.1, -0.3, 0.5])
Y01 = (RNG.random(A.shape) > 0.5) * 1.0  # binary targets

# name: (ours on Tensors, torch's as text on tensors, the input arrays)
AGAINST_TORCH = {
    "l1_loss": (lambda x, y: F.l1_loss(x, y), "lambda x, y: F.l1_loss(x, y)", (A, B)),
    "l1_loss sum": (lambda x, y: nn.L1Loss(reduction="sum")(x, y),
                    "lambda x, y: F.l1_loss(x, y, reduction='sum')", (A, B)),
    "huber_loss": (lambda x, y: F.huber_loss(x, y, "none", 0.5),
                   "lambda x, y: F.huber_loss(x, y, reduction='none', delta=0.5)", (A, B)),
    "HuberLoss": (lambda x, y: nn.HuberLoss(delta=2.0)(x, y),
                  "lambda x, y: F.huber_loss(x, y, delta=2.0)", (A, B)),
    "smooth_l1_loss": (lambda x, y: F.smooth_l1_loss(x, y, reduction="sum", beta=0.5),
                       "lambda x, y: F.smooth_l1_loss(x, y, reduction='sum', beta=0.5)", (A, B)),
    "SmoothL1Loss beta 0": (lambda x, y: nn.SmoothL1Loss(beta=0.0)(x, y),
                            "lambda x, y: F.smooth_l1_loss(x, y, beta=0.0)", (A, B)),
    "nll_loss": (lambda x: F.nll_loss(F.log_softmax(x, dim=1), LABELS),
                 "lambda x: F.nll_loss(F.log_softmax(x, dim=1), torch.tensor(LABELS))", (A,)),
    "NLLLoss none": (lambda x: nn.NLLLoss(reduction="none")(nn.LogSoftmax(dim=1)(x), LABELS),
                     "lambda x: F.nll_loss(F.log_softmax(x, 1), torch.tensor(LABELS), "
                     "reduction='none')", (A,)),
    "kl_div batchmean": (lambda x: F.kl_div(F.log_softmax(x, dim=1), P, reduction="batchmean"),
                         "lambda x: F.kl_div(F.log_softmax(x, 1), torch.tensor(P), "
                         "reduction='batchmean')", (A,)),
    "KLDivLoss log_target": (lambda x: nn.KLDivLoss(reduction="sum", log_target=True)(
        F.log_softmax(x, dim=1), np.log(P + 0.1)),
        "lambda x: F.kl_div(F.log_softmax(x, 1), torch.tensor(np.log(P + 0.1)), "
        "reduction='sum', log_target=True)", (A,)),
    "normalize": (lambda x: F.normalize(x, dim=0), "lambda x: F.normalize(x, dim=0)", (A,)),
    "normalize of zeros": (F.normalize, "F.normalize", (np.zeros((2, 3)),)),
    "cosine_similarity": (F.cosine_similarity, "F.cosine_similarity", (A, B)),
    "cosine_similarity with zeros": (F.cosine_similarity, "F.cosine_similarity",
                                     (np.zeros((2, 3)), B[:2])),
    "logsigmoid far out": (F.logsigmoid, "F.logsigmoid", (A * 400,)),
    "pad": (lambda x: F.pad(x, (1, 2), value=0.5), "lambda x: F.pad(x, (1, 2), value=0.5)",
            (A,)),
    "GELU tanh": (nn.GELU("tanh"), "torch.nn.GELU('tanh')", (A,)),
    "SiLU": (nn.SiLU(), "torch.nn.SiLU()", (A,)),
    "ELU": (nn.ELU(0.5), "torch.nn.ELU(0.5)", (A,)),
    "Softplus": (nn.Softplus(2.0), "torch.nn.Softplus(2.0)", (A,)),
    "LayerNorm": (lambda x: nn.LayerNorm(3)(x), "lambda x: torch.nn.LayerNorm(3, "
                  "dtype=torch.float64)(x)", (A,)),
    "LayerNorm over two axes": (lambda x: nn.LayerNorm((4, 3), elementwise_affine=False)(x),
                                "lambda x: torch.nn.LayerNorm((4, 3), elementwise_affine=False,"
                                " dtype=torch.float64)(x)", (A,)),
    # the activations as modules, PyTorch's arguments
    "ReLU6": (nn.ReLU6(), "torch.nn.ReLU6()", (A * 3,)),
    "Hardtanh": (nn.Hardtanh(-0.5, 2.0), "torch.nn.Hardtanh(-0.5, 2.0)", (A,)),
    "Mish": (nn.Mish(), "torch.nn.Mish()", (A,)),
    "Hardswish": (nn.Hardswish(), "torch.nn.Hardswish()", (A * 2,)),
    "Hardsigmoid": (nn.Hardsigmoid(), "torch.nn.Hardsigmoid()", (A * 2,)),
    "LogSigmoid": (nn.LogSigmoid(), "torch.nn.LogSigmoid()", (A,)),
    "Softsign": (nn.Softsign(), "torch.nn.Softsign()", (A,)),
    "CELU": (nn.CELU(0.5), "torch.nn.CELU(0.5)", (A,)),
    "SELU": (nn.SELU(), "torch.nn.SELU()", (A,)),
    "Tanhshrink": (nn.Tanhshrink(), "torch.nn.Tanhshrink()", (A,)),
    "Softmin": (nn.Softmin(dim=0), "torch.nn.Softmin(dim=0)", (A,)),
    "GLU": (nn.GLU(dim=0), "torch.nn.GLU(dim=0)", (A,)),
    "PReLU": (nn.PReLU(), "torch.nn.PReLU(dtype=torch.float64)", (A,)),
    "prelu per channel": (F.prelu, "F.prelu", (A, SLOPES)),
    "prelu one slope": (F.prelu, "F.prelu", (A, np.array([0.25]))),
    # F's activations with PyTorch's inplace= (on a copy, in both: a leaf cannot change)
    "relu inplace": (lambda x: F.relu(x.clone(), inplace=True),
                     "lambda x: F.relu(x.clone(), True)", (A,)),
    "relu6 inplace": (lambda x: F.relu6(x * 3, True), "lambda x: F.relu6(x * 3, True)", (A,)),
    "leaky_relu inplace": (lambda x: F.leaky_relu(x.clone(), 0.2, True),
                           "lambda x: F.leaky_relu(x.clone(), 0.2, True)", (A,)),
    "elu inplace": (lambda x: F.elu(x.clone(), 0.5, True),
                    "lambda x: F.elu(x.clone(), 0.5, True)", (A,)),
    "selu inplace": (lambda x: F.selu(x.clone(), True), "lambda x: F.selu(x.clone(), True)",
                     (A,)),
    "celu inplace": (lambda x: F.celu(x.clone(), 0.5, True),
                     "lambda x: F.celu(x.clone(), 0.5, True)", (A,)),
    "hardtanh inplace": (lambda x: F.hardtanh(x.clone(), -0.5, 2.0, True),
                         "lambda x: F.hardtanh(x.clone(), -0.5, 2.0, True)", (A,)),
    "hardswish inplace": (lambda x: F.hardswish(x.clone(), True),
                          "lambda x: F.hardswish(x.clone(), True)", (A * 2,)),
    "hardsigmoid inplace": (lambda x: F.hardsigmoid(x.clone(), True),
                            "lambda x: F.hardsigmoid(x.clone(), True)", (A * 2,)),
    "silu inplace": (lambda x: F.silu(x.clone(), True), "lambda x: F.silu(x.clone(), True)",
                     (A,)),
    "mish inplace": (lambda x: F.mish(x.clone(), True), "lambda x: F.mish(x.clone(), True)",
                     (A,)),
    # nll_loss's weight and ignore_index, as cross_entropy's
    "nll_loss weight": (lambda x: F.nll_loss(F.log_softmax(x, dim=1), LABELS, weight=WC),
                        "lambda x: F.nll_loss(F.log_softmax(x, 1), torch.tensor(LABELS), "
                        "weight=torch.tensor(WC))", (A,)),
    "nll_loss ignored": (lambda x: F.nll_loss(x, SKIPPED), "lambda x: F.nll_loss(x, "
                         "torch.tensor(SKIPPED))", (A,)),
    "nll_loss weight ignored none": (
        lambda x: F.nll_loss(x, SKIPPED, reduction="none", weight=WC),
        "lambda x: F.nll_loss(x, torch.tensor(SKIPPED), weight=torch.tensor(WC), "
        "reduction='none')", (A,)),
    "NLLLoss weight ignore_index sum": (
        lambda x: nn.NLLLoss(reduction="sum", weight=WC, ignore_index=2)(x, LABELS),
        "lambda x: torch.nn.NLLLoss(weight=torch.tensor(WC), ignore_index=2, "
        "reduction='sum')(x, torch.tensor(LABELS))", (A,)),
    # the layers' formulas as functions
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (3,), w, b, 1e-3),
                   "lambda x, w, b: F.layer_norm(x, (3,), w, b, 1e-3)", (A, B[0], B[1])),
    "batch_norm training": (lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
                            "lambda x, w, b: F.batch_norm(x, None, None, w, b, True)",
                            (A, B[0], B[1])),
    "batch_norm eval": (lambda x, w: F.batch_norm(x, Tensor(RM), Tensor(RV), w, eps=0.1),
                        "lambda x, w: F.batch_norm(x, torch.tensor(RM), torch.tensor(RV), w, "
                        "eps=0.1)", (A, B[0])),
    "bce with logits pos_weight": (
        lambda x: F.binary_cross_entropy_with_logits(x * 3, Y01, pos_weight=WC),
        "lambda x: F.binary_cross_entropy_with_logits(x * 3, torch.tensor(Y01), "
        "pos_weight=torch.tensor(WC))", (A,)),
    "BCEWithLogitsLoss weight and pos_weight": (
        lambda x: nn.BCEWithLogitsLoss(reduction="sum", weight=B + 2, pos_weight=WC)(x, Y01),
        "lambda x: F.binary_cross_entropy_with_logits(x, torch.tensor(Y01), reduction='sum', "
        "weight=torch.tensor(B + 2), pos_weight=torch.tensor(WC))", (A,)),
    "BCELoss weight": (lambda x: nn.BCELoss(weight=WC)(x.sigmoid(), Y01),
                       "lambda x: F.binary_cross_entropy(x.sigmoid(), torch.tensor(Y01), "
                       "weight=torch.tensor(WC))", (A,)),
    "embedding": (lambda w: F.embedding(IDX, w), "lambda w: F.embedding(torch.tensor(IDX), w)",
                  (EMB,)),
    "embedding padding": (lambda w: F.embedding(tg.as_tensor(IDX), w, padding_idx=1),
                          "lambda w: F.embedding(torch.tensor(IDX), w, padding_idx=1)", (EMB,)),
}


@pytest.mark.parametrize("case", sorted(AGAINST_TORCH))
def test_values_and_gradients_by_definition(case):
    ours, _, arrays = AGAINST_TORCH[case]
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    # (at 0 the norm has its kink: PyTorch's convention, below; a padding row's gradient
    # is 0 by definition, not the slope of the values)
    if "zeros" not in case and "padding" not in case:
        assert tg.gradcheck(ours, leaves)
    assert np.isfinite(ours(*leaves).data).all()


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(AGAINST_TORCH))
def test_values_and_gradients_agree_with_pytorch(case):
    torch = pytest.importorskip("torch")
    ours, theirs, arrays = AGAINST_TORCH[case]
    fn = eval(theirs, {"torch": torch, "F": torch.nn.functional,  # noqa: S307  (our table)
                       "LABELS": LABELS, "P": P, "np": np, "WC": WC, "SKIPPED": SKIPPED,
                       "RM": RM, "RV": RV, "IDX": IDX, "Y01": Y01, "B": B})
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*leaves), fn(*tensors)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    out.sum().backward()
    expected.sum().backward()
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, even in float64
    rtol = 1e-7 if "ardsigmoid" in case else 1e-10
    for leaf, tensor in zip(leaves, tensors):
        np.testing.assert_allclose(leaf.grad.data, tensor.grad.numpy(), rtol=rtol, atol=1e-14)


def test_huber_is_squared_near_the_target_and_absolute_beyond_delta():
    loss = F.huber_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), reduction="none", delta=1.0)
    assert loss.tolist() == [0.5 * 0.5 ** 2, 1.0 * (3.0 - 0.5)]
    smooth = F.smooth_l1_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), reduction="none", beta=2.0)
    assert smooth.tolist() == [0.5 * 0.5 ** 2 / 2.0, 3.0 - 0.5 * 2.0]
    with pytest.raises(ValueError, match=r"huber_loss: delta must be > 0, got -1"):
        F.huber_loss(Tensor([1.0]), Tensor([0.0]), delta=-1)
    with pytest.raises(ValueError, match=r"l1_loss: input \(prediction\) has shape \(2,\) but "
                                         r"target has shape \(3,\)"):
        F.l1_loss(Tensor([1.0, 2.0]), Tensor([1.0, 2.0, 3.0]))


def test_nll_loss_of_log_softmax_is_cross_entropy():
    x = Tensor(A, requires_grad=True)
    nll = F.nll_loss(F.log_softmax(x, dim=1), LABELS)
    nll.backward()
    via_nll = x.grad.data.copy()
    x.grad = None
    ce = F.cross_entropy(x, LABELS)
    ce.backward()
    np.testing.assert_allclose(nll.item(), ce.item(), rtol=1e-14)
    np.testing.assert_allclose(via_nll, x.grad.data, rtol=1e-12)
    with pytest.raises(ValueError, match=r"nll_loss: class indices must lie in \[0, 2\] for 3 "
                                         r"classes, got \[3\]"):
        F.nll_loss(x, [0, 1, 2, 3])


def test_one_hot_rows_as_pytorchs():
    rows = F.one_hot(tg.as_tensor(LABELS))
    assert rows.dtype == np.int64 and not rows.requires_grad
    np.testing.assert_array_equal(rows.data, np.eye(3, dtype=np.int64)[LABELS])
    assert F.one_hot(tg.as_tensor(LABELS), 5).shape == (4, 5)
    with pytest.raises(ValueError, match=r"one_hot: class indices must lie in \[0, 1\]"):
        F.one_hot(tg.as_tensor(LABELS), 2)
    with pytest.raises(TypeError, match="one_hot: class indices must be integers"):
        F.one_hot(Tensor([0.0, 1.0]))


def test_module_list_and_dict_hold_their_modules_parameters():
    blocks = nn.ModuleList([nn.Linear(2, 2, seed=i) for i in range(3)])
    heads = nn.ModuleDict({"digit": nn.Linear(2, 10, seed=5)})
    heads["parity"] = nn.Linear(2, 1, seed=6)

    class Net(nn.Module):
        def __init__(self):
            self.blocks, self.heads = blocks, heads

    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names[:2] == ["blocks.0.weight", "blocks.0.bias"] and len(names) == 10
    assert names[-2:] == ["heads.parity.weight", "heads.parity.bias"]
    assert blocks[1] is vars(blocks)["1"] and len(blocks[1:]) == 2
    assert isinstance(blocks[1:], nn.ModuleList)
    assert list(heads) == ["digit", "parity"] and "digit" in heads
    assert heads.parity is heads["parity"]
    copy = Net()
    copy.blocks = nn.ModuleList([nn.Linear(2, 2, seed=9) for _ in range(3)])
    copy.heads = nn.ModuleDict({"digit": nn.Linear(2, 10), "parity": nn.Linear(2, 1)})
    copy.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(copy.blocks[2].weight.data, blocks[2].weight.data)
    assert isinstance(nn.Sequential(nn.ReLU(), nn.Tanh())[1:], nn.Sequential)
    with pytest.raises(TypeError, match="ModuleList: layer 3 must be a Module instance, got "
                                        "the class ReLU"):
        blocks.append(nn.ReLU)
    with pytest.raises(KeyError, match="ModuleDict: key 'training' must be"):
        heads["training"] = nn.ReLU()
    with pytest.raises(KeyError, match=r"ModuleDict: no module named 'x'; it has \['digit', "
                                       r"'parity'\]"):
        heads["x"]


def test_apply_visits_children_first_and_requires_grad_freezes_a_model():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]  # PyTorch's order
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert all((m.weight.data == 0).all() for m in model.modules() if isinstance(m, nn.Linear))
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model[0].requires_grad_()
    out = model(Tensor([[1.0, 2.0]])).sum()
    out.backward()
    assert model[0].weight.grad is not None and model[1][1].weight.grad is None


def test_activation_modules_and_identity_are_their_functions():
    x = Tensor(A)
    for module, function in ((nn.GELU(), F.gelu), (nn.SiLU(), F.silu), (nn.ELU(), F.elu),
                             (nn.Softplus(), F.softplus)):
        np.testing.assert_array_equal(module(x).data, function(x).data)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.ELU(0.5)) == "ELU(alpha=0.5)" and repr(nn.GELU()) == "GELU(approximate='none')"


def test_embedding_looks_up_rows_and_learns_only_them():
    emb = nn.Embedding(5, 3, padding_idx=0, seed=0)
    assert (emb.weight.data[0] == 0).all() and emb.weight.shape == (5, 3)
    index = tg.as_tensor([[1, 3], [1, 0]])
    out = emb(index)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data, emb.weight.data[index.data])
    out.sum().backward()
    counts = np.bincount(index.data.reshape(-1), minlength=5).astype(float)
    counts[0] = 0  # the padding row learns nothing
    np.testing.assert_array_equal(emb.weight.grad.data, np.repeat(counts[:, None], 3, axis=1))
    tg.optim.SGD(emb.parameters(), lr=1.0, momentum=0.9).step()
    assert (emb.weight.data[0] == 0).all()
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 4\], got 0 to 5"):
        emb(tg.as_tensor([0, 5]))
    with pytest.raises(TypeError, match="the input must be integer indices"):
        emb(Tensor([0.0]))


def test_layer_norm_gives_each_sample_mean_0_and_variance_1():
    norm = nn.LayerNorm(3)
    out = norm(Tensor(A))
    np.testing.assert_allclose(out.data.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.data.var(axis=1), 1 / (1 + 1e-5 / A.var(axis=1)), rtol=1e-12)
    assert [name for name, _ in norm.named_parameters()] == ["weight", "bias"]
    with pytest.raises(ValueError, match=r"the input's last axes \(2,\) \(shape \(3, 2\)\) "
                                         r"must be \(3,\)"):
        norm(Tensor(np.zeros((3, 2))))


def test_clip_grad_norm_scales_every_gradient_by_one_factor():
    model = nn.Sequential(nn.Linear(3, 4, seed=1), nn.Tanh(), nn.Linear(4, 2, seed=2))
    (model(Tensor(A)) ** 2).sum().backward()
    before = [p.grad.data.copy() for p in model.parameters()]
    norm = np.sqrt(sum((g ** 2).sum() for g in before))
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.1)
    np.testing.assert_allclose(total.item(), norm, rtol=1e-12)
    after = [p.grad.data for p in model.parameters()]
    np.testing.assert_allclose(np.sqrt(sum((g ** 2).sum() for g in after)), 0.1, rtol=1e-5)
    for g0, g1 in zip(before, after):
        np.testing.assert_allclose(g1, g0 * (0.1 / (norm + 1e-6)), rtol=1e-12)
    assert nn.utils.clip_grad_norm_(model.parameters(), 10.0).item() < 10  # nothing to clip
    np.testing.assert_allclose(model[0].weight.grad.data, after[0])
    nn.utils.clip_grad_value_(model.parameters(), 1e-3)
    assert max(np.abs(p.grad.data).max() for p in model.parameters()) <= 1e-3


@pytest.mark.torch
def test_clip_grad_norm_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    model = nn.Linear(3, 2, seed=3)
    theirs = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(model.weight.data))
        theirs.bias.copy_(torch.tensor(model.bias.data))
    (model(Tensor(A)) ** 3).sum().backward()
    (theirs(torch.tensor(A)) ** 3).sum().backward()
    for norm_type in (2.0, float("inf"), "inf"):  # (PyTorch reads the string too)
        ours = nn.utils.clip_grad_norm_(model.parameters(), 0.5, norm_type=norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.5, norm_type=norm_type)
        np.testing.assert_allclose(ours.item(), expected.item(), rtol=1e-12)
        np.testing.assert_allclose(model.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-12)


def _batches(shape, count, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * 2 + 1 for _ in range(count)]


def test_batch_norm_trains_on_batch_statistics_and_evaluates_on_running_ones():
    norm = nn.BatchNorm1d(3)
    batches = _batches((8, 3), 3)
    mean, var = np.zeros(3), np.ones(3)
    for a in batches:
        out = norm(Tensor(a))
        np.testing.assert_allclose(out.data, (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5),
                                   rtol=1e-12)
        mean, var = 0.9 * mean + 0.1 * a.mean(0), 0.9 * var + 0.1 * a.var(0, ddof=1)
    np.testing.assert_allclose(norm.running_mean.data, mean, rtol=1e-12)
    np.testing.assert_allclose(norm.running_var.data, var, rtol=1e-12)
    assert norm.num_batches_tracked.item() == 3
    norm.eval()
    np.testing.assert_allclose(norm(Tensor(batches[0])).data,
                               (batches[0] - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    assert [name for name, _ in norm.named_parameters()] == ["weight", "bias"]
    assert sorted(norm.state_dict()) == ["bias", "num_batches_tracked", "running_mean",
                                         "running_var", "weight"]
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, C\) or \(batch, C, "
                                         r"length\) with C = 3, got \(8, 4\)"):
        norm(Tensor(np.zeros((8, 4))))
    with pytest.raises(ValueError, match="training needs more than one value per feature"):
        norm.train()(Tensor(np.zeros((1, 3))))


def test_batch_norm_gradients_by_definition():
    def normed(x):
        return nn.BatchNorm1d(3, affine=False)(x) * Tensor([[1.0, -2.0, 0.5]])
    assert tg.gradcheck(normed, [Tensor(_batches((5, 3), 1)[0], requires_grad=True)])


def test_buffers_are_saved_loaded_and_converted_but_not_learned(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3, seed=0), nn.BatchNorm1d(3))
    for a in _batches((8, 3), 2):
        model(Tensor(a)).sum().backward()
    assert [name for name, _ in model.named_buffers()] == [
        "1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert all(not isinstance(p, nn.Buffer) for p in model.parameters())
    tg.save(model, tmp_path / "model.npz")
    fresh = nn.Sequential(nn.Linear(3, 3, seed=1), nn.BatchNorm1d(3))
    fresh.load_state_dict(tg.load(tmp_path / "model.npz"))
    np.testing.assert_array_equal(fresh[1].running_var.data, model[1].running_var.data)
    assert fresh[1].num_batches_tracked.item() == 2
    model.eval(), fresh.eval()
    a = _batches((4, 3), 1, seed=5)[0]
    np.testing.assert_array_equal(fresh(Tensor(a)).data, model(Tensor(a)).data)
    model.to(np.float32)
    assert model[1].running_mean.dtype == np.float32
    assert model[1].num_batches_tracked.dtype == np.int64  # a count stays an integer
    assert repr(model[1].running_mean).startswith("Buffer(")


@pytest.mark.torch
@pytest.mark.parametrize("shape, settings", [((8, 3), {}), ((4, 3, 5), {}),
                                             ((8, 3), {"momentum": None}),
                                             ((8, 3), {"affine": False}), ((2, 3, 4, 4), {})])
def test_batch_norm_agrees_with_pytorch(shape, settings):
    torch = pytest.importorskip("torch")
    kind = "BatchNorm2d" if len(shape) == 4 else "BatchNorm1d"
    ours = getattr(nn, kind)(3, **settings)
    theirs = getattr(torch.nn, kind)(3, **settings).double()
    rng = np.random.default_rng(1)
    for a in _batches(shape, 3):
        x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        out, expected = ours(x), theirs(t)
        weights = rng.standard_normal(out.shape)
        (out * Tensor(weights)).sum().backward()
        (expected * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-12)
    ours.eval(), theirs.eval()
    a = _batches(shape, 1, seed=9)[0]
    np.testing.assert_allclose(ours(Tensor(a)).data, theirs(torch.tensor(a)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_kl_div_is_0_for_the_same_distribution_and_ignores_zero_targets():
    log_p = F.log_softmax(Tensor(A), dim=1)
    same = F.kl_div(log_p, log_p.exp().detach(), reduction="batchmean")
    assert abs(same.item()) < 1e-15
    x = Tensor(A, requires_grad=True)
    loss = F.kl_div(F.log_softmax(x, dim=1), P, reduction="sum")
    expected = sum(p * (np.log(p) - q) for p, q in zip(
        P.ravel(), (A - np.log(np.exp(A).sum(1, keepdims=True))).ravel()) if p > 0)
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)
    loss.backward()
    assert np.isfinite(x.grad.data).all()
    with pytest.raises(ValueError, match="kl_div: reduction must be 'batchmean', 'mean', 'sum' "
                                         "or 'none', got 'avg'"):
        F.kl_div(x, P, reduction="avg")


def test_conv2d_and_max_pool2d_layers_train_a_small_image_model():
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3 * 4 * 4, 2, seed=1))
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "4.weight", "4.bias"]
    assert np.abs(model[0].weight.data).max() <= 1 / 3  # U(-1/sqrt(1 * 3 * 3), ...)
    rng = np.random.default_rng(0)
    images, labels = Tensor(rng.random((6, 1, 8, 8))), rng.integers(0, 2, 6)
    opt = tg.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(images), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert repr(model[0]) == "Conv2d(1, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"


def test_conv2d_and_max_pool2d_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"conv2d: expected a batch of images of shape \(batch, "
                                         r"channels, height, width\) or one image \(channels, "
                                         r"height, width\), got shape \(5, 5\)"):
        nn.Conv2d(1, 2, 3)(Tensor(np.zeros((5, 5))))
    with pytest.raises(ValueError, match=r"conv2d: weight of shape \(2, 1, 3, 3\) must be "
                                         r"\(out_channels, in_channels, kh, kw\) with "
                                         r"in_channels = the input's 3"):
        nn.Conv2d(1, 2, 3)(Tensor(np.zeros((1, 3, 5, 5))))
    with pytest.raises(ValueError, match=r"max_pool2d: a kernel of \(4, 4\) does not fit an "
                                         r"image of \(3, 3\)"):
        tg.max_pool2d(Tensor(np.zeros((1, 1, 3, 3))), 4)


def test_max_pool2d_ties_give_the_gradient_to_pytorchs_index():
    x = Tensor(np.array([[[[1.0, 1.0], [0.0, 1.0]]]]), requires_grad=True)
    tg.max_pool2d(x, 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[[[1.0, 0.0], [0.0, 0.0]]]])  # the first tie


@pytest.mark.torch
def test_conv2d_layer_is_pytorchs():
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=1, seed=4)
    theirs = torch.nn.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=1).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    images = np.random.default_rng(2).standard_normal((2, 2, 5, 6))
    x, t = Tensor(images, requires_grad=True), torch.tensor(images, requires_grad=True)
    out = nn.AvgPool2d(2)(nn.MaxPool2d(2, 1)(ours(x)))
    expected = torch.nn.AvgPool2d(2)(torch.nn.MaxPool2d(2, 1)(theirs(t)))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-10)


def test_batch_norm_2d_normalises_each_channel_over_batch_and_pixels():
    images = np.random.default_rng(3).standard_normal((4, 2, 3, 3)) * 3 + 2
    out = nn.BatchNorm2d(2)(Tensor(images)).data
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    var = images.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), var / (var + 1e-5), rtol=1e-12)
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, C, height, width\) "
                                         r"with C = 2, got \(4, 2\)"):
        nn.BatchNorm2d(2)(Tensor(np.zeros((4, 2))))


# ------------------------------------------------------------------ state_dict as PyTorch's


class _Tied(nn.Module):
    """An embedding whose output layer shares its weight (tied weights)."""

    def __init__(self, seed=0):
        self.emb = nn.Embedding(5, 3, seed=seed)
        self.out = nn.Linear(3, 5, bias=False, seed=seed)
        self.out.weight = self.emb.weight


def _torch_tied(torch):
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(5, 3).double()
            self.out = torch.nn.Linear(3, 5, bias=False).double()
            self.out.weight = self.emb.weight
    return Tied()


def test_a_tied_weight_is_listed_under_every_name_and_round_trips():
    model = _Tied(seed=0)
    state = model.state_dict()
    assert list(state) == ["emb.weight", "out.weight"]
    np.testing.assert_array_equal(state["out.weight"], model.emb.weight.data)
    assert len(model.parameters()) == 1  # the optimizer still sees it once
    other = _Tied(seed=1)
    assert other.load_state_dict(state) == ([], [])  # strict
    np.testing.assert_array_equal(other.out.weight.data, model.emb.weight.data)
    assert other.out.weight is other.emb.weight  # still tied
    # a state naming the tied tensor once (as files saved before did) loads it too
    assert _Tied(seed=2).load_state_dict({"emb.weight": state["emb.weight"]}) == ([], [])


@pytest.mark.torch
def test_a_tied_weight_round_trips_with_pytorch_both_ways():
    torch = pytest.importorskip("torch")
    theirs, ours = _torch_tied(torch), _Tied(seed=3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours.out.weight.data, theirs.out.weight.detach().numpy())
    back = _torch_tied(torch)
    back.load_state_dict({k: torch.tensor(v) for k, v in _Tied(seed=4).state_dict().items()})
    np.testing.assert_array_equal(back.emb.weight.detach().numpy(), _Tied(seed=4).emb.weight.data)


def _bn_model():
    return nn.Sequential(nn.Linear(3, 4, seed=0), nn.BatchNorm1d(4), nn.Linear(4, 2, seed=1))


def test_state_dict_lists_module_by_module_parameters_then_buffers():
    assert list(_bn_model().state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "2.weight", "2.bias"]

    class Mixed(nn.Module):  # a buffer assigned before the parameters is still listed after
        def __init__(self):
            self.count = nn.Buffer(np.zeros(1))
            self.w = nn.Parameter(np.ones(2))
            self.inner = nn.Linear(2, 2)
            self.b = nn.Parameter(np.ones(1))

    assert list(Mixed().state_dict()) == ["w", "b", "count", "inner.weight", "inner.bias"]


@pytest.mark.torch
def test_state_dict_order_is_pytorchs():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.Linear(4, 2))
    assert list(_bn_model().state_dict()) == list(theirs.state_dict())


# ------------------------------------------------------------------ PyTorch's arguments


@pytest.mark.parametrize("make, plain", [
    (lambda: nn.ReLU(inplace=True), nn.ReLU()),
    (lambda: nn.LeakyReLU(0.2, inplace=True), nn.LeakyReLU(0.2)),
    (lambda: nn.ELU(0.5, inplace=True), nn.ELU(0.5)),
    (lambda: nn.SiLU(inplace=True), nn.SiLU()),
    (lambda: nn.Dropout(0.5, inplace=True, seed=3), nn.Dropout(0.5, seed=3)),
])
def test_inplace_gives_the_values_and_gradients_of_out_of_place(make, plain):
    layer = make()
    x, y = Tensor(A, requires_grad=True), Tensor(A, requires_grad=True)
    h = x * 1
    out, expected = layer(h), plain(y * 1)
    np.testing.assert_array_equal(out.data, expected.data)
    assert out is h  # the input itself changed, as PyTorch's
    out.sum().backward()
    expected.sum().backward()
    # (ELU in place takes its slope from its output, out + alpha, as PyTorch's: to rounding)
    np.testing.assert_allclose(x.grad.data, y.grad.data, rtol=1e-12, atol=0)
    assert "inplace=True" in repr(layer)
    with pytest.raises(RuntimeError, match=r"\(inplace=True\): writing into a leaf"):
        layer(Tensor(A, requires_grad=True))  # a leaf that requires a gradient: refused


@pytest.mark.torch
def test_inplace_layers_print_as_pytorchs():
    torch = pytest.importorskip("torch")
    assert repr(nn.ReLU(inplace=True)) == repr(torch.nn.ReLU(inplace=True))
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == repr(torch.nn.LeakyReLU(0.2, inplace=True))
    assert repr(nn.Dropout(0.3)) == repr(torch.nn.Dropout(0.3))
    assert repr(nn.ReLU()) == repr(torch.nn.ReLU())


def test_dropout_names_a_seed_given_where_inplace_goes():
    with pytest.raises(TypeError, match=r"Dropout: inplace must be True or False, got 42.*"
                                        r"pass seed= by keyword"):
        nn.Dropout(0.5, 42)


def test_conv2d_padding_same_keeps_the_size_and_valid_pads_nothing():
    images = np.random.default_rng(5).standard_normal((2, 2, 5, 6))
    for kernel in [3, (2, 3), 4]:
        out = nn.Conv2d(2, 3, kernel, padding="same", seed=0)(Tensor(images))
        assert out.shape == (2, 3, 5, 6)
    valid = nn.Conv2d(2, 3, 3, padding="valid", seed=0)
    np.testing.assert_array_equal(valid(Tensor(images)).data,
                                  nn.Conv2d(2, 3, 3, padding=0, seed=0)(Tensor(images)).data)
    assert "padding=same" in repr(nn.Conv2d(2, 3, 3, padding="same"))
    with pytest.raises(ValueError, match=r"Conv2d: padding='same' needs stride 1 \(as in "
                                         r"PyTorch\), got stride=\(2, 2\)"):
        nn.Conv2d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"Conv2d: padding 'full' is not one of PyTorch's "
                                         r"strings; use 'valid', 'same'"):
        nn.Conv2d(2, 3, 3, padding="full")


def test_conv2d_padding_same_with_an_even_kernel_passes_gradcheck():
    layer = nn.Conv2d(1, 2, (2, 4), padding="same", seed=1)
    x = Tensor(np.random.default_rng(6).standard_normal((1, 1, 3, 5)), requires_grad=True)
    assert tg.gradcheck(lambda t: layer(t), [x])


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("kernel, padding", [(3, "same"), ((2, 3), "same"), (4, "same"),
                                             ((2, 3), "valid")])
def test_conv2d_string_padding_is_pytorchs(kernel, padding):
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(2, 3, kernel, padding=padding, seed=4)
    theirs = torch.nn.Conv2d(2, 3, kernel, padding=padding).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    images = np.random.default_rng(2).standard_normal((2, 2, 5, 6))
    x, t = Tensor(images, requires_grad=True), torch.tensor(images, requires_grad=True)
    out, expected = ours(x), theirs(t)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-10)


# ------------------------------------------------------------------ cross_entropy's options

W = np.array([0.5, 2.0, 1.5])
IGNORED = np.array([0, -100, 2, 1])  # the second sample is ignored (PyTorch's default)
# name: (our keyword arguments, torch's as text, target): each against torch and gradcheck
CROSS_ENTROPY = {
    "weight mean": ("weight=W", "weight=torch.tensor(W)", LABELS),
    "weight sum": ("weight=W, reduction='sum'", "weight=torch.tensor(W), reduction='sum'",
                   LABELS),
    "weight none": ("weight=W, reduction='none'", "weight=torch.tensor(W), reduction='none'",
                    LABELS),
    "ignore_index default": ("", "", IGNORED),
    "ignore_index none": ("reduction='none'", "reduction='none'", IGNORED),
    "ignore_index a class": ("ignore_index=0", "ignore_index=0", LABELS),
    "weight and ignored": ("weight=W", "weight=torch.tensor(W)", IGNORED),
    "label_smoothing": ("label_smoothing=0.2", "label_smoothing=0.2", LABELS),
    "smoothing sum": ("label_smoothing=0.2, reduction='sum'",
                      "label_smoothing=0.2, reduction='sum'", LABELS),
    "smoothing weight ignored": ("label_smoothing=0.3, weight=W",
                                 "label_smoothing=0.3, weight=torch.tensor(W)", IGNORED),
    "smoothing weight none": ("label_smoothing=0.3, weight=W, reduction='none'",
                              "label_smoothing=0.3, weight=torch.tensor(W), reduction='none'",
                              IGNORED),
    "probabilities weight smoothing": ("label_smoothing=0.1, weight=W",
                                       "label_smoothing=0.1, weight=torch.tensor(W)", P),
    "one sample weight": ("weight=W", "weight=torch.tensor(W)", np.array(2)),
}


def _ours(case):
    options, _, target = CROSS_ENTROPY[case]
    call = eval(f"lambda x, t: F.cross_entropy(x, t, {options})",  # noqa: S307  (our table)
                {"F": F, "W": W})
    return (lambda x: call(x, target)), (A[0] if target.ndim == 0 else A)


@pytest.mark.parametrize("case", sorted(CROSS_ENTROPY))
def test_cross_entropy_options_pass_gradcheck(case):
    fn, logits = _ours(case)
    assert tg.gradcheck(fn, [Tensor(logits, requires_grad=True)])


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(CROSS_ENTROPY))
def test_cross_entropy_options_are_pytorchs(case):
    torch = pytest.importorskip("torch")
    fn, logits = _ours(case)
    _, theirs, target = CROSS_ENTROPY[case]
    call = eval(f"lambda x, t: F.cross_entropy(x, t, {theirs})",  # noqa: S307  (our table)
                {"F": torch.nn.functional, "torch": torch, "W": W})
    x, t = Tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    out, expected = fn(x), call(t, torch.tensor(target))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-15)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_loss_module_takes_the_options_and_a_learned_weight_gets_a_gradient():
    loss = nn.CrossEntropyLoss(weight=W, ignore_index=0, label_smoothing=0.1)
    x = Tensor(A, requires_grad=True)
    expected = F.cross_entropy(x, LABELS, weight=W, ignore_index=0, label_smoothing=0.1)
    assert loss(x, LABELS).item() == expected.item()
    assert list(nn.Sequential(loss).state_dict()) == ["0.weight"]  # a buffer, as PyTorch's
    w = Tensor(W, requires_grad=True)
    assert tg.gradcheck(lambda v: F.cross_entropy(Tensor(A), IGNORED, weight=v), [w])
    with np.errstate(invalid="ignore"):
        all_ignored = F.cross_entropy(Tensor(A), np.full(4, -100))
    assert np.isnan(all_ignored.item())  # 0 / 0, as PyTorch's


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.CrossEntropyLoss("sum"), TypeError,
     r"CrossEntropyLoss: weight must be a tensor or None, got the string 'sum'; pass the "
     r"reduction by keyword, reduction='sum'"),
    (lambda: F.cross_entropy(Tensor(A), LABELS, "none"), TypeError,
     r"cross_entropy: weight must be .* got the string 'none'; pass the reduction by keyword"),
    (lambda: F.cross_entropy(Tensor(A), LABELS, weight=W[:2]), ValueError,
     r"cross_entropy: weight must hold one number per class, shape \(3,\) for input of "
     r"shape \(4, 3\); got shape \(2,\)"),
    (lambda: F.cross_entropy(Tensor(A), LABELS, label_smoothing=1.5), ValueError,
     r"cross_entropy: label_smoothing must be a number in \[0.0, 1.0\], got 1.5"),
    (lambda: F.cross_entropy(Tensor(A), P, ignore_index=1), ValueError,
     r"cross_entropy: ignore_index=1 needs class indices"),
    (lambda: F.cross_entropy(Tensor(A), [0, -100, 5, 1]), ValueError,
     r"class indices must lie in \[0, 2\] for 3 classes, got \[5\]"),
    # (batch, classes, d1, ...): the target per position (class indices, or probabilities)
    (lambda: F.cross_entropy(tg.zeros(2, 3, 4), np.zeros((2, 5), int)), ValueError,
     r"^cross_entropy: input of shape \(2, 3, 4\) \(batch, classes, d1, ...\) needs a "
     r"target of class indices of shape \(2, 4\), or of class probabilities of its shape, "
     r"got shape \(2, 5\)$"),
    (lambda: F.nll_loss(tg.zeros(2, 3, 4), np.zeros((2, 3, 4))), ValueError,
     r"^nll_loss: input of shape \(2, 3, 4\) .* class indices of shape \(2, 4\), got shape"),
    (lambda: F.cross_entropy(tg.tensor(1.0), 0), ValueError,
     r"^cross_entropy: input must have a classes axis, \(batch, classes\), \(classes,\) or "
     r"\(batch, classes, d1, ...\); got a 0-d tensor$"),
])
def test_cross_entropy_option_errors_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ more activations and F's


def test_new_activations_by_definition_at_their_corners():
    x = Tensor([-4.0, -3.0, 0.0, 1.5, 3.0, 4.0], requires_grad=True)
    out = F.hardsigmoid(x)
    out.sum().backward()
    assert out.tolist() == [0.0, 0.0, 0.5, 0.75, 1.0, 1.0]
    assert x.grad.tolist() == [0.0, 0.0, 1 / 6, 1 / 6, 0.0, 0.0]  # none at and beyond +-3
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    np.testing.assert_allclose(F.selu(Tensor([1.0, -1.0])).data,
                               [scale, scale * alpha * (np.exp(-1) - 1)], rtol=1e-15)
    np.testing.assert_allclose(nn.GLU()(Tensor(A[:, :2])).data,
                               A[:, :1] / (1 + np.exp(-A[:, 1:2])), rtol=1e-15)
    np.testing.assert_allclose(nn.Softmin(1)(Tensor(A)).data, F.softmax(Tensor(-A), 1).data)
    np.testing.assert_allclose(nn.Tanhshrink()(Tensor(A)).data, A - np.tanh(A), rtol=1e-15)
    # prelu at 0: the gradient of weight * x (PyTorch's), for x and for the slope
    x, w = Tensor([0.0, 2.0, -1.0], requires_grad=True), Tensor([0.3], requires_grad=True)
    F.prelu(x, w).sum().backward()
    assert x.grad.tolist() == [0.3, 1.0, 0.3] and w.grad.tolist() == [-1.0]
    assert nn.ELU(0.5).alpha == 0.5 and nn.Hardtanh(-2, 2).max_val == 2  # as PyTorch's


@pytest.mark.parametrize("function, args", [
    (F.relu, ()), (F.relu6, ()), (F.leaky_relu, (0.2,)), (F.elu, (0.5,)), (F.selu, ()),
    (F.celu, (0.5,)), (F.hardtanh, (-0.5, 2.0)), (F.hardswish, ()), (F.hardsigmoid, ()),
    (F.silu, ()), (F.mish, ())])
def test_f_inplace_writes_into_the_input_with_the_same_values_and_gradients(function, args):
    x, y = Tensor(A, requires_grad=True), Tensor(A, requires_grad=True)
    h = x * 1
    out, expected = function(h, *args, True), function(y, *args)
    assert out is h  # the input itself, changed, as PyTorch's
    np.testing.assert_array_equal(out.data, expected.data)
    out.sum().backward()
    expected.sum().backward()
    # (elu, selu and celu in place take their slope from their output, as PyTorch's: to
    # rounding)
    np.testing.assert_allclose(x.grad.data, y.grad.data, rtol=1e-12, atol=0)
    constant = Tensor(A)  # (no gradient: its values are written, as PyTorch writes them)
    assert function(constant, *args, True) is constant
    np.testing.assert_array_equal(constant.data, expected.data)
    name = function.__name__
    with pytest.raises(TypeError, match=rf"{name}: inplace must be True or False, got 'yes'"):
        function(x, *args, "yes")


@pytest.mark.torch
def test_new_activation_layers_print_as_pytorchs():
    torch = pytest.importorskip("torch")
    for text in ["ReLU6()", "ReLU6(inplace=True)", "Hardtanh()", "Hardtanh(-2, 2, True)",
                 "Mish(True)", "Hardswish(True)", "Hardsigmoid()", "LogSigmoid()", "Softsign()",
                 "CELU(0.5, True)", "SELU(inplace=True)", "Tanhshrink()", "Softmin(1)",
                 "Softmin()", "GLU()", "PReLU()", "PReLU(3, 0.1)"]:
        ours = eval(f"nn.{text}", {"nn": nn})  # noqa: S307  (our list)
        assert repr(ours) == repr(eval(f"torch.nn.{text}", {"torch": torch})), text  # noqa: S307


@pytest.mark.torch
def test_prelu_layer_learns_its_slopes_as_pytorchs():
    torch = pytest.importorskip("torch")
    images = np.random.default_rng(7).standard_normal((2, 3, 2, 2))
    ours, theirs = nn.PReLU(3, 0.1), torch.nn.PReLU(3, 0.1, dtype=torch.float64)
    (ours(Tensor(images)) ** 2).sum().backward()
    (theirs(torch.tensor(images)) ** 2).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-12)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.glu(Tensor(A)), ValueError, r"glu: the input's axis -1 is halved, so its size "
                                           r"must be even; got 3"),
    (lambda: F.prelu(Tensor(A), Tensor([0.1, 0.2])), ValueError,
     r"prelu: weight of shape \(2,\) needs one slope, or one per channel"),
    (lambda: nn.Hardtanh(1.0, -1.0), ValueError, r"Hardtanh: min_val 1.0 is above max_val"),
    (lambda: F.nll_loss(Tensor(A), LABELS, "sum"), TypeError,
     r"nll_loss: weight must be .* got the string 'sum'; pass the reduction by keyword"),
    (lambda: nn.NLLLoss("none"), TypeError, r"NLLLoss: weight must be .* string 'none'"),
    (lambda: F.nll_loss(Tensor(A), LABELS, weight=WC[:2]), ValueError,
     r"nll_loss: weight must hold one number per class"),
    (lambda: F.nll_loss(Tensor(A), [0, -100, 5, 1]), ValueError,
     r"nll_loss: class indices must lie in \[0, 2\] for 3 classes, got \[5\]"),
    (lambda: F.layer_norm(Tensor(A), 3, Tensor(np.ones(4))), ValueError,
     r"layer_norm: weight of shape \(4,\) must have normalized_shape \(3,\)"),
    (lambda: F.batch_norm(Tensor(A), None, None), ValueError,
     r"batch_norm: training=False normalises with running_mean and running_var"),
    (lambda: F.batch_norm(Tensor(A), RM, RV, training=True), TypeError,
     r"batch_norm: running_mean must be a Tensor \(it is updated in place\)"),
    (lambda: F.batch_norm(Tensor(A), Tensor(RM[:2]), Tensor(RV)), ValueError,
     r"batch_norm: running_mean of shape \(2,\) does not fit input of shape \(4, 3\)"),
    (lambda: F.embedding(IDX, Tensor(EMB), padding_idx=5), ValueError,
     r"embedding: padding_idx must be an int in \[-5, 4\]"),
    (lambda: F.embedding(IDX + 4, Tensor(EMB)), IndexError,
     r"embedding: indices must lie in \[0, 4\], got 4 to 7"),
])
def test_new_function_errors_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nll_loss_weight_and_ignore_index_are_cross_entropys():
    x = Tensor(A)
    for options in ({"weight": WC}, {"ignore_index": -100}, {"weight": WC, "reduction": "sum"}):
        np.testing.assert_allclose(F.nll_loss(F.log_softmax(x, dim=1), SKIPPED, **options).data,
                                   F.cross_entropy(x, SKIPPED, **options).data, rtol=1e-14)
    # by definition: sum of -w[y] * input[y] over kept samples, over the sum of their w[y]
    kept = SKIPPED != -100
    expected = -(WC[SKIPPED[kept]] * A[kept, SKIPPED[kept]]).sum() / WC[SKIPPED[kept]].sum()
    np.testing.assert_allclose(F.nll_loss(x, SKIPPED, weight=WC).item(), expected, rtol=1e-14)
    assert list(nn.Sequential(nn.NLLLoss(weight=WC)).state_dict()) == ["0.weight"]
    assert not isinstance(nn.CrossEntropyLoss(), nn.NLLLoss)  # (as in PyTorch)


def test_layer_functions_are_the_layers_formulas():
    norm = nn.LayerNorm(3)
    norm.weight.data[:], norm.bias.data[:] = B[0], B[1]
    np.testing.assert_array_equal(norm(Tensor(A)).data,
                                  F.layer_norm(Tensor(A), (3,), norm.weight, norm.bias).data)
    centred = A - A.mean(1, keepdims=True)
    np.testing.assert_allclose(F.layer_norm(A, 3).data,
                               centred / np.sqrt((centred ** 2).mean(1, keepdims=True) + 1e-5),
                               rtol=1e-12)
    mean, var = Tensor(np.zeros(3)), Tensor(np.ones(3))
    out = F.batch_norm(Tensor(A), mean, var, training=True, momentum=0.5)
    np.testing.assert_allclose(out.data, (A - A.mean(0)) / np.sqrt(A.var(0) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(mean.data, 0.5 * A.mean(0), rtol=1e-12)  # moved in place
    np.testing.assert_allclose(var.data, 0.5 + 0.5 * A.var(0, ddof=1), rtol=1e-12)
    w = Tensor(EMB, requires_grad=True)
    F.embedding(IDX, w, padding_idx=-4).sum().backward()  # -4: row 1
    counts = np.bincount(IDX.reshape(-1), minlength=5).astype(float)
    counts[1] = 0  # the padding row gets no gradient, though it is looked up
    np.testing.assert_array_equal(w.grad.data, np.repeat(counts[:, None], 3, axis=1))
    np.testing.assert_array_equal(F.embedding(IDX, w, 1).data, EMB[IDX])


# ------------------------------------------------------------------ PyTorch's registration


class _Registered(nn.Module):
    def __init__(self):
        self.register_buffer("mask", tg.as_tensor(np.tril(np.ones((2, 2), np.int64))))
        self.register_buffer("cache", Tensor(np.zeros(2)), persistent=False)
        self.register_parameter("scale", nn.Parameter(np.ones(2)))
        self.register_parameter("shift", None)
        self.add_module("proj", nn.Linear(2, 2, seed=0))
        self.register_module("act", nn.Tanh())

    def forward(self, x):
        self.cache = x.detach()  # a plain Tensor assigned to a buffer stays a buffer
        return self.act(self.proj(x * self.scale))


def test_registered_members_are_attributes_and_persistent_false_is_not_saved():
    model = _Registered()
    assert isinstance(model.mask, nn.Buffer) and model.mask.dtype == np.int64
    assert [n for n, _ in model.named_parameters()] == ["scale", "proj.weight", "proj.bias"]
    assert [n for n, _ in model.named_buffers()] == ["mask", "cache"]
    assert [n for n, _ in model.named_children()] == ["proj", "act"]
    assert list(model.state_dict()) == ["scale", "mask", "proj.weight", "proj.bias"]
    model(Tensor([[1.0, 2.0]]))
    assert isinstance(model.cache, nn.Buffer) and model.cache.tolist() == [[1.0, 2.0]]
    fresh = _Registered()
    assert fresh.load_state_dict(model.state_dict()) == ([], [])  # strict: cache not asked
    assert model.float() is model and model.scale.dtype == np.float32
    assert model.cache.dtype == np.float32 and model.mask.dtype == np.int64
    assert model.double().proj.weight.dtype == np.float64
    assert model.half().proj.weight.dtype == np.float16 and model.mask.dtype == np.int64
    model.double()
    model.register_buffer("late", None)
    model.late = Tensor([3.0])
    assert [n for n, _ in model.named_buffers()][-1] == "late"


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m.register_buffer("a.b", Tensor([1.0])), KeyError,
     r"register_buffer: the name must be a non-empty string without '\.', got 'a\.b'"),
    (lambda m: m.register_buffer("proj", Tensor([1.0])), KeyError,
     r"register_buffer: attribute 'proj' already exists in _Registered"),
    (lambda m: m.register_buffer("x", 3), TypeError,
     r"register_buffer: cannot assign a int to buffer 'x' \(a Tensor, a NumPy array or None"),
    (lambda m: m.register_parameter("x", Tensor([1.0])), TypeError,
     r"register_parameter: cannot assign a Tensor to parameter 'x' \(nn.Parameter or None "
     r"required\); wrap it"),
    (lambda m: m.add_module("forward", nn.ReLU()), KeyError,
     r"add_module: attribute 'forward' already exists"),
    (lambda m: m.add_module("x", nn.ReLU), TypeError, r"add_module: type is not a Module"),
    (lambda m: m.register_forward_hook(3), TypeError,
     r"register_forward_hook: hook must be callable, got int"),
])
def test_registration_errors_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call(_Registered())


def test_a_plain_tensor_in_a_parameters_place_is_refused_and_the_parameter_kept():
    layer = nn.Linear(2, 1, seed=0)
    weight = layer.weight
    with pytest.raises(TypeError, match=r"^Linear\.weight: cannot assign a Tensor to a "
                       r"parameter \(nn\.Parameter or None expected\); to update it, write "
                       r"in place: `with tg\.no_grad\(\): layer\.weight -= lr \* "):
        layer.weight = layer.weight - 0.1  # the learner's update that would stop learning
    with pytest.raises(TypeError, match=r"cannot assign a ndarray to a parameter"):
        layer.bias = np.zeros(1)
    assert layer.weight is weight and [n for n, _ in layer.named_parameters()] == [
        "weight", "bias"]
    layer.weight = nn.Parameter(np.ones((1, 2)))  # a Parameter or None is taken, as PyTorch's
    assert layer.weight.tolist() == [[1.0, 1.0]]
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


@pytest.mark.torch
def test_registered_state_dict_is_pytorchs():
    torch = pytest.importorskip("torch")

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mask", torch.ones(2, 2))
            self.register_buffer("cache", torch.zeros(2), persistent=False)
            self.register_parameter("scale", torch.nn.Parameter(torch.ones(2)))
            self.register_parameter("shift", None)
            self.add_module("proj", torch.nn.Linear(2, 2))
            self.register_module("act", torch.nn.Tanh())

    theirs, ours = Theirs(), _Registered()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


def test_forward_hooks_see_and_replace_inputs_and_outputs_until_removed():
    layer, seen = nn.Linear(2, 2, seed=0), []
    x = Tensor([[1.0, 2.0]])
    plain = layer(x).data
    pre = layer.register_forward_pre_hook(lambda m, args: args[0] * 2)  # one value: the input
    post = layer.register_forward_hook(lambda m, args, out: seen.append((m, args, out)))
    doubled = layer(x)
    np.testing.assert_array_equal(doubled.data, layer.forward(x * 2).data)
    assert seen[0][0] is layer and seen[0][2] is doubled and seen[0][1][0].tolist() == [[2, 4]]
    pre.remove()
    with layer.register_forward_hook(lambda m, args, out: out * 0):
        assert (layer(x).data == 0).all()
    np.testing.assert_array_equal(layer(x).data, plain)  # the `with` removed it
    order = []
    layer.register_forward_hook(lambda m, a, o: order.append("first"))
    layer.register_forward_hook(lambda m, a, o: order.append("prepended"), prepend=True)
    layer.register_forward_pre_hook(
        lambda m, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True)
    np.testing.assert_array_equal(layer(x).data, layer.forward(x + 1).data)
    assert order[:2] == ["prepended", "first"]
    post.remove()


@pytest.mark.torch
def test_forward_hooks_are_called_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs, calls = nn.Tanh(), torch.nn.Tanh(), []
    for layer in (ours, theirs):
        layer.register_forward_pre_hook(lambda m, args: (args[0] * 3,))
        layer.register_forward_hook(lambda m, args, out: calls.append(len(args)) or out + 1)
        layer.register_forward_hook(lambda m, args, kw, out: out * 2, with_kwargs=True)
    np.testing.assert_allclose(ours(Tensor(A)).data, theirs(torch.tensor(A)).numpy(), rtol=1e-15)
    assert calls == [1, 1]


# ------------------------------------------------------------------ containers as PyTorch's


def test_sequential_of_an_ordered_dict_is_named_by_its_keys():
    from collections import OrderedDict
    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3, seed=0)), ("act", nn.ReLU()),
                                       ("out", nn.Linear(3, 1, seed=1))]))
    assert list(model.state_dict()) == ["fc.weight", "fc.bias", "out.weight", "out.bias"]
    assert model.fc is model[0] and "(act): ReLU()" in repr(model)
    assert list(model[1:].state_dict()) == ["out.weight", "out.bias"]  # a slice keeps names
    with pytest.raises(TypeError, match=r"Sequential: layer 'act' must be a Module instance"):
        nn.Sequential(OrderedDict([("act", nn.ReLU)]))
    with pytest.raises(TypeError, match=r"Sequential: the OrderedDict's keys .* got 0"):
        nn.Sequential(OrderedDict([(0, nn.ReLU())]))


def test_module_list_insert_setitem_delitem_pop_renumber_as_pytorch():
    a, b, c, d = nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Identity()
    blocks = nn.ModuleList([a, b])
    blocks.insert(1, c)
    assert list(blocks) == [a, c, b] and [n for n, _ in blocks.named_children()] == [
        "0", "1", "2"]
    blocks[-1] = d
    assert list(blocks) == [a, c, d] and blocks[2] is d
    del blocks[0]
    assert list(blocks) == [c, d] and vars(blocks)["0"] is c
    assert blocks.pop() is d and list(blocks) == [c]
    blocks.extend([a, b])
    assert [n for n, _ in blocks.named_children()] == ["0", "1", "2"]
    with pytest.raises(IndexError, match="ModuleList: index 3 is out of range for 3 layers"):
        blocks[3] = a
    with pytest.raises(TypeError, match="ModuleList: layer 0 must be a Module instance"):
        blocks.insert(0, "relu")


@pytest.mark.torch
def test_container_names_are_pytorchs():
    torch = pytest.importorskip("torch")
    from collections import OrderedDict
    built = []
    for lib in (nn, torch.nn):
        seq = lib.Sequential(OrderedDict([("fc", lib.Linear(2, 3)), ("act", lib.ReLU()),
                                          ("out", lib.Linear(3, 1))]))
        blocks = lib.ModuleList([lib.Linear(2, 2), lib.Linear(2, 2)])
        blocks.insert(0, lib.Linear(2, 1))
        blocks[1] = lib.Linear(2, 4)
        del blocks[2]
        built.append((list(seq[1:].state_dict()), list(seq.state_dict()),
                      list(blocks.state_dict()), [tuple(m.weight.shape) for m in blocks]))
    assert built[0] == built[1]


# ------------------------------------------------------------------ PyTorch's corner cases (2)

INF = np.inf


def _both(torch, fn_ours, fn_theirs, *arrays):
    """ours and PyTorch's on the same float64 arrays: values, then each input's gradient
    (the sum's); PyTorch's as NumPy arrays."""
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = fn_ours(*leaves), fn_theirs(*tensors)
    out.sum().backward()
    expected.sum().backward()
    return ((out.data, expected.detach().numpy()),
            [(leaf.grad.data, t.grad.numpy()) for leaf, t in zip(leaves, tensors)])


@pytest.mark.torch
def test_kl_div_of_a_negative_target_is_nan_as_pytorchs_and_quiet():
    torch = pytest.importorskip("torch")
    import warnings
    x, t = np.log([0.2, 0.3, 0.1, 0.4]), np.array([-0.5, 0.0, 0.3, 0.7])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (PyTorch's NaN comes without a warning)
        values, grads = _both(torch, lambda a, b: F.kl_div(a, b, reduction="none"),
                              lambda a, b: torch.nn.functional.kl_div(a, b, reduction="none"),
                              x, t)
    np.testing.assert_allclose(*values, rtol=1e-14)  # NaN where negative (equal_nan)
    assert np.isnan(values[0][0]) and np.isfinite(values[0][1:]).all()
    np.testing.assert_allclose(*grads[0], rtol=1e-14)  # the input's
    # the target's where it is > 0 (at 0 PyTorch's is NaN, 0/0; here -input, as before)
    np.testing.assert_allclose(grads[1][0][2:], grads[1][1][2:], rtol=1e-12)
    assert np.isnan(nn.KLDivLoss(reduction="sum")(Tensor(x), Tensor(t)).item())


def test_a_plain_value_in_an_absent_parameter_or_a_sub_modules_place_is_refused():
    layer = nn.Linear(3, 2, bias=False)
    with pytest.raises(TypeError, match=r"^Linear\.bias: cannot assign a Tensor to parameter "
                       r"'bias', None now \(nn\.Parameter or None expected\); to learn it, "
                       r"wrap it: `layer\.bias = nn\.Parameter\(tensor\)`$"):
        layer.bias = tg.zeros(2, requires_grad=True)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    layer.bias = nn.Parameter(np.zeros(2))  # wrapped: learned
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.bias = None  # emptied: still a parameter's name
    with pytest.raises(TypeError, match=r"^Linear\.bias: cannot assign a Tensor to parameter"):
        layer.bias = tg.zeros(2)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_parameter("scale", None)

    net = Net()
    with pytest.raises(TypeError, match=r"^Net\.scale: cannot assign a Tensor to parameter "
                       r"'scale', None now"):
        net.scale = tg.ones(2)
    with pytest.raises(TypeError, match=r"^Net\.fc: cannot assign a int to a child module "
                       r"\(nn\.Module or None expected\); assign a Module, or `del model\.fc` "
                       r"first to keep a int under that name$"):
        net.fc = 3
    assert isinstance(net.fc, nn.Linear)
    net.fc = None
    with pytest.raises(TypeError, match=r"^Net\.fc: cannot assign a Tensor to a child module"):
        net.fc = tg.ones(2)
    net.fc = nn.Tanh()
    assert [n for n, _ in net.named_children()] == ["fc"]
    del net.fc, net.scale  # deleted: the names are free again, as PyTorch's
    net.fc, net.scale = 3, tg.ones(2)
    assert net.parameters() == [] and net.children() == []


@pytest.mark.torch
def test_the_assignments_refused_are_pytorchs():
    torch = pytest.importorskip("torch")

    def outcome(lib, make, change):
        module = make(lib)
        try:
            change(module, torch.zeros(2) if lib is torch.nn else tg.zeros(2))
        except TypeError:
            return "TypeError"
        return [n for n, _ in module.named_parameters()]

    def bias_none(lib):
        return lib.Linear(3, 2, bias=False)

    def with_child(lib):
        seq = lib.Sequential()
        seq.add_module("fc", lib.Linear(2, 2))
        seq.register_parameter("scale", None)
        return seq

    cases = [(bias_none, lambda m, t: setattr(m, "bias", t)),
             (lambda lib: lib.LayerNorm(2, elementwise_affine=False),
              lambda m, t: setattr(m, "weight", t)),
             (lambda lib: lib.BatchNorm1d(2, affine=False), lambda m, t: setattr(m, "bias", t)),
             (with_child, lambda m, t: setattr(m, "scale", t)),
             (with_child, lambda m, t: setattr(m, "fc", 3)),
             (with_child, lambda m, t: (setattr(m, "fc", None), setattr(m, "fc", t))),
             (with_child, lambda m, t: (delattr(m, "fc"), setattr(m, "fc", 3))),
             (with_child, lambda m, t: setattr(m, "other", t))]
    for make, change in cases:
        assert outcome(nn, make, change) == outcome(torch.nn, make, change)


@pytest.mark.torch
def test_prelu_keeps_a_0d_input_0d_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.PReLU(), torch.nn.PReLU().double()
    x = Tensor(-2.0, requires_grad=True)
    xt = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    y, yt = ours(x), theirs(xt)
    assert y.shape == tuple(yt.shape) == () and y.item() == yt.item()
    y.backward()
    yt.backward()
    assert x.grad.item() == xt.grad.item()
    assert ours.weight.grad.shape == (1,)
    assert ours.weight.grad.tolist() == theirs.weight.grad.tolist()


@pytest.mark.torch
def test_load_state_dict_refusals_are_caught_as_pytorchs_runtime_error():
    torch = pytest.importorskip("torch")
    states = [{"weight": np.zeros((2, 3))},  # bias missing
              {"weight": np.zeros((2, 3)), "bias": np.zeros(2), "extra": np.zeros(1)},
              {"weight": np.zeros((3, 3)), "bias": np.zeros(2)}]  # a wrong shape
    for state in states:
        for module, values in ((nn.Linear(3, 2), state),
                               (torch.nn.Linear(3, 2).double(),
                                {k: torch.tensor(v) for k, v in state.items()})):
            with pytest.raises(RuntimeError):  # ported `except RuntimeError:` catches it
                module.load_state_dict(values)
        with pytest.raises(ValueError, match=r"^load_state_dict: 1 entry of the state differ"):
            nn.Linear(3, 2).load_state_dict(state)  # and as before, a ValueError


@pytest.mark.torch
def test_a_loss_weight_given_as_a_tensor_is_a_buffer_as_pytorchs():
    torch = pytest.importorskip("torch")
    w, pos = np.array([0.5, 2.0, 1.5]), np.array([3.0, 1.0, 2.0])
    for make in (lambda lib, T: lib.CrossEntropyLoss(weight=T(w)),
                 lambda lib, T: lib.NLLLoss(weight=T(w)),
                 lambda lib, T: lib.BCELoss(weight=T(w)),
                 lambda lib, T: lib.BCEWithLogitsLoss(weight=T(w), pos_weight=T(pos))):
        ours, theirs = make(nn, tg.tensor), make(torch.nn, torch.tensor)
        state, expected = ours.state_dict(), theirs.state_dict()
        assert list(state) == list(expected)
        for name in state:
            np.testing.assert_array_equal(state[name], expected[name].numpy())
    weight = tg.tensor(w)
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    before = loss_fn(Tensor(A), LABELS).item()
    weight[0] = 100.0  # a copy was kept (as register_buffer's): the caller's change is not seen
    assert loss_fn(Tensor(A), LABELS).item() == before
    fresh = nn.CrossEntropyLoss(weight=tg.ones(3))
    fresh.load_state_dict(loss_fn.state_dict())
    assert fresh(Tensor(A), LABELS).item() == before
    later = nn.CrossEntropyLoss()  # a weight assigned later is the buffer, as PyTorch's
    later.weight = tg.tensor(w)
    assert list(later.state_dict()) == ["weight"]


@pytest.mark.torch
def test_bce_with_logits_at_infinite_logits_and_finite_ones_as_pytorchs():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.array([INF, INF, 0.0, 0.0, 3.0, -2.0, 40.0, -40.0, 1000.0, -1000.0])
    y = np.array([0.0, 0.5, 0.25, 1.0, 0.3, 1.0, 0.0, 1.0, 0.5, 0.5])
    for pos_weight in (None, np.full(10, 2.5)):
        kw = {} if pos_weight is None else {"pos_weight": pos_weight}
        kwt = {} if pos_weight is None else {"pos_weight": torch.tensor(pos_weight)}
        values, grads = _both(
            torch, lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none", **kw),
            lambda a, b: tf.binary_cross_entropy_with_logits(a, b, reduction="none", **kwt), x, y)
        assert values[0][:2].tolist() == [INF, INF]  # (was inf - inf, NaN)
        np.testing.assert_allclose(*values, rtol=1e-14)
        for ours, theirs in grads:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300)
    # -inf for a positive: -log(sigmoid(-inf)) is inf (PyTorch's is NaN there: 0 * -inf)
    minus = F.binary_cross_entropy_with_logits(Tensor([-INF, -INF]), Tensor([1.0, 0.5]),
                                               reduction="none")
    assert minus.tolist() == [INF, INF]


@pytest.mark.torch
@pytest.mark.parametrize("name", ["huber_loss", "smooth_l1_loss"])
def test_huber_and_smooth_l1_gradients_at_infinite_inputs_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    x, y = np.array([INF, -INF, 2.0, 0.3, -0.2]), np.zeros(5)
    values, grads = _both(torch, getattr(F, name), getattr(torch.nn.functional, name), x, y)
    np.testing.assert_allclose(*values, rtol=1e-14)
    np.testing.assert_allclose(*grads[0], rtol=1e-14)  # +-delta/5 at +-inf, not NaN
    assert np.isfinite(grads[0][0]).all()


@pytest.mark.torch
def test_layer_and_batch_norm_of_huge_float32_values_are_float64s_rounded():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    data = np.array([[1.0, 2.0, 3.0, 4.0], [-2.0, 5.0, 0.5, 7.0], [3.0, -1.0, 2.5, 0.0],
                     [0.5, 1.5, -3.0, 2.0]]) * 1e20  # squares > 3.4e38, float32's largest
    g = np.arange(16.0).reshape(4, 4) ** 1.5
    for ours, theirs in ((lambda x: F.layer_norm(x, 4), lambda x: tf.layer_norm(x, (4,))),
                         (lambda x: F.batch_norm(x, None, None, training=True),
                          lambda x: tf.batch_norm(x, None, None, training=True))):
        x = Tensor(data.astype(np.float32), requires_grad=True)
        xt = torch.tensor(data.astype(np.float32).astype(np.float64), requires_grad=True)
        out, expected = ours(x), theirs(xt)
        (out * Tensor(g.astype(np.float32))).sum().backward()
        (expected * torch.tensor(g)).sum().backward()
        assert out.dtype == np.float32 and x.grad.dtype == np.float32
        np.testing.assert_allclose(out.data, expected.detach().numpy().astype(np.float32),
                                   rtol=1e-6)
        expected_grad = xt.grad.numpy().astype(np.float32)  # (some cancel to ~0: atol)
        np.testing.assert_allclose(x.grad.data, expected_grad, rtol=1e-5,
                                   atol=1e-6 * abs(expected_grad).max())


def test_binary_cross_entropy_refuses_nan_probabilities():
    with pytest.raises(ValueError, match=r"^binary_cross_entropy: input \(probabilities\) must "
                       r"lie in \[0, 1\], got 1 NaN\(s\); find the step that made them with "
                       r"tg\.detect_anomaly\(\)$"):
        F.binary_cross_entropy(Tensor([np.nan, 0.5]), Tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"^BCELoss|^binary_cross_entropy: target must lie in "
                       r"\[0, 1\], got 1 NaN"):
        nn.BCELoss()(Tensor([0.2, 0.5]), Tensor([np.nan, 1.0]))


def test_the_corner_cases_above_without_pytorch():
    # what the PyTorch comparisons above check, by definition, for a machine without torch
    x, t = np.log([0.2, 0.3, 0.1, 0.4]), np.array([-0.5, 0.0, 0.3, 0.7])
    kl = F.kl_div(Tensor(x), Tensor(t), reduction="none").data
    assert np.isnan(kl[0]) and kl[1] == 0.0 and kl[2] == 0.3 * (np.log(0.3) - np.log(0.1))
    prelu = nn.PReLU()
    assert prelu(Tensor(-2.0)).shape == () and prelu(Tensor(-2.0)).item() == -0.5
    with pytest.raises(RuntimeError, match=r"^load_state_dict: 1 entry of the state differ"):
        nn.Linear(3, 2).load_state_dict({"weight": np.zeros((2, 3))})
    state = nn.BCEWithLogitsLoss(pos_weight=tg.tensor([2.0, 3.0])).state_dict()
    assert list(state) == ["pos_weight"] and state["pos_weight"].tolist() == [2.0, 3.0]
    logits = F.binary_cross_entropy_with_logits(Tensor([INF, -INF, 0.0]), Tensor([0.0, 1.0, 1.0]),
                                                reduction="none")
    assert logits.tolist()[:2] == [INF, INF] and logits.tolist()[2] == np.log(2)
    for name in ("huber_loss", "smooth_l1_loss"):
        d = Tensor([INF, -INF, 0.5], requires_grad=True)
        getattr(F, name)(d, Tensor(np.zeros(3))).backward()
        assert d.grad.tolist() == [1 / 3, -1 / 3, 0.5 / 3]  # delta = beta = 1, a mean of 3
    huge = np.array([[1.0, 2.0, 3.0, 4.0]]) * 1e20  # float32 squares overflow
    single = F.layer_norm(Tensor(huge.astype(np.float32)), 4)
    double = F.layer_norm(Tensor(huge.astype(np.float32).astype(np.float64)), 4)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single.data, double.data.astype(np.float32), rtol=1e-6)


def test_batch_norm_in_training_centres_its_input_once():
    """x - mean serves the variance and the output: one `sub` node in the drawn graph."""
    x = Tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
    source = tg.draw_graph(F.batch_norm(x, None, None, training=True).sum()).source
    assert source.count("<B>sub</B>") == 1
