package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.testing.ApiFixture;
import dev.vpctunnel.edge.testing.ApiFixture.Resp;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.vpctunnel.core.testing.RawSocket.statuses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin API against bytes no client library would send: oversized, malformed, garbage, pipelined. */
class AdminApiBadInputTest extends ApiTestBase {
    @Test
    void oversizedMalformedAndGarbageNeverKillTheServer() throws Exception {
        String svc = f.acct("/connectivity/directory/services");
        String big = "{\"type\":\"http\",\"name\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}";
        Resp r = f.post(svc, big);
        assertEquals(413, r.status());
        assertFalse(r.body().path("success").asBoolean(true));
        assertEquals(400, f.post(svc, "{not json").status());
        String multipart = "--X\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"bindings\":[]}\r\n--X--\r\n";
        Resp m = f.call("PUT", f.acct("/workers/scripts/w"), multipart);
        assertEquals(400, m.status());
        assertTrue(m.error().contains("multipart/form-data is not taken here; send application/json"), m.error());
        try (Socket s = new Socket("127.0.0.1", f.server.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(("POST " + svc + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f.token
                    + "\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String head = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(head.startsWith("HTTP/1.1 413"), head);
            assertTrue(head.contains("\"success\":false"), head);
        }
        try (Socket s = new Socket("127.0.0.1", f.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write("\u0000\u0001garbage\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            int n = in.read(buf);
            assertTrue(n <= 0 || new String(buf, 0, n, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 4"));
        }
        assertEquals(200, f.get(f.acct("/cfd_tunnel")).status(), "still serving");
    }

    @Test
    void malformedPercentEscapesGet400AndTheServerKeepsServing() throws Exception {
        List<String> bad = List.of("/client/v4/accounts/%zz/cfd_tunnel", f.acct("/cfd_tunnel?x=%"));
        for (String target : bad) {
            try (Socket s = new Socket("127.0.0.1", f.server.port())) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f.token
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(all.startsWith("HTTP/1.1 400"), target + " -> " + all);
                JsonNode body = ApiFixture.JSON.readTree(all.substring(all.indexOf("\r\n\r\n") + 4));
                assertFalse(body.path("success").asBoolean(true), all);
                assertEquals(1001, body.path("errors").path(0).path("code").asInt(), all);
                assertTrue(body.path("errors").path(0).path("message").asString().contains("%-escape"), all);
                assertTrue(body.path("messages").isArray(), all);
                assertTrue(body.path("result").isNull(), all);
            }
        }
        assertEquals(List.of("200", "400", "400", "200"),
                pipelinedStatuses(List.of(f.acct("/cfd_tunnel"), bad.get(0), bad.get(1), f.acct("/cfd_tunnel"))),
                "in order, on the same connection");
        assertEquals(200, f.get(f.acct("/cfd_tunnel")).status(), "still serving");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        String tunnel = f.tunnel("p");
        String ok = f.acct("/cfd_tunnel/" + tunnel);
        String nope = f.acct("/nope");
        assertEquals(List.of("200", "404", "200", "404", "200"), pipelinedStatuses(List.of(ok, nope, ok, nope, ok)));
    }

    /** GETs of the targets sent at once on one connection (the last with Connection: close): the statuses, in order. */
    private List<String> pipelinedStatuses(List<String> targets) throws Exception {
        StringBuilder req = new StringBuilder();
        for (int i = 0; i < targets.size(); i++) {
            req.append("GET ").append(targets.get(i)).append(" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
                    .append(f.token).append("\r\n").append(i == targets.size() - 1 ? "Connection: close\r\n" : "")
                    .append("\r\n");
        }
        try (Socket s = new Socket("127.0.0.1", f.server.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            return statuses(new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1));
        }
    }
}
