package dev.vpctunnel.core.link;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The durations operators type, and the ones that would overflow. */
class DurationsTest {
    @Test
    void unitsAndBareSeconds() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms", "--x"));
        assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s", "--x"));
        assertEquals(Duration.ofMillis(500), Durations.parse(".5s", "--x")); // as Go's time.ParseDuration
        assertEquals(Duration.ofSeconds(5), Durations.parse("5.s", "--x"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m", "--x"));
        assertEquals(Duration.ofHours(1), Durations.parse(" 1H ", "--x"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30", "--x"));
        assertEquals(Duration.ZERO, Durations.parse("0s", "--x"));
    }

    @Test
    void severalUnitsAsGoWritesThem() {
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m", "--x"));
        assertEquals(Duration.ofSeconds(90), Durations.parse("1m30s", "--x"));
        assertEquals(Duration.ofMillis(2_500), Durations.parse("2s500ms", "--x"));
        assertEquals(Duration.ofMillis(3_723_500), Durations.parse("1h2m3.5s", "--x"));
        assertEquals("--x: too large, at most 365 days (8760h), got '8760h1s'",
                assertThrows(IllegalArgumentException.class, () -> Durations.parse("8760h1s", "--x")).getMessage());
        for (String s : new String[] {"1h30", "1.5m30s", "1h 30m", "h30m", "1ds", "2fs", "0x1p4s", "NaNs", "Infinitys"}) {
            assertEquals("--x: expected a duration like 30s, 500ms or 2m, got '" + s + "'",
                    assertThrows(IllegalArgumentException.class, () -> Durations.parse(s, "--x")).getMessage(), s);
        }
    }

    @Test
    void theMaximumItselfIsAccepted() {
        for (String s : new String[] {"8760h", "525600m", "31536000s", "31536000", "31536000000ms"}) {
            assertEquals(Duration.ofDays(365), Durations.parse(s, "--x"), s);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999999999h", "99999999999999999m", "9223372036854775807", "99999999999999999999",
            "99999999999999999999ms", "1e300s", "1e999s", "8761h", "525601m", "31536001", "31536000.5s", "31536000001ms"})
    void valuesBeyondTheMaximumAreRefusedNotOverflowed(String s) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(s, "--grace-period"));
        assertEquals("--grace-period: too large, at most 365 days (8760h), got '" + s + "'", e.getMessage());
    }

    @Test
    void negativeAndGarbageKeepTheirMessages() {
        assertEquals("--x: must not be negative, got '-5s'",
                assertThrows(IllegalArgumentException.class, () -> Durations.parse("-5s", "--x")).getMessage());
        assertEquals("--x: must not be negative, got '-2h'",
                assertThrows(IllegalArgumentException.class, () -> Durations.parse("-2h", "--x")).getMessage());
        assertEquals("--x: must not be negative, got '-99999999999999999999m'",
                assertThrows(IllegalArgumentException.class, () -> Durations.parse("-99999999999999999999m", "--x")).getMessage());
        for (String s : new String[] {"soon", "", "1.5m", "5 parsecs", "nans", "h"}) {
            assertEquals("--x: expected a duration like 30s, 500ms or 2m, got '" + s + "'",
                    assertThrows(IllegalArgumentException.class, () -> Durations.parse(s, "--x")).getMessage(), s);
        }
    }
}
