package dev.vpctunnel.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A listener that cannot accept for lack of file descriptors says so once a minute for the whole process, in its own
 * words: Netty's accept loop otherwise logs "An exceptionCaught() event was fired, and it reached at the tail of the
 * pipeline … accept(..) failed with error(-24): Too many open files" about once a second per listener. Last in the
 * listening channel's pipeline, behind Netty's acceptor, which has already paused accepting for a second (so swallowing
 * the event here does not make the loop spin). Other accept failures go on to Netty's own warning, as before.
 */
@ChannelHandler.Sharable
public final class AcceptFailures extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(AcceptFailures.class.getName());
    /** One line a minute for all the process's listeners: the descriptors are the process's, not one listener's. */
    private static final AcceptFailures SHARED = new AcceptFailures(new OncePer(TimeUnit.MINUTES.toNanos(1)));
    /** Who is out of file descriptors, in the line: set once at start ("the edge"). */
    private static volatile String process = "this process";

    private final OncePer once;

    AcceptFailures(OncePer once) {
        this.once = once;
    }

    /** Names the process in the line ("the edge", "the connector"). */
    public static void process(String name) {
        process = name;
    }

    /** Puts the handler last in {@code listening}'s pipeline (call once it is bound: Netty's acceptor is then in it); returns it. */
    public static Channel install(Channel listening) {
        listening.pipeline().addLast("accept-failures", SHARED);
        return listening;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!OutOfFiles.in(cause)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        int leftOut = once.leftOutBeforeNow();
        if (leftOut >= 0) {
            LOG.warning(() -> "cannot accept connections on " + ctx.channel().localAddress() + ": "
                    + OutOfFiles.describe(cause, process).orElseThrow() + "; new connections wait in the backlog meanwhile"
                    + (leftOut > 0 ? " (" + leftOut + " more accept failures since the last line)" : "")
                    + "; at most one such line a minute");
        }
    }
}
