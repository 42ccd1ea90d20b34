"""Every nn layer and nn function passes a gradient check: none escapes one.

`LAYERS` holds, per Module class of `tg.nn.__all__`, how to build it and its input arrays;
`FUNCTIONS` the same per function of `tg.nn.functional.__all__`. Each entry is written once
for both libraries (`make(nn)` or `make(F)`) and names its PyTorch twin, or None where
PyTorch has none. `test_every_layer_and_function_has_an_entry` fails when a layer or a
function is added without an entry (or is exempt, below, with the reason), and when an
entry names one that no longer exists, as `test_ops.py`'s
`test_every_registered_op_has_a_spec` does for the registered ops.

Per entry: `tg.gradcheck` in float64 with respect to every float input and every
parameter of a layer, and, where PyTorch is installed, the outputs and the gradients of
the inputs and of every parameter equal to PyTorch's (its weights loaded from ours by
their shared state_dict names). Inputs are generic values, away from the kinks; a layer's
parameters are checked through `through_parameters`, the layer as a function of them.
Dropouts are in the tables without training (a mask drawn per call would break the finite
differences); in training, with a fixed seed, below. `EDGES` compares functions with
PyTorch at their kinks and where exp overflows.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

# torch warns once per process that an even kernel with padding='same' may copy the input:
# whether a case here meets it first depends on what ran before
# and the deprecated functions and layers warn as PyTorch's, in both libraries
pytestmark = [pytest.mark.filterwarnings(f"ignore:{message}") for message in (
    "Using padding='same' with even kernel:UserWarning",
    "`nn.functional.upsample.* is deprecated:UserWarning",
    "`nn.Container` is deprecated:FutureWarning", "`NLLLoss2d` has been deprecated:FutureWarning")]

RNG = np.random.default_rng(14)
X, Y = RNG.uniform(-2, 2, (3, 4)), RNG.uniform(-2, 2, (3, 4))  # (batch, features)
H = RNG.uniform(-1, 1, (3, 2))  # an RNNCell's state, hidden_size 2
SEQ = RNG.uniform(-2, 2, (2, 3, 5))  # (batch, channels, length)
CH4 = RNG.uniform(-2, 2, (2, 4, 3))  # four channels, for GroupNorm's two groups
IMG = RNG.uniform(-2, 2, (2, 2, 4, 5))  # (batch, channels, height, width)
STEPS, H0 = RNG.uniform(-1, 1, (2, 3, 4)), RNG.uniform(-1, 1, (2, 3, 2))  # (time, batch, in)
P01, T01 = RNG.uniform(0.1, 0.9, (3, 4)), RNG.uniform(0.1, 0.9, (3, 4))  # BCE's in (0, 1)
LABELS, IDX = np.array([0, 3, 1]), np.array([[1, 4], [0, 1]])  # class indices, rows
PROBS = np.exp(Y) / np.exp(Y).sum(axis=1, keepdims=True)  # each row sums to 1
W, B = RNG.uniform(-1, 1, (2, 4)), RNG.uniform(-1, 1, 2)  # linear's (out, in) and (out,)
W4, B4 = RNG.uniform(0.5, 1.5, 4), RNG.uniform(-1, 1, 4)  # per-feature scales and shifts
W_CONV1, W_CONV2 = RNG.uniform(-1, 1, (2, 3, 3)), RNG.uniform(-1, 1, (3, 2, 3, 3))
EMB = RNG.uniform(-1, 1, (5, 3))
RESAMPLE_C8 = np.random.default_rng(16).uniform(-2, 2, (2, 8, 4, 6))  # pixel (un)shuffle
TRANSPOSED_RNG = np.random.default_rng(16)  # for the transposed convolutions and fold
W_TCONV1 = TRANSPOSED_RNG.uniform(-1, 1, (3, 2, 3))  # conv_transpose1d's (in, out, k)
W_TCONV2 = TRANSPOSED_RNG.uniform(-1, 1, (2, 2, 3, 2))  # (in, out / 2 groups, kh, kw)
PATCHES_T = TRANSPOSED_RNG.uniform(-2, 2, (2, 8, 30))  # fold's (batch, C * 2 * 2, blocks)
ATTENTION_RNG = np.random.default_rng(17)  # for the attention layers and function
ATT_Q, ATT_KV = ATTENTION_RNG.uniform(-1, 1, (3, 2, 4)), ATTENTION_RNG.uniform(-1, 1, (5, 2, 4))
ATT_V5, ATT_MASK = ATTENTION_RNG.uniform(-1, 1, (2, 5, 5)), ATTENTION_RNG.uniform(-1, 1, (3, 5))
LOSS_SIGNS = np.array([[1, -1, -1, 1], [-1, 1, 1, 1], [1, 1, -1, -1]])  # 1 / -1 targets
LOSS_MULTILABEL = np.array([[3, 0, -1, 1], [1, -1, 2, 2], [0, 1, 2, 3]])  # classes, then -1
LOSS_COUNTS = np.array([[0.5, 1.5, 2.5, 3.5], [4.5, 0.5, 2.0, 7.5], [2.5, 5.5, 1.5, 0.5]])
# (batch, classes, length) inputs' per-position targets: class indices, class probabilities
SEQ_LABELS = np.array([[0, 2, 1, 1, 0], [2, 2, 0, 1, 1]])
SEQ_PROBS = np.exp(SEQ) / np.exp(SEQ).sum(axis=1, keepdims=True)
SEQ_WEIGHT = np.array([0.5, 2.0, 1.0])
CTC_LOGITS = np.random.default_rng(21).uniform(-2, 2, (6, 3, 5))  # (time, batch, classes)
CTC_TARGETS = np.array([[1, 2, 2], [3, 3, 0], [4, 1, 0]])  # padded, blank 0
CTC_INPUT_LENGTHS, CTC_TARGET_LENGTHS = np.array([6, 5, 4]), np.array([3, 2, 2])
DECODER_RNG = np.random.default_rng(18)  # the transformer decoder's (tgt, memory), 3 features
DEC_TGT, DEC_MEMORY = DECODER_RNG.uniform(-1, 1, (2, 2, 3)), DECODER_RNG.uniform(-1, 1, (3, 2, 3))
CONVPOOL_RNG = np.random.default_rng(18)  # for the convolution and pooling options
CONVPOOL_IMG = CONVPOOL_RNG.uniform(-2, 2, (2, 4, 5, 6))  # four channels: groups of two
CONVPOOL_SEQ = CONVPOOL_RNG.uniform(-2, 2, (2, 4, 7))
CONVPOOL_W2 = CONVPOOL_RNG.uniform(-1, 1, (6, 2, 2, 3))  # conv2d's (out, in / 2 groups, k..)
CONVPOOL_W1 = CONVPOOL_RNG.uniform(-1, 1, (6, 2, 3))  # conv1d's, groups=2
# a max pool's values and indices (kernel 2), the unpoolings' inputs
CONVPOOL_V2, CONVPOOL_I2 = (np.array(t.data) for t in F.max_pool2d_with_indices(
    Tensor(CONVPOOL_IMG), 2))
CONVPOOL_V1, CONVPOOL_I1 = (np.array(t.data) for t in F.max_pool1d_with_indices(
    Tensor(CONVPOOL_SEQ), 2))
PADDING_RNG = np.random.default_rng(19)  # for the padding layers and F.pad's copying modes
PADDING_VOL = PADDING_RNG.uniform(-2, 2, (2, 2, 3, 4, 3))  # (batch, channels, depth, h, w)
MORE2_RNG = np.random.default_rng(23)  # for layers_more.py's layers and their functions
MORE2_VOL = MORE2_RNG.uniform(-2, 2, (2, 3, 2, 3, 2))  # (batch, channels, depth, h, w)
MORE2_X2 = MORE2_RNG.uniform(-2, 2, (3, 3))  # bilinear's second input, beside X
MORE2_W_BILINEAR = MORE2_RNG.uniform(-1, 1, (2, 4, 3))  # (out, in1, in2)
# bags of EMB's rows: entries cut at offsets (bags 0-1, none, 2-4, 5-6), and a bag per row
MORE2_BAG, MORE2_OFFSETS = np.array([1, 2, 4, 4, 3, 0, 2]), np.array([0, 2, 2, 5])
MORE2_BAG_WEIGHTS, MORE2_BAGS = MORE2_RNG.uniform(0.5, 1.5, 7), np.array([[1, 4, 3], [0, 1, 2]])
VOLUME_RNG = np.random.default_rng(31)  # for the 3-d convolutions and pools
VOLUME = VOLUME_RNG.uniform(-2, 2, (2, 4, 3, 4, 3))  # (batch, channels, depth, height, width)
VOLUME_W = VOLUME_RNG.uniform(-1, 1, (6, 2, 2, 3, 2))  # conv3d's (out, in / 2 groups, k...)
VOLUME_WT = VOLUME_RNG.uniform(-1, 1, (4, 1, 2, 2, 3))  # conv_transpose3d's, groups=2
# a 3-d max pool's values and indices (kernel 2), the unpoolings' inputs
VOLUME_V, VOLUME_I = (np.array(t.data) for t in F.max_pool3d_with_indices(
    Tensor(VOLUME_RNG.uniform(-2, 2, (2, 2, 4, 2, 4))), 2))
GRID_RNG = np.random.default_rng(43)  # for affine_grid and grid_sample
GRID_IMG, GRID_VOL = GRID_RNG.uniform(-2, 2, (2, 2, 4, 5)), GRID_RNG.uniform(-2, 2, (1, 2, 2, 3, 3))
GRID_XY = GRID_RNG.uniform(-1.3, 1.3, (2, 3, 2, 2))  # positions, some outside [-1, 1]
GRID_XYZ = GRID_RNG.uniform(-1.3, 1.3, (1, 2, 2, 1, 3))
GRID_THETA = np.eye(2, 3) + GRID_RNG.uniform(-0.3, 0.3, (2, 2, 3))  # affine maps
GRID_THETA3 = np.eye(3, 4) + GRID_RNG.uniform(-0.3, 0.3, (2, 3, 4))
FRACPOOL_RNG = np.random.default_rng(47)  # fractional pools, adaptive softmax, attention's F
FRACPOOL_IMG, FRACPOOL_VOL = FRACPOOL_RNG.uniform(-2, 2, (2, 3, 7, 8)), \
    FRACPOOL_RNG.uniform(-2, 2, (2, 2, 5, 6, 5))
# the pools' _random_samples (batch, C, 2 or 3), given so that both libraries pool alike
FRACPOOL_S2, FRACPOOL_S3 = (FRACPOOL_RNG.uniform(0, 1, (2, c, n)) for c, n in ((3, 2), (2, 3)))
FRACPOOL_CLASSES = np.array([0, 3, 7])  # adaptive softmax targets: shortlist, cluster 1, 2
FRACPOOL_LOGP = FRACPOOL_RNG.uniform(-3, 0, (2, 3, 2, 3))  # NLLLoss2d's (batch, C, h, w)
FRACPOOL_PIXELS = np.array([[[0, 2, 1], [1, 1, 0]], [[2, 0, 0], [1, 2, 2]]])  # its targets
# multi_head_attention_forward's (3E, E) and (3E,) packed projection, (E, E), (E,) output,
# bias_k and bias_v (1, 1, E); its separate projections for keys of 3 and values of 5
FRACPOOL_W_IN, FRACPOOL_B_IN = FRACPOOL_RNG.uniform(-1, 1, (12, 4)), FRACPOOL_RNG.uniform(-1, 1, 12)
FRACPOOL_W_OUT, FRACPOOL_B_OUT = FRACPOOL_RNG.uniform(-1, 1, (4, 4)), FRACPOOL_RNG.uniform(-1, 1, 4)
FRACPOOL_BIAS_K, FRACPOOL_BIAS_V = FRACPOOL_RNG.uniform(-1, 1, (2, 1, 1, 4))
FRACPOOL_WK, FRACPOOL_WV = FRACPOOL_RNG.uniform(-1, 1, (4, 3)), FRACPOOL_RNG.uniform(-1, 1, (4, 5))
FRACPOOL_K3, FRACPOOL_V5 = (FRACPOOL_RNG.uniform(-1, 1, (5, 2, n)) for n in (3, 5))
FRACPOOL_PADDING = np.array([[False, True, False, False, True], [False] * 4 + [True]])


LAZY_RNG = np.random.default_rng(37)  # for the lazy layers (their size read from the input)
LAZY_VOL = LAZY_RNG.uniform(-2, 2, (2, 3, 2, 3, 2))  # (batch, channels, depth, height, width)
KERNEL_RNG = np.random.default_rng(53)  # for conv_tbc and grouped_mm
TBC_W, TBC_B = KERNEL_RNG.uniform(-1, 1, (2, 4, 3)), KERNEL_RNG.uniform(-1, 1, 3)  # (k, in, out)
GROUPED_A, GROUPED_B = KERNEL_RNG.uniform(-2, 2, (5, 3)), KERNEL_RNG.uniform(-1, 1, (2, 3, 2))


def lazy_first_call(layer: Any, array: np.ndarray) -> Any:
    """A lazy layer (ours or PyTorch's) in float64 after its first call on `array`, which
    infers its size and makes it its plain class (nn.LazyLinear becomes an nn.Linear)."""
    tensor = Tensor(array) if isinstance(layer, nn.Module) else \
        pytest.importorskip("torch").tensor(array)
    layer.double()(tensor)
    return layer


class Case(NamedTuple):
    """One entry: `make(nn)` (or `make(F)`) gives the callable under test, the same code in
    both libraries; `inputs` its arrays (the float ones are differentiated); `torch` the
    name of PyTorch's twin, or None; `torch_constant` the positions of inputs PyTorch has
    no gradient for (it raises), passed to it without requires_grad; `rtol` for PyTorch's
    gradients where its own are less precise than 1e-10."""
    make: Callable[[Any], Callable]
    inputs: tuple
    torch: str | None
    torch_constant: tuple = ()
    rtol: float = 1e-10


# Module classes of tg.nn.__all__ without a formula of their own to differentiate
EXEMPT_LAYERS = {
    "Module": "the abstract base: its forward raises until a subclass defines one",
    "ModuleList": "a container without forward: its modules are checked each on its own",
    "ModuleDict": "a container without forward: its modules are checked each on its own",
    "ParameterList": "holds Parameters, has no forward: nothing computed to differentiate",
    "ParameterDict": "holds Parameters, has no forward: nothing computed to differentiate",
}
# functions of tg.nn.functional.__all__ without a derivative to check
EXEMPT_FUNCTIONS = {
    "one_hot": "integer class indices in, an integer tensor out: nothing is differentiable",
    **{name: f"in place: writes F.{name[:-1]}'s values (gradient-checked) into a tensor outside "
             f"any graph; one in a graph is refused"
       for name in ("relu_", "elu_", "selu_", "celu_", "leaky_relu_", "hardtanh_", "threshold_",
                    "rrelu_")},
}

# key: the class's name, or the name and a variant after a space ("BatchNorm1d eval")
LAYERS = {
    "Linear": Case(lambda nn: nn.Linear(4, 2), (X,), "Linear"),
    "LazyLinear": Case(lambda nn: lazy_first_call(nn.LazyLinear(2), X), (X,), "Linear"),
    "LazyConv1d": Case(lambda nn: lazy_first_call(nn.LazyConv1d(2, 3, padding=1), SEQ), (SEQ,),
                       "Conv1d"),
    "LazyConv2d": Case(lambda nn: lazy_first_call(nn.LazyConv2d(4, 3, 2, 1, groups=2), IMG),
                       (IMG,), "Conv2d"),
    "LazyConv3d": Case(lambda nn: lazy_first_call(nn.LazyConv3d(2, 2), LAZY_VOL), (LAZY_VOL,),
                       "Conv3d"),
    "LazyConvTranspose1d": Case(lambda nn: lazy_first_call(nn.LazyConvTranspose1d(2, 3, 2),
                                                           SEQ), (SEQ,), "ConvTranspose1d"),
    "LazyConvTranspose2d": Case(lambda nn: lazy_first_call(nn.LazyConvTranspose2d(
        4, 2, groups=2), IMG), (IMG,), "ConvTranspose2d"),
    "LazyConvTranspose3d": Case(lambda nn: lazy_first_call(nn.LazyConvTranspose3d(2, 2),
                                                           LAZY_VOL), (LAZY_VOL,),
                                "ConvTranspose3d"),
    "LazyBatchNorm1d": Case(lambda nn: lazy_first_call(nn.LazyBatchNorm1d(), X), (X,),
                            "BatchNorm1d"),
    "LazyBatchNorm2d": Case(lambda nn: lazy_first_call(nn.LazyBatchNorm2d(), IMG), (IMG,),
                            "BatchNorm2d"),
    "LazyBatchNorm3d": Case(lambda nn: lazy_first_call(nn.LazyBatchNorm3d(), LAZY_VOL),
                            (LAZY_VOL,), "BatchNorm3d"),
    "LazyInstanceNorm1d": Case(lambda nn: lazy_first_call(nn.LazyInstanceNorm1d(), SEQ),
                               (SEQ,), "InstanceNorm1d"),
    "LazyInstanceNorm2d": Case(lambda nn: lazy_first_call(nn.LazyInstanceNorm2d(), IMG),
                               (IMG,), "InstanceNorm2d"),
    "LazyInstanceNorm3d": Case(lambda nn: lazy_first_call(nn.LazyInstanceNorm3d(), LAZY_VOL),
                               (LAZY_VOL,), "InstanceNorm3d"),
    "Sequential": Case(lambda nn: nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)),
                       (X,), "Sequential"),
    "Identity": Case(lambda nn: nn.Identity(), (X,), "Identity"),
    "Flatten": Case(lambda nn: nn.Flatten(), (IMG,), "Flatten"),
    "Unflatten": Case(lambda nn: nn.Unflatten(1, (2, 2)), (X,), "Unflatten"),
    # (dropouts in eval mode: a mask drawn per call would break the finite differences and
    # cannot equal PyTorch's; training mode: test_dropouts_in_training_... below)
    "Dropout": Case(lambda nn: nn.Dropout(0.5).eval(), (X,), "Dropout"),
    "Dropout1d": Case(lambda nn: nn.Dropout1d(0.5).eval(), (SEQ,), "Dropout1d"),
    "Dropout2d": Case(lambda nn: nn.Dropout2d(0.5).eval(), (IMG,), "Dropout2d"),
    "Embedding": Case(lambda nn: nn.Embedding(5, 3), (IDX,), "Embedding"),
    "LayerNorm": Case(lambda nn: nn.LayerNorm(4), (X,), "LayerNorm"),
    "BatchNorm1d": Case(lambda nn: nn.BatchNorm1d(4), (X,), "BatchNorm1d"),
    "BatchNorm1d eval": Case(lambda nn: nn.BatchNorm1d(4).eval(), (X,), "BatchNorm1d"),
    "BatchNorm2d": Case(lambda nn: nn.BatchNorm2d(2), (IMG,), "BatchNorm2d"),
    "GroupNorm": Case(lambda nn: nn.GroupNorm(2, 4), (CH4,), "GroupNorm"),
    "RMSNorm": Case(lambda nn: nn.RMSNorm(4), (X,), "RMSNorm"),
    "Conv1d": Case(lambda nn: nn.Conv1d(3, 2, 3, padding=1), (SEQ,), "Conv1d"),
    "Conv2d": Case(lambda nn: nn.Conv2d(2, 3, 3, stride=2, padding=1), (IMG,), "Conv2d"),
    "MaxPool1d": Case(lambda nn: nn.MaxPool1d(2), (SEQ,), "MaxPool1d"),
    "MaxPool2d": Case(lambda nn: nn.MaxPool2d(2), (IMG,), "MaxPool2d"),
    "AvgPool1d": Case(lambda nn: nn.AvgPool1d(3, 1, 1), (SEQ,), "AvgPool1d"),
    "AvgPool2d": Case(lambda nn: nn.AvgPool2d(2, padding=1), (IMG,), "AvgPool2d"),
    "AdaptiveAvgPool2d": Case(lambda nn: nn.AdaptiveAvgPool2d((3, 2)), (IMG,),
                              "AdaptiveAvgPool2d"),
    "AdaptiveMaxPool2d": Case(lambda nn: nn.AdaptiveMaxPool2d((3, 2)), (IMG,),
                              "AdaptiveMaxPool2d"),
    "Conv2d groups dilation": Case(lambda nn: nn.Conv2d(4, 6, (2, 3), (1, 2), 1, (2, 1), 2),
                                   (CONVPOOL_IMG,), "Conv2d"),
    "Conv2d same reflect": Case(lambda nn: nn.Conv2d(4, 2, 3, padding="same", dilation=2,
                                                     padding_mode="reflect"),
                                (CONVPOOL_IMG,), "Conv2d"),
    "Conv2d circular": Case(lambda nn: nn.Conv2d(4, 2, 3, padding=(1, 2),
                                                 padding_mode="circular"), (CONVPOOL_IMG,),
                            "Conv2d"),
    "Conv2d replicate depthwise": Case(lambda nn: nn.Conv2d(4, 4, 2, 2, 1, groups=4,
                                                            padding_mode="replicate"),
                                       (CONVPOOL_IMG,), "Conv2d"),
    "Conv1d groups dilation reflect": Case(lambda nn: nn.Conv1d(
        4, 6, 3, padding=2, dilation=2, groups=2, padding_mode="reflect"), (CONVPOOL_SEQ,),
        "Conv1d"),
    "Conv1d same circular": Case(lambda nn: nn.Conv1d(4, 2, 4, padding="same",
                                                      padding_mode="circular"),
                                 (CONVPOOL_SEQ,), "Conv1d"),
    "MaxPool2d dilation ceil_mode": Case(lambda nn: nn.MaxPool2d(2, 2, 1, (1, 2), False, True),
                                         (CONVPOOL_IMG,), "MaxPool2d"),
    "MaxPool1d dilation ceil_mode": Case(lambda nn: nn.MaxPool1d(3, 2, 1, 2, ceil_mode=True),
                                         (CONVPOOL_SEQ,), "MaxPool1d"),
    "AvgPool2d ceil_mode without the padding": Case(lambda nn: nn.AvgPool2d(
        3, 2, 1, ceil_mode=True, count_include_pad=False), (CONVPOOL_IMG,), "AvgPool2d"),
    "AvgPool2d divisor_override": Case(lambda nn: nn.AvgPool2d((2, 3), 2, 1,
                                                               divisor_override=5),
                                       (CONVPOOL_IMG,), "AvgPool2d"),
    "AvgPool1d ceil_mode without the padding": Case(lambda nn: nn.AvgPool1d(3, 2, 1, True,
                                                                            False),
                                                    (CONVPOOL_SEQ,), "AvgPool1d"),
    "AdaptiveAvgPool1d": Case(lambda nn: nn.AdaptiveAvgPool1d(3), (CONVPOOL_SEQ,),
                              "AdaptiveAvgPool1d"),
    "AdaptiveMaxPool1d": Case(lambda nn: nn.AdaptiveMaxPool1d(3), (CONVPOOL_SEQ,),
                              "AdaptiveMaxPool1d"),
    "LPPool1d": Case(lambda nn: nn.LPPool1d(2, 3, 2, ceil_mode=True), (CONVPOOL_SEQ,),
                     "LPPool1d"),
    "LPPool2d": Case(lambda nn: nn.LPPool2d(4, (2, 3)), (CONVPOOL_IMG,), "LPPool2d"),
    "MaxUnpool1d": Case(lambda nn: nn.MaxUnpool1d(2), (CONVPOOL_V1, CONVPOOL_I1),
                        "MaxUnpool1d"),
    "MaxUnpool2d": Case(lambda nn: nn.MaxUnpool2d(2), (CONVPOOL_V2, CONVPOOL_I2),
                        "MaxUnpool2d"),
    "Conv3d": Case(lambda nn: nn.Conv3d(4, 6, (2, 3, 2), (1, 2, 1), 1, (1, 1, 2), 2),
                   (VOLUME,), "Conv3d"),
    "Conv3d same replicate unbatched": Case(lambda nn: nn.Conv3d(
        4, 2, (2, 3, 2), padding="same", padding_mode="replicate"), (VOLUME[0],), "Conv3d"),
    "ConvTranspose3d": Case(lambda nn: nn.ConvTranspose3d(4, 2, (2, 2, 3), (2, 1, 2), 1, 1,
                                                          groups=2, dilation=(1, 2, 1)),
                            (VOLUME,), "ConvTranspose3d"),
    "MaxPool3d": Case(lambda nn: nn.MaxPool3d(2, (1, 2, 1), 1, ceil_mode=True), (VOLUME,),
                      "MaxPool3d"),
    "AvgPool3d": Case(lambda nn: nn.AvgPool3d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                      (VOLUME,), "AvgPool3d"),
    "AdaptiveAvgPool3d": Case(lambda nn: nn.AdaptiveAvgPool3d((2, 3, 2)), (VOLUME,),
                              "AdaptiveAvgPool3d"),
    "AdaptiveMaxPool3d": Case(lambda nn: nn.AdaptiveMaxPool3d((2, 3, None)), (VOLUME[0],),
                              "AdaptiveMaxPool3d"),
    "LPPool3d": Case(lambda nn: nn.LPPool3d(2, 2, 1), (VOLUME,), "LPPool3d"),
    "MaxUnpool3d": Case(lambda nn: nn.MaxUnpool3d(2), (VOLUME_V, VOLUME_I), "MaxUnpool3d"),
    "ZeroPad2d": Case(lambda nn: nn.ZeroPad2d((1, 0, 2, 1)), (IMG,), "ZeroPad2d"),
    "ConstantPad1d": Case(lambda nn: nn.ConstantPad1d(2, 3.5), (SEQ,), "ConstantPad1d"),
    "ConstantPad2d": Case(lambda nn: nn.ConstantPad2d((0, 1, 1, 0), -1.0), (IMG,),
                          "ConstantPad2d"),
    # (padding layers: the largest pads each mode allows, crops, batched and unbatched)
    "ReflectionPad1d": Case(lambda nn: nn.ReflectionPad1d((4, 2)), (SEQ,), "ReflectionPad1d"),
    "ReflectionPad2d": Case(lambda nn: nn.ReflectionPad2d((1, 4, 3, -1)), (IMG,),
                            "ReflectionPad2d"),
    "ReflectionPad3d": Case(lambda nn: nn.ReflectionPad3d(2), (PADDING_VOL,), "ReflectionPad3d"),
    "ReplicationPad1d": Case(lambda nn: nn.ReplicationPad1d((0, 6)), (SEQ[0],),
                             "ReplicationPad1d"),
    "ReplicationPad2d": Case(lambda nn: nn.ReplicationPad2d((2, 1, 0, 3)), (IMG,),
                             "ReplicationPad2d"),
    "ReplicationPad3d": Case(lambda nn: nn.ReplicationPad3d((1, 0, 2, 1, 0, 3)),
                             (PADDING_VOL[0],), "ReplicationPad3d"),
    "CircularPad1d": Case(lambda nn: nn.CircularPad1d((5, 2)), (SEQ,), "CircularPad1d"),
    "CircularPad2d": Case(lambda nn: nn.CircularPad2d((2, 3, 3, -1)), (IMG[0],),
                          "CircularPad2d"),
    "CircularPad3d": Case(lambda nn: nn.CircularPad3d((1, 2, 3, 0, 2, 1)), (PADDING_VOL,),
                          "CircularPad3d"),
    "ZeroPad1d": Case(lambda nn: nn.ZeroPad1d((2, -1)), (SEQ,), "ZeroPad1d"),
    "ZeroPad3d": Case(lambda nn: nn.ZeroPad3d((1, 0, -1, 2, 1, 1)), (PADDING_VOL,), "ZeroPad3d"),
    "ConstantPad3d": Case(lambda nn: nn.ConstantPad3d((0, 1, 1, 0, 2, -1), 2.5),
                          (PADDING_VOL[0],), "ConstantPad3d"),
    "Upsample": Case(lambda nn: nn.Upsample(scale_factor=1.5, mode="bilinear"), (IMG,),
                     "Upsample"),
    "UpsamplingNearest2d": Case(lambda nn: nn.UpsamplingNearest2d((3, 7)), (IMG,),
                                "UpsamplingNearest2d"),
    "UpsamplingBilinear2d": Case(lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), (IMG,),
                                 "UpsamplingBilinear2d"),
    "PixelShuffle": Case(lambda nn: nn.PixelShuffle(2), (RESAMPLE_C8,), "PixelShuffle"),
    "PixelUnshuffle": Case(lambda nn: nn.PixelUnshuffle(2), (RESAMPLE_C8,), "PixelUnshuffle"),
    "ConvTranspose1d": Case(lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1,
                                                          output_padding=1), (SEQ,),
                            "ConvTranspose1d"),
    "ConvTranspose2d": Case(lambda nn: nn.ConvTranspose2d(2, 4, (3, 2), (2, 1), 1, groups=2,
                                                          dilation=(1, 2)), (IMG,),
                            "ConvTranspose2d"),
    "Unfold": Case(lambda nn: nn.Unfold((2, 3), (1, 2), 1, (2, 1)), (IMG,), "Unfold"),
    "Fold": Case(lambda nn: nn.Fold((4, 5), 2, 1, 1), (PATCHES_T,), "Fold"),
    "RNNCell": Case(lambda nn: nn.RNNCell(4, 2), (X, H), "RNNCell"),
    "RNN": Case(lambda nn: nn.RNN(4, 2, 2), (STEPS, H0), "RNN"),  # (output, h_n)
    "RNN relu batch_first": Case(lambda nn: nn.RNN(4, 2, nonlinearity="relu",
                                                   batch_first=True), (STEPS,), "RNN"),
    # (LSTMCell: a subclass alike in both libraries, taking hx = (h, c) as two inputs: a
    # zero state would give weight_hh no gradient)
    "LSTMCell": Case(lambda nn: type("LSTMCellSplitState", (nn.LSTMCell,), {
        "forward": lambda self, x, h, c: nn.LSTMCell.forward(self, x, (h, c))})(4, 2),
        (X, H, -H), "LSTMCellSplitState"),
    "GRUCell": Case(lambda nn: nn.GRUCell(4, 2), (X, H), "GRUCell"),
    "LSTM": Case(lambda nn: nn.LSTM(4, 3, proj_size=2, bidirectional=True), (STEPS,), "LSTM"),
    "GRU": Case(lambda nn: nn.GRU(4, 2, bidirectional=True), (STEPS, H0), "GRU"),
    "MultiheadAttention": Case(lambda nn: nn.MultiheadAttention(  # (output, weights)
        4, 2, add_bias_kv=True, add_zero_attn=True), (ATT_Q, ATT_KV, ATT_KV), "MultiheadAttention"),
    "TransformerEncoderLayer": Case(lambda nn: nn.TransformerEncoderLayer(4, 2, 6, 0.0, "gelu"),
                                    (ATT_Q,), "TransformerEncoderLayer"),
    "TransformerEncoder": Case(lambda nn: nn.TransformerEncoder(nn.TransformerEncoderLayer(
        4, 2, 6, 0.0, norm_first=True), 2, nn.LayerNorm(4), enable_nested_tensor=False), (ATT_Q,),
                               "TransformerEncoder"),
    # (the decoders take (tgt, memory), Transformer (src, tgt): batch_first and an even nhead,
    # so that torch's encoder has no note on its nested-tensor fast path)
    "TransformerDecoderLayer": Case(lambda nn: nn.TransformerDecoderLayer(3, 3, 4, 0.0, "gelu"),
                                    (DEC_TGT, DEC_MEMORY), "TransformerDecoderLayer"),
    "TransformerDecoder": Case(lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(
        3, 3, 4, 0.0, norm_first=True), 2, nn.LayerNorm(3)), (DEC_TGT, DEC_MEMORY),
                               "TransformerDecoder"),
    "Transformer": Case(lambda nn: nn.Transformer(4, 2, 1, 1, 2, 0.0, batch_first=True),
                        (ATT_KV[:3].swapaxes(0, 1), ATT_Q[:2].swapaxes(0, 1)), "Transformer"),
    "CosineSimilarity": Case(lambda nn: nn.CosineSimilarity(), (X, Y), "CosineSimilarity"),
    "PairwiseDistance": Case(lambda nn: nn.PairwiseDistance(), (X, Y), "PairwiseDistance"),
    "InstanceNorm1d": Case(lambda nn: nn.InstanceNorm1d(3, affine=True,
                                                        track_running_stats=True), (SEQ,),
                           "InstanceNorm1d"),
    "InstanceNorm2d": Case(lambda nn: nn.InstanceNorm2d(2, affine=True), (IMG,),
                           "InstanceNorm2d"),
    "InstanceNorm3d": Case(lambda nn: nn.InstanceNorm3d(3), (MORE2_VOL,), "InstanceNorm3d"),
    "BatchNorm3d": Case(lambda nn: nn.BatchNorm3d(3), (MORE2_VOL,), "BatchNorm3d"),
    "Dropout3d": Case(lambda nn: nn.Dropout3d(0.5).eval(), (MORE2_VOL,), "Dropout3d"),
    "AlphaDropout": Case(lambda nn: nn.AlphaDropout(0.5).eval(), (X,), "AlphaDropout"),
    "FeatureAlphaDropout": Case(lambda nn: nn.FeatureAlphaDropout(0.5).eval(), (IMG,),
                                "FeatureAlphaDropout"),
    "LocalResponseNorm": Case(lambda nn: nn.LocalResponseNorm(3, 0.5, 0.75, 1.5), (CH4,),
                              "LocalResponseNorm"),
    "Bilinear": Case(lambda nn: nn.Bilinear(4, 3, 2), (X, MORE2_X2), "Bilinear"),
    "EmbeddingBag": Case(lambda nn: nn.EmbeddingBag(5, 3, mode="sum"),  # (with offsets)
                         (MORE2_BAG, MORE2_OFFSETS, MORE2_BAG_WEIGHTS), "EmbeddingBag"),
    "EmbeddingBag max": Case(lambda nn: nn.EmbeddingBag(5, 3, mode="max", padding_idx=1),
                             (MORE2_BAGS,), "EmbeddingBag"),
    "ChannelShuffle": Case(lambda nn: nn.ChannelShuffle(2), (CH4,), "ChannelShuffle"),
    "Softmax2d": Case(lambda nn: nn.Softmax2d(), (IMG,), "Softmax2d"),
    "RReLU": Case(lambda nn: nn.RReLU(0.1, 0.3).eval(), (X,), "RReLU"),
    # activations
    "ReLU": Case(lambda nn: nn.ReLU(), (X,), "ReLU"),
    "Sigmoid": Case(lambda nn: nn.Sigmoid(), (X,), "Sigmoid"),
    "Tanh": Case(lambda nn: nn.Tanh(), (X,), "Tanh"),
    "LeakyReLU": Case(lambda nn: nn.LeakyReLU(0.2), (X,), "LeakyReLU"),
    "Softmax": Case(lambda nn: nn.Softmax(dim=1), (X,), "Softmax"),
    "LogSoftmax": Case(lambda nn: nn.LogSoftmax(dim=0), (X,), "LogSoftmax"),
    "Softmin": Case(lambda nn: nn.Softmin(dim=1), (X,), "Softmin"),
    "GELU": Case(lambda nn: nn.GELU(), (X,), "GELU"),
    "GELU tanh": Case(lambda nn: nn.GELU("tanh"), (X,), "GELU"),
    "SiLU": Case(lambda nn: nn.SiLU(), (X,), "SiLU"),
    "ELU": Case(lambda nn: nn.ELU(0.5), (X,), "ELU"),
    "CELU": Case(lambda nn: nn.CELU(0.5), (X,), "CELU"),
    "SELU": Case(lambda nn: nn.SELU(), (X,), "SELU"),
    "Softplus": Case(lambda nn: nn.Softplus(2.0), (X,), "Softplus"),
    "ReLU6": Case(lambda nn: nn.ReLU6(), (X * 4,), "ReLU6"),  # (both corners reached)
    "Hardtanh": Case(lambda nn: nn.Hardtanh(-0.5, 1.5), (X,), "Hardtanh"),
    "Hardswish": Case(lambda nn: nn.Hardswish(), (X * 2,), "Hardswish"),
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, even in float64
    "Hardsigmoid": Case(lambda nn: nn.Hardsigmoid(), (X * 2,), "Hardsigmoid", rtol=1e-7),
    "Mish": Case(lambda nn: nn.Mish(), (X,), "Mish"),
    "LogSigmoid": Case(lambda nn: nn.LogSigmoid(), (X,), "LogSigmoid"),
    "Softsign": Case(lambda nn: nn.Softsign(), (X,), "Softsign"),
    "Tanhshrink": Case(lambda nn: nn.Tanhshrink(), (X,), "Tanhshrink"),
    "GLU": Case(lambda nn: nn.GLU(dim=1), (X,), "GLU"),
    "PReLU": Case(lambda nn: nn.PReLU(4), (X,), "PReLU"),
    "Threshold": Case(lambda nn: nn.Threshold(0.1, 20.0), (X,), "Threshold"),
    "Hardshrink": Case(lambda nn: nn.Hardshrink(), (X,), "Hardshrink"),
    "Softshrink": Case(lambda nn: nn.Softshrink(0.3), (X,), "Softshrink"),
    # losses: (prediction, target)
    "SSELoss": Case(lambda nn: nn.SSELoss(), (X, Y), None),
    "HalfSSELoss": Case(lambda nn: nn.HalfSSELoss(), (X, Y), None),
    "MSELoss": Case(lambda nn: nn.MSELoss(), (X, Y), "MSELoss"),
    "L1Loss": Case(lambda nn: nn.L1Loss(reduction="sum"), (X, Y), "L1Loss"),
    "HuberLoss": Case(lambda nn: nn.HuberLoss(delta=0.5), (X, Y), "HuberLoss"),
    "SmoothL1Loss": Case(lambda nn: nn.SmoothL1Loss(reduction="none", beta=0.5), (X, Y),
                         "SmoothL1Loss"),
    # (PyTorch's losses have no derivative for a class weight: ours is checked by gradcheck)
    "BCELoss": Case(lambda nn: nn.BCELoss(), (P01, T01), "BCELoss"),
    "BCEWithLogitsLoss": Case(lambda nn: nn.BCEWithLogitsLoss(), (X, T01),
                              "BCEWithLogitsLoss"),
    "CrossEntropyLoss": Case(lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1),
                             (X, LABELS), "CrossEntropyLoss"),
    "CrossEntropyLoss probabilities": Case(lambda nn: nn.CrossEntropyLoss(), (X, PROBS),
                                           "CrossEntropyLoss"),
    "CrossEntropyLoss per position": Case(lambda nn: nn.CrossEntropyLoss(), (SEQ, SEQ_LABELS),
                                          "CrossEntropyLoss"),
    "NLLLoss": Case(lambda nn: nn.NLLLoss(), (X, LABELS), "NLLLoss"),
    "KLDivLoss": Case(lambda nn: nn.KLDivLoss(reduction="batchmean"), (X - 2, PROBS), "KLDivLoss"),
    # (targets of 1 and -1, class indices, CTC's targets and lengths: integer constants)
    "MarginRankingLoss": Case(lambda nn: nn.MarginRankingLoss(0.5), (X[0], Y[0], LOSS_SIGNS[0]),
                              "MarginRankingLoss"),
    "HingeEmbeddingLoss": Case(lambda nn: nn.HingeEmbeddingLoss(1.5), (X, LOSS_SIGNS),
                               "HingeEmbeddingLoss"),
    "SoftMarginLoss": Case(lambda nn: nn.SoftMarginLoss(), (X, LOSS_SIGNS), "SoftMarginLoss"),
    "MultiLabelSoftMarginLoss": Case(lambda nn: nn.MultiLabelSoftMarginLoss(), (X, T01),
                                     "MultiLabelSoftMarginLoss"),
    "CosineEmbeddingLoss": Case(lambda nn: nn.CosineEmbeddingLoss(0.2),
                                (X, Y, LOSS_SIGNS[:, 0]), "CosineEmbeddingLoss"),
    "MultiMarginLoss": Case(lambda nn: nn.MultiMarginLoss(2, 0.8), (X, LABELS),
                            "MultiMarginLoss"),
    "MultiLabelMarginLoss": Case(lambda nn: nn.MultiLabelMarginLoss(), (X, LOSS_MULTILABEL),
                                 "MultiLabelMarginLoss"),
    "TripletMarginLoss": Case(lambda nn: nn.TripletMarginLoss(1.5, swap=True), (X, Y, P01),
                              "TripletMarginLoss"),
    "TripletMarginWithDistanceLoss": Case(lambda nn: nn.TripletMarginWithDistanceLoss(
        distance_function=nn.PairwiseDistance(1.0), margin=2.0), (X, Y, P01),
        "TripletMarginWithDistanceLoss"),
    "GaussianNLLLoss": Case(lambda nn: nn.GaussianNLLLoss(full=True), (X, Y, T01 + 0.5),
                            "GaussianNLLLoss"),
    "PoissonNLLLoss": Case(lambda nn: nn.PoissonNLLLoss(full=True), (X, LOSS_COUNTS),
                           "PoissonNLLLoss"),
    "LinearCrossEntropyLoss": Case(lambda nn: nn.LinearCrossEntropyLoss(
        4, 4, bias=True, label_smoothing=0.1), (X, LABELS), "LinearCrossEntropyLoss"),
    # (of logits, through log_softmax: PyTorch's gradient of the log-probabilities
    # themselves adds exp(log_probs), which log_softmax's backward cancels)
    "CTCLoss": Case(lambda nn: type("CTCLossOfLogits", (nn.CTCLoss,), {
        "forward": lambda self, z, *rest: nn.CTCLoss.forward(self, z.log_softmax(2), *rest)})(
        reduction="sum"), (CTC_LOGITS, CTC_TARGETS, CTC_INPUT_LENGTHS, CTC_TARGET_LENGTHS),
        "CTCLossOfLogits"),
    # (fractional pools: a subclass alike in both libraries, its _random_samples buffer set
    # from the input's dtype at each call, so that both pool the same windows)
    "FractionalMaxPool2d": Case(lambda nn: type("FractionalMaxPool2dSampled", (
        nn.FractionalMaxPool2d,), {"forward": lambda self, x: setattr(
            self, "_random_samples", x.new_tensor(FRACPOOL_S2)) or nn.FractionalMaxPool2d.forward(
            self, x)})(3, (4, 5)), (FRACPOOL_IMG,), "FractionalMaxPool2dSampled"),
    "FractionalMaxPool3d": Case(lambda nn: type("FractionalMaxPool3dSampled", (
        nn.FractionalMaxPool3d,), {"forward": lambda self, x: setattr(
            self, "_random_samples", x.new_tensor(FRACPOOL_S3)) or nn.FractionalMaxPool3d.forward(
            self, x)})((2, 3, 2), output_ratio=(0.5, 0.5, 0.75)), (FRACPOOL_VOL,),
        "FractionalMaxPool3dSampled"),
    # (forward's _ASMoutput: (output, loss), both compared; log_prob through a subclass)
    "AdaptiveLogSoftmaxWithLoss": Case(lambda nn: nn.AdaptiveLogSoftmaxWithLoss(
        4, 8, [2, 5], div_value=2.0), (X, FRACPOOL_CLASSES), "AdaptiveLogSoftmaxWithLoss"),
    "AdaptiveLogSoftmaxWithLoss log_prob": Case(lambda nn: type("AdaptiveLogProb", (
        nn.AdaptiveLogSoftmaxWithLoss,), {"forward": lambda self, x: self.log_prob(x)})(
        4, 8, [2, 5], 2.0, True), (X,), "AdaptiveLogProb"),
    # (PyTorch's base classes: each checked through a subclass, built alike in both)
    "RNNBase": Case(lambda nn: nn.RNN(4, 2, nonlinearity="relu", bias=False), (STEPS,), "RNN"),
    "RNNCellBase": Case(lambda nn: nn.RNNCell(4, 2, nonlinearity="relu"), (X, H), "RNNCell"),
    "NLLLoss2d": Case(lambda nn: nn.NLLLoss2d(reduction="none"), (FRACPOOL_LOGP, FRACPOOL_PIXELS),
                      "NLLLoss2d"),
    "Container": Case(lambda nn: type("ContainerOfLinear", (nn.Container,), {
        "forward": lambda self, x: self.linear(x)})(linear=nn.Linear(4, 2)), (X,),
        "ContainerOfLinear"),
}

FUNCTIONS = {
    "linear": Case(lambda F: F.linear, (X, W, B), "linear"),
    "pad": Case(lambda F: lambda x: F.pad(x, (1, 2), value=0.5), (X,), "pad"),
    "pad reflect": Case(lambda F: lambda x: F.pad(x, (2, 4, -1, 3), "reflect"), (IMG,), "pad"),
    "pad replicate": Case(lambda F: lambda x: F.pad(x, (3, -2), mode="replicate"), (SEQ,),
                          "pad"),
    "pad circular": Case(lambda F: lambda x: F.pad(x, (1, 2, 2, 0, 1, 1), "circular"),
                         (PADDING_VOL,), "pad"),
    "normalize": Case(lambda F: lambda x: F.normalize(x, dim=0), (X,), "normalize"),
    "cosine_similarity": Case(lambda F: F.cosine_similarity, (X, Y), "cosine_similarity"),
    "pairwise_distance": Case(lambda F: lambda a, b: F.pairwise_distance(a, b, 3.0), (X, Y),
                              "pairwise_distance"),
    # (dropouts not in training: see the Dropout layers' comment)
    "dropout": Case(lambda F: lambda x: F.dropout(x, 0.5, training=False), (X,), "dropout"),
    "dropout1d": Case(lambda F: lambda x: F.dropout1d(x, 0.5, False), (SEQ,), "dropout1d"),
    "dropout2d": Case(lambda F: lambda x: F.dropout2d(x, 0.5, False), (IMG,), "dropout2d"),
    "conv1d": Case(lambda F: lambda x, w: F.conv1d(x, w, None, 2, 1), (SEQ, W_CONV1),
                   "conv1d"),
    "conv2d": Case(lambda F: lambda x, w, b: F.conv2d(x, w, b, 1, 1), (IMG, W_CONV2, B4[:3]),
                   "conv2d"),
    "max_pool1d": Case(lambda F: lambda x: F.max_pool1d(x, 3, 2, 1), (SEQ,), "max_pool1d"),
    "max_pool2d": Case(lambda F: lambda x: F.max_pool2d(x, 2, 1), (IMG,), "max_pool2d"),
    "avg_pool1d": Case(lambda F: lambda x: F.avg_pool1d(x, 2), (SEQ,), "avg_pool1d"),
    "avg_pool2d": Case(lambda F: lambda x: F.avg_pool2d(x, 3, 1, 1), (IMG,), "avg_pool2d"),
    "adaptive_avg_pool2d": Case(lambda F: lambda x: F.adaptive_avg_pool2d(x, 3), (IMG,),
                                "adaptive_avg_pool2d"),
    "adaptive_max_pool2d": Case(lambda F: lambda x: F.adaptive_max_pool2d(x, (2, 3)), (IMG,),
                                "adaptive_max_pool2d"),
    "conv2d groups dilation same": Case(lambda F: lambda x, w, b: F.conv2d(
        x, w, b, 1, "same", 2, 2), (CONVPOOL_IMG, CONVPOOL_W2, CONVPOOL_W1[:, 0, 0]),
        "conv2d"),
    "conv1d groups dilation": Case(lambda F: lambda x, w: F.conv1d(x, w, None, 2, 2, 2, 2),
                                   (CONVPOOL_SEQ, CONVPOOL_W1), "conv1d"),
    "max_pool2d dilation ceil_mode": Case(lambda F: lambda x: F.max_pool2d(
        x, (2, 3), 2, 1, (2, 1), True), (CONVPOOL_IMG,), "max_pool2d"),
    "max_pool1d dilation ceil_mode": Case(lambda F: lambda x: F.max_pool1d(x, 2, 2, 1, 3, True),
                                          (CONVPOOL_SEQ,), "max_pool1d"),
    "avg_pool2d ceil_mode without the padding": Case(lambda F: lambda x: F.avg_pool2d(
        x, 3, 2, 1, True, False), (CONVPOOL_IMG,), "avg_pool2d"),
    "avg_pool2d divisor_override": Case(lambda F: lambda x: F.avg_pool2d(
        x, 2, 1, 1, False, True, 3), (CONVPOOL_IMG,), "avg_pool2d"),
    "avg_pool1d ceil_mode without the padding": Case(lambda F: lambda x: F.avg_pool1d(
        x, 3, 2, 1, True, False), (CONVPOOL_SEQ,), "avg_pool1d"),
    "adaptive_avg_pool1d": Case(lambda F: lambda x: F.adaptive_avg_pool1d(x, 3),
                                (CONVPOOL_SEQ,), "adaptive_avg_pool1d"),
    "adaptive_max_pool1d": Case(lambda F: lambda x: F.adaptive_max_pool1d(x, 3),
                                (CONVPOOL_SEQ,), "adaptive_max_pool1d"),
    # (the values: an index has no gradient, and the table compares float outputs)
    "adaptive_max_pool1d_with_indices": Case(lambda F: lambda x: F.adaptive_max_pool1d_with_indices(
        x, 4)[0], (CONVPOOL_SEQ,), "adaptive_max_pool1d_with_indices"),
    "adaptive_max_pool2d_with_indices": Case(lambda F: lambda x: F.adaptive_max_pool2d_with_indices(
        x, (2, 4))[0], (CONVPOOL_IMG,), "adaptive_max_pool2d_with_indices"),
    "max_pool1d_with_indices": Case(lambda F: lambda x: F.max_pool1d_with_indices(
        x, 3, 2, 1)[0], (CONVPOOL_SEQ,), "max_pool1d_with_indices"),
    "max_pool2d_with_indices": Case(lambda F: lambda x: F.max_pool2d_with_indices(
        x, 2, 1, 1, 2)[0], (CONVPOOL_IMG,), "max_pool2d_with_indices"),
    "lp_pool1d": Case(lambda F: lambda x: F.lp_pool1d(x, 2, 3, 2, True), (CONVPOOL_SEQ,),
                      "lp_pool1d"),
    "lp_pool2d": Case(lambda F: lambda x: F.lp_pool2d(x, 2, (2, 3)), (CONVPOOL_IMG,),
                      "lp_pool2d"),
    "max_unpool1d": Case(lambda F: lambda x, i: F.max_unpool1d(x, i, 2, output_size=(7,)),
                         (CONVPOOL_V1, CONVPOOL_I1), "max_unpool1d"),
    "max_unpool2d": Case(lambda F: lambda x, i: F.max_unpool2d(x, i, 2, output_size=(5, 6)),
                         (CONVPOOL_V2, CONVPOOL_I2), "max_unpool2d"),
    "conv2d unbatched": Case(lambda F: lambda x, w: F.conv2d(x, w, None, 2, 1),
                             (IMG[0], W_CONV2[:, :2]), "conv2d"),
    "conv3d": Case(lambda F: lambda x, w, b: F.conv3d(x, w, b, 1, "same", 1, 2),
                   (VOLUME, VOLUME_W, B4[:2].repeat(3)), "conv3d"),
    "conv3d unbatched strided dilated": Case(lambda F: lambda x, w: F.conv3d(
        x, w, None, (2, 1, 1), (0, 1, 1), (1, 1, 2), 2), (VOLUME[1], VOLUME_W), "conv3d"),
    "conv_transpose3d": Case(lambda F: lambda x, w, b: F.conv_transpose3d(
        x, w, b, (1, 2, 2), (1, 0, 1), (0, 1, 0), 2), (VOLUME, VOLUME_WT, B4[:2]),
        "conv_transpose3d"),
    "max_pool3d": Case(lambda F: lambda x: F.max_pool3d(x, (2, 3, 2), 1, 1, (1, 1, 2)),
                       (VOLUME,), "max_pool3d"),
    "max_pool3d_with_indices": Case(lambda F: lambda x: F.max_pool3d_with_indices(
        x, 2, 2, 1, ceil_mode=True)[0], (VOLUME[0],), "max_pool3d_with_indices"),
    "avg_pool3d": Case(lambda F: lambda x: F.avg_pool3d(x, 2, 1, 1, False, True, 3), (VOLUME,),
                       "avg_pool3d"),
    "adaptive_avg_pool3d": Case(lambda F: lambda x: F.adaptive_avg_pool3d(x, (None, 3, 2)),
                                (VOLUME[0],), "adaptive_avg_pool3d"),
    "adaptive_max_pool3d": Case(lambda F: lambda x: F.adaptive_max_pool3d(x, 2), (VOLUME,),
                                "adaptive_max_pool3d"),
    "adaptive_max_pool3d_with_indices": Case(lambda F: lambda x: F.adaptive_max_pool3d_with_indices(
        x, (3, 2, 3))[0], (VOLUME,), "adaptive_max_pool3d_with_indices"),
    "lp_pool3d": Case(lambda F: lambda x: F.lp_pool3d(x, 2, (2, 2, 1), 2, True), (VOLUME,),
                      "lp_pool3d"),
    "max_unpool3d": Case(lambda F: lambda x, i: F.max_unpool3d(x, i, 2, output_size=(4, 3, 5)),
                         (VOLUME_V, VOLUME_I), "max_unpool3d"),
    "interpolate": Case(lambda F: lambda x: F.interpolate(x, scale_factor=(1.5, 0.6),
                                                          mode="bicubic"), (IMG,), "interpolate"),
    "interpolate linear": Case(lambda F: lambda x: F.interpolate(
        x, 8, mode="linear", align_corners=True), (SEQ,), "interpolate"),
    "pixel_shuffle": Case(lambda F: lambda x: F.pixel_shuffle(x, 2), (RESAMPLE_C8,),
                          "pixel_shuffle"),
    "pixel_unshuffle": Case(lambda F: lambda x: F.pixel_unshuffle(x, 2), (RESAMPLE_C8,),
                            "pixel_unshuffle"),
    "affine_grid": Case(lambda F: lambda t: F.affine_grid(t, (2, 2, 3, 4), align_corners=False),
                        (GRID_THETA,), "affine_grid"),
    "affine_grid 3d": Case(lambda F: lambda t: F.affine_grid(t, (2, 1, 2, 3, 2), True),
                           (GRID_THETA3,), "affine_grid"),
    "grid_sample": Case(lambda F: lambda x, g: F.grid_sample(x, g, align_corners=False),
                        (GRID_IMG, GRID_XY), "grid_sample"),
    "grid_sample bicubic": Case(lambda F: lambda x, g: F.grid_sample(
        x, g, "bicubic", "reflection", True), (GRID_IMG, GRID_XY), "grid_sample"),
    "grid_sample 3d": Case(lambda F: lambda x, g: F.grid_sample(x, g, "bilinear", "border", False),
                           (GRID_VOL, GRID_XYZ), "grid_sample"),
    "conv_transpose1d": Case(lambda F: lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1),
                             (SEQ, W_TCONV1, B4[:2]), "conv_transpose1d"),
    "conv_transpose2d": Case(lambda F: lambda x, w: F.conv_transpose2d(
        x, w, None, 2, (1, 0), 1, 2, (1, 2)), (IMG, W_TCONV2), "conv_transpose2d"),
    "unfold": Case(lambda F: lambda x: F.unfold(x, (2, 3), (1, 2), 1, (2, 1)), (IMG,), "unfold"),
    "fold": Case(lambda F: lambda x: F.fold(x, (4, 5), 2, 1, 1), (PATCHES_T,), "fold"),
    "layer_norm": Case(lambda F: lambda x, w, b: F.layer_norm(x, (4,), w, b), (X, W4, B4),
                       "layer_norm"),
    "batch_norm": Case(lambda F: lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
                       (X, W4, B4), "batch_norm"),
    # (the running statistics are buffers, not learned: PyTorch has no gradient for them)
    "batch_norm eval": Case(lambda F: lambda x, m, v, w: F.batch_norm(x, m, v, w, None),
                            (X, B4, W4, W4), "batch_norm", torch_constant=(1, 2)),
    "group_norm": Case(lambda F: lambda x, w, b: F.group_norm(x, 2, w, b), (CH4, W4, B4),
                       "group_norm"),
    "rms_norm": Case(lambda F: lambda x, w: F.rms_norm(x, (4,), w), (X, W4), "rms_norm"),
    "embedding": Case(lambda F: F.embedding, (IDX, EMB), "embedding"),
    "instance_norm": Case(lambda F: lambda x, w, b: F.instance_norm(x, None, None, w, b),
                          (SEQ, W4[:3], B4[:3]), "instance_norm"),
    "instance_norm eval": Case(lambda F: lambda x, m, v: F.instance_norm(
        x, m, v, use_input_stats=False), (SEQ, B4[:3], W4[:3]), "instance_norm",
        torch_constant=(1, 2)),
    "local_response_norm": Case(lambda F: lambda x: F.local_response_norm(x, 2, 0.5, 0.75, 1.5),
                                (IMG,), "local_response_norm"),
    "bilinear": Case(lambda F: F.bilinear, (X, MORE2_X2, MORE2_W_BILINEAR, B), "bilinear"),
    "channel_shuffle": Case(lambda F: lambda x: F.channel_shuffle(x, 2), (CH4,),
                            "channel_shuffle"),
    "native_channel_shuffle": Case(lambda F: lambda x: F.native_channel_shuffle(x, 2),
                                   (CH4,), None),  # (torch's has no derivative)
    "linear_cross_entropy": Case(lambda F: lambda x, w, y, b: F.linear_cross_entropy(
        x, w, y, linear_bias=b), (X, W, np.array([0, 1, 1]), B), "linear_cross_entropy"),
    "linear_cross_entropy probabilities": Case(
        lambda F: lambda x, w, t: F.linear_cross_entropy(
            x, w, t, label_smoothing=0.1, reduction="sum"), (X, np.vstack([W, -W]), PROBS),
        "linear_cross_entropy"),
    "pdist": Case(lambda F: lambda x: F.pdist(x, 3.0), (X,), "pdist"),
    "conv_tbc": Case(lambda F: lambda x, w, b: F.conv_tbc(x, w, b, 1), (STEPS, TBC_W, TBC_B),
                     "conv_tbc"),
    "grouped_mm": Case(lambda F: lambda a, b: F.grouped_mm(a, b, offs=[2, 4]),
                       (GROUPED_A, GROUPED_B), None),  # (torch's CPU kernel: float32 only)
    "embedding_bag": Case(lambda F: lambda i, w, o, s: F.embedding_bag(
        i, w, o, mode="sum", per_sample_weights=s),
        (MORE2_BAG, EMB, MORE2_OFFSETS, MORE2_BAG_WEIGHTS), "embedding_bag"),
    "embedding_bag mean": Case(lambda F: lambda i, w, o: F.embedding_bag(i, w, o),
                               (MORE2_BAG, EMB, MORE2_OFFSETS), "embedding_bag"),
    "embedding_bag max": Case(lambda F: lambda i, w: F.embedding_bag(i, w, mode="max",
                                                                     padding_idx=1),
                              (MORE2_BAGS, EMB), "embedding_bag"),
    # (the random ones: not in training, as the dropouts, and in training with a fixed
    # generator, whose draws PyTorch's cannot repeat: no twin to compare with)
    "dropout3d": Case(lambda F: lambda x: F.dropout3d(x, 0.5, False), (MORE2_VOL,), "dropout3d"),
    "alpha_dropout": Case(lambda F: lambda x: F.alpha_dropout(x, 0.5), (X,), "alpha_dropout"),
    "alpha_dropout training": Case(lambda F: lambda x: F.alpha_dropout(
        x, 0.5, True, generator=np.random.default_rng(3)), (X,), None),
    "feature_alpha_dropout": Case(lambda F: lambda x: F.feature_alpha_dropout(x, 0.5), (IMG,),
                                  "feature_alpha_dropout"),
    "feature_alpha_dropout training": Case(lambda F: lambda x: F.feature_alpha_dropout(
        x, 0.5, True, generator=np.random.default_rng(3)), (IMG,), None),
    "rrelu": Case(lambda F: lambda x: F.rrelu(x, 0.1, 0.3), (X,), "rrelu"),
    "rrelu training": Case(lambda F: lambda x: F.rrelu(
        x, 0.1, 0.3, True, generator=np.random.default_rng(3)), (X,), None),
    "gumbel_softmax": Case(lambda F: lambda x: F.gumbel_softmax(
        x, 0.5, generator=np.random.default_rng(3)), (X,), None),
    "scaled_dot_product_attention": Case(
        lambda F: lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m, scale=0.8),
        (ATT_Q.swapaxes(0, 1), ATT_KV.swapaxes(0, 1), ATT_V5, ATT_MASK),
        "scaled_dot_product_attention"),
    # activations
    "relu": Case(lambda F: F.relu, (X,), "relu"),
    "sigmoid": Case(lambda F: F.sigmoid, (X,), "sigmoid"),
    "tanh": Case(lambda F: F.tanh, (X,), "tanh"),
    "leaky_relu": Case(lambda F: lambda x: F.leaky_relu(x, 0.2), (X,), "leaky_relu"),
    "softmax": Case(lambda F: lambda x: F.softmax(x, dim=1), (X,), "softmax"),
    "log_softmax": Case(lambda F: lambda x: F.log_softmax(x, dim=0), (X,), "log_softmax"),
    "softmin": Case(lambda F: lambda x: F.softmin(x, dim=1), (X,), "softmin"),
    "logsigmoid": Case(lambda F: F.logsigmoid, (X,), "logsigmoid"),
    "gelu": Case(lambda F: lambda x: F.gelu(x, approximate="tanh"), (X,), "gelu"),
    "silu": Case(lambda F: F.silu, (X,), "silu"),
    "elu": Case(lambda F: lambda x: F.elu(x, 0.5), (X,), "elu"),
    "celu": Case(lambda F: lambda x: F.celu(x, 2.0), (X,), "celu"),
    "selu": Case(lambda F: F.selu, (X,), "selu"),
    "softplus": Case(lambda F: lambda x: F.softplus(x, beta=2.0), (X,), "softplus"),
    "hardtanh": Case(lambda F: lambda x: F.hardtanh(x, -0.5, 1.5), (X,), "hardtanh"),
    "relu6": Case(lambda F: F.relu6, (X * 4,), "relu6"),
    "hardswish": Case(lambda F: F.hardswish, (X * 2,), "hardswish"),
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, even in float64
    "hardsigmoid": Case(lambda F: F.hardsigmoid, (X * 2,), "hardsigmoid", rtol=1e-7),
    "mish": Case(lambda F: F.mish, (X,), "mish"),
    "softsign": Case(lambda F: F.softsign, (X,), "softsign"),
    "tanhshrink": Case(lambda F: F.tanhshrink, (X,), "tanhshrink"),
    "glu": Case(lambda F: lambda x: F.glu(x, dim=1), (X,), "glu"),
    "prelu": Case(lambda F: F.prelu, (X, W4 - 1), "prelu"),
    "threshold": Case(lambda F: lambda x: F.threshold(x, -0.5, -2.0), (X,), "threshold"),
    "hardshrink": Case(lambda F: F.hardshrink, (X,), "hardshrink"),
    "softshrink": Case(lambda F: lambda x: F.softshrink(x, 0.3), (X,), "softshrink"),
    # losses: (prediction, target)
    "sse_loss": Case(lambda F: F.sse_loss, (X, Y), None),
    "half_sse_loss": Case(lambda F: F.half_sse_loss, (X, Y), None),
    "mse_loss": Case(lambda F: lambda x, y: F.mse_loss(x, y, reduction="none"), (X, Y), "mse_loss"),
    "l1_loss": Case(lambda F: F.l1_loss, (X, Y), "l1_loss"),
    "smooth_l1_loss": Case(lambda F: lambda x, y: F.smooth_l1_loss(x, y, reduction="sum",
                                                                   beta=0.5),
                           (X, Y), "smooth_l1_loss"),
    "huber_loss": Case(lambda F: lambda x, y: F.huber_loss(x, y, delta=0.5), (X, Y),
                       "huber_loss"),
    "binary_cross_entropy": Case(lambda F: lambda p, t, w: F.binary_cross_entropy(
        p, t, weight=w), (P01, T01, W4), "binary_cross_entropy", torch_constant=(2,)),
    "binary_cross_entropy_with_logits": Case(
        lambda F: lambda x, t, w: F.binary_cross_entropy_with_logits(x, t, pos_weight=w),
        (X, T01, W4), "binary_cross_entropy_with_logits", torch_constant=(2,)),
    "cross_entropy": Case(lambda F: lambda x, y, w: F.cross_entropy(x, y, weight=w),
                          (X, LABELS, W4), "cross_entropy", torch_constant=(2,)),
    "cross_entropy probabilities": Case(lambda F: lambda x, t: F.cross_entropy(
        x, t, label_smoothing=0.2), (X, PROBS), "cross_entropy"),
    # (batch, classes, length): each position a sample, as PyTorch's
    "cross_entropy per position": Case(lambda F: lambda x, y, w: F.cross_entropy(
        x, y, weight=w, label_smoothing=0.1, reduction="none"), (SEQ, SEQ_LABELS, SEQ_WEIGHT),
        "cross_entropy", torch_constant=(2,)),
    "cross_entropy per position probabilities": Case(lambda F: lambda x, t: F.cross_entropy(
        x, t, reduction="sum"), (SEQ, SEQ_PROBS), "cross_entropy"),
    "nll_loss per position": Case(lambda F: lambda x, y: F.nll_loss(x, y, ignore_index=2),
                                  (SEQ, SEQ_LABELS), "nll_loss"),
    "nll_loss": Case(lambda F: lambda x, y: F.nll_loss(x, y, reduction="sum"), (X, LABELS),
                     "nll_loss"),
    "kl_div": Case(lambda F: lambda x, t: F.kl_div(x, t, reduction="batchmean", log_target=True),
                   (X - 2, Y - 2), "kl_div"),
    "margin_ranking_loss": Case(lambda F: lambda a, b, y: F.margin_ranking_loss(
        a, b, y, 0.5, reduction="none"), (X, Y, LOSS_SIGNS), "margin_ranking_loss"),
    "hinge_embedding_loss": Case(lambda F: lambda x, y: F.hinge_embedding_loss(
        x, y, 0.5, reduction="sum"), (X, LOSS_SIGNS), "hinge_embedding_loss"),
    "soft_margin_loss": Case(lambda F: lambda x, y: F.soft_margin_loss(x, y, reduction="none"),
                             (X, LOSS_SIGNS), "soft_margin_loss"),
    "multilabel_soft_margin_loss": Case(lambda F: F.multilabel_soft_margin_loss,
                                        (X, T01, W4), "multilabel_soft_margin_loss"),
    "cosine_embedding_loss": Case(lambda F: lambda a, b, y: F.cosine_embedding_loss(
        a, b, y, -0.2, reduction="none"), (X, Y, LOSS_SIGNS[:, 1]), "cosine_embedding_loss"),
    "multi_margin_loss": Case(lambda F: lambda x, y, w: F.multi_margin_loss(x, y, 1, 1.5, w),
                              (X, LABELS, W4), "multi_margin_loss", torch_constant=(2,)),
    "multilabel_margin_loss": Case(lambda F: lambda x, y: F.multilabel_margin_loss(
        x, y, reduction="none"), (X, LOSS_MULTILABEL), "multilabel_margin_loss"),
    "triplet_margin_loss": Case(lambda F: lambda a, p, n: F.triplet_margin_loss(
        a, p, n, 1.0, 3.0, reduction="none"), (X, Y, P01), "triplet_margin_loss"),
    "triplet_margin_with_distance_loss": Case(
        lambda F: lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, margin=1.5,
                                                                      swap=True),
        (X, Y, P01), "triplet_margin_with_distance_loss"),
    "gaussian_nll_loss": Case(lambda F: lambda x, y, v: F.gaussian_nll_loss(  # (a var per row)
        x, y, v, reduction="none"), (X, Y, T01[:, 0]), "gaussian_nll_loss"),
    "poisson_nll_loss": Case(lambda F: lambda x, y: F.poisson_nll_loss(
        x, y, False, reduction="sum"), (P01, LOSS_COUNTS), "poisson_nll_loss"),
    "ctc_loss": Case(lambda F: lambda z, *rest: F.ctc_loss(F.log_softmax(z, dim=2), *rest,
                                                           reduction="none"),
                     (CTC_LOGITS, CTC_TARGETS, CTC_INPUT_LENGTHS, CTC_TARGET_LENGTHS),
                     "ctc_loss"),
    # (fractional pools: PyTorch's _random_samples given, so that both pool the same windows)
    "fractional_max_pool2d": Case(lambda F: lambda x: F.fractional_max_pool2d(
        x, 3, (4, 5), _random_samples=x.new_tensor(FRACPOOL_S2)), (FRACPOOL_IMG,),
        "fractional_max_pool2d"),
    "fractional_max_pool2d_with_indices": Case(
        lambda F: lambda x: F.fractional_max_pool2d_with_indices(
            x[1], (2, 3), output_ratio=(0.5, 0.75), _random_samples=x.new_tensor(FRACPOOL_S2))[0],
        (FRACPOOL_IMG,), "fractional_max_pool2d_with_indices"),
    "fractional_max_pool3d": Case(lambda F: lambda x: F.fractional_max_pool3d(
        x, 2, (3, 4, 3), _random_samples=x.new_tensor(FRACPOOL_S3)), (FRACPOOL_VOL,),
        "fractional_max_pool3d"),
    "fractional_max_pool3d_with_indices": Case(
        lambda F: lambda x: F.fractional_max_pool3d_with_indices(
            x[0], (3, 2, 2), 2, _random_samples=x.new_tensor(FRACPOOL_S3))[0], (FRACPOOL_VOL,),
        "fractional_max_pool3d_with_indices"),
    # (every tensor differentiated: projections, bias_k and bias_v, a key and value of zeros,
    # the output (L, N, E) and the weights (N, L, S) side by side, (L, N, E + S); then
    # separate projections, a key padding mask, no weights)
    "multi_head_attention_forward": Case(lambda F: lambda q, k, v, w, b, bk, bv, wo, bo: (
        lambda out, weights: F.pad(out, (0, 7)) + F.pad(weights.transpose(0, 1), (4, 0)))(
            *F.multi_head_attention_forward(q, k, v, 4, 2, w, b, bk, bv, True, 0.0, wo, bo)),
        (ATT_Q, ATT_KV, ATT_KV[::-1].copy(), FRACPOOL_W_IN, FRACPOOL_B_IN, FRACPOOL_BIAS_K,
         FRACPOOL_BIAS_V, FRACPOOL_W_OUT, FRACPOOL_B_OUT), "multi_head_attention_forward"),
    "multi_head_attention_forward separate": Case(
        lambda F: lambda q, k, v, wk, wv, b, wo, bo, m: F.multi_head_attention_forward(
            q, k, v, 4, 2, None, b, None, None, False, 0.0, wo, bo, key_padding_mask=m,
            need_weights=False, use_separate_proj_weight=True, q_proj_weight=wo.T,
            k_proj_weight=wk, v_proj_weight=wv)[0],
        (ATT_Q, FRACPOOL_K3, FRACPOOL_V5, FRACPOOL_WK, FRACPOOL_WV, FRACPOOL_B_IN,
         FRACPOOL_W_OUT, FRACPOOL_B_OUT, FRACPOOL_PADDING), "multi_head_attention_forward"),
    # (deprecated: interpolate's values, with PyTorch's warning)
    "upsample": Case(lambda F: lambda x: F.upsample(x, scale_factor=2, mode="bilinear"), (IMG,),
                     "upsample"),
    "upsample_nearest": Case(lambda F: lambda x: F.upsample_nearest(x, (5, 7)), (IMG,),
                             "upsample_nearest"),
    "upsample_bilinear": Case(lambda F: lambda x: F.upsample_bilinear(x, scale_factor=2),
                              (IMG,), "upsample_bilinear"),
}


def module_classes() -> set[str]:
    return {name for name in nn.__all__ if isinstance(getattr(nn, name), type)
            and issubclass(getattr(nn, name), nn.Module)}


def named(table: dict) -> set[str]:
    """The layers or functions a table covers: its keys up to a variant's space."""
    return {key.split(" ")[0] for key in table}


@pytest.mark.parametrize("table, exempt, exported, where", [
    (LAYERS, EXEMPT_LAYERS, module_classes(), "tg.nn's Module classes"),
    (FUNCTIONS, EXEMPT_FUNCTIONS, set(F.__all__), "tg.nn.functional.__all__")])
def test_every_layer_and_function_has_an_entry(table, exempt, exported, where):
    missing = exported - named(table) - set(exempt)
    assert not missing, f"{where} without a gradient check in the table: {sorted(missing)}"
    stale = (named(table) | set(exempt)) - exported
    assert not stale, f"entries naming what is not in {where}: {sorted(stale)}"
    assert not named(table) & set(exempt), "an entry both checked and exempt"


def build(table: dict, key: str, library: Any) -> Callable:
    """The entry's callable in `library` (tg's or torch's nn, or F): layers get generic
    parameters (not 1s and 0s) from a fixed seed, the same in every run."""
    made = table[key].make(library)
    if isinstance(made, nn.Module):
        state = made.state_dict()
        rng = np.random.default_rng(sum(map(ord, key)))
        for name, parameter in made.named_parameters():
            state[name] = rng.uniform(0.5, 1.5, parameter.shape) * rng.choice([-1, 1],
                                                                              parameter.shape)
        made.load_state_dict(state)
    return made


def leaves(arrays) -> list[Tensor]:
    """The arrays as tensors: the float ones leaves that need a gradient, the integer ones
    (class indices, rows) kept integer."""
    return [Tensor(a, requires_grad=True) if a.dtype.kind == "f" else tg.as_tensor(a)
            for a in arrays]


def parts(out: Any) -> list:
    """A layer's output as a list of tensors, nested tuples (LSTM's (output, (h_n, c_n)))
    flattened: ours or PyTorch's."""
    return [t for part in out for t in parts(part)] if isinstance(out, tuple) else [out]


def flat(out: Any) -> Tensor:
    """One tensor of a layer's output: a tuple (RNN's output and last state) concatenated."""
    return tg.cat([part.reshape(-1) for part in parts(out)]) if isinstance(out, tuple) else out


def through_parameters(module: nn.Module, count: int) -> Callable:
    """`module` as a function of its inputs (the first `count` arguments) and then of its
    parameters: each parameter is replaced for the call by the tensor given in its place
    (`del` frees the parameter's name, as PyTorch's functional_call does), then restored."""
    owners = dict(module.named_modules())
    names = [name for name, _ in module.named_parameters()]

    def call(*arguments):
        replaced = []
        for name, value in zip(names, arguments[count:]):
            prefix, _, attribute = name.rpartition(".")
            owner = owners[prefix]
            replaced.append((owner, attribute, getattr(owner, attribute)))
            delattr(owner, attribute)
            setattr(owner, attribute, value)
        try:
            return flat(module(*arguments[:count]))
        finally:
            for owner, attribute, parameter in replaced:
                delattr(owner, attribute)
                setattr(owner, attribute, parameter)
    return call


@pytest.mark.parametrize("key", sorted(LAYERS))
def test_layer_passes_gradcheck_for_its_inputs_and_parameters(key):
    layer = build(LAYERS, key, nn)
    inputs = leaves(LAYERS[key].inputs)
    parameters = [Tensor(p.data, requires_grad=True) for p in layer.parameters()]
    as_function = through_parameters(layer, len(inputs))
    assert tg.gradcheck(as_function, inputs + parameters)
    if not parameters:
        return
    # the tensors given in the parameters' place are the ones used: their gradients are
    # the parameters' own from a plain backward(), and not zero
    given = tg.autograd.grad(as_function(*inputs, *parameters).sum(), parameters)
    flat(layer(*inputs)).sum().backward()
    for (name, parameter), gradient in zip(layer.named_parameters(), given):
        assert gradient.data.any(), name
        np.testing.assert_allclose(gradient.data, parameter.grad.data, rtol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_function_passes_gradcheck_for_its_float_inputs(key):
    assert tg.gradcheck(build(FUNCTIONS, key, F), leaves(FUNCTIONS[key].inputs))


def with_torch_cases(table: dict) -> list:
    return sorted(key for key, case in table.items() if case.torch)


def compare_with_torch(case: Case, ours: Callable, theirs: Callable) -> None:
    """Runs both on the entry's inputs, compares outputs and the inputs' gradients of one
    backward pass seeded with the same random weights."""
    torch = pytest.importorskip("torch")
    mine = leaves(case.inputs)
    references = [torch.tensor(a, requires_grad=a.dtype.kind == "f" and i not in
                               case.torch_constant) for i, a in enumerate(case.inputs)]
    out, expected = ours(*mine), theirs(*references)
    pairs = list(zip(parts(out), parts(expected)))
    assert len(pairs) == len(parts(expected)) == len(parts(out))
    rng = np.random.default_rng(0)
    our_loss, their_loss = 0.0, 0.0
    for part, reference in pairs:
        assert part.shape == tuple(reference.shape) and part.dtype == np.float64
        np.testing.assert_allclose(part.data, reference.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        weights = rng.standard_normal(part.shape)
        our_loss = our_loss + (part * weights).sum()
        their_loss = their_loss + (reference * torch.tensor(weights)).sum()
    our_loss.backward()
    their_loss.backward()
    for i, (leaf, reference) in enumerate(zip(mine, references)):
        if reference.requires_grad:
            np.testing.assert_allclose(leaf.grad.data, reference.grad.numpy(), rtol=case.rtol,
                                       atol=1e-12, err_msg=f"input {i}")


@pytest.mark.torch
@pytest.mark.parametrize("key", with_torch_cases(LAYERS))
def test_layer_agrees_with_pytorch_with_its_weights(key):
    torch = pytest.importorskip("torch")
    ours = build(LAYERS, key, nn)
    theirs = LAYERS[key].make(torch.nn).double()
    assert type(theirs).__name__ == LAYERS[key].torch
    assert list(ours.state_dict()) == list(theirs.state_dict())  # PyTorch's names and order
    theirs.load_state_dict({name: torch.tensor(value)
                            for name, value in ours.state_dict().items()})
    compare_with_torch(LAYERS[key], ours, theirs)
    grads = {name: p.grad for name, p in ours.named_parameters()}
    for name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(grads[name].data, parameter.grad.numpy(),
                                   rtol=LAYERS[key].rtol, atol=1e-12, err_msg=name)
    for name, value in theirs.state_dict().items():  # running statistics updated alike
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-12,
                                   err_msg=name)


@pytest.mark.torch
@pytest.mark.parametrize("key", with_torch_cases(FUNCTIONS))
def test_function_agrees_with_pytorch(key):
    torch = pytest.importorskip("torch")
    assert hasattr(torch.nn.functional, FUNCTIONS[key].torch)
    compare_with_torch(FUNCTIONS[key], build(FUNCTIONS, key, F),
                       FUNCTIONS[key].make(torch.nn.functional))


# ------------------------------------------------------------------ at the kinks and far out

BIG = np.array([[800.0, -800.0, 0.5]])  # where exp overflows, and a plain value
SAME, APART = X[:2].copy(), X[:2] + np.array([[0.0] * 4, [0.5, -1.0, 0.25, 2.0]])


def edge(name: str, make: Callable, inputs: tuple, torch: str, **options: Any) -> Any:
    """An EDGES entry: a Case with its name as the test's id."""
    return pytest.param(Case(make, inputs, torch, **options), id=name)


# a function at its kinks (PyTorch's convention for the gradient there) or where exp
# overflows
EDGES = [
    edge("relu at 0", lambda F: F.relu, (np.array([0.0, -0.0, 1.0]),), "relu"),
    edge("leaky_relu at 0", lambda F: F.leaky_relu, (np.zeros(1),), "leaky_relu"),
    edge("hardtanh at its bounds", lambda F: lambda x: F.hardtanh(x, -0.5, 1.5),
         (np.array([-0.5, 1.5]),), "hardtanh"),
    edge("relu6 at 0 and 6", lambda F: F.relu6, (np.array([0.0, 6.0]),), "relu6"),
    edge("hardswish at -3 and 3", lambda F: F.hardswish, (np.array([-3.0, 3.0]),),
         "hardswish"),
    edge("threshold at the threshold", lambda F: lambda x: F.threshold(x, 0.1, 2.0),
         (np.array([0.1]),), "threshold"),
    edge("hardshrink at lambd", lambda F: F.hardshrink, (np.array([0.5, -0.5]),),
         "hardshrink"),
    edge("softshrink at lambd", lambda F: F.softshrink, (np.array([0.5, -0.5]),),
         "softshrink"),
    edge("elu at 0", lambda F: lambda x: F.elu(x, 0.5), (np.zeros(1),), "elu"),
    edge("l1_loss of equal values", lambda F: F.l1_loss, (X, X.copy()), "l1_loss"),
    edge("smooth_l1_loss at beta", lambda F: lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
         (np.array([0.5, -0.5, 0.0]), np.zeros(3)), "smooth_l1_loss"),
    edge("huber_loss at delta", lambda F: lambda x, y: F.huber_loss(x, y, delta=0.5),
         (np.array([0.5, -0.5, 0.0]), np.zeros(3)), "huber_loss"),
    edge("softplus far out", lambda F: F.softplus, (BIG,), "softplus"),
    edge("logsigmoid far out", lambda F: F.logsigmoid, (BIG,), "logsigmoid"),
    edge("silu far out", lambda F: F.silu, (BIG,), "silu"),
    edge("mish far out", lambda F: F.mish, (BIG,), "mish"),
    edge("gelu tanh far out", lambda F: lambda x: F.gelu(x, approximate="tanh"), (BIG,),
         "gelu"),
    edge("binary_cross_entropy_with_logits far out",
         lambda F: F.binary_cross_entropy_with_logits, (BIG, np.array([[0.3, 0.7, 1.0]])),
         "binary_cross_entropy_with_logits"),
    edge("log_softmax far apart", lambda F: lambda x: F.log_softmax(x, dim=1), (BIG * 2,),
         "log_softmax"),
    edge("softmax of -inf", lambda F: lambda x: F.softmax(x, dim=0),
         (np.array([-np.inf, 1.0, 2.0]),), "softmax"),
    edge("normalize of zeros", lambda F: lambda x: F.normalize(x, dim=0), (np.zeros(3),),
         "normalize"),
    edge("layer_norm of a constant", lambda F: lambda x: F.layer_norm(x, (3,)),
         (np.ones((2, 3)),), "layer_norm"),
    edge("pairwise_distance inf of a tie", lambda F: lambda a, b: F.pairwise_distance(
        a, b, np.inf, 0.0), (np.array([[1.0, -1.0]]), np.zeros((1, 2))), "pairwise_distance"),
    edge("pairwise_distance p=2 of equal rows", lambda F: lambda a, b: F.pairwise_distance(
        a, b, 2.0, 0.0), (SAME, APART), "pairwise_distance"),
    edge("pairwise_distance p=3 of equal rows", lambda F: lambda a, b: F.pairwise_distance(
        a, b, 3.0, 0.0), (SAME, APART), "pairwise_distance"),
    edge("pairwise_distance p=0.5 of equal entries", lambda F: lambda a, b:
         F.pairwise_distance(a, b, 0.5, 0.0), (X, X + (X > 0)), "pairwise_distance"),
    edge("binary_cross_entropy of a tiny probability", lambda F: F.binary_cross_entropy,
         (np.array([1e-20, 0.5]), np.array([1.0, 0.3])), "binary_cross_entropy"),
    # at the margin: the hinge passes the gradient there, the class margins do not
    edge("hinge_embedding_loss at the margin", lambda F: F.hinge_embedding_loss,
         (np.array([1.0, 0.5, 2.0]), np.array([-1, -1, 1])), "hinge_embedding_loss"),
    edge("multi_margin_loss at the margin", lambda F: F.multi_margin_loss,
         (np.array([[1.0, 0.0, 2.0, 0.5]]), np.array([0])), "multi_margin_loss"),
    edge("multilabel_margin_loss at the margin", lambda F: F.multilabel_margin_loss,
         (np.array([[1.0, 0.0, 2.0, 0.5]]), np.array([[0, -1, 0, 0]])),
         "multilabel_margin_loss"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", EDGES)
def test_function_at_its_edges_agrees_with_pytorch(case):
    torch = pytest.importorskip("torch")
    compare_with_torch(case, case.make(F), case.make(torch.nn.functional))


# each a fresh layer or generator with the same seed per call: the same mask for every
# finite difference of gradcheck
DROPOUTS_IN_TRAINING = {
    "Dropout": (lambda: nn.Dropout(0.4, seed=3), IMG),
    "Dropout1d": (lambda: nn.Dropout1d(0.4, seed=3), SEQ),
    "Dropout2d": (lambda: nn.Dropout2d(0.4, seed=3), IMG),
    "dropout": (lambda: lambda x: F.dropout(x, 0.4, generator=np.random.default_rng(3)), X),
    "dropout1d": (lambda: lambda x: F.dropout1d(x, generator=np.random.default_rng(3)), SEQ),
    "dropout2d": (lambda: lambda x: F.dropout2d(x, generator=np.random.default_rng(3)), IMG),
    "Dropout3d": (lambda: nn.Dropout3d(0.5, seed=3), MORE2_VOL),
    "dropout3d": (lambda: lambda x: F.dropout3d(x, generator=np.random.default_rng(3)), MORE2_VOL),
}


@pytest.mark.parametrize("name", sorted(DROPOUTS_IN_TRAINING))
def test_dropouts_in_training_pass_gradcheck_with_a_fixed_mask(name):
    make, array = DROPOUTS_IN_TRAINING[name]
    dropped = make()(array).data
    assert (dropped == 0).any() and (dropped != 0).any()  # a mask that drops some entries
    assert tg.gradcheck(lambda x: make()(x), [Tensor(array, requires_grad=True)])
