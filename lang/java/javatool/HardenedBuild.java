// HardenedBuild runs the JDK's own tools (javac, jar) one after the other in one JVM, for the javac
// builds of hardened's java language: one exec-form step with no shell, and one JVM start where
// `javac ... && jar ...` in a shell would pay two.
//
//   java /hardened/java/HardenedBuild.java javac ARGS... -- jar ARGS... [-- TOOL ARGS...]...
//
// Each command between "--" separators is a tool name as java.util.spi.ToolProvider finds it and its
// arguments. The first command that fails ends the run with its exit code; a tool the JDK lacks
// exits 2. The frontend writes this file into the builder, and java runs it as a source file.
import java.util.Arrays;
import java.util.spi.ToolProvider;

public final class HardenedBuild {
    private HardenedBuild() {}

    public static void main(String[] args) {
        int start = 0;
        for (int i = 0; i <= args.length; i++) {
            if (i < args.length && !args[i].equals("--")) {
                continue;
            }
            if (i > start) {
                int rc = run(args[start], Arrays.copyOfRange(args, start + 1, i));
                if (rc != 0) {
                    System.exit(rc);
                }
            }
            start = i + 1;
        }
    }

    private static int run(String name, String[] args) {
        ToolProvider tool = ToolProvider.findFirst(name).orElse(null);
        if (tool == null) {
            System.err.println("hardened: this JDK has no " + name + " tool");
            return 2;
        }
        int rc = tool.run(System.out, System.err, args);
        System.out.flush();
        System.err.flush();
        if (rc != 0) {
            System.err.println("hardened: " + name + " exited with " + rc);
        }
        return rc;
    }
}
