package dev.vpctunnel.edge.directory;

import java.util.Locale;
import java.util.Optional;

/** The three Connectivity Directory roles. */
public enum Role {
    READ("Connectivity Directory Read"),
    BIND("Connectivity Directory Bind"),
    ADMIN("Connectivity Directory Admin");

    private final String label;

    Role(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The full name, or the short one (read, bind, admin), case-insensitive. */
    public static Optional<Role> parse(String s) {
        for (Role r : values()) {
            if (r.label.equalsIgnoreCase(s) || r.name().equalsIgnoreCase(s)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    public static String allLabels() {
        return READ.label + ", " + BIND.label + ", " + ADMIN.label;
    }

    static Role ofName(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
