// HardenedBuild runs the JDK's own tools (javac, jar) one after the other in one JVM, for the javac
// builds of hardened's java language: one exec-form step with no shell, and one JVM start where
// `javac ... && jar ...` in a shell would pay two.
//
//   java /hardened/java/HardenedBuild.java javac ARGS... -- jar ARGS... [-- TOOL ARGS...]...
//
// Each command between "--" separators is a tool name as java.util.spi.ToolProvider finds it and its
// arguments. The first command that fails ends the run with its exit code; a tool the JDK lacks
// exits 2. The frontend writes this file into the builder, and java runs it as a source file.
//
//   java /hardened/java/HardenedBuild.java app-runtime RELEASE APP_DIR OUTPUT DATE CACHE
//
// makes the app's own runtime: jdeps lists the modules the jars under APP_DIR need, jlink links a JRE
// of only those at OUTPUT, with this JDK's trust store, and every file of it is stamped with DATE (an
// ISO-8601 instant), so the same jars give the same tree. CACHE keeps the last JREs by what decides
// them (modules, JDK, date): a source change that needs no other module copies one instead of linking.
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
        if (args.length > 0 && args[0].equals("app-runtime")) {
            System.exit(appRuntime(Arrays.copyOfRange(args, 1, args.length)));
        }
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

    // Modules the JDK finds through services, which jdeps cannot see in the bytecode: the elliptic-curve
    // ciphers of TLS (a module of its own before Java 22).
    private static final List<String> SERVICE_MODULES = List.of("jdk.crypto.ec");

    private static int appRuntime(String[] args) throws IOException {
        if (args.length != 5) {
            System.err.println("hardened: app-runtime RELEASE APP_DIR OUTPUT DATE CACHE");
            return 2;
        }
        String release = args[0];
        Path out = Path.of(args[2]);
        FileTime date = FileTime.from(Instant.parse(args[3]));
        List<String> jars = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(Path.of(args[1]))) {
            walk.filter(p -> p.toString().endsWith(".jar") && Files.isRegularFile(p)).map(Path::toString).sorted().forEach(jars::add);
        }
        if (jars.isEmpty()) {
            System.err.println("hardened: no jar under " + args[1] + " for jdeps to read");
            return 2;
        }
        jars.addAll(nestedJars(jars));
        List<String> jdeps = new ArrayList<>(List.of("--ignore-missing-deps", "--print-module-deps", "--multi-release", release));
        jdeps.addAll(jars);
        StringWriter found = new StringWriter();
        ToolProvider tool = ToolProvider.findFirst("jdeps").orElseThrow();
        int rc = tool.run(new PrintWriter(found, true), new PrintWriter(System.err, true), jdeps.toArray(new String[0]));
        if (rc != 0) {
            System.err.println("hardened: jdeps exited with " + rc);
            return rc;
        }
        TreeSet<String> modules = new TreeSet<>(List.of("java.base"));
        for (String m : found.toString().trim().split("[,\\s]+")) {
            if (!m.isEmpty()) {
                modules.add(m);
            }
        }
        for (String m : SERVICE_MODULES) {
            if (ModuleFinder.ofSystem().find(m).isPresent()) {
                modules.add(m);
            }
        }
        System.out.println("hardened: the jars need " + String.join(",", modules));
        Path home = Path.of(System.getProperty("java.home"));
        String key = sha256(String.join(",", modules) + "\n" + home + "\n" + Runtime.version() + "\n" + args[3] + "\n" + CACHE_FORMAT);
        Path cached = Path.of(args[4]).resolve(key);
        if (Files.isRegularFile(cached.resolve("release"))) {
            System.out.println("hardened: the JRE of these modules is in the cache, " + cached);
            copyTree(cached, out);
            stamp(out, date);
            return 0;
        }
        // No --compress: zipped resources in lib/modules shrink the tree but make the gzip'd layer larger
        // (zip does not compress again) and slow every class load.
        List<String> jlink = new ArrayList<>(List.of("--add-modules", String.join(",", modules), "--output", out.toString(),
            "--strip-debug", "--no-man-pages", "--no-header-files"));
        if (Files.isDirectory(home.resolve("jmods"))) {
            jlink.addAll(List.of("--module-path", home.resolve("jmods").toString()));
        }
        rc = run("jlink", jlink.toArray(new String[0]));
        if (rc != 0) {
            return rc;
        }
        // jlink takes java.base's trust store from the jmod; the JDK image's own is the one its vendor keeps.
        Path cacerts = Path.of("lib", "security", "cacerts");
        if (Files.isRegularFile(home.resolve(cacerts))) {
            Files.copy(home.resolve(cacerts), out.resolve(cacerts), StandardCopyOption.REPLACE_EXISTING);
        }
        stamp(out, date);
        keep(out, cached);
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

    // CACHE_FORMAT changes when what this tool puts in a JRE does, so a cached one from before is not used.
    private static final String CACHE_FORMAT = "1";

    // CACHE_KEEP is how many JREs the cache holds: each is tens of megabytes.
    private static final int CACHE_KEEP = 4;

    private static String sha256(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // keep puts a copy of the JRE in the cache, under a temporary name renamed into place, and drops the
    // oldest beyond CACHE_KEEP.
    private static void keep(Path jre, Path cached) throws IOException {
        Path cache = cached.getParent();
        Files.createDirectories(cache);
        Path tmp = Files.createTempDirectory(cache, ".new-");
        copyTree(jre, tmp.resolve("jre"));
        Files.move(tmp.resolve("jre"), cached, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(tmp);
        List<Path> all = new ArrayList<>();
        try (Stream<Path> list = Files.list(cache)) {
            list.filter(p -> !p.getFileName().toString().startsWith(".")).forEach(all::add);
        }
        all.sort((a, b) -> {
            try {
                return Files.getLastModifiedTime(b, LinkOption.NOFOLLOW_LINKS).compareTo(Files.getLastModifiedTime(a, LinkOption.NOFOLLOW_LINKS));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Files.setLastModifiedTime(cached, FileTime.from(Instant.now()));
        for (Path old : all.subList(Math.min(all.size(), CACHE_KEEP), all.size())) {
            if (!old.equals(cached)) {
                deleteTree(old);
            }
        }
    }

    // copyTree copies a JRE with its links as links and its modes (stamp sets the times).
    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isSymbolicLink(p)) {
                    Files.createSymbolicLink(dest, Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                    dirs.add(p);
                } else {
                    Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        for (Path d : dirs) {
            Files.setPosixFilePermissions(to.resolve(from.relativize(d).toString()), Files.getPosixFilePermissions(d));
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
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
