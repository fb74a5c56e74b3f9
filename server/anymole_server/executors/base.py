"""The executor interface: how the job runner (:mod:`anymole_server.jobs`) has a job's
pipeline method executed.

The job runner keeps everything a job is *about* — admission, the SQLite job and event store,
reattach, the cancel registry, the light-phase priority — and hands the *work* to an
executor: one call, :meth:`Executor.run`, per job, on one of the runner's job threads:

- ``request``: the validated :class:`~anymole.job.TransitionRequest` (canonical frame, metres);
- ``emit``: called with every :class:`~anymole.job.Event` the method produces, in order, from
  any thread; the runner appends each to the store before waking watchers, so an executor must
  deliver events exactly once and in the order they were made;
- ``cancel``: the job's :class:`~anymole.job.CancelToken`; the executor stops the work soon
  after it is set and raises :class:`~anymole.job.Cancelled`;
- ``slot``: the job's compute slot, a context manager (taking it may raise
  :class:`~anymole.job.Cancelled` while the job waits). A video method holds it for the whole
  job; a classical one around each preview image it renders, so its solve and pose preview
  never queue behind other jobs' renders;

and it returns the :class:`~anymole.job.TransitionResult`. Errors propagate as the pipeline
raises them (``ValidationError``, ``UnsupportedError``, ``Cancelled``, …): the runner maps
them to job states and status codes, whichever executor ran the job.

:class:`~anymole_server.executors.local.LocalExecutor` (the default) runs
``anymole.pipeline.run_transition`` in the calling thread.

How the Ray executor implements the same call (:mod:`anymole_server.executors.ray_executor`;
what is marked "not yet" there is the plan):

- **Workers.** One sync actor per GPU (``num_gpus=1``, ``max_restarts=2``,
  ``max_task_retries=0``; on a CPU-only cluster actors sized by CPUs) holds the loaded video
  prior and an LRU of ICAdapt adapters.
- **Streaming generator.** The actor's ``run`` method is a generator
  (``num_returns="streaming"``) that runs ``run_transition`` with an ``emit`` that yields each
  event (images and poses are small); ``run`` on the server consumes the ``ObjectRefGenerator``
  in the job thread and calls ``emit`` for each, in order, then returns the final result
  (the generator's last item). The server stays a normal driver on a cluster node (no Ray
  Client: it cannot stream generators).
- **Cancellation flag.** A watcher thread turns ``cancel`` into ``ray.cancel(generator)``; on
  a sync actor Ray only sets a flag, which the worker's own token reads between steps
  (``ray.get_runtime_context().is_canceled()``); the next ``next(generator)`` then raises
  ``TaskCancelledError``, which ``run`` re-raises as :class:`~anymole.job.Cancelled`.
- **Artefacts directory.** Large outputs (generated videos, LoRA adapters, checkpoints) are
  written to a shared artefacts directory (shared file system or object storage); only their
  paths travel through Ray's object store.
- **Scene affinity.** The dispatcher keeps a map from the ICAdapt adapter's content hash
  (:func:`anymole.video.adapt.adapter_key`) to the actor whose LRU holds it and prefers that
  actor, so the second transition of a scene skips adaptation on the farm too.
- **Retries are ours.** A worker that dies fails its stage; the job is retried from the start
  once, on another actor, with a log event saying so (Ray's own retries would double-emit).
- **The slot.** With Ray the GPUs are the actors' resources; the job's slot bounds how many
  jobs this server has in flight, and classical methods keep running locally.
"""

from __future__ import annotations

import abc
import contextlib
from typing import Any, ContextManager

from anymole.job import CancelToken, Emit, TransitionRequest, TransitionResult

__all__ = ["Executor", "EXECUTORS"]

EXECUTORS = ("local", "ray")
"""The names ``anymole serve --executor`` accepts."""


class Executor(abc.ABC):
    """Runs one job's pipeline method; see the module docstring for the contract."""

    name: str = ""

    @abc.abstractmethod
    def run(
        self,
        request: TransitionRequest,
        emit: Emit,
        cancel: CancelToken,
        slot: ContextManager[Any] | None = None,
    ) -> TransitionResult:
        """Run ``request``: events to ``emit`` (in order, exactly once), stop with
        :class:`~anymole.job.Cancelled` soon after ``cancel`` is set, hold ``slot`` (a context
        manager; None: no bound) around heavy work. Returns the result."""

    def close(self) -> None:
        """Release what the executor holds (workers, connections). Idempotent."""

    @staticmethod
    def _slot(slot: ContextManager[Any] | None) -> ContextManager[Any]:
        return slot if slot is not None else contextlib.nullcontext()
