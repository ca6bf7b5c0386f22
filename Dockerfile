# ci-deploy as a Docker container action (`runs: using: docker, image: Dockerfile`).
#
# Base image pinned by its full tag. A digest pin (@sha256:...) is better still, but no image
# registry is reachable from where this file was written to read one; add it when you can.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

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
