"""``anymole bench faults [--json FILE]``: run a server through the faults an attacker or an
unlucky operator brings, and report per scenario count / passed / failed / server RSS before
and after / p50 and max latency. Loopback only; every server, file and file system it uses is
its own (a temporary folder); it stops by itself (``--time-limit-s`` per run, a deadline per
scenario, and a watchdog that kills what is left). Exit code 1 when any scenario failed.

Scenarios (``--scenario NAME``, repeatable; default all):

``malformed``  requests that are wrong by class — bytes that are not a protobuf (to every RPC),
               bad shapes, NaN and infinities, extreme finite values (fps 1e-310 and 1e300,
               unit_m 1e-300, 3.4e38), bad parents and keyframes, a huge page_token and page
               size, long ids and keys. Passes when each is answered INVALID_ARGUMENT (or
               NOT_FOUND / FAILED_PRECONDITION / OUT_OF_RANGE), quickly, with a bounded
               message, and the server still answers.
``oversize``   one past each limit the server reports in ``GetServerInfo.limits`` (joints,
               frames, preview size and frames and pixels, vertices, faces, influences,
               decoded bytes, message bytes — those it reports). Passes on INVALID_ARGUMENT /
               RESOURCE_EXHAUSTED, with the server's RSS growing less than 256 MiB.
``kill9``      a subprocess ``anymole serve``: two jobs finish, a third is running; kill -9;
               restart on the same database: the results are byte-identical, the third job is
               INTERRUPTED, and submitting it again with its idempotency key makes a new job.
``store``      a bad database at start-up (not a database, corrupt, newer schema, on a
               read-only file system): exit code 2 and one line naming the path; while serving:
               a full disk, a read-only store, the file deleted, corrupt pages: health
               NOT_SERVING, submit UNAVAILABLE, no hang; the full and read-only ones come back
               to SERVING. The full disk is a real one — a 2 MiB tmpfs in a user and mount
               namespace (``unshare -rm``), filled from outside through ``/proc/PID/root`` —
               and so is the read-only file system at start-up; where ``unshare`` is not
               allowed, SQLite's ``max_page_count`` stands in for the full disk and the
               read-only start is skipped (the report says which). Read-only while serving is
               SQLite's ``query_only`` (a remount cannot be done from outside the namespace).
``cancel``     CancelJob on a job rendering large previews: time until its terminal event
               (passes at 2 s or less each).
``flood``      many concurrent submits against a short queue: each is accepted or
               RESOURCE_EXHAUSTED, accepted jobs all finish, health stays SERVING.
``load``       N clients × M jobs; the server's RSS sampled: passes with no errors and RSS
               after the second half within 10 % (+16 MiB) of RSS after the first half.

Servers run as subprocesses (``python -m anymole.cli serve``), so RSS is the server's own,
except the store faults that need a seam (read-only while serving, deleted file, corrupt
pages), which use an in-process server (RSS there is this process's).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HELP = "Fault bench: malformed/oversize requests, kill -9, store faults, cancel, flood, load with RSS."
SCENARIOS = ("malformed", "oversize", "kill9", "store", "cancel", "flood", "load")
CLIENT_OK_CODES = ("INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION", "OUT_OF_RANGE")
MAX_DETAILS = 1000  # an error message longer than this echoes too much
MIB = 1024 * 1024
MAY_BE_VALID = ("one-frame range resampled",)  # accepted is fine if the job then ends well


def _code_name(number: int) -> str:
    import grpc

    return next((c.name for c in grpc.StatusCode if c.value[0] == number), str(number))


def make_corrupt_database(path: Path, jobs: int = 30) -> Path:
    """A job store with ``jobs`` rows whose pages are then overwritten: what a failing disk
    leaves (used by the store-fault scenario and its tests)."""
    from anymole_server.store import Store

    store = Store(path)
    for i in range(jobs):
        store.create_job(f"j{i}", method="m", idempotency_key=None, request_sha256="", request=b"r" * 3000)
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    with open(path, "r+b") as f:
        f.seek(3 * 4096)
        f.write(b"\xde\xad\xbe\xef" * 4096)
    return path


@dataclass
class Scenario:
    name: str
    count: int = 0
    passed: int = 0
    failed: int = 0
    rss_before_mb: float = math.nan
    rss_after_mb: float = math.nan
    p50_ms: float = math.nan
    max_ms: float = math.nan
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _lat: list[float] = field(default_factory=list, repr=False)

    def case(self, ok: bool, what: str, latency_s: float | None = None) -> None:
        self.count += 1
        if latency_s is not None:
            self._lat.append(latency_s)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            if len(self.failures) < 20:
                self.failures.append(what[:300])

    def finish(self) -> None:
        if self._lat:
            lat = sorted(self._lat)
            self.p50_ms = 1e3 * lat[len(lat) // 2]
            self.max_ms = 1e3 * lat[-1]

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("_lat", None)
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, help="write the report here")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="run only these (repeatable; default all)")
    parser.add_argument("--time-limit-s", type=float, default=420.0, help="hard limit for the whole run (default 420)")
    parser.add_argument("--clients", type=int, default=4, help="load: concurrent clients (default 4)")
    parser.add_argument("--jobs", type=int, default=32, help="load: jobs in all (default 32)")
    parser.add_argument("--flood", type=int, default=200, help="flood: concurrent submits (default 200)")
    parser.add_argument("--quick", action="store_true", help="smaller everything (for tests)")


# -- servers ---------------------------------------------------------------------------------


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / MIB
    except Exception:  # noqa: BLE001 - no figure rather than no bench
        return math.nan


def _env() -> dict:
    root = Path(__file__).resolve().parents[2]
    paths = [str(root), str(root / "server"), str(root / "client"), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))


_CHILDREN: list[subprocess.Popen] = []


class ServeProcess:
    """``python -m anymole.cli serve`` on 127.0.0.1, port 0, as a subprocess (optionally
    wrapped, e.g. in ``unshare``); :attr:`address` once it listens."""

    def __init__(self, db: Path, *extra: str, wrap: Callable[[list[str]], list[str]] | None = None, start_timeout_s: float = 90.0):
        cmd = [sys.executable, "-m", "anymole.cli", "serve", "--port", "0", "--db", str(db), *extra]
        if wrap is not None:
            cmd = wrap(cmd)
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=_env())
        _CHILDREN.append(self.proc)
        self.lines: list[str] = []
        self.address = ""
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        self._ready.wait(start_timeout_s)

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("anymole serve: listening on") and not self.address:
                self.address = line.rsplit(" ", 1)[-1].strip()
                self._ready.set()
        self._ready.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float:
        return _rss_mb(self.proc.pid)

    def client(self, **kw):
        from anymole_client.sync import Client

        return Client(self.address, **kw)

    def exit_code(self, timeout_s: float) -> int | None:
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)

    def stop(self, timeout_s: float = 15.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.exit_code(timeout_s) is None:
                self.kill()
        return self.proc.returncode


def _unshare_ok() -> bool:
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        return False
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# -- requests ---------------------------------------------------------------------------------


def _small_input(**kw):
    from anymole_server.testing import make_input, tiny_character

    kw.setdefault("method", "spline")
    return make_input(tiny_character(), **kw)


def _slow_input(limits):
    """A valid job that renders for a while: the largest previews the limits allow."""
    side = int(min(limits.max_preview_size or 512, 1024))
    frames = int(limits.max_preview_frames or 16)
    budget = int(getattr(limits, "max_preview_pixels", 0) or 0)
    if budget:
        frames = max(1, min(frames, budget // (side * side)))
    return _small_input(preview_size=(side, side), preview_max_frames=frames)


def _code(fn: Callable[[], object]) -> tuple[str, str, float]:
    """``(status name, details, seconds)`` of one call (``"OK"`` when it returned)."""
    import grpc

    t0 = time.perf_counter()
    try:
        fn()
        return "OK", "", time.perf_counter() - t0
    except grpc.RpcError as exc:
        return exc.code().name, exc.details() or "", time.perf_counter() - t0


def _raw_call(address: str, method: str, payload: bytes, stream: bool = False) -> Callable[[], object]:
    import grpc

    def call():
        with grpc.insecure_channel(address) as ch:
            if stream:
                return list(ch.unary_stream(method, request_serializer=None, response_deserializer=None)(payload, timeout=10))
            return ch.unary_unary(method, request_serializer=None, response_deserializer=None)(payload, timeout=10)

    return call


def _malformed_cases():
    """``(name, mutate(TransitionInput))`` — each makes a request the server must refuse."""
    nan, inf = float("nan"), float("inf")

    def set_rot(value):
        def f(m):
            m.context.rotations.data[0] = value

        return f

    def set_fps(value):
        def f(m):
            m.fps = value

        return f

    def set_unit(value):
        def f(m):
            m.convention.unit_m = value

        return f

    def shape(m):
        m.context.rotations.shape[:] = [3, 3, 3]

    def short_data(m):
        del m.context.rotations.data[-5:]

    def parent_cycle(m):
        m.skeleton.parents[0] = 2

    def parent_forward(m):
        m.skeleton.parents[1] = 4

    def key_beyond(m):
        m.keyframe_indices[-1] = 10**9

    def key_unsorted(m):
        m.keyframe_indices[:] = list(reversed(list(m.keyframe_indices)))

    def no_joints(m):
        del m.skeleton.joint_names[:]

    def dup_names(m):
        m.skeleton.joint_names[1] = m.skeleton.joint_names[0]

    def trans_inf(m):
        m.context.translations.data[0] = inf

    def offsets_huge(m):
        m.skeleton.rest_offsets.data[0] = 3.4e38

    def out_fps_tiny(m):
        m.output.fps = 1e-310

    def range_bad(m):
        m.output.range.first, m.output.range.last = 50, 10

    def one_frame_resampled(m):
        m.output.range.first, m.output.range.last = 25, 25
        m.output.fps = 24.0

    def method_unknown(m):
        m.options.method = "x" * 5000

    def zero_quat(m):
        for i in range(4):
            m.context.rotations.data[i] = 0.0

    return [
        ("rotation NaN", set_rot(nan)), ("rotation inf", set_rot(inf)), ("rotation 3.4e38", set_rot(3.4e38)),
        ("translation inf", trans_inf), ("rest offset 3.4e38", offsets_huge), ("zero quaternion", zero_quat),
        ("fps 0", set_fps(0.0)), ("fps -30", set_fps(-30.0)), ("fps 1e-310", set_fps(1e-310)), ("fps 1e300", set_fps(1e300)),
        ("fps NaN", set_fps(nan)), ("unit_m 1e-300", set_unit(1e-300)), ("unit_m NaN", set_unit(nan)), ("unit_m -1", set_unit(-1.0)),
        ("unit_m 1e300", set_unit(1e300)), ("tensor shape wrong", shape), ("tensor data short", short_data),
        ("parent cycle", parent_cycle), ("parent after child", parent_forward), ("keyframe index 1e9", key_beyond),
        ("keyframes unsorted", key_unsorted), ("no joints", no_joints), ("duplicate joint names", dup_names),
        ("output fps 1e-310", out_fps_tiny), ("output range reversed", range_bad), ("one-frame range resampled", one_frame_resampled),
        ("method name 5000 chars", method_unknown),
    ]


# -- scenarios ---------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path):
        self.args = args
        self.tmp = tmp
        self.quick = bool(args.quick)
        self.unshare = _unshare_ok()
        self._server: ServeProcess | None = None

    def shared_server(self) -> ServeProcess:
        """One subprocess server for the request scenarios (2 workers, queue 8)."""
        if self._server is None or self._server.proc.poll() is not None:
            self._server = ServeProcess(self.tmp / "shared" / "jobs.sqlite3", "--workers", "2", "--max-queue", "8")
            if not self._server.address:
                raise RuntimeError("the server did not start: " + " | ".join(self._server.lines[-5:]))
        return self._server

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()

    def _alive(self, srv: ServeProcess, sc: Scenario, what: str) -> None:
        from grpc_health.v1 import health_pb2

        with srv.client(timeout_s=5.0) as c:
            code, details, lat = _code(lambda: c.health(""))
            ok = code == "OK" and c.health("") == health_pb2.HealthCheckResponse.SERVING
        sc.case(ok, f"{what}: server not SERVING afterwards ({code} {details[:100]})")

    # 1 ------------------------------------------------------------------------------------------
    def malformed(self, sc: Scenario, deadline: float) -> None:
        from anymole_client.v1 import service_pb2

        srv = self.shared_server()
        sc.rss_before_mb = srv.rss_mb()
        base = _small_input()
        svc = "/anymole.v1.AnymoleService/"
        garbage = [b"\xff" * 64, b"\x0a\xff\xff\xff\xff\x0f", os.urandom(512), b"\x08" * 3]
        for rpc, stream in (("SubmitJob", False), ("GetJob", False), ("ListJobs", False), ("CancelJob", False), ("WatchJob", True), ("Transition", True)):
            for i, payload in enumerate(garbage):
                code, details, lat = _code(_raw_call(srv.address, svc + rpc, payload, stream))
                # Some garbage happens to parse as a message (unknown fields are legal): then the
                # request is merely empty or wrong — still a client error.
                sc.case(code in CLIENT_OK_CODES and len(details) <= MAX_DETAILS, f"{rpc} garbage #{i}: {code} {details[:120]}", lat)
        with srv.client(timeout_s=15.0) as c:
            for name, mutate in _malformed_cases():
                if time.monotonic() > deadline:
                    sc.notes.append("stopped at the deadline")
                    break
                msg = type(base)()
                msg.CopyFrom(base)
                try:
                    mutate(msg)
                except (IndexError, ValueError) as exc:
                    sc.case(False, f"{name}: cannot build ({exc})")
                    continue
                code, details, lat = _code(lambda: c.submit(msg))
                if code == "OK" and name in MAY_BE_VALID:  # then it must end well or as a client error
                    job = c.get_job(c.submit(msg).job_id)
                    _wait(lambda: c.get_job(job.job_id).finished.seconds > 0, 30)
                    job = c.get_job(job.job_id)
                    motion = job.result.motion
                    finite = all(math.isfinite(v) for v in (*motion.rotations.data, *motion.translations.data))
                    good = (job.state == 3 and finite) or (job.state == 4 and _code_name(job.error.code) in CLIENT_OK_CODES)
                    sc.case(good, f"submit {name}: accepted, then state {job.state} {job.error.message[:120]}", lat)
                    continue
                sc.case(code in CLIENT_OK_CODES and len(details) <= MAX_DETAILS, f"submit {name}: {code} {details[:160]}", lat)
            stub_calls = [
                ("page_token 5000 digits", lambda: c.list_jobs(page_token="9" * 5000)),
                ("page_token not a number", lambda: c.list_jobs(page_token="abc")),
                ("page_token 2^64", lambda: c.list_jobs(page_token=str(2**64))),
                ("page_size 1e9", lambda: c.list_jobs(page_size=10**9)),
                ("state 99", lambda: c.list_jobs(states=[99])),
                ("job id 10 KB", lambda: c.get_job("j" * 10_000)),
                ("watch unknown id", lambda: list(c.watch("nope"))),
                ("cancel unknown id", lambda: c.cancel("nope")),
                ("idempotency key 10 KB", lambda: c.submit(base, idempotency_key="k" * 10_000)),
            ]
            for name, call in stub_calls:
                code, details, lat = _code(call)
                sc.case(code in CLIENT_OK_CODES and len(details) <= MAX_DETAILS, f"{name}: {code} {details[:160]}", lat)
            del service_pb2
        self._alive(srv, sc, "malformed")
        sc.rss_after_mb = srv.rss_mb()

    # 2 ------------------------------------------------------------------------------------------
    def oversize(self, sc: Scenario, deadline: float) -> None:
        from anymole_server.testing import make_input, sine_motion, chain_skeleton

        srv = self.shared_server()
        sc.rss_before_mb = srv.rss_mb()
        with srv.client(timeout_s=60.0) as c:
            lim = c.server_info().capabilities.limits
            have = {f.name for f in lim.DESCRIPTOR.fields}
            cases: list[tuple[str, Callable[[], object]]] = []
            if lim.max_joints:
                J = lim.max_joints + 1
                sk = chain_skeleton(J, bone_m=0.01)
                cases.append((f"joints {J}", lambda: make_input((sk, sine_motion(sk, 40)), method="spline")))
            if lim.max_preview_size:
                cases.append((f"preview {lim.max_preview_size + 1} px", lambda: _small_input(preview_size=(lim.max_preview_size + 1, 64))))
            if lim.max_preview_frames:
                cases.append((f"preview frames {lim.max_preview_frames + 1}", lambda: _small_input(preview_max_frames=lim.max_preview_frames + 1)))
            if "max_preview_pixels" in have and lim.max_preview_pixels:
                side = min(lim.max_preview_size or 1024, 1024)
                frames = max(1, min(lim.max_preview_frames or 64, 64))
                if side * side * frames > lim.max_preview_pixels:
                    cases.append((f"preview pixels {side}²×{frames}", lambda: _small_input(preview_size=(side, side), preview_max_frames=frames)))
            if lim.max_frames:
                def long_output():
                    m = _small_input()
                    m.output.range.first, m.output.range.last = 0, lim.max_frames + 1
                    return m

                cases.append((f"output frames {lim.max_frames + 2}", long_output))

            def mesh(vertices: int, faces: int, influences: int):
                def build():
                    m = _small_input()
                    mesh = m.skeleton.mesh
                    mesh.vertices.shape[:] = [vertices, 3]
                    mesh.vertices.data.extend([0.0] * (3 * vertices))
                    mesh.faces.extend([0, 1, 2] * faces)
                    mesh.joint_indices.extend([0] * (vertices * influences))
                    mesh.joint_weights.shape[:] = [vertices, influences]
                    mesh.joint_weights.data.extend([1.0 / influences] * (vertices * influences))
                    return m

                return build

            if "max_vertices" in have and lim.max_vertices:
                cases.append((f"vertices {lim.max_vertices + 1}", mesh(lim.max_vertices + 1, 1, 1)))
            if "max_faces" in have and lim.max_faces:
                cases.append((f"faces {lim.max_faces + 1}", mesh(3, lim.max_faces + 1, 1)))
            if "max_influences" in have and lim.max_influences:
                cases.append((f"influences {lim.max_influences + 1}", mesh(4, 1, lim.max_influences + 1)))
            if "max_decoded_bytes" in have and lim.max_decoded_bytes and lim.max_message_bytes:
                n = int(lim.max_decoded_bytes // 4 + 16)
                if n * 4 < lim.max_message_bytes * 0.9:
                    cases.append((f"decoded bytes > {lim.max_decoded_bytes}", mesh(n // 3 + 1, 1, 1)))
            if lim.max_message_bytes and lim.max_message_bytes <= 512 * MIB:
                def too_big():
                    m = _small_input()
                    m.options.method = "spline"
                    m.skeleton.mesh.vertices.data.extend([0.5] * int(lim.max_message_bytes // 4 + 1024))
                    return m

                cases.append((f"message > {lim.max_message_bytes} bytes", too_big))
            for name, build in cases:
                if time.monotonic() > deadline:
                    sc.notes.append("stopped at the deadline")
                    break
                try:
                    msg = build()
                except Exception as exc:  # noqa: BLE001
                    sc.case(False, f"{name}: cannot build ({type(exc).__name__}: {exc})")
                    continue
                rss0 = srv.rss_mb()
                from anymole_client.sync import Client

                with Client(srv.address, timeout_s=60.0, max_message_bytes=max(int(lim.max_message_bytes) * 2, 64 * MIB)) as big:
                    code, details, lat = _code(lambda: big.submit(msg))
                grew = srv.rss_mb() - rss0
                ok = code in ("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED") and len(details) <= MAX_DETAILS and not grew > 256
                sc.case(ok, f"{name}: {code} {details[:160]} (RSS +{grew:.0f} MiB)", lat)
                del msg
        self._alive(srv, sc, "oversize")
        sc.rss_after_mb = srv.rss_mb()

    # 3 ------------------------------------------------------------------------------------------
    def kill9(self, sc: Scenario, deadline: float) -> None:
        from anymole_client.v1 import job_pb2

        db = self.tmp / "kill9" / "jobs.sqlite3"
        srv = ServeProcess(db, "--workers", "1")
        if not srv.address:
            sc.case(False, "server did not start: " + " | ".join(srv.lines[-3:]))
            return
        sc.rss_before_mb = srv.rss_mb()
        results = {}
        with srv.client(timeout_s=30.0) as c:
            for i in range(2):
                job_id = c.submit(_small_input(), idempotency_key=f"done-{i}").job_id
                results[job_id] = c.follow(job_id).SerializeToString()
            slow = _slow_input(c.server_info().capabilities.limits)
            slow_id = c.submit(slow, idempotency_key="slow").job_id
            t_end = time.monotonic() + 30
            while c.get_job(slow_id).state != job_pb2.JOB_STATE_RUNNING and time.monotonic() < t_end:
                time.sleep(0.02)
            sc.case(c.get_job(slow_id).state == job_pb2.JOB_STATE_RUNNING, "the slow job never ran")
        sc.rss_after_mb = srv.rss_mb()
        t0 = time.perf_counter()
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(30)
        again = ServeProcess(db, "--workers", "1")
        sc.case(bool(again.address), "restart failed: " + " | ".join(again.lines[-3:]), time.perf_counter() - t0)
        if not again.address:
            return
        try:
            with again.client(timeout_s=30.0) as c:
                for job_id, data in results.items():
                    job = c.get_job(job_id)
                    sc.case(job.state == job_pb2.JOB_STATE_SUCCEEDED and job.result.SerializeToString() == data, f"result of {job_id} changed over kill -9")
                job = c.get_job(slow_id)
                sc.case(job.state == job_pb2.JOB_STATE_INTERRUPTED, f"running job is {job_pb2.JobState.Name(job.state)} after kill -9, not INTERRUPTED")
                events = list(c.watch(slow_id))
                sc.case(bool(events) and events[-1].job_state == job_pb2.JOB_STATE_INTERRUPTED, "the interrupted job's last event is not its end")
                retry = c.submit(slow, idempotency_key="slow")
                sc.case(retry.job_id != slow_id, "retrying the interrupted job with its idempotency key returned the dead job")
                c.cancel(retry.job_id)
                again_done = c.submit(_small_input(), idempotency_key="done-0")
                sc.case(again_done.job_id in results, "a finished job's idempotency key no longer finds it")
        finally:
            again.stop()

    # 4 ------------------------------------------------------------------------------------------
    def store(self, sc: Scenario, deadline: float) -> None:
        self._store_startup(sc)
        if time.monotonic() < deadline:
            self._store_full_disk(sc, deadline)
        if time.monotonic() < deadline:
            self._store_in_process(sc, deadline)

    def _startup_refused(self, sc: Scenario, name: str, db: Path, wrap=None) -> None:
        t0 = time.perf_counter()
        srv = ServeProcess(db, wrap=wrap, start_timeout_s=60)
        rc = srv.exit_code(60)
        if rc is None:
            srv.kill()
        errors = [line for line in srv.lines if line.startswith("anymole serve: error:")]
        ok = rc == 2 and len(errors) == 1 and str(db) in errors[0] and not any("Traceback" in l for l in srv.lines)
        sc.case(ok, f"start-up on {name}: exit {rc}, {(errors or srv.lines[-2:])}", time.perf_counter() - t0)

    def _store_startup(self, sc: Scenario) -> None:
        from anymole_server.store import Store

        d = self.tmp / "startup"
        d.mkdir(parents=True, exist_ok=True)
        notdb = d / "notdb.sqlite3"
        notdb.write_bytes(b"not a database\n" * 300)
        self._startup_refused(sc, "a file that is not a database", notdb)
        corrupt = make_corrupt_database(d / "corrupt.sqlite3")
        self._startup_refused(sc, "a corrupt database", corrupt)
        newer = d / "newer.sqlite3"
        Store(newer).close()
        con = sqlite3.connect(newer)
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        con.commit()
        con.close()
        self._startup_refused(sc, "a newer schema", newer)
        if self.unshare:
            mnt = d / "ro-mount"
            mnt.mkdir(exist_ok=True)
            db = mnt / "jobs.sqlite3"
            make = f"'{sys.executable}' -c \"from anymole_server.store import Store; Store('{db}').close()\""

            def wrap(cmd):
                inner = " ".join(f"'{a}'" for a in cmd)
                return ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=4m tmpfs '{mnt}' && {make} && mount -o remount,ro '{mnt}' && exec {inner}"]

            self._startup_refused(sc, "a read-only file system", db, wrap=wrap)
        else:
            sc.notes.append("read-only file system at start-up: skipped (unshare -rm not allowed here)")

    def _store_full_disk(self, sc: Scenario, deadline: float) -> None:
        import grpc
        from grpc_health.v1 import health_pb2

        if not self.unshare:
            sc.notes.append("full disk: SQLite max_page_count (unshare -rm not allowed here)")
            return self._full_disk_by_page_cap(sc)
        sc.notes.append("full disk: a real 2 MiB tmpfs (unshare -rm), filled through /proc/PID/root")
        mnt = self.tmp / "full-mount"
        mnt.mkdir(exist_ok=True)

        def wrap(cmd):
            inner = " ".join(f"'{a}'" for a in cmd)
            return ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=2m tmpfs '{mnt}' && exec {inner}"]

        srv = ServeProcess(mnt / "jobs.sqlite3", "--workers", "1", wrap=wrap)
        if not srv.address:
            sc.case(False, "full disk: server did not start: " + " | ".join(srv.lines[-3:]))
            srv.kill()
            return
        try:
            inside = Path(f"/proc/{srv.pid}/root") / str(mnt).lstrip("/")
            with srv.client(timeout_s=10.0) as c:
                c.follow(c.submit(_small_input()).job_id)
                filler = inside / "filler"
                fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
                try:  # fill the file system to the last byte
                    for chunk in (65536, 4096, 512, 1):
                        try:
                            while os.write(fd, b"\0" * chunk) > 0:
                                pass
                        except OSError:
                            pass
                finally:
                    os.close(fd)
                code, details, lat = "OK", "", 0.0
                for _ in range(30):
                    code, details, lat = _code(lambda: c.submit(_small_input(preview_max_frames=2)))
                    if code != "OK":
                        break
                sc.case(code == "UNAVAILABLE" and ("full" in details), f"full disk: submit {code} {details[:160]}", lat)
                t0 = time.perf_counter()
                st = _wait(lambda: c.health("") == health_pb2.HealthCheckResponse.NOT_SERVING, 5)
                sc.case(st, "full disk: health stays SERVING", time.perf_counter() - t0)
                filler.unlink()
                t0 = time.perf_counter()
                back = _wait(lambda: c.health("") == health_pb2.HealthCheckResponse.SERVING and c.health("anymole.v1.AnymoleService") == health_pb2.HealthCheckResponse.SERVING, 10)
                sc.case(back, "full disk: health not SERVING again after space was freed", time.perf_counter() - t0)
                if back:
                    try:
                        ok = c.follow(c.submit(_small_input()).job_id) is not None
                    except grpc.RpcError as exc:
                        ok = False
                        details = exc.details()
                    sc.case(ok, f"full disk: no job runs after recovery ({details[:100]})")
                    from anymole_client.v1 import job_pb2

                    stuck = _wait(lambda: not [j for j in c.list_jobs().jobs if j.state in (job_pb2.JOB_STATE_QUEUED, job_pb2.JOB_STATE_RUNNING)], 10)
                    sc.case(stuck, "full disk: a zombie QUEUED/RUNNING job is left")
        finally:
            srv.stop()

    def _full_disk_by_page_cap(self, sc: Scenario) -> None:
        from anymole_server.background import BackgroundServer
        from anymole_server.testing import make_config

        with BackgroundServer(make_config(self.tmp / "cap", store_check_interval_s=0.1)) as srv, srv.client() as c:
            store = srv.server.store
            store.limit_pages(store.page_count())
            code, details, lat = "OK", "", 0.0
            for _ in range(30):
                code, details, lat = _code(lambda: c.submit(_small_input(preview_max_frames=2)))
                if code != "OK":
                    break
            sc.case(code == "UNAVAILABLE" and "full" in details, f"full (page cap): submit {code} {details[:160]}", lat)
            store.limit_pages(None)
            sc.case(_wait(lambda: c.health("") == 1, 10), "full (page cap): not SERVING again after the cap was lifted")

    def _store_in_process(self, sc: Scenario, deadline: float) -> None:
        import grpc

        from anymole.render.preview import render_skeleton_preview
        from anymole_client.v1 import job_pb2
        from anymole_server.background import BackgroundServer
        from anymole_server.testing import make_config

        def slow(skeleton, motion, frame_index, options):
            time.sleep(0.1)
            return render_skeleton_preview(skeleton, motion, frame_index, options)

        def health(c):
            return c.health(""), c.health("anymole.v1.AnymoleService")

        # read-only while serving, with a watcher on a running job
        with BackgroundServer(make_config(self.tmp / "ro", render_preview=slow, store_check_interval_s=0.1)) as srv, srv.client(timeout_s=10) as c:
            sc.rss_before_mb = _rss_mb(os.getpid())
            job_id = c.submit(_small_input(preview_max_frames=40)).job_id
            got: dict = {}

            def watch():
                try:
                    for ev in c.watch(job_id):
                        if ev.WhichOneof("kind") == "preview":
                            got["preview"] = True
                except grpc.RpcError as exc:
                    got["code"] = exc.code().name
                got["done"] = time.perf_counter()

            t = threading.Thread(target=watch, daemon=True)
            t.start()
            _wait(lambda: got.get("preview"), 10)
            t0 = time.perf_counter()
            srv.server.store.set_query_only(True)
            t.join(10)
            sc.case(got.get("code") == "UNAVAILABLE", f"read-only: watcher got {got.get('code', 'silence')}", got.get("done", time.perf_counter()) - t0)
            sc.case(_wait(lambda: health(c) == (2, 2), 5), "read-only: health not NOT_SERVING")
            code, details, lat = _code(lambda: c.submit(_small_input()))
            sc.case(code == "UNAVAILABLE" and "read-only" in details, f"read-only: submit {code} {details[:160]}", lat)
            srv.server.store.set_query_only(False)
            sc.case(_wait(lambda: health(c) == (1, 1), 5), "read-only: not SERVING again")
            end = _wait(lambda: c.get_job(job_id).state == job_pb2.JOB_STATE_FAILED, 5)
            sc.case(end, f"read-only: the running job is {job_pb2.JobState.Name(c.get_job(job_id).state)}, not FAILED, after recovery")
        # deleted while serving
        with BackgroundServer(make_config(self.tmp / "del", store_check_interval_s=0.1)) as srv, srv.client(timeout_s=10) as c:
            done = c.submit(_small_input()).job_id
            c.follow(done)
            path = Path(srv.server.store.path)
            t0 = time.perf_counter()
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                p.unlink(missing_ok=True)
            sc.case(_wait(lambda: health(c) == (2, 2), 5), "deleted: health not NOT_SERVING", time.perf_counter() - t0)
            code, details, lat = _code(lambda: c.submit(_small_input()))
            sc.case(code == "UNAVAILABLE" and "deleted" in details, f"deleted: submit {code} {details[:160]}", lat)
            sc.case(Path(f"{path}.recovered").exists(), "deleted: no .recovered copy")
        # corrupt pages while serving
        with BackgroundServer(make_config(self.tmp / "corrupt", store_check_interval_s=0.1)) as srv, srv.client(timeout_s=10) as c:
            job_id = c.submit(_small_input()).job_id
            c.follow(job_id)
            store = srv.server.store
            store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with open(store.path, "r+b") as f:
                f.seek(4096)
                f.write(b"\xde\xad" * 64 * 1024)
            store.drop_cache()
            code, details, lat = _code(lambda: list(c.watch(job_id)))
            sc.case(code == "UNAVAILABLE" and "corrupt" in details, f"corrupt: watch {code} {details[:160]}", lat)
            code, details, lat = _code(lambda: c.get_job(job_id))
            sc.case(code == "UNAVAILABLE", f"corrupt: get {code} {details[:160]}", lat)
            sc.case(_wait(lambda: health(c) == (2, 2), 5), "corrupt: health not NOT_SERVING")
            sc.rss_after_mb = _rss_mb(os.getpid())

    # 5 ------------------------------------------------------------------------------------------
    def cancel(self, sc: Scenario, deadline: float) -> None:
        from anymole_client.v1 import job_pb2

        srv = self.shared_server()
        sc.rss_before_mb = srv.rss_mb()
        n = 3 if self.quick else 6
        with srv.client(timeout_s=30.0) as c:
            for i in range(n):
                if time.monotonic() > deadline:
                    sc.notes.append("stopped at the deadline")
                    break
                msg = _slow_input(c.server_info().capabilities.limits)
                job_id = c.submit(msg).job_id
                call = c.watch(job_id)
                t_cancel = None
                end_state = None
                for ev in call:
                    if t_cancel is None and (ev.WhichOneof("kind") in ("preview", "pose") or ev.job_state == job_pb2.JOB_STATE_RUNNING):
                        time.sleep(0.05 * i)  # at different points of the work
                        t_cancel = time.perf_counter()
                        c.cancel(job_id)
                    if ev.WhichOneof("kind") in ("error", "result"):
                        end_state = ev.job_state
                        break
                lat = time.perf_counter() - t_cancel if t_cancel is not None else math.inf
                ok = end_state == job_pb2.JOB_STATE_CANCELLED and lat <= 2.0
                sc.case(ok, f"cancel #{i}: ended {end_state} after {lat:.2f} s", lat if math.isfinite(lat) else None)
        sc.rss_after_mb = srv.rss_mb()

    # 6 ------------------------------------------------------------------------------------------
    def flood(self, sc: Scenario, deadline: float) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from anymole_client.sync import Client
        from anymole_client.v1 import job_pb2

        srv = self.shared_server()
        sc.rss_before_mb = srv.rss_mb()
        n = 40 if self.quick else int(self.args.flood)
        msg = _small_input(preview_max_frames=1)
        accepted: list[str] = []
        lock = threading.Lock()
        clients = [Client(srv.address, timeout_s=30.0) for _ in range(16)]
        try:
            for cl in clients:
                cl.server_info()

            def one(i: int) -> None:
                code, details, lat = _code(lambda: accepted_append(clients[i % len(clients)].submit(msg).job_id))
                sc.case(code in ("OK", "RESOURCE_EXHAUSTED"), f"flood submit: {code} {details[:120]}", lat)

            def accepted_append(job_id: str) -> None:
                with lock:
                    accepted.append(job_id)

            with ThreadPoolExecutor(32) as pool:
                list(pool.map(one, range(n)))
            sc.notes.append(f"{len(accepted)} of {n} submits accepted")
            c = clients[0]
            done = _wait(lambda: all(c.get_job(j).state in (job_pb2.JOB_STATE_SUCCEEDED,) for j in accepted), max(5.0, min(120.0, deadline - time.monotonic())), step_s=0.2)
            sc.case(done, "flood: accepted jobs did not all succeed")
            sc.case(c.health("") == 1, "flood: health not SERVING afterwards")
        finally:
            for cl in clients:
                cl.close()
        sc.rss_after_mb = srv.rss_mb()

    # 7 ------------------------------------------------------------------------------------------
    def load(self, sc: Scenario, deadline: float) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from anymole_client.sync import Client

        srv = ServeProcess(self.tmp / "load" / "jobs.sqlite3", "--workers", "2", "--max-queue", "64")
        if not srv.address:
            sc.case(False, "server did not start")
            return
        try:
            clients_n = 2 if self.quick else int(self.args.clients)
            jobs_n = 8 if self.quick else int(self.args.jobs)
            msg = _small_input(preview_max_frames=2)
            sc.rss_before_mb = srv.rss_mb()
            samples: list[float] = []
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    samples.append(srv.rss_mb())
                    stop.wait(0.2)

            threading.Thread(target=sample, daemon=True).start()

            def half(count: int) -> None:
                def worker(k: int) -> None:
                    with Client(srv.address, timeout_s=60.0) as cl:
                        for _ in range(k):
                            if time.monotonic() > deadline:
                                return
                            t0 = time.perf_counter()
                            try:
                                ok = cl.follow(cl.submit(msg).job_id) is not None
                                sc.case(ok, "load job without a result", time.perf_counter() - t0)
                            except Exception as exc:  # noqa: BLE001
                                sc.case(False, f"load job: {type(exc).__name__}: {exc}"[:200], time.perf_counter() - t0)

                per = [count // clients_n + (1 if i < count % clients_n else 0) for i in range(clients_n)]
                with ThreadPoolExecutor(clients_n) as pool:
                    list(pool.map(worker, per))

            half(jobs_n // 2)
            mid = srv.rss_mb()
            half(jobs_n - jobs_n // 2)
            stop.set()
            sc.rss_after_mb = srv.rss_mb()
            sc.notes.append(f"RSS after the first half {mid:.0f} MiB, peak {max(samples or [math.nan]):.0f} MiB, {len(samples)} samples")
            sc.case(sc.rss_after_mb <= mid * 1.10 + 16, f"load: RSS grew from {mid:.0f} to {sc.rss_after_mb:.0f} MiB over the second half")
        finally:
            srv.stop()


def _wait(predicate, timeout_s: float, step_s: float = 0.05) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - e.g. UNAVAILABLE while it recovers
            pass
        time.sleep(step_s)
    try:
        return bool(predicate())
    except Exception:  # noqa: BLE001
        return False


SCENARIO_SHARE = {"malformed": 0.1, "oversize": 0.15, "kill9": 0.15, "store": 0.2, "cancel": 0.15, "flood": 0.1, "load": 0.15}


def bench_faults(args: argparse.Namespace) -> list[Scenario]:
    names = list(dict.fromkeys(args.scenario or SCENARIOS))
    limit = float(args.time_limit_s)
    t_start = time.monotonic()
    out: list[Scenario] = []

    def watchdog():  # the hard stop: nothing outlives the limit by more than a minute
        for p in list(_CHILDREN):
            if p.poll() is None:
                p.kill()
        print(f"anymole bench faults: hard time limit ({limit + 60:.0f} s) reached; stopped", file=sys.stderr, flush=True)
        os._exit(3)

    timer = threading.Timer(limit + 60, watchdog)
    timer.daemon = True
    timer.start()
    with tempfile.TemporaryDirectory(prefix="anymole-faults-") as tmp:
        bench = Bench(args, Path(tmp))
        try:
            share = sum(SCENARIO_SHARE[n] for n in names)
            for name in names:
                sc = Scenario(name)
                t0 = time.monotonic()
                left = limit - (t0 - t_start)
                deadline = t0 + max(5.0, left * SCENARIO_SHARE[name] / share * 1.5) if left > 0 else t0
                share -= SCENARIO_SHARE[name]
                print(f"anymole bench faults: {name} …", file=sys.stderr, flush=True)
                if left <= 0:
                    sc.case(False, "not run: the time limit was reached")
                else:
                    try:
                        getattr(bench, name)(sc, deadline)
                    except Exception as exc:  # noqa: BLE001 - a scenario that crashes has failed
                        sc.case(False, f"scenario crashed: {type(exc).__name__}: {exc}"[:300])
                sc.wall_s = time.monotonic() - t0
                sc.finish()
                out.append(sc)
        finally:
            bench.close()
            for p in list(_CHILDREN):
                if p.poll() is None:
                    p.kill()
                    p.wait(10)
            timer.cancel()
    return out


def run(args: argparse.Namespace) -> int:
    import logging

    from rich.console import Console
    from rich.table import Table

    if not getattr(args, "verbose", False):
        for name in ("anymole_server", "anymole"):
            logging.getLogger(name).setLevel(logging.CRITICAL)  # the faults are meant; the report says what happened
    scenarios = bench_faults(args)
    table = Table(title="anymole bench faults")
    for col in ("scenario", "count", "passed", "failed", "RSS before MiB", "RSS after MiB", "p50 ms", "max ms", "wall s"):
        table.add_column(col, justify="left" if col == "scenario" else "right")

    def f(v: float) -> str:
        return "-" if not math.isfinite(v) else f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}"

    for sc in scenarios:
        table.add_row(sc.name, str(sc.count), str(sc.passed), str(sc.failed), f(sc.rss_before_mb), f(sc.rss_after_mb), f(sc.p50_ms), f(sc.max_ms), f(sc.wall_s))
    Console(file=sys.stdout, width=120).print(table)
    for sc in scenarios:
        for note in sc.notes:
            print(f"{sc.name}: {note}")
        for failure in sc.failures:
            print(f"{sc.name}: FAILED {failure}", file=sys.stderr)
    failed = [sc.name for sc in scenarios if sc.failed or not sc.count]
    report = {"scenarios": [sc.as_dict() for sc in scenarios], "failed_scenarios": failed, "unshare": _unshare_ok()}
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    print(f"{len(scenarios) - len(failed)} of {len(scenarios)} scenarios passed")
    return 1 if failed else 0
