# syntax=docker/dockerfile:1
# Stage 1 builds the wheel; stage 2 installs only that wheel, so packaging mistakes fail the build.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY proxy ./proxy
COPY translations ./translations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# The container's listen addresses live in this file, not in CMD flags: flags would beat
# MODA_PROXY__SERVER__LISTEN and any config mounted here.
COPY deploy/docker/config.yaml /etc/moda-compat-proxy/config.yaml
USER 10001
EXPOSE 8080 9180
# Asks the admin listener of the shipped config; if you move admin.listen, override this too.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9180/-/healthz', timeout=2)"]
ENTRYPOINT ["moda-compat-proxy"]
CMD ["--config", "/etc/moda-compat-proxy/config.yaml"]
