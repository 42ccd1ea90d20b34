"""The documentation's pictures as a reader sees them in the built site.

The site is built from mkdocs.yml (its theme, stylesheets, hook and Markdown extensions)
without the API reference pages, whose mkdocstrings rendering has no pictures and takes
most of a full build. Then, in a 1280 px browser window (the smallest common desktop):

- every `<img>` of every page resolves to a file of the site and has alt text;
- each diagram's smallest text, once the picture is shrunk to the content column, is at
  least about 10 px high (read from the SVG: Graphviz's font sizes, its width), and each
  plot is shrunk at most to three quarters (its smallest text is drawn at 8 pt and 120
  dpi, 13.3 px, so smaller than 3/4 puts it under 10 px); the column is what the theme's
  CSS and docs/stylesheets/extra.css give that window;
- the numbers and products the pages quote from a diagram are on the diagram.

Pictures still too small are marked xfail (strict) with the change they need: in the
diagram renderer (tinygrad_gd/graph) or in tinygrad_gd/plot.py, not in the docs.
"""
from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"

pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
yaml = pytest.importorskip("yaml", reason="the docs extra is not installed")

WINDOW_PX = 1280 - 15  # a 1280 px window less its vertical scrollbar
SMALLEST_TEXT_PX = 9.5  # "about 10 px": a plot drawn at 1152 px in an 861 px column is 9.97
PLOT_SMALLEST_TEXT_PT = 8  # plot.py's legends; ticks and titles are larger
PX_PER_PT = 96 / 72

# Pictures still shrunk below the limit, and the change each needs (not in docs/): none now
TOO_SMALL: dict[str, str] = {}

# What a page's text quotes from a diagram: (page, diagram, lines the diagram must show)
QUOTED = [
    ("index.md", "slope-one-weight-backward.svg", ["1 × 2 × (-4) = -8", "-8 × 3 = -24"]),
    ("tutorial/1-one-weight.md", "slope-one-weight-backward.svg",
     ["1 × 2 × (-4) = -8", "-8 × 1 = -8", "-8 × 3 = -24"]),
    ("tutorial/2-several-inputs.md", "multi-input-backward.svg",
     ["[-0.14, -0.14, -0.14] × [8.5, 0.65, 1.2] = [-1.19, -0.091, -0.168]"]),
    ("tutorial/3-freezing-a-weight.md", "freeze-weight-backward.svg",
     ["[-0.14, -0.14, -0.14] × [8.5, 0.65, 1.2] = [-1.19, -0.091, -0.168]",
      "frozen [0]: zeroed in .grad", "grad [-1.19, -0.091, -0.168]",
      ".grad [0, -0.091, -0.168] (its frozen entries zeroed)"]),
    ("tutorial/4-several-outputs.md", "multi-output-backward.svg",
     ["[0.095, -0.87, 0.485]"]),
    ("tutorial/5-mnist.md", "mnist-single-layer-backward.svg",  # (products in names)
     ["all 0.125 (4, 10) × 2 × (sub result)", "(Linear(784 -> 10) result grad)ᵀ @ images"]),
    ("tutorial/6-squared-errors.md", "admissions-backward.svg",
     ["sigmoid × (1 - sigmoid)", "0.2642", "0.1321"]),
    ("tutorial/7-backpropagation.md", "concept-shared-input-backward.svg",
     ["∂/∂h = h + h = 6 + 6", "1 × (6 + 6) = 12", "grad 13"]),
    ("tutorial/7-backpropagation.md", "blog-mlp-backward.svg",
     ["∂/∂(4: Linear(64 -> 10) result) = 1"]),
    ("concepts/broadcasting.md", "concept-broadcast-backward.svg",
     ["[5, 7, 9]", "[2, 2, 2]"]),
]


def pictures_of_the_pages() -> list[tuple[str, str]]:
    """(page, picture) for every generated picture a page shows, in page order."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for name in re.findall(r"!\[[^\]]*\]\([^)\s]*generated/([^)\s/]+)\)", page.read_text()):
            found.append((page.relative_to(DOCS).as_posix(), name))
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built by mkdocs.yml's theme, stylesheets, hook and extensions."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    out = tmp_path_factory.mktemp("pictures_site")
    config.update(docs_dir=str(DOCS), site_dir=str(out / "site"), plugins=[],
                  hooks=[str(REPO / hook) for hook in config.get("hooks", [])],
                  exclude_docs=config.get("exclude_docs", "") + "\nreference/\n")
    config.pop("nav", None)  # the reference pages are left out
    config.pop("validation", None)  # links into them are expected to dangle here
    path = out / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--config-file", str(path)], cwd=REPO,
        capture_output=True, text=True, timeout=600, env={**os.environ, "MPLBACKEND": "Agg"},
        check=False)
    assert completed.returncode == 0, f"mkdocs build failed:\n{completed.stderr}"
    return out / "site"


class _Page(HTMLParser):
    """Each <img>'s attributes and whether it sits in a <figure class="tg-picture">, and
    the stylesheets the page links."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | bool | None]] = []
        self.stylesheets: list[str] = []
        self._open: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "stylesheet":
            self.stylesheets.append(found.get("href") or "")
        if tag == "img":
            in_figure = any(t == "figure" and "tg-picture" in c.split() for t, c in self._open)
            self.images.append({**found, "in_figure": in_figure})
        elif tag not in ("br", "hr", "input", "meta", "link", "source", "wbr"):
            self._open.append((tag, found.get("class") or ""))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break


def read_page(html: Path) -> _Page:
    parser = _Page()
    parser.feed(html.read_text())
    return parser


def images_of(html: Path) -> list[dict]:
    return read_page(html).images


def page_html(site: Path, page: str) -> Path:
    return site / page.removesuffix(".md").removesuffix("index") / "index.html"


def _css_px(value: str, em_px: float = 16.0) -> float:
    number = float(re.match(r"[\d.]+", value)[0])
    return number * em_px if value.endswith(("em", "rem")) else number


def columns(html: Path) -> tuple[float, float]:
    """(the content column, the prose measure) in px for the window, from the CSS the page
    links: the theme's, then the project's rules for screens this wide."""
    linked = [(html.parent / href).resolve() for href in read_page(html).stylesheets
              if not urlsplit(href).scheme]
    theme = next(path for path in linked if path.name == "theme.css").read_text()
    sidebar = _css_px(re.search(r"\.wy-nav-side\{[^}]*?[;{]width:([\d.]+px)", theme)[1])
    box = re.search(r"\.wy-nav-content\{padding:[\d.]+em ([\d.]+em)[^}]*max-width:(\d+px)", theme)
    padding, max_width = _css_px(box[1]), _css_px(box[2])
    prose = max_width
    for extra in (path for path in linked if path.name != "theme.css" and path.is_file()):
        css = re.sub(r"/\*.*?\*/", "", extra.read_text(), flags=re.S)
        for query, block in re.findall(r"@media screen and \(min-width: *(\d+)px\) *\{(.*?\})\s*\}",
                                       css, re.S):
            if int(query) > WINDOW_PX:
                continue
            wider = re.search(r"\.wy-nav-content *\{[^}]*max-width: *([\d.]+px)", block)
            max_width = _css_px(wider[1]) if wider else max_width
            measure = re.search(r"\.document p\b[^{]*\{[^}]*max-width: *([\d.]+r?em|[\d.]+px)",
                                block)
            prose = _css_px(measure[1]) if measure else max_width
    column = min(max_width, WINDOW_PX - sidebar) - 2 * padding
    return column, min(prose, column)


def natural_width_px(path: Path) -> float:
    if path.suffix == ".png":
        return float(struct.unpack(">I", path.read_bytes()[16:20])[0])
    width = ET.parse(path).getroot().get("width")
    return _css_px(width) * (PX_PER_PT if width.endswith("pt") else 1.0)


def smallest_text_px(path: Path) -> float:
    """The smallest text of the picture at its own size, in px."""
    if path.suffix == ".png":
        data, dpi = path.read_bytes(), 72.0
        at = data.find(b"pHYs")
        if at > 0:
            per_metre, _, unit = struct.unpack(">IIB", data[at + 4:at + 13])
            dpi = per_metre * 0.0254 if unit == 1 else dpi
        return PLOT_SMALLEST_TEXT_PT * dpi / 72
    root = ET.parse(path).getroot()
    view_width = float(root.get("viewBox").split()[2])
    sizes = [float(e.get("font-size")) for e in root.iter() if e.get("font-size")]
    return min(sizes) * natural_width_px(path) / view_width


def svg_lines(path: Path) -> set[str]:
    return {"".join(e.itertext()).strip() for e in ET.parse(path).getroot().iter()
            if e.tag.endswith("}text")}


def test_every_image_resolves_to_a_file_of_the_site_and_has_alt_text(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 15
    broken, no_alt, shown = [], [], 0
    for html in pages:
        for image in images_of(html):
            src = image.get("src") or ""
            where = f"{html.relative_to(site)}: {src}"
            if not (image.get("alt") or "").strip():
                no_alt.append(where)
            if urlsplit(src).scheme in ("http", "https", "data"):
                continue
            target = (html.parent / unquote(urlsplit(src).path)).resolve()
            if not (target.is_file() and target.is_relative_to(site.resolve())):
                broken.append(where)
            shown += 1
    assert broken == [], f"images that resolve to no file of the site: {broken}"
    assert no_alt == [], f"images without alt text: {no_alt}"
    if shutil.which("dot") is not None:
        assert shown >= len(pictures_of_the_pages())


def test_the_picture_column_is_wider_than_the_prose(site):
    column, prose = columns(page_html(site, "tutorial/4-several-outputs.md"))
    assert column > 850, column  # the theme alone: 696 px, which shrank the diagrams
    assert prose < column


@pytest.mark.parametrize("page, name", [
    pytest.param(page, name, id=f"{page}:{name}", marks=[pytest.mark.xfail(
        strict=True, reason=TOO_SMALL[name])] if name in TOO_SMALL else [])
    for page, name in pictures_of_the_pages()])
def test_a_pictures_smallest_text_is_about_10_px_in_the_column(site, page, name):
    picture = site / "generated" / name
    if picture.suffix == ".svg" and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: the diagram stands as a note")
    assert picture.is_file(), f"{name} was not drawn"
    shown = [image for image in images_of(page_html(site, page))
             if (image.get("src") or "").endswith(f"generated/{name}")]
    assert shown, f"{page} does not show {name}"
    column, prose = columns(page_html(site, page))
    for image in shown:
        room = column if image["in_figure"] else prose
        scale = min(1.0, room / natural_width_px(picture))
        text = smallest_text_px(picture) * scale
        assert text >= SMALLEST_TEXT_PX, (
            f"{page}: {name} ({natural_width_px(picture):.0f} px) is shrunk to {room:.0f} px, "
            f"its smallest text to {text:.1f} px")


@pytest.mark.parametrize("page, name, lines", QUOTED, ids=[f"{p}:{n}" for p, n, _ in QUOTED])
def test_what_a_page_quotes_from_a_diagram_is_on_the_diagram(site, page, name, lines):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: the diagram stands as a note")
    text = (DOCS / page).read_text()
    assert f"generated/{name}" in text, f"{page} no longer shows {name}"
    shown = svg_lines(site / "generated" / name)
    for line in lines:
        assert line in " ".join(text.split()), f"{page} no longer quotes {line!r}"
        assert any(line in drawn for drawn in shown), (
            f"{page} quotes {line!r}, which {name} does not show; it shows {sorted(shown)}")
