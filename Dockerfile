# One image for the API and the ingest worker (docker-compose.yml runs both from it).
# CPU torch by default; for NVIDIA GPUs build against a CUDA wheel index, e.g.
#   docker compose build --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128
# (or set RELEX_TORCH_INDEX_URL in .env). Installs what scripts/setup.sh installs: the pinned
# torch/torchvision pair, the project in editable mode, and the web page's cytoscape.js and
# Swagger UI from the npm registry (pinned by package-lock.json) into api/web/vendor.

FROM node:22-bookworm-slim AS web
WORKDIR /web
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
    && mkdir -p vendor \
    && cp node_modules/cytoscape/dist/cytoscape.esm.min.mjs vendor/ \
    && cp node_modules/cytoscape/LICENSE vendor/cytoscape.LICENSE \
    && cp node_modules/swagger-ui-dist/swagger-ui-bundle.js vendor/ \
    && cp node_modules/swagger-ui-dist/swagger-ui.css vendor/ \
    && cp node_modules/swagger-ui-dist/favicon-32x32.png vendor/ \
    && cp node_modules/swagger-ui-dist/LICENSE vendor/swagger-ui.LICENSE

FROM python:3.11-slim-bookworm
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_VERSION=2.14.1
ARG TORCHVISION_VERSION=0.29.1
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TORCH_HOME=/weights \
    RELEX_DATA_DIR=/data/relex \
    RELEX_STORE_PATH=/data/relex/relex.kuzu
WORKDIR /app
RUN pip install --no-cache-dir --index-url "${TORCH_INDEX_URL}" \
    "torch==${TORCH_VERSION}" "torchvision==${TORCHVISION_VERSION}"
COPY pyproject.toml README.md ./
COPY queries queries
COPY ingest ingest
COPY api api
COPY relex relex
RUN pip install --no-cache-dir -e .
COPY --from=web /web/vendor api/web/vendor
RUN useradd --create-home --uid 1000 --user-group relex \
    && mkdir -p /data/relex /weights /datasets \
    && chown -R 1000:1000 /data /weights
USER 1000:1000
EXPOSE 8000
CMD ["relex", "serve", "--host", "0.0.0.0"]
