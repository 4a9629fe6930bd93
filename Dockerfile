# Hilo's image: `hilo serve` by default, `hilo worker` as another command (see compose.yaml).
# It expects a PostgreSQL with pgvector at DATABASE_URL; without one it would start the
# embedded server in HILO_DATA_DIR, which suits a laptop, not a fleet of containers.
# Checked statically only (hadolint); it has not been built or run here (README, "Deploying").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HILO_DATA_DIR=/home/hilo/.hilo \
    HILO_LOG_FORMAT=json

RUN groupadd --gid 10001 hilo \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin hilo

# Only what `pip install .` packages (pyproject's package list): no tests, no .env, no .git.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config/ config/
COPY memory/ memory/
COPY tools/ tools/
COPY agent/ agent/
COPY channels/ channels/
COPY server/ server/
COPY prompts/ prompts/
COPY evals/ evals/
RUN pip install --no-cache-dir . \
    && rm -rf /src/build

# Run from the home folder, so `import memory` finds the installed package, not /src.
WORKDIR /home/hilo
USER 10001:10001
EXPOSE 8000

# slim has no curl: the probe is Python's standard library. /readyz answers 503 (an
# HTTPError, so exit 1) when the database, its vector query or the embeddings are not ready.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]

CMD ["hilo", "serve", "--host", "0.0.0.0", "--port", "8000"]
