"""FBX reader (through ufbx, in a child process): malformed files here; the real files are
checked in test_corpus.py."""

from __future__ import annotations

import pytest

from anymole.errors import FormatError
from anymole.io import load_asset, read_fbx


def test_garbage_fbx(tmp_path):
    p = tmp_path / "garbage.fbx"
    p.write_bytes(b"this is not an FBX file at all\x00\x01\x02" * 20)
    with pytest.raises(FormatError, match=r"garbage.fbx: not a readable FBX file"):
        read_fbx(p)


def test_empty_fbx(tmp_path):
    p = tmp_path / "empty.FBX"
    p.write_bytes(b"")
    with pytest.raises(FormatError, match=r"empty.FBX: not a readable FBX file"):
        load_asset(p)


def test_missing_fbx(tmp_path):
    with pytest.raises(FormatError, match=r"nothere.fbx: cannot read file"):
        read_fbx(tmp_path / "nothere.fbx")


def test_bad_fps(tmp_path):
    with pytest.raises(FormatError, match="fps must be positive"):
        read_fbx(tmp_path / "x.fbx", fps=-1)


@pytest.mark.corpus
def test_truncated_fbx(tmp_path, corpus):
    data = (corpus / "characters" / "Fox.fbx").read_bytes()
    p = tmp_path / "cut.fbx"
    p.write_bytes(data[: len(data) // 3])
    with pytest.raises(FormatError, match=r"cut.fbx: not a readable FBX file: .*"):
        read_fbx(p)


def test_ascii_of_no_bones(tmp_path):
    """An FBX with nodes but no bones is readable but has no skeleton to give."""
    ascii_fbx = tmp_path / "nobones.fbx"
    ascii_fbx.write_text(
        "; FBX 7.4.0 project file\nFBXHeaderExtension:  {\n FBXHeaderVersion: 1003\n FBXVersion: 7400\n}\n"
        'Objects:  {\n Model: 1, "Model::cube", "Null" {\n }\n}\nConnections:  {\n C: "OO",1,0\n}\n'
    )
    with pytest.raises(FormatError, match=r"nobones.fbx: the file has no bones"):
        read_fbx(ascii_fbx)
