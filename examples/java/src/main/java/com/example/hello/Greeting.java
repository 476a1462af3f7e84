package com.example.hello;

/** What the service says. */
final class Greeting {
    private Greeting() {}

    static String of(String name) {
        if (name == null || name.isBlank()) {
            name = "world";
        }
        return "hello, " + name;
    }
}
