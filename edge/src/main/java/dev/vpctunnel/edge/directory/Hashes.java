package dev.vpctunnel.edge.directory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Random secrets and their SHA-256 (enough for high-entropy tokens), compared in constant time. */
public final class Hashes {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** One digest per thread: the gateway hashes a token per fetch, and a provider lookup per call costs more. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private Hashes() {
    }

    public static byte[] sha256(String token) {
        MessageDigest d = SHA256.get();
        d.reset();
        return d.digest(token.getBytes(StandardCharsets.UTF_8));
    }

    public static String sha256Hex(String token) {
        return HexFormat.of().formatHex(sha256(token));
    }

    public static boolean equal(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** 32 lowercase hex characters, like Cloudflare's account and token ids. */
    public static String randomHexId() {
        return HexFormat.of().formatHex(randomBytes(16));
    }

    /**
     * A bearer secret: a prefix then 32 random bytes in base64url, never starting with '-' (one in 64 did: then
     * {@code edge deploy --token TOKEN} read it as options, "Expected parameter for option '--token'").
     */
    public static String newToken(String prefix) {
        String t;
        do {
            t = prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        } while (t.startsWith("-"));
        return t;
    }
}
