package dev.vpctunnel.core.net;

import io.netty.channel.ChannelException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutOfFilesTest {
    /** Netty's chain when EpollSocketChannel's constructor cannot get a socket (ReflectiveChannelFactory, LinuxSocket). */
    static Throwable nettyChain(String errno) {
        return new ChannelException("Unable to create Channel from class class io.netty.channel.epoll.EpollSocketChannel",
                new InvocationTargetException(new ChannelException(new IOException("newSocketStream(..) failed: " + errno))));
    }

    @Test
    void emfileDeepInNettysChainIsTheProcessLimit() {
        String m = OutOfFiles.describe(nettyChain("Too many open files"), "the connector").orElseThrow();
        assertTrue(m.startsWith("the connector is out of file descriptors (too many open files, limit "), m);
        assertTrue(m.contains("ulimit -n") && m.contains("LimitNOFILE="), m);
    }

    @Test
    void enfileIsTheSystemsTable() {
        String m = OutOfFiles.describe(nettyChain("Too many open files in system"), "the edge").orElseThrow();
        assertTrue(m.startsWith("the edge is out of file descriptors: the system's file table is full"), m);
        assertTrue(m.contains("fs.file-max"), m);
    }

    @Test
    void netty_sAcceptFailureAndOtherErrors() {
        assertTrue(OutOfFiles.in(new IOException("accept(..) failed with error(-24): Too many open files")));
        assertFalse(OutOfFiles.in(nettyChain("Cannot allocate memory")));
        assertEquals(java.util.Optional.empty(), OutOfFiles.describe(new IOException((String) null), "x"));
        Throwable deep = new IOException("Too many open files");
        for (int i = 0; i < 100; i++) {
            deep = new RuntimeException(deep); // its message is the cause's: found at once
        }
        assertTrue(OutOfFiles.in(deep));
    }
}
