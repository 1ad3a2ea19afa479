package dev.vpctunnel.edge.api;

import dev.vpctunnel.core.testing.ClientSockets;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.InitResult;
import dev.vpctunnel.edge.routing.LinkRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.vpctunnel.core.testing.RawSocket.readResponse;
import static dev.vpctunnel.core.testing.RawSocket.readToEof;
import static dev.vpctunnel.core.testing.RawSocket.send;
import static dev.vpctunnel.core.testing.RawSocket.statuses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** An admin API server on a real socket, with its directory and an executor whose tasks a test can hold back. */
abstract class ApiSocketTestBase {
    @TempDir
    Path tmp;
    Directory directory;
    AdminApiServer server;
    String account;
    String token;
    /** Task number (from 1) that {@link #executor} holds back 700 ms before running it; 0: none. */
    final java.util.concurrent.atomic.AtomicInteger slowTask = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger tasksRun = new java.util.concurrent.atomic.AtomicInteger();
    final ExecutorService executor = new java.util.concurrent.ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS,
            new java.util.concurrent.LinkedBlockingQueue<>()) {
        @Override
        protected void beforeExecute(Thread t, Runnable r) {
            if (tasksRun.incrementAndGet() == slowTask.get()) {
                try {
                    Thread.sleep(700);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    };
    private final ClientSockets sockets = new ClientSockets();

    void start(Duration requestTimeout) throws Exception {
        start(requestTimeout, ApiInitializer.MAX_CONNECTIONS);
    }

    void start(Duration requestTimeout, int maxConnections) throws Exception {
        directory = Directory.open(tmp, null);
        InitResult r = directory.initialize();
        account = r.accountId();
        token = r.apiToken();
        server = AdminApiServer.start(new InetSocketAddress("127.0.0.1", 0), directory, LinkRegistry.NONE, executor,
                requestTimeout, maxConnections);
    }

    @AfterEach
    void stop() throws Exception {
        sockets.close();
        if (server != null) {
            server.close();
        }
        if (directory != null) {
            directory.close();
        }
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }

    Socket connect() throws IOException {
        return sockets.connect(server.port());
    }

    String get(String path) {
        return "GET /client/v4/accounts/" + account + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\n\r\n";
    }

    String postHead(String auth, String framing) {
        return "POST /client/v4/accounts/" + account + "/cfd_tunnel HTTP/1.1\r\nHost: x\r\n" + auth
                + "Content-Type: application/json\r\n" + framing + "\r\n";
    }

    /** Keeps both executor threads busy (a slow store) until the latch is counted down. */
    java.util.concurrent.CountDownLatch blockExecutor() {
        java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
        for (int i = 0; i < 2; i++) {
            executor.execute(() -> {
                try {
                    busy.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        return busy;
    }
}
