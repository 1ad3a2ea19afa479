package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.testing.ApiFixture.Resp;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every time in the API is RFC 3339 UTC with microseconds, as Cloudflare's; a DELETE's result says when. */
class ApiTimesTest extends ApiTestBase {
    private static final String PATTERN = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z";
    @Test
    void timesHaveOneShapeAndDeletesSayWhen() {
        Instant before = Instant.now().minusSeconds(1);
        String tunnel = f.tunnel("t");
        Resp created = f.get(f.acct("/cfd_tunnel/" + tunnel));
        assertTime(created.result().path("created_at").asString(), before);
        Resp route = f.post(f.acct("/teamnet/routes"), "{\"network\":\"10.9.0.0/16\",\"tunnel_id\":\"" + tunnel + "\"}");
        assertTime(route.result().path("created_at").asString(), before);
        assertTrue(route.result().path("deleted_at").isNull());
        Resp host = f.post(f.acct("/zerotrust/routes/hostname"), "{\"hostname\":\"db.internal\",\"tunnel_id\":\"" + tunnel + "\"}");

        Resp gone = f.call("DELETE", f.acct("/teamnet/routes/" + route.result().path("id").asString()), null);
        assertEquals(200, gone.status());
        assertTime(gone.result().path("deleted_at").asString(), before);
        Resp hostGone = f.call("DELETE", f.acct("/zerotrust/routes/hostname/" + host.result().path("id").asString()), null);
        assertTime(hostGone.result().path("deleted_at").asString(), before);
        Resp tunnelGone = f.call("DELETE", f.acct("/cfd_tunnel/" + tunnel), null);
        assertTime(tunnelGone.result().path("deleted_at").asString(), before);
    }

    private static void assertTime(String t, Instant notBefore) {
        assertTrue(t.matches(PATTERN), t);
        Instant i = Instant.parse(t);
        assertTrue(!i.isBefore(notBefore) && !i.isAfter(Instant.now().plusSeconds(1)), t);
    }
}
