package dev.vpctunnel.connector.origin;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/** A listening socket whose accept backlog is full: further connects hang, as with a firewall that drops SYNs. */
final class Blackhole implements AutoCloseable {
    private final ServerSocket server = new ServerSocket();
    private final List<Socket> fillers = new ArrayList<>();

    Blackhole(InetAddress address, int port) throws IOException {
        server.bind(new InetSocketAddress(address, port), 1);
        for (int i = 0; i < 32; i++) {
            Socket s = new Socket();
            try {
                s.connect(server.getLocalSocketAddress(), 200);
                fillers.add(s);
            } catch (SocketTimeoutException e) {
                s.close();
                return;
            }
        }
        throw new IllegalStateException("the backlog never filled up");
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (Socket s : fillers) {
            s.close();
        }
        server.close();
    }
}
