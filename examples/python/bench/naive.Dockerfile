# Benchmark C: the naive Dockerfile people start from: one stage on the full toolchain image.
# Build from examples/python: docker buildx build -f bench/naive.Dockerfile .
FROM docker.io/library/python:3.13-trixie
WORKDIR /app
COPY . .
RUN pip install --break-system-packages -r requirements.txt
EXPOSE 8080
CMD ["python3", "server.py"]
