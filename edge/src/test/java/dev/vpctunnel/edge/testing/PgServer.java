package dev.vpctunnel.edge.testing;

import dev.vpctunnel.core.testing.SparePorts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server for tests: VPC_TEST_PG_URL when set (a JDBC URL with credentials), else a throwaway cluster
 * made with the local initdb/pg_ctl on loopback (as the 'postgres' user when running as root), stopped at exit.
 * Empty, with the reason in {@link #why()}, when neither is possible.
 */
public final class PgServer {
    private static String baseUrl;
    private static String why;
    private static boolean tried;

    private PgServer() {
    }

    public static synchronized String why() {
        return why;
    }

    /** A JDBC URL of a fresh, empty database on the server. */
    public static synchronized Optional<String> newDatabase() {
        if (!tried) {
            tried = true;
            try {
                baseUrl = start();
            } catch (Exception e) {
                why = "cannot start a local PostgreSQL: " + e.getMessage();
            }
        }
        if (baseUrl == null) {
            return Optional.empty();
        }
        String db = "vpc_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(baseUrl)) {
            c.createStatement().execute("CREATE DATABASE " + db);
        } catch (Exception e) {
            why = "cannot create a database: " + e.getMessage();
            return Optional.empty();
        }
        return Optional.of(baseUrl.replaceFirst("/[A-Za-z0-9_]+(\\?|$)", "/" + db + "$1"));
    }

    private static String start() throws Exception {
        String env = System.getenv("VPC_TEST_PG_URL");
        if (env != null && !env.isBlank()) {
            return env;
        }
        Path bin = findBin();
        if (bin == null) {
            throw new IOException("no initdb/pg_ctl found (install postgresql or set VPC_TEST_PG_URL)");
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("vpc-pg");
        Path data = dir.resolve("data");
        if (root) {
            exec(List.of("chown", "postgres", dir.toString()), false);
        }
        exec(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "-A", "trust",
                "--no-sync", "-E", "UTF8"), root);
        int port = SparePorts.next();
        String opts = "-h 127.0.0.1 -p " + port + " -k " + dir + " -c fsync=off -c synchronous_commit=off";
        exec(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-o", opts, "-l",
                dir.resolve("log").toString(), "-w", "-t", "30", "start"), root);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                exec(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), root);
                exec(List.of("rm", "-rf", dir.toString()), false);
            } catch (Exception ignored) {
                // best effort at exit
            }
        }));
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    private static Path findBin() throws IOException {
        Path lib = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(lib)) {
            try (var versions = Files.list(lib)) {
                for (Path v : versions.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    if (Files.isExecutable(v.resolve("bin/initdb")) && Files.isExecutable(v.resolve("bin/pg_ctl"))) {
                        return v.resolve("bin");
                    }
                }
            }
        }
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path d = Path.of(p);
            if (Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl"))) {
                return d;
            }
        }
        return null;
    }

    private static void exec(List<String> cmd, boolean asPostgres) throws Exception {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(cmd);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " failed: " + out.trim());
        }
    }
}
