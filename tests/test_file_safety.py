"""Users' files and paths (twelfth round's audit): a read-only file is never replaced, paths
are read as users write them, Graphviz formats that write elsewhere or nothing are
refused, readers of other programs' files say what those are, and the command line ends
in one line when its own output cannot be written."""
from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli, datasets

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")


def _loss() -> tg.Tensor:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    return (x * x).sum()


def _as_a_user(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python whose permissions are checked: root passes every
    permission check, so as root the child runs without that power (setpriv)."""
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot be tested")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search"] + command
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------------------------------
# a read-only file


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("call", [
    "tg.save({'w': np.ones(2)}, 'kept.npz')",
    "tg.render_graph((tg.Tensor([1.0], requires_grad=True) * 2).sum(), 'kept.dot')",
])
def test_a_read_only_file_is_refused_as_open_would_refuse_it(tmp_path, call):
    name = call.split("'")[-2]
    kept = tmp_path / name
    kept.write_bytes(b"MY CHECKPOINT")
    kept.chmod(0o444)
    result = _as_a_user(f"import numpy as np, tinygrad_gd as tg\ntry:\n    {call}\n"
                        f"except PermissionError as err:\n    print(err)\n", tmp_path)
    assert result.returncode == 0, result.stderr
    said = result.stdout.strip()
    assert len(said.splitlines()) == 1, said
    assert f"'{name}' is read-only" in said and "nothing was written" in said, said
    assert "chmod u+w" in said
    assert kept.read_bytes() == b"MY CHECKPOINT"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary left


# ---------------------------------------------------------------------------------------
# paths as users write them


@pytest.mark.parametrize("call, where", [
    (lambda: tg.save({"w": np.ones(2)}, 42), "save"),
    (lambda: tg.save({"w": np.ones(2)}, None), "save"),
    (lambda: tg.load(42), "load"),
    (lambda: datasets.load_idx(42), "load_idx"),
    (lambda: datasets.load_admissions(42), "load_admissions"),
])
def test_a_path_that_is_no_path_is_one_line_naming_the_function(call, where):
    with pytest.raises(TypeError) as caught:
        call()
    said = str(caught.value)
    assert said.startswith(f"{where}: the path must be a str or a pathlib.Path, got ")
    assert "give a file path such as" in said and "\n" not in said


def test_an_empty_path_is_refused_not_called_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"^save: the path is empty; give a file path such "
                                         r"as 'model.npz'$"):
        tg.save({"w": np.ones(2)}, "")
    assert list(tmp_path.iterdir()) == []


def test_save_and_load_read_a_tilde_as_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    tg.save({"w": np.arange(3.0)}, "~/weights.npz")
    assert (tmp_path / "weights.npz").is_file()
    assert np.array_equal(tg.load("~/weights.npz")["w"], np.arange(3.0))


# ---------------------------------------------------------------------------------------
# what tg.save keeps and tg.load refuses


def test_int_and_empty_keys_round_trip_as_torch_save_keeps_them(tmp_path):
    for saved in ({1: np.ones(2)}, {"": np.arange(2.0)}, {0: np.ones(1), "e": np.zeros(1)}):
        tg.save(saved, tmp_path / "k.npz")
        back = tg.load(tmp_path / "k.npz")
        assert list(back) == list(saved)
        for key in saved:
            assert np.array_equal(back[key], saved[key])


def test_load_names_a_pickle_a_torch_file_and_complex_numbers_for_what_they_are(tmp_path):
    pickled = tmp_path / "p.npz"
    pickled.write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(tg.LoadError, match=r"is a Python pickle .*loading a pickle can run "
                                           r"code"):
        tg.load(pickled)
    torch_like = tmp_path / "t.pt"  # torch.save's layout: a zip holding NAME/data.pkl
    import zipfile
    with zipfile.ZipFile(torch_like, "w") as archive:
        archive.writestr("t/data.pkl", pickle.dumps({"w": 1}))
        archive.writestr("t/version", "3\n")
    with pytest.raises(tg.LoadError, match=r"was written by torch\.save .*Load it with "
                                           r"torch\.load"):
        tg.load(torch_like)
    complex_file = tmp_path / "c.npz"
    np.savez(complex_file, a=np.array([1j]))
    with pytest.raises(tg.LoadError, match=r"entry 'a' .* is not an array of bool, integers "
                                           r"or real floats \(got dtype complex128\)"):
        tg.load(complex_file)
    with pytest.raises(TypeError, match=r"dtype complex128; only numeric arrays can be saved "
                                        r"\(bool, integers and real floats\)$"):
        tg.save({"a": np.array([1j])}, tmp_path / "c2.npz")


# ---------------------------------------------------------------------------------------
# the dataset readers


def test_the_dataset_readers_name_a_missing_file_or_a_folder_in_one_line(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        datasets.load_idx(tmp_path / "nope")
    assert str(caught.value).startswith("load_idx: no file at ")
    for reader in (datasets.load_idx, datasets.load_admissions):
        with pytest.raises(IsADirectoryError) as caught:
            reader(tmp_path)
        assert str(caught.value) == (f"{reader.__name__}: {str(tmp_path)!r} is a folder; give "
                                     f"the path of a file in it")


def test_a_csv_field_too_long_for_the_csv_module_is_one_line(tmp_path):
    csv_file = tmp_path / "big.csv"
    csv_file.write_text("admit,gre,gpa,rank\n" + "1" * 200_000 + ",1,1,1\n")
    with pytest.raises(ValueError, match=r"^load_admissions: .*big\.csv line 2 cannot be read "
                                         r"as CSV \(field larger than field limit"):
        datasets.load_admissions(csv_file)


# ---------------------------------------------------------------------------------------
# Graphviz's formats


@needs_dot
def test_vrml_which_writes_a_png_per_node_into_the_working_folder_is_refused(tmp_path,
                                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "node1.png").write_bytes(b"MY PHOTO")
    with pytest.raises(ValueError, match=r"names a \.vrml file, which is no format"):
        tg.render_graph(_loss(), tmp_path / "g.vrml")
    assert cli.main(["graph", "slope", "-o", str(tmp_path / "g.vrml")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["node1.png"]
    assert (tmp_path / "node1.png").read_bytes() == b"MY PHOTO"


def _unwritten_format() -> str | None:
    """A format Graphviz lists but this build writes nothing for (gd without GD), if any."""
    for name in ("gd", "gd2"):
        made = subprocess.run(["dot", f"-T{name}"], input=b"digraph{a}", capture_output=True)
        if made.returncode == 0 and not made.stdout:
            return name
    return None


@needs_dot
def test_a_format_graphviz_writes_nothing_for_is_an_error_and_the_old_file_stays(tmp_path):
    name = _unwritten_format()
    if name is None:
        pytest.skip("this Graphviz writes every format it lists")
    target = tmp_path / f"g.{name}"
    target.write_bytes(b"OLD")
    with pytest.raises(tg.RenderError, match=rf"wrote nothing for the format {name} .*Use "
                                             rf"\.svg, \.png or \.pdf"):
        tg.render_graph(_loss(), target)
    assert target.read_bytes() == b"OLD"


@needs_dot
def test_a_format_this_graphviz_lacks_is_one_line_without_dots_own_output(tmp_path, capfd):
    made = subprocess.run(["dot", "-Tbmp"], input=b"digraph{a}", capture_output=True)
    if made.returncode == 0:
        pytest.skip("this Graphviz writes BMP")
    with pytest.raises(tg.RenderError, match=r'failed to render the graph to bmp: Format: '
                                             r'"bmp" not recognized; use \.svg'):
        tg.render_graph(_loss(), tmp_path / "g.bmp")
    assert capfd.readouterr().err == ""  # dot's complaint is in the error, not printed too
    assert cli.main(["graph", "slope", "-o", str(tmp_path / "g.bmp")]) == 1
    err = capfd.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "CalledProcessError" not in err and "graph: graph:" not in err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------
# the command line


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("argv", [["demo", "--list"], ["demo", "slope", "--no-graphs"]])
def test_standard_output_that_cannot_be_written_is_one_line(argv):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "tinygrad_gd", *argv], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip() == ("tinygrad-gd: cannot write to standard output (No space "
                                     "left on device); nothing more was printed")


def test_the_cli_refuses_a_suffix_alone_and_a_file_as_the_output_folder(tmp_path, capsys):
    assert cli.main(["graph", "slope", "-o", str(tmp_path / ".svg")]) == 2
    err = capsys.readouterr().err
    assert "is a suffix without a file name; give the file a name, e.g. " in err
    assert list(tmp_path.iterdir()) == []
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    assert cli.main(["demo", "slope", "--out", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert f"--out {str(a_file)!r} is a file, not a folder" in err
    assert a_file.read_text() == "mine"


def test_a_name_ending_in_a_dot_gets_the_formats_suffix_not_a_second_dot(tmp_path, capsys):
    # (`-o graph.` wrote `graph..svg`)
    assert tg.render_graph(_loss(), tmp_path / "g.", format="dot") == tmp_path / "g.dot"
    assert cli.main(["graph", "slope", "--format", "dot", "-o", str(tmp_path / "c.")]) == 0
    assert f"written to {tmp_path / 'c.dot'}\n" in capsys.readouterr().out
    if shutil.which("dot"):
        loss = _loss()
        loss.backward()
        assert tg.backward_steps(loss).save(tmp_path / "s.") == tmp_path / "s.html"
        assert tg.render_graph(loss, tmp_path / "p..") == tmp_path / "p.svg"
    assert not [p.name for p in tmp_path.iterdir() if ".." in p.name]
