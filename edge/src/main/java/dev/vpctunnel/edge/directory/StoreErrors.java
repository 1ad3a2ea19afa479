package dev.vpctunnel.edge.directory;

import java.sql.SQLException;
import java.util.List;

/** Store URLs and errors fit for a message or a log line: never a password. */
public final class StoreErrors {
    private StoreErrors() {
    }

    public static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("(//[^/@:]*:)[^/@]*@", "$1***@");
    }

    /**
     * The store's error fit for a message or a log line: one line, the cause's reason appended when the driver only
     * says that something failed ("The connection attempt failed."), and no secret of the URL in it: PostgreSQL's
     * driver quotes the whole URL, password included, in "Unable to parse URL …".
     */
    static String describe(SQLException e, String url) {
        java.util.Optional<String> denied = FileAccess.deniedIn(e);
        if (denied.isPresent()) {
            // H2 says "IO Exception: FILE", as for a damaged file: but restoring a backup over it is no cure
            return redact(denied.get());
        }
        String m = String.valueOf(e.getMessage());
        m = m.lines().findFirst().orElse(m);
        Throwable cause = e.getCause();
        while (cause != null && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (cause != null && cause.getMessage() != null && !m.contains(cause.getMessage())) {
            m = m + " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage().lines().findFirst().orElse("") + ")";
        }
        for (String secret : secrets(url)) {
            m = m.replace(secret, "***");
        }
        if (url.startsWith("jdbc:h2:") && (e.getErrorCode() == 90028 || e.getErrorCode() == 90030)) {
            // H2's IO_EXCEPTION_1 / FILE_CORRUPTED_1 say only "IO Exception: FILE"
            m = "the store file is damaged or truncated (restore it from a backup): " + m;
        }
        if (url.startsWith("jdbc:h2:file:") && e.getErrorCode() == 90097) { // DATABASE_IS_READ_ONLY: say why
            String file = url.substring("jdbc:h2:file:".length()).replaceFirst(";.*", "") + ".mv.db";
            m = m + FileAccess.unwritable(java.nio.file.Path.of(file)).map(why -> " (" + why + ")").orElse("");
        }
        return redact(m);
    }

    private static List<String> secrets(String url) {
        List<String> out = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)password=([^&;]+)|//[^/@:]*:([^/@]+)@").matcher(url);
        while (m.find()) {
            String s = m.group(1) != null ? m.group(1) : m.group(2);
            out.add(s);
            out.add(java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }
}
