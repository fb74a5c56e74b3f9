"""The video-prior interface, the helpers every backend shares, and the diffusers plumbing
(LoRA save/load, step callback with previews and cancellation) the real backends build on.

Conventions (one place):

- **Frames** are ``(T, H, W, 3)`` float32 tensors with values in ``[0, 1]``. For the real models
  ``H`` and ``W`` must be multiples of 32 (the VAE's spatial compression).
- **known** is a ``(T,)`` bool tensor: ``True`` marks frames the caller knows (context frames and
  keyframes). Values of unknown frames are ignored (callers usually fill them with grey).
- A prior returns ``(T, H, W, 3)`` in ``[0, 1]`` with the known frames pasted back exactly.
- Video VAEs compress time by a factor ``r`` (8 for LTX-Video, 4 for Wan) and accept ``r*k + 1``
  frames. Backends pad the clip at the end with unknown frames up to the next valid length and
  trim the result; see :func:`padded_length`.
"""

from __future__ import annotations

import abc
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from anymole.errors import FormatError, ValidationError

DEFAULT_PROMPT = (
    "a 3D character moving smoothly on a plain background, full body visible, "
    "static camera, consistent lighting"
)
"""Prompt used when the caller gives none: describes the renders ICAdapt trains on."""

PreviewFn = Callable[[int, Tensor], None]
"""``(step, frames)``: a cheap decode ``(T, H, W, 3)`` in ``[0, 1]`` of the current estimate."""

CancelFn = Callable[[], None]
"""Called between denoising steps; raises (any exception) to abort the generation."""


class VideoPrior(abc.ABC):
    """A video diffusion model that fills unknown frames of a clip.

    Attributes:
        name: ``"ltx"``, ``"wan-vace"`` or ``"tiny"``.
        placeholder: ``True`` when the output is meaningless (the ``tiny`` prior's random
            weights produce noise); results made with it must be labelled as such.
    """

    name: str
    placeholder: bool = False

    @abc.abstractmethod
    def identity(self) -> str:
        """A stable string naming this prior's weights (e.g. ``"ltx:/models/LTX-Video"`` or
        ``"tiny:0"``); part of the ICAdapt adapter-cache key."""

    @abc.abstractmethod
    def generate(
        self,
        frames: Tensor,
        known: Tensor,
        *,
        prompt: str = DEFAULT_PROMPT,
        num_inference_steps: int = 30,
        guidance_scale: float = 3.0,
        seed: int = 0,
        on_preview: PreviewFn | None = None,
        preview_every: int = 2,
        check_cancel: CancelFn | None = None,
    ) -> Tensor:
        """Fill the unknown frames of a clip.

        Args:
            frames: ``(T, H, W, 3)`` float in ``[0, 1]``; only frames where ``known`` is set are used.
            known: ``(T,)`` bool.
            prompt: text prompt.
            num_inference_steps: denoising steps.
            guidance_scale: classifier-free guidance scale (``<= 1`` disables CFG).
            seed: seed of the sampling noise.
            on_preview: called with ``(step, frames (T, H, W, 3))`` every ``preview_every``
                steps and after the last step.
            preview_every: steps between previews.
            check_cancel: called after each denoising step; raising aborts the generation
                (the exception propagates to the caller).

        Returns:
            ``(T, H, W, 3)`` float32 in ``[0, 1]``; known frames equal the input exactly.
        """

    @abc.abstractmethod
    def adapter_modules(self) -> torch.nn.Module:
        """The denoiser (transformer) that LoRA adapters attach to."""

    @abc.abstractmethod
    def load_adapter(self, path: Path) -> None:
        """Load a LoRA adapter saved by :mod:`anymole.video.adapt` (a ``.safetensors`` file)."""

    @abc.abstractmethod
    def unload_adapter(self) -> None:
        """Remove any loaded/trained LoRA adapter, restoring the base weights."""

    @abc.abstractmethod
    def training_step_loss(self, clip: Tensor, prompt: str, generator: torch.Generator) -> Tensor:
        """Flow-matching loss (scalar, differentiable w.r.t. the LoRA weights) on one clip.

        Args:
            clip: ``(T, H, W, 3)`` in ``[0, 1]``; trimmed internally to a valid frame count.
            prompt: caption of the clip.
            generator: CPU generator for the noise and timestep.
        """

    @property
    def temporal_multiple(self) -> int:
        """Temporal compression ``r`` of the VAE; valid clip lengths are ``r*k + 1``."""
        return 1


# --------------------------------------------------------------------------- helpers


def validate_clip(frames: Tensor, known: Tensor) -> tuple[Tensor, Tensor]:
    """Check and normalise ``frames (T, H, W, 3)`` and ``known (T,)``; return float32/bool copies.

    Raises:
        ValidationError: on wrong shapes, no known frame, or values outside ``[0, 1]``.
    """
    if not isinstance(frames, Tensor) or frames.ndim != 4 or frames.shape[-1] != 3:
        shape = tuple(frames.shape) if isinstance(frames, Tensor) else type(frames).__name__
        raise ValidationError("frames", f"expected a (T, H, W, 3) tensor, got {shape}")
    if not isinstance(known, Tensor) or known.shape != (frames.shape[0],):
        shape = tuple(known.shape) if isinstance(known, Tensor) else type(known).__name__
        raise ValidationError("known", f"expected a ({frames.shape[0]},) bool tensor, got {shape}")
    known = known.to(torch.bool).cpu()
    if not bool(known.any()):
        raise ValidationError("known", "at least one frame must be known")
    frames = frames.detach().to(torch.float32).cpu()
    if frames.numel() and (float(frames.min()) < 0.0 or float(frames.max()) > 1.0):
        raise ValidationError("frames", "values must lie in [0, 1]")
    return frames, known


def padded_length(num_frames: int, multiple: int) -> int:
    """Smallest ``multiple*k + 1 >= num_frames`` (the frame counts video VAEs accept)."""
    if num_frames < 1:
        raise ValidationError("frames", "need at least one frame")
    k = -(-(num_frames - 1) // multiple)
    return multiple * k + 1


def trimmed_length(num_frames: int, multiple: int) -> int:
    """Largest ``multiple*k + 1 <= num_frames``."""
    if num_frames < 1:
        raise ValidationError("frames", "need at least one frame")
    return (num_frames - 1) // multiple * multiple + 1


def pad_clip(frames: Tensor, known: Tensor, length: int, fill: float = 0.5) -> tuple[Tensor, Tensor]:
    """Append unknown ``fill``-grey frames so the clip has ``length`` frames.

    Returns ``(frames (length, H, W, 3), known (length,))``.
    """
    extra = length - frames.shape[0]
    if extra <= 0:
        return frames, known
    pad = torch.full((extra, *frames.shape[1:]), fill, dtype=frames.dtype)
    return torch.cat([frames, pad]), torch.cat([known, torch.zeros(extra, dtype=torch.bool)])


def paste_known(output: Tensor, frames: Tensor, known: Tensor) -> Tensor:
    """Return ``output (T, H, W, 3)`` clamped to ``[0, 1]`` with ``frames[known]`` pasted exactly."""
    output = output.to(torch.float32).clamp(0.0, 1.0).clone()
    output[known] = frames[known]
    return output


def known_runs(known: Tensor) -> list[tuple[int, int]]:
    """Maximal runs of consecutive known frames as half-open ``(start, stop)`` index pairs."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, k in enumerate(known.tolist()):
        if k and start is None:
            start = i
        elif not k and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(known)))
    return runs


def grey_unknown(frames: Tensor, known: Tensor, fill: float = 0.5) -> Tensor:
    """Copy of ``frames (T, H, W, 3)`` with unknown frames set to ``fill`` grey."""
    out = frames.clone()
    out[~known] = fill
    return out


# --------------------------------------------------------------------------- diffusers plumbing

ADAPTER_NAME = "anymole_icadapt"
"""Name under which the ICAdapt LoRA is attached to the transformer."""


@contextlib.contextmanager
def quiet_diffusers():
    """Silence diffusers' per-call warnings (e.g. the LTX pipeline's "timesteps were passed
    without sigmas", which it triggers itself) for the duration of a call."""
    log = logging.getLogger("diffusers")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def video_to_frames(video: Tensor) -> Tensor:
    """A diffusers ``output_type="pt"`` video ``(1, F, 3, H, W)`` in ``[0, 1]`` -> ``(F, H, W, 3)``."""
    return video[0].permute(0, 2, 3, 1).to(torch.float32).cpu()


def decoded_to_frames(decoded: Tensor) -> Tensor:
    """A raw VAE decode ``(1, 3, F, H, W)`` in ``[-1, 1]`` -> ``(F, H, W, 3)`` in ``[0, 1]``."""
    return ((decoded[0].permute(1, 2, 3, 0).to(torch.float32).cpu() + 1.0) / 2.0).clamp(0.0, 1.0)


def frames_to_video(frames: Tensor) -> Tensor:
    """``(T, H, W, 3)`` in ``[0, 1]`` -> ``(T, 3, H, W)`` (the layout diffusers preprocessors take)."""
    return frames.permute(0, 3, 1, 2).contiguous()


class StepCallback:
    """A diffusers ``callback_on_step_end`` that checks cancellation and emits previews.

    Args:
        total_steps: number of denoising steps.
        check_cancel: raises to abort; called after every step.
        on_preview: receives ``(step, frames (T, H, W, 3))``; ``step`` counts from 1.
        preview_every: emit a preview every this many steps and after the last one.
        decode: ``(callback_kwargs) -> frames (T, H, W, 3)``: the backend's cheap decode.
    """

    def __init__(
        self,
        total_steps: int,
        check_cancel: CancelFn | None,
        on_preview: PreviewFn | None,
        preview_every: int,
        decode: Callable[[dict], Tensor],
    ):
        self.total_steps = total_steps
        self.check_cancel = check_cancel
        self.on_preview = on_preview
        self.preview_every = max(1, int(preview_every))
        self.decode = decode
        self.steps_done = 0

    def __call__(self, pipe, step: int, timestep, callback_kwargs: dict) -> dict:
        self.steps_done = step + 1
        if self.check_cancel is not None:
            self.check_cancel()
        n = step + 1
        if self.on_preview is not None and (n % self.preview_every == 0 or n == self.total_steps):
            with torch.no_grad():
                frames = self.decode(callback_kwargs)
            self.on_preview(n, frames)
        return {}


class DiffusersPrior(VideoPrior):
    """Base of the priors wrapping a diffusers pipeline ``pipe`` with a ``transformer``.

    LoRA adapters are attached to ``pipe.transformer`` under :data:`ADAPTER_NAME` and saved in
    the diffusers LoRA format (``pytorch_lora_weights.safetensors`` layout, keys prefixed
    ``transformer.``) so ``pipe.load_lora_weights`` reads them back.
    """

    def __init__(self, pipe, *, model_id: str = ""):
        self.pipe = pipe
        self.model_id = model_id
        self._prompt_cache: dict[str, tuple[Tensor, Tensor]] = {}

    # ------------------------------------------------------------------ identity / shapes
    def identity(self) -> str:
        return f"{self.name}:{self.model_id or type(self.pipe).__name__}"

    @property
    def device(self) -> torch.device:
        return self.pipe._execution_device

    @property
    def spatial_multiple(self) -> int:
        """Frame height and width must be multiples of this (the VAE's spatial compression)."""
        raise NotImplementedError

    def check_size(self, frames: Tensor) -> None:
        h, w = int(frames.shape[1]), int(frames.shape[2])
        m = self.spatial_multiple
        if h % m or w % m or h == 0 or w == 0:
            raise ValidationError("frames", f"height and width must be positive multiples of {m}, got {h}x{w}")

    # ------------------------------------------------------------------ adapters
    def adapter_modules(self) -> torch.nn.Module:
        return self.pipe.transformer

    def has_adapter(self) -> bool:
        cfg = getattr(self.pipe.transformer, "peft_config", None) or {}
        return ADAPTER_NAME in cfg

    def save_adapter(self, path: Path, state_dict: dict[str, Tensor], metadata: dict | None = None) -> None:
        """Save a LoRA ``state_dict`` (from ``get_peft_model_state_dict``) to ``path`` (``.safetensors``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        kwargs = {}
        if metadata is not None:
            kwargs["transformer_lora_adapter_metadata"] = metadata
        type(self.pipe).save_lora_weights(
            str(path.parent), transformer_lora_layers=state_dict, weight_name=path.name, **kwargs
        )

    def load_adapter(self, path: Path) -> None:
        path = Path(path)
        if not path.is_file():
            raise FormatError(path, "adapter file not found")
        self.unload_adapter()
        with quiet_diffusers():
            self.pipe.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name=ADAPTER_NAME)

    def unload_adapter(self) -> None:
        if getattr(self.pipe.transformer, "peft_config", None):
            self.pipe.unload_lora_weights()

    # ------------------------------------------------------------------ text
    def prompt_embeds(self, prompt: str) -> tuple[Tensor, Tensor | None]:
        """``(embeds (1, L, D), attention_mask (1, L) or None)`` for ``prompt``, cached, no grad."""
        raise NotImplementedError
