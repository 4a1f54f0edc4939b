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
COPY storage storage
COPY i18n i18n
COPY base base
COPY web web
# Local OCR for /ocr when no vision model is up (vision/local_ocr.py).
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-ukr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*
# EXTRAS: "search" (web search, CrewAI; the default) and/or "embedded" (the in-process fallback model: compiles
# llama.cpp, so only then build tools are installed and the build takes minutes), e.g. EXTRAS=search,embedded.
ARG EXTRAS="search"
RUN if echo "$EXTRAS" | grep -q embedded; then apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
      && rm -rf /var/lib/apt/lists/*; fi \
    && pip install --no-cache-dir -c constraints.txt -e ".${EXTRAS:+[$EXTRAS]}"
COPY config config
VOLUME ["/app/data"]
CMD ["python", "-m", "bot", "run"]
