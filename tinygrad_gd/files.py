"""Writing a file atomically: the whole new file, or the old one untouched.

`atomic_write(path, write, what)` is how every file tinygrad_gd writes reaches the disk
(saved weights, diagrams, pictures). `write(file)` fills a temporary file in the same
folder, which is flushed to disk (fsync) and then moved over `path` in one step
(`os.replace`). An error, Ctrl-C or a killed process at any moment leaves either the
previous file or the complete new one, never a part.

The rules, one for every writer:

* `path` names the file to write. An existing regular file there is replaced whole. A
  symbolic link there is replaced by the new file: the file it points to is never
  written (so a planted link cannot redirect a write onto another file).
* Anything else at `path` is refused before anything is written: a folder, a FIFO, a
  device (`/dev/null`), a socket. The error names the path and what to do.
* The temporary is named `.NAME.PID.RANDOM.tmp` beside `path`. One left by a process that
  was killed (`kill -9`, SIGTERM, a power cut) is removed by the next write to `path`
  once its process is gone.
* A write that fails (disk full, no permission) raises an `OSError` of the same errno
  whose message names the path and says that nothing was replaced.
"""
from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import IO, Callable, Union

__all__ = ["atomic_write", "atomic_write_bytes", "check_target", "NotAFileError",
           "remove_unfinished"]

PathLike = Union[str, os.PathLike]

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


# The temporaries this process is writing now: named here before they are created, so
# that `remove_unfinished` finds one whichever instant a Ctrl-C struck.
_unfinished: set[Path] = set()


class NotAFileError(OSError):
    """The path names something other than a regular file: a FIFO, a device, a socket."""


def kind_of(mode: int) -> str:
    """What a file of this st_mode is, in words ("a FIFO (named pipe)", ...)."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def check_target(path: PathLike, what: str) -> Path:
    """`path` as a Path, or an error naming why nothing can be written there."""
    target = Path(os.fspath(path))
    folder = target.parent
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise type(err)(err.errno, f"{what}: cannot look at {str(target)!r} ({err.strerror}); "
                                   f"choose another path") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, f"{what}: {str(target)!r} is a folder; give a file "
                                              f"path such as {str(target / 'model.npz')!r}")
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise NotAFileError(errno.EINVAL, f"{what}: {str(target)!r} is {kind_of(mode)}, not a "
                                          f"regular file; nothing was written. Choose the path of "
                                          f"a file")
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"{what}: the folder {str(folder)!r} of "
                                              f"{str(target)!r} does not exist; create it first "
                                              f"(os.makedirs) or choose another path")
    return target


def atomic_write(path: PathLike, write: Callable[[IO[bytes]], None], what: str,
                 check: Callable[[Path], None] | None = None) -> Path:
    """Write `path` whole through `write(file)`, or leave it as it was; returns the path.

    `check(temporary)`, when given, may inspect the complete temporary file and raise:
    the target is then left as it was. `what` begins every error message ("save").
    """
    target = check_target(path, what)
    folder = target.parent
    remove_stale_temporaries(target)
    temporary = target.with_name(f"{_temporary_prefix(target)}{os.getpid()}."
                                 f"{secrets.token_hex(6)}.tmp")
    _unfinished.add(temporary)
    try:
        descriptor = _open_temporary(temporary, what)
        try:
            with os.fdopen(descriptor, "wb") as file:
                write(file)
                file.flush()
                os.fsync(file.fileno())  # the bytes are on disk before the name points at them
            if check is not None:
                check(temporary)
            os.replace(temporary, target)
        except OSError as err:
            if err.errno is None:  # not the system's error: as it was raised
                raise
            raise type(err)(err.errno, f"{what}: writing {str(target)!r} failed "
                                       f"({err.strerror or err}); nothing was replaced. Free "
                                       f"some space or choose another path") from None
    except BaseException:
        # an error, or Ctrl-C: the old file stays, and so must no half-written temporary.
        # Removed whether or not it was created yet (the name is ours alone: O_EXCL and a
        # random part); a Ctrl-C before that leaves it listed for remove_unfinished().
        _remove_quietly(temporary)
        _unfinished.discard(temporary)
        raise
    _unfinished.discard(temporary)
    _sync_folder(folder)
    return target


def atomic_write_bytes(path: PathLike, data: bytes, what: str) -> Path:
    """Write `data` to `path` atomically (see `atomic_write`)."""
    return atomic_write(path, lambda file: file.write(data), what)


def _temporary_prefix(target: Path) -> str:
    return f".{target.name}."


def _open_temporary(path: Path, what: str) -> int:
    """Create the temporary beside the target: same folder, so os.replace is a rename."""
    try:
        # 0o666 minus the umask: the written file gets the permissions a plain open() gives
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as err:
        raise type(err)(err.errno, f"{what}: cannot write in the folder {str(path.parent)!r} "
                                   f"({err.strerror}); choose a writable path") from None


def remove_unfinished() -> None:
    """Remove every temporary this process has begun and not finished (after Ctrl-C)."""
    for path in list(_unfinished):
        _remove_quietly(path)
        _unfinished.discard(path)


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporaries of `target` whose writing process is gone; returns them."""
    if os.name != "posix":
        return []  # no cheap, safe way to ask whether a process lives
    prefix = _temporary_prefix(target)
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        parts = name[len(prefix):-len(".tmp")].split(".")
        if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 12:
            continue  # not one of ours
        pid = int(parts[0])
        if pid == os.getpid() or _alive(pid):
            continue  # being written now (another thread, another process)
        path = Path(entry.path)
        _remove_quietly(path)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process: alive (or unknowable); leave its file
    return True


def _remove_quietly(path: Path) -> None:
    try:
        os.remove(path)
    except OSError:
        pass  # already gone, or the folder vanished: nothing left to clean


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the new name too (POSIX); a no-op where unsupported."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open folders; its rename is durable enough
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the file itself is synced
    finally:
        os.close(descriptor)
