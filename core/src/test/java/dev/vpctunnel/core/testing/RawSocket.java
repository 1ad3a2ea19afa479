package dev.vpctunnel.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/** HTTP/1.1 by hand on a plain socket, for tests of how a server treats the bytes it is sent (ISO-8859-1 both ways). */
public final class RawSocket {
    private static final Pattern STATUS = Pattern.compile("HTTP/1.1 (\\d{3})");

    private RawSocket() {
    }

    public static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** Reads up to the end of the stream within the time limit; fails if the server keeps the connection open. */
    public static String readToEof(Socket s, Duration limit) throws IOException {
        s.setSoTimeout((int) limit.toMillis());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            fail("the server kept the connection open for " + limit + "; read so far: "
                    + out.toString(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            // a reset is a close too
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** One response: head and a body of its Content-Length. */
    public static String readResponse(Socket s) throws IOException {
        s.setSoTimeout(5000);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed in the response head: " + head);
            }
            head.write(b);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return h + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    /** The status codes of every HTTP/1.1 response in {@code all}, in order. */
    public static List<String> statuses(String all) {
        return STATUS.matcher(all).results().map(m -> m.group(1)).toList();
    }
}
