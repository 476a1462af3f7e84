package com.example.hello;

import com.google.gson.Gson;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.lang3.StringUtils;

/**
 * GET / says hello as JSON (written by Gson, the name tidied by Commons Lang), GET /healthz answers ok.
 * --port=N overrides PORT.
 */
public final class Server {
    private static final Gson GSON = new Gson();

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        for (String a : args) {
            if (a.startsWith("--port=")) {
                port = Integer.parseInt(a.substring("--port=".length()));
            }
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", Server::hello);
        server.createContext("/healthz", ex -> send(ex, "text/plain", "ok"));
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(1)));
        System.out.println("hello-maven: listening on :" + port);
    }

    private static void hello(HttpExchange ex) throws IOException {
        String name = "world";
        String query = ex.getRequestURI().getRawQuery();
        if (query != null) {
            for (String kv : query.split("&")) {
                if (kv.startsWith("name=")) {
                    name = URLDecoder.decode(kv.substring(5), StandardCharsets.UTF_8);
                }
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", "hello, " + StringUtils.abbreviate(StringUtils.normalizeSpace(name), 40));
        body.put("java", System.getProperty("java.version"));
        body.put("uid", new UnixSystem().getUid());
        body.put("libraries", StringUtils.class.getPackage().getName() + " " + Gson.class.getPackage().getName());
        send(ex, "application/json", GSON.toJson(body));
    }

    private static void send(HttpExchange ex, String type, String body) throws IOException {
        byte[] out = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
    }
}
