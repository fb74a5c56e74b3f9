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
- **Not yet:** scene affinity (preferring the worker whose adapter cache holds the job's scene),
  an artefacts directory for large outputs, ``bake --executor ray``.

``ray`` is an optional extra (``pip install '.[ray]'``). ``ray.init`` starts a local cluster
unless ``ServerConfig.ray_address`` names one; the server stays a normal driver (no Ray
Client, which cannot stream generators).
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, ContextManager

from anymole.errors import AnymoleError
from anymole.job import Cancelled, CancelToken, Emit, LogEvent, ProgressEvent, TransitionRequest, TransitionResult
from anymole_server.config import ConfigError
from anymole_server.executors.base import Executor

__all__ = ["PipelineWorker", "RayExecutor"]

POLL_S = 0.05
START_TIMEOUT_S = 60.0


class PipelineWorker:
    """A Ray actor (see the module docstring); constructed with what ``run_transition`` needs
    besides the request."""

    def __init__(self, video_models: dict[str, str] | None = None, adapter_cache: str | None = None, render_preview=None):
        from anymole.video.registry import PriorRegistry

        self.priors = PriorRegistry(dict(video_models or {}), adapter_cache=adapter_cache)
        self.render_preview = render_preview

    def ping(self) -> bool:
        return True

    def pid(self) -> int:
        import os

        return os.getpid()

    def run(self, request: TransitionRequest):
        """Yield ``("event", e)`` for every event, then ``("result", r)`` or ``("error", exc)``."""
        import ray

        from anymole.pipeline import run_transition

        events: queue.Queue = queue.Queue()
        token = CancelToken()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["result"] = run_transition(request, events.put, token, render_preview=self.render_preview, priors=self.priors)
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
    """Runs jobs on ``workers`` Ray actors (see the module docstring)."""

    name = "ray"

    def __init__(self, workers: int = 1, *, address: str | None = None, video_models=None, adapter_cache=None, render_preview=None, num_cpus: int | None = None):
        import ray

        self._ray = ray
        self._owns_cluster = not ray.is_initialized()
        if self._owns_cluster:
            ray.init(address=address, num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        gpus = int(ray.cluster_resources().get("GPU", 0))
        self._options = {"num_gpus": 1, "num_cpus": 0} if gpus >= 1 else {"num_cpus": 1}
        self._options.update(max_restarts=0, max_task_retries=0)
        self._args = (dict(video_models or {}), None if adapter_cache is None else str(adapter_cache), render_preview)
        self._lock = threading.Condition()
        self._free: list = []
        self._closed = False
        for _ in range(max(1, int(workers))):
            self._free.append(self._new_worker())
        try:  # up before the first job
            ray.get([w.ping.remote() for w in self._free], timeout=START_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            self.close()
            need = "GPU" if "num_gpus" in self._options else "CPU"
            raise ConfigError(
                f"the Ray cluster did not start {workers} worker(s) within {START_TIMEOUT_S:g} s: each needs one free {need}; "
                f"the cluster has {ray.available_resources().get(need, 0):g} available"
            ) from None

    def _new_worker(self):
        return self._ray.remote(PipelineWorker).options(**self._options).remote(*self._args)

    # -- a worker per job ------------------------------------------------------------------

    def _take(self, cancel: CancelToken):
        with self._lock:
            while not self._free:
                if self._closed:
                    raise Cancelled("the executor is closed")
                self._lock.wait(POLL_S)
                cancel.check()
            return self._free.pop(0)

    def _give_back(self, worker) -> None:
        with self._lock:
            self._free.append(worker)
            self._lock.notify()

    def workers(self) -> list:
        """The idle workers' handles (for tests and diagnostics)."""
        with self._lock:
            return list(self._free)

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

        for attempt in (1, 2):
            worker = self._take(cancel)
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
                self._give_back(self._new_worker() if died else worker)
        raise AnymoleError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers, self._free = self._free, []
            self._lock.notify_all()
        for w in workers:
            try:
                self._ray.kill(w)
            except Exception:  # noqa: BLE001 - best effort at shutdown
                pass
        if self._owns_cluster and self._ray.is_initialized():
            time.sleep(0)  # let killed actors' notices drain
            self._ray.shutdown()
