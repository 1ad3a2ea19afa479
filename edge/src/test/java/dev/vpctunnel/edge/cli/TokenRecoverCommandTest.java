package dev.vpctunnel.edge.cli;

import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** edge token recover on a stopped edge's data dir (with the edge running: InitCommandTest). */
class TokenRecoverCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aRecoveredTokenHasEveryRoleInTheAccountAndTheOldOnesStay() throws Exception {
        Path dir = tmp.resolve("edge");
        CliTest.Run init = CliTest.run("init", "--data", dir.toString(), "--json");
        assertEquals(0, init.code(), init.err());
        JsonNode i = dev.vpctunnel.edge.testing.ApiFixture.JSON.readTree(init.out());

        CliTest.Run run = CliTest.run("token", "recover", "--data", dir.toString(), "--json");
        assertEquals(0, run.code(), run.err());
        assertEquals(1, run.out().trim().lines().count(), "exactly one JSON object: " + run.out());
        JsonNode r = dev.vpctunnel.edge.testing.ApiFixture.JSON.readTree(run.out());
        String secret = r.path("value").asString();
        assertEquals(i.path("account_id").asString(), r.path("account_id").asString());
        assertNotEquals(i.path("api_token").asString(), secret);

        Files.writeString(dir.resolve(UnfinishedInit.FILE), "");
        CliTest.Run text = CliTest.run("token", "recover", "--data", dir.toString());
        assertFalse(Files.exists(dir.resolve(UnfinishedInit.FILE)), "a recovered token finishes an unfinished init");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("token: ") && text.out().contains("shown once"), text.out());

        try (Directory d = Directory.open(dir, null)) {
            var t = d.data().apiToken(secret).orElseThrow();
            assertEquals(r.path("id").asString(), t.id());
            assertTrue(t.has(Role.READ) && t.has(Role.BIND) && t.has(Role.ADMIN));
            assertTrue(t.name().startsWith("recovered "), t.name());
            assertTrue(d.data().apiToken(i.path("api_token").asString()).isPresent(), "init's token still works");
            assertEquals(3, d.data().apiTokens(t.accountId()).size());
            assertEquals(1, d.data().accounts().size());
        }
    }

    /**
     * An init stopped after it stored the account and before it printed the token (a SIGTERM in that window, a few
     * hundred ms, did it 6 times in 6): its marker and staged files are what it leaves. The next init revokes the token
     * no one saw and prints a new one, and removes the staged files of the process that is gone; then it is done.
     */
    @Test
    void anInitStoppedBeforeItPrintedTheTokenIsFinishedByTheNext() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("half"));
        String account;
        String keptId;
        try (Directory d = Directory.open(dir, null)) {
            account = d.initialize().accountId(); // its token is never shown
            String unseenId = d.data().apiTokens(account).get(0).id();
            Files.writeString(dir.resolve(UnfinishedInit.FILE), unseenId + "\n"); // as that init wrote it
            // another token by the same name (made later by someone who recovered one): not the unseen one, kept
            keptId = d.createApiToken(account, UnfinishedInit.TOKEN_NAME, java.util.EnumSet.of(Role.READ)).record().id();
        }
        long gone = 4_000_000;
        while (ProcessHandle.of(gone).isPresent()) {
            gone++;
        }
        Path staged = dir.resolve("edge-key.pem.init-" + gone);
        long parent = ProcessHandle.current().parent().orElseThrow().pid(); // alive, and not this run's own stage
        Path live = dir.resolve("edge-key.pem.init-" + parent); // as a running init's: kept
        Files.writeString(staged, "key");
        Files.writeString(live, "key");

        CliTest.Run run = CliTest.run("init", "--data", dir.toString(), "--json");
        assertEquals(0, run.code(), run.err());
        JsonNode j = dev.vpctunnel.edge.testing.ApiFixture.JSON.readTree(run.out());
        assertEquals(account, j.path("account_id").asString());
        String secret = j.path("api_token").asString();
        assertTrue(secret.length() > 20, run.out());
        assertTrue(j.path("already_initialized").isMissingNode(), run.out());
        assertFalse(Files.exists(dir.resolve(UnfinishedInit.FILE)), "the marker is gone once the token was printed");
        assertFalse(Files.exists(staged), "a gone process's staged file is removed");
        assertTrue(Files.exists(live), "a live process's staged file is kept");
        try (Directory d = Directory.open(dir, null)) {
            var t = d.data().apiToken(secret).orElseThrow();
            assertTrue(t.has(Role.READ) && t.has(Role.BIND) && t.has(Role.ADMIN));
            assertEquals(java.util.Set.of(t.id(), keptId), d.data().apiTokens(account).stream().map(x -> x.id())
                    .collect(java.util.stream.Collectors.toSet()), "the unseen token is revoked, only it");
        }
        CliTest.Run again = CliTest.run("init", "--data", dir.toString(), "--json");
        assertEquals(0, again.code(), again.err());
        assertTrue(dev.vpctunnel.edge.testing.ApiFixture.JSON.readTree(again.out()).path("api_token").isNull(), again.out());
    }

    @Test
    void aDirectoryWithoutAStoreIsRefusedAndGetsNone() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        CliTest.Run run = CliTest.run("token", "recover", "--data", dir.toString());
        assertEquals(2, run.code(), run.err());
        assertTrue(run.err().contains("holds no directory store"), run.err());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "nothing created");
        }
        CliTest.Run missing = CliTest.run("token", "recover", "--data", tmp.resolve("nope").toString());
        assertEquals(2, missing.code(), missing.err());
        assertFalse(Files.exists(tmp.resolve("nope")));
        CliTest.Run usage = CliTest.run("token", "recover");
        assertEquals(2, usage.code(), "--data is required");
    }
}
