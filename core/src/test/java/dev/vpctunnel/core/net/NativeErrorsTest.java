package dev.vpctunnel.core.net;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class NativeErrorsTest {
    @Test
    void dropsTheCallAndTheAddressNettyAdds() {
        assertEquals("Connection refused",
                NativeErrors.text("finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:23801"));
        assertEquals("Connection refused", NativeErrors.text("connect(..) failed: Connection refused: /10.0.0.5:80"));
        assertEquals("Address already in use", NativeErrors.text("bind(..) failed with error(-98): Address already in use"));
        assertEquals("No route to host", NativeErrors.text("No route to host: /fd00:0:0:0:0:0:0:5:443"));
        assertEquals("connection timed out after 5000 ms", NativeErrors.text("connection timed out after 5000 ms"));
        assertNull(NativeErrors.text(null));
    }
}
