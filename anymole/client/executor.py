"""Run pipeline requests on a server with the same signature as in-process
``anymole.pipeline.run_transition`` — what ``anymole bake --server`` uses.

    executor, close = remote_executor("127.0.0.1:50051", token_file=...)
    result = executor(request, emit, cancel)   # TransitionRequest -> TransitionResult
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import grpc

from anymole.client._common import JobFailedError, status_code_from_number, to_domain_error
from anymole.client.sync import Client
from anymole.client.wire import input_from_problem, motion_from_result
from anymole.errors import AnymoleError
from anymole.motion import Motion
from anymole.pipeline import (
    Cancelled,
    CancelToken,
    Emit,
    LogEvent,
    PreviewEvent,
    ProgressEvent,
    StageEvent,
    TransitionRequest,
    TransitionResult,
)

_FORMAT_NAMES = {1: "jpeg", 2: "png"}


def event_from_proto(event):
    """A ``JobEvent`` as the pipeline event it carries (None for state/result/error)."""
    kind = event.WhichOneof("kind")
    if kind == "stage":
        return StageEvent(event.stage.stage)
    if kind == "progress":
        return ProgressEvent(event.progress.fraction, event.progress.message)
    if kind == "preview":
        p = event.preview
        return PreviewEvent(p.image, _FORMAT_NAMES.get(p.format, "jpeg"), p.width, p.height, p.frame_index, p.stage, p.step)
    if kind == "log":
        return LogEvent(event.log.level, event.log.message)
    return None


def run_remote(client: Client, request: TransitionRequest, emit: Emit | None = None, cancel: CancelToken | None = None) -> TransitionResult:
    """Run ``request`` (canonical frame) on ``client``'s server; events go to ``emit``; setting
    ``cancel`` cancels the remote job. Raises the library's exceptions (ValidationError,
    UnsupportedError, Cancelled, AnymoleError)."""
    p = request.preview
    msg = input_from_problem(
        request.problem,
        method=request.method,
        prior=request.prior,
        seed=request.seed,
        preview=p.enabled,
        preview_size=p.size,
        preview_max_frames=p.max_frames,
        preview_format=p.image_format,
    )
    cancel = cancel or CancelToken()
    try:
        call = client.transition(msg)
        stop = threading.Event()

        def watch_cancel() -> None:
            while not stop.wait(0.05):
                if cancel.cancelled:
                    call.cancel()
                    return

        watcher = threading.Thread(target=watch_cancel, daemon=True)
        watcher.start()
        try:
            for event in call:
                kind = event.WhichOneof("kind")
                if kind == "result":
                    r = event.result
                    motion: Motion = motion_from_result(r, request.problem.skeleton)
                    return TransitionResult(motion=motion, method=r.method, keyframe_error=r.keyframe_error, warnings=tuple(r.warnings), timings_s=dict(r.timings_s))
                if kind == "error":
                    code = status_code_from_number(event.error.code)
                    if code == grpc.StatusCode.CANCELLED:
                        raise Cancelled(event.error.message)
                    raise JobFailedError(event.job_id, code, event.error.message)
                pe = event_from_proto(event)
                if pe is not None and emit is not None:
                    emit(pe)
        finally:
            stop.set()
        raise AnymoleError("the server closed the stream before the job finished")
    except grpc.RpcError as exc:
        if cancel.cancelled and exc.code() == grpc.StatusCode.CANCELLED:
            raise Cancelled("cancelled") from None
        raise to_domain_error(exc) from None


def remote_executor(address: str, *, token_file: str | Path | None = None, tls_ca: str | Path | None = None, **client_kwargs) -> tuple[Callable[..., TransitionResult], Callable[[], None]]:
    """``(executor, close)``: ``executor(request, emit, cancel)`` runs on the server at
    ``address``; ``close()`` closes the channel."""
    client = Client(address, token_file=token_file, root_certificates=tls_ca, **client_kwargs)

    def executor(request: TransitionRequest, emit: Emit, cancel: CancelToken) -> TransitionResult:
        return run_remote(client, request, emit, cancel)

    return executor, client.close
