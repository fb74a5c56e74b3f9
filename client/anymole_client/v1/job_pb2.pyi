import datetime

from anymole_client.v1 import motion_pb2 as _motion_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ImageFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMAGE_FORMAT_UNSPECIFIED: _ClassVar[ImageFormat]
    IMAGE_FORMAT_JPEG: _ClassVar[ImageFormat]
    IMAGE_FORMAT_PNG: _ClassVar[ImageFormat]

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]
    JOB_STATE_INTERRUPTED: _ClassVar[JobState]
IMAGE_FORMAT_UNSPECIFIED: ImageFormat
IMAGE_FORMAT_JPEG: ImageFormat
IMAGE_FORMAT_PNG: ImageFormat
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState
JOB_STATE_INTERRUPTED: JobState

class PreviewOptions(_message.Message):
    __slots__ = ("disabled", "width", "height", "max_frames", "max_rate_hz", "format", "poses_disabled", "pose_max_rate_hz")
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    MAX_FRAMES_FIELD_NUMBER: _ClassVar[int]
    MAX_RATE_HZ_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    POSES_DISABLED_FIELD_NUMBER: _ClassVar[int]
    POSE_MAX_RATE_HZ_FIELD_NUMBER: _ClassVar[int]
    disabled: bool
    width: int
    height: int
    max_frames: int
    max_rate_hz: float
    format: ImageFormat
    poses_disabled: bool
    pose_max_rate_hz: float
    def __init__(self, disabled: _Optional[bool] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., max_frames: _Optional[int] = ..., max_rate_hz: _Optional[float] = ..., format: _Optional[_Union[ImageFormat, str]] = ..., poses_disabled: _Optional[bool] = ..., pose_max_rate_hz: _Optional[float] = ...) -> None: ...

class AnymoleOptions(_message.Message):
    __slots__ = ("prompt", "image_width", "image_height", "adapt_steps", "denoise_steps", "estimator_steps", "mimic_iterations", "parallel_adaptation")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    IMAGE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ADAPT_STEPS_FIELD_NUMBER: _ClassVar[int]
    DENOISE_STEPS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATOR_STEPS_FIELD_NUMBER: _ClassVar[int]
    MIMIC_ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    PARALLEL_ADAPTATION_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    image_width: int
    image_height: int
    adapt_steps: int
    denoise_steps: int
    estimator_steps: int
    mimic_iterations: int
    parallel_adaptation: bool
    def __init__(self, prompt: _Optional[str] = ..., image_width: _Optional[int] = ..., image_height: _Optional[int] = ..., adapt_steps: _Optional[int] = ..., denoise_steps: _Optional[int] = ..., estimator_steps: _Optional[int] = ..., mimic_iterations: _Optional[int] = ..., parallel_adaptation: _Optional[bool] = ...) -> None: ...

class JobOptions(_message.Message):
    __slots__ = ("method", "prior", "seed", "preview", "anymole")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PRIOR_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    ANYMOLE_FIELD_NUMBER: _ClassVar[int]
    method: str
    prior: str
    seed: int
    preview: PreviewOptions
    anymole: AnymoleOptions
    def __init__(self, method: _Optional[str] = ..., prior: _Optional[str] = ..., seed: _Optional[int] = ..., preview: _Optional[_Union[PreviewOptions, _Mapping]] = ..., anymole: _Optional[_Union[AnymoleOptions, _Mapping]] = ...) -> None: ...

class FrameRange(_message.Message):
    __slots__ = ("first", "last")
    FIRST_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    first: int
    last: int
    def __init__(self, first: _Optional[int] = ..., last: _Optional[int] = ...) -> None: ...

class OutputOptions(_message.Message):
    __slots__ = ("range", "fps")
    RANGE_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    range: FrameRange
    fps: float
    def __init__(self, range: _Optional[_Union[FrameRange, _Mapping]] = ..., fps: _Optional[float] = ...) -> None: ...

class TransitionInput(_message.Message):
    __slots__ = ("skeleton", "fps", "context", "keyframe_indices", "keyframes", "convention", "output", "options")
    SKELETON_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    KEYFRAME_INDICES_FIELD_NUMBER: _ClassVar[int]
    KEYFRAMES_FIELD_NUMBER: _ClassVar[int]
    CONVENTION_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    skeleton: _motion_pb2.Skeleton
    fps: float
    context: _motion_pb2.Motion
    keyframe_indices: _containers.RepeatedScalarFieldContainer[int]
    keyframes: _motion_pb2.Motion
    convention: _motion_pb2.CoordinateConvention
    output: OutputOptions
    options: JobOptions
    def __init__(self, skeleton: _Optional[_Union[_motion_pb2.Skeleton, _Mapping]] = ..., fps: _Optional[float] = ..., context: _Optional[_Union[_motion_pb2.Motion, _Mapping]] = ..., keyframe_indices: _Optional[_Iterable[int]] = ..., keyframes: _Optional[_Union[_motion_pb2.Motion, _Mapping]] = ..., convention: _Optional[_Union[_motion_pb2.CoordinateConvention, _Mapping]] = ..., output: _Optional[_Union[OutputOptions, _Mapping]] = ..., options: _Optional[_Union[JobOptions, _Mapping]] = ...) -> None: ...

class TransitionResult(_message.Message):
    __slots__ = ("motion", "fps", "first_frame", "method", "keyframe_error", "warnings", "timings_s")
    class TimingsSEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    MOTION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    FIRST_FRAME_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    KEYFRAME_ERROR_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_S_FIELD_NUMBER: _ClassVar[int]
    motion: _motion_pb2.Motion
    fps: float
    first_frame: int
    method: str
    keyframe_error: float
    warnings: _containers.RepeatedScalarFieldContainer[str]
    timings_s: _containers.ScalarMap[str, float]
    def __init__(self, motion: _Optional[_Union[_motion_pb2.Motion, _Mapping]] = ..., fps: _Optional[float] = ..., first_frame: _Optional[int] = ..., method: _Optional[str] = ..., keyframe_error: _Optional[float] = ..., warnings: _Optional[_Iterable[str]] = ..., timings_s: _Optional[_Mapping[str, float]] = ...) -> None: ...

class JobError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class StateChanged(_message.Message):
    __slots__ = ("state",)
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: JobState
    def __init__(self, state: _Optional[_Union[JobState, str]] = ...) -> None: ...

class StageChanged(_message.Message):
    __slots__ = ("stage",)
    STAGE_FIELD_NUMBER: _ClassVar[int]
    stage: str
    def __init__(self, stage: _Optional[str] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("fraction", "message")
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    fraction: float
    message: str
    def __init__(self, fraction: _Optional[float] = ..., message: _Optional[str] = ...) -> None: ...

class PreviewFrame(_message.Message):
    __slots__ = ("format", "image", "width", "height", "frame_index", "stage", "step")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FRAME_INDEX_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    format: ImageFormat
    image: bytes
    width: int
    height: int
    frame_index: int
    stage: str
    step: int
    def __init__(self, format: _Optional[_Union[ImageFormat, str]] = ..., image: _Optional[bytes] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., frame_index: _Optional[int] = ..., stage: _Optional[str] = ..., step: _Optional[int] = ...) -> None: ...

class MotionPreview(_message.Message):
    __slots__ = ("motion", "fps", "first_frame", "stage", "step", "final")
    MOTION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    FIRST_FRAME_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    motion: _motion_pb2.Motion
    fps: float
    first_frame: int
    stage: str
    step: int
    final: bool
    def __init__(self, motion: _Optional[_Union[_motion_pb2.Motion, _Mapping]] = ..., fps: _Optional[float] = ..., first_frame: _Optional[int] = ..., stage: _Optional[str] = ..., step: _Optional[int] = ..., final: _Optional[bool] = ...) -> None: ...

class LogLine(_message.Message):
    __slots__ = ("level", "message")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    level: str
    message: str
    def __init__(self, level: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job_id", "seq", "time", "state", "stage", "progress", "preview", "log", "result", "error", "pose", "job_state")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    POSE_FIELD_NUMBER: _ClassVar[int]
    JOB_STATE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    seq: int
    time: _timestamp_pb2.Timestamp
    state: StateChanged
    stage: StageChanged
    progress: Progress
    preview: PreviewFrame
    log: LogLine
    result: TransitionResult
    error: JobError
    pose: MotionPreview
    job_state: JobState
    def __init__(self, job_id: _Optional[str] = ..., seq: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[StateChanged, _Mapping]] = ..., stage: _Optional[_Union[StageChanged, _Mapping]] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., preview: _Optional[_Union[PreviewFrame, _Mapping]] = ..., log: _Optional[_Union[LogLine, _Mapping]] = ..., result: _Optional[_Union[TransitionResult, _Mapping]] = ..., error: _Optional[_Union[JobError, _Mapping]] = ..., pose: _Optional[_Union[MotionPreview, _Mapping]] = ..., job_state: _Optional[_Union[JobState, str]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "state", "method", "idempotency_key", "created", "started", "finished", "last_event_seq", "stage", "progress", "result", "error")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_SEQ_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobState
    method: str
    idempotency_key: str
    created: _timestamp_pb2.Timestamp
    started: _timestamp_pb2.Timestamp
    finished: _timestamp_pb2.Timestamp
    last_event_seq: int
    stage: str
    progress: float
    result: TransitionResult
    error: JobError
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., method: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_event_seq: _Optional[int] = ..., stage: _Optional[str] = ..., progress: _Optional[float] = ..., result: _Optional[_Union[TransitionResult, _Mapping]] = ..., error: _Optional[_Union[JobError, _Mapping]] = ...) -> None: ...
