# sfsync worker image. Build: docker build -t sfsync:0.1.0 .   Run: docker run sfsync:0.1.0 (CMD worker)
# Runtime dependencies only: no dev extras, no simulator (sfsim is a test tool and never ships).

# ---- build: wheels for the package and its runtime dependencies (a compiler for any sdist)
FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# ---- runtime
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # A container's probes and Prometheus reach the web server from outside its loopback.
    SFSYNC_WEB_HOST=0.0.0.0 \
    SFSYNC_WEB_PORT=6066 \
    SFSYNC_DATA_DIR=/var/lib/sfsync
RUN groupadd --system --gid 10001 sfsync \
 && useradd --system --uid 10001 --gid sfsync --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin sfsync \
 && mkdir -p /var/lib/sfsync \
 && chown sfsync:sfsync /var/lib/sfsync
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-index --find-links=/tmp/wheels sfsync \
 && rm -rf /tmp/wheels
WORKDIR /var/lib/sfsync
USER 10001:10001
EXPOSE 6066
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('SFSYNC_WEB_PORT', '6066'), timeout=4)"]
ENTRYPOINT ["sfsync"]
CMD ["worker"]
