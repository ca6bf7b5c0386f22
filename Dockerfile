# ci-deploy as a Docker container action (`runs: using: docker, image: Dockerfile`).
#
# Base image pinned by tag and by digest: the OCI image index (manifest list) of
# python:3.11.15-slim-bookworm, which covers linux/amd64 and linux/arm64 (the release builds
# both), as recorded in docker-library/repo-info (repos/python/remote/3.11.15-slim-bookworm.md).
# The digest is what Docker pulls; the tag says what it is. Update both together.
ARG PYTHON_IMAGE=python:3.11.15-slim-bookworm@sha256:d29f48a31a8b408ed19272ca1e7b10ebae13b240a27e862d3d4217c528e2e0c3

# Stage 1: build the ci-deploy wheel with a hash-locked hatchling (no unpinned build isolation).
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements-build.lock ./
RUN /usr/local/bin/python -m pip install --no-cache-dir --require-hashes --only-binary=:all: \
        -r requirements-build.lock
COPY pyproject.toml README.md ./
COPY src ./src
RUN /usr/local/bin/python -m pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .

# Stage 2: the runtime, with only the locked runtime dependencies and the wheel.
FROM ${PYTHON_IMAGE}
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY requirements.lock /tmp/requirements.lock
RUN /usr/local/bin/python -m pip install --no-cache-dir --require-hashes --only-binary=:all: \
        -r /tmp/requirements.lock \
    && rm /tmp/requirements.lock
COPY --from=build /wheels /tmp/wheels
RUN /usr/local/bin/python -m pip install --no-cache-dir --no-deps /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels
# Absolute interpreter, isolated mode (-I): earlier steps' PATH and PYTHONPATH leak into the
# container, and the workspace (the working directory) must not shadow our modules. -I also
# ignores PYTHON* variables, so unbuffered output (-u) and no bytecode (-B) are flags here.
ENTRYPOINT ["/usr/local/bin/python", "-I", "-u", "-B", "-m", "ci_deploy", "action"]
