"""`tg.distributions.transforms`: every transform, as PyTorch's
torch.distributions.transforms (`from tinygrad_gd.distributions.transforms import
StickBreakingTransform` as there): the base `Transform` and the first ones are
transforms_basic.py's, the others transforms_more.py's.
"""
from .transforms_basic import (AbsTransform, AffineTransform, ComposeTransform,
                               ExpTransform, PowerTransform, SigmoidTransform,
                               SoftmaxTransform, TanhTransform, Transform, identity_transform)
from .transforms_more import (CatTransform, CorrCholeskyTransform,
                              CumulativeDistributionTransform, IndependentTransform,
                              LowerCholeskyTransform, PositiveDefiniteTransform, ReshapeTransform,
                              SoftplusTransform, StackTransform, StickBreakingTransform)

__all__ = ["Transform", "ComposeTransform", "identity_transform", "ExpTransform",
           "PowerTransform", "SigmoidTransform", "TanhTransform", "AbsTransform",
           "AffineTransform", "SoftmaxTransform", "SoftplusTransform", "ReshapeTransform",
           "IndependentTransform", "CatTransform", "StackTransform", "StickBreakingTransform",
           "LowerCholeskyTransform", "PositiveDefiniteTransform", "CorrCholeskyTransform",
           "CumulativeDistributionTransform"]
