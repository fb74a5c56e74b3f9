"""The job/preview state machine between a :class:`~anymole_unreal.session.JobSession` and an
editor view, driven by the editor's tick (engine-free; the adapter implements the view).

    controller = TransitionController(plan, session, view)
    controller.start()
    # every Slate post-tick, on the game thread:
    running = controller.tick(delta_s)

Each tick drains the session's queue and keeps only what the editor needs to show: the latest
status line and progress fraction, the latest preview image (older ones of the same tick are
dropped, not decoded), the latest pose preview as a looping playback of full local poses. On
the result it splices the tracks and calls :meth:`EditorView.apply` once; on any failure
:meth:`EditorView.failed` with one :class:`~anymole_unreal.errors.UserError`. The source asset
is only ever touched by ``apply``, after a successful result.

States: ``running`` → ``applying`` → ``succeeded`` | ``failed`` | ``cancelled``.
"""

from __future__ import annotations

from typing import Any, List, Optional

from anymole_client.codec import image_format_name
from anymole_client.follower import LogUpdate, PoseUpdate, PreviewUpdate, ProgressUpdate, ResultUpdate, StageUpdate, StateUpdate

from anymole_unreal.errors import UserError, explain
from anymole_unreal.session import CancelledUpdate, JobSession, SubmittedUpdate, failure_of, is_terminal
from anymole_unreal.transition import JointPose, PosePlayback, SplicedClip, TransitionPlan, pose_playback, splice_result


class EditorView:
    """What the controller asks of the editor. Every method runs on the game thread; the base
    class does nothing (a bake or a test overrides what it needs)."""

    def status(self, message: str, fraction: float) -> None:
        """A one-line status and the overall progress in [0, 1]."""

    def preview_image(self, image: bytes, image_format: str, frame_index: int, stage: str, step: int) -> None:
        """An encoded preview image (``image_format``: ``"jpeg"`` or ``"png"``)."""

    def pose(self, frame: int, pose: List[JointPose]) -> None:
        """Pose the preview character: local transforms of every bone (clip order)."""

    def log(self, level: str, message: str) -> None:
        """A log line from the server's pipeline."""

    def apply(self, spliced: SplicedClip) -> Optional[str]:
        """Write the tracks (the one place an asset changes); returns a summary line."""
        return None

    def failed(self, error: UserError) -> None:
        """The job failed, was cancelled, or could not be sent."""

    def finished(self) -> None:
        """The job is over, whatever the outcome (remove the preview actor, …)."""


class TransitionController:
    """Feeds ``view`` from ``session`` for ``plan``; see the module docstring."""

    def __init__(self, plan: TransitionPlan, session: JobSession, view: EditorView, *, live_pose: bool = True):
        self.plan = plan
        self.session = session
        self.view = view
        self.live_pose = live_pose
        self.state = "idle"
        self.stage = ""
        self.fraction = 0.0
        self.message = ""
        self.job_id = ""
        self.playback: Optional[PosePlayback] = None
        self.play_time_s = 0.0
        self.spliced: Optional[SplicedClip] = None
        self.summary: Optional[str] = None
        self.error: Optional[UserError] = None
        self.previews_seen = 0
        self.poses_seen = 0

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")

    def start(self) -> "TransitionController":
        self.state = "running"
        self._status("sending the request")
        self.session.start()
        return self

    def cancel(self) -> None:
        if not self.done:
            self._status("cancelling")
            self.session.cancel()

    def _status(self, message: str) -> None:
        self.message = message
        self.view.status(message, self.fraction)

    def tick(self, delta_s: float = 0.0) -> bool:
        """Drain, update the view, advance the pose playback; False once done."""
        if self.done or self.state == "idle":
            return not self.done
        updates = self.session.drain()
        last_preview: Optional[PreviewUpdate] = None
        last_pose: Optional[PoseUpdate] = None
        terminal = None
        for u in updates:
            if isinstance(u, SubmittedUpdate):
                self.job_id = u.job_id
                self._status(f"job {u.job_id} queued")
            elif isinstance(u, StateUpdate):
                self._status(u.state.replace("JOB_STATE_", "").lower())
            elif isinstance(u, StageUpdate):
                self.stage = u.stage
                self._status(f"stage {u.stage}")
            elif isinstance(u, ProgressUpdate):
                self.fraction = u.fraction
                self._status(u.message or self.message)
            elif isinstance(u, PreviewUpdate):
                last_preview = u
                self.previews_seen += 1
            elif isinstance(u, PoseUpdate):
                last_pose = u
                self.poses_seen += 1
            elif isinstance(u, LogUpdate):
                self.view.log(u.level, u.message)
            elif is_terminal(u):
                terminal = u
                break
        if last_preview is not None:
            f = last_preview.frame
            self.view.preview_image(bytes(f.image), image_format_name(f.format), int(f.frame_index), f.stage, int(f.step))
        if last_pose is not None and self.live_pose:
            try:
                self.playback = pose_playback(self.plan, last_pose.pose)
            except Exception as exc:  # noqa: BLE001 - a bad preview must not end the job
                self.view.log("warning", f"pose preview ignored: {explain(exc)}")
        if self.playback is not None and self.live_pose:
            self.play_time_s += max(0.0, float(delta_s))
            frame, pose = self.playback.at_time(self.play_time_s)
            self.view.pose(frame, pose)
        if terminal is not None:
            self._finish(terminal)
        return not self.done

    def _finish(self, update: Any) -> None:
        try:
            if isinstance(update, ResultUpdate):
                self.state = "applying"
                self.fraction = 1.0
                self._status("writing the bone tracks")
                try:
                    self.spliced = splice_result(self.plan, update.result)
                    self.summary = self.view.apply(self.spliced)
                except Exception as exc:  # noqa: BLE001
                    self._fail(explain(exc, self.session.address))
                    return
                self.state = "succeeded"
                self._status(self.summary or "done")
                return
            error = failure_of(update, self.session.address) or UserError("job", f"ended with {update.kind}")
            if isinstance(update, CancelledUpdate) or error.code == "CANCELLED":
                self.state = "cancelled"
                self.error = error
                self.view.failed(error)
                return
            self._fail(error)
        finally:
            if self.done:
                self.session.close()
                self.view.finished()

    def _fail(self, error: UserError) -> None:
        self.state = "failed"
        self.error = error
        self.view.failed(error)
