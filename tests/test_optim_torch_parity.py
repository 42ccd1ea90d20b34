"""tg.optim where PyTorch 2.13 users meet it: settings given as tensors (lr, betas, ...),
PyTorch's own optimizer state_dict loaded into ours, the kinds of the state's numbers
(0-d arrays where PyTorch keeps 0-d tensors) and the warning of a scheduler stepped before
its optimizer. Checked against closed-form update rules, and (marked `torch`) step by step
against PyTorch in float64 to 1e-12."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.optim import lr_scheduler

RNG = np.random.default_rng(23)
W0 = RNG.standard_normal((3, 2))
B0 = RNG.standard_normal(2)
BETAS = ("Adam", "AdamW", "NAdam", "RAdam", "Adamax")
ALL = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax", "Adadelta",
       "Rprop", "ASGD", "Adafactor")


def gradient_at(values: np.ndarray, k: int) -> np.ndarray:
    """The k-th step's gradient: not constant, so steps differ in size and sign."""
    return np.sin(3 * values + k) + 0.1 * values


def train(optimizer, params, steps: int, start: int = 0) -> None:
    for k in range(start, start + steps):
        for p in params:
            p.grad = tg.tensor(gradient_at(p.data, k))
        optimizer.step()


class ForeignTensor:
    """A tensor of another library as tinygrad_gd sees PyTorch's: detach(), cpu() and a
    numpy() sharing its memory (so a loader that kept it would change with it)."""

    def __init__(self, values) -> None:
        self.values = np.asarray(values)

    def detach(self) -> "ForeignTensor":
        return self

    def cpu(self) -> "ForeignTensor":
        return self

    def numpy(self) -> np.ndarray:
        return self.values


# ------------------------------------------------------------------ settings as tensors


def adam_by_hand(w: np.ndarray, lr: float, beta1: float, beta2: float, eps: float,
                 steps: int) -> np.ndarray:
    """Adam's update rule (Kingma & Ba, Algorithm 1, PyTorch's eps placement) written out."""
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        g = gradient_at(w, t - 1)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        w = w - lr / (1 - beta1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps)
    return w


@pytest.mark.parametrize("kind", ["tensor", "numpy", "1-element"])
def test_adam_takes_lr_and_betas_as_tensors_and_steps_by_its_rule(kind):
    make = {"tensor": tg.tensor, "numpy": np.array, "1-element": lambda v: tg.tensor([v])}[kind]
    w = nn.Parameter(W0.copy())
    adam = optim.Adam([w], lr=make(0.05), betas=(make(0.8), make(0.95)))
    train(adam, [w], 6)
    np.testing.assert_allclose(w.data, adam_by_hand(W0, 0.05, 0.8, 0.95, 1e-8, 6),
                               rtol=1e-12, atol=1e-15)
    group = adam.param_groups[0]
    assert group["lr"] == 0.05 and group["betas"] == (0.8, 0.95)  # read as numbers


def test_every_setting_takes_a_1_element_tensor():
    w, v = nn.Parameter(W0.copy()), nn.Parameter(W0.copy())
    by_tensor = optim.SGD([w], lr=tg.tensor(0.1), momentum=tg.tensor(0.9),
                          weight_decay=np.array(0.01))
    by_number = optim.SGD([v], lr=0.1, momentum=0.9, weight_decay=0.01)
    train(by_tensor, [w], 4)
    train(by_number, [v], 4)
    np.testing.assert_array_equal(w.data, v.data)
    by_tensor.param_groups[0]["lr"] = tg.tensor(0.2)  # set by hand between steps, as PyTorch
    by_tensor.step()
    assert by_tensor.param_groups[0]["lr"] == 0.2


@pytest.mark.parametrize("name", BETAS)
def test_tensor_betas_with_foreach_are_refused_in_one_line(name):
    w = nn.Parameter(W0.copy())
    with pytest.raises(ValueError, match=r"betas given as tensors are refused with "
                                         r"foreach=True") as error:
        getattr(optim, name)([w], betas=(tg.tensor(0.9), tg.tensor(0.99)), foreach=True)
    assert "\n" not in str(error.value)
    getattr(optim, name)([w], betas=(0.9, 0.99), foreach=True)  # numbers: taken


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_refuses_mixed_betas_and_a_tensor_lr_with_foreach(name):
    w = nn.Parameter(W0.copy())
    for betas in [(tg.tensor(0.9), 0.99), (0.9, tg.tensor(0.99))]:
        with pytest.raises(ValueError, match=rf"^{name}: betas must be two numbers or two "
                                             r"1-element tensors, got \((Tensor, float|float, "
                                             r"Tensor)\); give both the same way$"):
            getattr(optim, name)([w], betas=betas)
    with pytest.raises(ValueError, match=r"lr given as a tensor is refused with foreach=True"):
        getattr(optim, name)([w], lr=tg.tensor(0.01), foreach=True)
    getattr(optim, name)([w], lr=tg.tensor(0.01), foreach=False)  # the loop: taken


def test_other_optimizers_take_a_tensor_lr_with_foreach_and_mixed_betas():
    w = nn.Parameter(W0.copy())
    optim.NAdam([w], lr=tg.tensor(0.01), foreach=True)  # as PyTorch's NAdam
    optim.RAdam([w], betas=(tg.tensor(0.9), 0.99))


def test_a_tensor_setting_of_several_numbers_is_refused_naming_it():
    w = nn.Parameter(W0.copy())
    with pytest.raises(ValueError, match=r"^RMSprop: lr must be a number or a 1-element tensor, "
                                         r"got a tensor of shape \(2,\)$"):
        optim.RMSprop([w], lr=tg.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match=r"^Adam: betas\[1\] must be a number or a 1-element "
                                         r"tensor, got an array of shape \(2,\)$"):
        optim.Adam([w], betas=(np.array(0.9), np.array([0.9, 0.99])))


# ------------------------------------------------------------------ the state's numbers


def test_the_steps_are_0_d_arrays_of_the_parameters_float_dtype():
    for dtype in (np.float64, np.float32):
        w = nn.Parameter(W0.astype(dtype))
        adam = optim.Adam([w], lr=0.01)
        train(adam, [w], 3)
        step = adam.state_dict()["state"][0]["step"]
        assert isinstance(step, np.ndarray) and step.shape == () and step.dtype == dtype
        assert step.item() == 3 and int(step) == 3  # as PyTorch's step.item()


def test_nadam_keeps_mu_product_as_the_product_of_its_momentums():
    w = nn.Parameter(W0.copy())
    nadam = optim.NAdam([w], betas=(0.8, 0.99), momentum_decay=0.01)
    train(nadam, [w], 5)
    saved = nadam.state_dict()["state"][0]
    # Dozat's momentum schedule mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * psi)), multiplied up
    expected = np.prod([0.8 * (1 - 0.5 * 0.96 ** (t * 0.01)) for t in range(1, 6)])
    assert saved["mu_product"].shape == () and saved["mu_product"].dtype == np.float64
    np.testing.assert_allclose(saved["mu_product"], expected, rtol=1e-14)


def test_asgd_keeps_eta_and_mu_by_their_schedules():
    w = nn.Parameter(W0.astype(np.float32))
    asgd = optim.ASGD([w], lr=0.1, lambd=0.05, alpha=0.5, t0=2)
    train(asgd, [w], 4)
    saved = asgd.state_dict()["state"][0]
    for key in ("step", "eta", "mu"):
        assert saved[key].shape == () and saved[key].dtype == np.float32, key
    # Polyak-Juditsky averaging: eta_t = lr / (1 + lambd lr t)^alpha, mu_t = 1 / max(1, t - t0)
    np.testing.assert_allclose(saved["eta"], 0.1 / (1 + 0.05 * 0.1 * 4) ** 0.5, rtol=1e-7)
    assert saved["mu"] == 1 / (4 - 2)


@pytest.mark.parametrize("name", ALL)
def test_a_saved_state_resumes_exactly_through_tg_save(name, tmp_path):
    params = [nn.Parameter(W0.copy()), nn.Parameter(B0.copy())]
    optimizer = getattr(optim, name)(params, lr=0.01)
    train(optimizer, params, 3)
    tg.save({"optim": optimizer.state_dict()}, tmp_path / "checkpoint.npz")
    copies = [nn.Parameter(p.data.copy()) for p in params]
    resumed = getattr(optim, name)(copies, lr=0.01)
    resumed.load_state_dict(tg.load(tmp_path / "checkpoint.npz")["optim"])
    saved = optimizer.state.get(params[0], {})  # (plain SGD keeps none)
    assert sorted(resumed.state.get(copies[0], {})) == sorted(saved)
    for key, value in saved.items():
        assert type(resumed.state[copies[0]][key]) is type(value), key
    train(optimizer, params, 3, start=3)
    train(resumed, copies, 3, start=3)
    for p, q in zip(params, copies):
        np.testing.assert_array_equal(p.data, q.data)


def test_a_step_saved_as_a_number_loads_as_a_0_d_array():
    w = nn.Parameter(W0.copy())
    adam = optim.Adam([w])
    train(adam, [w], 2)
    saved = adam.state_dict()
    saved["state"][0]["step"] = 2  # (as state dicts saved before held it)
    fresh = optim.Adam([nn.Parameter(W0.copy())])
    fresh.load_state_dict(saved)
    step = next(iter(fresh.state.values()))["step"]
    assert isinstance(step, np.ndarray) and step.shape == () and step == 2


# ------------------------------------------------------------------ another library's state


def test_a_foreign_state_dict_is_copied_in_as_arrays():
    w = nn.Parameter(W0.copy())
    adam = optim.Adam([w], lr=0.05)
    train(adam, [w], 3)
    ours = adam.state_dict()
    foreign = {"state": {0: {k: ForeignTensor(np.array(v)) for k, v in ours["state"][0].items()}},
               "param_groups": [{**ours["param_groups"][0], "lr": ForeignTensor(0.05),
                                 "initial_lr": ForeignTensor(0.05)}]}
    v = nn.Parameter(w.data.copy())
    loaded = optim.Adam([v], lr=0.05)
    loaded.load_state_dict(foreign)
    assert loaded.param_groups[0]["lr"] == 0.05 and loaded.param_groups[0]["initial_lr"] == 0.05
    for value in foreign["state"][0].values():
        value.values[...] = 7.0  # the source changes afterwards: the loaded state must not
    assert all(isinstance(x, np.ndarray) for x in loaded.state[v].values())
    train(adam, [w], 3, start=3)
    train(loaded, [v], 3, start=3)
    np.testing.assert_array_equal(w.data, v.data)


def test_a_state_of_other_shapes_is_refused_naming_the_parameter_and_nothing_changes():
    w, b = nn.Parameter(W0.copy()), nn.Parameter(B0.copy())
    adam = optim.Adam([("weight", w), ("bias", b)], lr=0.05)
    train(adam, [w, b], 2)
    saved = adam.state_dict()
    saved["state"][1]["exp_avg"] = ForeignTensor(np.zeros(5))
    saved["param_groups"][0]["lr"] = 0.5
    before = adam.state_dict()
    with pytest.raises(ValueError, match=r"^Adam.load_state_dict: state 'exp_avg' of parameter "
                                         r"1 'bias' has shape \(5,\), the parameter \(2,\); "):
        adam.load_state_dict(saved)
    after = adam.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        for key, value in before["state"][i].items():
            np.testing.assert_array_equal(after["state"][i][key], value)


def test_a_state_number_that_is_not_one_number_is_refused():
    w = nn.Parameter(W0.copy())
    nadam = optim.NAdam([w])
    train(nadam, [w], 1)
    saved = nadam.state_dict()
    saved["state"][0]["mu_product"] = np.ones(3)
    with pytest.raises(ValueError, match=r"^NAdam.load_state_dict: state 'mu_product' of "
                                         r"parameter 0 must be one number, got shape \(3,\)"):
        nadam.load_state_dict(saved)


def test_a_foreign_tensor_that_cannot_become_an_array_is_named():
    class Unreadable(ForeignTensor):
        def numpy(self):
            raise TypeError("Got unsupported ScalarType BFloat16")

    w = nn.Parameter(W0.copy())
    adam = optim.Adam([w])
    train(adam, [w], 1)
    saved = adam.state_dict()
    saved["state"][0]["exp_avg"] = Unreadable(0)
    with pytest.raises(TypeError, match=r"state 'exp_avg' of parameter 0: a Unreadable could "
                                        r"not be read as a NumPy array \(Got unsupported "
                                        r"ScalarType BFloat16\)"):
        adam.load_state_dict(saved)


# ------------------------------------------------------------------ the scheduler's warning

ORDER = r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"


def sgd(lr: float = 0.1):
    return optim.SGD([nn.Parameter(W0.copy())], lr=lr, momentum=0.9)


def test_a_scheduler_stepped_before_its_optimizer_warns_once():
    optimizer = sgd()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    with pytest.warns(UserWarning, match=ORDER + r": StepLR's first learning rate was never "
                                                 r"used; in each epoch call optimizer.step\(\) "
                                                 r"first, then scheduler.step\(\)$"):
        scheduler.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()  # once only
        optimizer.step()
        scheduler.step()


def test_optimizer_first_warns_of_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for make in (lambda o: lr_scheduler.StepLR(o, 2),
                     lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=5),
                     lambda o: optim.swa_utils.SWALR(o, swa_lr=0.05)):
            optimizer = sgd()
            scheduler = make(optimizer)
            for _ in range(3):
                optimizer.step()
                scheduler.step()


def test_steps_before_the_first_scheduler_do_not_count():
    optimizer = sgd()
    optimizer.step()  # (a warm-up, say)
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    with pytest.warns(UserWarning, match=ORDER):
        scheduler.step()


def test_a_users_optimizer_with_its_own_step_counts_its_steps():
    class Halving(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            for p in self.param_groups[0]["params"]:
                p.data = p.data * 0.5

    optimizer = Halving([nn.Parameter(W0.copy())])
    scheduler = lr_scheduler.StepLR(optimizer, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()
    other = Halving([nn.Parameter(W0.copy())])
    with pytest.warns(UserWarning, match=ORDER):
        lr_scheduler.StepLR(other, 2).step()


def test_schedules_pytorch_does_not_warn_of_stay_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lr_scheduler.CosineAnnealingWarmRestarts(sgd(), T_0=3).step()
        lr_scheduler.ReduceLROnPlateau(sgd()).step(1.0)

        class Groups:  # (no tg.optim optimizer: nothing is known of its steps)
            param_groups = [{"lr": 0.1}]
        lr_scheduler.StepLR(Groups(), 2).step()


def test_composed_schedulers_warn_through_the_one_in_charge():
    optimizer = sgd()
    warm = lr_scheduler.LinearLR(optimizer, start_factor=0.5, total_iters=2)
    decay = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    sequential = lr_scheduler.SequentialLR(optimizer, [warm, decay], milestones=[2])
    with pytest.warns(UserWarning, match=ORDER + ": LinearLR's"):
        sequential.step()


# ------------------------------------------------------------------ against PyTorch


@pytest.fixture
def torch_float64():
    """PyTorch's default dtype float64 inside: its steps and scalar state are float64 then,
    as ours are for float64 parameters."""
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(before)


class Pair:
    """The same two parameters and optimizer in both libraries, stepped with the same
    gradients; `make(lib)` gives the keyword arguments in that library's terms."""

    def __init__(self, torch, name: str, make) -> None:
        self.torch, self.name = torch, name
        self.theirs = [torch.tensor(W0.copy(), requires_grad=True),
                       torch.tensor(B0.copy(), requires_grad=True)]
        self.ours = [nn.Parameter(W0.copy()), nn.Parameter(B0.copy())]
        self.topt = getattr(torch.optim, name)(self.theirs, **make(torch))
        self.opt = getattr(optim, name)(self.ours, **make(tg))
        self.k = 0

    def step(self, steps: int = 1) -> None:
        for _ in range(steps):
            for p, q in zip(self.ours, self.theirs):
                q.grad = self.torch.tensor(gradient_at(q.detach().numpy(), self.k))
                p.grad = tg.tensor(gradient_at(p.data, self.k))
            self.topt.step()
            self.opt.step()
            self.k += 1

    def agree(self) -> None:
        for p, q in zip(self.ours, self.theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.torch
@pytest.mark.parametrize("name", BETAS)
def test_tensor_lr_and_betas_step_as_pytorchs(name, torch_float64):
    pair = Pair(torch_float64, name, lambda lib: dict(
        lr=lib.tensor(0.02), betas=(lib.tensor(0.8), lib.tensor(0.95))))
    for _ in range(8):
        pair.step()
        pair.agree()


@pytest.mark.torch
@pytest.mark.parametrize("name", ALL)
def test_a_tensor_lr_steps_as_pytorchs(name, torch_float64):
    pair = Pair(torch_float64, name, lambda lib: dict(lr=lib.tensor(0.02)))
    for _ in range(6):
        pair.step()
        pair.agree()


REFUSALS = [  # (optimizer, settings): what PyTorch refuses when it is made, and ours too
    ("Adam", lambda lib: dict(betas=(lib.tensor(0.9), 0.99))),
    ("AdamW", lambda lib: dict(betas=(0.9, lib.tensor(0.99)))),
    ("Adam", lambda lib: dict(betas=(lib.tensor(0.9), lib.tensor(0.99)), foreach=True)),
    ("AdamW", lambda lib: dict(lr=lib.tensor(0.01), foreach=True)),
    ("SGD", lambda lib: dict(lr=lib.tensor([0.1, 0.2]))),
    ("NAdam", lambda lib: dict(lr=lib.tensor([0.1, 0.2]))),
]
TAKEN = [  # and what both take
    ("Adam", lambda lib: dict(lr=lib.tensor([0.01]), betas=(lib.tensor([0.9]), lib.tensor(0.99)))),
    ("Adam", lambda lib: dict(lr=lib.tensor(0.01), foreach=False)),
    ("NAdam", lambda lib: dict(lr=lib.tensor(0.01), foreach=True)),
    ("RAdam", lambda lib: dict(betas=(lib.tensor(0.9), 0.99))),
    ("SGD", lambda lib: dict(lr=lib.tensor(0.1), weight_decay=lib.tensor(0.01), foreach=True)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, make", REFUSALS + TAKEN)
def test_refuses_and_takes_what_pytorch_does(name, make, torch_float64):
    torch = torch_float64
    refused = (name, make) in REFUSALS
    param = [torch.zeros(2, requires_grad=True)]
    if refused:
        with pytest.raises(ValueError):
            getattr(torch.optim, name)(param, **make(torch))
        with pytest.raises(ValueError) as error:
            getattr(optim, name)([nn.Parameter(np.zeros(2))], **make(tg))
        assert "\n" not in str(error.value)
    else:
        getattr(torch.optim, name)(param, **make(torch))
        getattr(optim, name)([nn.Parameter(np.zeros(2))], **make(tg))


LOADS = [(name, {}) for name in ALL] + [
    ("SGD", dict(momentum=0.9, nesterov=True)), ("Adam", dict(amsgrad=True)),
    ("RMSprop", dict(centered=True, momentum=0.5)), ("ASGD", dict(t0=2, lambd=0.01)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, settings", LOADS,
                         ids=[f"{n}-{'-'.join(s) or 'defaults'}" for n, s in LOADS])
def test_pytorchs_state_dict_loads_and_training_goes_on_as_pytorchs(name, settings,
                                                                    torch_float64):
    torch = torch_float64
    pair = Pair(torch, name, lambda lib: dict(lr=0.02, **settings))
    pair.step(3)
    theirs = pair.topt.state_dict()
    pair.ours = [nn.Parameter(q.detach().numpy().copy()) for q in pair.theirs]
    pair.opt = getattr(optim, name)(pair.ours, lr=0.5)  # (the settings come from the load)
    pair.opt.load_state_dict(theirs)
    for i, entries in theirs["state"].items():  # each tensor became ours: 0-d ones as 0-d
        for key, value in entries.items():
            ours = pair.opt.state_dict()["state"][i][key]
            if isinstance(value, torch.Tensor):
                assert isinstance(ours, np.ndarray) and ours.shape == tuple(value.shape)
                assert ours.dtype == value.detach().numpy().dtype, key
            else:
                assert type(ours) is type(value), key
    for _ in range(4):
        pair.step()
        pair.agree()


@pytest.mark.torch
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_state_holds_what_pytorchs_holds(name, dtype):
    """Each entry of the state: a 0-d array where PyTorch's is a 0-d tensor, of its dtype,
    when PyTorch's default dtype is the parameters' (float32's default is PyTorch's own)."""
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype))
    try:
        theirs = torch.tensor(W0.astype(dtype), requires_grad=True)
        ours = nn.Parameter(W0.astype(dtype))
        topt, opt = getattr(torch.optim, name)([theirs]), getattr(optim, name)([ours])
        for k in range(3):
            theirs.grad = torch.tensor(gradient_at(W0, k).astype(dtype))
            ours.grad = tg.tensor(gradient_at(W0, k).astype(dtype))
            topt.step()
            opt.step()
        expected, got = topt.state_dict()["state"], opt.state_dict()["state"]
    finally:
        torch.set_default_dtype(before)
    assert sorted(got) == sorted(expected)
    for i in expected:
        assert sorted(got[i]) == sorted(expected[i])
        for key, value in expected[i].items():
            assert isinstance(got[i][key], np.ndarray), key
            assert got[i][key].shape == tuple(value.shape), key
            assert got[i][key].dtype == value.numpy().dtype, key
            rtol = 1e-12 if dtype == "float64" else 1e-5
            np.testing.assert_allclose(got[i][key], value.numpy(), rtol=rtol, atol=1e-7,
                                       err_msg=key)


SCHEDULES = {  # name: how it is made on an optimizer, in either library
    "StepLR": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 2),
    "OneCycleLR": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=9),
    "CyclicLR": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, 2),
    "SWALR": lambda lib, o: lib.optim.swa_utils.SWALR(o, swa_lr=0.05),
    "CosineAnnealingWarmRestarts": lambda lib, o: lib.optim.lr_scheduler
    .CosineAnnealingWarmRestarts(o, T_0=3),
    "ChainedScheduler": lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.ExponentialLR(o, 0.9), lib.optim.lr_scheduler.StepLR(o, 2)]),
}
# the order of the calls: "o" optimizer.step(), "s" scheduler.step(), "b" the scheduler
# built (before it, an optimizer step counts for nothing, in PyTorch as here)
ORDERS = ["bs", "bos", "bsos", "obs", "bss", "bosss"]


def warned(lib, make, order: str) -> bool:
    optimizer = lib.optim.SGD([lib.tensor([1.0, 2.0], requires_grad=True)], lr=0.1,
                              momentum=0.9)
    scheduler = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for call in order:
            if call == "b":
                scheduler = make(lib, optimizer)
            elif call == "o":
                optimizer.step()
            else:
                scheduler.step()
    return any("before `optimizer.step()`" in str(w.message) for w in caught
               if issubclass(w.category, UserWarning))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_the_order_warning_comes_where_pytorchs_does(name):
    torch = pytest.importorskip("torch")
    got = {order: warned(tg, SCHEDULES[name], order) for order in ORDERS}
    expected = {order: warned(torch, SCHEDULES[name], order) for order in ORDERS}
    assert got == expected
