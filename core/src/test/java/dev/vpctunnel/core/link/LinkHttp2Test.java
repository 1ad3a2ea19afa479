package dev.vpctunnel.core.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.Http2FrameCodec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinkHttp2Test {
    @Test
    void codecsKeepTheRoleDefaultsOfNettysBuilders() {
        Http2FrameCodec edge = LinkHttp2.edgeCodec();
        Http2FrameCodec connector = LinkHttp2.connectorCodec(100);
        assertFalse(edge.connection().isServer());
        assertTrue(connector.connection().isServer());
        // a graceful-close timeout would hold a draining link open for 30 s (the link's drain decides instead)
        assertEquals(0, edge.gracefulShutdownTimeoutMillis());
        assertEquals(0, connector.gracefulShutdownTimeoutMillis());
    }

    @Test
    void loopEndFlushTurnsTheFlushesOfOneLoopTurnIntoOneAndFlushesBeforeAClose() throws Exception {
        AtomicInteger flushes = new AtomicInteger();
        ChannelOutboundHandlerAdapter counter = new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes.incrementAndGet();
                ctx.flush();
            }
        };
        ChannelHandlerAdapter stream = new ChannelHandlerAdapter() { };
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
        LocalAddress address = new LocalAddress("loop-end-flush-" + System.nanoTime());
        List<Byte> received = new CopyOnWriteArrayList<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf b = (ByteBuf) msg;
                            while (b.isReadable()) {
                                received.add(b.readByte());
                            }
                            b.release();
                        }
                    }).bind(address).sync().channel();
            Channel ch = new Bootstrap().group(group).channel(LocalChannel.class)
                    .handler(new ChannelHandlerAdapter() { })
                    .connect(address).sync().channel();
            ch.pipeline().addLast(counter, new LoopEndFlush(), stream);
            ChannelHandlerContext ctx = ch.pipeline().context(stream);
            int inTurn = ch.eventLoop().submit(() -> {
                ctx.write(Unpooled.wrappedBuffer(new byte[] {1}));
                ctx.flush();
                ctx.write(Unpooled.wrappedBuffer(new byte[] {2}));
                ctx.flush();
                return flushes.get();
            }).get(5, TimeUnit.SECONDS);
            assertEquals(0, inTurn, "nothing is flushed before the loop's turn ends");
            assertEquals(1, ch.eventLoop().submit(flushes::get).get(5, TimeUnit.SECONDS), "two flushes became one");

            ch.eventLoop().submit(() -> {
                ctx.write(Unpooled.wrappedBuffer(new byte[] {3}));
                ctx.flush();
                ctx.close();
            }).get(5, TimeUnit.SECONDS);
            ch.closeFuture().sync();
            for (int i = 0; i < 100 && received.size() < 3; i++) {
                Thread.sleep(20);
            }
            assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), received, "what was written before the close went out");
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void loopEndFlushFlushesAtOnceWhenTheLinkIsUnwritable() {
        EmbeddedChannel ch = new EmbeddedChannel(new LoopEndFlush());
        ch.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(8, 16));
        ChannelHandlerAdapter stream = new ChannelHandlerAdapter() { };
        ch.pipeline().addLast(stream);
        ChannelHandlerContext ctx = ch.pipeline().context(stream);
        ctx.write(Unpooled.wrappedBuffer(new byte[64]));
        assertFalse(ch.isWritable());
        ctx.flush();
        ByteBuf out = ch.readOutbound();
        assertEquals(64, out.readableBytes(), "a full write buffer goes out without waiting for the turn to end");
        out.release();
        ch.finishAndReleaseAll();
    }
}
