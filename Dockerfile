# The one image every process runs; the command chooses the process (see deploy/k8s).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY yinling ./yinling
COPY services ./services
COPY proto ./proto
COPY plans ./plans
RUN pip install --no-cache-dir . && python -m yinling.protogen \
    && useradd --uid 10001 --no-create-home yinling
USER 10001
ENTRYPOINT ["yinling"]
