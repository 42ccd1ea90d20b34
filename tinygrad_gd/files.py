"""Writing a file atomically: the whole new file, or the old one untouched.

`atomic_write(path, write, what)` is how every file tinygrad_gd writes reaches the disk
(saved weights, diagrams, pictures). `write(file)` fills a temporary file in the same
folder, which is flushed to disk (fsync) and then moved over `path` in one step
(`os.replace`). An error, Ctrl-C or a killed process at any moment leaves either the
previous file or the complete new one, never a part.

The rules, one for every writer:

* `path` names the file to write: a str, bytes or a pathlib.Path, `~` being the home
  folder as in a shell (`as_path`); 42, None or "" are refused in one line. An existing
  regular file there is replaced whole, unless its permissions forbid writing it (a
  checkpoint made read-only is refused, as `open(path, "wb")` would refuse it). A
  symbolic link there to a regular file, or one that leads nowhere, is replaced by the new
  file: the file it points to is never written (so a planted link cannot redirect a write
  onto another file).
* Anything else at `path` is refused before anything is written, and left as it is: a
  folder, a FIFO, a device (`/dev/null`), a socket, a symbolic link to any of those, and
  the system's links to open files (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`: links
  that lead through /proc), whatever they lead to. The error names the path and what to
  do. `check_replaceable` is that check alone, for a writer that adds a suffix to the path
  (`/dev/null` must not become `/dev/null.svg`).
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

__all__ = ["atomic_write", "atomic_write_bytes", "as_path", "check_target",
           "check_replaceable", "NotAFileError", "readable", "remove_unfinished", "short_repr"]

PathLike = Union[str, os.PathLike]

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"))


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


# The file name a message suggests (a folder given, or no path), by function (`what`);
# others: `example=`.
_EXAMPLES = {"save": "model.npz", "save_figure": "figure.png", "render_graph": "graph.svg",
             "graph": "graph.svg", "backward_steps": "steps.html", "load": "model.npz",
             "load_idx": "train-images-idx3-ubyte.gz",
             "load_admissions": "student_admissions.csv"}


def as_path(path: object, what: str, example: str | None = None) -> Path:
    """`path` as a Path, `~` expanded as a shell does (bytes decoded as `open` does), or one
    line saying why it names no file (42, None, a list, ""): `example` is the file name
    suggested ("model.npz")."""
    example = example or _EXAMPLES.get(what, "file.txt")
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what}: the path must be a str or a pathlib.Path, got "
                        f"{type(path).__name__} {short_repr(path)}; give a file path such as "
                        f"{example!r}")
    text = os.fsdecode(os.fspath(path))
    if not text:
        raise ValueError(f"{what}: the path is empty; give a file path such as {example!r}")
    return Path(text).expanduser()


def readable(path: object, what: str, missing: str) -> Path:
    """`path` as a Path to a regular file this process may read, or one line saying why
    not; `missing` is what the message for a missing file suggests."""
    target = as_path(path, what)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        raise _refusal(FileNotFoundError, errno.ENOENT,
                       f"{what}: no file at {str(target)!r}; {missing}") from None
    except OSError as err:
        raise _refusal(type(err), err.errno, f"{what}: cannot look at {str(target)!r} "
                                             f"({err.strerror}); {missing}") from None
    if stat.S_ISDIR(mode):
        raise _refusal(IsADirectoryError, errno.EISDIR, f"{what}: {str(target)!r} is a folder; "
                                                        f"give the path of a file in it")
    if not stat.S_ISREG(mode):
        raise _refusal(NotAFileError, errno.EINVAL, f"{what}: {str(target)!r} is "
                                                    f"{kind_of(mode)}, not a regular file; "
                                                    f"give the path of a file")
    if not os.access(target, os.R_OK):
        raise _refusal(PermissionError, errno.EACCES,
                       f"{what}: no permission to read {str(target)!r}; change its "
                       f"permissions or copy it somewhere readable")
    return target


def short_repr(value: object) -> str:
    """A wrong value as an error message shows it: its repr, cut after 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def file_in_the_way(path: Path, itself: bool = False) -> Path | None:
    """The file (not a folder) standing where a folder of `path` would be: the nearest of
    its parents (`itself`: and of `path`) that exists, if that is no folder; None where
    nothing is in the way (a missing folder can be made)."""
    for place in (path, *path.parents) if itself else path.parents:
        if os.path.lexists(place):
            return None if place.is_dir() else place
    return None


def check_target(path: PathLike, what: str, example: str | None = None) -> Path:
    """`path` as a Path, or an error naming why nothing can be written there.

    `example`: the file name a message suggests when `path` is a folder ("model.npz").
    """
    target = check_replaceable(path, what, example)
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"{what}: the folder {str(folder)!r} of "
                                              f"{str(target)!r} does not exist; create it first "
                                              f"(os.makedirs) or choose another path")
    return target


def check_replaceable(path: PathLike, what: str, example: str | None = None) -> Path:
    """`path` as a Path when a new file may take its place: nothing is there, a regular
    file, or a symbolic link to a regular file or to nothing. Otherwise an `OSError` whose
    message names the path and what to do (see the module's rules); nothing is touched.

    Call it before adding a suffix to a path: `/dev/null` is refused, not made
    `/dev/null.svg`.
    """
    target = as_path(path, what, example)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return target
    except NotADirectoryError:  # 'taken.png/x.png' with taken.png a file
        blocker = file_in_the_way(target) or target.parent
        raise _refusal(NotADirectoryError, errno.ENOTDIR,
                       f"{what}: cannot write {str(target)!r}: {str(blocker)!r} is a file, not "
                       f"a folder; choose another path") from None
    except OSError as err:
        raise _refusal(type(err), err.errno, f"{what}: cannot look at {str(target)!r} "
                                             f"({err.strerror}); choose another path") from None
    if stat.S_ISREG(mode):
        if not os.access(target, os.W_OK):  # as open(path, "wb") would refuse it
            raise _refusal(PermissionError, errno.EACCES,
                           f"{what}: {str(target)!r} is read-only (its permissions forbid "
                           f"writing it); it was left as it is and nothing was written. Make "
                           f"it writable (chmod u+w) or choose another path")
        return target
    if stat.S_ISDIR(mode):
        raise _refusal(IsADirectoryError, errno.EISDIR,
                       _folder_message(target, what, example, "a folder"))
    if not stat.S_ISLNK(mode):
        raise _refusal(NotAFileError, errno.EINVAL,
                       f"{what}: {str(target)!r} is {kind_of(mode)}, not a regular file; "
                       f"nothing was written. Choose the path of a file")
    if _leads_through_proc(target):
        raise _refusal(NotAFileError, errno.EINVAL,
                       f"{what}: {str(target)!r} is one of the system's links to an open file "
                       f"(through /proc, as /dev/stdout is); it is never replaced and nothing "
                       f"was written. Choose the path of a file")
    try:
        mode = os.stat(target).st_mode  # what the link leads to
    except (FileNotFoundError, NotADirectoryError):
        return target  # a link to nothing: replaced, as a file would be
    except OSError as err:
        if err.errno == errno.ELOOP:
            return target  # a loop of links leads nowhere either
        raise _refusal(type(err), err.errno,
                       f"{what}: cannot see what the symbolic link {str(target)!r} leads to "
                       f"({err.strerror}); nothing was written. Choose another path") from None
    if stat.S_ISREG(mode):
        return target
    if stat.S_ISDIR(mode):
        raise _refusal(IsADirectoryError, errno.EISDIR,
                       _folder_message(target, what, example, "a symbolic link to a folder"))
    raise _refusal(NotAFileError, errno.EINVAL,
                   f"{what}: {str(target)!r} is a symbolic link to {kind_of(mode)} "
                   f"({os.path.realpath(target)!r}), not to a regular file; it was left as it "
                   f"is and nothing was written. Choose the path of a file")


def _folder_message(target: Path, what: str, example: str | None, kind: str) -> str:
    example = example or _EXAMPLES.get(what)
    if target.suffix or example is None:  # 'out/picture.svg' a folder: in the file's way
        return (f"{what}: {str(target)!r} is {kind}, not a file; nothing was written. Remove "
                f"or rename it, or choose another path")
    return (f"{what}: {str(target)!r} is {kind}; give a file path such as "
            f"{str(target / example)!r}")


def _leads_through_proc(link: Path) -> bool:
    """Whether the chain of links from `link` passes under /proc: the kernel's links to
    open files (/dev/stdout -> /proc/self/fd/1 -> a pipe, a terminal, or a file)."""
    hop = os.fspath(link)
    for _ in range(40):  # the kernel's own limit on a chain of links
        folder = os.path.realpath(os.path.dirname(hop) or ".")
        if folder == "/proc" or folder.startswith("/proc/"):
            return True
        try:
            text = os.readlink(hop)
        except OSError:
            return False  # the end of the chain: not a link, or nothing there
        hop = os.path.join(os.path.dirname(hop), text)
    return False


def _refusal(kind: type[OSError], number: int | None, message: str) -> OSError:
    """An error of `kind` whose strerror is `message`, marked as a refusal (atomic_write
    passes it on as it is); printed as the message alone, without "[Errno 22]"."""
    if kind not in _REFUSALS:
        _REFUSALS[kind] = type(kind.__name__, (kind,), {
            "__str__": lambda self: self.strerror, "__module__": kind.__module__})
    error = _REFUSALS[kind](number, message)
    error.refused = True
    return error


_REFUSALS: dict[type[OSError], type[OSError]] = {}  # each kind's refusal: str() the message


def atomic_write(path: PathLike, write: Callable[[IO[bytes]], None], what: str,
                 check: Callable[[Path], None] | None = None,
                 example: str | None = None) -> Path:
    """Write `path` whole through `write(file)`, or leave it as it was; returns the path.

    `check(temporary)`, when given, may inspect the complete temporary file and raise:
    the target is then left as it was. `what` begins every error message ("save");
    `example` is the file name suggested when `path` is a folder ("model.npz").
    """
    target = check_target(path, what, example)
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
            check_replaceable(target, what, example)  # still so after the writing
            _keep_mode(target, temporary)
            os.replace(temporary, target)
        except OSError as err:
            if err.errno is None or getattr(err, "refused", False):  # as it was raised
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


def _keep_mode(target: Path, temporary: Path) -> None:
    """A file replaced keeps its permissions (a private checkpoint, 0o600, stays private)."""
    try:
        mode = os.stat(target).st_mode
    except OSError:  # nothing there yet (or a link to nothing): the umask's default
        return
    if stat.S_ISREG(mode):
        os.chmod(temporary, stat.S_IMODE(mode))


def atomic_write_bytes(path: PathLike, data: bytes, what: str,
                       example: str | None = None) -> Path:
    """Write `data` to `path` atomically (see `atomic_write`)."""
    return atomic_write(path, lambda file: file.write(data), what, example=example)


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
