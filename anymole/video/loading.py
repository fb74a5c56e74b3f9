"""Load a video prior by name from local weights, offline.

``path`` is either a diffusers-format folder (with ``model_index.json``) or a Hugging Face repo
id that is already in the local HF cache; nothing is ever downloaded (``local_files_only=True``).
The server is configured with ``--video-model NAME=PATH`` (e.g. ``ltx=/models/LTX-Video``).
"""

from __future__ import annotations

from pathlib import Path

import torch

from anymole.errors import UnsupportedError
from anymole.video.base import VideoPrior

PRIOR_NAMES = ("ltx", "wan-vace", "tiny")

_PIPELINES = {"ltx": "LTXConditionPipeline", "wan-vace": "WanVACEPipeline"}
_EXAMPLES = {"ltx": "/path/to/LTX-Video", "wan-vace": "/path/to/Wan2.1-VACE-1.3B-diffusers"}


def _how_to(name: str) -> str:
    return f"start the server with --video-model {name}={_EXAMPLES.get(name, '/path/to/model')}"


def _looks_like_repo_id(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and all(parts) and not path.startswith((".", "~")) and not Path(path).exists()


def load_prior(
    name: str,
    path: str | None,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    cpu_offload: bool = False,
    vae_tiling: bool = False,
) -> VideoPrior:
    """Build the prior ``name`` from the weights at ``path``.

    Args:
        name: one of :data:`PRIOR_NAMES`.
        path: diffusers folder or cached HF repo id; ignored (may be ``None``) for ``tiny``.
        device: where the pipeline runs (ignored with ``cpu_offload``).
        dtype: weight dtype (``torch.bfloat16`` on GPUs for the real models).
        cpu_offload: ``enable_model_cpu_offload()`` (needs accelerate and a GPU).
        vae_tiling: ``vae.enable_tiling()`` to bound VAE memory on large frames.

    Raises:
        UnsupportedError: unknown name, no path, missing folder / not cached, or a load failure;
            the message says how to configure the model.
    """
    if name not in PRIOR_NAMES:
        raise UnsupportedError(f"unknown video prior {name!r}; choose one of {', '.join(PRIOR_NAMES)}")
    if name == "tiny":
        from anymole.video.tiny import TinyPrior

        prior = TinyPrior(0)
        prior.pipe.to(device)
        return prior
    if not path:
        raise UnsupportedError(f"video prior {name!r} has no model configured; {_how_to(name)}")
    path = str(path)
    folder = Path(path).expanduser()
    if folder.exists():
        if not (folder / "model_index.json").is_file():
            raise UnsupportedError(
                f"{folder} is not a diffusers model folder (no model_index.json) for prior {name!r}; "
                f"{_how_to(name)}"
            )
        source = str(folder)
    elif _looks_like_repo_id(path):
        source = path
    else:
        raise UnsupportedError(f"model folder {path} for video prior {name!r} does not exist; {_how_to(name)}")

    import diffusers

    pipeline_cls = getattr(diffusers, _PIPELINES[name])
    try:
        pipe = pipeline_cls.from_pretrained(source, local_files_only=True, dtype=dtype)
    except (OSError, ValueError, EnvironmentError) as exc:
        raise UnsupportedError(
            f"could not load {_PIPELINES[name]} for video prior {name!r} from {source} offline "
            f"(a repo id must already be in the local Hugging Face cache): {exc}; {_how_to(name)}"
        ) from exc
    pipe.set_progress_bar_config(disable=True)
    if vae_tiling and hasattr(pipe.vae, "enable_tiling"):
        pipe.vae.enable_tiling()
    if cpu_offload:
        pipe.enable_model_cpu_offload()
    else:
        pipe.to(device)

    if name == "ltx":
        from anymole.video.ltx import LTXPrior

        return LTXPrior(pipe, model_id=source)
    from anymole.video.wan_vace import WanVACEPrior

    return WanVACEPrior(pipe, model_id=source)


def loadable_priors(configured: dict[str, str]) -> dict[str, str]:
    """Names of the configured priors that look loadable, mapped to ``""``.

    A cheap check (nothing is loaded): ``ltx`` / ``wan-vace`` count when their path is a folder
    with a ``model_index.json``; ``tiny`` counts only when it is itself in ``configured`` (it is
    opt-in and never a default). Unknown names are ignored.
    """
    out: dict[str, str] = {}
    for name, path in configured.items():
        if name == "tiny":
            out[name] = ""
        elif name in _PIPELINES and path and (Path(path).expanduser() / "model_index.json").is_file():
            out[name] = ""
    return out
