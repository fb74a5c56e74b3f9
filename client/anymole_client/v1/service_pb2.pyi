from anymole_client.v1 import job_pb2 as _job_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OptionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPTION_TYPE_UNSPECIFIED: _ClassVar[OptionType]
    OPTION_TYPE_BOOL: _ClassVar[OptionType]
    OPTION_TYPE_INT: _ClassVar[OptionType]
    OPTION_TYPE_FLOAT: _ClassVar[OptionType]
    OPTION_TYPE_STRING: _ClassVar[OptionType]
OPTION_TYPE_UNSPECIFIED: OptionType
OPTION_TYPE_BOOL: OptionType
OPTION_TYPE_INT: OptionType
OPTION_TYPE_FLOAT: OptionType
OPTION_TYPE_STRING: OptionType

class GetServerInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_joints", "max_frames", "max_message_bytes", "max_queue", "max_preview_size", "max_preview_frames", "workers", "max_vertices", "max_faces", "max_influences", "max_preview_pixels", "max_decoded_bytes", "min_fps", "max_fps", "min_unit_m", "max_unit_m", "max_extent_m", "max_concurrent_validations")
    MAX_JOINTS_FIELD_NUMBER: _ClassVar[int]
    MAX_FRAMES_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_FIELD_NUMBER: _ClassVar[int]
    MAX_PREVIEW_SIZE_FIELD_NUMBER: _ClassVar[int]
    MAX_PREVIEW_FRAMES_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    MAX_VERTICES_FIELD_NUMBER: _ClassVar[int]
    MAX_FACES_FIELD_NUMBER: _ClassVar[int]
    MAX_INFLUENCES_FIELD_NUMBER: _ClassVar[int]
    MAX_PREVIEW_PIXELS_FIELD_NUMBER: _ClassVar[int]
    MAX_DECODED_BYTES_FIELD_NUMBER: _ClassVar[int]
    MIN_FPS_FIELD_NUMBER: _ClassVar[int]
    MAX_FPS_FIELD_NUMBER: _ClassVar[int]
    MIN_UNIT_M_FIELD_NUMBER: _ClassVar[int]
    MAX_UNIT_M_FIELD_NUMBER: _ClassVar[int]
    MAX_EXTENT_M_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_VALIDATIONS_FIELD_NUMBER: _ClassVar[int]
    max_joints: int
    max_frames: int
    max_message_bytes: int
    max_queue: int
    max_preview_size: int
    max_preview_frames: int
    workers: int
    max_vertices: int
    max_faces: int
    max_influences: int
    max_preview_pixels: int
    max_decoded_bytes: int
    min_fps: float
    max_fps: float
    min_unit_m: float
    max_unit_m: float
    max_extent_m: float
    max_concurrent_validations: int
    def __init__(self, max_joints: _Optional[int] = ..., max_frames: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., max_queue: _Optional[int] = ..., max_preview_size: _Optional[int] = ..., max_preview_frames: _Optional[int] = ..., workers: _Optional[int] = ..., max_vertices: _Optional[int] = ..., max_faces: _Optional[int] = ..., max_influences: _Optional[int] = ..., max_preview_pixels: _Optional[int] = ..., max_decoded_bytes: _Optional[int] = ..., min_fps: _Optional[float] = ..., max_fps: _Optional[float] = ..., min_unit_m: _Optional[float] = ..., max_unit_m: _Optional[float] = ..., max_extent_m: _Optional[float] = ..., max_concurrent_validations: _Optional[int] = ...) -> None: ...

class OptionInfo(_message.Message):
    __slots__ = ("name", "field", "type", "description", "default_json", "minimum", "maximum")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_JSON_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    name: str
    field: str
    type: OptionType
    description: str
    default_json: str
    minimum: float
    maximum: float
    def __init__(self, name: _Optional[str] = ..., field: _Optional[str] = ..., type: _Optional[_Union[OptionType, str]] = ..., description: _Optional[str] = ..., default_json: _Optional[str] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ...) -> None: ...

class MethodInfo(_message.Message):
    __slots__ = ("name", "description", "runnable", "unavailable_reason", "needs_prior", "is_default", "stages", "options")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RUNNABLE_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    NEEDS_PRIOR_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    runnable: bool
    unavailable_reason: str
    needs_prior: bool
    is_default: bool
    stages: _containers.RepeatedScalarFieldContainer[str]
    options: _containers.RepeatedCompositeFieldContainer[OptionInfo]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., runnable: _Optional[bool] = ..., unavailable_reason: _Optional[str] = ..., needs_prior: _Optional[bool] = ..., is_default: _Optional[bool] = ..., stages: _Optional[_Iterable[str]] = ..., options: _Optional[_Iterable[_Union[OptionInfo, _Mapping]]] = ...) -> None: ...

class Capabilities(_message.Message):
    __slots__ = ("methods", "default_method", "video_priors", "renderer", "device", "limits", "preview_formats", "method_info")
    METHODS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_METHOD_FIELD_NUMBER: _ClassVar[int]
    VIDEO_PRIORS_FIELD_NUMBER: _ClassVar[int]
    RENDERER_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FORMATS_FIELD_NUMBER: _ClassVar[int]
    METHOD_INFO_FIELD_NUMBER: _ClassVar[int]
    methods: _containers.RepeatedScalarFieldContainer[str]
    default_method: str
    video_priors: _containers.RepeatedScalarFieldContainer[str]
    renderer: str
    device: str
    limits: Limits
    preview_formats: _containers.RepeatedScalarFieldContainer[_job_pb2.ImageFormat]
    method_info: _containers.RepeatedCompositeFieldContainer[MethodInfo]
    def __init__(self, methods: _Optional[_Iterable[str]] = ..., default_method: _Optional[str] = ..., video_priors: _Optional[_Iterable[str]] = ..., renderer: _Optional[str] = ..., device: _Optional[str] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., preview_formats: _Optional[_Iterable[_Union[_job_pb2.ImageFormat, str]]] = ..., method_info: _Optional[_Iterable[_Union[MethodInfo, _Mapping]]] = ...) -> None: ...

class GetServerInfoResponse(_message.Message):
    __slots__ = ("protocol_version", "server_version", "capabilities")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    protocol_version: str
    server_version: str
    capabilities: Capabilities
    def __init__(self, protocol_version: _Optional[str] = ..., server_version: _Optional[str] = ..., capabilities: _Optional[_Union[Capabilities, _Mapping]] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("input", "idempotency_key")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    input: _job_pb2.TransitionInput
    idempotency_key: str
    def __init__(self, input: _Optional[_Union[_job_pb2.TransitionInput, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ("job_id", "state", "existing")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXISTING_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: _job_pb2.JobState
    existing: bool
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., existing: _Optional[bool] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id", "after_event")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_EVENT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    after_event: int
    def __init__(self, job_id: _Optional[str] = ..., after_event: _Optional[int] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.Job
    def __init__(self, job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.Job
    def __init__(self, job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "states")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[_job_pb2.JobState]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_job_pb2.JobState, str]]] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[_job_pb2.Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[_job_pb2.Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TransitionRequest(_message.Message):
    __slots__ = ("input", "idempotency_key")
    INPUT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    input: _job_pb2.TransitionInput
    idempotency_key: str
    def __init__(self, input: _Optional[_Union[_job_pb2.TransitionInput, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...
