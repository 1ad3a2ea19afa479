package dev.vpctunnel.connector.origin;

import dev.vpctunnel.proto.ErrorCode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connector out of file descriptors: Netty cannot even create the origin's socket, and its exception says "Unable
 * to create Channel from class … EpollSocketChannel" with the EMFILE three causes down. The fetch's message says what
 * ran out and what to raise.
 */
class OutOfFilesConnectTest {
    @Test
    void aSocketThatCannotBeCreatedSaysTheConnectorIsOutOfFileDescriptors() throws Exception {
        EventLoopGroup group = new DefaultEventLoopGroup(1);
        try {
            Bootstrap template = new Bootstrap().handler(new ChannelInboundHandlerAdapter()).channelFactory(() -> {
                // as ReflectiveChannelFactory wraps EpollSocketChannel's constructor failing in LinuxSocket.newSocketStream
                throw new ChannelException("Unable to create Channel from class class io.netty.channel.epoll.EpollSocketChannel",
                        new InvocationTargetException(new ChannelException(
                                new IOException("newSocketStream(..) failed: Too many open files"))));
            });
            Future<Channel> f = new HappyEyeballsConnector(template)
                    .connect(List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")), 80, 2_000, group.next());
            assertTrue(f.await(5, TimeUnit.SECONDS), "the race ends");
            FetchFailure failure = ErrorMapper.toFailure(f.cause());
            assertEquals(ErrorCode.CONNECT_FAILED, failure.code(), failure.getMessage());
            assertTrue(failure.getMessage().startsWith("cannot connect to ")
                    && failure.getMessage().contains(": the connector is out of file descriptors (too many open files"),
                    failure.getMessage());
            assertTrue(failure.getMessage().contains("ulimit -n"), failure.getMessage());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The same cause reaching the fetch by another way than the connect race. */
    @Test
    void theFallbackMappingSaysItToo() {
        FetchFailure failure = ErrorMapper.toFailure(new ChannelException("Failed to open a socket.",
                new IOException("Too many open files")));
        assertTrue(failure.getMessage().contains("the connector is out of file descriptors"), failure.getMessage());
    }
}
