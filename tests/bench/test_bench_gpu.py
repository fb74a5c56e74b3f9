"""`anymole bench gpu --dry-run`: the same code as on a GPU with tiny configurations on the
CPU; every JSON key the module documents is present and finite (the figures mean nothing)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

from anymole.bench import gpu as bench


def documented_keys() -> set[str]:
    doc = bench.__doc__
    section = doc[doc.index("JSON keys") :]
    return set(re.findall(r"``([a-z][a-z0-9_]*)``", section))


def find(figures: dict, key: str):
    if key in figures:
        return figures[key]
    for value in figures.values():
        if isinstance(value, dict) and key in value:
            return value[key]
    raise KeyError(key)


def numbers(obj):
    if isinstance(obj, bool):
        return
    if isinstance(obj, (int, float)) or obj is None:
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from numbers(v)


def test_importing_the_bench_is_cheap():
    code = "import sys, anymole.bench.gpu; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_dry_run_writes_every_documented_key_finite(tmp_path):
    from anymole.cli import main

    out = tmp_path / "out.json"
    assert main(["bench", "gpu", "--dry-run", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["errors"] == [] and figures["dry_run"] is True
    keys = documented_keys()
    assert set(bench.SCALAR_KEYS) <= keys and len(keys) > 40
    for key in sorted(keys):
        value = find(figures, key)
        for number in numbers(value):
            assert number is not None and math.isfinite(number), (key, value)
    for key in bench.SCALAR_KEYS:
        assert isinstance(figures[key], float) and figures[key] >= 0.0, key
    terms = figures["estimate_terms"]
    rest = terms["render"] + terms["generate"] + terms["mimic"]
    assert figures["transition_1s_cold_s"] == rest + max(terms["adapt"], terms["estimator"])
    assert figures["transition_1s_cached_s"] == rest + max(terms["adapt_cached"], terms["estimator"])
    assert figures["layout"]["frames"] == figures["layout"]["context_frames"] + figures["layout"]["gap_frames"] + 1


def test_full_layout_is_the_methods():
    from anymole.methods.video import VideoMethodConfig

    c = VideoMethodConfig()
    assert tuple(bench.FULL.image_size) == tuple(c.image_size) == (320, 512)
    assert bench.FULL.views == len(c.yaws_deg)
    assert bench.FULL.coarse_stride == c.coarse_stride and bench.FULL.adapt_clip_frames == c.adapt.clip_frames
    assert bench.FULL.adapt_rank == c.adapt.rank and bench.FULL.frames == 92
