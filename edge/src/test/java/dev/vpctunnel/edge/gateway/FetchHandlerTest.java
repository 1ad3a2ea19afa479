package dev.vpctunnel.edge.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class FetchHandlerTest {
    /** Body or trailers with no request before them: the peer broke HTTP; the connection must not wait for more. */
    @Test
    void requestContentWithoutARequestClosesTheConnection() {
        EmbeddedChannel ch = new EmbeddedChannel(new FetchHandler(new GatewayContext(null, null, null, null)));
        ByteBuf body = Unpooled.copiedBuffer(new byte[] {1, 2, 3});
        ch.writeInbound(new DefaultLastHttpContent(body));
        assertEquals(0, body.refCnt(), "the content is released");
        assertFalse(ch.isOpen(), "the connection is closed, not left waiting");
        assertNull(ch.readOutbound());
    }
}
