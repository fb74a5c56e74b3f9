"""`anymole info`: versions, methods and compute devices of this installation."""

from __future__ import annotations

import argparse
import platform


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    del args
    import torch

    import anymole
    from anymole.pipeline import available_methods

    print(f"anymole {anymole.__version__}")
    print(f"python {platform.python_version()}, torch {torch.__version__}")
    print(f"cuda: {'yes (' + torch.cuda.get_device_name(0) + ')' if torch.cuda.is_available() else 'no'}")
    print(f"methods: {', '.join(available_methods())}")
    return 0
