# One image for the web, worker and scheduler processes of docker-compose.yml.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY models models
COPY workflow workflow
COPY evaluators evaluators
COPY web web
COPY templates templates
COPY translations translations
# Editable: templates/ and the migrations stay beside the code, where the app finds them.
RUN pip install --no-cache-dir -e .

ENV GREENCERT_INSTANCE=/data/instance STORAGE_DIR=/data/files
VOLUME /data
EXPOSE 8000
CMD ["gunicorn", "--workers", "2", "--bind", "0.0.0.0:8000", "web.wsgi:app"]
