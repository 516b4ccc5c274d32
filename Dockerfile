# QIP governance — production image (gunicorn; the same image runs the Celery
# worker and beat, see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# libpq5 for PostgreSQL; Pango, HarfBuzz, libffi, shared-mime-info and DejaVu
# fonts for WeasyPrint's PDF packs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpq5 \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libffi8 \
        shared-mime-info \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system qip \
    && useradd --system --gid qip --home-dir /app --shell /usr/sbin/nologin qip

WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root and read-only to the app; only var/ is writable.
COPY . .

ENV DJANGO_ENV=production \
    VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media \
    STATIC_ROOT=/app/staticfiles

# The SECRET_KEY here exists only for this RUN line (settings refuse to load
# without one in production); the running container gets the real one from .env.
# var/media and var/beat are created owned by qip so that named volumes
# mounted there start out writable by the app.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media /app/var/beat \
    && chown -R qip:qip /app/var

USER qip

EXPOSE 8000

CMD ["gunicorn", "qip.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
