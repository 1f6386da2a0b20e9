# The connector image: Airbyte's Python connector base image plus this package and its dependencies.
# Keep FROM identical to data.connectorBuildOptions.baseImage in metadata.yaml.
FROM docker.io/airbyte/python-connector-base:4.1.0@sha256:1d1aa21d34e851df4e8a87b391c27724c06e2597608e7161f4d167be853bd7b6

WORKDIR /airbyte/integration_code

# Only what the wheel is built from; manifest.yaml ships inside the package as package data.
COPY pyproject.toml README.md ./
COPY source_personio ./source_personio
RUN pip install --no-cache-dir .

# The base image's non-root user (uid 1000).
USER airbyte

ENV AIRBYTE_ENTRYPOINT="source-personio"
# The connector reads on worker threads; one malloc arena per thread lets memory grow with the data read.
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["source-personio"]
