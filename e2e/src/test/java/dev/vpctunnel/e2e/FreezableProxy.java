package dev.vpctunnel.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/** A TCP relay on loopback whose current connections can be frozen: bytes stop flowing, sockets stay open. */
final class FreezableProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final List<Pair> pairs = new CopyOnWriteArrayList<>();

    private record Pair(Socket a, Socket b, AtomicBoolean frozen) {
    }

    FreezableProxy(int target) throws IOException {
        this.target = target;
        // a spare port: a connector goes on dialing it after the proxy closed, and must not reach another test JVM
        this.server = new ServerSocket(dev.vpctunnel.core.testing.SparePorts.next(), 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    int connections() {
        return pairs.size();
    }

    /** Freezes every current connection; later ones flow normally. */
    void freezeAll() {
        pairs.forEach(p -> p.frozen().set(true));
    }

    /** Closes every current connection, both sides (as a box that cuts connections would); later ones flow. */
    void cutAll() {
        for (Pair p : pairs) {
            pairs.remove(p);
            closeQuietly(p.a());
            closeQuietly(p.b());
        }
    }

    /** Lets the frozen connections flow again: the bytes held meanwhile go first, in order. */
    void thawAll() {
        pairs.forEach(p -> p.frozen().set(false));
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket a = server.accept();
                Socket b = new Socket(InetAddress.getLoopbackAddress(), target);
                Pair p = new Pair(a, b, new AtomicBoolean());
                pairs.add(p);
                pump(a, b, p);
                pump(b, a, p);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, Pair p) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    while (p.frozen().get()) {
                        Thread.sleep(50); // frozen: hold the bytes, keep the sockets open
                    }
                    out.write(buf, 0, n);
                }
            } catch (IOException | InterruptedException ignored) {
                // one side went away
            } finally {
                if (!p.frozen().get()) {
                    closeQuietly(from);
                    closeQuietly(to);
                }
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Pair p : pairs) {
            closeQuietly(p.a());
            closeQuietly(p.b());
        }
    }
}
