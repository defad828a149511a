"""``lamella images base|runtime|list`` and ``lamella module build``: container images.

The commands build on :mod:`lamella.runner.containers`; see docs/containers.md for the
three image layers and how they are built with no registry and no network in a build.
"""

from __future__ import annotations

import argparse

from rich.markup import escape

from lamella.core.catalog import Catalog, ModuleEntry
from lamella.core.errors import LamellaError
from lamella.runner.cli._console import err_console, out_console
from lamella.runner.containers import _names as names
from lamella.runner.containers._build import Built, build_base, build_module, build_runtime
from lamella.runner.containers._client import DockerHost, connect

__all__ = ["images_base", "images_export", "images_import", "images_list", "images_runtime", "module_build"]

_MB = 1000**2


def _client(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return connect(DockerHost(args.docker_host) if args.docker_host else DockerHost())


def _say(message: str) -> None:
    err_console().print(f"[dim]{escape(message)}[/]")


def _report(tag: str, built: Built | None) -> None:
    if built is None:
        out_console().print(f"{escape(tag)}: up to date")
    else:
        out_console().print(f"{escape(built.tag)}: built in {built.seconds:.1f} s, "
                            f"{built.size_bytes / _MB:.0f} MB ({built.image_id[7:19]})")


def images_base(args: argparse.Namespace) -> None:
    """Make the base image from a debootstrap root filesystem."""
    _report(names.BASE_IMAGE, build_base(_client(args), mirror=args.mirror, say=_say))


def images_runtime(args: argparse.Namespace) -> None:
    """Build the runtime image (scientific stack and SDK) from wheels fetched on the host."""
    from lamella.runner.containers._build import lamella_version

    built = build_runtime(_client(args), force=args.force, say=_say)
    _report(names.runtime_image(lamella_version()), built)


def module_build(args: argparse.Namespace) -> None:
    """Build the images of the modules named (or of every module with --all)."""
    if not args.all and not args.module:
        raise LamellaError("name the modules to build (e.g. lamella/threshold) or give --all")
    client = _client(args)
    catalog = Catalog.discover(args.modules)
    entries = _python_modules(catalog) if args.all else [catalog.resolve(ref) for ref in args.module]
    # The runtime comes first: a module image is built on it (built here if it is missing).
    runtime = build_runtime(client, say=_say)
    if runtime is not None:
        _report(runtime.tag, runtime)
    for entry in entries:
        if entry.manifest.kind == "container":
            out_console().print(f"{entry.manifest.ref}: a {entry.manifest.kind} module, its image "
                                f"({names.module_image(entry.manifest)}) is not built by Lamella")
            continue
        _report(names.module_image(entry.manifest),
                build_module(client, entry.manifest, entry.folder, force=args.force, say=_say))


def _python_modules(catalog: Catalog) -> list[ModuleEntry]:
    return sorted((e for e in catalog.entries if e.manifest.kind != "container"), key=lambda e: e.manifest.id)


def images_list(args: argparse.Namespace) -> None:
    """List Lamella's images on the engine: size, and what each adds to the image below it."""
    client = _client(args)
    images = [i for i in client.images.list(filters={"label": names.LABEL_KIND}) if i.tags]
    sizes = {i.id: int(i.attrs.get("Size", 0)) for i in images}
    by_kind = {i.labels.get(names.LABEL_KIND): i.id for i in images
               if i.labels.get(names.LABEL_KIND) in ("base", "runtime")}
    rows = [("image", "kind", "size", "adds", "built from")]
    for image in sorted(images, key=lambda i: (_KIND_ORDER.get(i.labels.get(names.LABEL_KIND, ""), 9),
                                                 i.tags[0])):
        kind = image.labels.get(names.LABEL_KIND, "")
        size = int(image.attrs.get("Size", 0))
        # A module or extras image names the image it was built on; older ones the kind below.
        below = sizes.get(image.labels.get(names.LABEL_FROM) or by_kind.get(_BELOW.get(kind, ""), ""))
        rows.append((", ".join(image.tags), kind, _size(size),
                     _size(size - below) if below is not None else "-",
                     image.labels.get(names.LABEL_MODULE, "")))
    # Plain columns, never cut: the list is read by people and by scripts alike.
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _size(size: int) -> str:
    if abs(size) >= _MB:
        return f"{size / _MB:.0f} MB"
    return f"{size / 1000:.0f} kB" if abs(size) >= 1000 else f"{size} B"


_BELOW = {"runtime": "base", "extras": "runtime", "module": "runtime"}
_KIND_ORDER = {"base": 0, "runtime": 1, "extras": 2, "module": 3}


def images_export(args: argparse.Namespace) -> None:
    """Write the air-gapped bundle: every Lamella image and the wheelhouse."""
    from lamella.runner.containers._bundle import export_bundle

    summary = export_bundle(_client(args), args.bundle)
    out_console().print(f"{escape(str(args.bundle))}: {len(summary.images)} images, {summary.wheels} "
                        f"wheels, {summary.size_bytes / _MB:.0f} MB")


def images_import(args: argparse.Namespace) -> None:
    """Load a bundle's images into the engine and its wheels into the wheelhouse."""
    from lamella.runner.containers._bundle import import_bundle

    summary = import_bundle(_client(args), args.bundle)
    out_console().print(f"imported {len(summary.images)} images and {summary.wheels} wheels from "
                        f"{escape(str(args.bundle))}")
