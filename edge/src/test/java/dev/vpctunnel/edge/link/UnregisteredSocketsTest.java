package dev.vpctunnel.edge.link;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Admissions that overlap, as on the event loops of sockets accepted close together. Each test holds one admission
 * inside its eviction (the closed socket's listener runs there) until another, on a second thread, has been admitted or
 * waits for the first: an interleaving that a loaded machine produces now and then.
 */
class UnregisteredSocketsTest {
    /**
     * The second is not queued ahead of the first, which counted and put out a socket before it came. Before, it was,
     * so it passed for the older and the first stayed when the next eviction came: LinkTest's oldest-first test failed
     * on loaded machines, the edge having closed a newer socket and held the older up to its TLS handshake timeout.
     */
    @Test
    void aSocketAdmittedWhileAnotherEvictsIsNotTakenForTheOlder() throws Exception {
        UnregisteredSockets u = new UnregisteredSockets(4, 2);
        EmbeddedChannel a1 = from("127.0.0.1");
        EmbeddedChannel a2 = from("127.0.0.1");
        EmbeddedChannel a3 = from("127.0.0.1");
        EmbeddedChannel b1 = from("127.0.0.2");
        u.admit(a1);
        u.admit(a2);
        admitWhileEvicting(u, a3, a1, b1);
        assertFalse(a1.isOpen(), "a third from one address closed its oldest");
        assertEquals(3, u.count()); // a2, a3, b1

        EmbeddedChannel c1 = from("127.0.0.3");
        EmbeddedChannel d1 = from("127.0.0.4");
        EmbeddedChannel e1 = from("127.0.0.5");
        u.admit(c1);
        u.admit(d1);
        assertFalse(a2.isOpen(), "a fifth in all closed the oldest of all");
        u.admit(e1);
        assertFalse(a3.isOpen(), "a fifth again closed the oldest left: a3, admitted before b1");
        assertTrue(b1.isOpen() && c1.isOpen() && d1.isOpen() && e1.isOpen());
        assertEquals(4, u.count());
    }

    /**
     * The second, past the limit, finds the first to close. Before, the first was not queued yet, so none was closed
     * and both stayed: the limit was exceeded until a later admission.
     */
    @Test
    void aSocketPastTheLimitWhileAnotherEvictsClosesOne() throws Exception {
        UnregisteredSockets u = new UnregisteredSockets(1, 1);
        EmbeddedChannel a = from("127.0.0.1");
        EmbeddedChannel b = from("127.0.0.2");
        EmbeddedChannel c = from("127.0.0.3");
        u.admit(a);
        admitWhileEvicting(u, b, a, c);
        assertFalse(a.isOpen());
        assertFalse(b.isOpen(), "c, a second in all, closed b");
        assertTrue(c.isOpen());
        assertEquals(1, u.count());
    }

    /**
     * Admits {@code first}, which puts {@code evicted} out, and {@code second} on another thread while {@code first}
     * is closing it.
     */
    private static void admitWhileEvicting(UnregisteredSockets u, EmbeddedChannel first, EmbeddedChannel evicted,
                                           EmbeddedChannel second) throws InterruptedException {
        AtomicReference<String> failed = new AtomicReference<>();
        Thread other = new Thread(() -> u.admit(second), "admits the second");
        evicted.closeFuture().addListener(f -> { // on the first's thread: an embedded channel closes at once
            other.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (other.isAlive() && !waitsFor(other, Thread.currentThread())) {
                if (System.nanoTime() > deadline) {
                    failed.set("the second's admission neither ended nor waited for the first's");
                    return;
                }
                Thread.onSpinWait();
            }
        });
        Thread one = new Thread(() -> u.admit(first), "admits the first");
        one.start();
        one.join(TimeUnit.SECONDS.toMillis(20));
        other.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(one.isAlive() || other.isAlive(), "both admissions ended");
        assertNull(failed.get());
        assertTrue(other.getState() == Thread.State.TERMINATED, "the first's eviction started the second");
    }

    /** Whether {@code t} waits for a lock that {@code owner} holds. */
    private static boolean waitsFor(Thread t, Thread owner) {
        ThreadInfo i = ManagementFactory.getThreadMXBean().getThreadInfo(t.getId());
        return i != null && i.getLockOwnerId() == owner.getId();
    }

    /** A channel whose peer is {@code ip} (an embedded channel has no address of its own). */
    private static EmbeddedChannel from(String ip) {
        InetSocketAddress peer = new InetSocketAddress(ip, 40000);
        return new EmbeddedChannel() {
            @Override
            protected SocketAddress remoteAddress0() {
                return peer;
            }
        };
    }
}
