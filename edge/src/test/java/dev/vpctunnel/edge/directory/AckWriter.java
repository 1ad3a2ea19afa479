package dev.vpctunnel.edge.directory;

import java.nio.file.Path;

/** Child process of DirectoryTest: creates tunnels until it is killed, printing each id once its write returned. */
public final class AckWriter {
    private AckWriter() {
    }

    public static void main(String[] args) throws Exception {
        try (Directory d = Directory.open(Path.of(args[0]), null)) {
            String account = d.initialize().accountId();
            System.out.println(account);
            System.out.flush();
            for (int i = 0; ; i++) {
                System.out.println(d.createTunnel(account, "t" + i, null).id());
                System.out.flush();
            }
        }
    }
}
