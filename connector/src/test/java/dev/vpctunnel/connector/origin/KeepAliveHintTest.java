package dev.vpctunnel.connector.origin;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class KeepAliveHintTest {
    @Test
    void aTimeoutIsHeldOneSecondShort() {
        assertEquals(4_000, KeepAliveHint.holdMillis("timeout=5"));
        assertEquals(4_000, KeepAliveHint.holdMillis("timeout=5, max=100"));
        assertEquals(14_000, KeepAliveHint.holdMillis("max=99 , Timeout = 15"));
        assertEquals(1_000, KeepAliveHint.holdMillis("timeout=\"2\""));
        assertEquals(500, KeepAliveHint.holdMillis("timeout=1"), "half of one second");
        assertEquals(0, KeepAliveHint.holdMillis("timeout=0"), "not kept at all");
    }

    @Test
    void noUsableTimeoutLeavesThePoolsOwn() {
        for (String h : new String[] {null, "", "max=5", "timeout", "timeout=", "timeout=-1", "timeout=1.5", "timeout=abc",
                "timeout=99999999999999999999", "timeouts=5"}) {
            assertEquals(KeepAliveHint.NONE, KeepAliveHint.holdMillis(h), String.valueOf(h));
        }
    }
}
