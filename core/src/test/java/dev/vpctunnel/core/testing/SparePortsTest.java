package dev.vpctunnel.core.testing;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparePortsTest {
    @Test
    void sparePortsAreFreeDistinctAndOutsideTheEphemeralRange() throws Exception {
        // readAllLines: JDK 17's Files.readString reads one byte of a /proc file (its size is 0)
        int ephemeralFirst = Integer.parseInt(
                Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+")[0]);
        int a = SparePorts.next();
        int b = SparePorts.next();
        assertNotEquals(a, b);
        assertTrue(a < ephemeralFirst && b < ephemeralFirst, a + ", " + b + " vs " + ephemeralFirst);
        try (ServerSocket taken = new ServerSocket(b + 1, 1, InetAddress.getLoopbackAddress())) {
            int c = SparePorts.next(); // a port something listens on is passed over
            assertNotEquals(b + 1, c);
            try (ServerSocket s = new ServerSocket(c, 1, InetAddress.getLoopbackAddress())) {
                assertTrue(s.isBound());
            }
        }
    }
}
