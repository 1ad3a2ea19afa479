package dev.vpctunnel.connector.origin;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RequestPumpTest {
    private static RequestPump pump() {
        return new RequestPump(null, e -> { }); // knownLength looks at the queue only
    }

    @Test
    void aBodyDeliveredWholeHasItsLengthUnlessTrailersEndIt() {
        RequestPump empty = pump();
        empty.add(new DefaultLastHttpContent());
        assertEquals(0, empty.knownLength());
        empty.stop();

        RequestPump whole = pump();
        whole.add(new DefaultLastHttpContent(Unpooled.copiedBuffer(new byte[5])));
        assertEquals(5, whole.knownLength());
        whole.stop();

        // HEADERS, then trailers that end the stream, both read before the origin connection was ready: a
        // Content-Length: 0 request would have dropped the trailers, a chunked one carries them
        RequestPump trailers = pump();
        LastHttpContent end = new DefaultLastHttpContent();
        end.trailingHeaders().set("x-checksum", "0");
        trailers.add(end);
        assertEquals(-1, trailers.knownLength());
        trailers.stop();

        RequestPump unfinished = pump();
        unfinished.add(new DefaultHttpContent(Unpooled.copiedBuffer(new byte[3])));
        assertEquals(-1, unfinished.knownLength());
        unfinished.stop();
    }
}
