"""Wan VACE backend: ``WanVACEPipeline`` with a mask that marks the known frames.

How a clip ``(T, H, W, 3)`` with ``known (T,)`` becomes VACE inputs:

- The clip is padded at the end with unknown frames to ``4k+1`` frames (the Wan VAE's temporal
  compression is 4) and the result trimmed back to ``T``. ``H`` and ``W`` must be multiples of
  ``vae_scale_factor_spatial * patch`` (16 for Wan 2.1).
- ``video`` = the known frames, grey (0.5) elsewhere; ``mask`` = black (0) on known frames,
  white (1) on frames to generate (VACE's convention).
- The known frames are pasted back into the output exactly.

Only ``pipe.transformer`` is used for LoRA (Wan 2.2's second expert, ``transformer_2``, is not
adapted). Previews decode the current clean-sample estimate ``x0 = x_t - sigma_t * v`` (from
the transformer's outputs, captured with a forward hook, guidance applied) with the **full Wan
VAE decoder**: faithful but one VAE decode per preview.
"""

from __future__ import annotations

import torch
from torch import Tensor

from anymole.video.base import (
    DEFAULT_PROMPT,
    CancelFn,
    DiffusersPrior,
    PreviewFn,
    StepCallback,
    decoded_to_frames,
    frames_to_video,
    grey_unknown,
    pad_clip,
    padded_length,
    paste_known,
    quiet_diffusers,
    trimmed_length,
    validate_clip,
    video_to_frames,
)


class WanVACEPrior(DiffusersPrior):
    """The ``wan-vace`` prior.

    Args:
        pipe: a ``WanVACEPipeline`` (already on its device / dtype).
        model_id: where the weights came from; part of :meth:`identity`.
        max_sequence_length: prompt token budget.
    """

    name = "wan-vace"
    placeholder = False

    def __init__(self, pipe, *, model_id: str = "", max_sequence_length: int = 226):
        super().__init__(pipe, model_id=model_id)
        self.max_sequence_length = max_sequence_length

    @property
    def temporal_multiple(self) -> int:
        return int(self.pipe.vae_scale_factor_temporal)

    @property
    def spatial_multiple(self) -> int:
        return int(self.pipe.vae_scale_factor_spatial) * int(self.pipe.transformer.config.patch_size[1])

    # ------------------------------------------------------------------ conditions
    @staticmethod
    def video_and_mask(frames: Tensor, known: Tensor) -> tuple[Tensor, Tensor]:
        """VACE inputs ``(video (T, 3, H, W), mask (T, 3, H, W))``, both in ``[0, 1]``:
        video is grey on unknown frames, mask is 0 on known frames and 1 elsewhere."""
        video = frames_to_video(grey_unknown(frames, known))
        mask = (~known).to(torch.float32)[:, None, None, None].expand_as(video).contiguous()
        return video, mask

    # ------------------------------------------------------------------ generation
    def generate(
        self,
        frames: Tensor,
        known: Tensor,
        *,
        prompt: str = DEFAULT_PROMPT,
        num_inference_steps: int = 30,
        guidance_scale: float = 5.0,
        seed: int = 0,
        on_preview: PreviewFn | None = None,
        preview_every: int = 2,
        check_cancel: CancelFn | None = None,
    ) -> Tensor:
        frames, known = validate_clip(frames, known)
        self.check_size(frames)
        num_frames, height, width = frames.shape[:3]
        length = padded_length(num_frames, self.temporal_multiple)
        padded, padded_known = pad_clip(frames, known, length)
        video, mask = self.video_and_mask(padded, padded_known)

        pipe = self.pipe
        cfg = guidance_scale > 1.0
        calls: list[tuple[Tensor, Tensor, Tensor]] = []

        def capture(module, args, kwargs, output):
            calls.append((kwargs["hidden_states"].detach(), kwargs["timestep"].detach(), output[0].detach()))

        def decode(_: dict) -> Tensor:
            x, t, v = calls[-2] if cfg and len(calls) >= 2 else calls[-1]
            if cfg and len(calls) >= 2:  # the pipeline calls cond first, then uncond
                v = calls[-1][2] + guidance_scale * (v - calls[-1][2])
            x0 = x.float() - (t.float() / 1000.0).view(-1, 1, 1, 1, 1) * v.float()
            out = decoded_to_frames(self._decode_latents(x0))
            return paste_known(out[:num_frames], frames, known)

        callback = StepCallback(num_inference_steps, check_cancel, on_preview, preview_every, decode)

        def on_step(p, step, timestep, kwargs):
            result = callback(p, step, timestep, kwargs)
            calls.clear()
            return result

        hook = pipe.transformer.register_forward_hook(capture, with_kwargs=True) if on_preview else None
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
        try:
            with quiet_diffusers():
                out = pipe(
                    prompt=prompt,
                    video=video.unsqueeze(0),  # (1, T, 3, H, W): one video
                    mask=mask.unsqueeze(0),
                    height=height,
                    width=width,
                    num_frames=length,
                    num_inference_steps=num_inference_steps,
                    guidance_scale=guidance_scale,
                    generator=generator,
                    output_type="pt",
                    max_sequence_length=self.max_sequence_length,
                    callback_on_step_end=on_step,
                ).frames
        finally:
            if hook is not None:
                hook.remove()
        return paste_known(video_to_frames(out)[:num_frames], frames, known)

    def _latent_stats(self, device, dtype) -> tuple[Tensor, Tensor]:
        cfg = self.pipe.vae.config
        mean = torch.tensor(cfg.latents_mean, device=device, dtype=dtype).view(1, cfg.z_dim, 1, 1, 1)
        std = torch.tensor(cfg.latents_std, device=device, dtype=dtype).view(1, cfg.z_dim, 1, 1, 1)
        return mean, std

    @torch.no_grad()
    def _decode_latents(self, latents: Tensor) -> Tensor:
        """Normalised latents ``(1, C, F, h, w)`` -> raw VAE output ``(1, 3, T, H, W)`` in ``[-1, 1]``."""
        vae = self.pipe.vae
        mean, std = self._latent_stats(latents.device, torch.float32)
        lat = (latents.float() * std + mean).to(vae.dtype)
        return vae.decode(lat, return_dict=False)[0]

    # ------------------------------------------------------------------ training (ICAdapt)
    @torch.no_grad()
    def prompt_embeds(self, prompt: str) -> tuple[Tensor, None]:
        if prompt not in self._prompt_cache:
            embeds, _ = self.pipe.encode_prompt(
                prompt=prompt,
                do_classifier_free_guidance=False,
                max_sequence_length=self.max_sequence_length,
                device=self.device,
            )
            self._prompt_cache[prompt] = (embeds, None)
        return self._prompt_cache[prompt]

    @torch.no_grad()
    def _training_inputs(self, clip: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``(x0 (1, C, F, h, w), control (1, Cc, F, h, w))`` for a clip whose first frame is known."""
        pipe, vae = self.pipe, self.pipe.vae
        device = self.device
        x = (clip.permute(3, 0, 1, 2).unsqueeze(0) * 2.0 - 1.0).to(device=device, dtype=vae.dtype)
        dist = vae.encode(x).latent_dist
        noise = torch.randn(dist.mean.shape, generator=generator).to(dist.mean)
        mean, std = self._latent_stats(device, torch.float32)
        x0 = ((dist.mean + dist.std * noise).float() - mean) / std

        known = torch.zeros(clip.shape[0], dtype=torch.bool)
        known[0] = True
        video, mask = self.video_and_mask(clip, known)
        video = (video * 2.0 - 1.0).permute(1, 0, 2, 3).unsqueeze(0).to(device)  # (1, 3, T, H, W)
        mask = mask.permute(1, 0, 2, 3).unsqueeze(0).to(device)
        control = pipe.prepare_video_latents(video, mask, [[]], None, device)
        control = torch.cat([control, pipe.prepare_masks(mask, [[]], None)], dim=1)
        return x0, control

    def training_step_loss(self, clip: Tensor, prompt: str, generator: torch.Generator) -> Tensor:
        """Flow-matching loss on one clip with VACE control = its first frame (mask black there).

        The clip is trimmed to its longest ``4k+1`` prefix; ``sigma ~ U(0, 1)``,
        ``x_t = (1 - sigma) x0 + sigma noise``, target ``noise - x0`` over all latents.
        """
        self.check_size(clip)
        n = trimmed_length(int(clip.shape[0]), self.temporal_multiple)
        clip = clip[:n].to(torch.float32).clamp(0.0, 1.0)
        transformer = self.pipe.transformer
        x0, control = self._training_inputs(clip, generator)
        noise = torch.randn(x0.shape, generator=generator).to(x0)
        sigma = torch.rand((), generator=generator).item()
        x_t = (1.0 - sigma) * x0 + sigma * noise
        embeds, _ = self.prompt_embeds(prompt)
        dtype = transformer.dtype
        pred = transformer(
            hidden_states=x_t.to(dtype),
            timestep=torch.full((1,), sigma * 1000.0, device=x0.device),
            encoder_hidden_states=embeds.to(dtype),
            control_hidden_states=control.to(dtype),
            return_dict=False,
        )[0].float()
        return torch.mean((pred - (noise - x0)) ** 2)
