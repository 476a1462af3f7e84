package com.example.hello;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A small HTTP API on the JDK's own server: GET / says hello as JSON, GET /healthz answers ok.
 * --port=N overrides PORT; --health asks a running server's /healthz (the image's health check).
 */
public final class Server {
    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        boolean health = false;
        for (String a : args) {
            if (a.startsWith("--port=")) {
                port = Integer.parseInt(a.substring("--port=".length()));
            } else if (a.equals("--health")) {
                health = true;
            }
        }
        if (health) {
            System.exit(healthy(port) ? 0 : 1);
        }

        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", Server::hello);
        server.createContext("/healthz", ex -> send(ex, "text/plain", "ok"));
        server.start();
        // Stop cleanly on docker stop / Kubernetes termination.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(1)));
        System.out.println(banner() + ": listening on :" + port);
    }

    private static void hello(HttpExchange ex) throws IOException {
        String name = null;
        String query = ex.getRequestURI().getRawQuery();
        if (query != null) {
            for (String kv : query.split("&")) {
                if (kv.startsWith("name=")) {
                    name = URLDecoder.decode(kv.substring(5), StandardCharsets.UTF_8);
                }
            }
        }
        String json = String.format("{\"message\":\"%s\",\"java\":\"%s\",\"uid\":%d}",
                Greeting.of(name).replace("\\", "\\\\").replace("\"", "\\\""),
                System.getProperty("java.version"), new UnixSystem().getUid());
        send(ex, "application/json", json);
    }

    private static void send(HttpExchange ex, String type, String body) throws IOException {
        byte[] out = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
    }

    private static boolean healthy(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/healthz").toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static String banner() throws IOException {
        try (InputStream in = Server.class.getResourceAsStream("/banner.txt")) {
            return in == null ? "server" : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }
}
