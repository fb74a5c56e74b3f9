"""The sans-IO job follower."""

from __future__ import annotations

from anymole_client.follower import JobFollower
from anymole_client.v1 import job_pb2


def _ev(seq, **kind):
    ev = job_pb2.JobEvent(job_id="j", seq=seq)
    (name, fill), = kind.items()
    fill(getattr(ev, name))
    if name in ("state",):
        pass
    return ev


def _progress(f):
    return lambda m: (setattr(m, "fraction", f), setattr(m, "message", f"{f}"))


def test_progress_never_decreases_and_duplicates_are_dropped():
    f = JobFollower()
    out = []
    for ev in [_ev(1, stage=lambda m: setattr(m, "stage", "a")), _ev(2, progress=_progress(0.5)), _ev(3, progress=_progress(0.3))]:
        out += f.feed(ev)
    out += f.feed(_ev(2, progress=_progress(0.9)))  # a repeat after a reattach
    assert [u.to_dict() for u in out] == [
        {"kind": "stage", "stage": "a"},
        {"kind": "progress", "fraction": 0.5, "message": "0.5"},
        {"kind": "progress", "fraction": 0.5, "message": "0.3"},
    ]
    assert f.last_seq == 3 and f.job_id == "j"


def test_disconnect_reattaches_from_the_last_seq_until_the_end():
    f = JobFollower("j", after_event=4)
    assert f.feed(_ev(3, log=lambda m: setattr(m, "message", "old"))) == []
    f.feed(_ev(5, log=lambda m: (setattr(m, "level", "info"), setattr(m, "message", "x"))))
    assert [u.to_dict() for u in f.disconnected()] == [{"kind": "reattach", "afterEvent": 5}]
    done = f.feed(_ev(6, error=lambda m: (setattr(m, "code", 1), setattr(m, "message", "cancelled"))))
    assert [u.to_dict() for u in done] == [{"kind": "error", "code": 1, "message": "cancelled"}]
    assert f.done and f.disconnected() == [] and f.feed(_ev(7, progress=_progress(1.0))) == []


def test_result_and_job_finished():
    f = JobFollower("j")
    [u] = f.feed(_ev(1, result=lambda m: setattr(m, "method", "spline")))
    assert u.kind == "result" and f.result.method == "spline"
    g = JobFollower("k")
    job = job_pb2.Job(job_id="k", state=job_pb2.JOB_STATE_FAILED)
    job.error.code, job.error.message = 13, "boom"
    assert [u.to_dict() for u in g.job_finished(job)] == [{"kind": "error", "code": 13, "message": "boom"}]
    assert JobFollower("r").job_finished(job_pb2.Job(state=job_pb2.JOB_STATE_RUNNING)) == []
