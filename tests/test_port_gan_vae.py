"""Two PyTorch programs ported as a user would, beside torch 2.13 with the same weights, data
and order: a DCGAN on 16x16 images (ConvTranspose2d with stride 2 and padding 1,
BatchNorm2d in train mode, ReLU, Tanh; Conv2d, LeakyReLU(0.2), BatchNorm2d, Sigmoid,
BCELoss; Adam(lr=2e-4, betas=(0.5, 0.999)) for each, the fake batch detached for the
discriminator) and a convolutional VAE (Flatten/Unflatten, the reparameterisation with a
fixed eps, BCE-with-logits summed + KL). Losses and every parameter and buffer equal after
each step (float64, and float32 kept), and the outputs in eval mode under no_grad. Then
what the port met: Adam's and AdamW's torch 2.13 keywords (capturable=, differentiable=,
fused=, Adam's decoupled_weight_decay=), and the stale-gradient warning pointing at the
user's backward() line, not inside the package.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.nn import functional as F

NZ, NGF, NDF, LATENT = 8, 16, 8, 4
RNG = np.random.default_rng(17)


def _dcgan(lib, nz=NZ, ngf=NGF, ndf=NDF, side=16):
    """(generator, discriminator): the DCGAN example's layers, sized for side x side."""
    n = lib.nn
    up = [n.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), n.BatchNorm2d(ngf),
          n.ReLU(True)] if side == 16 else []
    generator = n.Sequential(
        n.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), n.BatchNorm2d(ngf * 2),
        n.ReLU(True), *up,
        n.ConvTranspose2d(ngf if up else ngf * 2, 1, 4, 2, 1, bias=False), n.Tanh())
    down = [n.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), n.BatchNorm2d(ndf * 2),
            n.LeakyReLU(0.2, inplace=True)] if side == 16 else [n.BatchNorm2d(ndf)]
    discriminator = n.Sequential(
        n.Conv2d(1, ndf, 4, 2, 1, bias=False), n.LeakyReLU(0.2, inplace=True), *down,
        n.Conv2d(ndf * 2 if side == 16 else ndf, 1, 4, 1, 0, bias=False), n.Sigmoid())
    return generator, discriminator


class _Vae:
    """The VAE's two halves and its steps, written once for either library."""

    def __init__(self, lib, c1=8, c2=16, side=16):
        n, self.lib, q = lib.nn, lib, side // 4
        self.model = n.ModuleDict({
            "encoder": n.Sequential(
                n.Conv2d(1, c1, 3, stride=2, padding=1), n.ReLU(),
                n.Conv2d(c1, c2, 3, stride=2, padding=1), n.ReLU(), n.Flatten(),
                n.Linear(c2 * q * q, 2 * LATENT)),
            "decoder": n.Sequential(
                n.Linear(LATENT, c2 * q * q), n.Unflatten(1, (c2, q, q)), n.ReLU(),
                n.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), n.ReLU(),
                n.ConvTranspose2d(c1, 1, 4, stride=2, padding=1))})

    def loss(self, x, eps):
        lib = self.lib
        mu, logvar = lib.chunk(self.model["encoder"](x), 2, dim=1)
        z = mu + eps * lib.exp(0.5 * logvar)
        recon = self.model["decoder"](z)
        bce = lib.nn.functional.binary_cross_entropy_with_logits(recon, x, reduction="sum")
        return bce - 0.5 * lib.sum(1 + logvar - mu.pow(2) - logvar.exp())


def _state(model):
    """{name: array} of either library's state_dict (ours holds NumPy copies already)."""
    return {k: v.numpy().copy() if hasattr(v, "numpy") else v
            for k, v in model.state_dict().items()}


def _same_weights(torch, ours, theirs, dtype):
    """Our modules given torch's initial weights, both in `dtype`."""
    for a, b in zip(ours, theirs):
        b.to(torch.float64 if dtype == np.float64 else torch.float32)
        a.to(tg.float64 if dtype == np.float64 else tg.float32)
        a.load_state_dict({k: v.detach().numpy() for k, v in b.state_dict().items()})


def _gan_steps(lib, generator, discriminator, reals, noises, dtype):
    """The DCGAN example's loop: (errD, errG, G's state, D's state) after each step."""
    criterion = lib.nn.BCELoss()
    opt_d = lib.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = lib.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    dtype = getattr(lib, np.dtype(dtype).name)
    record = []
    for real, noise in zip(reals, noises):
        real, noise = lib.tensor(real, dtype=dtype), lib.tensor(noise, dtype=dtype)
        discriminator.zero_grad()
        label = lib.full((real.size(0),), 1.0, dtype=real.dtype)
        err_real = criterion(discriminator(real).view(-1, 1).squeeze(1), label)
        err_real.backward()
        fake = generator(noise)
        label.fill_(0.0)
        err_fake = criterion(discriminator(fake.detach()).view(-1), label)
        err_fake.backward()
        opt_d.step()
        generator.zero_grad()
        label.fill_(1.0)
        err_g = criterion(discriminator(fake).view(-1), label)
        err_g.backward()  # (D's .grad gets this pass too; D.zero_grad() clears it next step)
        opt_g.step()
        record.append(((err_real + err_fake).item(), err_g.item(), _state(generator),
                       _state(discriminator)))
    return record


def _assert_same(ours, theirs, dtype, what):
    tolerance = dict(rtol=1e-10, atol=1e-13) if dtype == np.float64 else dict(rtol=1e-5,
                                                                               atol=1e-6)
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), what
        for name in theirs:
            assert ours[name].dtype == theirs[name].dtype, (what, name)
            np.testing.assert_allclose(ours[name], theirs[name], err_msg=f"{what} {name}",
                                       **tolerance)
    else:
        np.testing.assert_allclose(ours, theirs, err_msg=what, **tolerance)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dcgan_trains_as_pytorchs_step_by_step(dtype):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs, ours = _dcgan(torch), _dcgan(tg)
    _same_weights(torch, ours, theirs, dtype)
    reals = [np.tanh(RNG.standard_normal((4, 1, 16, 16))).astype(dtype) for _ in range(5)]
    noises = [RNG.standard_normal((4, NZ, 1, 1)).astype(dtype) for _ in range(5)]
    expected = _gan_steps(torch, *theirs, reals, noises, dtype)
    for step, (got, want) in enumerate(zip(_gan_steps(tg, *ours, reals, noises, dtype),
                                           expected)):
        for part, a, b in zip(("errD", "errG", "G", "D"), got, want):
            _assert_same(a, b, dtype, f"step {step} {part}")
    for model in ours + theirs:
        model.eval()  # the running statistics now
    with tg.no_grad():
        out = ours[1](ours[0](Tensor(noises[0])))
    with torch.no_grad():
        want = theirs[1](theirs[0](torch.tensor(noises[0])))
    assert out.dtype == dtype and not out.requires_grad
    _assert_same(out.numpy(), want.numpy(), dtype, "eval output")


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_convolutional_vae_trains_and_decodes_as_pytorchs(dtype):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs, ours = _Vae(torch), _Vae(tg)
    _same_weights(torch, [ours.model], [theirs.model], dtype)
    images = [(RNG.random((4, 1, 16, 16)) < 0.3).astype(dtype) for _ in range(5)]
    epss = [RNG.standard_normal((4, LATENT)).astype(dtype) for _ in range(5)]
    for vae, lib in ((ours, tg), (theirs, torch)):
        vae.optimizer = lib.optim.Adam(vae.model.parameters(), lr=1e-3)
        vae.model.train()
    for step, (x, eps) in enumerate(zip(images, epss)):
        losses = []
        for vae, lib in ((ours, tg), (theirs, torch)):
            vae.optimizer.zero_grad()
            loss = vae.loss(lib.from_numpy(x), lib.from_numpy(eps))
            loss.backward()
            vae.optimizer.step()
            losses.append(loss.item())
        _assert_same(*losses, dtype, f"step {step} loss")
        _assert_same(_state(ours.model), _state(theirs.model), dtype, f"step {step}")
    latents = RNG.standard_normal((3, LATENT)).astype(dtype)
    samples = []
    for vae, lib in ((ours, tg), (theirs, torch)):
        vae.model.eval()
        with lib.no_grad():
            samples.append(lib.sigmoid(vae.model["decoder"](lib.from_numpy(latents))))
    assert samples[0].dtype == dtype and not samples[0].requires_grad
    _assert_same(samples[0].numpy(), samples[1].numpy(), dtype, "decoded latents")


@pytest.mark.torch
def test_vae_decodes_an_empty_batch_of_latents_as_pytorch():
    torch = pytest.importorskip("torch")
    for vae, lib in ((_Vae(tg), tg), (_Vae(torch), torch)):
        vae.model.eval()
        with lib.no_grad():
            assert tuple(vae.model["decoder"](lib.zeros(0, LATENT)).shape) == (0, 1, 16, 16)


def _through_parameters(model, x, loss_of):
    """The function of (input, *parameters) that gradcheck perturbs: the model called
    with those values in its parameters' places."""
    names = [name for name, _ in model.named_parameters()]

    def function(x, *values):
        return loss_of(tg.func.functional_call(model, dict(zip(names, values)), (x,)))
    return function, [x] + [Tensor(p.data.copy(), requires_grad=True)
                            for p in model.parameters()]


def test_dcgan_generator_step_passes_gradcheck_through_both_networks():
    # errG = BCE(D(G(z)), 1): BatchNorm2d in train mode in both, w.r.t. z and G's weights
    generator, discriminator = _dcgan(tg, nz=2, ngf=2, ndf=2, side=8)
    z = Tensor(RNG.standard_normal((3, 2, 1, 1)), requires_grad=True)
    ones = tg.ones(3)
    function, inputs = _through_parameters(
        generator, z, lambda fake: F.binary_cross_entropy(discriminator(fake).view(-1), ones))
    assert tg.gradcheck(function, inputs)


def test_dcgan_discriminator_step_passes_gradcheck():
    _, discriminator = _dcgan(tg, ndf=2, side=8)
    images = Tensor(np.tanh(RNG.standard_normal((3, 1, 8, 8))), requires_grad=True)
    labels = Tensor([1.0, 0.0, 1.0])
    function, inputs = _through_parameters(
        discriminator, images, lambda p: nn.BCELoss()(p.view(-1), labels))
    assert tg.gradcheck(function, inputs)


def test_vae_loss_passes_gradcheck_through_every_weight():
    loss = _Loss(_Vae(tg, c1=2, c2=2, side=8))
    x = Tensor((RNG.random((2, 1, 8, 8)) < 0.3).astype(float))
    eps = Tensor(RNG.standard_normal((2, LATENT)), requires_grad=True)
    names = [name for name, _ in loss.named_parameters()]

    def function(eps, *values):
        return tg.func.functional_call(loss, dict(zip(names, values)), (x, eps))
    assert tg.gradcheck(function, [eps] + [Tensor(p.data.copy(), requires_grad=True)
                                           for p in loss.parameters()])


class _Loss(nn.Module):
    """The VAE's loss as a module (its weights under "model."), for functional_call."""

    def __init__(self, vae):
        super().__init__()
        self.model, self._vae = vae.model, vae

    def forward(self, x, eps):
        return self._vae.loss(x, eps)


@pytest.mark.torch
@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_relu_and_leaky_relu_gradients_at_a_tie_are_pytorchs(slope):
    torch = pytest.importorskip("torch")
    values = np.array([-1.0, 0.0, 0.0, 2.0])
    ours = Tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    layer = nn.LeakyReLU(slope) if slope else nn.ReLU()
    their_layer = torch.nn.LeakyReLU(slope) if slope else torch.nn.ReLU()
    layer(ours).sum().backward()
    their_layer(theirs).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.torch
def test_bce_loss_at_saturated_predictions_is_pytorchs():
    # a discriminator sure of itself: log clamped at -100, the gradient kept finite
    torch = pytest.importorskip("torch")
    p, y = np.array([0.0, 1.0, 1.0, 0.0, 0.5]), np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    ours = Tensor(p, requires_grad=True)
    theirs = torch.tensor(p, requires_grad=True)
    loss, want = nn.BCELoss()(ours, Tensor(y)), torch.nn.BCELoss()(theirs, torch.tensor(y))
    loss.backward()
    want.backward()
    np.testing.assert_allclose(loss.item(), want.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


# Adam and AdamW: torch 2.13's keywords


_ADAM_KEYWORDS = dict(foreach=None, maximize=False, capturable=False, differentiable=False,
                      fused=None)


@pytest.mark.parametrize("optimizer", ["Adam", "AdamW"])
def test_adam_takes_pytorchs_keywords_at_their_defaults(optimizer):
    w = nn.Parameter(np.ones(3))
    extra = dict(decoupled_weight_decay=False) if optimizer == "Adam" else {}
    opt = getattr(tg.optim, optimizer)([w], lr=2e-4, betas=(0.5, 0.999), amsgrad=False,
                                       **_ADAM_KEYWORDS, **extra)
    w.grad = np.array([1.0, -1.0, 0.0])
    opt.step()
    np.testing.assert_allclose(w.data[:2], [1 - 2e-4 * (1 + 1e-2 * (optimizer == "AdamW")),
                                            1 + 2e-4 - 2e-4 * 1e-2 * (optimizer == "AdamW")],
                               rtol=1e-6)
    for fused in (True, False):  # PyTorch's fused kernel: the same step, computed alike here
        getattr(tg.optim, optimizer)([w], fused=fused)


@pytest.mark.parametrize("optimizer", ["Adam", "AdamW"])
@pytest.mark.parametrize("keyword, words", [("capturable", "CUDA graphs"),
                                            ("differentiable", "outside the graph")])
def test_adam_refuses_the_modes_it_cannot_run_in_one_line(optimizer, keyword, words):
    with pytest.raises(ValueError, match=f"^{optimizer}: {keyword}=True .*{words}"):
        getattr(tg.optim, optimizer)([nn.Parameter(np.ones(2))], **{keyword: True})
    with pytest.raises(TypeError, match=f"^{optimizer}: {keyword} must be True or False"):
        getattr(tg.optim, optimizer)([nn.Parameter(np.ones(2))], **{keyword: "no"})


def test_adam_refuses_a_fused_that_is_no_bool():
    with pytest.raises(TypeError, match="^Adam: fused must be True or False, got str 'yes'"):
        tg.optim.Adam([nn.Parameter(np.ones(2))], fused="yes")


def test_adam_with_decoupled_weight_decay_steps_as_adamw():
    start = RNG.standard_normal(4)
    grads = [RNG.standard_normal(4) for _ in range(3)]
    moved = []
    for make in (lambda p: tg.optim.Adam(p, lr=0.1, weight_decay=0.3,
                                         decoupled_weight_decay=True),
                 lambda p: tg.optim.AdamW(p, lr=0.1, weight_decay=0.3)):
        w = nn.Parameter(start.copy())
        opt = make([w])
        for g in grads:
            w.grad = g
            opt.step()
        moved.append(w.data.copy())
    np.testing.assert_array_equal(*moved)
    assert not np.allclose(moved[0], _plain_adam(start, grads))  # (the decay did act)
    assert tg.optim.Adam([w]).param_groups[0]["decoupled_weight_decay"] is False
    assert tg.optim.AdamW([w]).param_groups[0]["decoupled_weight_decay"] is True


def _plain_adam(start, grads):
    w = nn.Parameter(start.copy())
    opt = tg.optim.Adam([w], lr=0.1, weight_decay=0.3)
    for g in grads:
        w.grad = g
        opt.step()
    return w.data


@pytest.mark.torch
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_with_decoupled_weight_decay_matches_pytorch(amsgrad):
    torch = pytest.importorskip("torch")
    start = RNG.standard_normal(5)
    grads = [RNG.standard_normal(5) for _ in range(4)]
    ours, theirs = nn.Parameter(start.copy()), torch.nn.Parameter(torch.tensor(start))
    settings = dict(lr=0.05, weight_decay=0.2, amsgrad=amsgrad, decoupled_weight_decay=True)
    opt, their_opt = tg.optim.Adam([ours], **settings), torch.optim.Adam([theirs], **settings)
    for g in grads:
        ours.grad, theirs.grad = g, torch.tensor(g)
        opt.step()
        their_opt.step()
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)


# the stale-gradient warning names the user's line


def test_the_stale_gradient_warning_points_at_the_users_line_reading_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with tg.no_grad():
        w -= 0.1 * w.grad
    (w * w).sum().backward()  # (not cleared: told where the mixed .grad is used)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with tg.no_grad():
            w -= 0.1 * w.grad
    assert [c.filename for c in caught] == [__file__], [(c.filename, c.lineno) for c in caught]
    assert "adds up gradients from before and after an update" in str(caught[0].message)
