"""Process-wide locks for work that is not thread-safe in the libraries underneath.

``MODULE_CONSTRUCTION_LOCK``: while diffusers or peft load weights (a LoRA adapter, a
pipeline), accelerate's ``init_empty_weights`` patches ``torch.nn.Module.register_parameter``
for the whole process, so a module built on another thread at that moment gets its parameters
on the ``meta`` device (seen as "Cannot copy out of meta tensor" when the estimator trains while
ICAdapt loads a cached adapter). Build networks and load or attach weights under this lock.
"""

from __future__ import annotations

import threading

MODULE_CONSTRUCTION_LOCK = threading.RLock()
