"""LTX-Video backend: ``LTXConditionPipeline`` with known frames as conditions at their indices.

How a clip ``(T, H, W, 3)`` with ``known (T,)`` becomes conditions:

- The clip is padded at the end with unknown frames to ``8k+1`` frames (``r k + 1`` with ``r`` the
  VAE's temporal compression, 8 for LTX-Video) and the result trimmed back to ``T``.
- Each maximal run of consecutive known frames with at least ``r+1`` frames becomes one
  ``LTXVideoCondition(video=...)`` at its first frame index (its longest ``r k + 1`` prefix; the
  few frames left over become image conditions). A run at index 0 is written into the latent
  directly; elsewhere LTX adds it as extra conditioning tokens at that time.
- Every other known frame becomes an ``LTXVideoCondition(image=...)`` at its frame index.
- The known frames are pasted back into the output exactly.

Previews decode the current clean-sample estimate ``x0 = x_t - sigma_t * v`` (captured from the
transformer's output with a forward hook) with the **full VAE decoder**: faithful but not free
(one VAE decode per preview; raise ``preview_every`` for large real models).
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
    known_runs,
    pad_clip,
    padded_length,
    paste_known,
    quiet_diffusers,
    trimmed_length,
    validate_clip,
    video_to_frames,
)


class LTXPrior(DiffusersPrior):
    """The ``ltx`` prior.

    Args:
        pipe: an ``LTXConditionPipeline`` (already on its device / dtype).
        model_id: where the weights came from (folder or repo id); part of :meth:`identity`.
        frame_rate: fps passed to LTX's rotary time coordinates.
        image_cond_noise_scale: LTX's noise on hard-conditioning latents (pipeline default 0.15).
        max_sequence_length: prompt token budget.
    """

    name = "ltx"
    placeholder = False

    def __init__(
        self,
        pipe,
        *,
        model_id: str = "",
        frame_rate: int = 25,
        image_cond_noise_scale: float = 0.15,
        max_sequence_length: int = 128,
    ):
        super().__init__(pipe, model_id=model_id)
        self.frame_rate = frame_rate
        self.image_cond_noise_scale = image_cond_noise_scale
        self.max_sequence_length = max_sequence_length

    @property
    def temporal_multiple(self) -> int:
        return int(self.pipe.vae_temporal_compression_ratio)

    @property
    def spatial_multiple(self) -> int:
        return int(self.pipe.vae_spatial_compression_ratio)

    # ------------------------------------------------------------------ conditions
    def build_conditions(self, frames: Tensor, known: Tensor) -> list:
        """``LTXVideoCondition`` list for ``frames (T, H, W, 3)`` / ``known (T,)`` (see module doc)."""
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        r = self.temporal_multiple
        conditions = []
        for start, stop in known_runs(known):
            n = stop - start
            first_image = start
            if n >= r + 1:
                m = trimmed_length(n, r)
                video = frames_to_video(frames[start : start + m])
                conditions.append(LTXVideoCondition(video=video, frame_index=start))
                first_image = start + m
            for i in range(first_image, stop):
                image = frames_to_video(frames[i : i + 1])
                conditions.append(LTXVideoCondition(image=image, frame_index=i))
        return conditions

    # ------------------------------------------------------------------ generation
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
        frames, known = validate_clip(frames, known)
        self.check_size(frames)
        num_frames, height, width = frames.shape[:3]
        length = padded_length(num_frames, self.temporal_multiple)
        padded, padded_known = pad_clip(frames, known, length)
        conditions = self.build_conditions(padded, padded_known)

        pipe = self.pipe
        r, s = self.temporal_multiple, self.spatial_multiple
        latent_shape = ((length - 1) // r + 1, height // s, width // s)
        estimate: dict[str, Tensor] = {}

        def capture(module, args, kwargs, output):
            x = kwargs["hidden_states"]
            t = kwargs["timestep"]
            v = output[0]
            if v.shape[0] == 2:  # classifier-free guidance: (uncond, text)
                v = v[0:1] + guidance_scale * (v[1:2] - v[0:1])
                x, t = x[1:2], t[1:2]
            estimate["x0"] = (x - (t.float() / 1000.0).unsqueeze(-1) * v).detach()

        def decode(_: dict) -> Tensor:
            x0 = estimate["x0"][:, -latent_shape[0] * latent_shape[1] * latent_shape[2] :]
            out = decoded_to_frames(self._decode_latents(x0, latent_shape))
            return paste_known(out[:num_frames], frames, known)

        callback = StepCallback(num_inference_steps, check_cancel, on_preview, preview_every, decode)
        hook = pipe.transformer.register_forward_hook(capture, with_kwargs=True) if on_preview else None
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
        try:
            with quiet_diffusers():
                video = pipe(
                    conditions=conditions,
                    prompt=prompt,
                    height=height,
                    width=width,
                    num_frames=length,
                    frame_rate=self.frame_rate,
                    num_inference_steps=num_inference_steps,
                    guidance_scale=guidance_scale,
                    image_cond_noise_scale=self.image_cond_noise_scale,
                    generator=generator,
                    output_type="pt",
                    max_sequence_length=self.max_sequence_length,
                    callback_on_step_end=callback,
                ).frames
        finally:
            if hook is not None:
                hook.remove()
        return paste_known(video_to_frames(video)[:num_frames], frames, known)

    @torch.no_grad()
    def _decode_latents(self, packed: Tensor, latent_shape: tuple[int, int, int]) -> Tensor:
        """Packed normalised latents ``(1, N, C)`` -> raw VAE output ``(1, 3, F, H, W)`` in ``[-1, 1]``."""
        pipe = self.pipe
        vae = pipe.vae
        lat = pipe._unpack_latents(
            packed, *latent_shape, pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
        )
        lat = pipe._denormalize_latents(lat, vae.latents_mean, vae.latents_std, vae.config.scaling_factor)
        timestep = None
        if vae.config.timestep_conditioning:
            timestep = torch.zeros(1, device=lat.device, dtype=lat.dtype)
        return vae.decode(lat.to(vae.dtype), timestep, return_dict=False)[0]

    # ------------------------------------------------------------------ training (ICAdapt)
    @torch.no_grad()
    def prompt_embeds(self, prompt: str) -> tuple[Tensor, Tensor]:
        if prompt not in self._prompt_cache:
            embeds, mask, _, _ = self.pipe.encode_prompt(
                prompt=prompt,
                do_classifier_free_guidance=False,
                max_sequence_length=self.max_sequence_length,
                device=self.device,
            )
            self._prompt_cache[prompt] = (embeds, mask)
        return self._prompt_cache[prompt]

    @torch.no_grad()
    def encode_clip(self, clip: Tensor, generator: torch.Generator) -> Tensor:
        """``(T, H, W, 3)`` in ``[0, 1]`` (``T = r k + 1``) -> normalised latents ``(1, C, F, h, w)``."""
        pipe, vae = self.pipe, self.pipe.vae
        x = clip.permute(3, 0, 1, 2).unsqueeze(0) * 2.0 - 1.0
        x = x.to(device=self.device, dtype=vae.dtype)
        dist = vae.encode(x).latent_dist
        noise = torch.randn(dist.mean.shape, generator=generator).to(dist.mean)
        lat = dist.mean + dist.std * noise
        return pipe._normalize_latents(lat, vae.latents_mean, vae.latents_std).float()

    def training_step_loss(self, clip: Tensor, prompt: str, generator: torch.Generator) -> Tensor:
        """Flow-matching loss on one clip, as LTX trains image-to-video.

        The clip is trimmed to its longest ``r k + 1`` prefix. One ``sigma ~ U(0, 1)`` per clip;
        ``x_t = (1 - sigma) x0 + sigma noise``; the first latent frame is a clean conditioning
        frame (per-token timestep 0, excluded from the loss); target ``noise - x0``.
        """
        self.check_size(clip)
        n = trimmed_length(int(clip.shape[0]), self.temporal_multiple)
        clip = clip[:n].to(torch.float32).clamp(0.0, 1.0)
        pipe, transformer = self.pipe, self.pipe.transformer
        p, pt = pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
        x0 = self.encode_clip(clip, generator)
        _, _, lf, lh, lw = x0.shape
        x0 = pipe._pack_latents(x0, p, pt)
        noise = torch.randn(x0.shape, generator=generator).to(x0)
        sigma = torch.rand((), generator=generator).item()
        tokens_per_frame = (lh // p) * (lw // p)
        cond = torch.zeros(x0.shape[:2], dtype=torch.bool, device=x0.device)
        if lf > 1:
            cond[:, :tokens_per_frame] = True
        x_t = torch.where(cond.unsqueeze(-1), x0, (1.0 - sigma) * x0 + sigma * noise)
        timestep = torch.where(cond, 0.0, sigma * 1000.0).float()

        coords = pipe._prepare_video_ids(1, lf, lh, lw, patch_size_t=pt, patch_size=p, device=x0.device)
        coords = pipe._scale_video_ids(
            coords,
            scale_factor=pipe.vae_spatial_compression_ratio,
            scale_factor_t=pipe.vae_temporal_compression_ratio,
            frame_index=0,
            device=x0.device,
        ).float()
        coords[:, 0] = coords[:, 0] * (1.0 / self.frame_rate)

        embeds, mask = self.prompt_embeds(prompt)
        dtype = transformer.dtype
        pred = transformer(
            hidden_states=x_t.to(dtype),
            encoder_hidden_states=embeds.to(dtype),
            timestep=timestep,
            encoder_attention_mask=mask,
            video_coords=coords,
            return_dict=False,
        )[0].float()
        target = noise - x0
        weight = (~cond).unsqueeze(-1).float()
        return ((pred - target) ** 2 * weight).sum() / (weight.sum() * pred.shape[-1])

