// HardenedBuild runs the JDK's own tools (javac, jar) one after the other in one JVM, for the javac
// builds of hardened's java language: one exec-form step with no shell, and one JVM start where
// `javac ... && jar ...` in a shell would pay two.
//
//   java /hardened/java/HardenedBuild.java javac ARGS... -- jar ARGS... [-- TOOL ARGS...]...
//
// Each command between "--" separators is a tool name as java.util.spi.ToolProvider finds it and its
// arguments, or one of this file's two commands below. The first command that fails ends the run with
// its exit code; a tool the JDK lacks exits 2. The frontend writes this file into the builder, and java
// runs it as a source file.
//
//   app-modules RELEASE APP_DIR MODULES
//
// writes to the file MODULES the JDK modules the jars under APP_DIR use, as jdeps finds them, with
// java.base and the service modules below, comma-separated in order: all a JRE for them depends on.
//
//   app-jre MODULES OUTPUT DATE
//
// links a JRE of those modules at OUTPUT with jlink, with this JDK's trust store, every file stamped
// with DATE (an ISO-8601 instant), so the same modules give the same tree. The two are apart so that a
// build runs jlink only when the list changes, not on every change of the jars.
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

public final class HardenedBuild {
    private HardenedBuild() {}

    public static void main(String[] args) throws IOException {
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

    private static int run(String name, String[] args) throws IOException {
        switch (name) {
            case "app-modules":
                return appModules(args);
            case "app-jre":
                return appJre(args);
            default:
                return runTool(name, args);
        }
    }

    private static int runTool(String name, String[] args) {
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

    // Modules the JDK finds through services, which jdeps cannot see in the bytecode: the elliptic-curve
    // ciphers of TLS (a module of its own before Java 22).
    private static final List<String> SERVICE_MODULES = List.of("jdk.crypto.ec");

    private static int appModules(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("hardened: app-modules RELEASE APP_DIR MODULES");
            return 2;
        }
        String release = args[0];
        List<String> jars = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(Path.of(args[1]))) {
            walk.filter(p -> p.toString().endsWith(".jar") && Files.isRegularFile(p)).map(Path::toString).sorted().forEach(jars::add);
        }
        if (jars.isEmpty()) {
            System.err.println("hardened: no jar under " + args[1] + " for jdeps to read");
            return 2;
        }
        jars.addAll(nestedJars(jars));
        // The summary (-s) of each jar's own dependencies, not --print-module-deps, which also walks the
        // JDK's modules (three times as long): jlink adds what the modules named require.
        List<String> jdeps = new ArrayList<>(List.of("-s", "--ignore-missing-deps", "--multi-release", release));
        jdeps.addAll(jars);
        StringWriter found = new StringWriter();
        ToolProvider tool = ToolProvider.findFirst("jdeps").orElseThrow();
        int rc = tool.run(new PrintWriter(found, true), new PrintWriter(System.err, true), jdeps.toArray(new String[0]));
        if (rc != 0) {
            System.err.println("hardened: jdeps exited with " + rc);
            return rc;
        }
        // Lines "app.jar -> java.sql"; a target that is another jar or "not found" is no module of the JDK.
        TreeSet<String> modules = new TreeSet<>(List.of("java.base"));
        for (String line : found.toString().split("\\R")) {
            String[] edge = line.split(" -> ", 2);
            String m = edge.length == 2 ? edge[1].trim() : "";
            if (!m.isEmpty() && ModuleFinder.ofSystem().find(m).isPresent()) {
                modules.add(m);
            }
        }
        for (String m : SERVICE_MODULES) {
            if (ModuleFinder.ofSystem().find(m).isPresent()) {
                modules.add(m);
            }
        }
        System.out.println("hardened: the jars need " + String.join(",", modules));
        Path out = Path.of(args[2]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, String.join(",", modules) + "\n");
        return 0;
    }

    private static int appJre(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("hardened: app-jre MODULES OUTPUT DATE");
            return 2;
        }
        String modules = Files.readString(Path.of(args[0])).trim();
        Path out = Path.of(args[1]);
        FileTime date = FileTime.from(Instant.parse(args[2]));
        Path home = Path.of(System.getProperty("java.home"));
        // No --compress: zipped resources in lib/modules shrink the tree but make the gzip'd layer larger
        // (zip does not compress again) and slow every class load.
        List<String> jlink = new ArrayList<>(List.of("--add-modules", modules, "--output", out.toString(),
            "--strip-debug", "--no-man-pages", "--no-header-files"));
        if (Files.isDirectory(home.resolve("jmods"))) {
            jlink.addAll(List.of("--module-path", home.resolve("jmods").toString()));
        }
        int rc = runTool("jlink", jlink.toArray(new String[0]));
        if (rc != 0) {
            return rc;
        }
        // jlink takes java.base's trust store from the jmod; the JDK image's own is the one its vendor keeps.
        Path cacerts = Path.of("lib", "security", "cacerts");
        if (Files.isRegularFile(home.resolve(cacerts))) {
            Files.copy(home.resolve(cacerts), out.resolve(cacerts), StandardCopyOption.REPLACE_EXISTING);
        }
        stamp(out, date);
        System.out.println("hardened: linked a JRE of " + modules + " at " + out);
        return 0;
    }

    // stamp gives every file, directory and link of the tree the same time.
    private static void stamp(Path tree, FileTime date) throws IOException {
        try (Stream<Path> walk = Files.walk(tree)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(date, date, date);
            }
        }
    }

    // nestedJars extracts the libraries a fat jar carries inside it (Spring Boot's BOOT-INF/lib, a war's
    // WEB-INF/lib) to a temporary directory, for jdeps to read: it does not open jars within jars.
    private static List<String> nestedJars(List<String> jars) throws IOException {
        List<String> out = new ArrayList<>();
        Path dir = null;
        for (String jar : jars) {
            try (ZipFile zip = new ZipFile(jar)) {
                List<ZipEntry> entries = new ArrayList<>(zip.stream().toList());
                entries.sort((a, b) -> a.getName().compareTo(b.getName()));
                for (ZipEntry e : entries) {
                    String name = e.getName();
                    if (e.isDirectory() || !name.endsWith(".jar") || !(name.startsWith("BOOT-INF/lib/") || name.startsWith("WEB-INF/lib/"))) {
                        continue;
                    }
                    if (dir == null) {
                        dir = Files.createTempDirectory("hardened-nested");
                        dir.toFile().deleteOnExit();
                    }
                    Path to = dir.resolve(out.size() + "-" + Path.of(name).getFileName());
                    try (var in = zip.getInputStream(e)) {
                        Files.copy(in, to);
                    }
                    to.toFile().deleteOnExit();
                    out.add(to.toString());
                }
            }
        }
        return out;
    }
}
