package dev.vpctunnel.e2e;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Origins on loopback: an echo server, and one that cuts its response off mid-body. */
final class TestOrigins implements AutoCloseable {
    final HttpServer echo;
    final ServerSocket cutter;

    TestOrigins() throws IOException {
        echo = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        echo.createContext("/", ex -> {
            byte[] in;
            try (InputStream is = ex.getRequestBody()) {
                in = is.readAllBytes();
            }
            StringBuilder sb = new StringBuilder();
            sb.append("method=").append(ex.getRequestMethod()).append('\n')
                    .append("path=").append(ex.getRequestURI()).append('\n')
                    .append("host=").append(ex.getRequestHeaders().getFirst("Host")).append('\n')
                    .append("port=").append(ex.getLocalAddress().getPort()).append('\n')
                    .append("body=").append(in.length).append('\n');
            ex.getRequestHeaders().forEach((k, v) -> {
                if (k.toLowerCase().startsWith("cf-") || k.equalsIgnoreCase("proxy-authorization")) {
                    sb.append("leaked-header=").append(k).append('\n');
                }
            });
            byte[] out = sb.toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("x-origin", "echo");
            if (ex.getRequestURI().getPath().contains("fake-error")) {
                ex.getResponseHeaders().set("cf-vpc-error", "connect_failed");
            }
            // "unsized" in the path: no Content-Length (the JDK's server then sends HTTP/1.1 chunks)
            ex.sendResponseHeaders(200, ex.getRequestURI().getPath().contains("unsized") ? 0 : out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        });
        echo.start();
        cutter = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!cutter.isClosed()) {
                try (Socket s = cutter.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[4096];
                    int n = in.read(buf); // the request head (small, fits)
                    if (n <= 0) {
                        continue;
                    }
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.write(new byte[1000]);
                    out.flush();
                } catch (IOException e) {
                    // next
                }
            }
        }, "cutting-origin");
        t.setDaemon(true);
        t.start();
    }

    int echoPort() {
        return echo.getAddress().getPort();
    }

    int cutterPort() {
        return cutter.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        echo.stop(0);
        cutter.close();
    }
}
