"""Run pipeline requests on a server with the signature of in-process
:func:`anymole.pipeline.run_transition` — what ``anymole bake --server`` uses.

    executor, close = remote_executor("127.0.0.1:50051", token_file=...)
    result = executor(request, emit, cancel)   # TransitionRequest -> TransitionResult

The job is followed by the client's :class:`~anymole_client.follower.JobFollower`; its updates
become the library's events, and server errors the library's exceptions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from anymole_client import codec
from anymole_client.errors import CANCELLED, FAILED_PRECONDITION, INVALID_ARGUMENT, JobFailedError, ServerError
from anymole_client.follower import LogUpdate, PoseUpdate, PreviewUpdate, ProgressUpdate, StageUpdate, Update

from anymole.errors import AnymoleError, UnsupportedError, ValidationError
from anymole.job import Cancelled, CancelToken, Emit, LogEvent, PoseEvent, PreviewEvent, ProgressEvent, StageEvent, TransitionRequest, TransitionResult
from anymole.wire import input_from_problem, motion_from_result


def to_domain_error(error: ServerError) -> Exception:
    """A server error as the library's exception: INVALID_ARGUMENT → :class:`ValidationError`
    (with the field the server named), FAILED_PRECONDITION → :class:`UnsupportedError`,
    CANCELLED → :class:`Cancelled`, anything else → :class:`AnymoleError` with the status."""
    if error.code == INVALID_ARGUMENT:
        return ValidationError(error.field or "request", error.problem)
    if error.code == FAILED_PRECONDITION:
        return UnsupportedError(error.details)
    if error.code == CANCELLED:
        return Cancelled(error.details or "cancelled")
    return AnymoleError(f"server error {error.code_name}: {error.details}")


def _library_event(update: Update, skeleton):
    if isinstance(update, StageUpdate):
        return StageEvent(update.stage)
    if isinstance(update, ProgressUpdate):
        return ProgressEvent(update.fraction, update.message)
    if isinstance(update, PreviewUpdate):
        p = update.frame
        return PreviewEvent(p.image, codec.image_format_name(p.format), p.width, p.height, p.frame_index, p.stage, p.step)
    if isinstance(update, PoseUpdate):
        return PoseEvent(motion_from_result(update.pose, skeleton), update.pose.stage, update.pose.step, update.pose.final)
    if isinstance(update, LogUpdate):
        return LogEvent(update.level, update.message)
    return None


def run_remote(client, request: TransitionRequest, emit: Emit | None = None, cancel: CancelToken | None = None) -> TransitionResult:
    """Run ``request`` (canonical frame) on ``client``'s server; events go to ``emit``; setting
    ``cancel`` cancels the remote job. Raises the library's exceptions."""
    import grpc

    from anymole_client.transport import server_error

    p = request.preview
    msg = input_from_problem(
        request.problem, method=request.method, prior=request.prior, seed=request.seed,
        preview=p.enabled, preview_size=p.size, preview_max_frames=p.max_frames, preview_format=p.image_format,
        preview_max_rate_hz=p.max_rate_hz, poses=p.poses, pose_max_rate_hz=p.pose_rate_hz,
        anymole_options=dict(request.options),
    )
    cancel = cancel or CancelToken()
    stop = threading.Event()
    flag = threading.Event()

    def forward_cancel() -> None:
        while not stop.is_set():
            if cancel.wait(0.05):
                flag.set()
                return

    skeleton = request.problem.skeleton

    def on_update(update: Update) -> None:
        event = _library_event(update, skeleton)
        if event is not None and emit is not None:
            emit(event)

    watcher = threading.Thread(target=forward_cancel, name="anymole-remote-cancel", daemon=True)
    watcher.start()
    try:
        result = client.run(msg, on_update, cancel=flag)
    except JobFailedError as exc:
        if exc.code == CANCELLED:
            raise Cancelled(exc.message) from None
        raise to_domain_error(ServerError(exc.code, exc.message)) from None
    except grpc.RpcError as exc:
        raise to_domain_error(server_error(exc)) from None
    finally:
        stop.set()
    return TransitionResult(
        motion=motion_from_result(result, skeleton), method=result.method, keyframe_error=result.keyframe_error,
        warnings=tuple(result.warnings), timings_s=dict(result.timings_s),
    )


def remote_executor(address: str, *, token_file: str | Path | None = None, tls_ca: str | Path | None = None, **client_kwargs) -> tuple[Callable[..., TransitionResult], Callable[[], None]]:
    """``(executor, close)``: ``executor(request, emit, cancel)`` runs on the server at
    ``address``; ``close()`` closes the channel."""
    from anymole_client.sync import Client

    client = Client(address, token_file=token_file, root_certificates=tls_ca, **client_kwargs)

    def executor(request: TransitionRequest, emit: Emit, cancel: CancelToken) -> TransitionResult:
        return run_remote(client, request, emit, cancel)

    return executor, client.close
