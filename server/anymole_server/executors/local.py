"""The ``local`` executor (the default): ``anymole.pipeline.run_transition`` in the job thread.

The compute slot is held exactly as the job runner always held it: for the whole job when the
method needs a video prior (``CATALOGUE[method].needs_prior``: the job is heavy throughout),
otherwise handed to the method, which takes it around each preview image it renders (a
classical solve and its pose preview never wait behind other jobs' renders). The light-phase
priority (heavy work yields to jobs that have not yet sent their first pose) is the slot's own
behaviour (:class:`anymole_server.jobs._Slot`) and the runner's bookkeeping, untouched here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ContextManager

from anymole.job import CancelToken, Emit, TransitionRequest, TransitionResult
from anymole.methods.catalogue import CATALOGUE
from anymole.pipeline import run_transition
from anymole_server.executors.base import Executor

__all__ = ["LocalExecutor"]


class LocalExecutor(Executor):
    """Runs jobs in the calling thread.

    Args:
        render_preview: the preview renderer override (``ServerConfig.render_preview``).
        priors: the :class:`~anymole.video.registry.PriorRegistry` video methods draw from.
    """

    name = "local"

    def __init__(self, render_preview: Callable[..., bytes] | None = None, priors=None, artefacts_dir=None):
        self.render_preview = render_preview
        self.priors = priors
        self.artefacts_dir = artefacts_dir

    @staticmethod
    def holds_slot_for_whole_job(method: str) -> bool:
        """True when a job of ``method`` is heavy throughout (it needs a video prior)."""
        spec = CATALOGUE.get(method)
        return bool(spec is not None and spec.needs_prior)

    def run(
        self,
        request: TransitionRequest,
        emit: Emit,
        cancel: CancelToken,
        slot: ContextManager[Any] | None = None,
    ) -> TransitionResult:
        kw = dict(render_preview=self.render_preview, priors=self.priors, artefacts_dir=self.artefacts_dir)
        if self.holds_slot_for_whole_job(request.method):
            with self._slot(slot):  # the whole job is heavy
                return run_transition(request, emit, cancel, **kw)
        return run_transition(request, emit, cancel, slot=slot, **kw)
