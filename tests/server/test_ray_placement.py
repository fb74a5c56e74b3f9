"""Ray placement with fake GPU resources (no GPU needed: Ray only counts them): on a cluster
with GPUs the executor makes one worker per GPU, each given its own. Skipped where the ``ray``
extra is not installed (required under CI=true)."""

from __future__ import annotations

import os

import pytest

if os.environ.get("CI") == "true":
    import ray
else:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install '.[ray]'")

from anymole_server.executors.ray_executor import RayExecutor  # noqa: E402


def test_one_worker_per_fake_gpu():
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")
    try:
        ex = RayExecutor(2)
        try:
            ids = sorted(tuple(ray.get(w.gpu_ids.remote())) for w in ex.workers())
            assert ids == [(0,), (1,)]  # each worker its own GPU
            assert ray.available_resources().get("GPU", 0) == 0  # both taken by the workers
        finally:
            ex.close()
    finally:
        ray.shutdown()
