package dev.vpctunnel.edge.cli;

import dev.vpctunnel.core.tls.Pki;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InitCommandTest {
    @TempDir
    Path tmp;

    @Test
    void initCreatesEverythingOnceAndIsIdempotent() throws Exception {
        Path dir = tmp.resolve("edge");
        CliTest.Run first = CliTest.run("init", "--data", dir.toString(), "--san", "edge.example.com", "--san", "10.9.8.7",
                "--json");
        assertEquals(0, first.code(), first.err());
        assertEquals(1, first.out().trim().lines().count(), "exactly one JSON object");
        JsonNode j = dev.vpctunnel.edge.testing.ApiFixture.JSON.readTree(first.out());
        String account = j.path("account_id").asString();
        assertTrue(account.matches("[0-9a-f]{32}"), account);
        String token = j.path("api_token").asString();
        assertEquals(dir.resolve("edge-ca.pem").toString(), j.path("edge_ca").asString());
        assertEquals(3, j.size());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        for (String key : List.of("edge-ca.key", "edge-key.pem")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(key))));
            Pki.readPrivateKey(dir.resolve(key));
        }
        List<X509Certificate> chain = Pki.readCertificates(dir.resolve("edge-cert.pem"));
        assertEquals(2, chain.size(), "leaf then CA");
        String sans = chain.get(0).getSubjectAlternativeNames().toString();
        for (String s : List.of("localhost", "127.0.0.1", "edge.example.com", "10.9.8.7")) {
            assertTrue(sans.contains(s), sans);
        }
        chain.get(0).verify(Pki.readCertificates(dir.resolve("edge-ca.pem")).get(0).getPublicKey());
        byte[] caBefore = Files.readAllBytes(dir.resolve("edge-ca.pem"));

        CliTest.Run again = CliTest.run("init", "--data", dir.toString(), "--json");
        assertEquals(0, again.code(), again.err());
        JsonNode a = dev.vpctunnel.edge.testing.ApiFixture.JSON.readTree(again.out());
        assertEquals(account, a.path("account_id").asString());
        assertTrue(a.path("api_token").isNull());
        assertTrue(a.path("already_initialized").asBoolean());
        assertEquals(new String(caBefore), Files.readString(dir.resolve("edge-ca.pem")));
        CliTest.Run text = CliTest.run("init", "--data", dir.toString());
        assertTrue(text.out().contains("already initialised"), text.out());

        try (Directory d = Directory.open(dir, null)) {
            var t = d.data().apiToken(token).orElseThrow();
            assertEquals(account, t.accountId());
            assertTrue(t.has(Role.READ) && t.has(Role.BIND) && t.has(Role.ADMIN));
            assertEquals(1, d.data().accounts().size());
        }
        String store = new String(Files.readAllBytes(dir.resolve("directory.mv.db")), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(!store.contains(token), "only a hash of the token is stored");
    }

    @Test
    void initWhileServeHoldsTheDirectorySaysSoAndChangesNothing() throws Exception {
        Path dir = tmp.resolve("busy");
        assertEquals(0, CliTest.run("init", "--data", dir.toString()).code());
        byte[] cert = Files.readAllBytes(dir.resolve("edge-cert.pem"));
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process serve = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), EdgeMain.class.getName(),
                "serve", "--data", dir.toString(), "--tunnel-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0",
                "--gateway-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0").redirectErrorStream(true).start();
        try {
            java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(serve.getInputStream()));
            String line;
            while ((line = r.readLine()) != null && !line.contains("metrics ready")) {
                // start-up lines
            }
            assertTrue(line != null, "edge serve started");
            CliTest.Run again = CliTest.run("init", "--data", dir.toString());
            assertEquals(1, again.code(), again.err());
            assertEquals("edge init: the directory in " + dir + " is in use by another edge process (is 'edge serve'"
                    + " running on it?); nothing changed", again.err().strip());
            CliTest.Run recover = CliTest.run("token", "recover", "--data", dir.toString());
            assertEquals(1, recover.code(), recover.err());
            assertTrue(recover.err().contains("in use by a running edge: stop it first"), recover.err());
            assertTrue(serve.isAlive(), "edge serve keeps running");
            // nor anything else: no H2 trace file of the locked store's stack traces appears in the data dir
            try (var files = Files.list(dir)) {
                assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".trace.db")).toList());
            }
        } finally {
            serve.destroy();
            serve.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
            serve.destroyForcibly();
        }
        assertTrue(java.util.Arrays.equals(cert, Files.readAllBytes(dir.resolve("edge-cert.pem"))));
        CliTest.Run after = CliTest.run("init", "--data", dir.toString());
        assertEquals(0, after.code(), after.err());
    }

    /** On a full disk init fails and leaves the data dir as it found it, no half-made store in it (root: a tmpfs). */
    @Test
    void anInitThatFailsOnAFullDiskLeavesNoStore() throws Exception {
        try (dev.vpctunnel.core.testing.SmallDisk disk = dev.vpctunnel.core.testing.SmallDisk.mount(tmp, "1m")) {
            Path mnt = disk.path();
            Path dir = Files.createDirectory(mnt.resolve("d"));
            try (var fill = java.nio.channels.FileChannel.open(mnt.resolve("fill"), java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE)) {
                fill.write(java.nio.ByteBuffer.allocate((1024 - 100) * 1024)); // 100 KiB left: the store's first chunks do not fit
            }
            CliTest.Run r = CliTest.run("init", "--data", dir.toString());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains("No space left on device") && r.err().contains("nothing changed"), r.err());
            try (var files = Files.list(dir)) {
                assertEquals(List.of(), files.map(p -> p.getFileName().toString()).toList());
            }
        }
    }

    /**
     * A data directory made beforehand and open to others (a service's state directory is often 0755) loses what it
     * grants them and its group's write; a group's read stays.
     */
    @Test
    void aDataDirectoryMadeBeforehandIsClosedToOthers() throws Exception {
        for (String[] modes : new String[][] {{"rwxr-xr-x", "rwxr-x---"}, {"rwxrwx---", "rwxr-x---"}, {"rwxr-x---", "rwxr-x---"},
                {"rwxrwxrwx", "rwxr-x---"}}) {
            Path dir = Files.createDirectory(tmp.resolve("made-" + modes[0].replace('-', '_')));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(modes[0])); // whatever the umask
            CliTest.Run r = CliTest.run("init", "--data", dir.toString(), "--json");
            assertEquals(0, r.code(), r.err());
            assertEquals(modes[1], PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), "made " + modes[0]);
        }
        Path setgid = Files.createDirectory(tmp.resolve("setgid"));
        Files.setAttribute(setgid, "unix:mode", 02775); // a group-shared directory keeps its setgid bit
        assertEquals(0, CliTest.run("init", "--data", setgid.toString(), "--json").code());
        assertEquals(02750, (Integer) Files.getAttribute(setgid, "unix:mode") & 07777);
    }

    /** The renewal 'edge serve' describes: the certificate moved away, init issues a new one from the same CA. */
    @Test
    void initRenewsAServerCertificateMovedAwayFromTheSameCa() throws Exception {
        Path dir = tmp.resolve("renew");
        assertEquals(0, CliTest.run("init", "--data", dir.toString(), "--san", "edge.example.com").code());
        String ca = Files.readString(dir.resolve(InitCommand.CA_CERT));
        String cert = Files.readString(dir.resolve(InitCommand.CERT));
        Files.delete(dir.resolve(InitCommand.CERT));
        Files.delete(dir.resolve(InitCommand.KEY));
        CliTest.Run again = CliTest.run("init", "--data", dir.toString(), "--san", "edge.example.com");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().startsWith(dir + " was initialised already: issued a new server certificate "
                + dir.resolve(InitCommand.CERT) + " (until "), again.out());
        assertEquals(ca, Files.readString(dir.resolve(InitCommand.CA_CERT)), "the CA stays");
        String renewed = Files.readString(dir.resolve(InitCommand.CERT));
        assertTrue(!renewed.equals(cert) && renewed.endsWith(ca), "a new leaf, chained to the same CA");
        java.security.cert.X509Certificate leaf = dev.vpctunnel.core.tls.Pki.readCertificates(dir.resolve(InitCommand.CERT)).get(0);
        leaf.verify(dev.vpctunnel.core.tls.Pki.readCertificates(dir.resolve(InitCommand.CA_CERT)).get(0).getPublicKey());
        assertTrue(leaf.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("edge.example.com")));
        // every PEM file gone, the store still there: a new CA, and it says connectors need it
        for (String f : List.of(InitCommand.CA_CERT, InitCommand.CA_KEY, InitCommand.CERT, InitCommand.KEY)) {
            Files.delete(dir.resolve(f));
        }
        CliTest.Run fresh = CliTest.run("init", "--data", dir.toString());
        assertEquals(0, fresh.code(), fresh.err());
        assertTrue(fresh.out().contains("made a NEW CA and server certificate") && fresh.out().contains("give them the new "
                + dir.resolve(InitCommand.CA_CERT) + " as --edge-ca"), fresh.out());
        assertTrue(!ca.equals(Files.readString(dir.resolve(InitCommand.CA_CERT))));
    }

    @Test
    void badSanIsRefusedClearly() {
        for (String bad : new String[] {"not a name", "[::1]"}) {
            CliTest.Run r = CliTest.run("init", "--data", tmp.resolve("x").toString(), "--san", bad);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--san") && r.err().contains(bad), r.err());
            assertTrue(!Files.exists(tmp.resolve("x")), "nothing created");
        }
    }

    @Test
    void aDataDirectoryThatCannotBeCreatedSaysWhy() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "");
        Path under = file.resolve("data");
        CliTest.Run r = CliTest.run("init", "--data", under.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals("edge init: cannot create directory " + under + ": not a directory", r.err().strip());
        if (Files.isDirectory(Path.of("/proc/1"))) {
            // the kernel refuses a directory there; the message was the path alone
            CliTest.Run proc = CliTest.run("init", "--data", "/proc/1/nope");
            assertEquals(1, proc.code(), proc.err());
            assertEquals("edge init: cannot create directory /proc/1/nope: no such file or directory", proc.err().strip());
        }
    }

    @Test
    void aStoreThatCannotBeOpenedLeavesAnInitialisedDirAsItWas() throws Exception {
        Path d = tmp.resolve("kept");
        assertEquals(0, CliTest.run("init", "--data", d.toString()).code());
        String ca = Files.readString(d.resolve("edge-ca.pem"));
        CliTest.Run r = CliTest.run("init", "--data", d.toString(), "--store", "jdbc:postgresql://127.0.0.1:1/db?user=u");
        assertEquals(1, r.code(), r.err());
        assertEquals(ca, Files.readString(d.resolve("edge-ca.pem")), "the CA connectors trust is kept");
        assertTrue(Files.exists(d.resolve("edge-key.pem")));
        // half a set of certificates (the CA's key missing): nothing is overwritten or added when the store fails
        Path half = tmp.resolve("half");
        Files.createDirectories(half);
        Files.writeString(half.resolve("edge-ca.pem"), "the operator's file");
        CliTest.Run h = CliTest.run("init", "--data", half.toString(), "--store", "jdbc:postgresql://127.0.0.1:1/db?user=u");
        assertEquals(1, h.code(), h.err());
        assertEquals("the operator's file", Files.readString(half.resolve("edge-ca.pem")));
        try (var left = Files.list(half)) {
            assertEquals(List.of(half.resolve("edge-ca.pem")), left.toList());
        }
    }

    @Test
    void aStoreUrlThatCannotBeUsedIsRefusedWithoutItsPassword() {
        // the PostgreSQL driver quotes a URL it cannot parse whole, password included; a user:password@ URL makes it
        // look the whole authority up as a host name
        for (String url : List.of("jdbc:postgresql://127.0.0.1:5432:x/db?user=edge&password=Hunter2-secret",
                "jdbc:postgresql://edge:Hunter2-secret@127.0.0.1:1/db")) {
            CliTest.Run r = CliTest.run("init", "--data", tmp.resolve("pg").resolve("a").resolve("b").toString(), "--store", url);
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().startsWith("edge init: cannot open the directory store: "), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(!(r.out() + r.err()).contains("Hunter2"), "no password in " + r.err());
            assertTrue(r.err().strip().endsWith("; nothing changed"), r.err());
            assertTrue(!Files.exists(tmp.resolve("pg")), "a refused store leaves no data dir with a CA behind");
            // edge serve prints the same message
            java.sql.SQLException e = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                    () -> Directory.open(tmp.resolve("pg"), url));
            assertTrue(!e.getMessage().contains("Hunter2"), e.getMessage());
        }
    }

    @Test
    void initNeverMakesANewCaOverHalfOfTheOldOne() throws Exception {
        Path dir = tmp.resolve("half");
        assertEquals(0, CliTest.run("init", "--data", dir.toString()).code());
        byte[] caPem = Files.readAllBytes(dir.resolve("edge-ca.pem"));
        byte[] caKey = Files.readAllBytes(dir.resolve("edge-ca.key"));
        byte[] cert = Files.readAllBytes(dir.resolve("edge-cert.pem"));

        Files.delete(dir.resolve("edge-ca.pem")); // lost: the same CA comes back from the server's chain
        assertEquals(0, CliTest.run("init", "--data", dir.toString()).code());
        assertEquals(Pki.readCertificates(dir.resolve("edge-cert.pem")).get(1), Pki.readCertificates(dir.resolve("edge-ca.pem")).get(0));
        X509Certificate back = Pki.readCertificates(dir.resolve("edge-ca.pem")).get(0);
        assertEquals(new String(caPem).strip(), Pki.toPem(back).strip());
        assertTrue(java.util.Arrays.equals(caKey, Files.readAllBytes(dir.resolve("edge-ca.key"))), "CA key unchanged");
        assertTrue(java.util.Arrays.equals(cert, Files.readAllBytes(dir.resolve("edge-cert.pem"))), "server cert unchanged");

        Files.delete(dir.resolve("edge-ca.key")); // no way back: refused, nothing changed
        CliTest.Run r = CliTest.run("init", "--data", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("edge-ca.key is missing while") && r.err().contains("restore it"), r.err());
        assertTrue(java.util.Arrays.equals(caPem, Files.readAllBytes(dir.resolve("edge-ca.pem"))));
        assertTrue(java.util.Arrays.equals(cert, Files.readAllBytes(dir.resolve("edge-cert.pem"))));
        Files.delete(dir.resolve("edge-ca.pem")); // both CA files gone, the server's certificate still there: refused
        r = CliTest.run("init", "--data", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("edge-ca.pem and " + dir.resolve("edge-ca.key") + " are missing while"), r.err());
        assertTrue(java.util.Arrays.equals(cert, Files.readAllBytes(dir.resolve("edge-cert.pem"))));
        assertTrue(Files.notExists(dir.resolve("edge-ca.pem")));
    }
}
