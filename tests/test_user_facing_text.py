"""What a user reads names nothing of this repository's development folders.

The demo's whole output, every --help text, the docs pages and the package's own text
(docstrings, picture titles, error messages) cite the source documents as a reader knows
them (title, author, chapter), never a development file such as seeds/003_....txt or a
data folder beside the checkout that a user's machine does not have.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from tinygrad_gd import cli
from tinygrad_gd.examples import _common, admissions

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = re.compile(r"seeds/|seed 0|\.\./shared|shared/data", re.IGNORECASE)


def development_paths(text: str) -> list[str]:
    """Each line of `text` that names a development folder."""
    return [line.strip() for line in text.splitlines() if FORBIDDEN.search(line)]


def test_the_check_finds_what_it_looks_for():
    assert development_paths("(document: seeds/003_e18d6b89a681d05b.txt)")
    assert development_paths("Picture title (seed 002)")
    assert development_paths("no ../shared/data/student_admissions.csv beside the repository")
    assert not development_paths("random seed of weights (default: 0), seed=0, --seed N")


def test_the_demo_output_names_no_development_folder(tmp_path):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = cli.main(["demo", "--no-graphs", "--epochs", "2", "--out", str(tmp_path)])
    assert code == 0, printed.getvalue()
    assert not development_paths(printed.getvalue())
    for module in cli.load_examples().values():  # every network cites its document
        assert f"(document: {module.DOCUMENT})" in printed.getvalue()
        assert module.DOCUMENT in _common.SOURCES.values()


def _printed(main, argv: list[str]) -> str:
    """What `main(argv)` prints, where it returns 0 or exits with 0 (argparse's --help)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
    assert code in (0, None), printed.getvalue()
    return printed.getvalue()


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["graph", "--help"],
                                  ["demo", "--list"]])
def test_the_help_texts_name_no_development_folder(argv):
    text = _printed(cli.main, argv)
    assert text.strip() and not development_paths(text)


def test_the_admissions_script_help_names_no_development_folder():
    text = _printed(admissions.main, ["--help"])
    assert "--data" in text and not development_paths(text)


def _text_files() -> list[Path]:
    pages = [p for p in (REPO / "docs").rglob("*.md") if "generated" not in p.parts]
    sources = [*(REPO / "tinygrad_gd").rglob("*.py"), *(REPO / "examples").glob("*.py"),
               *(REPO / "tinygrad_gd" / "data_files").glob("*.md")]
    return [REPO / "README.md", REPO / "mkdocs.yml", *pages, *sources]


def test_docs_pages_and_package_text_name_no_development_folder():
    found = {path.relative_to(REPO).as_posix(): development_paths(path.read_text())
             for path in _text_files()}
    assert {name: lines for name, lines in found.items() if lines} == {}
