package dev.vpctunnel.edge.directory;

/** One binding of a worker: a VPC service or a VPC network. */
public sealed interface BindingRecord permits ServiceBinding, NetworkBinding {
    String name();
}
