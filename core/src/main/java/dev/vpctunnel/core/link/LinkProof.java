package dev.vpctunnel.core.link;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Proof that a connector holds its tunnel's secret, bound to the edge's per-link challenge. */
public final class LinkProof {
    private static final SecureRandom RANDOM = new SecureRandom();

    private LinkProof() {
    }

    public static String newChallenge() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    public static byte[] prove(byte[] secret, String challenge, String tunnelId, String connectorId, int linkIndex) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            String canonical = "vpc-tunnel-register-v1\n" + challenge + "\n" + tunnelId + "\n" + connectorId + "\n" + linkIndex;
            return mac.doFinal(canonical.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Constant-time check of a proof. */
    public static boolean verify(byte[] secret, String challenge, String tunnelId, String connectorId, int linkIndex, byte[] proof) {
        return MessageDigest.isEqual(prove(secret, challenge, tunnelId, connectorId, linkIndex), proof);
    }
}
