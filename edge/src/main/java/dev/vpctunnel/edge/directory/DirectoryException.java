package dev.vpctunnel.edge.directory;

/** A write the directory refused; the message is for the user and names the field when there is one. */
public final class DirectoryException extends RuntimeException {
    public enum Kind { NOT_FOUND, CONFLICT, INVALID, LIMIT, UNAVAILABLE }

    private final Kind kind;

    public DirectoryException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public DirectoryException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static DirectoryException notFound(String message) {
        return new DirectoryException(Kind.NOT_FOUND, message);
    }

    static DirectoryException invalid(String message) {
        return new DirectoryException(Kind.INVALID, message);
    }

    static DirectoryException conflict(String message) {
        return new DirectoryException(Kind.CONFLICT, message);
    }
}
