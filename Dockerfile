# Postbag, production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=mpoffice.settings

# WeasyPrint renders letters and briefings to PDF with Pango and HarfBuzz; it needs real fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation shared-mime-info \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --uid 10001 --user-group postbag
WORKDIR /app

# Requirements first, so that a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image (whitenoise serves them, compressed and hashed).
# The settings refuse to load in production without a secret and hosts: these dummies exist
# only for this build step and are not in the final environment.
RUN DJANGO_ENV=production \
    SECRET_KEY=collectstatic-at-build-time-only-not-a-real-secret-9f8e7d6c5b4a \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown -R postbag:postbag /app/var

# Runtime data (uploads, generated PDFs) lives in /app/var: mount a volume there.
VOLUME ["/app/var"]
USER postbag
EXPOSE 8000

# WEB_CONCURRENCY (read by gunicorn) sets the number of web workers.
CMD ["gunicorn", "mpoffice.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
