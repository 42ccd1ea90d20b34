"""`tg.distributions`: probability distributions with gradients, as PyTorch's
torch.distributions (first part).

    Normal, Uniform, Exponential, Laplace, Cauchy, Gumbel,     continuous.py
    HalfNormal, LogNormal
    Bernoulli, Geometric, Categorical, OneHotCategorical        discrete.py
    MultivariateNormal, Independent                             multivariate.py
    kl_divergence, register_kl                                  kl.py
    Distribution (the base: shapes, validation, sampling)       distribution.py
    constraints (the sets parameters and values live in)        constraints.py

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

Not here yet: Poisson, Binomial, Gamma, Beta, Dirichlet, StudentT (they need lgamma and
digamma), the transforms (HalfNormal, LogNormal and Gumbel are written out instead of
being TransformedDistributions).
"""
from . import constraints
from .continuous import Cauchy, Exponential, Gumbel, HalfNormal, Laplace, LogNormal, Normal, Uniform
from .discrete import Bernoulli, Categorical, Geometric, OneHotCategorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate import Independent, MultivariateNormal

__all__ = ["constraints", "Distribution", "Normal", "Uniform", "Exponential", "Laplace",
           "Cauchy", "Gumbel", "HalfNormal", "LogNormal", "Bernoulli", "Geometric",
           "Categorical", "OneHotCategorical", "MultivariateNormal", "Independent",
           "kl_divergence", "register_kl"]
