"""tg.save and tg.load with file objects (io.BytesIO, files opened "wb" / "rb"), as
torch.save and torch.load take them; and copying a tg.Generator, as torch.Generator copies."""
from __future__ import annotations

import copy
import io
import os
import pickle
import threading
import zipfile

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.serialization import FORMAT_KEY, FORMAT_VERSION, LoadError, load, save

from test_serialization import _steps  # (a few training steps on a batch)


def _mlp(seed=0, dtype=None):
    return nn.Sequential(nn.Linear(3, 4, seed=seed, dtype=dtype), nn.Tanh(),
                         nn.Linear(4, 2, seed=seed + 1, dtype=dtype))


def _state():
    return {"w": np.arange(6.0).reshape(2, 3), "h": np.ones(3, np.float32),
            "count": np.array([1, 2], np.int64), "flag": np.array([True, False]),
            "empty": np.zeros((0, 4))}


def _same_arrays(loaded, expected):
    assert list(loaded) == list(expected)  # the order kept
    for name, value in expected.items():
        value = np.asarray(tg.Tensor(value).data if isinstance(value, tg.Tensor) else value)
        assert loaded[name].dtype == value.dtype and loaded[name].shape == value.shape, name
        np.testing.assert_array_equal(loaded[name], value)


def _one_line(error):
    text = str(error.value)
    assert "\n" not in text
    return text


# ------------------------------------------------------------------ round trips


def test_a_module_saved_into_bytesio_loads_into_another_and_computes_the_same():
    a, b = _mlp(0), _mlp(10)
    x = np.random.default_rng(0).standard_normal((5, 3))
    buffer = io.BytesIO()
    assert save(a, buffer) is None
    buffer.seek(0)
    keys = b.load_state_dict(load(buffer))
    assert keys.missing_keys == [] and keys.unexpected_keys == []
    np.testing.assert_array_equal(a(x).data, b(x).data)
    for model in (a, b):  # and trains the same: the gradients agree
        model.zero_grad()
        (model(x) ** 2).sum().backward()
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.grad, q.grad, err_msg=name)


def test_a_loaded_model_passes_gradcheck_for_its_input_and_parameters():
    buffer = io.BytesIO()
    save(_mlp(3), buffer)
    buffer.seek(0)
    model = _mlp(7)
    model.load_state_dict(load(buffer))
    x = tg.Tensor(np.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda x, *params: model(x), (x, *model.parameters()))


def test_a_state_dict_keeps_dtypes_order_and_empty_arrays():
    buffer = io.BytesIO()
    save(_state(), buffer)
    buffer.seek(0)
    _same_arrays(load(buffer), _state())


def test_a_float32_module_stays_float32():
    buffer = io.BytesIO()
    save(_mlp(0, dtype="float32"), buffer)
    buffer.seek(0)
    assert {v.dtype for v in load(buffer).values()} == {np.dtype(np.float32)}


def test_the_bytes_are_those_a_path_gets(tmp_path):
    buffer = io.BytesIO()
    save(_state(), buffer)
    save(_state(), tmp_path / "m.npz")
    with zipfile.ZipFile(buffer) as one, zipfile.ZipFile(tmp_path / "m.npz") as other:
        assert [(i.filename, i.CRC, i.file_size, i.compress_type) for i in one.infolist()] == \
            [(i.filename, i.CRC, i.file_size, i.compress_type) for i in other.infolist()]
    assert len(buffer.getvalue()) == (tmp_path / "m.npz").stat().st_size
    buffer.seek(0)
    with np.load(buffer) as archive:  # still an .npz NumPy reads
        assert archive.files[0] == FORMAT_KEY


def _trained(seed=0):
    model = _mlp(seed)
    adam = tg.optim.Adam(model.parameters(), lr=0.05, betas=(0.8, 0.99))
    return model, adam


def test_a_checkpoint_of_model_and_optimizer_in_a_file_object_resumes_training_exactly():
    model, adam = _trained()
    _steps(model, adam, 3)
    buffer = io.BytesIO()
    save({"model": model.state_dict(), "optim": adam.state_dict(), "epoch": 3,
          "history": [(1, 0.5), (2, 0.25)], "note": None}, buffer)
    _steps(model, adam, 2)  # the run that was not interrupted
    buffer.seek(0)
    checkpoint = load(buffer)
    assert list(checkpoint) == ["model", "optim", "epoch", "history", "note"]
    assert checkpoint["epoch"] == 3 and checkpoint["history"] == [(1, 0.5), (2, 0.25)]
    assert checkpoint["note"] is None
    again, resumed = _trained(seed=9)
    again.load_state_dict(checkpoint["model"])
    resumed.load_state_dict(checkpoint["optim"])
    assert resumed.param_groups[0]["betas"] == (0.8, 0.99)
    _steps(again, resumed, 2)
    for p, q in zip(model.parameters(), again.parameters()):
        np.testing.assert_array_equal(p.data, q.data)  # bit for bit


def test_an_optimizer_state_dict_alone_round_trips():
    model, adam = _trained()
    _steps(model, adam, 2)
    buffer = io.BytesIO()
    save(adam, buffer)  # (its state_dict(), as for a Module)
    buffer.seek(0)
    loaded = load(buffer)
    assert loaded["param_groups"][0]["lr"] == 0.05
    for key, value in adam.state_dict()["state"].items():
        for name, array in value.items():
            np.testing.assert_array_equal(loaded["state"][key][name], array)


# ------------------------------------------------------------------ positions


def test_save_writes_at_the_position_and_load_reads_from_it():
    buffer = io.BytesIO()
    buffer.write(b"a header of ours")
    save(_state(), buffer)
    end = buffer.tell()
    assert buffer.getvalue()[:16] == b"a header of ours"  # the bytes before: untouched
    buffer.seek(16)
    _same_arrays(load(buffer), _state())
    assert buffer.tell() == end


def test_two_saves_into_one_file_object_load_back_in_order():
    buffer = io.BytesIO()
    first, second = _state(), {"only": np.full((2, 2), 7, np.int32)}
    save(first, buffer)
    middle = buffer.tell()
    save(second, buffer)
    buffer.seek(0)
    _same_arrays(load(buffer), first)
    assert buffer.tell() == middle  # just past the first archive
    _same_arrays(load(buffer), second)
    assert buffer.read() == b""


def test_archives_with_zip64_end_records_load_back_in_order(monkeypatch):
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # as over 65,535 entries would
    buffer = io.BytesIO()
    save(_state(), buffer)
    save({"u": np.arange(4)}, buffer)
    assert buffer.getvalue().count(b"PK\x06\x06") == 2
    buffer.seek(0)
    _same_arrays(load(buffer), _state())
    _same_arrays(load(buffer), {"u": np.arange(4)})


def test_an_array_holding_the_bytes_of_a_zip_end_record_does_not_end_the_archive():
    trap = np.frombuffer(b"PK\x05\x06" + bytes(18) + b"PK\x01\x02", np.uint8).copy()
    buffer = io.BytesIO()
    save({"trap": trap, "after": np.ones(2)}, buffer)
    save({"next": np.zeros(1)}, buffer)
    buffer.seek(0)
    _same_arrays(load(buffer), {"trap": trap, "after": np.ones(2)})
    _same_arrays(load(buffer), {"next": np.zeros(1)})


def test_real_files_opened_wb_and_rb_at_an_offset(tmp_path):
    path = tmp_path / "run.bin"
    model, adam = _trained()
    with open(path, "wb") as file:
        file.write(b"MAGIC\n")
        save(model, file)
        save({"optim": adam.state_dict(), "step": 12}, file)
    with open(path, "rb") as file:
        assert file.read(6) == b"MAGIC\n"
        weights = load(file)
        checkpoint = load(file)
        assert file.read() == b""
    _same_arrays(weights, dict(model.state_dict()))
    assert checkpoint["step"] == 12
    assert checkpoint["optim"]["param_groups"][0]["betas"] == (0.8, 0.99)


def test_a_file_object_that_cannot_seek_is_read_whole():
    buffer = io.BytesIO()
    save(_state(), buffer)

    class Pipe:  # only read(): as a socket's or a pipe's reader
        def __init__(self, data):
            self.data = data

        def read(self, size=-1):
            data, self.data = self.data, b""
            return data

    _same_arrays(load(Pipe(buffer.getvalue())), _state())


def test_through_a_pipe_unbuffered_writer_and_reader_that_cannot_seek():
    reading, writing = os.pipe()
    big = {"w": np.arange(200_000.0)}  # more than a pipe holds: the raw writes are partial
    loaded = []
    with io.FileIO(reading, "rb") as source:
        reader = threading.Thread(target=lambda: loaded.append(load(source)))
        reader.start()
        with io.FileIO(writing, "wb") as sink:
            save(big, sink)
        reader.join(timeout=60)
    _same_arrays(loaded[0], big)


def test_torch_writes_and_reads_at_the_position_too():
    torch = pytest.importorskip("torch")
    state = {"w": np.arange(6.0).reshape(2, 3), "h": np.ones(3, np.float32)}
    ours, theirs = io.BytesIO(b"xyz"), io.BytesIO(b"xyz")
    for buffer in (ours, theirs):
        buffer.seek(3)
    save(state, ours)
    torch.save({k: torch.from_numpy(v) for k, v in state.items()}, theirs)
    for buffer in (ours, theirs):
        assert buffer.getvalue()[:3] == b"xyz"
        buffer.seek(3)
    got, expected = load(ours), torch.load(theirs)
    assert list(got) == list(expected)
    for name, value in expected.items():
        assert got[name].dtype == value.numpy().dtype
        np.testing.assert_array_equal(got[name], value.numpy())


# ------------------------------------------------------------------ refusals


def test_a_refused_save_writes_nothing_into_the_file_object():
    buffer = io.BytesIO(b"kept")
    buffer.seek(4)
    with pytest.raises(TypeError, match=r"^save: entry 'w' has dtype object"):
        save({"w": np.array([{"a": 1}], dtype=object)}, buffer)
    with pytest.raises(TypeError, match=r"^save: entry 'model/w' is of type object"):
        save({"model": {"w": object()}, "epoch": 1}, buffer)
    with pytest.raises(ValueError, match=r"^save: the name .* holds a NUL"):
        save({"a\x00b": np.ones(2)}, buffer)
    assert buffer.getvalue() == b"kept" and buffer.tell() == 4


@pytest.mark.parametrize("opener", [
    lambda path: io.StringIO(),
    lambda path: open(path, "w"),
])
def test_save_refuses_a_text_mode_file(tmp_path, opener):
    file = opener(tmp_path / "text.txt")
    with file, pytest.raises(TypeError) as caught:
        save(_state(), file)
    said = _one_line(caught)
    assert said.startswith("save: the file object <") and "text mode" in said
    assert "'wb'" in said


@pytest.mark.parametrize("opener", [
    lambda path: io.StringIO("PK"),
    lambda path: open(path, "r"),
])
def test_load_refuses_a_text_mode_file(tmp_path, opener):
    save(_state(), tmp_path / "text.txt")
    file = opener(tmp_path / "text.txt")
    with file, pytest.raises(TypeError) as caught:
        load(file)
    said = _one_line(caught)
    assert said.startswith("load: the file object <") and "'rb'" in said


def test_a_reader_giving_text_is_refused_as_text_mode():
    class TextReader:
        def read(self, size=-1):
            return "not bytes"

    with pytest.raises(TypeError, match=r"^load: the file object .* gave text .*'rb'"):
        load(TextReader())


def test_a_writer_taking_only_text_is_refused_as_text_mode():
    class TextWriter:
        def write(self, text):
            if not isinstance(text, str):
                raise TypeError("write() argument must be str")

    with pytest.raises(TypeError, match=r"^save: the file object .* does not take bytes .*'wb'"):
        save(_state(), TextWriter())


def test_closed_files_are_refused_in_one_line(tmp_path):
    buffer = io.BytesIO()
    buffer.close()
    with pytest.raises(ValueError) as caught:
        save(_state(), buffer)
    assert _one_line(caught).startswith("save: the file object <_io.BytesIO")
    assert "is closed" in str(caught.value)
    with open(tmp_path / "m.npz", "wb") as file:
        save(_state(), file)
    with pytest.raises(ValueError) as caught:
        load(file)
    assert _one_line(caught).startswith("load: the file object <_io.BufferedWriter")
    assert "m.npz" in str(caught.value) and "is closed" in str(caught.value)


def test_a_file_open_the_wrong_way_is_refused(tmp_path):
    save(_state(), tmp_path / "m.npz")
    with open(tmp_path / "m.npz", "rb") as file, \
            pytest.raises(io.UnsupportedOperation, match=r"^save: .* not open for writing.*'wb'"):
        save(_state(), file)
    with open(tmp_path / "other.npz", "wb") as file, \
            pytest.raises(io.UnsupportedOperation, match=r"^load: .* not open for reading.*'rb'"):
        load(file)


def test_every_truncation_of_a_bytesio_is_a_load_error_and_consumes_nothing():
    buffer = io.BytesIO()
    save({"w": np.arange(3.0)}, buffer)
    data = buffer.getvalue()
    for length in range(0, len(data), 7):
        cut = io.BytesIO(b"head" + data[:length])
        cut.seek(4)
        with pytest.raises(LoadError) as caught:
            load(cut)
        assert _one_line(caught).startswith("load: "), length
        assert "the file object <_io.BytesIO" in str(caught.value), length
        assert cut.tell() == 4, length
    assert "nothing was loaded" in str(caught.value)


def test_a_flipped_byte_in_an_entry_is_caught():
    buffer = io.BytesIO()
    save({"w": np.arange(50.0)}, buffer)
    data = bytearray(buffer.getvalue())
    data[data.index(np.arange(50.0).tobytes()) + 17] ^= 0x40
    with pytest.raises(LoadError, match=r"cannot read the file object .*damaged"):
        load(io.BytesIO(bytes(data)))


class _Payload:
    def __reduce__(self):
        return (print, ("code ran",))


def test_pickled_members_in_a_file_object_are_refused_without_running_them(capsys):
    buffer = io.BytesIO()
    np.savez(buffer, **{"0.weight": np.array([_Payload()], dtype=object)})
    buffer.seek(0)
    with pytest.raises(LoadError, match=r"^load: the file object .* holds pickled Python "
                                        r"objects"):
        load(buffer)
    with pytest.raises(LoadError, match=r"is a Python pickle"):
        load(io.BytesIO(pickle.dumps({"w": _Payload()})))
    assert "code ran" not in capsys.readouterr().out


def test_a_torch_save_in_a_file_object_is_refused():
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buffer)
    buffer.seek(0)
    with pytest.raises(LoadError, match=r"written by torch.save .*Load it with torch.load"):
        load(buffer)


def test_a_newer_format_version_in_a_file_object_asks_for_an_upgrade():
    buffer = io.BytesIO()
    np.savez(buffer, **{FORMAT_KEY: np.array([FORMAT_VERSION + 1, 1]), "w": np.ones(2)})
    buffer.seek(0)
    with pytest.raises(LoadError, match=r"^load: the file object .* has format version .* "
                                        r"upgrade tinygrad_gd"):
        load(buffer)


def test_plain_np_savez_archives_in_a_file_object_load_in_order():
    buffer = io.BytesIO(b"prefix")
    buffer.seek(6)
    np.savez(buffer, a=np.arange(3), b=np.eye(2, dtype=np.float32))
    middle = buffer.tell()
    np.savez(buffer, c=np.ones(2))  # (zipfile counts its offsets from the file's start)
    buffer.seek(6)
    loaded = load(buffer)
    assert list(loaded) == ["a", "b"] and loaded["b"].dtype == np.float32
    np.testing.assert_array_equal(loaded["a"], np.arange(3))
    assert buffer.tell() == middle
    _same_arrays(load(buffer), {"c": np.ones(2)})


# ------------------------------------------------------------------ copying a Generator


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy,
                                    lambda g: pickle.loads(pickle.dumps(g))])
def test_a_copied_generator_draws_the_same_numbers_then_goes_on_alone(copier):
    original = tg.Generator().manual_seed(3)
    original.random(5)
    twin = copier(original)
    assert type(twin) is tg.Generator and twin is not original
    assert twin.initial_seed() == original.initial_seed() == 3
    np.testing.assert_array_equal(twin.random(4), original.random(4))
    original.random(10)  # drawing from one does not move the other
    after = twin.random(3)
    assert not np.array_equal(after, original.random(3))
    np.testing.assert_array_equal(tg.randn(3, generator=copier(twin)).data,
                                  tg.randn(3, generator=twin).data)


def test_torch_copies_its_generator_the_same_way():
    torch = pytest.importorskip("torch")
    for copier in (copy.copy, copy.deepcopy):
        theirs = torch.Generator().manual_seed(3)
        torch.rand(5, generator=theirs)
        twin = copier(theirs)
        assert twin.initial_seed() == 3
        assert torch.equal(torch.rand(4, generator=twin), torch.rand(4, generator=theirs))
        torch.rand(10, generator=theirs)
        assert not torch.equal(torch.rand(3, generator=twin), torch.rand(3, generator=theirs))


def test_a_file_object_of_a_long_path_is_named_by_its_file(tmp_path):
    """The message keeps the end of a long path, the file's name: it was cut after 40
    characters, which in a deep folder (pytest-xdist's, say) left only the folder."""
    folder = tmp_path / ("deep" * 30)
    folder.mkdir()
    with open(folder / "weights.npz", "wb") as file:
        save(_state(), file)
    with pytest.raises(ValueError) as caught:
        load(file)
    assert "weights.npz'> is closed" in _one_line(caught)
