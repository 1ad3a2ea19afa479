package dev.vpctunnel.core.testing;

import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/** The plain sockets a test opens to a server on loopback, closed together when the test ends. */
public final class ClientSockets implements AutoCloseable {
    private final List<Socket> open = new ArrayList<>();

    /** A socket to 127.0.0.1:{@code port}, closed by {@link #close}. */
    public Socket connect(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        open.add(s);
        return s;
    }

    @Override
    public void close() throws IOException {
        for (Socket s : open) {
            s.close();
        }
        open.clear();
    }
}
