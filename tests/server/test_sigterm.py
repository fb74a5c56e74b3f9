"""SIGTERM stops ``anymole serve`` within its grace period whatever is running — here two jobs
stuck in a renderer that never checks for cancellation and one waiting for a compute slot —
and every unfinished job is marked INTERRUPTED."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from anymole_client.sync import Client
from anymole_client.v1 import job_pb2
from anymole_server import store as st
from anymole_server.testing import make_input

ROOT = Path(__file__).resolve().parents[2]
GRACE_S = 1.0

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from anymole_server.cli_serve import serve_until_signal
    from anymole_server.testing import make_config

    def stuck_renderer(skeleton, motion, frame_index, options):
        time.sleep(120)  # never checks the cancel token
        return b""

    config = make_config(Path(sys.argv[1]), render_preview=stuck_renderer, shutdown_grace_s=float(sys.argv[2]))
    sys.exit(serve_until_signal(config))
    """
)


def _read_address(proc: subprocess.Popen, timeout_s: float = 60.0) -> str:
    found: dict[str, str] = {}
    lines: list[str] = []

    def reader() -> None:
        for line in proc.stderr:
            lines.append(line)
            if "listening on" in line and "address" not in found:
                found["address"] = line.rsplit(" ", 1)[-1].strip()

    threading.Thread(target=reader, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while "address" not in found and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    if "address" not in found:
        proc.kill()
        pytest.fail("server did not start: " + "".join(lines)[-2000:])
    return found["address"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigterm_stops_the_server_within_its_grace_period(tmp_path, character):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(p) for p in (ROOT, ROOT / "server", ROOT / "client")))
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(GRACE_S)], stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )
    try:
        address = _read_address(proc)
        with Client(address) as client:
            ids = [client.submit(make_input(character, preview_max_frames=2)).job_id for _ in range(3)]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                states = [client.get_job(j).state for j in ids]
                if states.count(job_pb2.JOB_STATE_RUNNING) == 3:
                    break
                time.sleep(0.05)
            assert states.count(job_pb2.JOB_STATE_RUNNING) == 3, states
            time.sleep(0.3)  # two in the stuck renderer, one waiting for a slot
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=GRACE_S + 8)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert rc == 0 and took < GRACE_S + 3.0, (rc, took)
    store = st.Store(tmp_path / "jobs.sqlite3")
    try:
        for job_id in ids:
            row = store.get_job(job_id)
            assert row.state == st.INTERRUPTED and "submit it again" in (row.error_message or ""), row
    finally:
        store.close()
