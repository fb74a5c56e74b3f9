"""`anymole info`: versions, methods and compute devices of this installation.

Cheap by default: versions come from package metadata and methods from the catalogue
(:mod:`anymole.methods.catalogue`, pure data), so nothing imports torch. ``--devices`` imports
torch to probe CUDA (a few seconds).
"""

from __future__ import annotations

import argparse
import platform

HELP = "Print versions, methods and devices."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devices", action="store_true", help="import torch and list its compute devices (CUDA, MPS)")


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _device_lines() -> list[str]:
    """One line per device kind torch can use here (imports torch)."""
    import torch

    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        cuda = f"yes ({names})"
    else:
        cuda = "no"
    mps = getattr(torch.backends, "mps", None)
    lines = [f"cuda: {cuda}"]
    if mps is not None and mps.is_available():
        lines.append("mps: yes")
    lines.append(f"torch threads: {torch.get_num_threads()}")
    return lines


def run(args: argparse.Namespace) -> int:
    import anymole
    from anymole.cli import BENCH_GROUP, BENCHES, COMMAND_GROUP, COMMANDS, discover
    from anymole.methods.catalogue import CATALOGUE, available_methods, availability

    print(f"anymole {anymole.__version__}")
    print(f"python {platform.python_version()}, torch {_version('torch')}")
    print(f"methods: {', '.join(available_methods())}")
    for name in CATALOGUE:
        runnable, reason = availability(name)
        if not runnable:
            print(f"  {name}: {reason}")
    extra = [c.name for c in discover(COMMAND_GROUP, COMMANDS) if c.name not in COMMANDS]
    extra += [f"bench {c.name}" for c in discover(BENCH_GROUP, BENCHES) if c.name not in BENCHES]
    print(f"commands from other packages: {', '.join(extra) or 'none (the server package is not installed)'}")
    if getattr(args, "devices", False):
        for line in _device_lines():
            print(line)
    else:
        print("devices: not probed (anymole info --devices imports torch to list them)")
    return 0
