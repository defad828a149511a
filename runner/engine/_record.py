"""The run record: what ran, on what, with which code and parameters, and how it ended."""

from __future__ import annotations

import getpass
import json
import platform
import socket
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from lamella.runner._files import path_within
from lamella.runner.engine._jobs import Job

__all__ = ["RECORD_FILE", "build_record", "record_text"]

RECORD_FILE = "run-record.json"


def build_record(*, run_id: str, workflow: dict[str, Any], backend: dict[str, Any], jobs_setting: int,
                 started: float, finished: float, status: str, jobs: list[Job],
                 outputs: dict[str, dict[str, list[str]]], out_dir: Path) -> dict[str, Any]:
    """Assemble the run record (plain data, written as JSON)."""
    items: dict[str, dict[str, Any]] = {}
    for job in jobs:
        item = items.setdefault(job.item.name, {
            "inputs": {name: str(path) for name, path in job.item.inputs.items()},
            "nodes": {},
            "outputs": outputs.get(job.item.name, {}),
        })
        item["nodes"][job.node.id] = _job_record(job, out_dir)
    return {
        "lamella_record": 1,
        "run_id": run_id,
        "status": status,
        "workflow": workflow,
        "started": _iso(started),
        "finished": _iso(finished),
        "duration_s": round(finished - started, 3),
        "backend": {**backend, "jobs": jobs_setting},
        "host": _host(),
        "items": items,
    }


def _job_record(job: Job, out_dir: Path) -> dict[str, Any]:
    manifest = job.node.entry.manifest
    return {
        "module": manifest.id,
        "version": manifest.version,
        "module_digest": job.node.entry.digest,
        # A container backend's image, pinned as tag@sha256:...; None for a module run from its
        # folder. A cached node names the image that made the result it reuses.
        "image_digest": _image(job),
        "params": job.node.params,
        "resolved_params": job.resolved,
        "warnings": job.warnings,
        "status": job.status,
        "cache": {"key": job.key, "reason": job.reason},
        "inputs": _files(job.input_files, job.input_digests),
        "outputs": _files(job.outputs, job.output_digests),
        "started": _iso(job.started) if job.started else None,
        "finished": _iso(job.finished) if job.finished else None,
        "duration_s": round(job.duration, 3) if job.duration is not None else None,
        "exit_status": job.exit_status,
        "error": job.error or None,
        "skipped_because": job.skipped_because or None,
        "log": path_within(job.log, out_dir) if job.log else None,
        "metrics": job.metrics,
        "host": job.placement.host if job.placement else None,
        "gpu_ids": list(job.placement.gpu_ids) if job.placement else [],
    }


def _image(job: Job) -> str | None:
    if job.placement is not None:
        return job.placement.image or None
    return (job.entry.meta.get("image") or None) if job.entry is not None else None


def _files(paths: dict[str, list[Path]], digests: dict[str, list[str]]) -> dict[str, Any]:
    return {
        port: [{"path": str(p), "sha256": d}
               for p, d in zip(files, digests.get(port, [""] * len(files)), strict=False)]
        for port, files in paths.items()
    }


def _host() -> dict[str, Any]:
    try:
        lamella_version = version("lamella")
    except PackageNotFoundError:
        lamella_version = "unknown"
    return {
        "hostname": socket.gethostname(),
        "user": getpass.getuser(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "lamella": lamella_version,
    }


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def record_text(record: dict[str, Any]) -> str:
    """The record as indented JSON text."""
    return json.dumps(record, indent=2, default=str)
