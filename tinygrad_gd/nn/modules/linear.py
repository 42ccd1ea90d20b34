"""PyTorch's `torch.nn.modules.linear` as a path: `Identity`, `Linear`, `Bilinear`,
`LazyLinear`, and `NonDynamicallyQuantizableLinear`, the class of MultiheadAttention's
out_proj, which PyTorch keeps only here (the same classes as `tg.nn`'s)."""
from ..lazy import LazyLinear
from ..layers import Identity, Linear, NonDynamicallyQuantizableLinear
from ..layers_more import Bilinear

__all__ = ["Bilinear", "Identity", "LazyLinear", "Linear", "NonDynamicallyQuantizableLinear"]
