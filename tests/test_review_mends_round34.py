"""The thirty-fourth round's mends of what its own reads of the change found."""
from __future__ import annotations

from pathlib import Path

import pytest

from tinygrad_gd import cli


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
    import tinygrad_gd as tg

    w = tg.tensor([0.5, -0.2], requires_grad=True)
    loss = (w * 2.0).sum()
    folder = f"{tmp_path / 'out'}/"
    for fmt in (None, "dot"):
        with pytest.raises(IsADirectoryError) as refused:
            tg.render_graph(loss, folder, format=fmt)
        assert str(refused.value) == (f"render_graph: {folder!r} names a folder; give a file "
                                      f"path such as {str(tmp_path / 'out' / 'graph.svg')!r}")
    assert list(tmp_path.iterdir()) == []
