package dev.vpctunnel.edge.workerd;

import java.nio.charset.StandardCharsets;

/** Cap'n Proto text format helpers. */
final class Capnp {
    private Capnp() {
    }

    /** A double-quoted text literal; quotes, backslashes and control characters escaped. */
    static String text(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        b.append(String.format("\\x%02x", c));
                    } else {
                        b.append((char) c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
