package dev.vpctunnel.core.log;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One line per event on stderr, as text or JSON, through java.util.logging. */
public final class Logs {
    /** Always with milliseconds (ISO_INSTANT drops ".000"): every line's time has the same width, for parsers. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private Logs() {
    }

    public enum Format { TEXT, JSON }

    /** Parses the --log-level values operators know (debug, info, warn, error). */
    public static Level parseLevel(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "trace" -> Level.FINEST;
            case "debug" -> Level.FINE;
            case "info" -> Level.INFO;
            case "warn", "warning" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            default -> throw new IllegalArgumentException("log level must be one of debug, info, warn, error; got '" + s + "'");
        };
    }

    public static Format parseFormat(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "text" -> Format.TEXT;
            case "json" -> Format.JSON;
            default -> throw new IllegalArgumentException("log format must be text or json; got '" + s + "'");
        };
    }

    /** The format {@link #configure} set up; null before. */
    private static volatile Format configured;

    /**
     * Why the process stops, on stderr: "PROGRAM: MESSAGE" as the CLI's other refusals, or one JSON log object once
     * logging is set up as JSON (an operator's log collector then reads every line).
     */
    /** Whether logging was set up as JSON lines. */
    public static boolean json() {
        return configured == Format.JSON;
    }

    public static void fatal(String program, String message) {
        if (configured == Format.JSON) {
            Logger.getLogger("dev.vpctunnel." + program.replace(' ', '.')).severe(message);
        } else {
            System.err.println(program + ": " + message);
        }
    }

    public static void configure(Format format, Level level) {
        configured = format;
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Handler h = new StderrHandler();
        h.setLevel(level);
        h.setFormatter(format == Format.JSON ? new JsonLine() : new TextLine());
        root.addHandler(h);
        // debug is ours: the JDK's and the libraries' own debug output (every CA in cacerts, ...) stays at info.
        Level notBelowInfo = level.intValue() < Level.INFO.intValue() ? Level.INFO : level;
        root.setLevel(notBelowInfo);
        PINNED.clear();
        PINNED.add(pin("dev.vpctunnel", level));
        PINNED.add(pin("org.bouncycastle", Level.WARNING.intValue() < level.intValue() ? level : Level.WARNING));
        // BC JSSE warns on each start that it ignores two entries of the JDK's java.security: noise, not news.
        PINNED.add(pin("org.bouncycastle.jsse.provider.DisabledAlgorithmConstraints", Level.SEVERE));
        PINNED.add(pin("io.netty", notBelowInfo));
        // Netty's HTTP/2 decoder logs at info each frame it ignores for a stream just reset (every cancelled fetch
        // whose body was still coming: hundreds of lines naming only channel ids); its warnings still show.
        Level warning = Level.WARNING.intValue() < level.intValue() ? level : Level.WARNING;
        PINNED.add(pin("io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder", warning));
    }

    /** Loggers whose level we set: kept strongly reachable, else java.util.logging may forget the level. */
    private static final java.util.List<Logger> PINNED = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static Logger pin(String name, Level level) {
        Logger l = Logger.getLogger(name);
        l.setLevel(level);
        return l;
    }

    private static String shortName(String logger) {
        if (logger == null) {
            return "-";
        }
        int dot = logger.lastIndexOf('.');
        return dot < 0 ? logger : logger.substring(dot + 1);
    }

    private static String levelName(Level l) {
        if (l.intValue() >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (l.intValue() >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (l.intValue() >= Level.INFO.intValue()) {
            return "INFO";
        }
        return "DEBUG";
    }

    /** Writes each record as one line on stderr (never closes it, unlike ConsoleHandler.setOutputStream). */
    static final class StderrHandler extends Handler {
        @Override
        public void publish(LogRecord r) {
            if (!isLoggable(r)) {
                return;
            }
            String line = getFormatter().format(r);
            PrintStream err = System.err;
            synchronized (err) {
                err.print(line);
                err.flush();
            }
        }

        @Override
        public void flush() {
            System.err.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }

    static final class TextLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder(160);
            sb.append(TIME.format(Instant.ofEpochMilli(r.getMillis()))).append(' ')
                    .append(levelName(r.getLevel())).append(' ')
                    .append(shortName(r.getLoggerName())).append(": ")
                    .append(formatMessage(r).replace('\n', ' '));
            if (r.getThrown() != null) {
                sb.append(" (").append(r.getThrown()).append(')');
            }
            return sb.append('\n').toString();
        }
    }

    static final class JsonLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder(200);
            sb.append("{\"time\":\"").append(TIME.format(Instant.ofEpochMilli(r.getMillis())))
                    .append("\",\"level\":\"").append(levelName(r.getLevel()))
                    .append("\",\"logger\":\"").append(escape(shortName(r.getLoggerName())))
                    .append("\",\"msg\":\"").append(escape(formatMessage(r))).append('"');
            if (r.getThrown() != null) {
                sb.append(",\"error\":\"").append(escape(r.getThrown().toString())).append('"');
            }
            return sb.append("}\n").toString();
        }
    }

    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
