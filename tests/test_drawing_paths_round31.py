"""Drawing a graph each way a user does (thirty-first round): in a notebook (with and
without Graphviz's `dot`), from the command line (-o paths that name no file), on the
step-by-step page in a browser (Home/End on a page just opened, find-in-page and tooltips
giving away no hidden gradient, two kernels' widgets on one notebook), into a file the
user already has (left as it was when drawing fails), and the notebooks' maker's folder."""
from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")
PACKAGE_ROOT = str(Path(tg.__file__).resolve().parent.parent)  # the package under test

# the slides' one weight: pred = w * x, loss = (pred - target) ** 2
WEIGHT, INPUT, TARGET = 2.0, 3.0, 10.0
DELTA = 2 * (WEIGHT * INPUT - TARGET)  # the gradient at pred
SLOPE = DELTA * INPUT
PRODUCT = f"[{DELTA:g}] × [{INPUT:g}] = [{SLOPE:g}]"  # the chain rule on the weight's edge
SETUP = (f"import tinygrad_gd as tg\n"
         f"w = tg.tensor([{WEIGHT}], requires_grad=True)\n"
         f"loss = ((w * {INPUT} - {TARGET}) ** 2).sum()\n"
         f"loss.backward()")


def executed(cells: list[str], folder: Path, allow_errors: bool = False):
    """A notebook of `cells`, run in a kernel that imports the package under test."""
    for package in ("nbformat", "nbclient", "ipykernel"):
        pytest.importorskip(package, reason="the dev extra is not installed "
                                            "(pip install -e '.[dev]')")
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", PACKAGE_ROOT)
        NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=allow_errors,
                       resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def shown(cell) -> dict:
    """What a cell displays: its result's mimebundle."""
    results = [out for out in cell.outputs if out.output_type == "execute_result"]
    assert len(results) == 1, cell.outputs
    return results[0].data


def scalable_svg(text: str) -> ElementTree.Element:
    """The SVG a notebook shows, checked to scale to its cell's width: a size in points
    and a viewBox of the same proportions, so `max-width: 100%` keeps its shape."""
    root = ElementTree.fromstring(text.encode())
    assert root.tag.endswith("svg")
    width, height = (float(root.get(side).removesuffix("pt")) for side in ("width", "height"))
    box = [float(v) for v in root.get("viewBox").split()]
    assert box[2] > 0 and box[3] > 0
    assert abs(width / height - box[2] / box[3]) < 0.01 * width / height
    return root


def texts(root: ElementTree.Element) -> str:
    return " ".join(node.text or "" for node in root.iter() if node.tag.endswith("text"))


@needs_dot
def test_a_notebook_shows_the_forward_and_backward_diagrams_and_the_steps_inline(tmp_path):
    notebook = executed([SETUP, "tg.draw_graph(loss)", "loss.draw(mode='backward')",
                         "tg.backward_steps(loss)"], tmp_path)
    forward, backward, steps = (shown(cell) for cell in notebook.cells[1:])
    # a terminal's view (text/plain): what it is, and how to write it to a file
    assert re.fullmatch(r"<graphviz.Digraph 'computation_graph' at 0x[0-9a-f]+: a notebook "
                        r"shows it; tg.render_graph\(this graph, 'graph.svg'\) writes it to "
                        r"a file>", forward["text/plain"]), forward["text/plain"]
    forward_text = texts(scalable_svg(forward["image/svg+xml"]))
    assert f"data [{WEIGHT:g}]" in forward_text and f".grad [{SLOPE:g}]" in forward_text
    assert f"data {(WEIGHT * INPUT - TARGET) ** 2:g}" in forward_text
    assert PRODUCT not in forward_text  # the forward view's edges carry no gradient
    assert PRODUCT in texts(scalable_svg(backward["image/svg+xml"]))
    # the step-by-step widget, and its last step as a picture for what shows no HTML
    assert 'class="backward-steps"' in steps["text/html"]
    assert steps["text/html"].count('class="frame"') == len(tg.backward_steps(
        ((tg.tensor([WEIGHT], requires_grad=True) * INPUT - TARGET) ** 2).sum()))
    assert PRODUCT in texts(scalable_svg(steps["image/svg+xml"]))


def test_a_notebook_without_graphviz_says_in_one_line_what_to_install(tmp_path):
    # the cell failed with graphviz's ExecutableNotFound raised from its subprocess call,
    # twenty frames deep, naming no way to install it
    empty = tmp_path / "bin"
    empty.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", str(empty))  # no `dot` on it (the kernel is found without PATH)
        notebook = executed([SETUP, "tg.draw_graph(loss)", "print(loss.draw().source[:7])"],
                            tmp_path, allow_errors=True)
    errors = [out for out in notebook.cells[1].outputs if out.output_type == "error"]
    assert len(errors) == 1, notebook.cells[1].outputs
    assert errors[0].ename == "RenderError"
    assert errors[0].evalue.startswith("draw_graph: Graphviz's `dot` program was not found")
    assert "apt-get install graphviz" in errors[0].evalue and "\n" not in errors[0].evalue
    shown_trace = "\n".join(errors[0].traceback)
    assert "subprocess.py" not in shown_trace and "make sure the Graphviz" not in shown_trace
    # the DOT text the message points to still comes, and the next cells run
    assert [out.text for out in notebook.cells[2].outputs] == ["digraph\n"]


# ---------------------------------------------------------------------------------------
# The command line's -o


def one_line_error(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.mark.parametrize("command", [["graph", "slope"], ["graph", "slope", "--steps"],
                                     ["demo", "slope"]])
@pytest.mark.parametrize("output, said", [
    ("", "the path is empty"), ("  ", "the path is empty"),
    ("-", "'-' names no file (this command writes files, never standard output)")])
def test_an_output_path_that_names_nothing_is_refused_and_nothing_is_written(
        tmp_path, monkeypatch, capsys, command, output, said):
    # `-o ""` (an unset variable) wrote the default file or filled the current folder;
    # `-o -` wrote a file `-.svg` or made a folder `-`
    monkeypatch.chdir(tmp_path)
    assert cli.main([*command, "-o", output]) == 2
    err = one_line_error(capsys, f"tinygrad-gd {command[0]}: error: argument -o/", said)
    assert ("give a folder" if command[0] == "demo" else "give a file path") in err
    assert list(tmp_path.iterdir()) == []


@needs_dot
@pytest.mark.parametrize("options, name", [
    (["--steps"], "slope-steps.html"), (["--mode", "backward"], "slope-backward.svg"),
    (["--format", "dot"], "slope-forward.dot")])
def test_a_folder_as_the_output_is_refused_with_a_name_that_works_there(
        tmp_path, monkeypatch, capsys, options, name):
    # `graph slope --steps -o folder` suggested folder/graph.svg, which --steps then refused
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    assert cli.main(["graph", "slope", *options, "-o", "folder"]) == 2
    err = one_line_error(capsys, "'folder' is a folder; give a file name")
    suggested = re.search(r"e\.g\. -o (\S+)$", err.strip())[1]
    assert suggested == os.path.join("folder", name)
    assert list((tmp_path / "folder").iterdir()) == []
    assert cli.main(["graph", "slope", *options, "-o", suggested]) == 0
    assert (tmp_path / suggested).stat().st_size > 0


# ---------------------------------------------------------------------------------------
# A file the user has is never damaged by a drawing that fails


def test_without_dot_a_users_file_of_that_name_is_left_as_it_was(tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.chdir(tmp_path)
    mine = {name: f"the user's own {name}\n".encode()
            for name in ("loss.png", "loss.svg", "steps.html", "cli.pdf", "cli-steps.html")}
    for name, data in mine.items():
        (tmp_path / name).write_bytes(data)
    w = tg.tensor([WEIGHT], requires_grad=True)
    loss = ((w * INPUT - TARGET) ** 2).sum()
    loss.backward()
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    for name in ("loss.png", "loss.svg"):
        with pytest.raises(tg.graph.RenderError, match="apt-get install graphviz"):
            tg.render_graph(loss, name)
    with pytest.raises(tg.graph.RenderError, match="apt-get install graphviz"):
        tg.backward_steps(loss, "steps.html")
    for options in (["-o", "cli.pdf"], ["--steps", "-o", "cli-steps.html"]):
        assert cli.main(["graph", "slope", *options]) == 1
        one_line_error(capsys, "graph: cannot draw: Graphviz's `dot` program is not on "
                                     "PATH (install Graphviz")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == mine  # nothing else made
    np.testing.assert_allclose(w.grad.numpy(), [SLOPE])  # nor the gradient changed


# ---------------------------------------------------------------------------------------
# The step-by-step page in a browser


@needs_dot
def test_home_and_end_step_on_a_page_just_opened_and_find_skips_what_is_hidden(tmp_path):
    # the docs promise Home/End move between frames; on a page just opened (nothing
    # clicked, the window has the focus) End scrolled the page and left step 1 shown.
    # And the browser's find-in-page landed on the weight's gradient at step 1, drawn
    # transparent there, not hidden
    from test_graph_steps import CHROMIUM, COUNTER, opened, websocket
    if CHROMIUM is None or websocket is None:
        pytest.skip("headless Chromium (Debian package chromium) and websocket-client are "
                    "needed to drive the page")
    w = tg.tensor([WEIGHT], requires_grad=True)
    steps = tg.backward_steps(((w * INPUT - TARGET) ** 2).sum())
    browser = opened(steps.save(tmp_path / "steps.html"), tmp_path)
    found = f"(getSelection().removeAllRanges(), window.find('{SLOPE:g}'))"
    try:
        assert browser.evaluate("document.activeElement === document.body")
        assert browser.evaluate(found) is False  # the weight's gradient: not reached yet
        browser.key("End", 35)
        assert browser.evaluate(COUNTER) == f"step {len(steps)} of {len(steps)}"
        assert browser.evaluate(found) is True
        browser.key("Home", 36)
        assert browser.evaluate(COUNTER) == f"step 1 of {len(steps)}"
        browser.key("ArrowRight", 39)
        assert browser.evaluate(COUNTER) == f"step 2 of {len(steps)}"
    finally:
        browser.close()


# ---------------------------------------------------------------------------------------
# The notebooks' maker (docs/notebooks.py, what bash scripts/notebooks.sh runs)


def notebooks_maker():
    import importlib.util

    docs = Path(__file__).resolve().parent.parent / "docs"
    spec = importlib.util.spec_from_file_location("docs_notebooks_round31", docs / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("folder, code, said", [
    ("", 2, "argument folder: the path is empty; give a folder, e.g. notebooks"),
    ("mine.txt", 1, "cannot make the folder 'mine.txt': 'mine.txt' is a file, not a folder"),
    ("mine.txt/sub", 1, "cannot make the folder 'mine.txt/sub': 'mine.txt' is a file, not a "
                        "folder; choose another folder")])
def test_the_notebooks_maker_refuses_a_folder_that_names_none(tmp_path, monkeypatch, capsys,
                                                              folder, code, said):
    # "" wrote the seven notebooks into the current folder; a file in the folder's place
    # was said as mkdir's "(File exists)" or "(Not a directory)"
    pytest.importorskip("nbformat", reason="the dev extra is not installed")
    maker = notebooks_maker()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("a learner's notes")
    try:
        returned = maker.main([folder])
    except SystemExit as stopped:  # argparse's refusal: its usage line, then the error
        returned = stopped.code
    assert returned == code
    assert said in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
    assert (tmp_path / "mine.txt").read_text() == "a learner's notes"


@needs_dot
def test_a_steps_tooltips_give_away_no_gradient_its_frame_hides():
    # every frame's tooltips listed every gradient of the pass, those the page hides
    # until their step too: the pointer on the weight at step 1 read its final .grad
    import html

    rng = np.random.default_rng(0)
    x = tg.tensor(rng.normal(size=4))
    w = tg.tensor(rng.normal(size=(4, 4)), requires_grad=True)  # 16: listed in its tooltip
    steps = tg.backward_steps(((w @ x - 1.0) ** 2).sum())
    full = [html.unescape(t) for t in re.findall(r'xlink:title="([^"]*)"', steps.frames[-1])]
    assert sum("grad in full: [[" in tip for tip in full) == 1  # the weight's, at the end
    for k, frame in enumerate(steps.frames):
        tips = [html.unescape(t) for t in re.findall(r'xlink:title="([^"]*)"', frame)]
        seen = " ".join(html.unescape(t) for t in re.findall(
            r'<text(?![^>]*fill="#fffffe")[^>]*>([^<]*)</text>', frame))
        seen = " ".join(seen.split())
        shown = [line for tip in tips for line in tip.split("\n")[1:]  # (the header: words)
                 if tip.startswith("gradient from") or line.startswith("grad ")]
        for line in shown:  # a node's gradient, and what flows along an edge
            if not line.startswith("grad in full"):
                assert " ".join(line.split()) in seen, (k, line)
        assert any("grad in full" in tip for tip in tips) == (k == len(steps) - 1), k
        assert len(shown) > k  # the gradients fill in, in the tooltips too


@needs_dot
def test_two_notebook_widgets_from_two_kernel_sessions_each_step_their_own(tmp_path):
    # a notebook reopened, or its kernel restarted, keeps the widgets an earlier kernel
    # drew; each new kernel numbered its widgets from tgsteps0 again, so the new widget's
    # script found the old one by that id and the new one's controls stayed hidden
    import subprocess
    import sys

    from test_graph_steps import CHROMIUM, opened, websocket
    if CHROMIUM is None or websocket is None:
        pytest.skip("headless Chromium (Debian package chromium) and websocket-client are "
                    "needed to drive the page")
    draw = f"{SETUP}\nprint(tg.backward_steps(loss)._repr_html_())"
    widgets = [subprocess.run([sys.executable, "-c", draw], capture_output=True, text=True,
                              check=True, env={**os.environ, "PYTHONPATH": PACKAGE_ROOT}).stdout
               for _ in range(2)]  # two kernels, one after the other
    page = tmp_path / "notebook.html"
    page.write_text(f"<!DOCTYPE html><html><body>{widgets[0]}<p>a cell</p>{widgets[1]}"
                    f"</body></html>")
    browser = opened(page, tmp_path)
    counters = ("Array.from(document.querySelectorAll('.backward-steps')).map(function(w)"
                "{return w.querySelector('.controls').hidden ? 'hidden' : "
                "w.querySelector('.counter').textContent})")
    count = len(tg.backward_steps(((tg.tensor([WEIGHT], requires_grad=True) * INPUT - TARGET)
                                   ** 2).sum()))
    try:
        assert browser.evaluate(counters) == [f"step 1 of {count}"] * 2
        browser.evaluate("document.querySelectorAll('.backward-steps')[1].focus()")
        browser.key("End", 35)
        assert browser.evaluate(counters) == [f"step 1 of {count}", f"step {count} of {count}"]
    finally:
        browser.close()
