"""`anymole` command line: bake | info | bench …, plus the commands other packages register.

A command is a module (or object) with ``add_arguments(parser)`` and ``run(args) -> int`` and,
for its one-line help, ``HELP`` (else the first line of its docstring). The library's own
commands are listed here; another package adds commands through entry points (the server
registers ``serve``, ``demo`` and ``bench server`` this way in pyproject.toml), so the library
never names a module of another package:

    [project.entry-points."anymole.commands"]     # anymole NAME …
    NAME = "package.module"
    [project.entry-points."anymole.benches"]      # anymole bench NAME …
    NAME = "package.module"

Start-up stays cheap (no torch, numpy or grpc for ``anymole --help``): only the chosen
command's module is imported to define its arguments, and a command module imports its heavy
dependencies inside ``run``. Entry-point modules are imported for their help text, so they must
be light at import too.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from anymole.errors import AnymoleError

COMMAND_GROUP = "anymole.commands"
BENCH_GROUP = "anymole.benches"

# The library's own commands: name -> (module, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "bake": ("anymole.bake", "Bake the transitions listed in a TOML manifest (CI)."),
    "info": ("anymole.info", "Print versions, methods and devices."),
}
BENCHES: dict[str, tuple[str, str]] = {
    "inbetween": ("anymole.bench.inbetween", "Classical in-betweening quality and speed on a corpus."),
    "render": ("anymole.bench.render", "Renderer frames per second and forward+backward time."),
    "mimic": ("anymole.bench.mimic", "Motion video mimicking on oracle videos vs the classical baselines."),
    "pipeline": ("anymole.bench.pipeline", "The whole anymole method on the sample transition, twice (adapter cache)."),
    "gpu": ("anymole.bench.gpu", "Prepared GPU measurement: random full-size LTX-Video 2B, ICAdapt, estimator, mimic, renderer."),
}


@dataclass
class Command:
    """One subcommand: ``load()`` gives the object with ``add_arguments`` and ``run``;
    ``missing`` says why it cannot load (a package not installed), empty when it can."""

    name: str
    target: str  # "package.module" or "package.module:attr"
    help: str = ""
    missing: str = ""
    _obj: object = None

    def load(self):
        if self._obj is None and not self.missing:
            module, _, attr = self.target.partition(":")
            try:
                obj = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                self.missing = str(exc)
                return None
            for part in attr.split(".") if attr else ():
                obj = getattr(obj, part)
            self._obj = obj
        return self._obj


def _help_of(obj) -> str:
    """``obj.HELP``, else the first line of its docstring."""
    if getattr(obj, "HELP", None):
        return str(obj.HELP)
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


def discover(group: str, builtin: dict[str, tuple[str, str]]) -> list[Command]:
    """The built-in commands, then every entry point of ``group`` (sorted by name; a name the
    library already uses is skipped). Entry-point modules are imported for their help text."""
    from importlib.metadata import entry_points

    out = [Command(name, module, help_text) for name, (module, help_text) in builtin.items()]
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        if ep.name in builtin or any(c.name == ep.name for c in out):
            continue
        cmd = Command(ep.name, ep.value)
        obj = cmd.load()
        cmd.help = _help_of(obj) if obj is not None else f"(not available: {cmd.missing})"
        out.append(cmd)
    return sorted(out, key=lambda c: c.name)


def _chosen(argv: Sequence[str]) -> list[str]:
    """The positional words of ``argv`` before any option that follows them: the command name
    and, for ``bench``, the bench name (the top-level parser has no option taking a value)."""
    words = []
    for a in argv:
        if a == "--":
            break
        if a.startswith("-"):
            if words:
                break
            continue
        words.append(a)
        if len(words) == 2:
            break
    return words


def _add(sub, cmd: Command, define: bool) -> None:
    p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
    p.set_defaults(_command=cmd)
    if define:
        obj = cmd.load()
        if obj is not None:
            obj.add_arguments(p)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser. With ``argv``, only the command it names gets its arguments defined (its
    module is imported); with None every command's are (every module is imported)."""
    words = None if argv is None else _chosen(argv)
    parser = argparse.ArgumentParser(prog="anymole", description="AnyMoLe Bridge: motion in-betweening for any 3D character.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for cmd in discover(COMMAND_GROUP, COMMANDS):
        _add(sub, cmd, words is None or words[:1] == [cmd.name])
    bench = sub.add_parser("bench", help="Benchmarks (speed and quality targets).")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    for cmd in discover(BENCH_GROUP, BENCHES):
        _add(bench_sub, cmd, words is None or words[:2] == ["bench", cmd.name])
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cmd: Command = args._command
    obj = cmd.load()
    if obj is None:
        print(f"anymole: this command is not available in this installation ({cmd.missing})", file=sys.stderr)
        return 2
    try:
        return int(obj.run(args) or 0)
    except AnymoleError as exc:
        print(f"anymole: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("anymole: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
