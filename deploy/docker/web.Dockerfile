# MiniShop web image: the built web app served by nginx, which also load-balances /api.
#
#   docker build -f deploy/docker/web.Dockerfile -t minishop-web .   (from the repository root)
#
# nginx renders deploy/nginx/minishop.conf.template at start from NGINX_LISTEN,
# MINISHOP_UPSTREAM, MINISHOP_WEB_ROOT and PROMETHEUS_UPSTREAM (the official image's
# templates mechanism).

FROM node:20-bookworm-slim AS build
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci
COPY web/ ./
RUN npm run build

FROM nginx:1.22
COPY --from=build /web/dist /usr/share/nginx/html
# Replaces the image's default server: this one is the only site.
COPY deploy/nginx/minishop.conf.template /etc/nginx/templates/default.conf.template
ENV NGINX_LISTEN=80 \
    MINISHOP_UPSTREAM=gateway:8080 \
    MINISHOP_WEB_ROOT=/usr/share/nginx/html \
    PROMETHEUS_UPSTREAM=prometheus:9090
EXPOSE 80
