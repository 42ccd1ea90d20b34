"""torch.optim's documented programs (docs/source/optim.md of torch 2.13) ported to
tg.optim: per-parameter options, step(closure) for SGD and LBFGS, add_param_group,
zero_grad, the learning-rate schedulers (chained, ChainedScheduler, SequentialLR, LambdaLR,
MultiplicativeLR, CosineAnnealingWarmRestarts with fractional epochs, OneCycleLR, CyclicLR,
ReduceLROnPlateau), scheduler state dicts mid-run, and weight averaging
(tg.optim.swa_utils: AveragedModel, SWALR, update_bn); each run beside torch's, every lr
and parameter compared after each step, in float64 and float32.
"""
import copy

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn

F = nn.functional
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}
DTYPES = [np.float64, np.float32]


def _models(torch, dtype, batchnorm=False):
    """The same small model in torch and here (torch's weights copied), `.base` and
    `.classifier` as in the docs' per-parameter example."""
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    torch.manual_seed(0)

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            layers = [torch.nn.Linear(4, 6)] + ([torch.nn.BatchNorm1d(6)] if batchnorm else [])
            self.base = torch.nn.Sequential(*layers, torch.nn.Tanh())
            self.classifier = torch.nn.Linear(6, 3)

        def forward(self, x):
            return self.classifier(self.base(x))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            layers = [nn.Linear(4, 6)] + ([nn.BatchNorm1d(6)] if batchnorm else [])
            self.base = nn.Sequential(*layers, nn.Tanh())
            self.classifier = nn.Linear(6, 3)

        def forward(self, x):
            return self.classifier(self.base(x))

    tmodel = TNet().to(tdt)
    model = Net().to(dtype)
    model.load_state_dict({k: v.detach().numpy() for k, v in tmodel.state_dict().items()})
    return tmodel, model


def _data(dtype, n=4):
    rng = np.random.default_rng(1)
    return [(rng.standard_normal((5, 4)).astype(dtype), rng.integers(0, 3, 5))
            for _ in range(n)]


def _check(torch, tmodel, model, dtype, what="", tol=None):
    tstate = tmodel.state_dict()
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(np.asarray(value.numpy() if hasattr(value, "numpy")
                                              else value),
                                   tstate[name].detach().numpy(), **(tol or TOL[dtype]),
                                   err_msg=f"{what} {name}")


def _check_lrs(topt, opt, what=""):
    np.testing.assert_allclose([g["lr"] for g in opt.param_groups],
                               [float(g["lr"]) for g in topt.param_groups], rtol=1e-12,
                               err_msg=f"lr {what}")


def _train_epoch(torch, tmodel, model, topt, opt, data, dtype, what=""):
    losses = []
    for x, y in data:
        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)),
                                                  torch.from_numpy(y))
        tloss.backward()
        topt.step()
        opt.zero_grad()
        loss = F.cross_entropy(model(tg.tensor(x)), tg.tensor(y))
        loss.backward()
        opt.step()
        np.testing.assert_allclose(loss.item(), tloss.item(), **TOL[dtype])
        _check(torch, tmodel, model, dtype, what)
        losses.append(loss.item())
    return losses




@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["parameters", "named_parameters", "bias_decay"])
def test_per_parameter_options(dtype, form):
    torch = pytest.importorskip("torch")
    tmodel, model = _models(torch, dtype)

    def groups(m, optim):
        if form == "bias_decay":  # the docs' distinct penalization of biases
            bias = [p for name, p in m.named_parameters() if "bias" in name]
            others = [p for name, p in m.named_parameters() if "bias" not in name]
            return optim.SGD([{"params": others}, {"params": bias, "weight_decay": 0}],
                             weight_decay=1e-2, lr=1e-2)
        params = getattr(m.base, form), getattr(m.classifier, form)
        return optim.SGD([{"params": params[0](), "lr": 1e-2}, {"params": params[1]()}],
                         lr=1e-3, momentum=0.9)

    topt, opt = groups(tmodel, torch.optim), groups(model, tg.optim)
    for g, tgroup in zip(opt.param_groups, topt.param_groups):
        assert {k: v for k, v in g.items() if k != "params"} == \
            {k: v for k, v in tgroup.items() if k != "params"}
    for _ in range(2):
        _train_epoch(torch, tmodel, model, topt, opt, _data(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["SGD", "LBFGS"])
def test_step_with_closure(dtype, name):
    torch = pytest.importorskip("torch")
    tmodel, model = _models(torch, dtype)
    kwargs = dict(lr=0.5, max_iter=4, history_size=3) if name == "LBFGS" else \
        dict(lr=0.1, momentum=0.9)
    topt = getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    opt = getattr(tg.optim, name)(model.parameters(), **kwargs)
    for x, y in _data(dtype, 3):
        def tclosure():
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)),
                                                     torch.from_numpy(y))
            loss.backward()
            return loss

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(model(tg.tensor(x)), tg.tensor(y))
            loss.backward()
            return loss

        tloss, loss = topt.step(tclosure), opt.step(closure)
        np.testing.assert_allclose(loss.item(), tloss.item(), **TOL[dtype])
        # (LBFGS in float32: its dot products, summed in another order than torch's,
        # differ in the last bits, and the line search amplifies them over the iterations)
        tol = dict(rtol=1e-3, atol=5e-5) if (name, dtype) == ("LBFGS", np.float32) else None
        _check(torch, tmodel, model, dtype, name, tol)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_add_param_group_and_zero_grad(set_to_none):
    torch = pytest.importorskip("torch")
    dtype = np.float64
    tmodel, model = _models(torch, dtype)
    # the classifier frozen at first, then trained from epoch 2 with its own lr (fine-tuning)
    topt = torch.optim.SGD(tmodel.base.parameters(), lr=0.1, momentum=0.9)
    opt = tg.optim.SGD(model.base.parameters(), lr=0.1, momentum=0.9)
    _train_epoch(torch, tmodel, model, topt, opt, _data(dtype, 2), dtype)
    topt.add_param_group({"params": tmodel.classifier.parameters(), "lr": 0.05})
    opt.add_param_group({"params": model.classifier.parameters(), "lr": 0.05})
    for g, tgroup in zip(opt.param_groups, topt.param_groups):
        assert {k: v for k, v in g.items() if k != "params"} == \
            {k: v for k, v in tgroup.items() if k != "params"}
    tmodel.classifier.zero_grad(), model.classifier.zero_grad()
    _train_epoch(torch, tmodel, model, topt, opt, _data(dtype, 2), dtype)
    topt.zero_grad(set_to_none=set_to_none)
    opt.zero_grad(set_to_none=set_to_none)
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        assert (p.grad is None) == (tp.grad is None)
        if p.grad is not None:
            np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())


# The docs' schedules: (schedulers built on an optimizer, how they are stepped)
# "epoch": each scheduler stepped once per epoch, in order; "batch": after each batch;
# "fractional": CosineAnnealingWarmRestarts' step(epoch + i / iters); "plateau": with a
# validation loss.
SCHEDULES = {
    "Exponential": (lambda S, o: [S.ExponentialLR(o, gamma=0.9)], "epoch"),
    "chained_back_to_back": (lambda S, o: [S.ExponentialLR(o, gamma=0.9),
                                           S.MultiStepLR(o, milestones=[2, 4], gamma=0.1)],
                             "epoch"),
    "ChainedScheduler": (lambda S, o: [S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, gamma=0.9)])],
        "epoch"),
    "SequentialLR_warmup": (lambda S, o: [S.SequentialLR(
        o, schedulers=[S.LinearLR(o, start_factor=0.1, total_iters=2),
                       S.CosineAnnealingLR(o, T_max=4)], milestones=[2])], "epoch"),
    "LambdaLR": (lambda S, o: [S.LambdaLR(o, lr_lambda=[lambda e: e // 2,
                                                        lambda e: 0.95 ** e])], "epoch"),
    "MultiplicativeLR": (lambda S, o: [S.MultiplicativeLR(o, lr_lambda=lambda e: 0.95)],
                         "epoch"),
    "StepLR": (lambda S, o: [S.StepLR(o, step_size=2, gamma=0.5)], "epoch"),
    "PolynomialLR": (lambda S, o: [S.PolynomialLR(o, total_iters=4, power=2.0)], "epoch"),
    "CosineAnnealingWarmRestarts": (lambda S, o: [S.CosineAnnealingWarmRestarts(
        o, T_0=2, T_mult=2, eta_min=0.001)], "fractional"),
    "OneCycleLR": (lambda S, o: [S.OneCycleLR(o, max_lr=0.1, steps_per_epoch=4, epochs=6)],
                   "batch"),
    "CyclicLR": (lambda S, o: [S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)],
                 "batch"),
    "CyclicLR_exp_range": (lambda S, o: [S.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                    step_size_up=2, mode="exp_range",
                                                    gamma=0.9)], "batch"),
    "ReduceLROnPlateau": (lambda S, o: [S.ReduceLROnPlateau(o, "min", patience=0,
                                                            factor=0.5)], "plateau"),
}


def _run_schedule(torch, dtype, build, how, epochs=5, resume_at=None):
    """Train both models under the schedule; lrs and parameters compared at each step.
    resume_at: after that epoch, the schedulers and optimizers are rebuilt and loaded from
    their state dicts (a resumed run)."""
    tmodel, model = _models(torch, dtype)
    S, TS = tg.optim.lr_scheduler, torch.optim.lr_scheduler

    def optimizers():
        return (torch.optim.SGD([{"params": tmodel.base.parameters()},
                                 {"params": tmodel.classifier.parameters(), "lr": 0.05}],
                                lr=0.1, momentum=0.9),
                tg.optim.SGD([{"params": model.base.parameters()},
                              {"params": model.classifier.parameters(), "lr": 0.05}],
                             lr=0.1, momentum=0.9))

    topt, opt = optimizers()
    tscheds, scheds = build(TS, topt), build(S, opt)
    _check_lrs(topt, opt, "at start")
    data, val = _data(dtype, 2), _data(dtype, 1)[0]
    for epoch in range(epochs):
        for i, (x, y) in enumerate(data):
            _train_epoch(torch, tmodel, model, topt, opt, [(x, y)], dtype, f"epoch {epoch}")
            if how == "batch":
                tscheds[0].step(), scheds[0].step()
            if how == "fractional":
                tscheds[0].step(epoch + i / len(data)), scheds[0].step(epoch + i / len(data))
            _check_lrs(topt, opt, f"epoch {epoch} batch {i}")
        if how == "epoch":
            for tsched, sched in zip(tscheds, scheds):
                tsched.step(), sched.step()
        if how == "plateau":
            with torch.no_grad():
                tval = torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(val[0])),
                                                         torch.from_numpy(val[1]))
            with tg.no_grad():
                vloss = F.cross_entropy(model(tg.tensor(val[0])), tg.tensor(val[1]))
            tscheds[0].step(tval), scheds[0].step(vloss)
        _check_lrs(topt, opt, f"after epoch {epoch}")
        if how != "plateau":
            np.testing.assert_allclose(scheds[-1].get_last_lr(), tscheds[-1].get_last_lr(),
                                       rtol=1e-12)
        if epoch == resume_at:  # save everything, rebuild, load: the run goes on the same
            saved = [copy.deepcopy(s.state_dict()) for s in scheds], \
                copy.deepcopy(opt.state_dict())
            tsaved = [copy.deepcopy(s.state_dict()) for s in tscheds], \
                copy.deepcopy(topt.state_dict())
            topt, opt = optimizers()
            tscheds, scheds = build(TS, topt), build(S, opt)
            topt.load_state_dict(tsaved[1]), opt.load_state_dict(saved[1])
            for s, state in zip(scheds, saved[0]):
                s.load_state_dict(state)
            for s, state in zip(tscheds, tsaved[0]):
                s.load_state_dict(state)
            _check_lrs(topt, opt, "after resuming")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SCHEDULES)
def test_scheduler_examples(name, dtype):
    torch = pytest.importorskip("torch")
    _run_schedule(torch, dtype, *SCHEDULES[name])


@pytest.mark.parametrize("name", SCHEDULES)
def test_scheduler_state_dict_resume(name):
    torch = pytest.importorskip("torch")
    _run_schedule(torch, np.float64, *SCHEDULES[name], epochs=4, resume_at=1)


AVERAGES = {
    "swa": lambda sw: dict(),
    "ema_multi": lambda sw: dict(multi_avg_fn=sw.get_ema_multi_avg_fn(0.9)),
    "ema_avg_fn": lambda sw: dict(avg_fn=lambda avg, p, n: 0.9 * avg + 0.1 * p),
    "ema_buffers": lambda sw: dict(multi_avg_fn=sw.get_ema_multi_avg_fn(0.999),
                                   use_buffers=True),
    "swa_buffers": lambda sw: dict(use_buffers=True),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swa_putting_it_all_together(dtype, average, strategy):
    """The docs' SWA program: CosineAnnealingLR, then from swa_start SWALR and the
    averages; update_bn at the end; the averaged model's predictions."""
    torch = pytest.importorskip("torch")
    tmodel, model = _models(torch, dtype, batchnorm=True)
    tsw, sw = torch.optim.swa_utils, tg.optim.swa_utils
    tswa_model = tsw.AveragedModel(tmodel, **AVERAGES[average](tsw))
    swa_model = sw.AveragedModel(model, **AVERAGES[average](sw))
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=6)
    sched = tg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
    tswa_sched = tsw.SWALR(topt, swa_lr=0.05, anneal_epochs=2, anneal_strategy=strategy)
    swa_sched = sw.SWALR(opt, swa_lr=0.05, anneal_epochs=2, anneal_strategy=strategy)
    swa_start, data = 1, _data(dtype, 2)
    for epoch in range(5):
        _train_epoch(torch, tmodel, model, topt, opt, data, dtype, f"epoch {epoch}")
        if epoch > swa_start:
            tswa_model.update_parameters(tmodel), swa_model.update_parameters(model)
            tswa_sched.step(), swa_sched.step()
        else:
            tsched.step(), sched.step()
        _check_lrs(topt, opt, f"epoch {epoch}")
        _check(torch, tswa_model, swa_model, dtype, f"average, epoch {epoch}")
    loader = [(tg.tensor(x), tg.tensor(y)) for x, y in data]
    tsw.update_bn([(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data], tswa_model)
    sw.update_bn(loader, swa_model)
    _check(torch, tswa_model, swa_model, dtype, "after update_bn")
    assert swa_model.module.base[1].momentum == 0.1 and swa_model.training
    x = _data(dtype, 1)[0][0]
    tswa_model.eval(), swa_model.eval()
    np.testing.assert_allclose(swa_model(tg.tensor(x)).numpy(),
                               tswa_model(torch.from_numpy(x)).detach().numpy(), **TOL[dtype])
    assert list(swa_model.state_dict()) == list(tswa_model.state_dict())
    assert swa_model.n_averaged.item() == tswa_model.n_averaged.item() == 3


def test_ema_every_step_and_swalr_state_dict():
    """The docs' EMA program (the average updated after each optimizer step), and SWALR
    saved mid-run and resumed."""
    torch = pytest.importorskip("torch")
    dtype = np.float64
    tmodel, model = _models(torch, dtype)
    tsw, sw = torch.optim.swa_utils, tg.optim.swa_utils
    tema = tsw.AveragedModel(tmodel, multi_avg_fn=tsw.get_ema_multi_avg_fn(0.999))
    ema = sw.AveragedModel(model, multi_avg_fn=sw.get_ema_multi_avg_fn(0.999))
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    tsched = tsw.SWALR(topt, swa_lr=[0.05], anneal_epochs=3)
    sched = sw.SWALR(opt, swa_lr=[0.05], anneal_epochs=3)
    for epoch in range(4):
        for x, y in _data(dtype, 2):
            _train_epoch(torch, tmodel, model, topt, opt, [(x, y)], dtype)
            tema.update_parameters(tmodel), ema.update_parameters(model)
            _check(torch, tema, ema, dtype, "ema")
        tsched.step(), sched.step()
        _check_lrs(topt, opt)
        if epoch == 1:
            state, tstate = sched.state_dict(), tsched.state_dict()
            keys = {"_anneal_strategy", "anneal_epochs", "base_lrs", "last_epoch", "_last_lr"}
            assert keys <= set(state) and keys <= set(tstate)
            sched = sw.SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy="linear")
            tsched = tsw.SWALR(topt, swa_lr=0.05, anneal_epochs=3, anneal_strategy="linear")
            sched.load_state_dict(state), tsched.load_state_dict(tstate)
            assert sched.anneal_func(0.5) == tsched.anneal_func(0.5)


def test_swa_bad_arguments():
    model = nn.Linear(2, 2)
    sw = tg.optim.swa_utils
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy.*'cos' or 'linear'"):
        sw.SWALR(opt, swa_lr=0.05, anneal_strategy="cosine")
    with pytest.raises(ValueError, match="anneal_epochs"):
        sw.SWALR(opt, swa_lr=0.05, anneal_epochs=-1)
    with pytest.raises(ValueError, match="same length as optimizer.param_groups"):
        sw.SWALR(opt, swa_lr=[0.05, 0.01])
    with pytest.raises(ValueError, match=r"decay.*\[0, 1\]"):
        sw.get_ema_multi_avg_fn(1.5)
    with pytest.raises(ValueError, match="only one of avg_fn and multi_avg_fn"):
        sw.AveragedModel(model, avg_fn=sw.get_swa_avg_fn(),
                         multi_avg_fn=sw.get_swa_multi_avg_fn())
    with pytest.raises(TypeError, match="update_parameters.*Module"):
        sw.AveragedModel(model).update_parameters([model.weight])
    from tinygrad_gd.optim.swa_utils import update_bn  # PyTorch's import line
    update_bn([tg.ones(3, 2)], model)  # no BatchNorm: nothing to do, as PyTorch
