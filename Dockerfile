# The one image every process runs; the command chooses the process (see deploy/k8s).
#
# build:   the wheel is built from the sources (setup.py generates yinling/v1 from proto/
#          with grpcio-tools during the build) and installed into a virtual environment.
# runtime: only that environment and the plans; no compiler, no grpcio-tools, no sources.
#          Runs as uid 10001 and writes nothing outside /tmp (mount an emptyDir there), so
#          the root filesystem can be read-only.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY proto ./proto
COPY tools/__init__.py tools/protogen.py ./tools/
COPY yinling ./yinling
COPY services ./services
RUN pip wheel --no-deps --wheel-dir /dist . \
    && python -m venv /opt/yinling \
    && /opt/yinling/bin/pip install /dist/*.whl \
    && /opt/yinling/bin/python -c "import yinling.v1.platforms_pb2_grpc"

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --gid 10001 yinling \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin yinling
COPY --from=build /opt/yinling /opt/yinling
COPY plans /app/plans
# Bytecode was compiled at install time; nothing is written beside the code at run time.
ENV PATH=/opt/yinling/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    YINLING_HOST=0.0.0.0 \
    YINLING_DATA_DIR=/tmp/yinling \
    YINLING_PLAN=/app/plans/jiangmen-2022-2024.yaml
WORKDIR /app
USER 10001:10001
EXPOSE 50051 50052 50053 50054 50055 50060 8080 9101 9102 9103 9104 9105 9106 9107
ENTRYPOINT ["yinling"]
CMD ["--help"]
