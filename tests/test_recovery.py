"""Autosave and crash recovery: a child process edits and autosaves, is killed with SIGKILL, and its last
autosave comes back intact."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from layerstudio.document import Box, Document, Layer
from layerstudio.errors import UserError
from layerstudio.io import recovery
from layerstudio.io.recovery import RecoverySession, clean_stale, discard, find_recoverable, recovery_dir

CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from layerstudio.document import Box, Document, Layer
    from layerstudio.io.recovery import RecoverySession

    session = RecoverySession(sys.argv[1]).start()
    doc = Document(64, 64, "crash test", [Layer(Box(0, 0, 64, 64), name="Background")])
    for i in range(1, 10_000):
        # One edit: a new layer whose pixels all equal i, so the test can check each one is intact.
        doc.add_layer(Layer(Box(i % 48, 0, i % 48 + 16, 16), np.full((16, 16, 4), i % 256, np.uint8),
                            name=f"edit {i}"))
        session.autosave(doc, source="/home/me/poster.lsproj", title="poster")
        print(i, flush=True)
""")


def check_edits(doc: Document) -> int:
    """The number of edits in a recovered document, after checking every layer is the one written."""
    assert doc.prompt == "crash test" and doc.layers[0].name == "Background"
    for i, layer in enumerate(doc.layers[1:], start=1):
        assert layer.name == f"edit {i}"
        assert layer.box == Box(i % 48, 0, i % 48 + 16, 16)
        assert (layer.pixels == i % 256).all()
    return len(doc.layers) - 1


@pytest.mark.parametrize("extra_delay", [0.0, 0.004, 0.03])
def test_autosave_survives_sigkill(tmp_path, extra_delay):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, env=env,
                             text=True)
    try:
        last = 0
        deadline = time.monotonic() + 60
        while last < 5 and time.monotonic() < deadline:
            line = child.stdout.readline()
            assert line, "child exited early"
            last = int(line)
        time.sleep(extra_delay)  # kill at varying points, often in the middle of the next write
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    found = find_recoverable(tmp_path)
    assert len(found) == 1
    rec = found[0]
    assert rec.pid == child.pid and rec.source == "/home/me/poster.lsproj" and rec.title == "poster"
    edits = check_edits(rec.load())
    # At most the edit being saved at the moment of the kill is lost.
    assert edits >= last
    discard(rec)
    assert find_recoverable(tmp_path) == []
    assert not any(p.suffix in (".lock", ".lsproj", ".json") for p in tmp_path.iterdir())


def small_doc(value=7):
    return Document(32, 32, "p", [Layer(Box(0, 0, 32, 32), np.full((32, 32, 4), value, np.uint8))])


def test_running_session_is_not_offered_and_clean_close_leaves_nothing(tmp_path):
    session = RecoverySession(tmp_path).start()
    lock = json.loads(session.lock_path.read_text())
    assert lock["pid"] == os.getpid()
    session.autosave(small_doc())
    assert find_recoverable(tmp_path) == []  # our own session is alive
    session.close()
    assert list(tmp_path.iterdir()) == []


def test_clear_after_save_drops_the_autosave(tmp_path):
    with RecoverySession(tmp_path) as session:
        session.autosave(small_doc())
        session.clear()
        assert not session.autosave_path.exists() and session.lock_path.exists()


def write_stale(tmp_path, sid, pid, start=None, doc=True):
    (tmp_path / f"{sid}.lock").write_text(json.dumps({"pid": pid, "start": start, "host": socket.gethostname()}))
    if doc:
        from layerstudio.io.project import save_project

        save_project(small_doc(), tmp_path / f"{sid}.lsproj")


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_lock_is_recoverable_and_pid_reuse_is_detected(tmp_path):
    write_stale(tmp_path, "crashed", dead_pid())
    # Our own pid with another start time: the pid was reused, the session that wrote it is gone.
    write_stale(tmp_path, "reused", os.getpid(), start="1")
    write_stale(tmp_path, "alive", os.getpid(), start=recovery._process_start(os.getpid()))
    ids = sorted(r.session_id for r in find_recoverable(tmp_path))
    expected = ["crashed", "reused"] if recovery._process_start(os.getpid()) else ["crashed"]
    assert ids == expected
    for rec in find_recoverable(tmp_path):
        np.testing.assert_array_equal(rec.load().layers[0].pixels, small_doc().layers[0].pixels)


def test_corrupt_autosave_loads_as_user_error(tmp_path):
    write_stale(tmp_path, "broken", dead_pid(), doc=False)
    (tmp_path / "broken.lsproj").write_bytes(b"PK\x03\x04 half a zip")
    (rec,) = find_recoverable(tmp_path)
    with pytest.raises(UserError, match="broken.lsproj"):
        rec.load()


def test_clean_stale_removes_orphans_only(tmp_path):
    write_stale(tmp_path, "orphan", dead_pid(), doc=False)
    write_stale(tmp_path, "keep", dead_pid())
    old_tmp = tmp_path / ".keep.lsproj.abc.tmp"
    old_tmp.write_bytes(b"x")
    os.utime(old_tmp, (0, 0))
    fresh_tmp = tmp_path / ".keep.lsproj.def.tmp"
    fresh_tmp.write_bytes(b"x")
    assert clean_stale(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".keep.lsproj.def.tmp", "keep.lock", "keep.lsproj"]


def test_recovery_dir_override_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERSTUDIO_RECOVERY_DIR", str(tmp_path / "r"))
    assert recovery_dir() == tmp_path / "r"
    monkeypatch.delenv("LAYERSTUDIO_RECOVERY_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if sys.platform.startswith("linux"):
        assert recovery_dir() == tmp_path / "data" / "layerstudio" / "recovery"
