"""Container images and engines: what the Docker backend and ``lamella images`` build on.

``_names`` fixes image tags and labels; ``_wheelhouse`` fetches the Python wheels on the
host (a build never reaches PyPI); ``_build`` makes the base, runtime and module images;
``_client`` connects to a Docker engine with one-line errors; ``_sandbox`` turns a run into
a container's settings; ``_stale`` removes containers whose run is gone.
"""
