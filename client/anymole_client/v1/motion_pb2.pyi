from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Handedness(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HANDEDNESS_UNSPECIFIED: _ClassVar[Handedness]
    HANDEDNESS_RIGHT: _ClassVar[Handedness]
    HANDEDNESS_LEFT: _ClassVar[Handedness]

class Axis(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AXIS_UNSPECIFIED: _ClassVar[Axis]
    AXIS_POS_X: _ClassVar[Axis]
    AXIS_NEG_X: _ClassVar[Axis]
    AXIS_POS_Y: _ClassVar[Axis]
    AXIS_NEG_Y: _ClassVar[Axis]
    AXIS_POS_Z: _ClassVar[Axis]
    AXIS_NEG_Z: _ClassVar[Axis]
HANDEDNESS_UNSPECIFIED: Handedness
HANDEDNESS_RIGHT: Handedness
HANDEDNESS_LEFT: Handedness
AXIS_UNSPECIFIED: Axis
AXIS_POS_X: Axis
AXIS_NEG_X: Axis
AXIS_POS_Y: Axis
AXIS_NEG_Y: Axis
AXIS_POS_Z: Axis
AXIS_NEG_Z: Axis

class FloatTensor(_message.Message):
    __slots__ = ("shape", "data")
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    shape: _containers.RepeatedScalarFieldContainer[int]
    data: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, shape: _Optional[_Iterable[int]] = ..., data: _Optional[_Iterable[float]] = ...) -> None: ...

class CoordinateConvention(_message.Message):
    __slots__ = ("handedness", "up", "forward", "unit_m")
    HANDEDNESS_FIELD_NUMBER: _ClassVar[int]
    UP_FIELD_NUMBER: _ClassVar[int]
    FORWARD_FIELD_NUMBER: _ClassVar[int]
    UNIT_M_FIELD_NUMBER: _ClassVar[int]
    handedness: Handedness
    up: Axis
    forward: Axis
    unit_m: float
    def __init__(self, handedness: _Optional[_Union[Handedness, str]] = ..., up: _Optional[_Union[Axis, str]] = ..., forward: _Optional[_Union[Axis, str]] = ..., unit_m: _Optional[float] = ...) -> None: ...

class SkinnedMesh(_message.Message):
    __slots__ = ("vertices", "faces", "joint_indices", "joint_weights", "inverse_bind_matrices")
    VERTICES_FIELD_NUMBER: _ClassVar[int]
    FACES_FIELD_NUMBER: _ClassVar[int]
    JOINT_INDICES_FIELD_NUMBER: _ClassVar[int]
    JOINT_WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    INVERSE_BIND_MATRICES_FIELD_NUMBER: _ClassVar[int]
    vertices: FloatTensor
    faces: _containers.RepeatedScalarFieldContainer[int]
    joint_indices: _containers.RepeatedScalarFieldContainer[int]
    joint_weights: FloatTensor
    inverse_bind_matrices: FloatTensor
    def __init__(self, vertices: _Optional[_Union[FloatTensor, _Mapping]] = ..., faces: _Optional[_Iterable[int]] = ..., joint_indices: _Optional[_Iterable[int]] = ..., joint_weights: _Optional[_Union[FloatTensor, _Mapping]] = ..., inverse_bind_matrices: _Optional[_Union[FloatTensor, _Mapping]] = ...) -> None: ...

class Skeleton(_message.Message):
    __slots__ = ("joint_names", "parents", "rest_offsets", "rest_rotations", "mesh", "rest_scales")
    JOINT_NAMES_FIELD_NUMBER: _ClassVar[int]
    PARENTS_FIELD_NUMBER: _ClassVar[int]
    REST_OFFSETS_FIELD_NUMBER: _ClassVar[int]
    REST_ROTATIONS_FIELD_NUMBER: _ClassVar[int]
    MESH_FIELD_NUMBER: _ClassVar[int]
    REST_SCALES_FIELD_NUMBER: _ClassVar[int]
    joint_names: _containers.RepeatedScalarFieldContainer[str]
    parents: _containers.RepeatedScalarFieldContainer[int]
    rest_offsets: FloatTensor
    rest_rotations: FloatTensor
    mesh: SkinnedMesh
    rest_scales: FloatTensor
    def __init__(self, joint_names: _Optional[_Iterable[str]] = ..., parents: _Optional[_Iterable[int]] = ..., rest_offsets: _Optional[_Union[FloatTensor, _Mapping]] = ..., rest_rotations: _Optional[_Union[FloatTensor, _Mapping]] = ..., mesh: _Optional[_Union[SkinnedMesh, _Mapping]] = ..., rest_scales: _Optional[_Union[FloatTensor, _Mapping]] = ...) -> None: ...

class Motion(_message.Message):
    __slots__ = ("rotations", "translated_joints", "translations")
    ROTATIONS_FIELD_NUMBER: _ClassVar[int]
    TRANSLATED_JOINTS_FIELD_NUMBER: _ClassVar[int]
    TRANSLATIONS_FIELD_NUMBER: _ClassVar[int]
    rotations: FloatTensor
    translated_joints: _containers.RepeatedScalarFieldContainer[int]
    translations: FloatTensor
    def __init__(self, rotations: _Optional[_Union[FloatTensor, _Mapping]] = ..., translated_joints: _Optional[_Iterable[int]] = ..., translations: _Optional[_Union[FloatTensor, _Mapping]] = ...) -> None: ...
