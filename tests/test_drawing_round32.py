"""The drawings' loose ends (thirty-second round): `x.draw()` is `tg.graph.draw_graph`'s
caller (a patched draw_graph reaches it), what the step-by-step page's tooltips and
pictures show (no hidden gradient under the pointer; a frame fitting the window, full size
a click away), dtypes in a graph that mixes them, the messages about paths and a missing
`dot`, and scripts/notebooks.sh's arguments."""
from __future__ import annotations

import html
import inspect
import os
import pydoc
import re
import shutil
import subprocess
from pathlib import Path

import graphviz
import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")
REPO = Path(__file__).resolve().parent.parent


def slides_loss() -> tg.Tensor:
    """The slides' one weight: ((w * 3 - 10) ** 2).sum()."""
    w = tg.tensor([2.0], requires_grad=True)
    w.name = "w"
    return ((w * 3.0 - 10.0) ** 2).sum()


# ---------------------------------------------------------------------------------------
# x.draw() calls tg.graph.draw_graph


def test_draw_calls_the_draw_graph_a_user_patched(monkeypatch):
    # x.draw was a copy of draw_graph: wrapping tg.graph.draw_graph never reached it
    loss, calls = slides_loss(), []
    drawn = tg.graph.draw_graph

    def wrapped(output, **options):
        calls.append(options)
        return drawn(output, **options)

    monkeypatch.setattr(tg.graph, "draw_graph", wrapped)
    picture = loss.draw(mode="backward", precision=3)
    assert calls == [{"mode": "backward", "precision": 3}]
    assert isinstance(picture, graphviz.Digraph)
    assert picture.source == drawn(loss, mode="backward", precision=3).source


@pytest.mark.parametrize("call, said", [
    (lambda x: x.draw(3), "draw: takes no arguments but 1 was given; show_data=, "),
    (lambda x: x.draw(nope=3), "Tensor.draw() got an unexpected keyword argument 'nope'"),
    (lambda x: x.draw(mode="sideways"), "draw_graph: mode must be 'forward' or 'backward'")])
def test_draw_refuses_an_option_by_its_own_name_and_draw_graphs_checks(call, said):
    with pytest.raises((TypeError, ValueError)) as info:
        call(slides_loss())
    assert str(info.value).startswith(said), info.value
    assert "\n" not in str(info.value)


def test_help_on_draw_shows_draw_graphs_options():
    # x.draw(**options) showed help(), inspect and tab completion no option of draw_graph
    signature = inspect.signature(tg.draw_graph)
    options = list(signature.parameters.values())[1:]
    assert len(options) > 1
    page = pydoc.render_doc(slides_loss().draw, renderer=pydoc.plaintext)
    assert f"draw{signature.replace(parameters=options)}" in page, page
    assert list(inspect.signature(tg.Tensor.draw).parameters) == ["self", *(p.name for p in
                                                                            options)]


def test_draw_takes_the_options_of_a_patched_draw_graph_and_leaves_its_errors(monkeypatch):
    loss, drawn, calls = slides_loss(), tg.graph.draw_graph, []

    def titled(output, *, title="", **options):  # a wrapper with an option of its own
        calls.append(title)
        return drawn(output, **options)

    monkeypatch.setattr(tg.graph, "draw_graph", titled)
    assert loss.draw(title="loss", mode="backward").source == drawn(loss,
                                                                   mode="backward").source
    with pytest.raises(TypeError) as info:  # the original draw_graph's refusal, as it was
        loss.draw(nope=3)
    assert str(info.value) == "draw_graph() got an unexpected keyword argument 'nope'"
    assert calls == ["loss", ""]

    def plain(output, *, mode="forward"):
        calls.append(mode)
        return drawn(output, mode=mode)

    monkeypatch.setattr(tg.graph, "draw_graph", plain)
    with pytest.raises(TypeError) as info:  # refused before the call, as Tensor.draw's
        loss.draw(mode="backward", precision=3)
    assert str(info.value) == "Tensor.draw() got an unexpected keyword argument 'precision'"
    assert calls == ["loss", ""]


# ---------------------------------------------------------------------------------------
# Without Graphviz's dot: what fits the step-by-step page


def test_without_dot_the_steps_page_says_what_can_be_had_instead(tmp_path, monkeypatch,
                                                                 capsys):
    # it suggested render_graph(graph, 'graph.gv'): a drawing's advice, with no graph to hand
    loss = slides_loss()
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(tg.graph.RenderError) as info:
        tg.backward_steps(loss)
    said = str(info.value)
    assert said.startswith("backward_steps: Graphviz's `dot` program was not found")
    assert "draw_graph(output, mode='backward').source" in said and "graph.gv" not in said
    assert "\n" not in said
    with pytest.raises(tg.graph.RenderError, match=r"render_graph\(graph, 'graph\.gv'\)"):
        tg.render_graph(loss, tmp_path / "loss.png")  # a drawing's advice stays its own
    monkeypatch.chdir(tmp_path)
    assert cli.main(["graph", "slope", "--steps"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--mode backward --format dot" in err, err
    assert list(tmp_path.iterdir()) == []
    # and what it says works without dot
    assert cli.main(["graph", "slope", "--mode", "backward", "--format", "dot"]) == 0
    assert (tmp_path / "slope-backward.dot").read_text().startswith("digraph")


# ---------------------------------------------------------------------------------------
# One rule for a path to write: the command line's -o and the notebooks' folder


def notebooks_maker():
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_notebooks_round32",
                                                  REPO / "docs" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("given, said", [
    ("", "the path is empty; give "), ("  ", "the path is empty; give "),
    ("-", "'-' names no file (this command writes files, never standard output); give ")])
def test_the_notebooks_folder_and_the_clis_output_are_refused_alike(tmp_path, monkeypatch,
                                                                    capsys, given, said):
    # the notebooks' maker said "the folder is empty", and made a folder named '-'
    pytest.importorskip("nbformat", reason="the dev extra is not installed")
    maker = notebooks_maker()
    monkeypatch.chdir(tmp_path)
    refusals = []
    for run, what in ((lambda: maker.main([given]), "a folder, e.g. notebooks"),
                      (lambda: cli.main(["demo", "slope", "-o", given]), "a folder, e.g. -o "
                                                                         "diagrams"),
                      (lambda: cli.main(["graph", "slope", "-o", given]), "a file path, e.g. "
                                                                          "-o graph.svg")):
        try:
            code = run()
        except SystemExit as stopped:  # argparse's refusal: its usage line, then the error
            code = stopped.code
        assert code == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        refusals.append(err.split(": ", 3)[-1])
        assert err.endswith(said + what), err
    assert len({r.split("; give ")[0] for r in refusals}) == 1, refusals  # one message
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------
# scripts/notebooks.sh's arguments


def notebooks_script(tmp_path, *args: str, jupyter: bool = True):
    """`bash scripts/notebooks.sh ARGS` with a virtual environment of stand-ins that log
    what they were asked (no install, no notebook written, no JupyterLab opened): its
    exit code, stderr, and the log's lines."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    venv, log = tmp_path / "venv", tmp_path / "asked.log"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    (venv / "bin" / "jupyter").unlink(missing_ok=True)
    for program in ("python", "jupyter") if jupyter else ("python",):
        stand_in = venv / "bin" / program
        stand_in.write_text(f'#!/bin/sh\necho "{program} $*" >> "{log}"\n')
        stand_in.chmod(0o755)
    run = subprocess.run(["bash", str(REPO / "scripts" / "notebooks.sh"), *args],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "TINYGRAD_GD_VENV": str(venv)})
    asked = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return run.returncode, run.stderr, asked


@pytest.mark.parametrize("args, made, opened", [
    ([], "docs/notebooks.py notebooks", None),
    (["--force"], "docs/notebooks.py --force notebooks", None),
    (["lab", "--force"], "docs/notebooks.py --force notebooks", "jupyter lab notebooks/"),
    (["--force", "lab", "--no-browser"], "docs/notebooks.py --force notebooks",
     "jupyter lab notebooks/ --no-browser"),
    # after `lab`, --help is JupyterLab's (the script printed its own)
    (["lab", "--help"], "docs/notebooks.py notebooks", "jupyter lab notebooks/ --help"),
    (["lab", "-h", "--force"], "docs/notebooks.py --force notebooks",
     "jupyter lab notebooks/ -h")])
def test_notebooks_sh_takes_force_before_or_after_lab(tmp_path, args, made, opened):
    # `lab --force` made the notebooks without --force and handed --force to JupyterLab
    code, err, asked = notebooks_script(tmp_path, *args)
    assert code == 0, err
    assert f"python {made}" in asked
    assert [line for line in asked if line.startswith("jupyter")] == ([opened] if opened
                                                                      else [])


def test_notebooks_sh_refuses_what_it_does_not_take_before_installing_anything(tmp_path):
    code, err, asked = notebooks_script(tmp_path, "--bogus")
    assert code == 2 and asked == []  # (no pip install, no notebook made)
    assert err.strip() == ("scripts/notebooks.sh: unknown argument '--bogus'; usage: bash "
                           "scripts/notebooks.sh [--force] [lab [JUPYTERLAB-OPTION...]] "
                           "(--help says what each does)")
    code, said, asked = notebooks_script(tmp_path, "--help")
    assert code == 0 and asked == [] and said == ""
    code, err, asked = notebooks_script(tmp_path, "lab", jupyter=False)
    assert code == 1 and "python docs/notebooks.py notebooks" in asked
    assert err.strip().splitlines() == [err.strip()] and "JupyterLab is not in" in err


# ---------------------------------------------------------------------------------------
# dtypes in a graph that mixes them


def titles(source: str) -> dict[str, str]:
    """{a named tensor's name: the rest of its label's first line} of a drawing's DOT."""
    return {m[1]: html.unescape(m[2]).replace("\xa0", " ").strip()
            for m in re.finditer(r"^\tt\d+ \[label=<<B>([^<]*)</B>([^<]*)<BR/>", source, re.M)}


def named_graph(first_dtype):
    """a (`first_dtype`) -> b = 2a as float64 -> c = b * w -> d = c[[1, 0]] -> loss."""
    a = tg.tensor(np.array([1.0, 2.0], dtype=first_dtype), requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    b = (a * 2.0).double()  # (of float64: the product itself)
    c = b * w
    d = c[tg.tensor([1, 0])]  # (an integer index: no float dtype of its own)
    loss = d.sum()
    for name, tensor in dict(a=a, w=w, b=b, c=c, d=d, loss=loss).items():
        tensor.name = name
    loss.backward()
    return loss, dict(a=a, w=w, b=b, c=c, d=d, loss=loss)


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_a_graph_mixing_float32_and_float64_says_each_nodes_dtype(mode):
    # a float64 node showed only by a missing "float32" beside float32 ones
    loss, tensors = named_graph(np.float32)
    drawn = titles(tg.draw_graph(loss, mode=mode).source)
    assert set(drawn) == set(tensors)
    for name, tensor in tensors.items():
        shape = f"{tensor.shape} " if tensor.ndim else ""
        assert drawn[name] == f"{shape}{tensor.dtype}", (name, drawn[name])
    assert {str(t.dtype) for t in tensors.values()} == {"float32", "float64"}


def test_a_graph_of_float64_alone_leaves_the_default_dtype_unsaid():
    loss, tensors = named_graph(np.float64)  # (an integer index beside: not a float dtype)
    drawn = titles(tg.draw_graph(loss).source)
    assert set(drawn) == set(tensors)
    assert all("float" not in rest for rest in drawn.values()), drawn


# ---------------------------------------------------------------------------------------
# The step-by-step page: tooltips tell only what their frame shows


def gradient_lines(frame: str) -> tuple[list[str], str]:
    """The gradient lines the tooltips of one frame (an SVG) tell, and its visible text
    (the texts not in the colour the page hides)."""
    tips = [html.unescape(t) for t in re.findall(r'xlink:title="([^"]*)"', frame)]
    seen = " ".join(html.unescape(t) for t in re.findall(
        r'<text(?![^>]*fill="#fffffe")[^>]*>([^<]*)</text>', frame))
    told = [" ".join(line.split()) for tip in tips for line in tip.split("\n")[1:]
            if tip.startswith("gradient from") or line.startswith(("grad ", ".grad "))]
    return [line for line in told if not line.startswith("grad in full")], " ".join(seen.split())


@needs_dot
@pytest.mark.parametrize("open_modules", [True, False])
def test_a_frames_tooltips_tell_no_gradient_it_hides_boxes_and_results_too(open_modules):
    # a module call's box tells its result's gradient, an op's result edge the gradient it
    # carries: each left out of the tooltips of the frames before the pass reaches them
    nn = tg.nn
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                          nn.Linear(8, 2))
    loss = ((model(tg.randn(3, 6)) - 1.0) ** 2).mean()
    steps = tg.backward_steps(loss, model=model, open_modules=open_modules)
    boxes = steps.frames[0].count("module call:")
    assert (boxes > 0) == (not open_modules)  # (folded: its boxes tell their results)
    told_at = []
    for k, frame in enumerate(steps.frames):
        told, seen = gradient_lines(frame)
        for line in told:
            assert line in seen, (k, line)
        told_at.append(len(told))
    assert told_at == sorted(told_at) and told_at[0] < told_at[-1]  # filling in as it goes
    last, _ = gradient_lines(steps.frames[-1])
    assert any(line.startswith("grad ") for line in last)


# ---------------------------------------------------------------------------------------
# The step-by-step page: a frame fits the window, full size a click away

PICTURE = """(function () {
  var svg = document.querySelector('.frame:not([hidden]) svg'), box = svg.parentNode;
  var drawn = svg.getBoundingClientRect();
  return {drawn: drawn.width, own: svg.width.baseVal.value, left: drawn.left,
          right: drawn.right, scrolls: box.scrollWidth - box.clientWidth,
          page: document.documentElement.scrollWidth, window: innerWidth,
          button: document.querySelector('.size').textContent,
          disabled: document.querySelector('.size').disabled};
})()"""


def browser_on(page: Path, tmp_path, width: int = 1280, height: int = 800):
    from test_graph_steps import CHROMIUM, opened, websocket
    if CHROMIUM is None or websocket is None:
        pytest.skip("headless Chromium (Debian package chromium) and websocket-client are "
                    "needed to drive the page")
    return opened(page, tmp_path, width, height)


def click_on_the_picture(browser) -> None:
    """A click in the middle of what the window shows of the current frame's picture."""
    x, y = browser.evaluate("""(function () {
      var r = document.querySelector('.frame:not([hidden]) .picture').getBoundingClientRect();
      return [(Math.max(r.left, 0) + Math.min(r.right, innerWidth)) / 2,
              (Math.max(r.top, 0) + Math.min(r.bottom, innerHeight)) / 2];
    })()""")
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                     clickCount=1)


@needs_dot
def test_the_blog_mlps_frames_fit_the_window_and_full_size_is_a_click_away(tmp_path):
    # its 14 frames were each wider than a 1280 x 800 window: every step scrolled sideways
    # (forty-first round: fitted, its text read 8 px; it is drawn no smaller than 11 px text
    # allows and scrolls in its box, test_diagrams_round41)
    from test_graph_steps import COUNTER

    page = tmp_path / "blog-steps.html"
    assert cli.main(["graph", "blog-mlp", "--steps", "-o", str(page)]) == 0
    browser = browser_on(page, tmp_path)
    try:
        fitted = browser.evaluate(PICTURE)
        assert fitted["own"] > fitted["window"], fitted  # (wider than the window at its size)
        assert 0 <= fitted["left"] and fitted["drawn"] < fitted["own"], fitted
        assert fitted["page"] <= fitted["window"], fitted  # (the picture scrolls, not the page)
        assert fitted["button"] == "full size" and not fitted["disabled"]
        browser.click(".size")
        full = browser.evaluate(PICTURE)
        assert abs(full["drawn"] - full["own"]) < 1, full  # its own size
        assert full["scrolls"] > 0 and full["page"] <= full["window"], full  # the picture's own
        assert full["button"] == "fit to window"
        browser.key("End", 35)  # a step far right: scrolled into view sideways
        count = browser.evaluate("document.querySelectorAll('.frame').length")
        assert browser.evaluate(COUNTER) == f"step {count} of {count}"
        node = browser.until("""(function () {
          var r = document.querySelector('.frame:not([hidden]) .step').getBoundingClientRect();
          return r.left >= 0 && r.right <= innerWidth && [r.left, r.right];
        })()""")
        assert node, browser.evaluate(PICTURE)
        assert abs(browser.evaluate(PICTURE)["drawn"] - full["own"]) < 1  # kept for each step
        click_on_the_picture(browser)  # fit again
        again = browser.evaluate(PICTURE)
        assert abs(again["drawn"] - fitted["drawn"]) < 1 and again["button"] == "full size", \
            again
    finally:
        browser.close()


@needs_dot
def test_a_frame_that_fits_at_its_own_size_is_drawn_so(tmp_path):
    steps = tg.backward_steps(slides_loss())
    browser = browser_on(steps.save(tmp_path / "steps.html"), tmp_path)
    try:
        shown = browser.evaluate(PICTURE)
        assert abs(shown["drawn"] - shown["own"]) < 1 and shown["disabled"], shown
    finally:
        browser.close()


def test_an_edge_into_or_out_of_a_folded_chain_says_what_it_joins():
    """A folded chain's box has no title (its label reads `… N nodes folded …`): an
    edge's tooltip beside it read "gradient from tanh result to :" (found by the
    diagram fuzzer)."""
    from test_graph import tanh_chain

    source = tg.graph.draw_graph(tanh_chain(), mode="backward").source
    tips = re.findall(r'tooltip="([^"]*)"', source)
    assert any("the folded nodes" in tip for tip in tips), tips
    for tip in tips:
        words = tip.split(":\\n")[0]
        assert not re.search(r"\b(to|from|into|gives)$", words), tip
        assert "  " not in words, tip
