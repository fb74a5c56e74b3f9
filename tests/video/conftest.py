"""Video tests run the tiny diffusers pipelines on one torch thread (steady timings, no
oversubscription when CI's two cores are shared)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
