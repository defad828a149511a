"""Fixtures of the Docker tests: a second, remote engine over TLS and SSH (remote_engine.py)."""

from tests.docker.remote_engine import remote_engine, remote_runtime, ssh_engine

__all__ = ["remote_engine", "remote_runtime", "ssh_engine"]
