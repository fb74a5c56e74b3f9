"""The job follower: a sans-IO state machine from a job's events to what a UI or a script acts
on. The blocking :class:`~anymole_client.sync.Client`, the :class:`~anymole_client.aio.AsyncClient`,
the library's remote executor and the Unreal core all drive this one class; the C# Core mirrors
it (``engine_plugins/conformance/README.md`` §4 is the shared specification).

    follower = JobFollower(job_id)
    for event in stream:                # JobEvent messages, from WatchJob or Transition
        for update in follower.feed(event):
            ...                         # Progress, Preview, Pose, Result, Failed, …
    if not follower.done:               # the stream dropped
        for update in follower.disconnected():
            ...                         # Reattach(after_event): watch again from there

No I/O, no threads, no clocks: the caller owns the transport.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from anymole_client.codec import event_kind, state_name
from anymole_client.v1 import job_pb2


@dataclass(frozen=True)
class Update:
    """Base class; ``kind`` names the update as in the conformance kit."""

    kind = ""

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind}


@dataclass(frozen=True)
class StateUpdate(Update):
    state: str  # "JOB_STATE_RUNNING", …
    kind = "state"

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "state": self.state}


@dataclass(frozen=True)
class StageUpdate(Update):
    stage: str
    kind = "stage"

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "stage": self.stage}


@dataclass(frozen=True)
class ProgressUpdate(Update):
    """``fraction`` in [0, 1], never below an earlier one."""

    fraction: float
    message: str
    kind = "progress"

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "fraction": self.fraction, "message": self.message}


@dataclass(frozen=True)
class PreviewUpdate(Update):
    """One preview image; ``frame`` is the ``PreviewFrame`` message (bytes in ``frame.image``)."""

    frame: job_pb2.PreviewFrame
    kind = "preview"

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "frameIndex": self.frame.frame_index, "stage": self.frame.stage, "step": self.frame.step}


@dataclass(frozen=True)
class PoseUpdate(Update):
    """The motion as it stands; ``pose`` is the ``MotionPreview`` message."""

    pose: job_pb2.MotionPreview
    kind = "pose"

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "stage": self.pose.stage, "step": self.pose.step, "final": self.pose.final}


@dataclass(frozen=True)
class LogUpdate(Update):
    level: str
    message: str
    kind = "log"

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "level": self.level, "message": self.message}


@dataclass(frozen=True)
class ResultUpdate(Update):
    """The job succeeded (terminal)."""

    result: job_pb2.TransitionResult
    kind = "result"


@dataclass(frozen=True)
class FailedUpdate(Update):
    """The job failed, was cancelled or interrupted (terminal). ``code``: status number."""

    code: int
    message: str
    kind = "error"

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class ReattachUpdate(Update):
    """The stream dropped before the end: watch again with ``after_event``."""

    after_event: int
    kind = "reattach"

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "afterEvent": self.after_event}


class JobFollower:
    """Follows one job. ``last_seq``: the last event seen; ``done``: a terminal event arrived;
    ``fraction`` / ``stage`` / ``state``: the latest of each; ``result`` / ``error`` at the
    end."""

    def __init__(self, job_id: str = "", after_event: int = 0):
        self.job_id = job_id
        self.last_seq = int(after_event)
        self.done = False
        self.fraction = 0.0
        self.stage = ""
        self.state = "JOB_STATE_UNSPECIFIED"
        self.result: Optional[job_pb2.TransitionResult] = None
        self.error: Optional[FailedUpdate] = None
        self.reattaches = 0

    def feed(self, event: job_pb2.JobEvent) -> List[Update]:
        """Updates for one event (none for a repeated or late event, or a kind newer than this
        client)."""
        if self.done or event.seq <= self.last_seq:
            return []
        if not self.job_id:
            self.job_id = event.job_id
        self.last_seq = int(event.seq)
        if event.job_state:
            self.state = state_name(event.job_state)
        kind = event_kind(event)
        if kind == "state":
            self.state = state_name(event.state.state)
            return [StateUpdate(self.state)]
        if kind == "stage":
            self.stage = event.stage.stage
            return [StageUpdate(self.stage)]
        if kind == "progress":
            self.fraction = max(self.fraction, min(1.0, max(0.0, float(event.progress.fraction))))
            return [ProgressUpdate(self.fraction, event.progress.message)]
        if kind == "preview":
            return [PreviewUpdate(event.preview)]
        if kind == "pose":
            return [PoseUpdate(event.pose)]
        if kind == "log":
            return [LogUpdate(event.log.level, event.log.message)]
        if kind == "result":
            self.done = True
            self.result = event.result
            return [ResultUpdate(event.result)]
        if kind == "error":
            self.done = True
            self.error = FailedUpdate(int(event.error.code), event.error.message)
            return [self.error]
        return []

    def deliver(self, event: job_pb2.JobEvent, on_event=None, on_update=None) -> bool:
        """Hand one event to the caller's callbacks: ``on_event(event)`` for a new one, then
        ``on_update(update)`` for each of :meth:`feed`'s updates. Returns :attr:`done`."""
        if on_event is not None and event.seq > self.last_seq and not self.done:
            on_event(event)
        for update in self.feed(event):
            if on_update is not None:
                on_update(update)
        return self.done

    def deliver_job(self, job: job_pb2.Job, on_update=None) -> None:
        """Hand :meth:`job_finished`'s updates to ``on_update``."""
        for update in self.job_finished(job):
            if on_update is not None:
                on_update(update)

    def disconnected(self) -> List[Update]:
        """The stream ended or dropped: a :class:`ReattachUpdate` unless the job is done."""
        if self.done:
            return []
        self.reattaches += 1
        return [ReattachUpdate(self.last_seq)]

    def job_finished(self, job: job_pb2.Job) -> List[Update]:
        """Finish from a ``Job`` (GetJob) when its stream closed without a terminal event."""
        if self.done or job.state not in (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED, job_pb2.JOB_STATE_CANCELLED, job_pb2.JOB_STATE_INTERRUPTED):
            return []
        self.done = True
        self.state = state_name(job.state)
        if job.HasField("result"):
            self.result = job.result
            return [ResultUpdate(job.result)]
        self.error = FailedUpdate(int(job.error.code), job.error.message or "the job ended without a result")
        return [self.error]
