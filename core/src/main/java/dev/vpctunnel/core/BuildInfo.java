package dev.vpctunnel.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The project version and the commit the build came from, filled in by the build (core's pom). */
public final class BuildInfo {
    private static final Properties BUILD = load();
    /** The project version, "0.1.0". */
    public static final String VERSION = value("version", "dev");
    /** The commit's short id, "" when the build had no git checkout (an unpacked source archive). */
    public static final String COMMIT = value("commit", "");
    private static final String COMMITTED = value("committed", "");
    private static final boolean MODIFIED = value("dirty", "false").equals("true");

    private BuildInfo() {
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // dev, below
        }
        return p;
    }

    /** A property the build filled in; {@code otherwise} when it was not (still "${...}", or missing). */
    private static String value(String key, String otherwise) {
        String v = BUILD.getProperty(key, "").strip();
        return v.isEmpty() || v.startsWith("${") ? otherwise : v;
    }

    /**
     * What a connector tells the edge and 'edge tunnel connections' shows: the version, and the commit as semver build
     * metadata, "0.1.0+2513c21" (".modified" for a build of uncommitted changes).
     */
    public static String full() {
        return COMMIT.isEmpty() ? VERSION : VERSION + "+" + COMMIT + (MODIFIED ? ".modified" : "");
    }

    /** For --version: "0.1.0 (commit 2513c21 of 2026-12-05)", the version alone when the commit is unknown. */
    public static String describe() {
        return COMMIT.isEmpty() ? VERSION : VERSION + " (commit " + COMMIT + (COMMITTED.isEmpty() ? "" : " of " + COMMITTED)
                + (MODIFIED ? ", with uncommitted changes" : "") + ")";
    }
}
