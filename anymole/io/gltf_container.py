"""glTF 2.0 containers: the JSON document and its binary buffers, and typed accessor data.

Reads ``.gltf`` (buffers embedded as ``data:`` URIs or in files beside it) and ``.glb``
(header, JSON chunk, BIN chunk), and turns accessors into numpy arrays — strided views,
normalised integers and sparse accessors included. Writing packs typed arrays into one buffer
with 4-byte aligned buffer views. No scene semantics here (see :mod:`anymole.io.gltf_read`).
"""

from __future__ import annotations

import base64
import json
import struct
import urllib.parse
from pathlib import Path

import numpy as np

from anymole.errors import FormatError

GLB_MAGIC = b"glTF"
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942
ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963

COMPONENT_DTYPES = {
    5120: np.dtype("<i1"),
    5121: np.dtype("<u1"),
    5122: np.dtype("<i2"),
    5123: np.dtype("<u2"),
    5125: np.dtype("<u4"),
    5126: np.dtype("<f4"),
}
DTYPE_COMPONENTS = {v: k for k, v in COMPONENT_DTYPES.items()}
TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


class GltfFile:
    """A parsed glTF document: ``doc`` (the JSON object) and ``buffer(i)`` → bytes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._bin: bytes | None = None
        self._buffers: dict[int, bytes] = {}
        data = self.path.read_bytes()
        if self.path.suffix.lower() == ".glb" or data[:4] == GLB_MAGIC:
            self.doc = self._parse_glb(data)
        else:
            self.doc = self._parse_json(data)
        if not isinstance(self.doc, dict):
            raise FormatError(self.path, "the glTF JSON is not an object")
        version = str(self.doc.get("asset", {}).get("version", ""))
        if not version.startswith("2."):
            raise FormatError(self.path, f"unsupported glTF version {version!r}; expected 2.x")

    # -- container ----------------------------------------------------------------------------

    def _parse_json(self, data: bytes):
        try:
            return json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise FormatError(self.path, "not a glTF file: the JSON is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise FormatError(self.path, f"invalid glTF JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None

    def _parse_glb(self, data: bytes):
        if len(data) < 12 or data[:4] != GLB_MAGIC:
            raise FormatError(self.path, "not a GLB file: missing the 'glTF' magic header")
        version, length = struct.unpack_from("<II", data, 4)
        if version != 2:
            raise FormatError(self.path, f"unsupported GLB container version {version}; expected 2")
        if length > len(data):
            raise FormatError(self.path, f"truncated GLB: header says {length} bytes, file has {len(data)}")
        pos, doc = 12, None
        while pos + 8 <= length:
            chunk_len, chunk_type = struct.unpack_from("<II", data, pos)
            start, end = pos + 8, pos + 8 + chunk_len
            if end > length:
                raise FormatError(self.path, f"truncated GLB: chunk at byte {pos} runs past the end of the file")
            if doc is None:
                if chunk_type != CHUNK_JSON:
                    raise FormatError(self.path, "GLB: the first chunk is not JSON")
                doc = self._parse_json(data[start:end])
            elif chunk_type == CHUNK_BIN and self._bin is None:
                self._bin = data[start:end]
            pos = end + (-end % 4)
        if doc is None:
            raise FormatError(self.path, "GLB has no JSON chunk")
        return doc

    def buffer(self, index: int) -> bytes:
        if index in self._buffers:
            return self._buffers[index]
        buffers = self.doc.get("buffers", [])
        if not 0 <= index < len(buffers):
            raise FormatError(self.path, f"buffer {index} does not exist ({len(buffers)} buffers)")
        b = buffers[index]
        uri = b.get("uri")
        if uri is None:
            if index != 0 or self._bin is None:
                raise FormatError(self.path, f"buffer {index} has no uri and there is no GLB binary chunk")
            data = self._bin
        elif uri.startswith("data:"):
            head, _, payload = uri.partition(",")
            if not head.endswith(";base64"):
                raise FormatError(self.path, f"buffer {index}: only base64 data URIs are supported")
            try:
                data = base64.b64decode(payload, validate=True)
            except ValueError:
                raise FormatError(self.path, f"buffer {index}: invalid base64 data URI") from None
        else:
            file = self.path.parent / urllib.parse.unquote(uri)
            try:
                data = file.read_bytes()
            except OSError:
                raise FormatError(self.path, f"buffer {index}: missing buffer file {uri!r} (looked for {file})") from None
        need = int(b.get("byteLength", 0))
        if len(data) < need:
            raise FormatError(self.path, f"buffer {index} is truncated: {len(data)} bytes, byteLength says {need}")
        self._buffers[index] = data
        return data

    # -- accessors ----------------------------------------------------------------------------

    def _get(self, kind: str, index) -> dict:
        items = self.doc.get(kind, [])
        if not isinstance(index, int) or not 0 <= index < len(items):
            raise FormatError(self.path, f"{kind} index {index!r} out of range ({len(items)} {kind})")
        return items[index]

    def _view_bytes(self, view_index: int) -> tuple[bytes, int, int, int | None]:
        """``(buffer bytes, view start, view length, byteStride)``."""
        view = self._get("bufferViews", view_index)
        data = self.buffer(int(view["buffer"]))
        start = int(view.get("byteOffset", 0))
        length = int(view["byteLength"])
        if start < 0 or start + length > len(data):
            raise FormatError(self.path, f"bufferView {view_index} runs past the end of buffer {view['buffer']}")
        stride = view.get("byteStride")
        return data, start, length, int(stride) if stride else None

    def _read_typed(self, view_index: int, offset: int, count: int, dtype: np.dtype, ncomp: int, what: str) -> np.ndarray:
        data, start, length, stride = self._view_bytes(view_index)
        elem = dtype.itemsize * ncomp
        stride = stride or elem
        if stride < elem:
            raise FormatError(self.path, f"{what}: byteStride {stride} is smaller than an element ({elem} bytes)")
        need = offset + (stride * (count - 1) + elem if count else 0)
        if offset < 0 or need > length:
            raise FormatError(self.path, f"{what}: {count} elements run past the end of bufferView {view_index}")
        if count == 0:
            return np.zeros((0, ncomp), dtype)
        arr = np.ndarray((count, ncomp), dtype=dtype, buffer=data, offset=start + offset, strides=(stride, dtype.itemsize))
        return arr.copy()

    def accessor(self, index: int) -> np.ndarray:
        """Accessor ``index`` as ``(count, components)``: float64 for float or normalised data,
        int64 otherwise. Matrices come as ``(count, 16)`` etc. in column-major order."""
        acc = self._get("accessors", index)
        what = f"accessor {index}"
        try:
            dtype = COMPONENT_DTYPES[int(acc["componentType"])]
            ncomp = TYPE_SIZES[acc["type"]]
            count = int(acc["count"])
        except KeyError as exc:
            raise FormatError(self.path, f"{what}: missing or unknown {exc.args[0]!r}") from None
        if acc["type"] in ("MAT2", "MAT3") and dtype.itemsize < 4:
            raise FormatError(self.path, f"{what}: padded {acc['type']} of {dtype} is not supported")
        if "bufferView" in acc:
            arr = self._read_typed(int(acc["bufferView"]), int(acc.get("byteOffset", 0)), count, dtype, ncomp, what)
        else:
            arr = np.zeros((count, ncomp), dtype)
        sparse = acc.get("sparse")
        if sparse:
            n = int(sparse["count"])
            idx_info, val_info = sparse["indices"], sparse["values"]
            idx_dtype = COMPONENT_DTYPES.get(int(idx_info["componentType"]))
            if idx_dtype is None or idx_dtype.kind != "u":
                raise FormatError(self.path, f"{what}: unsupported sparse index type {idx_info['componentType']}")
            idx = self._read_typed(int(idx_info["bufferView"]), int(idx_info.get("byteOffset", 0)), n, idx_dtype, 1, what)[:, 0]
            vals = self._read_typed(int(val_info["bufferView"]), int(val_info.get("byteOffset", 0)), n, dtype, ncomp, what)
            if n and int(idx.max()) >= count:
                raise FormatError(self.path, f"{what}: sparse index {int(idx.max())} out of range ({count})")
            arr[idx.astype(np.int64)] = vals
        if dtype.kind == "f":
            return arr.astype(np.float64)
        if acc.get("normalized"):
            info = np.iinfo(dtype)
            return np.maximum(arr.astype(np.float64) / info.max, -1.0)
        return arr.astype(np.int64)


class BufferBuilder:
    """Packs arrays into one binary buffer, one 4-byte aligned buffer view per accessor."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def add(self, array: np.ndarray, type_: str, *, target: int | None = None, minmax: bool = False) -> int:
        """Append ``array`` ``(count, components)`` (its dtype decides the componentType) and
        return the new accessor's index."""
        array = np.ascontiguousarray(array)
        if array.dtype not in DTYPE_COMPONENTS:
            raise TypeError(f"unsupported dtype {array.dtype} for a glTF accessor")
        pad = -self.size % 4
        if pad:
            self.chunks.append(b"\x00" * pad)
            self.size += pad
        raw = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        view = {"buffer": 0, "byteOffset": self.size, "byteLength": len(raw)}
        if target is not None:
            view["target"] = target
        self.chunks.append(raw)
        self.size += len(raw)
        self.views.append(view)
        acc = {
            "bufferView": len(self.views) - 1,
            "componentType": DTYPE_COMPONENTS[array.dtype],
            "count": int(array.shape[0]),
            "type": type_,
        }
        if minmax:
            flat = array.reshape(array.shape[0], -1)
            acc["min"] = [_num(x) for x in flat.min(axis=0)]
            acc["max"] = [_num(x) for x in flat.max(axis=0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def data(self) -> bytes:
        pad = -self.size % 4
        return b"".join(self.chunks) + b"\x00" * pad


def _num(x):
    return int(x) if np.issubdtype(type(x), np.integer) else float(x)


def write_container(path: Path, doc: dict, binary: bytes) -> None:
    """Write ``doc`` with its single buffer: GLB for ``.glb``, otherwise JSON + ``<stem>.bin``."""
    if path.suffix.lower() == ".glb":
        doc["buffers"] = [{"byteLength": len(binary)}] if binary else []
        js = json.dumps(doc, separators=(",", ":")).encode("utf-8")
        js += b" " * (-len(js) % 4)
        binary += b"\x00" * (-len(binary) % 4)
        chunks = struct.pack("<II", len(js), CHUNK_JSON) + js
        if binary:
            chunks += struct.pack("<II", len(binary), CHUNK_BIN) + binary
        path.write_bytes(GLB_MAGIC + struct.pack("<II", 2, 12 + len(chunks)) + chunks)
    else:
        bin_name = path.stem + ".bin"
        if binary:
            doc["buffers"] = [{"byteLength": len(binary), "uri": urllib.parse.quote(bin_name)}]
            (path.parent / bin_name).write_bytes(binary)
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
