# Benchmark B: the best hand-written hardened Dockerfile for examples/java, what the guides teach
# (multi-stage: compile and jar on the JDK, run on distroless java with no JDK, numeric non-root
# user, exec-form entrypoint).
# No "# syntax" line: the builtin Dockerfile frontend builds it, as no registry serves dockerfile images here.
# Build from examples/java: docker buildx build -f bench/hardened.Dockerfile .
FROM docker.io/library/eclipse-temurin:21-jdk-noble AS build
WORKDIR /src
COPY src ./src
RUN javac --release 21 -encoding UTF-8 -d /tmp/classes --source-path src/main/java \
        src/main/java/com/example/hello/Server.java && \
    mkdir -p /out && \
    jar --create --file /out/Server.jar --main-class com.example.hello.Server \
        -C /tmp/classes . -C src/main/resources .

FROM gcr.io/distroless/java21-debian13:nonroot
WORKDIR /app
COPY --from=build /out/Server.jar /app/Server.jar
ENV PORT=8080
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s CMD ["/usr/bin/java", "-jar", "/app/Server.jar", "--health"]
ENTRYPOINT ["/usr/bin/java", "-jar", "/app/Server.jar"]
