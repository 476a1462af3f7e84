# Benchmark B: the best hand-written hardened Dockerfile for examples/python, what the guides teach
# (multi-stage, a virtualenv built on the toolchain image, pip's cache mounted, requirements first,
# distroless python with the same CPython, numeric non-root user, exec-form entrypoint).
# No "# syntax" line: the builtin Dockerfile frontend builds it, as no registry serves dockerfile images here.
# Build from examples/python: docker buildx build -f bench/hardened.Dockerfile .
FROM docker.io/library/python:3.13-trixie AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN python3 -m venv --without-pip /app/.venv
COPY requirements.txt ./
COPY wheels ./wheels
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m pip --python /app/.venv/bin/python install --no-compile -r requirements.txt
COPY server.py healthcheck.py ./
COPY hello ./hello
RUN python3 -m compileall -q /app/server.py /app/healthcheck.py /app/hello /app/.venv/lib

FROM gcr.io/distroless/python3-debian13:nonroot
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/server.py /app/healthcheck.py /app/
COPY --from=build /app/hello /app/hello
ENV PORT=8080 PYTHONUNBUFFERED=1
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s CMD ["/app/.venv/bin/python", "/app/healthcheck.py"]
ENTRYPOINT ["/app/.venv/bin/python", "/app/server.py"]
