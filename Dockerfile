# syntax=docker/dockerfile:1.7
# CareForAll images (SPEC §6), one per deployable part, each tagged with the version in its own
# VERSION file (docs/running-in-containers.md, docs/deploy.md):
#
#   target            image                        VERSION file
#   user_service      careforall/user-service      user_service/VERSION
#   campaign_service  careforall/campaign-service  campaign_service/VERSION
#   pledge_service    careforall/pledge-service    pledge_service/VERSION
#   payment_service   careforall/payment-service   payment_service/VERSION
#   stripe_sandbox    careforall/stripe-sandbox    stripe_sandbox/VERSION (development only)
#   gateway           careforall/gateway           nginx/VERSION
#   frontend          careforall/frontend          frontend/VERSION
#
# A service image holds the shared package and that service only; its web tier, Celery worker,
# beat and migration job all run from it. Build context: the repository root (.dockerignore).
# Layers go from the least to the most often changed (system packages, pinned requirements,
# the shared package, one service's code), so a change to a service's code rebuilds only its last
# layers, and a change to the donor site's sources does not run `npm ci` again.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim
# 1.27.3 or later: the gateway's upstreams use `server ... resolve`.
ARG NGINX_IMAGE=nginx:1.28-alpine

# --- Python packages, built with the compiler and headers mysqlclient needs -------------------
FROM ${PYTHON_IMAGE} AS python-build
# Debian's versions are not pinned: the base image's point release fixes them, and a pin would
# break the build at the next security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc pkg-config default-libmysqlclient-dev \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements/base.txt /build/requirements/base.txt
RUN --mount=type=cache,target=/root/.cache/pip /opt/venv/bin/pip install -r /build/requirements/base.txt
# The shared package, installed as a package (not editable): the services import it from
# site-packages exactly as they would from a wheel.
COPY common /build/common
RUN --mount=type=cache,target=/root/.cache/pip /opt/venv/bin/pip install /build/common

# --- What every service image has ----------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# libmariadb3: the client library mysqlclient links against (no compiler in this image).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 careforall \
    && useradd --system --uid 10001 --gid careforall --home-dir /app --shell /usr/sbin/nologin careforall \
    && mkdir -p /keys /jwt-public /app/var/static \
    && chown careforall:careforall /keys /jwt-public /app/var /app/var/static
COPY --from=python-build /opt/venv /opt/venv
# /keys (the key pair, user_service only) and /jwt-public (the public key, everyone else) are the
# mount points of the key volumes: a new named volume takes the directory's owner, so the
# non-root `keys` job can write into it.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CAREFORALL_HOME=/app \
    CAREFORALL_KEYS_DIR=/jwt-public \
    STATIC_ROOT=/app/var/static
WORKDIR /app
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001

# --- The four services ----------------------------------------------------------------------
# --no-control-socket: gunicorn's control socket would go into the home directory (/app), which
# uid 10001 cannot write; nothing uses that interface in a container.
FROM runtime AS user_service
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="careforall user_service" \
      org.opencontainers.image.version="${VERSION}"
COPY --chown=10001:10001 user_service /app/user_service
WORKDIR /app/user_service
ENV CAREFORALL_KEYS_DIR=/keys
EXPOSE 8001
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8001", "--worker-class", "gthread", "--no-control-socket"]

FROM runtime AS campaign_service
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="careforall campaign_service" \
      org.opencontainers.image.version="${VERSION}"
COPY --chown=10001:10001 campaign_service /app/campaign_service
WORKDIR /app/campaign_service
EXPOSE 8002
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8002", "--worker-class", "gthread", "--no-control-socket"]

FROM runtime AS pledge_service
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="careforall pledge_service" \
      org.opencontainers.image.version="${VERSION}"
COPY --chown=10001:10001 pledge_service /app/pledge_service
WORKDIR /app/pledge_service
EXPOSE 8003
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8003", "--worker-class", "gthread", "--no-control-socket"]

FROM runtime AS payment_service
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="careforall payment_service" \
      org.opencontainers.image.version="${VERSION}"
COPY --chown=10001:10001 payment_service /app/payment_service
WORKDIR /app/payment_service
EXPOSE 8004
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8004", "--worker-class", "gthread", "--no-control-socket"]

# --- The local Stripe stand-in (development and demos only) ---------------------------------
FROM runtime AS stripe_sandbox
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="careforall stripe_sandbox" \
      org.opencontainers.image.version="${VERSION}"
COPY --chown=10001:10001 stripe_sandbox /app/stripe_sandbox
ENV SANDBOX_HOST=0.0.0.0
EXPOSE 12111
CMD ["python", "-m", "stripe_sandbox"]

# --- The admin's and DRF's static files (every service has the same ones) -------------------
FROM user_service AS static
# A build is a development process as far as the secret check goes: nothing here is served.
RUN DJANGO_DEBUG=true python manage.py collectstatic --noinput -v 0

# --- The donor site: `npm ci` depends on the lock file only, then the sources are built -------
FROM ${NODE_IMAGE} AS frontend-build
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# The donor site alone, served by nginx on 8080 (a static origin for a CDN); the gateway image
# carries the same files.
FROM ${NGINX_IMAGE} AS frontend
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="careforall frontend" \
      org.opencontainers.image.version="${VERSION}"
RUN sed -i 's/listen  *80;/listen 8080;/; s/listen  *\[::\]:80;/listen [::]:8080;/' \
        /etc/nginx/conf.d/default.conf
COPY --from=frontend-build /frontend/dist /usr/share/nginx/html
EXPOSE 8080

# --- The gateway -----------------------------------------------------------------------------
FROM ${NGINX_IMAGE} AS gateway
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="careforall gateway" \
      org.opencontainers.image.version="${VERSION}"
# The image's entrypoint renders /etc/nginx/templates/*.template into /etc/nginx/conf.d/ with
# envsubst, but only for variables that are set: every ${CFA_*} of the template needs a value
# (here, in compose.yaml or in the Kubernetes ConfigMap). The filter keeps envsubst away from
# anything but CFA_* names. CFA_RESOLVER, when left unset, is the first name server of
# /etc/resolv.conf (docker/gateway-resolver.envsh). The names are rate settings, not secrets.
# hadolint ignore=DL3064
ENV NGINX_ENVSUBST_FILTER=^CFA_ \
    CFA_LISTEN=8080 \
    CFA_USER_UPSTREAM=user-service:8001 \
    CFA_CAMPAIGN_UPSTREAM=campaign-service:8002 \
    CFA_PLEDGE_UPSTREAM=pledge-service:8003 \
    CFA_PAYMENT_UPSTREAM=payment-service:8004 \
    CFA_FLOWER_UPSTREAM=flower:5555 \
    CFA_MEMCACHED_UPSTREAM=memcached:11211 \
    CFA_UPSTREAM_RESOLVE=resolve \
    CFA_TOKEN_RATE=120r/m \
    CFA_TOKEN_BURST=20 \
    CFA_API_RATE=20000r/s \
    CFA_API_BURST=20000 \
    CFA_ACCESS_LOG=/dev/stdout \
    CFA_STATUS_LISTEN=8081 \
    CFA_PAYMENT_SCRIPT_SRC="https://js.stripe.com https://challenges.cloudflare.com" \
    CFA_PAYMENT_FRAME_SRC="https://js.stripe.com https://hooks.stripe.com https://challenges.cloudflare.com" \
    CFA_PAYMENT_CONNECT_SRC=https://api.stripe.com \
    CFA_STATIC_ROOT=/usr/share/careforall/static \
    CFA_FRONTEND_ROOT=/usr/share/careforall/frontend
# The image's own site (conf.d/default.conf) makes way for the rendered template.
RUN rm -f /etc/nginx/conf.d/default.conf
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY --chmod=0755 docker/gateway-resolver.envsh /docker-entrypoint.d/15-careforall-resolver.envsh
COPY nginx/careforall.conf.template /etc/nginx/templates/default.conf.template
COPY --from=static /app/var/static /usr/share/careforall/static
COPY --from=frontend-build /frontend/dist /usr/share/careforall/frontend
EXPOSE 8080
