"""Tiny randomly initialised diffusers pipelines, built in code with no download.

Used by the tests and by the opt-in ``tiny`` prior for plumbing demos. Their output is noise:
:class:`TinyPrior` sets ``placeholder = True`` so results are labelled.

- :func:`tiny_ltx_pipeline` -> ``LTXConditionPipeline`` (VAE temporal ratio 8, spatial ratio 8,
  so clips are ``8k+1`` frames like the real LTX-Video; 32x32 frames give 4x4 latent tokens).
- :func:`tiny_wan_vace_pipeline` -> ``WanVACEPipeline`` (temporal ratio 4, spatial ratio 8).
"""

from __future__ import annotations

import torch

from anymole.video.ltx import LTXPrior

TINY_VOCAB = 64
TINY_TEXT_DIM = 32
TINY_MAX_TOKENS = 128


def tiny_tokenizer():
    """A word-level tokenizer built in code (T5-like special tokens), wrapped as
    ``PreTrainedTokenizerFast``; unknown words map to ``<unk>``."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = (
        "a the character moving smoothly on plain background full body visible static camera "
        "consistent lighting 3d walk run jump turn dance kick wave sit stand person"
    ).split()
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for w in words:
        vocab.setdefault(w, len(vocab))
    for i in range(len(vocab), TINY_VOCAB):
        vocab[f"<extra_{i}>"] = i
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=TINY_MAX_TOKENS,
    )


def tiny_t5_encoder(seed: int = 0):
    """A 1-layer T5 encoder with ``d_model = 32``."""
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(seed)
    config = T5Config(
        vocab_size=TINY_VOCAB,
        d_model=TINY_TEXT_DIM,
        d_kv=8,
        d_ff=37,
        num_layers=1,
        num_heads=4,
        relative_attention_num_buckets=8,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    return T5EncoderModel(config).eval()


def tiny_ltx_pipeline(seed: int = 0):
    """A tiny random ``LTXConditionPipeline`` (a few hundred thousand parameters)."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(seed)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        num_layers=1,
        caption_channels=TINY_TEXT_DIM,
    )
    torch.manual_seed(seed + 1)
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    pipe = LTXConditionPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae.eval(),
        text_encoder=tiny_t5_encoder(seed + 2),
        tokenizer=tiny_tokenizer(),
        transformer=transformer.eval(),
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def tiny_wan_vace_pipeline(seed: int = 0):
    """A tiny random ``WanVACEPipeline``."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanVACEPipeline,
        WanVACETransformer3DModel,
    )

    torch.manual_seed(seed)
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )
    torch.manual_seed(seed + 1)
    transformer = WanVACETransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=16,
        out_channels=16,
        text_dim=TINY_TEXT_DIM,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        vace_layers=[0],
        vace_in_channels=96,
    )
    pipe = WanVACEPipeline(
        tokenizer=tiny_tokenizer(),
        text_encoder=tiny_t5_encoder(seed + 2),
        vae=vae.eval(),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        transformer=transformer.eval(),
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


class TinyPrior(LTXPrior):
    """The LTX backend on :func:`tiny_ltx_pipeline`: random weights, so its output is noise.

    For tests and plumbing demos only (``placeholder = True``); never a default prior.
    """

    name = "tiny"
    placeholder = True

    def __init__(self, seed: int = 0, *, pipe=None, **kwargs):
        super().__init__(pipe if pipe is not None else tiny_ltx_pipeline(seed), model_id=f"tiny:{seed}", **kwargs)
        self.seed = seed

    def identity(self) -> str:
        return f"tiny:{self.seed}"
