"""ICAdapt: LoRA fine-tuning of a video prior on renders of the character's context motion.

As in AnyMoLe, the denoiser is briefly adapted to the (rendered) domain of the character before
in-betweening: clips are sampled from the context renders at several frame rates (strides
``fps_strides``, e.g. every 3rd, 2nd and every frame) and the flow-matching loss of
:meth:`VideoPrior.training_step_loss` is minimised over LoRA weights only.

Adapters are cached on disk under a content hash (:func:`adapter_key`) of the prior's identity,
the character file, the context renders, the prompt and the config, so running the same
request twice trains once.

Shapes: ``renders`` are ``(V, T, H, W, 3)`` float in ``[0, 1]`` (``V`` camera views).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from anymole.threads import MODULE_CONSTRUCTION_LOCK
from anymole.errors import ValidationError
from anymole.video.base import ADAPTER_NAME, DEFAULT_PROMPT, CancelFn, VideoPrior

KEY_VERSION = "icadapt-v1"
LORA_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")

ProgressFn = Callable[[int, int, float], None]
"""``(step, total_steps, loss)``; ``step`` counts from 1."""


@dataclass(frozen=True)
class AdaptConfig:
    """ICAdapt hyper-parameters.

    Attributes:
        steps: optimiser steps.
        lr: AdamW learning rate.
        rank: LoRA rank (``lora_alpha = rank``, i.e. scale 1).
        clip_frames: frames per training clip (trimmed by the prior to a valid ``r k + 1``).
        fps_strides: temporal strides clips are sampled at, cycled per step (the paper samples
            the context at several frame rates).
        seed: seed of clip sampling, noise and timesteps.
    """

    steps: int = 100
    lr: float = 1e-4
    rank: int = 16
    clip_frames: int = 17
    fps_strides: tuple[int, ...] = (3, 2, 1)
    seed: int = 0

    def __post_init__(self):
        if self.steps < 0:
            raise ValidationError("adapt.steps", "must be >= 0")
        if self.rank < 1:
            raise ValidationError("adapt.rank", "must be >= 1")
        if self.clip_frames < 1:
            raise ValidationError("adapt.clip_frames", "must be >= 1")
        if not self.fps_strides or any(int(s) < 1 for s in self.fps_strides):
            raise ValidationError("adapt.fps_strides", "need at least one stride, all >= 1")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValidationError("adapt.lr", "must be a positive number")


@dataclass
class AdaptResult:
    """Outcome of :func:`adapt`.

    Attributes:
        path: the adapter file (``.safetensors``, diffusers LoRA format); ``None`` with 0 steps.
        cache_hit: the adapter came from the cache and no training ran.
        steps_run: optimiser steps run by this call.
        final_loss: loss of the last step (from the cache's sidecar on a hit; ``None`` if unknown).
    """

    path: Path | None
    cache_hit: bool
    steps_run: int
    final_loss: float | None


class AdapterCache:
    """Adapters on disk: ``root/<key>.safetensors`` plus ``root/<key>.json`` (loss, steps, time).

    Least recently used first out: with ``max_entries``, :meth:`evict` keeps that many (a hit
    :meth:`touch` es its adapter); None keeps every adapter."""

    def __init__(self, root: Path | str, max_entries: int | None = None):
        self.root = Path(root)
        self.max_entries = max_entries

    def touch(self, key: str) -> None:
        """Mark ``key`` as just used."""
        try:
            os.utime(self.path(key))
        except OSError:
            pass

    def evict(self) -> list[str]:
        """Remove the least recently used adapters beyond ``max_entries``; their keys."""
        if self.max_entries is None or not self.root.is_dir():
            return []
        files = sorted(self.root.glob("*.safetensors"), key=lambda p: p.stat().st_mtime, reverse=True)
        gone = []
        for path in files[self.max_entries :]:
            for f in (path, path.with_suffix(".json")):
                try:
                    f.unlink()
                except OSError:
                    pass
            gone.append(path.stem)
        return gone

    def path(self, key: str) -> Path:
        return self.root / f"{key}.safetensors"

    def info_path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def info(self, key: str) -> dict:
        try:
            return json.loads(self.info_path(key).read_text())
        except (OSError, ValueError):
            return {}

    def write_info(self, key: str, info: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.info_path(key).with_suffix(f".json.tmp{os.getpid()}")
        tmp.write_text(json.dumps(info, sort_keys=True))
        os.replace(tmp, self.info_path(key))


def adapter_key(
    prior_identity: str,
    character_bytes: bytes,
    context_frames: Tensor,
    prompt: str,
    config: AdaptConfig,
) -> str:
    """sha256 hex digest of everything an adapter depends on (contents, not names).

    ``context_frames`` is any float tensor (e.g. renders ``(V, T, H, W, 3)``); its shape and
    float32 bytes are hashed.
    """
    h = hashlib.sha256()

    def part(tag: str, data: bytes) -> None:
        h.update(tag.encode())
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)

    frames = context_frames.detach().to(torch.float32).cpu().contiguous()
    part("version", KEY_VERSION.encode())
    part("prior", prior_identity.encode())
    part("character", bytes(character_bytes))
    part("shape", json.dumps(list(frames.shape)).encode())
    part("frames", frames.numpy().tobytes())
    part("prompt", prompt.encode())
    part("config", json.dumps(dataclasses.asdict(config), sort_keys=True).encode())
    return h.hexdigest()


def sample_clip(renders: Tensor, clip_frames: int, stride: int, generator: torch.Generator) -> Tensor:
    """A random clip ``(n, H, W, 3)`` from a random view of ``renders (V, T, H, W, 3)``: frames
    ``start, start + stride, ...``; ``n = clip_frames`` or fewer when the context is short."""
    v_count, t_count = int(renders.shape[0]), int(renders.shape[1])
    n = min(clip_frames, (t_count - 1) // stride + 1)
    span = (n - 1) * stride + 1
    view = int(torch.randint(v_count, (1,), generator=generator))
    start = int(torch.randint(t_count - span + 1, (1,), generator=generator))
    return renders[view, start : start + span : stride]


def _check_renders(renders: Tensor) -> Tensor:
    if not isinstance(renders, Tensor) or renders.ndim != 5 or renders.shape[-1] != 3:
        shape = tuple(renders.shape) if isinstance(renders, Tensor) else type(renders).__name__
        raise ValidationError("renders", f"expected a (V, T, H, W, 3) tensor, got {shape}")
    if renders.shape[0] < 1 or renders.shape[1] < 1:
        raise ValidationError("renders", "need at least one view and one frame")
    return renders.detach().to(torch.float32).cpu()


def adapt(
    prior: VideoPrior,
    renders: Tensor,
    *,
    prompt: str = DEFAULT_PROMPT,
    config: AdaptConfig = AdaptConfig(),
    cache: AdapterCache | None = None,
    key: str | None = None,
    progress: ProgressFn | None = None,
    check_cancel: CancelFn | None = None,
) -> AdaptResult:
    """Fine-tune a LoRA on ``prior`` with clips of ``renders (V, T, H, W, 3)``; leave it loaded.

    With ``cache`` and ``key`` and a cached adapter, it is loaded and no step runs. Otherwise a
    fresh LoRA (``LoraConfig(r=rank, target_modules=to_q/to_k/to_v/to_out.0)``) is added to
    ``prior.adapter_modules()``, trained with AdamW for ``config.steps`` steps, saved (to the
    cache, or to a temporary folder without one) and left active on the prior.

    ``check_cancel`` is called before each step; if it raises, the partial adapter is removed
    and the exception propagates.
    """
    renders = _check_renders(renders)
    if cache is not None and key is not None and cache.has(key):
        cache.touch(key)
        with MODULE_CONSTRUCTION_LOCK:
            prior.load_adapter(cache.path(key))
        return AdaptResult(cache.path(key), True, 0, cache.info(key).get("final_loss"))

    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    prior.unload_adapter()
    if config.steps == 0:
        return AdaptResult(None, False, 0, None)
    module = prior.adapter_modules()
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.rank,
        target_modules=list(LORA_TARGETS),
    )
    with MODULE_CONSTRUCTION_LOCK:
        module.add_adapter(lora, adapter_name=ADAPTER_NAME)
    params = []
    for name, p in module.named_parameters():
        trainable = "lora_" in name and ADAPTER_NAME in name
        p.requires_grad_(trainable)
        if trainable:
            params.append(p)
    if not params:
        prior.unload_adapter()
        raise ValidationError("adapt", "LoRA found no to_q/to_k/to_v/to_out.0 layers in the denoiser")
    # AdamW's eps is relative to the gradient scale; 1e-8 is fine in float32.
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    generator = torch.Generator().manual_seed(int(config.seed))
    strides = tuple(int(s) for s in config.fps_strides)

    loss_value = float("nan")
    module.train()
    try:
        for step in range(config.steps):
            if check_cancel is not None:
                check_cancel()
            clip = sample_clip(renders, config.clip_frames, strides[step % len(strides)], generator)
            loss = prior.training_step_loss(clip, prompt, generator)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            loss_value = float(loss.detach())
            if progress is not None:
                progress(step + 1, config.steps, loss_value)
    except BaseException:
        module.eval()
        prior.unload_adapter()
        raise
    module.eval()
    for p in params:
        p.requires_grad_(False)

    state = get_peft_model_state_dict(module, adapter_name=ADAPTER_NAME)
    if cache is not None and key is not None:
        path = cache.path(key)
    else:
        path = Path(tempfile.mkdtemp(prefix="anymole-lora-")) / "adapter.safetensors"
    tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}.safetensors")
    _save(prior, tmp, state, lora)
    os.replace(tmp, path)
    if cache is not None and key is not None:
        cache.write_info(
            key,
            {"final_loss": loss_value, "steps": config.steps, "prior": prior.identity(), "saved_at": time.time()},
        )
        cache.evict()
    return AdaptResult(path, False, config.steps, loss_value)


def _save(prior: VideoPrior, path: Path, state: dict[str, Tensor], lora) -> None:
    """Save via the prior's pipeline (diffusers LoRA format) or plain safetensors as a fallback."""
    save = getattr(prior, "save_adapter", None)
    if save is not None:
        save(path, state, metadata=lora.to_dict())
        return
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({f"transformer.{k}": v.contiguous() for k, v in state.items()}, str(path))
