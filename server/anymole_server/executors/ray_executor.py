"""The ``ray`` executor: jobs run on Ray actors, one per compute slot, as streaming generators.

- **Workers.** ``limits.workers`` actors of :class:`PipelineWorker` (``num_gpus=1`` each when
  the cluster has GPUs, else ``num_cpus=1``), each holding its own
  :class:`~anymole.video.registry.PriorRegistry` (the loaded video prior and the ICAdapt
  adapter cache stay on the worker between jobs). A worker runs one job at a time.
- **Streaming.** ``PipelineWorker.run`` is a generator (``num_returns="streaming"``): it runs
  :func:`anymole.pipeline.run_transition` on a thread of the actor and yields every event as
  it is made, then the result (or the exception, as a value, so its type survives). The
  server's job thread consumes the generator and hands each event to the runner, which stores
  it in SQLite before any watcher sees it — reattach and restart behave as with ``local``.
- **Cancellation.** The job's token, when set, becomes ``ray.cancel(generator)``; on a sync
  actor Ray only sets a flag, which the worker loop reads
  (``ray.get_runtime_context().is_canceled()``) and turns into the worker's own token, so the
  pipeline stops between steps (the rasteriser included) and the job ends CANCELLED.
- **Retries are ours.** A worker that dies (``RayActorError``) is replaced, and the job is run
  again from the start once, on a free worker, with a log event saying so; progress never goes
  back (the runner's follower sees the maximum). Ray's own retries are off
  (``max_task_retries=0``) so no event is emitted twice by Ray.
- **Scene affinity.** Each worker keeps its own ICAdapt adapter cache, an LRU of
  :data:`ADAPTERS_PER_WORKER` adapters (a sub-folder per worker, as separate machines would). For methods that adapt a prior, the dispatcher hashes the scene
  (:func:`scene_key`: skeleton, context motion, prior, prompt) and prefers the worker that last
  ran it, so the second transition of a scene skips adaptation on the farm too; it waits up to
  :data:`AFFINITY_WAIT_S` for that worker before taking another.
- **Artefacts.** Large outputs (the generated video) are written by the worker to
  ``artefacts_dir`` (a shared folder on a real cluster; ``ServerConfig.artefacts_dir``,
  ``anymole serve --artefacts-dir``); only their paths travel, in a log event. Events and
  results themselves are small (kilobytes), so nothing large passes through the object store.

``ray`` is an optional extra (``pip install '.[ray]'``). ``ray.init`` starts a local cluster
unless ``ServerConfig.ray_address`` names one; the server stays a normal driver (no Ray
Client, which cannot stream generators).
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any, ContextManager

from anymole.errors import AnymoleError
from anymole.job import Cancelled, CancelToken, Emit, LogEvent, ProgressEvent, TransitionRequest, TransitionResult
from anymole_server.config import ConfigError
from anymole_server.executors.base import Executor

__all__ = ["PipelineWorker", "RayExecutor"]

POLL_S = 0.05
START_TIMEOUT_S = 60.0
AFFINITY_WAIT_S = 30.0
ADAPTERS_PER_WORKER = 32  # each worker's ICAdapt adapter cache keeps this many, least recently used out


def loopback_only(address: str | None) -> None:
    """A local cluster (no ``address``) listens on 127.0.0.1 only, as the server does by
    default: Ray binds the machine's first interface unless told otherwise, read when ray is
    first imported (so this must run before ``import ray``)."""
    import os
    import sys

    if address is None and "ray" not in sys.modules:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def scene_key(request: TransitionRequest) -> str | None:
    """A hash of what ICAdapt adapts to — the skeleton, the context motion (the leading known
    frames), the prior and the prompt — for methods that adapt a prior; None for others."""
    import hashlib

    from anymole.methods.catalogue import CATALOGUE
    from anymole.methods.video import skeleton_bytes

    spec = CATALOGUE.get(request.method)
    if spec is None or not spec.needs_prior:
        return None
    problem = request.problem
    context, _, _ = problem.to_timeline()
    h = hashlib.sha256(skeleton_bytes(problem.skeleton))
    for t in (context.rotations, context.translations):
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    h.update(f"{request.prior}\0{request.options.get('prompt', '')}".encode())
    return h.hexdigest()


class PipelineWorker:
    """A Ray actor (see the module docstring); constructed with what ``run_transition`` needs
    besides the request."""

    def __init__(self, video_models: dict[str, str] | None = None, adapter_cache: str | None = None, render_preview=None, artefacts_dir: str | None = None):
        from anymole.video.registry import PriorRegistry

        self.priors = PriorRegistry(dict(video_models or {}), adapter_cache=adapter_cache, max_adapters=ADAPTERS_PER_WORKER)
        self.render_preview = render_preview
        self.artefacts_dir = artefacts_dir

    def ping(self) -> bool:
        return True

    def gpu_ids(self) -> list:
        """The GPUs Ray gave this worker (``CUDA_VISIBLE_DEVICES`` is set to them)."""
        import ray

        return list(ray.get_gpu_ids())

    def run(self, request: TransitionRequest):
        """Yield ``("event", e)`` for every event, then ``("result", r)`` or ``("error", exc)``."""
        import ray

        from anymole.pipeline import run_transition

        events: queue.Queue = queue.Queue()
        token = CancelToken()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["result"] = run_transition(
                    request, events.put, token, render_preview=self.render_preview, priors=self.priors, artefacts_dir=self.artefacts_dir,
                )
            except BaseException as exc:  # noqa: BLE001 - handed to the driver as a value
                outcome["error"] = exc

        thread = threading.Thread(target=work, name="anymole-ray-job", daemon=True)
        thread.start()
        context = ray.get_runtime_context()
        while True:
            if not token.cancelled and context.is_canceled():
                token.cancel()
            try:
                yield ("event", events.get(timeout=POLL_S))
                continue
            except queue.Empty:
                pass
            if not thread.is_alive():
                while not events.empty():
                    yield ("event", events.get_nowait())
                break
        if "error" in outcome:
            yield ("error", outcome["error"])
        else:
            yield ("result", outcome["result"])


class RayExecutor(Executor):
    """Runs jobs on ``workers`` Ray actors (see the module docstring); ``workers`` 0: one per
    GPU of the cluster, else one per CPU. :attr:`size` is the number made."""

    name = "ray"

    def __init__(self, workers: int = 1, *, address: str | None = None, video_models=None, adapter_cache=None, render_preview=None, num_cpus: int | None = None, artefacts_dir=None):
        loopback_only(address)
        import ray

        self._ray = ray
        self._owns_cluster = not ray.is_initialized()
        if self._owns_cluster:
            ray.init(address=address, num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        if not workers:  # one per GPU, else one per CPU
            workers = gpus or max(1, int(resources.get("CPU", 1)))
        self.size = int(workers)
        self._options = {"num_gpus": 1, "num_cpus": 0} if gpus >= 1 else {"num_cpus": 1}
        self._options.update(max_restarts=0, max_task_retries=0)
        from anymole.video.registry import default_adapter_cache

        self._models, self._render_preview = dict(video_models or {}), render_preview
        self._artefacts = None if artefacts_dir is None else str(artefacts_dir)
        self._cache_root = Path(adapter_cache) if adapter_cache is not None else default_adapter_cache()
        self._lock = threading.Condition()
        self._free: list = []  # (index, handle) of idle workers
        self._closed = False
        self._scenes: dict[str, int] = {}  # scene key -> the worker index that last ran it
        self.placements: list[tuple[str | None, int]] = []  # (scene, worker index) per job run, for tests
        for i in range(max(1, int(workers))):
            self._free.append((i, self._new_worker(i)))
        try:  # up before the first job
            ray.get([w.ping.remote() for _, w in self._free], timeout=START_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            self.close()
            need = "GPU" if "num_gpus" in self._options else "CPU"
            raise ConfigError(
                f"the Ray cluster did not start {workers} worker(s) within {START_TIMEOUT_S:g} s: each needs one free {need}; "
                f"the cluster has {ray.available_resources().get(need, 0):g} available"
            ) from None

    def _new_worker(self, index: int):
        cache = self._cache_root / f"worker-{index}"
        return self._ray.remote(PipelineWorker).options(**self._options).remote(self._models, str(cache), self._render_preview, self._artefacts)

    # -- a worker per job ------------------------------------------------------------------

    def _take(self, cancel: CancelToken, scene: str | None):
        """An idle worker: the one that last ran ``scene`` when it frees up within
        AFFINITY_WAIT_S, else the first idle one."""
        preferred = self._scenes.get(scene) if scene is not None else None
        deadline = time.monotonic() + AFFINITY_WAIT_S
        with self._lock:
            while True:
                if self._closed:
                    raise Cancelled("the executor is closed")
                for k, (i, w) in enumerate(self._free):
                    if i == preferred:
                        return self._free.pop(k)
                if self._free and (preferred is None or time.monotonic() > deadline):
                    return self._free.pop(0)
                self._lock.wait(POLL_S)
                cancel.check()

    def _give_back(self, index: int, worker) -> None:
        with self._lock:
            self._free.append((index, worker))
            self._lock.notify_all()

    def workers(self) -> list:
        """The idle workers' handles (for tests and diagnostics)."""
        with self._lock:
            return [w for _, w in self._free]

    def run(self, request: TransitionRequest, emit: Emit, cancel: CancelToken, slot: ContextManager[Any] | None = None) -> TransitionResult:
        """See :class:`~anymole_server.executors.base.Executor`. The slot is not taken: the
        workers bound how many jobs compute at once."""
        ray = self._ray
        best = [0.0]

        def forward(event) -> None:
            if isinstance(event, ProgressEvent):  # a retry starts over: never report less
                best[0] = max(best[0], float(event.fraction))
                event = ProgressEvent(best[0], event.message)
            emit(event)

        scene = scene_key(request)
        for attempt in (1, 2):
            index, worker = self._take(cancel, scene)
            with self._lock:
                self.placements.append((scene, index))
                if scene is not None:
                    self._scenes[scene] = index
            gen = worker.run.options(num_returns="streaming").remote(request)
            stop = threading.Event()

            def watch_cancel() -> None:
                while not stop.wait(POLL_S):
                    if cancel.cancelled:
                        ray.cancel(gen)
                        return

            watcher = threading.Thread(target=watch_cancel, name="anymole-ray-cancel", daemon=True)
            watcher.start()
            died = False
            try:
                for ref in gen:
                    kind, value = ray.get(ref)
                    if kind == "event":
                        forward(value)
                    elif kind == "result":
                        return value
                    else:
                        raise value
                raise AnymoleError("the Ray worker ended without a result")
            except ray.exceptions.TaskCancelledError:
                raise Cancelled("cancelled") from None
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError):
                died = True
                if cancel.cancelled:
                    raise Cancelled("cancelled") from None
                if attempt == 2:
                    raise AnymoleError("the Ray worker died twice running this job") from None
                forward(LogEvent("warning", "the Ray worker running this job died; retrying it from the start on another worker"))
            finally:
                stop.set()
                self._give_back(index, self._new_worker(index) if died else worker)
        raise AnymoleError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers, self._free = [w for _, w in self._free], []
            self._lock.notify_all()
        for w in workers:
            try:
                self._ray.kill(w)
            except Exception:  # noqa: BLE001 - best effort at shutdown
                pass
        if self._owns_cluster and self._ray.is_initialized():
            self._ray.shutdown()


def bake_executor(workers: int = 0, address: str | None = None, video_models: dict | None = None):
    """``anymole bake --executor ray`` (entry point ``anymole.executors``): ``(executor,
    close, parallel)`` — ``executor(request, emit, cancel)`` runs a job on the cluster's
    workers, ``parallel`` is how many run at once. ``workers`` 0: one per GPU of the cluster,
    else one per CPU."""
    from anymole.errors import UnsupportedError
    from anymole_server.executors import RAY_MISSING_MESSAGE, ray_importable

    if not ray_importable():
        raise UnsupportedError(RAY_MISSING_MESSAGE)
    ex = RayExecutor(workers, address=address, video_models=video_models)

    def executor(request: TransitionRequest, emit: Emit, cancel: CancelToken) -> TransitionResult:
        return ex.run(request, emit, cancel)

    return executor, ex.close, ex.size
