package dev.vpctunnel.edge.cli;

import dev.vpctunnel.core.InputFiles;
import dev.vpctunnel.core.tls.CertificateExpiry;
import dev.vpctunnel.core.tls.Pki;
import dev.vpctunnel.edge.directory.Cidr;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.FileAccess;
import dev.vpctunnel.edge.directory.H2Store;
import dev.vpctunnel.edge.directory.HostnameRoutes;
import dev.vpctunnel.edge.directory.InitResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ObjectNode;

import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

import java.io.IOException;
import java.security.PrivateKey;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * edge init --data DIR: the directory store, the edge CA and server certificate, one account and an all-roles API
 * token printed once. Idempotent: an initialised DIR is left as it is.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create the edge's data directory: store, TLS CA and certificate, account and API token.")
public final class InitCommand implements Callable<Integer> {
    static final String CA_CERT = "edge-ca.pem";
    static final String CA_KEY = "edge-ca.key";
    static final String CERT = "edge-cert.pem";
    static final String KEY = "edge-key.pem";

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", required = true, description = "Data directory (created 0700).")
    Path data;

    @Option(names = "--san", paramLabel = "NAME|IP", description = "Extra name or IP for the server certificate; repeatable.")
    List<String> sans = new ArrayList<>();

    @Option(names = "--store", paramLabel = "JDBC_URL",
            description = "Directory store (default: embedded H2 in DIR; or jdbc:postgresql://…).")
    String store;

    @Option(names = "--json", description = "Print exactly one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (String s : sans) {
            String v = s.startsWith("*.") ? s.substring(2) : s;
            if (Cidr.parseIp(s) == null && !HostnameRoutes.isHostname(v)) {
                err.println("edge init: --san '" + s + "' is neither a DNS name nor an IP address");
                err.flush();
                return 2;
            }
        }
        java.util.Optional<String> unreadable = store == null
                ? FileAccess.unreadable(data, CA_CERT, CA_KEY, CERT, KEY, H2Store.FILE)
                : FileAccess.unreadable(data, CA_CERT, CA_KEY, CERT, KEY);
        if (unreadable.isPresent()) { // else files it cannot see look missing, and an unreadable store damaged
            err.println("edge init: " + unreadable.get() + "; nothing changed");
            err.flush();
            return 1;
        }
        Path created = firstMissing(data.toAbsolutePath()); // what createDir makes, to take back on failure
        // an embedded store this run makes is taken back too (a full disk left an 86 KiB one after "nothing changed")
        Path newStore = store == null && !Files.exists(data.resolve(H2Store.FILE)) ? data.resolve(H2Store.FILE) : null;
        Map<Path, Path> staged = new LinkedHashMap<>(); // new certificate files, written aside until the store is ready
        boolean done = false;
        InitResult r = null;
        UnfinishedInit unfinished = null;
        boolean reissued = false;
        boolean othersStore = false; // the store is another process's (an init or serve racing this one): never removed
        try {
            createDir(data);
            unfinished = new UnfinishedInit(data);
            UnfinishedInit.removeStaleStaged(data);
            Certs certs = stageCertificates(staged);
            try (Directory d = Directory.open(data, store)) {
                if (!d.data().hasAnyAccount()) {
                    unfinished.begin();
                }
                r = d.initialize();
                if (r.created()) {
                    unfinished.unseen(d.data().apiToken(r.apiToken()).orElseThrow().id());
                } else if (unfinished.leftOver()) {
                    r = unfinished.reissue(d, r.accountId());
                    reissued = true;
                }
            }
            for (Map.Entry<Path, Path> e : staged.entrySet()) {
                Files.move(e.getKey(), e.getValue(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            done = true;
            print(out, r, r.created() && !reissued ? null : certs, reissued);
            unfinished.done();
            if (store == null) {
                closeToOthers(err); // after the token is out: a failure here only warns
            }
            return 0;
        } catch (SQLException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("locked") || m.contains("already in use")) {
                othersStore = true;
                err.println("edge init: the directory in " + data + " is in use by another edge process (is 'edge serve'"
                        + " running on it?); nothing changed");
            } else {
                err.println("edge init: cannot open the directory store: " + m.lines().findFirst().orElse(m)
                        + "; nothing changed");
            }
        } catch (FileSystemException e) { // its message is the path alone
            err.println("edge init: " + e.getFile() + ": " + InputFiles.reason(e));
        } catch (IOException | RuntimeException e) {
            err.println("edge init: " + e.getMessage());
        } finally {
            if (!done) {
                if (newStore != null && unfinished != null && !othersStore && deleted(newStore)) {
                    unfinished.done();
                    r = null; // nor is there an account any more
                }
                discard(staged, created); // a failed init leaves the certificates and directories as they were
                if (r != null && r.created()) { // the account is stored, its token was never shown
                    err.println("edge init: account " + r.accountId() + " was created, but not its certificates; once the"
                            + " problem above is fixed, run 'edge init --data " + data + "' again: it prints a new API token");
                }
            }
        }
        err.flush();
        return 1;
    }

    /**
     * A data directory made beforehand (a service's state directory is often 0755) loses what it grants other users
     * and its group's write: the embedded store in it holds the tunnels' secrets. A group's read (a 0750 directory is
     * someone's choice) and the setgid and sticky bits stay. One this user cannot change is warned about.
     */
    private void closeToOthers(PrintWriter err) {
        try {
            int mode = (Integer) Files.getAttribute(data, "unix:mode") & 07777;
            if ((mode & 027) != 0) {
                Files.setAttribute(data, "unix:mode", mode & ~027);
            }
        } catch (IOException | RuntimeException e) {
            err.println("edge init: warning: " + data + " may be open to other users and its mode cannot be changed ("
                    + (e instanceof IOException io ? InputFiles.reason(io) : e.getMessage())
                    + "); the store in it holds the tunnels' secrets");
            err.flush();
        }
    }

    /** The outermost of {@code dir} and its parents that does not exist yet, or null when dir exists. */
    private static Path firstMissing(Path dir) {
        Path missing = null;
        for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) {
            missing = p;
        }
        return missing;
    }

    private static boolean deleted(Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            return false;
        }
    }

    /** Removes this run's staged certificate files, and the directories this run made while they are empty. */
    private void discard(Map<Path, Path> staged, Path created) {
        try {
            for (Path p : staged.keySet()) {
                Files.deleteIfExists(p);
            }
            for (Path p = data.toAbsolutePath(); created != null && p != null && p.startsWith(created); p = p.getParent()) {
                try (var left = Files.list(p)) {
                    if (left.findAny().isPresent()) {
                        break;
                    }
                }
                Files.delete(p);
            }
        } catch (IOException e) {
            // best effort: what is left is what a later 'edge init' reuses
        }
    }

    private static void createDir(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            throw new IOException(dir + " exists and is not a directory");
        } catch (IOException e) { // the JDK's message is the path alone
            throw new IOException("cannot create directory " + dir + ": "
                    + (e instanceof NoSuchFileException ? "no such file or directory" : InputFiles.reason(e)), e);
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /**
     * Writes the CA and the server certificate that are missing to files of this run's own (staged: their temporary
     * file to their final path), which become the real ones once the store is ready; what it found and made.
     */
    private Certs stageCertificates(Map<Path, Path> staged) throws IOException {
        Path caCert = data.resolve(CA_CERT);
        Path caKey = data.resolve(CA_KEY);
        Path cert = data.resolve(CERT);
        Path key = data.resolve(KEY);
        boolean hasCaCert = Files.exists(caCert);
        boolean hasCaKey = Files.exists(caKey);
        if (hasCaCert != hasCaKey) {
            // never a new CA over half of the old one: the connectors' --edge-ca would no longer match
            if (!hasCaCert && Files.exists(cert)) {
                java.security.cert.X509Certificate restored = caOf(cert, Pki.readPrivateKey(caKey));
                if (restored != null) { // edge-ca.pem lost: the same CA again, from the chain the server presents
                    Files.writeString(stage(staged, caCert), Pki.toPem(restored));
                    if (!Files.exists(key)) {
                        stageLeaf(staged, new Pki.Issued(restored, Pki.readPrivateKey(caKey)));
                    }
                    return Certs.CA_RESTORED;
                }
            }
            Path missing = hasCaCert ? caKey : caCert;
            throw new IOException(missing + " is missing while " + (hasCaCert ? caCert : caKey) + " exists: restore it from"
                    + " a backup (a new CA would lock out every connector that trusts the old one); nothing changed");
        }
        if (!hasCaCert && (Files.exists(cert) || Files.exists(key))) {
            throw new IOException(caCert + " and " + caKey + " are missing while " + (Files.exists(cert) ? cert : key)
                    + " exists: restore them from a backup (a new CA would lock out every connector that trusts the old"
                    + " one), or start from an empty data dir; nothing changed");
        }
        boolean caExisted = hasCaCert;
        if (caExisted && Files.exists(cert) && Files.exists(key)) {
            return Certs.KEPT;
        }
        Pki.Issued ca;
        if (caExisted) {
            ca = new Pki.Issued(Pki.readCertificates(caCert).get(0), Pki.readPrivateKey(caKey));
        } else {
            ca = Pki.newCa("vpc-tunnel edge CA", Duration.ofDays(3650));
            Pki.writePrivate(stage(staged, caKey), pkcs8(ca.key()));
            Files.writeString(stage(staged, caCert), ca.certificatePem());
        }
        stageLeaf(staged, ca);
        return caExisted ? Certs.NEW_LEAF : Certs.NEW_CA;
    }

    /** A new server certificate and key issued by {@code ca}, staged. */
    private void stageLeaf(Map<Path, Path> staged, Pki.Issued ca) throws IOException {
        Pki.Issued leaf = Pki.issue(ca, "vpc-tunnel edge", Pki.defaultSans(sans), Duration.ofDays(825));
        Pki.writePrivate(stage(staged, key()), pkcs8(leaf.key()));
        Files.writeString(stage(staged, data.resolve(CERT)), leaf.certificatePem() + ca.certificatePem());
    }

    private Path key() {
        return data.resolve(KEY);
    }

    /** The CA certificate in the server certificate's chain (edge-cert.pem holds leaf + CA) that caKey signs for, or null. */
    private static java.security.cert.X509Certificate caOf(Path chainFile, PrivateKey caKey) {
        try {
            java.util.List<java.security.cert.X509Certificate> chain = Pki.readCertificates(chainFile);
            String alg = caKey instanceof java.security.interfaces.ECKey ? "SHA256withECDSA" : "SHA256withRSA";
            byte[] probe = "edge-ca".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.security.Signature sign = java.security.Signature.getInstance(alg);
            sign.initSign(caKey);
            sign.update(probe);
            byte[] sig = sign.sign();
            for (java.security.cert.X509Certificate c : chain) {
                java.security.Signature verify = java.security.Signature.getInstance(alg);
                verify.initVerify(c.getPublicKey());
                verify.update(probe);
                if (c.getBasicConstraints() >= 0 && verify.verify(sig)) {
                    return c;
                }
            }
        } catch (IOException | java.security.GeneralSecurityException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** A temporary name of this process for {@code target}, in the same directory (so the final move is atomic). */
    private static Path stage(Map<Path, Path> staged, Path target) {
        Path tmp = target.resolveSibling(target.getFileName() + ".init-" + ProcessHandle.current().pid());
        staged.put(tmp, target);
        return tmp;
    }

    /** PEM "PRIVATE KEY" (PKCS#8), which Netty, OpenSSL and Pki.readPrivateKey all read. */
    static String pkcs8(PrivateKey key) throws IOException {
        return Pki.toPem(new JcaPKCS8Generator(key, null));
    }

    /** What the certificate files were when init ran: all there, or what it made. */
    private enum Certs { KEPT, NEW_LEAF, CA_RESTORED, NEW_CA }

    /** {@code existing}: what init did with the certificates of a store that was there already; null for a new one. */
    private void print(PrintWriter out, InitResult r, Certs existing, boolean reissued) throws IOException {
        String ca = data.resolve(CA_CERT).toString();
        if (reissued && !json) {
            out.println("An earlier 'edge init' of " + data + " stopped before it showed the account's API token: that"
                    + " token is revoked, here is a new one.");
        }
        if (json) {
            ObjectNode o = ApiClient.JSON.createObjectNode();
            o.put("account_id", r.accountId());
            o.put("api_token", r.apiToken());
            o.put("edge_ca", ca);
            if (existing == Certs.KEPT && !reissued) {
                o.put("already_initialized", true);
            }
            out.println(ApiClient.JSON.writeValueAsString(o));
        } else if (existing != null && existing != Certs.KEPT && !reissued) {
            String until = CertificateExpiry.endDay(Pki.readCertificates(data.resolve(CERT)).get(0));
            out.println(switch (existing) {
                case NEW_LEAF -> data + " was initialised already: issued a new server certificate " + data.resolve(CERT)
                        + " (until " + until + ") from its CA, which connectors keep trusting; nothing else changed.";
                case CA_RESTORED -> data + " was initialised already: " + ca + " was missing and is the same CA again,"
                        + " taken from " + data.resolve(CERT) + "'s chain; nothing else changed.";
                default -> data + " was initialised already, but had no CA or server certificate: made a NEW CA and server"
                        + " certificate (until " + until + "). Connectors trust only the CA they were given: give them the"
                        + " new " + ca + " as --edge-ca, or restore the old files from a backup instead.";
            });
            out.println("account id: " + r.accountId());
            out.println("edge CA:    " + ca);
        } else if (existing == Certs.KEPT && !reissued) {
            out.println(data + " is already initialised; nothing changed.");
            out.println("account id: " + r.accountId());
            out.println("edge CA:    " + ca);
            out.println("(the API token was printed by the first 'edge init'; create more with 'edge token create', or"
                    + " with every Admin token lost, stop the edge and run 'edge token recover --data " + data + "')");
        } else {
            out.println("Initialised " + data);
            out.println("account id: " + r.accountId());
            out.println("API token:  " + (r.apiToken() == null ? "(already issued earlier)" : r.apiToken()));
            out.println("edge CA:    " + ca + "  (connectors trust it: connector run --edge-ca " + ca + ")");
            if (r.apiToken() != null) {
                out.println("The API token is shown once; keep it, e.g. export " + AdminOptions.TOKEN_ENV + "=…");
            }
        }
        out.flush();
    }
}
