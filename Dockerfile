# CareForAll images (SPEC §6, `docker compose up --build`). Two targets:
#
#   app      one image for every Django service, its Celery worker and beat, Flower and the
#            one-shot jobs; compose picks the service with `working_dir` (/app/<name>_service)
#            and the command.
#   gateway  the official nginx image with the gateway template, the admin's static files and
#            the frontend.
#
# Build context: the repository root (see .dockerignore).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim
ARG NGINX_IMAGE=nginx:1.27-alpine

# --- Python packages, built with the compiler and headers mysqlclient needs -------------------
FROM ${PYTHON_IMAGE} AS python-build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc pkg-config default-libmysqlclient-dev \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements/base.txt /build/requirements/base.txt
RUN /opt/venv/bin/pip install -r /build/requirements/base.txt
# The shared package, installed as a package (not editable): the services import it from
# site-packages exactly as they would from a wheel.
COPY common /build/common
RUN /opt/venv/bin/pip install /build/common

# --- The services --------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS app
# libmariadb3: the client library mysqlclient links against (no compiler in this image).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 careforall \
    && useradd --system --uid 10001 --gid careforall --home-dir /app --shell /usr/sbin/nologin careforall
COPY --from=python-build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CAREFORALL_HOME=/app \
    CAREFORALL_KEYS_DIR=/keys \
    STATIC_ROOT=/app/var/static
WORKDIR /app
COPY --chown=careforall:careforall user_service /app/user_service
COPY --chown=careforall:careforall campaign_service /app/campaign_service
COPY --chown=careforall:careforall pledge_service /app/pledge_service
COPY --chown=careforall:careforall payment_service /app/payment_service
COPY --chown=careforall:careforall stripe_sandbox /app/stripe_sandbox
# /keys is the mount point of the shared key volume: a new named volume takes this directory's
# owner, so the non-root `keys` job can write the key pair into it.
RUN mkdir -p /keys /app/var/static && chown careforall:careforall /keys /app/var /app/var/static
USER careforall
# The admin's and DRF's static files (every service has the same ones), for the gateway image.
# A build is a development process as far as the secret check goes: nothing here is served.
RUN cd /app/user_service && DJANGO_DEBUG=true python manage.py collectstatic --noinput -v 0
WORKDIR /app/user_service
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8001", "--worker-class", "gthread"]

# --- The donor site: built with Node when frontend/package.json exists, else copied as is ----
FROM ${NODE_IMAGE} AS frontend
WORKDIR /frontend
COPY frontend/ ./
RUN if [ -f package.json ]; then \
        npm ci --no-audit --no-fund && npm run build && mv dist /site; \
    else \
        cp -r public /site; \
    fi

# --- The gateway -----------------------------------------------------------------------------
FROM ${NGINX_IMAGE} AS gateway
# The image's entrypoint renders /etc/nginx/templates/*.template into /etc/nginx/conf.d/ with
# envsubst, but only for variables that are set: every ${CFA_*} of the template needs a value
# (here or in compose.yaml). The filter keeps envsubst away from anything but CFA_* names.
ENV NGINX_ENVSUBST_FILTER=^CFA_ \
    CFA_LISTEN=8080 \
    CFA_USER_UPSTREAM=user-service:8001 \
    CFA_CAMPAIGN_UPSTREAM=campaign-service:8002 \
    CFA_PLEDGE_UPSTREAM=pledge-service:8003 \
    CFA_PAYMENT_UPSTREAM=payment-service:8004 \
    CFA_FLOWER_UPSTREAM=flower:5555 \
    CFA_TOKEN_RATE=120r/m \
    CFA_TOKEN_BURST=20 \
    CFA_API_RATE=20000r/s \
    CFA_API_BURST=20000 \
    CFA_ACCESS_LOG=/dev/stdout \
    CFA_STATIC_ROOT=/usr/share/careforall/static \
    CFA_FRONTEND_ROOT=/usr/share/careforall/frontend
# The image's own site (conf.d/default.conf) makes way for the rendered template.
RUN rm -f /etc/nginx/conf.d/default.conf
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY nginx/careforall.conf.template /etc/nginx/templates/default.conf.template
COPY --from=app /app/var/static /usr/share/careforall/static
COPY --from=frontend /site /usr/share/careforall/frontend
EXPOSE 8080
