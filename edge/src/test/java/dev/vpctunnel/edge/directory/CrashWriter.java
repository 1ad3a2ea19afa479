package dev.vpctunnel.edge.directory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Child process of DirectoryTest: writes big transactions forever until it is killed. */
public final class CrashWriter {
    private CrashWriter() {
    }

    public static void main(String[] args) throws Exception {
        try (Directory d = Directory.open(Path.of(args[0]), args.length > 1 ? args[1] : null)) {
            String account = d.initialize().accountId();
            TunnelRecord t = d.createTunnel(account, "crash", null);
            System.out.println("ready");
            System.out.flush();
            for (int i = 0; ; i++) {
                ServiceRecord s = d.createService(account, new ServiceSpec("s" + i, 80, 443, "10.0.0.1", null, null,
                        t.id(), List.of()));
                List<BindingRecord> bs = new ArrayList<>();
                for (int b = 0; b < 40; b++) {
                    bs.add(new ServiceBinding("B" + b, s.id()));
                }
                d.putWorker(account, "w" + i, bs);
            }
        }
    }
}
