package dev.vpctunnel.core.net;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import dev.vpctunnel.core.testing.LogCapture;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AcceptFailuresTest {
    @Test
    void outOfFileDescriptorsIsOneLineAMinuteInOurWordsOtherFailuresGoOn() {
        EmbeddedChannel listening = new EmbeddedChannel(new AcceptFailures(new OncePer(TimeUnit.MINUTES.toNanos(1))));
        try (LogCapture log = LogCapture.of(AcceptFailures.class, Level.INFO)) {
            List<String> lines = log.messages();
            AcceptFailures.process("the edge");
            for (int i = 0; i < 5; i++) { // Netty's accept loop: about once a second
                listening.pipeline().fireExceptionCaught(new IOException("accept(..) failed with error(-24): Too many open files"));
            }
            listening.checkException(); // swallowed: none reached the tail
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("cannot accept connections on embedded: the edge is out of file descriptors"
                    + " (too many open files"), lines.get(0));
            assertTrue(lines.get(0).contains("ulimit -n"), lines.get(0));

            listening.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Software caused connection abort"));
            assertThrows(IOException.class, listening::checkException, "another failure goes on to Netty's warning");
        } finally {
            AcceptFailures.process("this process");
            listening.finishAndReleaseAll();
        }
    }
}
