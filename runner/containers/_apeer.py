"""APEER modules in containers: built from Lamella's runtime, run the APEER way.

An APEER module's own Dockerfile (``FROM python:3``, ``pip install`` from PyPI) cannot build
without a registry and a network, so Lamella builds its image from the runtime image,
installs the module's ``requirements.txt`` from wheels fetched on the host, copies the
module's files to the Dockerfile's ``WORKDIR`` and keeps its ``ENTRYPOINT``/``CMD``: the
module's code and specification run unchanged.

A run follows the APEER contract: inputs in ``/input`` (read-only), outputs to
``/output``, the inputs and parameters as JSON in ``WFE_INPUT_JSON`` (and in
``/params/WFE_input_params.json``, which the dev kit reads when the variable is absent),
with ``WFE_output_params_file`` naming the file, under ``/output``, where the module lists
what it wrote. APEER images run as root; Lamella lets them, inside the same sandbox
otherwise (no capabilities, no new privileges, no network unless the specification asks
for internet access), because their code writes to its own folder and to ``/output``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamella.core.catalog import APEER_SPEC_FILE
from lamella.core.errors import LamellaError
from lamella.core.manifest import Manifest
from lamella.core.manifest._apeer import apeer_input_values, apeer_output_ports

__all__ = ["OUTPUT_PARAMS_FILE", "ApeerEntry", "apeer_dockerfile", "apeer_entry", "apeer_environment",
           "apeer_outputs_listing"]

OUTPUT_PARAMS_FILE = "lamella-apeer-outputs.json"
_DEFAULT_WORKDIR = "/usr/src/app"


@dataclass(frozen=True)
class ApeerEntry:
    """What an APEER module's own Dockerfile says about running it: folder and command."""

    workdir: str
    entrypoint: list[str]
    cmd: list[str]


def apeer_entry(folder: Path) -> ApeerEntry:
    """Read ``WORKDIR``, ``ENTRYPOINT`` and ``CMD`` from the module's Dockerfile.

    Without a Dockerfile (or without an entry in it), ``python apeer_main.py`` in
    ``/usr/src/app`` is assumed: what the APEER module template writes.
    """
    workdir, entrypoint, cmd = _DEFAULT_WORKDIR, [], []
    dockerfile = folder / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8") if dockerfile.is_file() else ""
    for line in _instructions(text):
        word, _, rest = line.partition(" ")
        if word.upper() == "WORKDIR":
            workdir = rest.strip() if rest.strip().startswith("/") else f"{workdir}/{rest.strip()}"
        elif word.upper() == "ENTRYPOINT":
            entrypoint = _command(rest, dockerfile)
        elif word.upper() == "CMD":
            cmd = _command(rest, dockerfile)
    if not entrypoint and not cmd:
        entrypoint = ["python", "apeer_main.py"]
    return ApeerEntry(workdir, entrypoint, cmd)


def _instructions(text: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\s*\n", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def _command(rest: str, dockerfile: Path) -> list[str]:
    rest = rest.strip()
    if rest.startswith("["):
        try:
            words = json.loads(rest)
        except json.JSONDecodeError:
            raise LamellaError(f"{dockerfile}: '{rest}' is not a JSON list of words; write e.g. "
                               "[\"python\", \"apeer_main.py\"]") from None
        return [str(w) for w in words]
    return ["/bin/sh", "-c", rest] if rest else []  # the shell form, as Docker runs it


def apeer_dockerfile(entry: ApeerEntry, extras: list[str], runtime: str) -> str:
    """The Dockerfile Lamella builds an APEER module's image from (see the module docstring)."""
    lines = [f"ARG RUNTIME={runtime}", "FROM ${RUNTIME}"]
    if extras:
        lines += ["COPY wheels/ /tmp/wheels/",
                  "RUN /opt/lamella/bin/pip install --no-index --no-cache-dir --disable-pip-version-check "
                  "--find-links /tmp/wheels -r /tmp/wheels/requirements.txt && rm -rf /tmp/wheels"]
    lines += [f"COPY module/ {entry.workdir}/", f"WORKDIR {entry.workdir}", "USER root"]
    if entry.entrypoint:
        lines.append(f"ENTRYPOINT {json.dumps(entry.entrypoint)}")
    if entry.cmd:
        lines.append(f"CMD {json.dumps(entry.cmd)}")
    return "\n".join(lines) + "\n"


def _spec(folder: Path) -> Any:
    return json.loads((folder / APEER_SPEC_FILE).read_text(encoding="utf-8"))


def apeer_environment(folder: Path, manifest: Manifest, params: dict[str, Any],
                      inputs: dict[str, list[str]]) -> dict[str, Any]:
    """The WFE input JSON of one run: ``inputs`` are paths relative to the task's ``inputs/``.

    A single-file port gets one path, a list port a list, as APEER sends them.
    """
    files: dict[str, Any] = {}
    for port, paths in inputs.items():
        seen = [f"/input/{p}" for p in paths]
        files[port] = seen if manifest.inputs[port].type.startswith("list[") else seen[0]
    values = apeer_input_values(_spec(folder), params=params, files=files)
    return {**values, "WFE_output_params_file": OUTPUT_PARAMS_FILE}


def apeer_outputs_listing(folder: Path, outputs_dir: Path) -> dict[str, list[str]] | str:
    """Lamella's output listing from the module's WFE output file, or why it cannot be made."""
    written = outputs_dir / OUTPUT_PARAMS_FILE
    try:
        listed = json.loads(written.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return (f"the APEER module wrote no {OUTPUT_PARAMS_FILE} to /output (its code must call "
                "adk.finalize())")
    except (OSError, json.JSONDecodeError) as exc:
        return f"the APEER module's output file {OUTPUT_PARAMS_FILE} is not JSON ({exc})"
    ports = apeer_output_ports(_spec(folder))
    listing: dict[str, list[str]] = {}
    for key, value in listed.items() if isinstance(listed, dict) else []:
        port = ports.get(key)
        if port is None:
            continue  # a value output: not a file Lamella keeps
        paths = value if isinstance(value, list) else [value]
        names = [str(p).removeprefix("/output/") for p in paths]
        if any(name.startswith("/") or ".." in Path(name).parts for name in names):
            return f"the APEER module listed '{key}' outside /output: {', '.join(map(str, paths))}"
        listing[port] = names
    return listing
