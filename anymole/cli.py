"""`anymole` command line: serve | bake | demo | bench | info.

Each command lives in its own module exposing ``add_arguments(parser)`` and ``run(args) -> int``;
modules are imported only when their command runs, so ``anymole info`` never loads gRPC and the
library stays importable without the server package.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from anymole.errors import AnymoleError

# command name -> module that implements it
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("anymole_server.cli_serve", "Run the gRPC server."),
    "bake": ("anymole.bake", "Bake the transitions listed in a TOML manifest (CI)."),
    "demo": ("anymole_server.demo", "Start a server, run one job on a shipped sample, write the outputs."),
    "info": ("anymole.info", "Print versions, methods and devices."),
}
BENCHES: dict[str, tuple[str, str]] = {
    "inbetween": ("anymole.bench.inbetween", "Classical in-betweening quality and speed on a corpus."),
    "server": ("anymole_server.bench_server", "Load test a server with concurrent clients."),
    "render": ("anymole.bench.render", "Renderer frames per second and forward+backward time."),
    "mimic": ("anymole.bench.mimic", "Motion video mimicking on oracle videos vs the classical baselines."),
    "pipeline": ("anymole.bench.pipeline", "The whole anymole method on the sample transition, twice (adapter cache)."),
}


def _add(sub, name: str, module: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(_module=module)
    try:
        importlib.import_module(module).add_arguments(p)
    except ModuleNotFoundError as exc:
        p.set_defaults(_missing=str(exc))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="anymole", description="AnyMoLe Bridge: motion in-betweening for any 3D character.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        _add(sub, name, module, help_text)
    bench = sub.add_parser("bench", help="Benchmarks (speed and quality targets).")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    for name, (module, help_text) in BENCHES.items():
        _add(bench_sub, name, module, help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if getattr(args, "_missing", None):
        print(f"anymole: this command is not available in this installation ({args._missing})", file=sys.stderr)
        return 2
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except AnymoleError as exc:
        print(f"anymole: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("anymole: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
