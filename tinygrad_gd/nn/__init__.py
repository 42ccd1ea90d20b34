"""`tg.nn`: models built from Modules, under PyTorch's names.

    module.py      Parameter (entry-wise freezing), Buffer, Module (parameters, buffers,
                   train/eval, requires_grad_, apply, to/float/double,
                   state_dict/load_state_dict, register_buffer/register_parameter/
                   add_module, forward hooks, __call__ -> forward)
    module_hooks.py  the forward hooks as PyTorch keeps them ({id: hook}) and runs them,
                   Module's repr (extra_repr and children as PyTorch prints them), and
                   ModuleHooks, Module's base: backward and state-dict hooks' registration
    module_backward_hooks.py  the full backward hooks and backward pre-hooks (nodes on
                   each side of a call whose backward calls them)
    global_hooks.py  the hooks of every module at once (PyTorch's {id: hook} dicts), run
                   before a module's own; `modules/module.py` registers them
                   (register_module_forward_hook and kin); `modules`: torch.nn.modules's path
                   (`modules/linear.py`: torch.nn.modules.linear's, with
                   NonDynamicallyQuantizableLinear)
    module_state.py  what state_dict (prefix=, destination=, keep_vars=) and
                   load_state_dict (strict=, assign=) do; IncompatibleKeys, StateDictError
    registration.py  the rules for names and for what may be assigned to a parameter's
                   or sub-module's name, the layers' dtype= and device= checks
    loss_checks.py the loss functions' argument checks and weighting
    layer_arguments.py  the argument checks nn's functions and layers share (one line
                   naming the function or layer), and the constants they make for
                   themselves, named for the diagrams
    tensor_settings.py  a number setting given as a 0-d tensor (ignore_index, padding_idx,
                   dropout's p) read as its number, as PyTorch reads it
    containers.py  Sequential (also of an OrderedDict), ModuleList, ModuleDict,
                   ParameterList, ParameterDict
    convolution.py Conv2d, Conv3d (dilation, groups, padding_mode), MaxPool2d/3d,
                   AvgPool2d/3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d (images and volumes,
                   a batch or one), the conv layers' base _ConvNd
    layers.py      Linear (weight (out, in), initialisations), ReLU, Sigmoid,
                   Tanh, LeakyReLU, Softmax, LogSoftmax, GELU, SiLU, ELU, Softplus,
                   Identity, Dropout, Flatten, LayerNorm, BatchNorm1d, BatchNorm2d
    embedding.py   Embedding (from_pretrained, max_norm, padding_idx)
    activations.py ReLU6, Hardtanh, Mish, Hardswish, Hardsigmoid, LogSigmoid, Softsign,
                   CELU, SELU, Tanhshrink, Softmin, GLU, PReLU, Threshold, Hardshrink,
                   Softshrink
    spatial.py     Dropout1d, Dropout2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d,
                   Conv1d, MaxPool1d, AvgPool1d (sequences: [batch,] channels, length),
                   Unflatten
    pooling.py     LPPool1d/2d/3d, MaxUnpool1d/2d/3d (and their F functions)
    padding.py     ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d, CircularPad1d/2d/3d,
                   ConstantPad1d/2d/3d, ZeroPad1d/2d/3d, and F.pad (PyTorch's modes and
                   rules; negative pads crop)
    layers_more.py InstanceNorm1d/2d/3d, BatchNorm3d, LocalResponseNorm, Bilinear,
                   EmbeddingBag, ChannelShuffle, Softmax2d, Dropout3d, AlphaDropout,
                   FeatureAlphaDropout, RReLU
    normalization.py GroupNorm, RMSNorm
    lazy.py        LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d,
                   LazyBatchNorm1d/2d/3d, LazyInstanceNorm1d/2d/3d (the input's size read at
                   the first call, then the plain class)
    uninitialized.py  UninitializedParameter/Buffer (a lazy module's tensors until its
                   first call; their values an empty array), is_lazy
    distance.py    CosineSimilarity, PairwiseDistance
    fractional_pooling.py  FractionalMaxPool2d/3d (and F.fractional_max_pool2d/3d)
    adaptive_softmax.py    AdaptiveLogSoftmaxWithLoss (forward: (output, loss))
    layer_aliases.py  RNNBase, RNNCellBase (the recurrent layers' and cells' bases),
                   NLLLoss2d, Container (PyTorch's deprecated ones)
    recurrent.py   RNNCell, RNN (tanh or relu, stacked layers, batch_first, bidirectional),
                   and the one loop over a sequence LSTM and GRU run too
    recurrent_gated.py  LSTMCell, GRUCell, LSTM (proj_size), GRU
    transposed.py  ConvTranspose1d/2d/3d (weight (in, out/groups, k...),
                   forward's output_size=), Unfold, Fold
    resampling.py  Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle,
                   PixelUnshuffle (and F.interpolate, F.pixel_shuffle, F.pixel_unshuffle;
                   antialiasing.py: interpolate(antialias=True)'s weights)
    transformer.py MultiheadAttention (F.multi_head_attention_forward's computation,
                   attention_forward.py; boolean masks: True is NOT allowed),
                   TransformerEncoderLayer, TransformerEncoder (attention_checks.py:
                   the masks' checks the encoder and the decoder share)
    transformer_decoder.py  TransformerDecoderLayer, TransformerDecoder, Transformer
                   (Transformer.generate_square_subsequent_mask: the causal mask)
    loss.py        SSELoss, HalfSSELoss, MSELoss, L1Loss, HuberLoss, SmoothL1Loss, BCELoss,
                   BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss, KLDivLoss
    loss_more.py   MarginRankingLoss, HingeEmbeddingLoss, SoftMarginLoss,
                   MultiLabelSoftMarginLoss, CosineEmbeddingLoss, MultiMarginLoss,
                   MultiLabelMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss,
                   GaussianNLLLoss, PoissonNLLLoss, CTCLoss
    loss_linear.py LinearCrossEntropyLoss (a Linear and cross-entropy in one layer)
    functional.py  the same as functions: `from tinygrad_gd.nn import functional as F`
                   (activation_functions.py: the activations taking inplace=;
                   layer_functions.py: layer_norm, batch_norm, group_norm, rms_norm;
                   embedding_functions.py: embedding and the embedding layers' checks,
                   max_norm, scale_grad_by_freq; spatial_functions.py: dropout1d/2d,
                   the adaptive pools, conv1d, max_pool1d, avg_pool1d, the *_with_indices pools;
                   transposed_functions.py: conv_transpose1d, conv_transpose2d, unfold,
                   fold; attention.py: scaled_dot_product_attention, boolean masks True
                   where a key takes part; margin_losses.py, likelihood_losses.py, ctc.py:
                   the margin, embedding, triplet, Gaussian and Poisson losses, ctc_loss;
                   layer_functions_more.py: instance_norm, local_response_norm, bilinear,
                   channel_shuffle, pdist, embedding_bag; random_functions.py: dropout3d,
                   alpha_dropout, feature_alpha_dropout, rrelu, gumbel_softmax;
                   in_place_functions.py: relu_, elu_, selu_, ... outside any graph;
                   activations_from_output.py: elu_, selu_, celu_, leaky_relu_, rrelu_
                   in a graph, their slope taken from their output, as PyTorch's;
                   volumetric_functions.py: conv3d, max_pool3d, avg_pool3d, the 3-d
                   adaptive pools; grid_sampling.py: affine_grid, grid_sample, the
                   spatial transformer's sampler; functional_more2.py:
                   native_channel_shuffle, linear_cross_entropy; kernel_functions.py:
                   conv_tbc, grouped_mm, and scaled_mm refused)
    init.py        PyTorch's nn.init: xavier_uniform_, kaiming_normal_, zeros_... in place
    parameter_reset.py  what the layers' reset_parameters share (PyTorch's starting
                   values again, in place; each constructor starts by it)
    grad.py        PyTorch's nn.grad: conv1d/2d/3d_input and _weight (a convolution's
                   gradients, for your own Function's backward)
    utils/         clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_,
                   parameters_to_vector, vector_to_parameters; rnn.py: PackedSequence,
                   pack_padded_sequence, pad_packed_sequence, pad_sequence, ...;
                   parametrize.py, parametrizations.py: register_parametrization,
                   weight_norm, spectral_norm, orthogonal; norm_hooks.py: the older
                   weight_norm/spectral_norm; fusion.py: fuse_conv_bn_eval, ...

Everything is composed of Tensor ops: gradients come from `backward()`.
"""
from . import functional, grad, init, utils
from . import functional_more2  # (made of F's linear and cross_entropy: added to F here)
functional.native_channel_shuffle = functional_more2.native_channel_shuffle
functional.linear_cross_entropy = functional_more2.linear_cross_entropy
functional.__all__ += functional_more2.__all__
from . import kernel_functions  # (made of conv1d and matmul: added to F here)
functional.conv_tbc, functional.grouped_mm = kernel_functions.conv_tbc, kernel_functions.grouped_mm
functional.scaled_mm = kernel_functions.scaled_mm  # (refused: float8)
functional.scaled_grouped_mm = kernel_functions.scaled_grouped_mm
functional.__all__ += kernel_functions.__all__
from .adaptive_softmax import AdaptiveLogSoftmaxWithLoss
from .activations import (CELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh,
                          LogSigmoid, Mish, PReLU, ReLU6, Softmin, Softshrink, Softsign,
                          Tanhshrink, Threshold)
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList
from .convolution import AvgPool2d, Conv2d, MaxPool2d
from .convolution import (AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, Conv3d,
                          MaxPool3d)
from .distance import CosineSimilarity, PairwiseDistance
from .embedding import Embedding
from .fractional_pooling import FractionalMaxPool2d, FractionalMaxPool3d
from .layers import (ELU, GELU, INITS, BatchNorm1d, BatchNorm2d, Dropout, Flatten, Identity,
                     LayerNorm, LeakyReLU, Linear, LogSoftmax, ReLU, Sequential, Sigmoid, SiLU,
                     Softmax, Softplus, Tanh)
from .layer_aliases import Container, NLLLoss2d, RNNBase, RNNCellBase
from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d,
                   LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d,
                   LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear,
                   UninitializedBuffer, UninitializedParameter)
from .layers_more import (AlphaDropout, BatchNorm3d, Bilinear, ChannelShuffle, Dropout3d,
                          EmbeddingBag, FeatureAlphaDropout, InstanceNorm1d, InstanceNorm2d,
                          InstanceNorm3d, LocalResponseNorm, RReLU, Softmax2d)
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HalfSSELoss, HuberLoss,
                   KLDivLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss, SSELoss)
from .loss_linear import LinearCrossEntropyLoss
from .loss_more import (CosineEmbeddingLoss, CTCLoss, GaussianNLLLoss, HingeEmbeddingLoss,
                        MarginRankingLoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss,
                        MultiMarginLoss, PoissonNLLLoss, SoftMarginLoss, TripletMarginLoss,
                        TripletMarginWithDistanceLoss)
from .module import Buffer, IncompatibleKeys, Module, Parameter
from .normalization import GroupNorm, RMSNorm
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d,
                      ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d,
                      ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
                      ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .pooling import LPPool1d, LPPool2d, MaxUnpool1d, MaxUnpool2d
from .pooling import LPPool3d, MaxUnpool3d
from .recurrent import RNN, RNNCell
from .recurrent_gated import GRU, LSTM, GRUCell, LSTMCell
from .resampling import (PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d,
                         UpsamplingNearest2d)
from .spatial import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d,
                      AdaptiveMaxPool2d, AvgPool1d, Conv1d, Dropout1d, Dropout2d, MaxPool1d,
                      Unflatten)
from .transposed import ConvTranspose1d, ConvTranspose2d, Fold, Unfold
from .transposed import ConvTranspose3d
from .transformer import MultiheadAttention, TransformerEncoder, TransformerEncoderLayer
from .transformer_decoder import Transformer, TransformerDecoder, TransformerDecoderLayer

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Buffer", "IncompatibleKeys",
    "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Linear", "INITS",
    "Sequential", "ReLU", "Sigmoid", "Tanh",
    "LeakyReLU", "Softmax", "LogSoftmax", "GELU", "SiLU", "ELU", "Softplus", "Identity",
    "Dropout", "Flatten", "Embedding", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "Conv2d",
    "MaxPool2d", "AvgPool2d", "ReLU6", "Hardtanh", "Mish", "Hardswish", "Hardsigmoid",
    "LogSigmoid", "Softsign", "CELU", "SELU", "Tanhshrink", "Softmin", "GLU", "PReLU",
    "SSELoss", "HalfSSELoss", "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "Dropout1d",
    "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
    "CosineEmbeddingLoss", "MultiMarginLoss", "MultiLabelMarginLoss", "TripletMarginLoss",
    "TripletMarginWithDistanceLoss", "GaussianNLLLoss", "PoissonNLLLoss", "CTCLoss",
    "LinearCrossEntropyLoss",
    "Dropout2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Conv1d", "MaxPool1d", "AvgPool1d",
    "Unflatten", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "GroupNorm", "RMSNorm",
    "Threshold", "Hardshrink", "Softshrink", "CosineSimilarity", "PairwiseDistance",
    "RNNCell", "RNN", "LSTMCell", "GRUCell", "LSTM", "GRU",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
    "TransformerDecoderLayer", "TransformerDecoder", "Transformer",
    "ConvTranspose1d", "ConvTranspose2d", "Unfold", "Fold",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "BatchNorm3d", "Dropout3d",
    "LocalResponseNorm", "Bilinear", "EmbeddingBag", "ChannelShuffle", "Softmax2d",
    "AlphaDropout", "FeatureAlphaDropout", "RReLU",
    "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "LPPool1d", "LPPool2d", "MaxUnpool1d",
    "MaxUnpool2d",
    "Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d", "LPPool3d", "MaxUnpool3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "ZeroPad1d", "ZeroPad3d", "ConstantPad3d",
    "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
    "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
    "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
    "UninitializedParameter", "UninitializedBuffer",
    "FractionalMaxPool2d", "FractionalMaxPool3d", "AdaptiveLogSoftmaxWithLoss", "RNNBase",
    "RNNCellBase", "NLLLoss2d", "Container",
    "grad", "modules",
]

from . import modules  # noqa: E402  (torch.nn.modules as a path: made of the names above)
