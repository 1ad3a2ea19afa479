package dev.vpctunnel.edge.cli;

import dev.vpctunnel.edge.testing.ApiFixture;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the CLI prints for cloudflared users: tunnel list columns, the version subcommand, an unknown flag. */
class CliTextTest {
    @Test
    void anUnknownFlagIsOneLineAndWhereToLookNotTheWholeUsage() {
        StringWriter err = new StringWriter();
        int code = dev.vpctunnel.core.CliErrors.install(new CommandLine(new EdgeMain()), "edge")
                .setErr(new PrintWriter(err)).execute("tunnel", "list", "--bogus");
        assertEquals(2, code);
        String[] lines = err.toString().strip().split("\n");
        assertEquals("edge: Unknown option: '--bogus'", lines[0], err.toString());
        assertEquals("(see 'edge tunnel list --help')", lines[lines.length - 1], err.toString());
        assertTrue(lines.length <= 4, err.toString());
    }

    @Test
    void versionSubcommandPrintsWhatVersionFlagPrints() {
        CliTest.Run v = CliTest.run("version");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().startsWith("edge "), v.out());
        assertEquals(CliTest.run("--version").out(), v.out());
    }

    @Test
    void tunnelListShowsLinksPerEdgeAsCloudflaredDoes() throws Exception {
        tools.jackson.databind.JsonNode links = ApiFixture.JSON.readTree("[{\"colo_name\":\"edge-b\"},"
                + "{\"colo_name\":\"edge-a\"},{\"colo_name\":\"edge-b\"}]");
        assertEquals("1xedge-a, 2xedge-b", TunnelCommand.connections(links));
        assertEquals("", TunnelCommand.connections(ApiFixture.JSON.readTree("[]")));
        assertEquals("2026-12-04T22:30:01Z", TunnelCommand.toSeconds("2026-12-04T22:30:01.123456Z"));
    }
}
