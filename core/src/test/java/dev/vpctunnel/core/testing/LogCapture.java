package dev.vpctunnel.core.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The messages one logger logs while it is open, at {@code level} and above (the logger's own level lowered to it
 * meanwhile): {@code try (LogCapture log = LogCapture.of(LinkSlot.class, Level.FINE)) { … log.messages() … }}.
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger;
    private final Level before;
    private final List<String> messages = new CopyOnWriteArrayList<>();

    private LogCapture(Logger logger, Level level) {
        this.logger = logger;
        this.before = logger.getLevel();
        setLevel(level);
        Level effective = null;
        for (Logger l = logger; l != null && effective == null; l = l.getParent()) {
            effective = l.getLevel();
        }
        if (effective == null || effective.intValue() > level.intValue()) { // lowered only: other handlers see the same
            logger.setLevel(level);
        }
        logger.addHandler(this);
    }

    public static LogCapture of(Class<?> logger, Level level) {
        return new LogCapture(Logger.getLogger(logger.getName()), level);
    }

    public static LogCapture of(String logger, Level level) {
        return new LogCapture(Logger.getLogger(logger), level);
    }

    /** What was logged so far, in order (live: later messages appear in it). */
    public List<String> messages() {
        return messages;
    }

    @Override
    public void publish(LogRecord r) {
        if (isLoggable(r)) {
            messages.add(r.getMessage());
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(before);
    }
}
