"""The thirty-fourth round's mends of what its own reads of the change found."""
from __future__ import annotations

import copy
import gc
import pickle
import shlex
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_graph_into_a_folder_that_takes_no_files_says_so_without_contradiction(capsys):
    # /proc exists and is a folder, but no file can be made in it, root or not: the message
    # said "the folder '/proc' is not writable (No such file or directory)"
    assert cli.main(["graph", "slope", "--format", "dot", "-o", "/proc/x.dot"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "no file can be made in the folder '/proc'" in err, err
    assert "not writable" not in err and "choose another -o path" in err


def test_render_graph_refuses_a_path_ending_in_a_slash_as_backward_steps_does(tmp_path):
    # render_graph(loss, "out/") wrote out.svg beside the folder meant (the CLI and the
    # step page refused it; now the one rule is in the function all three call)
    w = tg.tensor([0.5, -0.2], requires_grad=True)
    loss = (w * 2.0).sum()
    folder = f"{tmp_path / 'out'}/"
    for fmt in (None, "dot"):
        with pytest.raises(IsADirectoryError) as refused:
            tg.render_graph(loss, folder, format=fmt)
        assert str(refused.value) == (f"render_graph: {folder!r} names a folder; give a file "
                                      f"path such as {str(tmp_path / 'out' / 'graph.svg')!r}")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------
# The step page's captions where a hook changed a gradient


@needs_dot
def test_a_caption_says_a_hook_changed_a_gradient_not_a_sum_that_is_false():
    # x = 3, h = 2x hooked (g * 10), y = h * h + h: the caption said "130 = 1 from add + 12
    # from mul", a false sum (the engine runs the hook on the sum)
    x = tg.Tensor(3.0, requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 10)
    y = h * h + h
    captions = tg.backward_steps(y).captions
    through_add, through_mul = 1.0, 2 * float(h.numpy())
    total = through_add + through_mul
    assert (f"complete: {10 * total:g}, not {total:g} = {through_add:g} from add + "
            f"{through_mul:g} from mul: a hook changed it; " in captions[2]), captions[2]
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 10 * total * 2)  # (what the picture shows)
    # used once, hooked: not the gradient its one op sent; the output's own hook: the seed
    x = tg.Tensor(3.0, requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 10)
    captions = tg.backward_steps(h * h).captions
    assert f"complete: {10 * through_mul:g}, not {through_mul:g} from mul: a hook " \
           f"changed it; " in captions[1], captions[1]
    y = x * x
    y.register_hook(lambda g: g * 10)
    assert "complete: 10 (the seed, d output / d output, is 1: a hook changed it); " in \
        tg.backward_steps(y).captions[0]


@needs_dot
def test_a_caption_says_a_modules_backward_hook_changed_what_reached_a_value():
    # a full backward hook multiplied grad_input by 10: the caption said "22 = 12 from mul +
    # 1 from mul", though 10 came through the module (the two muls named by their nodes'
    # titles since the thirty-seventh round: `mul`, `× 1`)
    from tinygrad_gd import nn

    class Scaled(nn.Module):
        def forward(self, x):
            return x * 1.0

    module = Scaled()
    module.register_full_backward_hook(lambda mod, grad_input, grad_output:
                                       (grad_input[0] * 10,))
    x = tg.Tensor(3.0, requires_grad=True)
    h = x * 2
    z = module(h) + h * h
    captions = tg.backward_steps(z).captions
    through_square, through_module = 2 * float(h.numpy()), 1.0
    h_step = next(c for c in captions if "sends" in c and c.endswith("to parameter"))
    sent = through_square + through_module
    assert (f"complete: {through_square + 10 * through_module:g}, not {sent:g} = "
            f"{through_square:g} from mul + {through_module:g} from × 1: a hook changed it"
            in h_step), captions
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), (through_square + 10 * through_module) * 2)


@needs_dot
def test_a_caption_with_no_hook_still_says_the_sum_in_float32():
    # the sums in float32, three uses: added in another order than the engine's, they round
    # otherwise by a few ulp: still "=", no hook
    x = tg.tensor([0.1, 0.7], dtype=tg.float32, requires_grad=True)
    h = x * 3.3
    loss = (h * h + h.exp() + h.sin()).sum()
    captions = tg.backward_steps(loss).captions
    assert not any("hook" in c for c in captions), captions
    h_step = next(c for c in captions if c.endswith("to parameter"))
    assert " = " in h_step and all(f" from {op}" in h_step for op in ("sin", "exp", "mul"))


# ---------------------------------------------------------------------------------------
# The step page's captions measured where the widget is shown, at its width


def painted(browser) -> None:
    """Wait two frames: what the page does when its layout changes has run."""
    browser.send("Runtime.evaluate", awaitPromise=True, expression=(
        "new Promise(function (done) { requestAnimationFrame(function () { "
        "requestAnimationFrame(done); }); })"))


def stepped_places(browser, count: int) -> list:
    from test_views_round34 import PLACE

    browser.evaluate("document.querySelector('.backward-steps').focus()")
    seen = [browser.evaluate(PLACE)]
    for _ in range(count - 1):
        browser.key("ArrowRight", 39)
        seen.append(browser.evaluate(PLACE))
    return seen


def long_captions():
    from test_graph_steps import tall_network

    loss, params = tall_network()
    weights = "the weights of the three inputs that Grokking's fifth chapter feeds one neuron"
    return tg.backward_steps(loss, params={weights: params["weights"]})


@needs_dot
def test_a_widget_drawn_in_a_collapsed_output_keeps_its_picture_put_once_shown(tmp_path):
    # measured while hidden, every caption's height was 0 px: shown later, the picture moved
    # down at the step whose caption took a line more
    from test_views_round34 import browser_on

    steps = long_captions()
    page = tmp_path / "collapsed.html"
    page.write_text(f"<!DOCTYPE html><html><body><div id=out style='display:none'>"
                    f"{steps._repr_html_()}</div></body></html>")
    browser = browser_on(page, tmp_path, 700, 600)
    try:
        browser.evaluate("document.getElementById('out').style.display = 'block'")
        painted(browser)
        seen = stepped_places(browser, len(steps))
        assert sorted({place[4] for place in seen})[-1] > min(p[4] for p in seen) + 10, seen
        assert len({tuple(place[:4]) for place in seen}) == 1, seen
    finally:
        browser.close()


@needs_dot
def test_a_widget_whose_panel_narrows_keeps_its_picture_put(tmp_path):
    # a notebook's side panel opened, no window resize: the captions kept the height
    # measured at the old width, and the picture moved down where one wrapped to a new line
    from test_views_round34 import browser_on

    steps = long_captions()
    page = tmp_path / "panel.html"
    errors = ("<script>window.errors = []; window.addEventListener('error', function (e) "
              "{ window.errors.push(e.message); });</script>")  # (a loop of resizes: one)
    page.write_text(f"<!DOCTYPE html><html><head>{errors}</head><body><div id=panel "
                    f"style='width:680px'>{steps._repr_html_()}</div></body></html>")
    browser = browser_on(page, tmp_path, 1000, 700)
    try:
        browser.evaluate("document.getElementById('panel').style.width = '420px'")
        painted(browser)
        seen = stepped_places(browser, len(steps))
        assert len({tuple(place[:4]) for place in seen}) == 1, seen
        assert browser.evaluate("window.errors") == []
    finally:
        browser.close()


@needs_dot
def test_a_cells_replaced_widgets_are_freed(tmp_path):
    # each run of a cell left a window listener holding the widget it replaced, its frames'
    # SVGs and all
    from test_views_round34 import browser_on, shared_value

    steps = tg.backward_steps(shared_value()[-1])
    page = tmp_path / "reruns.html"  # (the empty .backward-steps: what `opened` waits for)
    page.write_text(f"<!DOCTYPE html><html><body><div class=backward-steps></div><div id=out>"
                    f"</div><template id=cell>{steps._repr_html_()}</template></body></html>")
    browser = browser_on(page, tmp_path, 700, 600)
    run = """(function () {  // as a notebook shows a cell's new output: the old one removed
      var out = document.getElementById('out');
      out.innerHTML = document.getElementById('cell').innerHTML;
      out.querySelectorAll('script').forEach(function (old) {
        var script = document.createElement('script');
        script.textContent = old.textContent;
        old.replaceWith(script);
      });
      window.shown = (window.shown || []).concat(
        [new WeakRef(out.querySelector('.backward-steps'))]);
    })()"""
    try:
        for _ in range(3):
            browser.evaluate(run)
            painted(browser)
        browser.send("HeapProfiler.collectGarbage")
        kept = browser.evaluate("window.shown.map(function (w) { return !!w.deref(); })")
        assert kept == [False, False, True]
    finally:
        browser.close()


# ---------------------------------------------------------------------------------------
# The command line


def test_graph_refuses_a_folder_in_the_one_rule_s_words(tmp_path, capsys):
    # the CLI checked a trailing slash itself, in other words than file_path's
    folder = f"{tmp_path / 'out'}/"
    assert cli.main(["graph", "slope", "-o", folder]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"tinygrad-gd graph: error: {folder!r} names a folder; give a file path such as "
        f"{str(tmp_path / 'out' / 'slope-forward.svg')!r} (-o)"]
    assert list(tmp_path.iterdir()) == []


@needs_dot
def test_the_dot_command_printed_for_a_name_starting_with_a_dash_works(tmp_path, capsys,
                                                                       monkeypatch):
    # `--output=-x.dot` printed "dot -Tsvg -x.dot -o -x.svg", which dot read as options
    monkeypatch.chdir(tmp_path)
    assert cli.main(["graph", "slope", "--mode", "backward", "--output=-x.dot"]) == 0
    command = capsys.readouterr().out.splitlines()[1].removeprefix("Graphviz draws it: ")
    subprocess.run(shlex.split(command), check=True, timeout=60, capture_output=True)
    assert "<svg" in (tmp_path / "-x.svg").read_text()


# ---------------------------------------------------------------------------------------
# The review of the names work


@pytest.fixture
def default_generator_as_found():
    """tg.default_generator (its stream, initial seed, and whether unseeded draws use it)
    put back as the test found it."""
    from tinygrad_gd import creation

    generator = tg.default_generator
    saved = (list(creation._seeded), generator.bit_generator.state, generator._initial_seed)
    yield generator
    creation._seeded[:] = saved[0]
    generator.bit_generator.state, generator._initial_seed = saved[1:]


@pytest.mark.parametrize("call", [
    lambda: tg.ones(2, 3).resize_as(tg.ones(3, 2)),  # (warned inside the method's wrapper)
    lambda: tg.tensor(tg.ones(2, requires_grad=True)),  # (warned inside tg.tensor)
    lambda: tg.ones(2).new_tensor(tg.ones(2, requires_grad=True)),
])
def test_a_warning_under_a_method_or_tensor_names_the_users_line(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    assert [w.filename for w in caught] == [__file__], [(w.filename, w.lineno) for w in caught]


@pytest.mark.parametrize("name", ["argmax", "isnan", "median", "svd", "addbmm", "cpu", "bool",
                                  "apply_", "cross"])
def test_a_hand_written_method_pickles_unbound_as_itself(name):
    # (84 of them failed: "not the same object as tinygrad_gd.logic.argmax")
    method = getattr(tg.Tensor, name)
    assert pickle.loads(pickle.dumps(method)) is method
    assert method.__qualname__ == f"Tensor.{name}"


def test_default_generator_seeds_by_tg_generators_rules(default_generator_as_found):
    generator = default_generator_as_found
    for seed in (0, -1, 2 ** 64 - 1, -2 ** 63):  # (a negative one modulo 2**64)
        alone = tg.Generator().manual_seed(seed)
        for reseed in (generator.manual_seed, tg.manual_seed):
            assert reseed(seed) is generator
            assert generator.initial_seed() == tg.initial_seed() == alone.initial_seed()
            np.testing.assert_array_equal(tg.randn(3).numpy(), alone.standard_normal(3))
            alone.manual_seed(seed)
    for bad, kind in ((True, RuntimeError), (2 ** 64, ValueError), (1.5, RuntimeError)):
        with pytest.raises(kind, match=r"^Generator\.manual_seed: seed "):
            generator.manual_seed(bad)
    tg.manual_seed(7)
    assert copy.deepcopy(tg.default_generator).initial_seed() == 7  # (was 67280421310721)
    with pytest.raises(TypeError, match=r"^manual_seed: seed must be an int, got bool True"):
        tg.manual_seed(True)
    assert tg.initial_seed() == 7  # (a refused seed changes nothing)


def test_default_generator_seeds_as_torchs(default_generator_as_found):
    torch = pytest.importorskip("torch")
    state = torch.get_rng_state()
    try:
        for seed in (0, -1, -2 ** 63, 2 ** 64 - 1):
            assert (tg.default_generator.manual_seed(seed).initial_seed()
                    == torch.default_generator.manual_seed(seed).initial_seed())
            assert tg.manual_seed(seed).initial_seed() == torch.manual_seed(seed).initial_seed()
        for bad, kind in ((True, RuntimeError), (2 ** 64, ValueError)):
            with pytest.raises(kind):
                torch.default_generator.manual_seed(bad)
            with pytest.raises(kind, match=r"^Generator\.manual_seed: seed "):
                tg.default_generator.manual_seed(bad)
        torch.manual_seed(7)
        tg.manual_seed(7)
        assert (copy.deepcopy(tg.default_generator).initial_seed()
                == copy.deepcopy(torch.default_generator).initial_seed())
    finally:
        torch.set_rng_state(state)


def test_fork_rng_puts_back_the_initial_seed_too(default_generator_as_found):
    tg.manual_seed(3)
    with tg.random.fork_rng():
        tg.manual_seed(11)
        assert tg.initial_seed() == 11
    assert tg.initial_seed() == tg.default_generator.initial_seed() == 3


def test_nuclear_norm_without_dim_is_each_matrixs_and_refuses_two_keepdims():
    a = np.random.default_rng(5).standard_normal((2, 3, 4))
    expected = np.linalg.norm(a, "nuc", axis=(1, 2))
    np.testing.assert_allclose(tg.nuclear_norm(tg.tensor(a)).numpy(), expected)
    for kept in (tg.nuclear_norm(tg.tensor(a), True), tg.nuclear_norm(tg.tensor(a), keepdim=True)):
        np.testing.assert_allclose(kept.numpy(), expected.reshape(2, 1, 1))
    assert tg.gradcheck(tg.nuclear_norm, [tg.tensor(a, requires_grad=True)])
    message = (r"^nuclear_norm: dim=True is keepdim in torch's form nuclear_norm\(input, "
               r"keepdim\), so keepdim=False cannot follow it; give nuclear_norm\(x, "
               r"keepdim=True\) or a dim tuple$")
    for call in (lambda: tg.nuclear_norm(tg.tensor(a[0]), True, False),
                 lambda: tg.nuclear_norm(tg.tensor(a[0]), True, keepdim=False)):
        with pytest.raises(TypeError, match=message):  # (it kept the dims, silently)
            call()
    with pytest.raises(ValueError, match=r"^nuclear_norm: .*at least 2 dimensions.*\(4,\)"):
        tg.nuclear_norm(tg.tensor(a[0, 0]))


def test_nuclear_norm_without_dim_is_torchs():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(6).standard_normal((2, 3, 4))
    t = torch.tensor(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch deprecates its nuclear_norm)
        for ours, theirs in ((tg.nuclear_norm(tg.tensor(a)), torch.nuclear_norm(t)),
                             (tg.nuclear_norm(tg.tensor(a), True), torch.nuclear_norm(t, True))):
            assert ours.shape == tuple(theirs.shape)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy())
        with pytest.raises(TypeError):
            torch.nuclear_norm(t[0], True, False)
    with pytest.raises(TypeError, match=r"^nuclear_norm: dim=True is keepdim"):
        tg.nuclear_norm(tg.tensor(a[0]), True, False)


def test_a_method_keeps_its_count_of_arguments_after_an_inference_mode_block():
    # inference mode put back the detach it found at import, before the package wrapped the
    # methods to count a wrong call's arguments as given: after a block, x.detach(1) said
    # "Tensor.detach() takes 1 positional argument but 2 were given"
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.inference_mode():
        y = x * 2
    del y
    gc.collect()
    x * 1.0  # (inference mode's extra switches off at the first op after no inference tensor
    # is left, putting back the detach it stood in for)
    with pytest.raises(TypeError) as refused:
        x.detach(1)
    assert str(refused.value) == "detach: takes no arguments but 1 was given"
    assert np.array_equal(x.detach().numpy(), [1.0, 2.0])


def test_a_patch_of_detach_made_during_inference_mode_ends_with_its_scope():
    # inference mode recorded whatever stood in Tensor.detach each time a block opened: a
    # spy patched in for a with-block (mock.patch.object) stayed installed for good after
    # inference mode switched off; inside a block, x.detach(1) named a private function
    from unittest import mock

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    original = tg.Tensor.detach

    def spy(self, *args):
        calls.append(1)
        return original(self, *args)

    with mock.patch.object(tg.Tensor, "detach", spy):
        with tg.inference_mode():
            y = x * 2
            with pytest.raises(TypeError) as refused:
                x.detach(1)
            assert str(refused.value) == "detach: takes no arguments but 1 was given"
    del y
    gc.collect()
    x * 1.0  # (the first op after no inference tensor is left switches the extra off)
    calls.clear()
    assert np.array_equal(x.detach().numpy(), [1.0, 2.0]) and calls == []
    with pytest.raises(TypeError) as refused:
        x.detach(1)
    assert str(refused.value) == "detach: takes no arguments but 1 was given"
