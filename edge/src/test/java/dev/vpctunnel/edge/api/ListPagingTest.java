package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.testing.ApiFixture.Resp;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cloudflare's list parameters: page and per_page on every list, tunnel_id on route lists, type on services. */
class ListPagingTest extends ApiTestBase {
    @Test
    void pagesOfTunnels() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(f.tunnel("t" + i));
        }
        String list = f.acct("/cfd_tunnel");
        Resp all = f.get(list);
        assertEquals(5, all.result().size(), "without page or per_page: every item, as before");
        assertEquals(5, all.body().path("result_info").path("total_count").asInt());
        List<String> seen = new ArrayList<>();
        for (int page = 1; page <= 3; page++) {
            Resp r = f.get(list + "?per_page=2&page=" + page);
            assertEquals(200, r.status());
            var info = r.body().path("result_info");
            assertEquals(page, info.path("page").asInt());
            assertEquals(2, info.path("per_page").asInt());
            assertEquals(page < 3 ? 2 : 1, info.path("count").asInt());
            assertEquals(5, info.path("total_count").asInt());
            assertEquals(3, info.path("total_pages").asInt());
            r.result().forEach(t -> seen.add(t.path("id").asString()));
        }
        List<String> whole = new ArrayList<>();
        all.result().forEach(t -> whole.add(t.path("id").asString()));
        assertEquals(whole, seen, "the pages, in order, are the whole list");
        Resp past = f.get(list + "?per_page=2&page=4");
        assertEquals(0, past.result().size());
        assertEquals(5, f.get(list + "?page=1").result().size(), "page without per_page: pages of 20");
        assertEquals(20, f.get(list + "?page=1").body().path("result_info").path("per_page").asInt());
        assertEquals(1, f.get(list + "?per_page=1&name=t3").body().path("result_info").path("total_count").asInt(),
                "paging applies after the filters");
        for (String bad : List.of("page=0", "page=abc", "per_page=0", "per_page=1001", "per_page=-1", "page=99999999999",
                "per_page=1%2B1")) {
            Resp r = f.get(list + "?" + bad);
            assertEquals(400, r.status(), bad);
            String param = bad.substring(0, bad.indexOf('='));
            assertTrue(r.body().path("errors").get(0).path("message").asString().startsWith(param + ": "), bad + ": " + r.body());
        }
    }

    @Test
    void routesOfOneTunnelAndServicesOfOneType() {
        String a = f.tunnel("a");
        String b = f.tunnel("b");
        assertEquals(200, f.post(f.acct("/teamnet/routes"), "{\"network\":\"10.1.0.0/16\",\"tunnel_id\":\"" + a + "\"}").status());
        assertEquals(200, f.post(f.acct("/teamnet/routes"), "{\"network\":\"10.2.0.0/16\",\"tunnel_id\":\"" + b + "\"}").status());
        assertEquals(200, f.post(f.acct("/zerotrust/routes/hostname"), "{\"hostname\":\"db.internal\",\"tunnel_id\":\"" + b + "\"}").status());
        Resp ofA = f.get(f.acct("/teamnet/routes?tunnel_id=" + a));
        assertEquals(1, ofA.result().size());
        assertEquals("10.1.0.0/16", ofA.result().get(0).path("network").asString());
        assertEquals(2, f.get(f.acct("/teamnet/routes")).result().size());
        assertEquals(0, f.get(f.acct("/zerotrust/routes/hostname?tunnel_id=" + a)).result().size());
        assertEquals(1, f.get(f.acct("/zerotrust/routes/hostname?tunnel_id=" + b)).result().size());
        assertEquals(400, f.get(f.acct("/teamnet/routes?tunnel_id=nope")).status());

        f.service("s", a);
        String services = f.acct("/connectivity/directory/services");
        assertEquals(1, f.get(services + "?type=http").result().size());
        assertEquals(0, f.get(services + "?type=tcp").result().size());
    }
}
