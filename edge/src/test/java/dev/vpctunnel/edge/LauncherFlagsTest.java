package dev.vpctunnel.edge;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM flags of {@code scripts/edge} and {@code scripts/connector} (scripts/lib/launcher.sh) keep Netty's buffer allocator out of its
 * low-memory mode, which their 512 MiB heap would otherwise select (scripts/BENCH.md, item 19): run in a child JVM
 * with exactly the launcher's default flags, Netty's allocator must not be in that mode, and without the property it
 * must be (so a Netty that renames the property or moves its threshold fails here instead of silently costing 8 %).
 */
class LauncherFlagsTest {
    private static final String PROPERTY = "-Dio.netty.allocator.lowMemory=false";

    @Test
    void theLaunchersDefaultFlagsKeepNettysAllocatorOutOfLowMemoryMode() throws Exception {
        for (String launcher : List.of("edge", "connector")) {
            List<String> flags = defaults(launcher);
            assertTrue(flags.contains(PROPERTY), launcher + " launcher defaults lack " + PROPERTY + ": " + flags);
            assertEquals("lowMemory=false", probe(flags), launcher + " launcher's defaults");
            List<String> without = new ArrayList<>(flags);
            without.remove(PROPERTY);
            assertEquals("lowMemory=true", probe(without), "the same heap without the property (" + without
                    + "): Netty no longer counts it as low memory, so the launcher's property may have lost its purpose");
        }
    }

    /**
     * The default flags the launcher script runs with: it sources scripts/lib/launcher.sh for its piece, whose
     * {@code defaults=${!defaults_var-$JVM_DEFAULTS}} takes them (bash: the default when PIECE_JVM_DEFAULTS is unset)
     * from scripts/lib/jvm-defaults.sh.
     */
    private static List<String> defaults(String launcher) throws IOException {
        Path scripts = Path.of("").toAbsolutePath().getParent().resolve("scripts");
        String own = Files.readString(scripts.resolve(launcher), StandardCharsets.UTF_8);
        assertTrue(own.contains("\npiece=" + launcher + "\n") && own.contains("lib/launcher.sh"),
                launcher + " launcher does not run the shared scripts/lib/launcher.sh for its piece");
        Path lib = scripts.resolve("lib").resolve("launcher.sh");
        String launcherLib = Files.readString(lib, StandardCharsets.UTF_8);
        assertTrue(launcherLib.contains("\n. \"$here/scripts/lib/jvm-defaults.sh\"\n")
                && launcherLib.contains("\ndefaults=${!defaults_var-$JVM_DEFAULTS}\n"), lib + " does not default to JVM_DEFAULTS");
        Path defaults = scripts.resolve("lib").resolve("jvm-defaults.sh");
        Matcher m = Pattern.compile("(?m)^JVM_DEFAULTS=\"(.*)\"$").matcher(Files.readString(defaults, StandardCharsets.UTF_8));
        assertTrue(m.find(), "no JVM_DEFAULTS line in " + defaults);
        return Arrays.asList(m.group(1).trim().split("\\s+"));
    }

    private static String probe(List<String> flags) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(flags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish: " + cmd);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), "probe JVM failed: " + out);
        return out;
    }

    /** Prints whether Netty's adaptive allocator decided on its low-memory mode in this JVM. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            Field f = Class.forName("io.netty.buffer.AdaptivePoolingAllocator").getDeclaredField("IS_LOW_MEM");
            f.setAccessible(true);
            System.out.println("lowMemory=" + f.getBoolean(null));
        }
    }
}
