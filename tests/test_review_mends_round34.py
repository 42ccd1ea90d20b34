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
