"""tinygrad_gd.files: what every writer (save, render_graph, the pictures, the CLI) may
replace, and what it must leave alone. Nothing here touches a real /dev entry: the links
are made in tmp_path."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import cli, files

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev are POSIX's")


def _write(path: Path, what: str = "save") -> Path:
    return files.atomic_write_bytes(path, b"new bytes", what)


def _writers(path: Path):
    """Each public way of writing a file, aimed at `path`."""
    return {"save": lambda: tg.save({"w": np.arange(2.0)}, path),
            "atomic_write_bytes": lambda: _write(path, "demo")}


def _refused(call, path: Path, *fragments: str) -> str:
    with pytest.raises(OSError) as caught:
        call()
    message = caught.value.strerror
    assert "\n" not in message and str(path) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


@posix_only
def test_a_link_to_a_fifo_is_left_alone(tmp_path):
    fifo, link = tmp_path / "pipe", tmp_path / "model.npz"
    os.mkfifo(fifo)
    link.symlink_to(fifo)
    for name, write in _writers(link).items():
        _refused(write, link, "symbolic link to a FIFO", "Choose the path of a file")
        assert link.is_symlink() and os.readlink(link) == str(fifo), name
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "pipe"]  # no temporary


@posix_only
def test_a_link_to_dev_null_is_left_alone_and_dev_null_stays_a_device(tmp_path):
    link = tmp_path / "graph.svg"
    link.symlink_to("/dev/null")
    for write in _writers(link).values():
        _refused(write, link, "symbolic link to a character device")
        assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_a_link_to_a_folder_is_left_alone(tmp_path):
    folder, link = tmp_path / "real", tmp_path / "out"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    link.symlink_to(folder)
    message = _refused(lambda: tg.save({"w": np.ones(1)}, link), link,
                       "symbolic link to a folder", str(link / "model.npz"))
    assert message.startswith("save: ")
    assert link.is_symlink() and os.readlink(link) == str(folder)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc here")
@pytest.mark.parametrize("opened", ["pipe", "regular file"])
def test_a_link_through_proc_is_never_replaced(tmp_path, opened):
    # as /dev/stdout -> /proc/self/fd/1: whatever the descriptor is (a pipe, a terminal,
    # or a regular file when stdout is redirected), the link is the system's, not ours
    if opened == "pipe":
        descriptor, other = os.pipe()
    else:
        descriptor, other = os.open(tmp_path / "log.txt", os.O_WRONLY | os.O_CREAT), None
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/self/fd/{descriptor}")
    try:
        _refused(lambda: _write(link, "graph"), link, "graph: ", "never replaced")
        assert link.is_symlink() and os.readlink(link) == f"/proc/self/fd/{descriptor}"
    finally:
        for number in (descriptor, other):
            if number is not None:
                os.close(number)
    if opened == "regular file":
        assert (tmp_path / "log.txt").read_bytes() == b""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc here")
def test_the_cli_refuses_a_link_to_standard_output_in_one_line(tmp_path, capsys):
    pytest.importorskip("graphviz")
    descriptor, other = os.pipe()
    link = tmp_path / "stdout.dot"  # a suffix: the path is used as it is
    link.symlink_to(f"/proc/self/fd/{descriptor}")
    try:
        assert cli.main(["graph", "slope", "--format", "dot", "-o", str(link)]) == 2
    finally:
        os.close(descriptor)
        os.close(other)
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and str(link) in err and "never replaced" in err
    assert link.is_symlink() and [p.name for p in tmp_path.iterdir()] == ["stdout.dot"]


def test_a_link_to_a_regular_file_or_to_nothing_is_still_replaced(tmp_path):
    target, link, dangling = tmp_path / "theirs", tmp_path / "a.svg", tmp_path / "b.svg"
    target.write_bytes(b"theirs")
    link.symlink_to(target)
    dangling.symlink_to(tmp_path / "nowhere")
    for path in (link, dangling):
        _write(path)
        assert not path.is_symlink() and path.read_bytes() == b"new bytes"
    assert target.read_bytes() == b"theirs" and not (tmp_path / "nowhere").exists()


@posix_only
def test_check_replaceable_refuses_a_device_before_a_suffix_is_added(tmp_path):
    # render_graph(loss, "/dev/null") must not go on to write /dev/null.svg
    _refused(lambda: files.check_replaceable("/dev/null", "render_graph"), Path("/dev/null"),
             "render_graph: ", "character device")
    link = tmp_path / "sink"
    link.symlink_to("/dev/null")
    _refused(lambda: files.check_replaceable(link, "render_graph"), link, "character device")
    # absent (even its folder), a file: fine; the writer makes the folder later
    assert files.check_replaceable(tmp_path / "no" / "g", "x") == tmp_path / "no" / "g"


@posix_only
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc here")
def test_the_diagram_writers_refuse_a_device_or_a_proc_link_before_adding_a_suffix(tmp_path):
    # render_graph(loss, "/dev/stdout") wrote /dev/stdout.svg when stdout was a file, and
    # BackwardSteps.save("/dev/null") wrote /dev/null.html: links made here stand in
    pytest.importorskip("graphviz")
    w = tg.Tensor([1.0], requires_grad=True)
    loss = (w * 2).sum()
    descriptor = os.open(tmp_path / "log.txt", os.O_WRONLY | os.O_CREAT)
    sink, stdout = tmp_path / "sink", tmp_path / "stdout"
    sink.symlink_to("/dev/null")
    stdout.symlink_to(f"/proc/self/fd/{descriptor}")
    try:
        for path, said in [(sink, "symbolic link to a character device"),
                           (stdout, "never replaced")]:
            _refused(lambda: tg.render_graph(loss, path), path, "render_graph: ", said)
            _refused(lambda: tg.backward_steps(loss, path), path, "backward_steps: ", said)
    finally:
        os.close(descriptor)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.txt", "sink", "stdout"]


def test_a_folder_in_the_way_suggests_a_file_that_fits_the_writer(tmp_path):
    (tmp_path / "pictures").mkdir()
    (tmp_path / "slope-forward.svg").mkdir()
    message = _refused(lambda: _write(tmp_path / "pictures", "render_graph"),
                       tmp_path / "pictures")
    assert str(tmp_path / "pictures" / "graph.svg") in message
    message = _refused(lambda: _write(tmp_path / "slope-forward.svg", "demo"),
                       tmp_path / "slope-forward.svg", "is a folder", "Remove or rename it")
    assert "model.npz" not in message
    message = _refused(lambda: files.atomic_write_bytes(tmp_path / "pictures", b"", "x",
                                                        example="table.csv"),
                       tmp_path / "pictures")
    assert str(tmp_path / "pictures" / "table.csv") in message


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
