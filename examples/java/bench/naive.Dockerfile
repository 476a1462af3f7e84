# Benchmark C: the naive Dockerfile people start from: one stage on the full toolchain image.
# Build from examples/java: docker buildx build -f bench/naive.Dockerfile .
FROM docker.io/library/eclipse-temurin:21-jdk-noble
WORKDIR /app
COPY . .
RUN javac -d classes --source-path src/main/java src/main/java/com/example/hello/Server.java
EXPOSE 8080
CMD ["java", "-cp", "classes:src/main/resources", "com.example.hello.Server"]
