"""The views a learner reads at a glance (thirty-fourth round): the step-by-step page's
frames drawn alike (same size, every node in the same place), its picture staying put as
the captions change, standalone and in a notebook, each step's node scrolled in with room
for what it sends on; captions that say the sum a shared value collects and name a large
array by its shape; the command line saying how to open what it wrote, and its errors."""
from __future__ import annotations

import re
import shlex
import shutil
import struct
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli, nn

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


def frame_svgs(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, re.S)


def geometry(svg: str) -> list[str]:
    """Where everything in one frame is drawn: the picture's size, every shape's outline
    and every text's place (colours and element ids aside)."""
    return re.findall(r' (?:width|height|viewBox|points|d|x|y|cx|cy|rx|ry)="([^"]*)"', svg)


def shared_value():
    """The docs' DAG (tutorial 7): h = 2x used three times, y = h * h + h, at x = 3."""
    x = tg.Tensor(3.0, requires_grad=True)
    h = x * 2
    return x, h, h * h + h


# ---------------------------------------------------------------------------------------
# The frames: one layout, the picture in one place


@needs_dot
@pytest.mark.parametrize("network", ["slope", "multi-input"])
def test_every_frame_is_drawn_at_the_same_size_with_every_node_in_place(tmp_path, capsys,
                                                                         network):
    # the slope's frames were 353.5, 351.5 and 350.5 pt wide as gradients showed (dot
    # rounded a hidden label piece by piece): the picture shifted sideways between steps
    page = tmp_path / "steps.html"
    assert cli.main(["graph", network, "--steps", "-o", str(page)]) == 0
    frames = frame_svgs(page.read_text())
    assert len(frames) > 3
    last = geometry(frames[-1])
    for k, svg in enumerate(frames):
        assert geometry(svg) == last, f"frame {k + 1} is drawn otherwise than the last"


@needs_dot
def test_the_docs_shared_value_is_drawn_alike_in_every_frame():
    steps = tg.backward_steps(shared_value()[-1])
    assert len({tuple(geometry(svg)) for svg in steps.frames}) == 1


# where the current frame's picture is on the page, its caption's height, the text's own
PLACE = """(function () {
  var frame = document.querySelector('.frame:not([hidden])');
  var svg = frame.querySelector('svg').getBoundingClientRect();
  var caption = frame.querySelector('.caption'), text = document.createRange();
  text.selectNodeContents(caption);
  var scroller = document.querySelector('.backward-steps');
  var down = scrollY + (scroller.scrollHeight > scroller.clientHeight ? scroller.scrollTop : 0);
  var sideways = frame.querySelector('.picture').scrollLeft;  // (to the step's node)
  return [Math.round(svg.top + down), Math.round(svg.left + sideways), Math.round(svg.width),
          caption.offsetHeight, Math.round(text.getBoundingClientRect().height)];
})()"""


def browser_on(page: Path, tmp_path, width: int, height: int):
    from test_graph_steps import CHROMIUM, opened, websocket
    if CHROMIUM is None or websocket is None:
        pytest.skip("headless Chromium (Debian package chromium) and websocket-client are "
                    "needed to drive the page")
    return opened(page, tmp_path, width, height)


@needs_dot
@pytest.mark.parametrize("where", ["page", "notebook"])
def test_the_picture_stays_put_while_captions_of_more_lines_come_and_go(tmp_path, where):
    # a caption wrapping to more lines pushed the picture down (and back up at the next
    # step): the multi-input network's with its weights given a long name, 700 px wide
    from test_graph_steps import COUNTER, tall_network

    loss, params = tall_network()
    weights = "the weights of the three inputs that Grokking's fifth chapter feeds one neuron"
    steps = tg.backward_steps(loss, params={weights: params["weights"]})
    page = tmp_path / "s.html"
    if where == "page":
        steps.save(page)
    else:  # the notebook's widget, its own scrolling box between two cells
        page.write_text(f"<!DOCTYPE html><html><body><p>a cell</p>{steps._repr_html_()}"
                        f"<p>next cell</p></body></html>")
    browser = browser_on(page, tmp_path, 700, 600)
    try:
        browser.evaluate("document.querySelector('.backward-steps').focus()")
        seen = [browser.evaluate(PLACE)]
        for step in range(2, len(steps) + 1):
            browser.key("ArrowRight", 39)
            assert browser.evaluate(COUNTER) == f"step {step} of {len(steps)}"
            seen.append(browser.evaluate(PLACE))
        texts = sorted({place[4] for place in seen})
        assert texts[-1] > texts[0] + 10, seen  # (a caption longer by a line or more)
        assert len({tuple(place[:4]) for place in seen}) == 1, seen
    finally:
        browser.close()


# the step's node, the bottom of the window (or of the widget's box) and whether the page
# has scrolled as far as it goes
BELOW = """(function () {
  var root = document.querySelector('.backward-steps');
  var node = document.querySelector('.frame:not([hidden]) .step').getBoundingClientRect();
  var box = root.scrollHeight > root.clientHeight ? root.getBoundingClientRect()
            : {top: 0, bottom: innerHeight};
  var end = root.scrollHeight > root.clientHeight
            ? root.scrollTop + root.clientHeight >= root.scrollHeight - 1
            : scrollY + innerHeight >= document.documentElement.scrollHeight - 1;
  var top = box.top + document.querySelector('.controls').offsetHeight
            + document.querySelector('.frame:not([hidden]) .caption').offsetHeight;
  return [node.top, node.bottom, top, box.bottom, end];
})()"""


@needs_dot
@pytest.mark.parametrize("where", ["page", "notebook"])
def test_each_steps_node_comes_into_view_with_room_below_for_what_it_sends_on(tmp_path,
                                                                            where):
    # a node below the window was scrolled to the window's bottom edge: its gradient's
    # next edges, what the step sends on, stayed out of sight
    from test_graph_steps import tall_network

    loss, params = tall_network()
    steps = tg.backward_steps(loss, params=params)
    page = tmp_path / "s.html"
    if where == "page":
        steps.save(page)
    else:
        page.write_text(f"<!DOCTYPE html><html><body>{steps._repr_html_()}</body></html>")
    browser = browser_on(page, tmp_path, 1000, 600)
    try:
        browser.evaluate("document.querySelector('.backward-steps').focus()")
        for _ in range(len(steps) - 1):
            browser.key("ArrowRight", 39)
            top, bottom, under_caption, window_bottom, at_end = browser.until(
                f"(function(){{var b={BELOW};return b[0] >= b[2] - 1 && b}})()")
            assert under_caption <= top + 1 and bottom <= window_bottom, (top, bottom)
            room = window_bottom - under_caption
            assert at_end or bottom <= window_bottom - room / 3 + 2, (bottom, window_bottom)
        assert browser.evaluate("scrollY") > 0 or where == "notebook"
    finally:
        browser.close()


# ---------------------------------------------------------------------------------------
# Captions


@needs_dot
def test_a_caption_says_the_sum_a_value_used_twice_collects_and_what_a_leaf_gets():
    x, h, y = shared_value()
    steps = tg.backward_steps(y)
    h_value = float(h.numpy())
    through_mul, through_add = 2 * h_value, 1.0  # d(h * h)/dh and d(... + h)/dh
    # h * h sends h one gradient, the sum of its two slots, not "6 to h, 6 to h"
    assert steps.captions[1].endswith(f"mul's backward sends {through_mul:g} to mul result #1")
    total = through_mul + through_add
    assert (f"is complete: {total:g} = {through_add:g} from add + {through_mul:g} from mul; "
            in steps.captions[2])
    assert steps.captions[-1].endswith("a leaf: backward() adds it to .grad")
    y.backward(retain_graph=True)
    y.backward()  # adds, as the caption says
    np.testing.assert_allclose(x.grad.numpy(), 2 * total * 2)


@needs_dot
def test_a_caption_names_a_large_array_by_its_shape_and_keeps_short():
    # a blog-MLP step's caption listed four arrays' entries over three lines
    rng = np.random.default_rng(0)
    model = nn.Linear(6, 5, generator=rng)
    batch, target = rng.standard_normal((4, 6)), rng.standard_normal((4, 5))
    steps = tg.backward_steps(nn.MSELoss()(model(tg.Tensor(batch)), tg.Tensor(target)),
                              model=model)
    shapes = {"weight": model.weight.shape, "bias": model.bias.shape}
    linear = next(c for c in steps.captions if "linear's backward" in c)
    assert linear.endswith(f"sends a {shapes['weight']} array to weight, "
                           f"a {shapes['bias']} array to bias")
    assert f"sends all {1 / target.size:g} {target.shape} to pow result" in steps.captions[0]
    assert all("…" not in caption and len(caption) < 160 for caption in steps.captions)


# ---------------------------------------------------------------------------------------
# The command line


@needs_dot
def test_graph_steps_says_where_the_page_is_and_how_to_step_through_it(tmp_path, capsys):
    page = tmp_path / "pages" / "slope.html"
    assert cli.main(["graph", "slope", "--steps", "-o", str(page)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"slope (backward pass step by step) written to {page}"
    opened, rest = lines[1].split(" in a web browser")
    address = opened.removeprefix("open ")
    assert urllib.parse.urlparse(address).scheme == "file"
    assert Path(urllib.request.url2pathname(urllib.parse.urlparse(address).path)) == page
    assert rest == "; the arrow keys or the buttons step through it" and len(lines) == 2


@needs_dot
def test_graph_dot_prints_the_command_that_draws_it_and_the_command_works(tmp_path, capsys):
    text = tmp_path / "my graphs" / "slope.dot"  # a space: the command quotes it
    assert cli.main(["graph", "slope", "--mode", "backward", "-o", str(text)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f"written to {text}") and len(lines) == 2
    command = lines[1].removeprefix("Graphviz draws it: ")
    subprocess.run(shlex.split(command), check=True, timeout=60)
    drawn = (tmp_path / "my graphs" / "slope.svg").read_text()
    assert "<svg" in drawn and "[30, 40]" in drawn  # the weights' gradient, drawn


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@needs_dot
def test_a_png_is_the_svgs_size_at_96_dpi_and_needs_no_hint(tmp_path, capsys):
    assert cli.main(["graph", "slope", "-o", str(tmp_path / "g.png")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"slope (forward view) written to {tmp_path / 'g.png'}"]
    assert cli.main(["graph", "slope", "-o", str(tmp_path / "g.svg")]) == 0
    svg = (tmp_path / "g.svg").read_text()
    points = [float(v) for v in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"',
                                          svg).groups()]
    width, height = png_size(tmp_path / "g.png")
    # as a browser shows the SVG: not shrunk, not cut
    assert abs(width - points[0] * 96 / 72) <= 2 and abs(height - points[1] * 96 / 72) <= 2


def test_an_output_path_ending_in_a_slash_is_a_folder_and_is_refused(tmp_path, capsys):
    # `-o out/` wrote out.svg (or out.html) beside the folder the user meant
    for options, example in ((["slope"], "slope-forward.svg"),
                             (["slope", "--steps"], "slope-steps.html")):
        folder = f"{tmp_path / 'out'}/"
        assert cli.main(["graph", *options, "-o", folder]) == 2
        err = capsys.readouterr().err
        assert err.splitlines() == [
            f"tinygrad-gd graph: error: {folder!r} names a folder; give a file path such as "
            f"{str(tmp_path / 'out' / example)!r} (-o)"]
    assert list(tmp_path.iterdir()) == []


def test_graph_without_a_name_lists_the_networks(capsys):
    assert cli.main(["graph"]) == 2
    err = capsys.readouterr().err.splitlines()
    names = ", ".join(cli.load_examples())
    assert err == [f"tinygrad-gd graph: error: give the NAME of a network: {names} "
                   f"(tinygrad-gd demo --list says what each is)"]


@needs_dot
def test_backward_steps_refuses_a_path_ending_in_a_slash(tmp_path):
    # backward_steps(loss, "out/") wrote out.html beside the folder meant
    loss = shared_value()[-1]
    folder = f"{tmp_path / 'out'}/"
    for write, what in ((lambda: tg.backward_steps(loss, folder), "backward_steps"),
                        (lambda: tg.backward_steps(loss).save(folder), "BackwardSteps.save")):
        with pytest.raises(IsADirectoryError) as refused:
            write()
        assert str(refused.value) == (f"{what}: {folder!r} names a folder; give a file path "
                                      f"such as {str(tmp_path / 'out' / 'steps.html')!r}")
    assert list(tmp_path.iterdir()) == []


@needs_dot
def test_the_first_steps_help_ends_with_run_as_shown(tmp_path, capsys, monkeypatch):
    # `tinygrad-gd --help` listed two command names and no command line to start from
    assert cli.main(["--help"]) == 0
    shown = capsys.readouterr().out
    assert shown.rstrip().endswith(cli.FIRST_COMMANDS)
    monkeypatch.chdir(tmp_path)
    for line in cli.FIRST_COMMANDS.splitlines()[1:]:
        command = shlex.split(line.split("  ")[1])
        assert command[0] == "tinygrad-gd"
        if "COMMAND" in command:
            assert cli.main(["graph", "--help"]) == 0 and cli.main(["demo", "--help"]) == 0
            continue
        assert cli.main(command[1:]) == 0, line
    out = capsys.readouterr().out
    assert "slope " in out and (tmp_path / "slope-steps.html").is_file()
    assert (tmp_path / cli.DEFAULT_OUT / "slope-backward.svg").is_file()
