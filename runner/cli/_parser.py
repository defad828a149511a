"""The command-line grammar (argparse: no dependency that could change it under us)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from lamella.core.errors import LamellaError

__all__ = ["UsageError", "build_parser"]


class UsageError(LamellaError):
    """The command line itself is wrong (unknown option, missing argument...)."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, raised instead of printed."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """``lamella run|validate|editor|modules list|modules show|cache ls|clear|prune|verify``."""
    parser = _Parser(prog="lamella", description="Microscopy image-analysis workflows: run, "
                     "check and manage them. Add --debug anywhere to see tracebacks.")
    parser.add_argument("--version", action="version", version=f"lamella {_version()}",
                        help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                                     required=True)
    _add_run(commands.add_parser("run", help="run a workflow (or a batch of images)",
                                 description="Run a workflow on a backend (local by default)."))
    validate = commands.add_parser("validate", help="check a workflow without running it",
                                   description="Check modules, ports, types, parameters and "
                                   "cycles; report every problem at once.")
    validate.add_argument("workflow", type=Path, help="workflow YAML file")
    _add_modules_option(validate)
    _add_modules(commands.add_parser("modules", aliases=["module"],
                                     help="list, inspect and build modules"))
    _add_images(commands.add_parser("images", help="build and list container images",
                                    description="Container images for --backend docker, built "
                                    "with no registry and no network inside a build."))
    _add_cache(commands.add_parser("cache", help="inspect or empty the cache of node results"))
    editor = commands.add_parser("editor", help="open the node editor window",
                                 description="Build, preview, run and inspect workflows in a window "
                                 "(needs the editor extras: pip install 'lamella[editor]').")
    editor.add_argument("workflow", type=Path, nargs="?", help="workflow YAML file to open")
    _add_modules_option(editor)
    return parser


def _add_run(run: argparse.ArgumentParser) -> None:
    run.add_argument("workflow", type=Path, help="workflow YAML file")
    run.add_argument("-i", "--input", action="append", default=[], metavar="NAME=PATH",
                     help="set a workflow input (repeatable)")
    run.add_argument("-o", "--out", type=Path, help="results folder (default: results/<workflow>)")
    run.add_argument("-j", "--jobs", type=_positive_int, help="modules run in parallel "
                     "(default: CPU cores)")
    run.add_argument("--batch", metavar="GLOB", help="run once per file matching GLOB "
                     "(or NAME=GLOB); quote it")
    run.add_argument("--set", action="append", default=[], metavar="NODE.PARAM=VALUE",
                     help="set a parameter; VALUE is read as in the workflow YAML (repeatable)")
    run.add_argument("--sweep", action="append", default=[], metavar="NODE.PARAM=A,B,...",
                     help="run every value, in one run; several --sweep make a grid; each "
                     "point's results go to OUT/NODE.PARAM=VALUE/")
    run.add_argument("--backend", default="local", metavar="NAME", help="where modules run: "
                     "local (warm worker processes, the default), isolated (a fresh process "
                     "per node, sharing no files with the cache) or docker (each node in its "
                     "module's image; build them with `lamella module build --all`)")
    run.add_argument("--docker-host", action="append", default=[], metavar="URL|FILE",
                     help="Docker engine for --backend docker, or a hosts file listing several "
                     "(repeatable; default: this machine's), e.g. tcp://gpu-box:2376")
    _add_registry_option(run)
    run.add_argument("--memory-limit", metavar="SIZE", help="container memory limit for every "
                     "node with --backend docker, e.g. 4GB (default: each module's "
                     "resources.memory_gb)")
    run.add_argument("--until", action="append", default=[], metavar="NODE",
                     help="run only NODE and the nodes it reads from (repeatable)")
    run.add_argument("--gpus", metavar="IDS", help="GPU ids nodes may be given, e.g. 0,1 "
                     "(default: CUDA_VISIBLE_DEVICES); each running node gets its own")
    run.add_argument("--timeout", metavar="DURATION", help="stop and fail any node running "
                     "longer, e.g. '10 min', '90 s', '2 h' (replaces the modules' own "
                     "resources.timeout)")
    run.add_argument("--no-cache", action="store_true", help="re-run every node (results still "
                     "refresh the cache)")
    run.add_argument("--explain", action="store_true", help="say why each node ran or was reused")
    run.add_argument("-q", "--quiet", action="store_true", help="print only errors (and the "
                     "summary when a node failed)")
    run.add_argument("--json-events", action="store_true", help="print one JSON event per line "
                     "on stdout, for programs")
    _add_modules_option(run)
    _add_cache_option(run)


def _add_modules(modules: argparse.ArgumentParser) -> None:
    actions = modules.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser,
                                     required=True)
    _add_modules_option(actions.add_parser("list", help="list every module found"))
    show = actions.add_parser("show", help="show a module's ports and parameters")
    show.add_argument("module", help="module id, optionally with @version")
    _add_modules_option(show)
    _add_build(actions)


def _add_build(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``build``: the same command under ``lamella module`` and ``lamella images``."""
    build = actions.add_parser("build", help="build module images for --backend docker",
                               description="Build each module's image (tag: its id and version) "
                               "on the runtime image; builds the runtime first if it is missing.")
    build.add_argument("module", nargs="*", help="module ids, optionally with @version")
    build.add_argument("--all", action="store_true", help="build every Python and APEER module found")
    build.add_argument("--force", action="store_true", help="rebuild images that are up to date")
    _add_modules_option(build)
    _add_docker_host_option(build)


def _add_images(images: argparse.ArgumentParser) -> None:
    actions = images.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser,
                                    required=True)
    base = actions.add_parser("base", help="make the Python base image from a Debian root "
                              "filesystem (debootstrap; needs root)")
    base.add_argument("--mirror", default="http://deb.debian.org/debian", metavar="URL",
                      help="Debian mirror for debootstrap")
    _add_docker_host_option(base)
    runtime = actions.add_parser("runtime", help="build the runtime image: the scientific stack "
                                 "and the Lamella SDK, from wheels fetched on this machine")
    runtime.add_argument("--force", action="store_true", help="rebuild it even if up to date")
    _add_docker_host_option(runtime)
    _add_build(actions)
    _add_docker_host_option(actions.add_parser("list", help="list Lamella's images and their sizes"))
    export = actions.add_parser("export", help="write every Lamella image and the wheels into one "
                                "bundle file, for a machine with no network")
    export.add_argument("bundle", type=Path, help="bundle file to write, e.g. lamella-images.tar")
    _add_docker_host_option(export)
    load = actions.add_parser("import", help="load a bundle's images and wheels (no network needed)")
    load.add_argument("bundle", type=Path, help="bundle file made by lamella images export")
    _add_docker_host_option(load)


class _RegistryAction(argparse.Action):
    """``--registry HOST:PORT`` sets ``$LAMELLA_REGISTRY``, which the Docker backend reads."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        import os

        from lamella.runner.containers._registry import ENV_REGISTRY

        os.environ[ENV_REGISTRY] = str(values)
        setattr(namespace, self.dest, values)


def _add_registry_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--registry", action=_RegistryAction, metavar="HOST:PORT",
                        help="registry that module images reach remote Docker hosts through "
                        "(pushed from this machine's engine, pulled there; only missing layers "
                        "travel); default: docker save/load, or the hosts file's registry")


def _add_docker_host_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--docker-host", metavar="URL", help="Docker engine (default: this "
                        "machine's, unix:///var/run/docker.sock)")


def _add_cache(cache: argparse.ArgumentParser) -> None:
    actions = cache.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser,
                                   required=True)
    _add_cache_option(actions.add_parser("ls", help="list cached node results"))
    _add_cache_option(actions.add_parser("clear", help="delete every cached node result"))
    prune = actions.add_parser("prune", help="remove results not used lately, or the least "
                               "recently used over a size", description="Remove cached results "
                               "not used for DAYS days, then the least recently used until the "
                               "cache is under SIZE. Refused while a run uses the cache.")
    prune.add_argument("--older-than", type=_days, metavar="DAYS",
                       help="remove results not used (reused or made) for DAYS days")
    prune.add_argument("--max-size", type=_size, metavar="SIZE",
                       help="then remove the least recently used until the cache takes at most "
                       "SIZE, e.g. 500MB or 2GB (1 KB = 1024 bytes)")
    _add_cache_option(prune)
    _add_cache_option(actions.add_parser(
        "verify", help="re-hash every cached file; remove damaged results",
        description="Re-hash every cached file against the SHA-256 recorded when it was "
        "stored and remove each result with a file that differs (runs check only size and "
        "modification time). Safe while runs use the cache."))


def _add_modules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--modules", type=Path, action="append", default=[], metavar="DIR",
                        help="extra module folder (repeatable), searched before "
                        "LAMELLA_MODULE_PATH and the built-in modules")


def _add_cache_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="cache folder (default: $LAMELLA_CACHE_DIR or ~/.cache/lamella)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lamella")
    except PackageNotFoundError:
        return "unknown"


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of days") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 days or more, got {text}")
    return value


def _size(text: str) -> int:
    from lamella.runner.cache import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value
