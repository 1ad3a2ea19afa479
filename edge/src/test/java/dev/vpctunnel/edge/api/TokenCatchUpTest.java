package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.Role;
import dev.vpctunnel.edge.routing.LinkRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A token made on another edge sharing the store works at once: an unknown token makes the directory catch up with
 * the store. But only so often: made-up tokens cannot keep the store busy and the directory's lock taken.
 */
class TokenCatchUpTest {
    @TempDir
    Path dir;

    private static ApiRequest verify(String token) {
        return new ApiRequest("GET", "/client/v4/user/tokens/verify", Map.of(), "Bearer " + token, new byte[0]);
    }

    @Test
    void anUnknownTokenCatchesUpAtMostOncePerPeriod() throws Exception {
        try (Directory here = Directory.open(dir, null); Directory other = Directory.open(dir, null)) {
            String account = here.initialize().accountId();
            ApiRouter router = new ApiRouter(here, LinkRegistry.NONE, TimeUnit.HOURS.toNanos(1));
            String first = other.createApiToken(account, "made elsewhere", Set.of(Role.READ)).secret();
            assertEquals(200, router.handle(verify(first)).status(), "the first unknown token catches up");
            String second = other.createApiToken(account, "made elsewhere too", Set.of(Role.READ)).secret();
            assertEquals(401, router.handle(verify("made-up")).status());
            assertEquals(401, router.handle(verify(second)).status(), "no second catch-up within the period");
            ApiRouter always = new ApiRouter(here, LinkRegistry.NONE, 0);
            assertEquals(200, always.handle(verify(second)).status(), "the store had it all along");
        }
    }
}
