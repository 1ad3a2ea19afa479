package dev.vpctunnel.edge.directory;

import java.util.Set;
import java.util.regex.Pattern;

/** Name rules shared by the API and the wrangler file reader. */
public final class Names {
    private static final Pattern JS_IDENTIFIER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");
    private static final Pattern WORKER = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9_-]{0,62})");
    private static final Set<String> RESERVED = Set.of("break", "case", "catch", "class", "const", "continue",
            "debugger", "default", "delete", "do", "else", "enum", "export", "extends", "false", "finally", "for",
            "function", "if", "import", "in", "instanceof", "new", "null", "return", "super", "switch", "this",
            "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "let", "static",
            "implements", "interface", "package", "private", "protected", "public", "await");

    private Names() {
    }

    /** A binding name must be usable as env.NAME in a Worker. */
    public static boolean isJsIdentifier(String s) {
        return s != null && s.length() <= 255 && JS_IDENTIFIER.matcher(s).matches() && !RESERVED.contains(s);
    }

    /** Worker script names: letters, digits, '-' and '_', 1-63 characters, starting with a letter or digit. */
    public static boolean isWorkerName(String s) {
        return s != null && WORKER.matcher(s).matches();
    }
}
