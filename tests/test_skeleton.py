"""Skeleton validation names the problem; sorting, queries, size."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.errors import ValidationError
from anymole.skeleton import Skeleton


def _sk(**kw):
    args = dict(names=("a", "b", "c"), parents=[-1, 0, 1], offsets=torch.tensor([[0.0, 0, 0], [0, 1, 0], [0, 1, 0]]))
    args.update(kw)
    return Skeleton(**args)


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        (dict(names=()), "skeleton.names", "empty skeleton"),
        (dict(names=("a", "b", "a")), "skeleton.names", "duplicate joint name 'a'"),
        (dict(names=("a", "", "c")), "skeleton.names", "empty or non-string"),
        (dict(parents=[-1, 2, 1]), "skeleton.parents", "not sorted"),
        (dict(parents=[-1, 1, 1]), "skeleton.parents", "its own parent"),
        (dict(parents=[-1, 0, 7]), "skeleton.parents", "outside"),
        (dict(parents=[-1, 0]), "skeleton.parents", r"expected shape \(3\)"),
        (dict(offsets=torch.zeros(3, 2)), "skeleton.offsets", r"expected shape \(3, 3\)"),
        (dict(offsets=torch.tensor([[0.0, 0, 0], [0, math.nan, 0], [0, 1, 0]])), "skeleton.offsets", r"NaN at index \[1, 1\]"),
        (dict(offsets=torch.tensor([[0.0, 0, 0], [0, 1, 0], [math.inf, 1, 0]])), "skeleton.offsets", "infinity"),
        (dict(rest_rotations=torch.tensor([[0.0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 1]])), "skeleton.rest_rotations", "zero-length quaternion at index \\[1\\]"),
        (dict(rest_rotations=torch.zeros(3, 3)), "skeleton.rest_rotations", "expected shape"),
        (dict(rest_scales=torch.ones(3, 4)), "skeleton.rest_scales", "expected shape"),
        (dict(rest_scales=torch.tensor([[1.0, 1, 1], [1, 0, 1], [1, 1, 1]])), "skeleton.rest_scales", r"index \[1, 1\] is not positive"),
        (dict(rest_scales=torch.tensor([[1.0, 1, 1], [1, 1, 1], [-1, 1, 1]])), "skeleton.rest_scales", "not positive"),
        (dict(rest_scales=torch.tensor([[1.0, 1, 1], [1, 1, math.nan], [1, 1, 1]])), "skeleton.rest_scales", "NaN"),
    ],
)
def test_validation_names_the_problem(kw, field, message):
    with pytest.raises(ValidationError, match=message) as exc:
        _sk(**kw)
    assert exc.value.field == field


def test_rest_rotations_default_and_normalised():
    sk = _sk()
    assert torch.equal(sk.rest_rotations, torch.tensor([[0.0, 0, 0, 1]] * 3))
    sk = _sk(rest_rotations=torch.tensor([[0.0, 0, 0, 2], [0, 0, 0, 1], [0, 3, 0, 4]]))
    assert torch.allclose(sk.rest_rotations.norm(dim=-1), torch.ones(3))
    assert torch.allclose(sk.rest_rotations[2], torch.tensor([0, 0.6, 0, 0.8]))


def test_from_unsorted_sorts_and_reports_order():
    # Given as: 0 hand (parent 2), 1 root, 2 arm (parent 1), 3 leg (parent 1).
    names = ["hand", "root", "arm", "leg"]
    offsets = torch.tensor([[3.0, 0, 0], [0, 0, 0], [1, 0, 0], [0, -1, 0]])
    sk, order = Skeleton.from_unsorted(names, [2, -1, 1, 1], offsets)
    assert sk.names[0] == "root"
    assert all(p < i for i, p in enumerate(sk.parents.tolist()))
    assert [names[o] for o in order] == list(sk.names)
    assert torch.equal(sk.offsets, offsets[order])
    assert sk.names[sk.parents[sk.index("hand")]] == "arm"


def test_from_unsorted_rejects_cycles_and_bad_parents():
    with pytest.raises(ValidationError, match="cycle") as exc:
        Skeleton.from_unsorted(["root", "a", "b"], [-1, 2, 1], torch.zeros(3, 3))
    assert "'a'" in str(exc.value) and "'b'" in str(exc.value)
    with pytest.raises(ValidationError, match="outside"):
        Skeleton.from_unsorted(["root", "a"], [-1, 5], torch.zeros(2, 3))
    with pytest.raises(ValidationError, match="2 parents for 3 joints"):
        Skeleton.from_unsorted(["root", "a", "b"], [-1, 0], torch.zeros(3, 3))


def test_queries_and_size():
    sk = _sk()
    assert sk.num_joints == 3
    assert sk.index("c") == 2
    with pytest.raises(ValidationError, match="no joint named 'z'"):
        sk.index("z")
    assert sk.children(0) == [1] and sk.children(2) == []
    assert torch.allclose(sk.rest_positions, torch.tensor([[0.0, 0, 0], [0, 1, 0], [0, 2, 0]]))
    assert sk.size == pytest.approx(2.0)
    assert Skeleton(("only",), [-1], torch.zeros(1, 3)).size == 1.0
    assert _sk(offsets=100 * _sk().offsets).size == pytest.approx(200.0)  # centimetres
    # A root rest rotation turns the whole character: the size does not change.
    rest = torch.tensor([[0.3, 0.1, 0.2, 0.9], [0, 0, 0, 1], [0, 0, 0, 1]])
    assert _sk(rest_rotations=rest).size == pytest.approx(2.0, rel=1e-6)


def test_rest_scales_default_carry_and_apply():
    sk = _sk()
    assert torch.equal(sk.rest_scales, torch.ones(3, 3)) and not sk.has_scales and sk.fk_scales is None
    scales = torch.tensor([[2.0, 2, 2], [1, 3, 1], [1, 1, 1]])
    sk = _sk(rest_scales=scales)
    assert sk.has_scales and torch.equal(sk.fk_scales, scales)
    # Root scale 2 doubles b's offset; b's (1, 3, 1) triples c's offset along y.
    assert torch.allclose(sk.rest_positions, torch.tensor([[0.0, 0, 0], [0, 2, 0], [0, 8, 0]]))
    assert sk.size == pytest.approx(8.0)
    assert torch.equal(sk.with_mesh(None).rest_scales, scales)


def test_from_unsorted_permutes_rest_scales():
    names = ["hand", "root", "arm"]
    scales = torch.tensor([[1.0, 1, 1], [2, 2, 2], [1, 3, 1]])
    sk, order = Skeleton.from_unsorted(names, [2, -1, 1], torch.tensor([[1.0, 0, 0], [0, 0, 0], [1, 0, 0]]), rest_scales=scales)
    assert torch.equal(sk.rest_scales, scales[order])
    assert torch.equal(Skeleton.from_unsorted(names, [2, -1, 1], torch.zeros(3, 3))[0].rest_scales, torch.ones(3, 3))
