package dev.vpctunnel.core.net;

import java.util.regex.Pattern;

/** Netty's native transport messages as a user reads them: "connect(..) failed with error(-111): " and the like dropped. */
public final class NativeErrors {
    private static final Pattern CALL = Pattern.compile("^\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: ");
    private static final Pattern ADDRESS = Pattern.compile(": /[0-9A-Fa-f.:%\\[\\]]+$");

    private NativeErrors() {
    }

    /**
     * m without the system call's name and error number ("bind(..) failed with error(-98): Address already in use"
     * is "Address already in use"), and without the remote address Netty appends (": /127.0.0.1:80"; callers name
     * the address themselves). Null stays null.
     */
    public static String text(String m) {
        if (m == null) {
            return null;
        }
        return ADDRESS.matcher(CALL.matcher(m).replaceFirst("")).replaceFirst("");
    }

    /**
     * Why a connect failed, as a user reads it: {@link #text} of its message, or, where the kernel's error has no text
     * there (an unreachable host: "null: edge/10.0.0.5:7844"), what such an error means.
     */
    public static String connectFailure(Throwable t) {
        String m = text(t.getMessage());
        if (m == null || m.isBlank() || m.startsWith("null")) {
            return "no route to it, or no answer (" + t.getClass().getSimpleName() + ")";
        }
        return m;
    }
}
