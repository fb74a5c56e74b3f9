"""Video diffusion priors for motion in-betweening (all through diffusers, weights offline).

Modules:

- :mod:`anymole.video.base` — the :class:`VideoPrior` interface, frame conventions
  (``(T, H, W, 3)`` float in ``[0, 1]``), shared helpers and diffusers plumbing.
- :mod:`anymole.video.ltx` — ``ltx``: ``LTXConditionPipeline``, known frames as conditions.
- :mod:`anymole.video.wan_vace` — ``wan-vace``: ``WanVACEPipeline``, masks mark known frames.
- :mod:`anymole.video.tiny` — tiny random pipelines built in code and the ``tiny`` placeholder
  prior (output is noise; for tests and plumbing only).
- :mod:`anymole.video.loading` — :func:`load_prior` by name from a local folder / HF cache,
  :func:`loadable_priors`.
- :mod:`anymole.video.adapt` — ICAdapt: LoRA fine-tuning with a content-hash adapter cache.
- :mod:`anymole.video.two_stage` — coarse-then-fine generation over any prior.

Importing this package does not import diffusers; the backends import it when used.
"""

from anymole.video.adapt import AdaptConfig, AdapterCache, AdaptResult, adapt, adapter_key
from anymole.video.base import DEFAULT_PROMPT, VideoPrior
from anymole.video.loading import PRIOR_NAMES, load_prior, loadable_priors
from anymole.video.two_stage import generate_two_stage

__all__ = [
    "DEFAULT_PROMPT",
    "PRIOR_NAMES",
    "AdaptConfig",
    "AdaptResult",
    "AdapterCache",
    "VideoPrior",
    "adapt",
    "adapter_key",
    "generate_two_stage",
    "load_prior",
    "loadable_priors",
]
