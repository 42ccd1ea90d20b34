"""Weights on disk: save/load round trips, atomic writes, no code run on load, damaged files.

The promises under test (tinygrad_gd/serialization.py): parameter names are the .npz keys;
a save that fails midway (an error, Ctrl-C, a killed process) leaves the previous file
intact; loading never unpickles; a truncated or corrupted file raises LoadError before
`load_state_dict` could change anything.
"""
from __future__ import annotations

import io
import os
import pickle
import stat
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, serialization
from tinygrad_gd.serialization import FORMAT_KEY, LoadError, load, save


def _mlp(seed=0, dtype=None):
    return nn.Sequential(nn.Linear(3, 4, seed=seed, dtype=dtype), nn.ReLU(),
                         nn.Sequential(nn.Linear(4, 2, seed=seed + 1, dtype=dtype), nn.Sigmoid()))


def _snapshot(model):
    return {name: p.data.copy() for name, p in model.named_parameters()}


def _same(model, snapshot):
    return all(np.array_equal(p.data, snapshot[name]) and p.dtype == snapshot[name].dtype
               for name, p in model.named_parameters())


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------ round trips


def test_a_saved_model_loads_into_another_and_computes_the_same(tmp_path):
    a, b = _mlp(seed=0), _mlp(seed=10)
    x = np.random.default_rng(0).standard_normal((5, 3))
    assert not np.allclose(a(x).data, b(x).data)
    save(a, tmp_path / "model.npz")
    keys = b.load_state_dict(load(tmp_path / "model.npz"))
    assert keys.missing_keys == [] and keys.unexpected_keys == []
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert _same(b, _snapshot(a))


def test_names_are_the_npz_keys_dots_included_and_the_marker_comes_first(tmp_path):
    path = tmp_path / "model.npz"
    save(_mlp().state_dict(), path)  # (a whole model: test_port_recipes.py)
    members = zipfile.ZipFile(path).namelist()
    assert members == [FORMAT_KEY + ".npy", "0.weight.npy", "0.bias.npy", "2.0.weight.npy",
                       "2.0.bias.npy"]
    with np.load(path) as archive:  # an ordinary .npz: NumPy reads it as it is
        assert archive.files[1:] == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
        np.testing.assert_array_equal(archive[FORMAT_KEY], [1, 4])  # (version 1: arrays)
    assert list(load(path)) == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]


def test_float32_and_integer_arrays_keep_their_dtypes(tmp_path):
    model = _mlp(dtype=np.float32)
    state = {**model.state_dict(), "steps": np.array(7, dtype=np.int64),
             "mask": np.array([True, False])}
    save(state, tmp_path / "w.npz")
    loaded = load(tmp_path / "w.npz")
    assert {k: v.dtype for k, v in loaded.items()} == {k: v.dtype for k, v in state.items()}
    for name in state:
        np.testing.assert_array_equal(loaded[name], state[name])
    assert loaded["0.weight"].dtype == np.float32


def test_a_state_dict_of_tensors_lists_and_awkward_names_round_trips(tmp_path):
    # `file` and `allow_pickle` are np.savez's own keywords: they must still be plain names
    state = {"file": tg.Tensor([1.0, 2.0]), "allow_pickle": [[1.0], [2.0]],
             "a/b c": np.float64(3.5), "ünï": np.zeros((0, 3))}
    save(state, tmp_path / "w.npz")
    loaded = load(tmp_path / "w.npz")
    assert list(loaded) == list(state)
    np.testing.assert_array_equal(loaded["file"], [1.0, 2.0])
    np.testing.assert_array_equal(loaded["allow_pickle"], [[1.0], [2.0]])
    assert loaded["a/b c"].shape == () and loaded["a/b c"] == 3.5
    assert loaded["ünï"].shape == (0, 3)


def test_the_path_is_used_as_given_and_an_existing_file_is_replaced(tmp_path):
    path = tmp_path / "weights.bin"  # no .npz suffix is added (np.savez would add one)
    save({"w": np.ones(2)}, str(path))
    save({"w": np.zeros(2)}, path)
    assert _files(tmp_path) == ["weights.bin"]
    np.testing.assert_array_equal(load(path)["w"], np.zeros(2))


def test_loaded_arrays_are_in_memory_and_the_file_is_closed(tmp_path):
    path = tmp_path / "w.npz"
    save({"w": np.arange(4.0)}, path)
    loaded = load(path)
    os.remove(path)  # would fail on Windows with the file still open
    assert isinstance(loaded, dict) and type(loaded["w"]) is np.ndarray
    np.testing.assert_array_equal(loaded["w"], np.arange(4.0))


def test_a_plain_np_savez_archive_loads_too(tmp_path):
    np.savez(tmp_path / "plain.npz", **_mlp().state_dict())
    model = _mlp(seed=4)
    model.load_state_dict(load(tmp_path / "plain.npz"))
    assert _same(model, _snapshot(_mlp()))


def test_saved_file_gets_the_permissions_open_would_give(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = tmp_path / "w.npz"
    save({"w": np.ones(1)}, path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# ------------------------------------------------------------------ checkpoints


def _trained(seed=0):
    model = _mlp(seed=seed)
    adam = tg.optim.Adam([{"params": model[0].parameters(), "name": "body"},
                          {"params": model[2].parameters(), "lr": 0.01}], lr=0.05)
    return model, adam


def _steps(model, optimizer, n):
    x = np.random.default_rng(1).standard_normal((8, 3))
    for _ in range(n):
        optimizer.zero_grad()
        (model(x) ** 2).sum().backward()
        optimizer.step()


def test_a_checkpoint_of_model_and_optimizer_resumes_training_exactly(tmp_path):
    model, adam = _trained()
    _steps(model, adam, 3)
    path = tmp_path / "ck.npz"
    save({"model": model.state_dict(), "optim": adam.state_dict(), "epoch": 3}, path)
    _steps(model, adam, 2)  # the run that was not interrupted

    checkpoint = load(path)
    assert list(checkpoint) == ["model", "optim", "epoch"] and checkpoint["epoch"] == 3
    again, resumed = _trained(seed=9)
    again.load_state_dict(checkpoint["model"])
    resumed.load_state_dict(checkpoint["optim"])
    assert [g["name"] for g in resumed.param_groups[:1]] == ["body"]
    assert resumed.param_groups[0]["betas"] == (0.9, 0.999)  # a tuple again
    _steps(again, resumed, 2)
    assert _same(again, _snapshot(model))  # bit for bit


def test_a_checkpoint_comes_back_with_the_same_structure_and_values(tmp_path):
    state = {"nested": {"w": np.arange(3, dtype=np.float32), 7: [1, 2.5, None, "text"]},
             "pair": (True, float("inf"), -0.0, 10 ** 30), "scalar": np.int16(-4),
             "t": tg.Tensor([1.0, 2.0]), "empty": {}, "rows": [np.zeros((0, 2))]}
    path = tmp_path / "ck.npz"
    save(state, path)
    loaded = load(path)
    assert list(loaded) == list(state) and list(loaded["nested"]) == ["w", 7]
    assert loaded["nested"][7] == [1, 2.5, None, "text"]
    assert loaded["pair"] == (True, float("inf"), -0.0, 10 ** 30)
    assert str(loaded["pair"][2]) == "-0.0" and type(loaded["pair"][0]) is bool
    assert type(loaded["scalar"]) is np.int16 and loaded["scalar"] == -4
    assert loaded["nested"]["w"].dtype == np.float32
    np.testing.assert_array_equal(loaded["nested"]["w"], [0.0, 1.0, 2.0])
    assert type(loaded["t"]) is np.ndarray and loaded["t"].tolist() == [1.0, 2.0]
    assert loaded["empty"] == {} and loaded["rows"][0].shape == (0, 2)
    with np.load(path) as archive:  # still an .npz: the arrays under their paths
        assert archive.files == [FORMAT_KEY, serialization.STRUCTURE_KEY, "nested/w",
                                 "scalar", "t", "rows/0"]


@pytest.mark.parametrize("state, error, fragment", [
    ({"model": {"w": object()}}, TypeError, r"entry 'model/w' is of type object; tg.save keeps "
                                            r"arrays, Tensors, numbers"),
    ({"model": {(1, 2): np.ones(1)}}, TypeError,
     r"key \(1, 2\) in entry 'model' is of type tuple"),
    ({"model": {"w": np.array([{"a": 1}], dtype=object)}}, TypeError,
     r"entry 'model/w' has dtype object"),
])
def test_a_checkpoint_holding_what_cannot_be_saved_safely_is_refused(tmp_path, state, error,
                                                                     fragment):
    with pytest.raises(error, match=fragment):
        save(state, tmp_path / "ck.npz")
    loop: dict = {"a": 1}
    loop["self"] = loop
    with pytest.raises(ValueError, match=r"entry 'self' contains itself"):
        save(loop, tmp_path / "ck.npz")
    assert _files(tmp_path) == []


def test_a_checkpoint_with_a_damaged_structure_is_a_load_error(tmp_path):
    path = tmp_path / "ck.npz"
    structure = np.frombuffer(b'["d", [["w", ["a", "missing"]]]]', np.uint8)
    np.savez(path, **{FORMAT_KEY: np.array([2, 2]), serialization.STRUCTURE_KEY: structure,
                      "w": np.ones(1)})
    with pytest.raises(LoadError, match=r"its checkpoint structure cannot be read"):
        load(path)
    np.savez(path, **{FORMAT_KEY: np.array([2, 2]),
                      serialization.STRUCTURE_KEY: np.frombuffer(b"[not json", np.uint8),
                      "w": np.ones(1)})
    with pytest.raises(LoadError, match=r"cannot read .*checkpoint structure"):
        load(path)


def test_numbers_tuples_and_lists_beside_arrays_come_back_as_they_were(tmp_path):
    # a dict whose values were all "array data" was written as format 1: (0.9, 0.999), an
    # epoch's 3, True and a list of two arrays came back as arrays, [2**63 + 1] as a float
    path = tmp_path / "ck.npz"
    saved = {"epoch": 3, "betas": (0.9, 0.999), "flag": True, "big": [2**63 + 1, 1],
             "hist": [np.ones(2), np.zeros(2)], "lr": np.float32(1.5), "w": np.arange(3.0)}
    save(saved, path)
    back = load(path)
    assert back["epoch"] == 3 and type(back["epoch"]) is int and back["flag"] is True
    assert back["betas"] == (0.9, 0.999) and back["big"] == [2**63 + 1, 1]
    assert [h.tolist() for h in back["hist"]] == [[1, 1], [0, 0]]
    assert back["lr"].dtype == np.float32 and back["w"].tolist() == [0, 1, 2]
    save({"w": np.ones(2), "b": tg.Tensor([1.0])}, path)  # a state dict: format 1 as before
    with np.load(path) as archive:
        assert archive[FORMAT_KEY].tolist() == [1, 2]


def _zip_entry(path, name, payload, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "a" if path.exists() else "w", method) as archive:
        archive.writestr(name, payload)


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_small_file_asking_for_gigabytes_or_an_odd_header_is_a_load_error(tmp_path):
    # 1.6 KB of bzip2 unpacked to a 1.6 GB array; a header NumPy cannot tokenize raised
    # a raw tokenize.TokenError; an entry listed twice loaded its last copy silently
    bomb = tmp_path / "bomb.npz"
    _zip_entry(bomb, FORMAT_KEY + ".npy", _npy(np.array([1, 1])))
    _zip_entry(bomb, "w.npy", _npy(np.zeros(200_000)), zipfile.ZIP_BZIP2)
    with pytest.raises(LoadError, match=r"entry 'w.npy' .* compressed with method 12, which "
                                        r"tg.save and np.savez never use"):
        load(bomb)
    header = b"\x93NUMPY\x01\x00" + (118).to_bytes(2, "little") + b"(" + b" " * 116 + b"\n"
    odd = tmp_path / "odd.npz"
    _zip_entry(odd, "w.npy", header)
    with pytest.raises(LoadError, match=r"cannot read .*odd.npz"):
        load(odd)
    twice = tmp_path / "twice.npz"
    save({"w": np.ones(2)}, twice)
    with pytest.warns(UserWarning, match="Duplicate name"):
        _zip_entry(twice, "w.npy", _npy(np.zeros(2)))
    with pytest.raises(LoadError, match=r"it lists the entry 'w.npy' twice"):
        load(twice)


def test_a_checkpoint_nested_too_deep_or_naming_a_key_twice_is_refused(tmp_path):
    deep: dict = {}
    inner = deep
    for _ in range(150):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(ValueError, match=r"^save: entry .* is nested deeper than 100 levels"):
        save({"deep": deep}, tmp_path / "deep.npz")  # (a bare RecursionError near 340)
    assert not (tmp_path / "deep.npz").exists()
    path = tmp_path / "ck.npz"
    structure = b'["d", [["a", ["v", 1]], ["a", ["v", 2]]]]'
    np.savez(path, **{FORMAT_KEY: np.array([2, 1]),
                      serialization.STRUCTURE_KEY: np.frombuffer(structure, np.uint8)})
    with pytest.raises(LoadError, match=r"a dict in it names a key twice"):
        load(path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_private_file_saved_over_stays_private(tmp_path):
    path = tmp_path / "model.npz"
    save({"w": np.ones(2)}, path)
    os.chmod(path, 0o600)
    save({"w": np.zeros(2)}, path)  # the replacement had the umask's 0o644
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


# ------------------------------------------------------------------ atomic writes


def _fail_on_second_entry(monkeypatch, error):
    real = serialization._write_entry
    calls = []

    def writer(member, array):
        calls.append(array.shape)
        if len(calls) == 2:
            member.write(b"half an array")  # some bytes of the entry are already out
            raise error
        real(member, array)

    monkeypatch.setattr(serialization, "_write_entry", writer)
    return calls


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_save_failing_midway_leaves_the_old_file_intact(tmp_path, monkeypatch, error):
    path = tmp_path / "model.npz"
    old = _mlp(seed=0)
    save(old, path)
    before = path.read_bytes()
    calls = _fail_on_second_entry(monkeypatch, error)
    with pytest.raises(type(error)):
        save(_mlp(seed=7), path)
    assert len(calls) == 2  # it did fail midway, after writing part of the archive
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["model.npz"]  # and left no temporary file behind
    model = _mlp(seed=9)
    model.load_state_dict(load(path))
    assert _same(model, _snapshot(old))


def test_a_first_save_failing_midway_leaves_no_file(tmp_path, monkeypatch):
    _fail_on_second_entry(monkeypatch, OSError(5, "Input/output error"))
    with pytest.raises(OSError):
        save(_mlp(), tmp_path / "model.npz")
    assert _files(tmp_path) == []


def test_a_process_killed_midway_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "model.npz"
    save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    # a hard crash: no exception handler and no cleanup runs, as on a power cut or SIGKILL
    script = (
        "import os, numpy as np\n"
        "from tinygrad_gd import serialization\n"
        "def dies(member, array):\n"
        "    member.write(b'partial')\n"
        "    os._exit(3)\n"
        "serialization._write_entry = dies\n"
        f"serialization.save({{'w': np.zeros(1000)}}, {str(path)!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == 3, result.stderr.decode()
    assert path.read_bytes() == before
    np.testing.assert_array_equal(load(path)["w"], np.arange(3.0))
    # what the crash left is a hidden temporary file beside it, never the target
    leftovers = [name for name in _files(tmp_path) if name != "model.npz"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".model.npz.")


def test_the_archive_is_synced_to_disk_before_it_replaces_the_old_file(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.fstat(fd).st_size > 0))
        real_fsync(fd)

    def replace(source, target):
        events.append(("replace", Path(source).parent == Path(target).parent))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save(_mlp(), tmp_path / "model.npz")
    # the written temporary file is fsynced, then renamed within its folder, then the folder
    # entry is synced
    assert events[:2] == [("fsync", True), ("replace", True)]
    assert events[2][0] == "fsync"


# ------------------------------------------------------------------ loading runs no code


class _Payload:
    """Unpickling this creates a folder: the stand-in for arbitrary code in a pickle."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_the_payload_would_run_if_unpickled(tmp_path):
    # the check that the tests below use a live payload: plain pickle runs it
    pickle.loads(pickle.dumps(_Payload(tmp_path / "ran")))
    assert (tmp_path / "ran").is_dir()


def test_an_npz_holding_pickled_objects_is_refused_without_running_them(tmp_path):
    sentinel = tmp_path / "code_ran"
    path = tmp_path / "evil.npz"
    with open(path, "wb") as file:  # np.savez pickles an object array when allowed to
        np.savez(file, **{"0.weight": np.array([_Payload(sentinel)], dtype=object)})
    with pytest.raises(LoadError) as info:
        load(path)
    assert "pickled Python objects" in str(info.value) and str(path) in str(info.value)
    assert not sentinel.exists()


def test_a_pickle_file_is_refused_without_running_it(tmp_path):
    sentinel = tmp_path / "code_ran"
    path = tmp_path / "model.pt"  # how torch.save-style files (pickles) arrive
    path.write_bytes(pickle.dumps({"0.weight": _Payload(sentinel)}))
    with pytest.raises(LoadError, match=r"is a Python pickle .*never reads: loading a pickle "
                                         r"can run code\. Load it with the program that wrote"):
        load(path)
    assert not sentinel.exists()


def test_save_refuses_object_arrays(tmp_path):
    with pytest.raises(TypeError, match=r"entry 'w' has dtype object"):
        save({"w": np.array([{"a": 1}], dtype=object)}, tmp_path / "w.npz")
    with pytest.raises(TypeError, match=r"entry 'w' has dtype <U1"):
        save({"w": np.array(["a"])}, tmp_path / "w.npz")
    assert _files(tmp_path) == []


# ------------------------------------------------------------------ damaged files


def _saved(tmp_path) -> tuple[Path, bytes]:
    path = tmp_path / "model.npz"
    save({"0.weight": np.arange(6.0).reshape(2, 3), "0.bias": np.ones(2, np.float32)}, path)
    return path, path.read_bytes()


def test_every_truncation_is_an_error_naming_the_file(tmp_path):
    path, data = _saved(tmp_path)
    damaged = tmp_path / "damaged.npz"
    for length in range(len(data)):
        damaged.write_bytes(data[:length])
        with pytest.raises(LoadError) as info:
            load(damaged)
        assert str(damaged) in str(info.value), length
    assert "nothing was loaded" in str(info.value) and "Save the weights again" in str(info.value)


def test_every_flipped_byte_is_caught_or_harmless(tmp_path):
    path, data = _saved(tmp_path)
    original = load(path)
    damaged = tmp_path / "damaged.npz"
    caught = 0
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 0xFF
        damaged.write_bytes(bytes(flipped))
        try:
            loaded = load(damaged)
        except LoadError:
            caught += 1
            continue
        # not caught: then the byte did not matter (a timestamp, say), and the data is intact
        assert list(loaded) == list(original), i
        for name in original:
            assert loaded[name].dtype == original[name].dtype, i
            np.testing.assert_array_equal(loaded[name], original[name], err_msg=str(i))
    assert caught > len(data) // 2


def test_a_directory_entry_hiding_later_entries_is_caught(tmp_path):
    # damage that makes zip's directory skip entries fails no checksum: the count catches it
    path, data = _saved(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist()[:-1]:  # drop the last entry, as hidden ones would be
            target.writestr(info, source.read(info))
    path.write_bytes(buffer.getvalue())
    with pytest.raises(LoadError, match="saved with 2 arrays but 1 can be found"):
        load(path)


def test_a_corrupted_file_changes_nothing_in_the_model(tmp_path):
    path = tmp_path / "model.npz"
    save(_mlp(seed=3), path)
    data = path.read_bytes()
    path.write_bytes(data[:200] + bytes([data[200] ^ 0xFF]) + data[201:])
    model = _mlp(seed=0)
    before = _snapshot(model)
    with pytest.raises(LoadError, match="Bad CRC-32"):
        model.load_state_dict(load(path))
    assert _same(model, before)


@pytest.mark.parametrize("content, fragment", [
    (b"", "not an .npz archive"),
    (b"hello, I am a text file\n", "not an .npz archive"),
])
def test_files_that_are_not_archives(tmp_path, content, fragment):
    path = tmp_path / "w.npz"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=fragment):
        load(path)


def test_a_single_npy_array_is_named_as_such(tmp_path):
    np.save(tmp_path / "w.npy", np.ones(3))
    with pytest.raises(LoadError, match=r"single \.npy array, not an \.npz archive"):
        load(tmp_path / "w.npy")


def _with_marker(tmp_path, marker) -> Path:
    path = tmp_path / "w.npz"
    np.savez(path, **{FORMAT_KEY: marker, "w": np.ones(1)})
    return path


def test_a_newer_format_version_asks_for_an_upgrade(tmp_path):
    path = _with_marker(tmp_path, np.array([serialization.FORMAT_VERSION + 1, 1]))
    with pytest.raises(LoadError, match="upgrade tinygrad_gd"):
        load(path)


def test_a_malformed_marker_is_an_error(tmp_path):
    with pytest.raises(LoadError, match="format marker .* is malformed"):
        load(_with_marker(tmp_path, np.array([1.5, 1.0])))


# ------------------------------------------------------------------ bad arguments


def test_a_missing_file_or_a_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load: no file at .*nowhere\.npz"):
        load(tmp_path / "nowhere.npz")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load(tmp_path)


def test_an_unreadable_file_is_named(tmp_path, monkeypatch):
    path, _ = _saved(tmp_path)
    monkeypatch.setattr(serialization.os, "access", lambda *args: False)  # root reads anything
    with pytest.raises(PermissionError, match=r"load: no permission to read .*model\.npz"):
        load(path)


def test_save_into_a_missing_folder_or_onto_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"the folder .*missing.* does not exist"):
        save(_mlp(), tmp_path / "missing" / "model.npz")
    with pytest.raises(IsADirectoryError, match="is a folder; give a file path"):
        save(_mlp(), tmp_path)


def test_save_into_an_unwritable_folder_names_it(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(serialization.os, "open", refuse)  # root ignores chmod: simulate it
    with pytest.raises(PermissionError, match=r"save: cannot write in the folder .*"
                                              r"Permission denied.*writable path"):
        save(_mlp(), tmp_path / "model.npz")


@pytest.mark.parametrize("obj, error, fragment", [
    ([np.zeros(2)], TypeError, "expected a Module or a mapping"),
    ({FORMAT_KEY: np.zeros(2)}, ValueError, "is reserved"),
])
def test_save_names_bad_arguments(tmp_path, obj, error, fragment):
    with pytest.raises(error, match=fragment):
        save(obj, tmp_path / "w.npz")
    assert _files(tmp_path) == []


def test_weights_of_another_architecture_load_nothing(tmp_path):
    path = tmp_path / "other.npz"
    save(nn.Sequential(nn.Linear(3, 5, seed=0), nn.ReLU(), nn.Linear(5, 2, seed=1)), path)
    model = _mlp()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"0\.weight: shape \(5, 3\) in the state, \(4, 3\)"):
        model.load_state_dict(load(path))
    assert _same(model, before)


# ------------------------------------------------------------------ names a zip cannot keep


@pytest.mark.parametrize("state, fragment", [
    ({"a\x00b": np.ones(2), "a\x00c": np.zeros(2)}, "NUL character"),
    ({"w\x00": np.ones(2)}, "NUL character"),
    ({"k" * 70_000: np.ones(2)}, "70000 bytes long"),
    ({"\ud800": np.ones(2)}, "not valid Unicode"),
])
def test_names_a_zip_cannot_keep_are_refused_before_the_old_file_is_touched(tmp_path, state,
                                                                              fragment):
    path = tmp_path / "m.npz"
    save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=fragment):
        save(state, path)
    assert path.read_bytes() == before and _files(tmp_path) == ["m.npz"]


def test_an_archive_that_does_not_list_its_entries_never_replaces_the_old_file(tmp_path,
                                                                               monkeypatch):
    path = tmp_path / "m.npz"
    save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    real = serialization._write_npz
    # a writer that loses an entry (as zipfile once cut names at NUL): caught on the written file
    monkeypatch.setattr(serialization, "_write_npz",
                        lambda file, arrays: real(file, dict(list(arrays.items())[:-1])))
    with pytest.raises(ValueError, match=r"does not list the entries.*'b\.npy'.*nothing was "
                                         r"replaced"):
        save({"a": np.ones(1), "b": np.ones(1)}, path)
    assert path.read_bytes() == before and _files(tmp_path) == ["m.npz"]


# ------------------------------------------------------------------ what is at the path


def test_save_onto_a_fifo_is_refused_and_the_fifo_stays(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match=r"save: .*pipe.* is a FIFO \(named pipe\), not a regular "
                                      r"file; nothing was written"):
        save({"w": np.ones(2)}, fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and _files(tmp_path) == ["pipe"]


def test_save_onto_a_device_is_refused(tmp_path, monkeypatch):
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    except (PermissionError, OSError):
        device.write_bytes(b"")  # not permitted here: a file that stat calls a device
        real = os.lstat
        monkeypatch.setattr(os, "lstat", lambda p, *a, **k: os.stat_result(
            (stat.S_IFCHR | 0o666,) + tuple(real(p))[1:]) if Path(p) == device else real(p))
    with pytest.raises(OSError, match="is a character device, not a regular file"):
        save({"w": np.ones(2)}, device)
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_save_onto_a_symlink_replaces_the_link_and_leaves_its_target_alone(tmp_path):
    target, link = tmp_path / "elsewhere.npz", tmp_path / "model.npz"
    target.write_bytes(b"somebody else's file")
    link.symlink_to(target)
    save({"w": np.arange(2.0)}, link)
    assert target.read_bytes() == b"somebody else's file"  # the link's target is never written
    assert not link.is_symlink()
    np.testing.assert_array_equal(load(link)["w"], np.arange(2.0))


def test_load_of_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    outcome = []

    def attempt():
        try:
            load(fifo)
        except LoadError as err:
            outcome.append(str(err))

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(60)  # a guard against hanging the suite, not a speed limit
    assert outcome and "is a FIFO (named pipe), not a file of saved weights" in outcome[0]


# ------------------------------------------------------------------ leftovers and full disks


def _kill_midway(path, signal_name=None):
    """A child that dies in the middle of saving to `path`, by os._exit or a signal."""
    death = (f"os.kill(os.getpid(), signal.{signal_name})" if signal_name else "os._exit(3)")
    script = (
        "import os, signal, numpy as np\n"
        "from tinygrad_gd import serialization\n"
        "def dies(member, array):\n"
        "    member.write(b'partial')\n"
        f"    {death}\n"
        "serialization._write_entry = dies\n"
        f"serialization.save({{'w': np.zeros(1000)}}, {str(path)!r})\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)


@pytest.mark.parametrize("signal_name", [None, "SIGKILL", "SIGTERM"])
def test_the_temporary_of_a_killed_save_is_removed_by_the_next_save(tmp_path, signal_name):
    path = tmp_path / "model.npz"
    save({"w": np.arange(3.0)}, path)
    result = _kill_midway(path, signal_name)
    assert result.returncode != 0, result.stderr.decode()
    assert len(_files(tmp_path)) == 2  # the hidden temporary the killed save left
    np.testing.assert_array_equal(load(path)["w"], np.arange(3.0))
    save({"w": np.ones(3)}, path)
    assert _files(tmp_path) == ["model.npz"]
    np.testing.assert_array_equal(load(path)["w"], np.ones(3))


def test_the_temporary_of_a_live_save_is_left_alone(tmp_path):
    path = tmp_path / "model.npz"
    alive = tmp_path / f".model.npz.{os.getppid()}.{'ab' * 6}.tmp"  # our parent: alive
    other = tmp_path / f".other.npz.{2 ** 22 + 7}.{'cd' * 6}.tmp"  # another file's
    alive.write_bytes(b"being written")
    other.write_bytes(b"not ours")
    save({"w": np.ones(1)}, path)
    assert _files(tmp_path) == sorted([alive.name, other.name, "model.npz"])


def test_a_full_disk_names_the_file_and_replaces_nothing(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    _fail_on_second_entry(monkeypatch, OSError(28, "No space left on device"))
    with pytest.raises(OSError, match=r"save: writing .*model\.npz.* failed \(No space left on "
                                      r"device\); nothing was replaced") as caught:
        save({"a": np.ones(2), "b": np.ones(2)}, path)
    assert caught.value.errno == 28
    assert path.read_bytes() == before and _files(tmp_path) == ["model.npz"]
