"""Atomic file and directory writes: a crash or an error leaves either the old file or the new one,
never half of one. No Qt (the app uses these too, so they must not depend on QSaveFile)."""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator


def _read_umask() -> int:
    # mkstemp/mkdtemp create 0600/0700 entries; the user's files should get the usual umask'd mode.
    # Read once at import: os.umask() can only be read by setting it, which is not thread-safe later.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _file_mode(path: Path) -> int:
    """The mode a replaced file keeps, else what a plain open() would have created."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


def fsync_dir(directory: Path) -> None:
    """Make a rename inside `directory` durable (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def os_error_message(exc: OSError, path: str | os.PathLike, verb: str = "save") -> str:
    """A one-line reason a write to `path` failed, naming the user's path (never our temp file)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    code = exc.errno
    if code in (errno.ENOENT, errno.ENOTDIR) and not folder.is_dir():
        return f"cannot {verb} to {folder}: " + ("not a folder" if folder.exists() else "no such folder")
    if code == errno.ENOENT:  # the folder is there but makes no new files (/proc): 'No such file' read as an open
        return f"cannot {verb} to {folder}: new files cannot be made there"
    if code == errno.EISDIR:
        return f"cannot {verb} {path}: it is a folder"
    if code in (errno.EACCES, errno.EPERM):
        return f"cannot {verb} to {folder}: permission denied"
    if code == errno.EROFS:
        return f"cannot {verb} to {folder}: the disk is read-only"
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"cannot {verb} {path}: the disk is full"
    return f"cannot {verb} {path}: {exc.strerror or str(exc) or type(exc).__name__}"


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a binary file; on success it replaces `path` (temp file in the same directory, fsync,
    os.replace, fsync of the directory). On an exception the temp file is removed and `path` is untouched."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, owned: tuple[str, ...]) -> Iterator[Path]:
    """Yield an empty temporary directory; on success its contents land at `path`.

    A new `path` appears by one rename of a temporary directory beside it. An existing directory keeps files we
    do not own; each entry named in `owned` (top-level names the writer produces) is swapped in by rename from a
    temporary directory inside it (an existing folder may be a disk of its own, a USB stick's top folder, and
    renames cannot cross disks), so a failure part way leaves the previous output as it was."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    into_existing = path.is_dir()
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path if into_existing else parent))
    try:
        os.chmod(tmp, 0o777 & ~_UMASK)
        yield tmp
        for root, _dirs, files in os.walk(tmp):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    os.fsync(f.fileno())
        if not into_existing and not path.exists():
            os.rename(tmp, path)
            fsync_dir(parent)
            return
        if not path.is_dir():
            raise FileExistsError(f"{path} exists and is not a directory")
        for name in owned:
            new, old = tmp / name, path / name
            if not new.exists():
                continue
            if old.is_dir() and not old.is_symlink():
                # Directories cannot be replaced in one rename: move the old one aside, then delete it.
                aside = tmp / f".old-{name}"
                os.rename(old, aside)
                os.rename(new, old)
            else:
                os.replace(new, old)
        fsync_dir(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
