package dev.vpctunnel.edge.cli;

import dev.vpctunnel.core.InputFiles;
import dev.vpctunnel.core.tls.Pki;
import dev.vpctunnel.edge.directory.Cidr;
import dev.vpctunnel.edge.directory.Directory;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        boolean dirExisted = Files.isDirectory(data);
        List<Path> certFiles = List.of(data.resolve(CA_CERT), data.resolve(CA_KEY), data.resolve(CERT), data.resolve(KEY));
        List<Path> before = certFiles.stream().filter(Files::exists).toList();
        try {
            createDir(data);
            boolean certsExisted = ensureCertificates();
            InitResult r;
            try (Directory d = Directory.open(data, store)) {
                r = d.initialize();
            }
            print(out, r, certsExisted && !r.created());
            return 0;
        } catch (SQLException e) {
            undo(dirExisted, certFiles, before); // a store that cannot be used leaves the data dir as it was
            String m = String.valueOf(e.getMessage());
            if (m.contains("locked") || m.contains("already in use")) {
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
        }
        err.flush();
        return 1;
    }

    /** Removes the certificate files this run wrote (not those there before), and the data dir if this run made it. */
    private void undo(boolean dirExisted, List<Path> certFiles, List<Path> before) {
        try {
            for (Path p : certFiles) {
                if (!before.contains(p)) {
                    Files.deleteIfExists(p);
                }
            }
            if (!dirExisted) {
                try (var left = Files.list(data)) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(data);
                    }
                }
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

    /** Creates the CA and the server certificate when missing; true when both were already there. */
    private boolean ensureCertificates() throws IOException {
        Path caCert = data.resolve(CA_CERT);
        Path caKey = data.resolve(CA_KEY);
        Path cert = data.resolve(CERT);
        Path key = data.resolve(KEY);
        boolean caExisted = Files.exists(caCert) && Files.exists(caKey);
        if (caExisted && Files.exists(cert) && Files.exists(key)) {
            return true;
        }
        Pki.Issued ca;
        if (caExisted) {
            ca = new Pki.Issued(Pki.readCertificates(caCert).get(0), Pki.readPrivateKey(caKey));
        } else {
            ca = Pki.newCa("vpc-tunnel edge CA", Duration.ofDays(3650));
            Pki.writePrivate(caKey, pkcs8(ca.key()));
            Files.writeString(caCert, ca.certificatePem());
        }
        Pki.Issued leaf = Pki.issue(ca, "vpc-tunnel edge", Pki.defaultSans(sans), Duration.ofDays(825));
        Pki.writePrivate(key, pkcs8(leaf.key()));
        Files.writeString(cert, leaf.certificatePem() + ca.certificatePem());
        return false;
    }

    /** PEM "PRIVATE KEY" (PKCS#8), which Netty, OpenSSL and Pki.readPrivateKey all read. */
    static String pkcs8(PrivateKey key) throws IOException {
        return Pki.toPem(new JcaPKCS8Generator(key, null));
    }

    private void print(PrintWriter out, InitResult r, boolean already) {
        String ca = data.resolve(CA_CERT).toString();
        if (json) {
            ObjectNode o = ApiClient.JSON.createObjectNode();
            o.put("account_id", r.accountId());
            o.put("api_token", r.apiToken());
            o.put("edge_ca", ca);
            if (already) {
                o.put("already_initialized", true);
            }
            out.println(ApiClient.JSON.writeValueAsString(o));
        } else if (already) {
            out.println(data + " is already initialised; nothing changed.");
            out.println("account id: " + r.accountId());
            out.println("edge CA:    " + ca);
            out.println("(the API token was printed by the first 'edge init'; create more with 'edge token create')");
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
