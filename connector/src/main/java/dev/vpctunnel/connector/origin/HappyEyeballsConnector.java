package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ErrorCode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Dials the first reachable of several addresses, happy-eyeballs style (RFC 8305): families interleaved, the next
 * attempt starts {@link #STAGGER_MS} after the previous one or as soon as it fails; the first connection wins, the others
 * are closed. Fails with CONNECT_FAILED (refused, unreachable) or CONNECT_TIMEOUT (the deadline passed).
 */
final class HappyEyeballsConnector {
    static final long STAGGER_MS = 250;

    private final Bootstrap template;

    /** {@code template} has the channel type, options and handler; its event loop is set per call. */
    HappyEyeballsConnector(Bootstrap template) {
        this.template = template;
    }

    /**
     * Races {@code candidates} in the order given, which the caller has already put through {@link #interleave} (the
     * dialer needs that order itself for its pool look-up); this method does not reorder them.
     */
    Future<Channel> connect(List<InetAddress> candidates, int port, int timeoutMs, EventLoop loop) {
        Promise<Channel> promise = loop.newPromise();
        loop.execute(() -> new Race(candidates, port, timeoutMs, loop, promise).start());
        return promise;
    }

    /** IPv4 and IPv6 alternate, starting with the family of the first candidate. */
    static List<InetAddress> interleave(List<InetAddress> in) {
        if (in.isEmpty()) {
            return in;
        }
        boolean firstV6 = in.get(0) instanceof Inet6Address;
        Deque<InetAddress> a = new ArrayDeque<>();
        Deque<InetAddress> b = new ArrayDeque<>();
        for (InetAddress x : in) {
            ((x instanceof Inet6Address) == firstV6 ? a : b).add(x);
        }
        List<InetAddress> out = new ArrayList<>(in.size());
        while (!a.isEmpty() || !b.isEmpty()) {
            if (!a.isEmpty()) {
                out.add(a.poll());
            }
            if (!b.isEmpty()) {
                out.add(b.poll());
            }
        }
        return out;
    }

    /** One connection race; runs on its event loop only. */
    private final class Race {
        private final List<InetAddress> order;
        private final int port;
        private final long deadlineNanos;
        private final int timeoutMs;
        private final EventLoop loop;
        private final Promise<Channel> promise;
        private final List<ChannelFuture> pending = new ArrayList<>();
        private int next;
        private int failed;
        private Throwable firstFailure;
        private boolean anyTimeout;
        private ScheduledFuture<?> staggerTimer;
        private ScheduledFuture<?> deadlineTimer;

        Race(List<InetAddress> order, int port, int timeoutMs, EventLoop loop, Promise<Channel> promise) {
            this.order = order;
            this.port = port;
            this.timeoutMs = timeoutMs;
            this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            this.loop = loop;
            this.promise = promise;
        }

        void start() {
            if (order.isEmpty()) {
                promise.tryFailure(new FetchFailure(ErrorCode.CONNECT_FAILED, "no address to connect to"));
                return;
            }
            deadlineTimer = loop.schedule(this::deadline, timeoutMs, TimeUnit.MILLISECONDS);
            promise.addListener(f -> {
                if (!f.isSuccess()) {
                    closePending(null);
                }
            });
            launchNext();
        }

        private void launchNext() {
            if (staggerTimer != null) {
                staggerTimer.cancel(false);
                staggerTimer = null;
            }
            if (promise.isDone() || next >= order.size()) {
                return;
            }
            InetAddress address = order.get(next++);
            long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
            ChannelFuture cf = template.clone(loop)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, remainingMs))
                    .connect(new InetSocketAddress(address, port));
            pending.add(cf);
            // a channel that could not even be created (out of file descriptors) fails on Netty's global executor
            cf.addListener((ChannelFuture f) -> {
                if (loop.inEventLoop()) {
                    onAttempt(f, address);
                } else {
                    loop.execute(() -> onAttempt(f, address));
                }
            });
            if (next < order.size()) {
                staggerTimer = loop.schedule(this::launchNext, STAGGER_MS, TimeUnit.MILLISECONDS);
            }
        }

        private void onAttempt(ChannelFuture f, InetAddress address) {
            pending.remove(f);
            if (f.isSuccess()) {
                if (promise.trySuccess(f.channel())) {
                    finish();
                    closePending(f.channel());
                } else {
                    f.channel().close();
                }
                return;
            }
            failed++;
            if (f.cause() instanceof ConnectTimeoutException) {
                anyTimeout = true;
            }
            if (firstFailure == null) {
                firstFailure = f.cause();
            }
            if (failed == order.size()) {
                finish();
                promise.tryFailure(anyTimeout ? timeout() : new FetchFailure(ErrorCode.CONNECT_FAILED,
                        "cannot connect to " + describe(address) + ": " + message(firstFailure)));
            } else {
                launchNext();
            }
        }

        private void deadline() {
            if (promise.tryFailure(timeout())) {
                finish();
            }
        }

        private FetchFailure timeout() {
            String what = order.size() == 1 ? describe(order.get(0)) : order.size() + " addresses on port " + port;
            return new FetchFailure(ErrorCode.CONNECT_TIMEOUT, "connecting to " + what + " timed out after " + timeoutMs + " ms");
        }

        private void finish() {
            if (staggerTimer != null) {
                staggerTimer.cancel(false);
            }
            if (deadlineTimer != null) {
                deadlineTimer.cancel(false);
            }
        }

        private void closePending(Channel keep) {
            for (ChannelFuture cf : List.copyOf(pending)) {
                if (cf.channel() != keep) {
                    cf.cancel(false);
                    cf.channel().close();
                }
            }
            pending.clear();
        }

        private String describe(InetAddress a) {
            return io.netty.util.NetUtil.toSocketAddressString(new InetSocketAddress(a, port));
        }
    }

    static String message(Throwable t) {
        java.util.Optional<String> outOfFiles = dev.vpctunnel.core.net.OutOfFiles.describe(t, "the connector");
        if (outOfFiles.isPresent()) {
            // Netty's words are "Unable to create Channel from class … EpollSocketChannel": the EMFILE is causes down
            return outOfFiles.get();
        }
        String m = t.getMessage();
        // Netty throws ENETUNREACH as a NoRouteToHostException without a text, which its address annotation turns
        // into "null: /10.0.0.8:80"
        if (t instanceof java.net.NoRouteToHostException && (m == null || m.startsWith("null: "))) {
            return "network unreachable";
        }
        if (m == null || m.startsWith("null: ")) {
            return t.getClass().getSimpleName();
        }
        // Netty's native messages look like "finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:1"
        return dev.vpctunnel.core.net.NativeErrors.text(m);
    }
}
