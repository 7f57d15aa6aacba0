"""Autosave and crash recovery, Qt-free (the app drives `autosave` from a timer).

The recovery folder holds, per running session:
    <id>.lock     JSON {pid, started, host, ...}: written when the session starts, removed on a clean exit
    <id>.lsproj   the latest autosave (atomic: temp file, fsync, rename), so a kill at any moment leaves
                  the previous complete autosave or the new one
    <id>.json     what the autosave is of (the file it was opened from, title, time)
A lock whose process is gone marks a crashed session: its autosave is offered at the next start.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..document import Document
from ..errors import UserError
from .atomic import atomic_write
from .project import load_project, open_project, save_project

ENV_DIR = "LAYERSTUDIO_RECOVERY_DIR"
DEFAULT_INTERVAL_S = 5.0


def recovery_dir() -> Path:
    """$LAYERSTUDIO_RECOVERY_DIR, else the platform's per-user data folder."""
    override = os.environ.get(ENV_DIR)
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "LayerStudio"
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support" / "LayerStudio"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "layerstudio"
    return base / "recovery"


# ------------------------------------------------------------------------------ process liveness
def _process_start(pid: int) -> str | None:
    """An id for the process's start (Linux: start time in clock ticks since boot), so a pid reused by
    another program after a crash is not mistaken for the session still running."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def pid_alive(pid: int, start: str | None = None) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if sys.platform == "win32":
        alive = _windows_pid_alive(pid)
    else:
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True  # exists, belongs to someone else
        except OSError:
            alive = False
        if alive and _zombie(pid):
            alive = False  # killed but not yet reaped: it will never write again
    if alive and start is not None:
        now = _process_start(pid)
        if now is not None and now != start:
            return False
    return alive


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def _windows_pid_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


# ------------------------------------------------------------------------------------ sessions
@dataclass
class Recoverable:
    """The autosave of a session that ended without closing cleanly."""

    session_id: str
    path: Path  # the autosaved project
    saved_at: float  # seconds since the epoch
    source: str | None  # the file the session was editing, if it had one
    title: str
    pid: int | None

    def load(self) -> Document:
        """The autosave, all of it (any damage refuses it)."""
        return load_project(self.path)

    def open(self) -> tuple[Document, list[str]]:
        """The autosave as the app restores it: a damaged layer image opens empty, with warnings (open_project)."""
        return open_project(self.path)


class RecoverySession:
    """One running app's autosave slot. `start()` on launch, `autosave(doc)` while modified,
    `close()` on a clean exit (and after the user saves, `clear()` drops the autosave)."""

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory is not None else recovery_dir()
        self.session_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()
        self._started = False
        self.last_saved: float | None = None

    @property
    def lock_path(self) -> Path:
        return self.directory / f"{self.session_id}.lock"

    @property
    def autosave_path(self) -> Path:
        return self.directory / f"{self.session_id}.lsproj"

    @property
    def info_path(self) -> Path:
        return self.directory / f"{self.session_id}.json"

    def start(self) -> "RecoverySession":
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            info = {"pid": os.getpid(), "start": _process_start(os.getpid()), "started": time.time(),
                    "host": socket.gethostname()}
            with atomic_write(self.lock_path) as f:
                f.write(json.dumps(info).encode("utf-8"))
        except OSError as exc:
            raise UserError(f"cannot use the recovery folder {self.directory}: {exc.strerror or exc}") from None
        self._started = True
        return self

    def autosave(self, document: Document, source: str | os.PathLike | None = None, title: str = "") -> Path:
        """Write the document to this session's recovery slot atomically. Safe to call from a worker thread
        with a document copy; concurrent calls are serialised."""
        if not self._started:
            self.start()
        with self._lock:
            try:
                with atomic_write(self.info_path) as f:
                    f.write(json.dumps({"source": str(source) if source else None, "title": title,
                                        "saved_at": time.time()}, ensure_ascii=False).encode("utf-8"))
                save_project(document, self.autosave_path)
            except OSError as exc:
                raise UserError(f"autosave to {self.directory} failed: {exc.strerror or exc}") from None
            self.last_saved = time.time()
        return self.autosave_path

    def clear(self) -> None:
        """Drop the autosave (the user saved, or the document is no longer modified); keep the lock."""
        with self._lock:
            for p in (self.autosave_path, self.info_path):
                _unlink(p)
            self.last_saved = None

    def close(self) -> None:
        """A clean exit: nothing to recover. The autosave goes first, the lock last, so a crash in between
        leaves at most a lock with nothing behind it."""
        self.clear()
        _unlink(self.lock_path)
        self._started = False

    def __enter__(self) -> "RecoverySession":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        pass


def _read_json(path: Path) -> dict | None:
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read(1 << 16).decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _session_running(lock: dict | None) -> bool:
    if lock is None:
        return False
    pid = lock.get("pid")
    host = lock.get("host")
    if host not in (None, socket.gethostname()):
        return True  # a session on another machine (shared home folder): not ours to judge
    start = lock.get("start") if isinstance(lock.get("start"), str) else None
    return isinstance(pid, int) and not isinstance(pid, bool) and pid_alive(pid, start)


def find_recoverable(directory: str | os.PathLike | None = None) -> list[Recoverable]:
    """Autosaves of sessions that are no longer running (crashed, killed), newest first."""
    directory = Path(directory) if directory is not None else recovery_dir()
    if not directory.is_dir():
        return []
    found = []
    for autosave in directory.glob("*.lsproj"):
        if autosave.name.startswith("."):
            continue  # an atomic write in progress or left by a crash
        sid = autosave.stem
        lock = _read_json(directory / f"{sid}.lock")
        if (directory / f"{sid}.lock").exists() and _session_running(lock):
            continue
        info = _read_json(directory / f"{sid}.json") or {}
        try:
            saved_at = autosave.stat().st_mtime
        except OSError:
            continue
        source = info.get("source") if isinstance(info.get("source"), str) else None
        title = info.get("title") if isinstance(info.get("title"), str) else ""
        pid = lock.get("pid") if lock and isinstance(lock.get("pid"), int) else None
        found.append(Recoverable(sid, autosave, saved_at, source, title, pid))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def discard(recoverable: Recoverable) -> None:
    """Forget a crashed session: its autosave, info and stale lock."""
    directory = recoverable.path.parent
    for suffix in (".lsproj", ".json", ".lock"):
        _unlink(directory / f"{recoverable.session_id}{suffix}")


def clean_stale(directory: str | os.PathLike | None = None, max_age_s: float = 24 * 3600) -> int:
    """Remove leftovers no one can use: stale locks without an autosave and temp files of interrupted
    writes older than `max_age_s` (a running writer's temp file is seconds old). Returns the count removed."""
    directory = Path(directory) if directory is not None else recovery_dir()
    if not directory.is_dir():
        return 0
    removed = 0
    now = time.time()
    for path in directory.iterdir():
        try:
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                if now - path.stat().st_mtime > max_age_s:
                    path.unlink()
                    removed += 1
            elif path.suffix == ".lock":
                sid = path.stem
                if not (directory / f"{sid}.lsproj").exists() and not _session_running(_read_json(path)):
                    path.unlink()
                    _unlink(directory / f"{sid}.json")
                    removed += 1
        except OSError:
            continue
    return removed
