"""`tg.distributions`: probability distributions with gradients, as PyTorch's
torch.distributions (first part).

    Normal, Uniform, Exponential, Laplace, Cauchy, Gumbel,     continuous.py
    HalfNormal, LogNormal
    Bernoulli, Geometric, Categorical, OneHotCategorical        discrete.py
    MultivariateNormal, Independent                             multivariate.py
    kl_divergence, register_kl                                  kl.py
    Distribution (the base: shapes, validation, sampling)       distribution.py
    constraints (the sets parameters and values live in)        constraints*.py

Every distribution has PyTorch's `batch_shape`, `event_shape`, `sample(sample_shape)`,
`log_prob`, `entropy`, `mean`, `mode`, `variance`, `stddev`, `expand`, `support`,
`arg_constraints` and (where PyTorch's has them) `rsample`, `cdf`, `icdf`,
`enumerate_support`. Parameters broadcast together (`Normal(tg.zeros(3), 1.0)`); float32
parameters give float32 results, anything else float64. Everything computed from the
parameters is made of Tensor ops, so gradients reach them through backward(): `rsample`
is reparameterized (a VAE's ELBO trains through it), `sample` is detached. Draws take
`generator=` or `seed=` (beyond PyTorch's arguments), else tg.manual_seed's generator.
Validation is on by default, as PyTorch's; a bad parameter or a value outside the
support is a one-line ValueError naming the distribution and the parameter.

The second part (they need lgamma and digamma, and the transforms):

    Poisson, Binomial, NegativeBinomial                         counts.py
    Gamma, Chi2, Beta, Dirichlet, StudentT                      gamma_family.py
    TransformedDistribution                                     transformed.py
    Transform, ComposeTransform, ExpTransform,                  transforms_basic.py
    AffineTransform, SigmoidTransform, TanhTransform,
    SoftmaxTransform, PowerTransform, AbsTransform,
    identity_transform (also here, as PyTorch's)
    SoftplusTransform, ReshapeTransform,                        transforms_more.py
    IndependentTransform, CatTransform, StackTransform,
    StickBreakingTransform, LowerCholeskyTransform,
    PositiveDefiniteTransform, CorrCholeskyTransform,
    CumulativeDistributionTransform
    biject_to, transform_to (constraint -> transform)           constraint_registry.py
    Multinomial, OneHotCategoricalStraightThrough               discrete_more.py
    ExponentialFamily (the base of Normal, Gamma, ...)          exponential_family.py
    RelaxedBernoulli, RelaxedOneHotCategorical (and             relaxed.py
    their bases LogitRelaxedBernoulli, ExpRelaxedCategorical)
    MixtureSameFamily                                           mixture.py
    Weibull, Pareto, HalfCauchy, InverseGamma, Kumaraswamy,     continuous_more.py
    LogisticNormal, VonMises, FisherSnedecor, GeneralizedPareto
    ContinuousBernoulli (and the kl rules of it and Pareto)     continuous_bernoulli.py
    LowRankMultivariateNormal (and its kl rules)                low_rank.py
    LKJCholesky, Wishart (and Wishart's kl rule)                matrix_distributions.py
    the rest of PyTorch's kl rules (Cauchy-Cauchy, ...)         kl_more.py

The module `transforms` has every transform, as torch.distributions.transforms.

HalfNormal, LogNormal and Gumbel are written out (the same values as PyTorch's
TransformedDistributions of a Normal or an Exponential).
"""
from . import constraints, constraints_more, transforms
# (PyTorch's constraints.less_than, ...: see constraints_more.py)
vars(constraints).update({name: getattr(constraints_more, name)
                         for name in constraints_more.__all__})
constraints.__all__ += constraints_more.__all__
from .continuous import Cauchy, Exponential, Gumbel, HalfNormal, Laplace, LogNormal, Normal, Uniform
from .discrete import Bernoulli, Categorical, Geometric, OneHotCategorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate import Independent, MultivariateNormal
from .counts import Binomial, NegativeBinomial, Poisson
from .gamma_family import Beta, Chi2, Dirichlet, Gamma, StudentT
from .transformed import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform,
                         PowerTransform, SigmoidTransform, SoftmaxTransform, TanhTransform,
                         Transform, identity_transform)
from .transforms_more import (CatTransform, CorrCholeskyTransform,
                              CumulativeDistributionTransform, IndependentTransform,
                              LowerCholeskyTransform, PositiveDefiniteTransform,
                              ReshapeTransform, SoftplusTransform, StackTransform,
                              StickBreakingTransform)
from .constraint_registry import biject_to, transform_to
from .exponential_family import ExponentialFamily
from .discrete_more import Multinomial, OneHotCategoricalStraightThrough
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from .mixture import MixtureSameFamily
from .continuous_more import (FisherSnedecor, GeneralizedPareto, HalfCauchy, InverseGamma,
                              Kumaraswamy, LogisticNormal, Pareto, VonMises, Weibull)
from .continuous_bernoulli import ContinuousBernoulli
from .low_rank import LowRankMultivariateNormal
from .matrix_distributions import LKJCholesky, Wishart
from . import kl_more  # noqa: F401  (registers its kl rules)

__all__ = ["constraints", "Distribution", "Normal", "Uniform", "Exponential", "Laplace",
           "Cauchy", "Gumbel", "HalfNormal", "LogNormal", "Bernoulli", "Geometric",
           "Categorical", "OneHotCategorical", "MultivariateNormal", "Independent",
           "kl_divergence", "register_kl",
           "Weibull", "Pareto", "HalfCauchy", "InverseGamma", "Kumaraswamy", "LogisticNormal",
           "VonMises", "FisherSnedecor", "GeneralizedPareto", "ContinuousBernoulli",
           "LowRankMultivariateNormal",
           "LKJCholesky", "Wishart",
           "Poisson", "Binomial", "NegativeBinomial", "Gamma", "Chi2", "Beta", "Dirichlet",
           "StudentT", "TransformedDistribution", "transforms", "Transform",
           "Multinomial", "OneHotCategoricalStraightThrough", "ExponentialFamily",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "MixtureSameFamily",
           "biject_to", "transform_to", "SoftplusTransform", "ReshapeTransform",
           "IndependentTransform", "CatTransform", "StackTransform",
           "StickBreakingTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "CorrCholeskyTransform", "CumulativeDistributionTransform",
           "ComposeTransform", "identity_transform", "ExpTransform", "AffineTransform",
           "SigmoidTransform", "TanhTransform", "SoftmaxTransform", "PowerTransform",
           "AbsTransform"]
