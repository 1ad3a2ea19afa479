/**
 * The connectivity directory: {@link dev.vpctunnel.edge.directory.Directory} (a JDBC store, H2 file
 * {@code jdbc:h2:file:DIR/directory} by default or PostgreSQL, one transaction per write) and the immutable
 * {@link dev.vpctunnel.edge.directory.DirectorySnapshot} the gateway and the link read without blocking.
 * Secrets: API and gateway tokens are stored as SHA-256 only; tunnel secrets are stored (connectors prove them).
 */
package dev.vpctunnel.edge.directory;
