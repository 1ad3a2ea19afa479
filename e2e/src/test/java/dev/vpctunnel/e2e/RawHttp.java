package dev.vpctunnel.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A deliberately plain HTTP/1.1 client over a socket, so tests control every header (Proxy-Authorization too). */
final class RawHttp {
    record Response(int status, Map<String, String> headers, byte[] body, boolean complete, String reason) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    static Response send(int port, String requestHead, byte[] body) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(requestHead.getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            return read(s.getInputStream());
        }
    }

    static Response read(InputStream in) throws IOException {
        String statusLine = line(in);
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        String reason = statusLine.split(" ", 3).length == 3 ? statusLine.split(" ", 3)[2] : null;
        Map<String, String> headers = new LinkedHashMap<>();
        String l;
        while (!(l = line(in)).isEmpty()) {
            int c = l.indexOf(':');
            headers.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean complete;
        if (headers.containsKey("content-length")) {
            long n = Long.parseLong(headers.get("content-length"));
            complete = copy(in, body, n) == n;
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            complete = false;
            try {
                while (true) {
                    String size = line(in);
                    long n = Long.parseLong(size.split(";")[0].trim(), 16);
                    if (n == 0) {
                        line(in);
                        complete = true;
                        break;
                    }
                    if (copy(in, body, n) != n) {
                        break;
                    }
                    line(in);
                }
            } catch (IOException | NumberFormatException e) {
                complete = false;
            }
        } else {
            copy(in, body, Long.MAX_VALUE);
            complete = true;
        }
        return new Response(status, headers, body.toByteArray(), complete, reason);
    }

    private static long copy(InputStream in, ByteArrayOutputStream out, long n) {
        byte[] buf = new byte[8192];
        long done = 0;
        try {
            while (done < n) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) {
                    break;
                }
                out.write(buf, 0, r);
                done += r;
            }
        } catch (IOException e) {
            // cut off: the caller sees fewer bytes than announced
        }
        return done;
    }

    /**
     * The bytes up to and including the next empty line, as text: a request head, or a chunked body's trailers (just
     * CRLF when there are none). Shorter, without that end, when the connection closes first.
     */
    static String readBlock(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!(sb.length() >= 4 && sb.lastIndexOf("\r\n\r\n") == sb.length() - 4) && !sb.toString().equals("\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        if (c < 0 && sb.length() == 0) {
            throw new IOException("connection closed");
        }
        return sb.toString();
    }
}
