package dev.vpctunnel.core.net;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OncePerKeyTest {
    @Test
    void eachKeyHasItsOwnGateUpToTheLimitThenTheyShareOne() {
        OncePerKey gates = new OncePerKey(TimeUnit.HOURS.toNanos(1), 2);
        assertTrue(gates.of("a").now());
        assertFalse(gates.of("a").now(), "once per period");
        assertTrue(gates.of("b").now(), "another key, its own gate");
        OncePer c = gates.of("c");
        assertTrue(gates.shared(c) && c.now(), "past the limit: the shared gate");
        assertSame(c, gates.of("d"));
        assertFalse(gates.of("d").now(), "keys past the limit share one period");
        assertFalse(gates.shared(gates.of("a")));
    }
}
