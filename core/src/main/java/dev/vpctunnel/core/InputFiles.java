package dev.vpctunnel.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Files named on the command line (config, token, wrangler, service and CA files): each must be a regular file (a
 * FIFO would block, /dev/zero never ends) no bigger than a cap, read with the cap enforced while reading (a file may
 * grow, /proc files claim size 0). Every refusal is an IllegalArgumentException with one line
 * "FLAG PATH: reason", which the CLIs print as it is with exit code 2.
 */
public final class InputFiles {
    public static final long MIB = 1024 * 1024;
    /** Config, token, wrangler and service files. */
    public static final long TEXT_MAX = MIB;
    /** PEM CA bundles (curl's cacert.pem of every public root is about 0.25 MiB). */
    public static final long PEM_MAX = 4 * MIB;

    private InputFiles() {
    }

    /**
     * The file as UTF-8 text, a leading byte-order mark dropped. {@code flag} names where the path came from
     * ("--config"); null for files the program found itself.
     */
    public static String read(Path file, String flag, long max) {
        byte[] bytes = readBytes(file, flag, max);
        String text = utf8(bytes);
        if (text == null) {
            throw new IllegalArgumentException(name(file, flag) + ": not UTF-8 text (binary file?)");
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** The file's bytes, refused as {@link #read} does except for the text check. */
    public static byte[] readBytes(Path file, String flag, long max) {
        String problem = problem(file);
        if (problem == null) {
            try {
                if (Files.size(file) <= max) {
                    try (InputStream in = Files.newInputStream(file)) {
                        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
                        if (bytes.length <= max) {
                            return bytes;
                        }
                    }
                }
                problem = "larger than " + size(max);
            } catch (IOException e) {
                problem = reason(e);
            }
        }
        throw new IllegalArgumentException(name(file, flag) + ": " + problem);
    }

    /** Why the file cannot be read as an input file (not there, not a regular file, not readable), or null. */
    public static String problem(Path file) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            return reason(e);
        }
        if (a.isDirectory()) {
            return "is a directory";
        }
        if (!a.isRegularFile()) {
            return "not a regular file (a device, FIFO or socket)";
        }
        if (!Files.isReadable(file)) {
            return "permission denied";
        }
        return null;
    }

    /** "FLAG PATH", or PATH alone without a flag. */
    public static String name(Path file, String flag) {
        return flag == null ? file.toString() : flag + " " + file;
    }

    /**
     * What went wrong in a file operation, in words, without the path the JDK puts in front of it (its messages of
     * NoSuchFileException and the like are the path alone).
     */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(java.util.Locale.ROOT).startsWith("is a directory")
                    ? "is a directory" : lowerFirst(f.getReason());
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** The bytes as strict UTF-8 without NUL characters (text files have none), or null when they are not that. */
    public static String utf8(byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String size(long bytes) {
        return bytes % MIB == 0 ? bytes / MIB + " MiB" : bytes + " bytes";
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() || (s.length() > 1 && Character.isUpperCase(s.charAt(1)))
                ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
