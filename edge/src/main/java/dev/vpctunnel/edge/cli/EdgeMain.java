package dev.vpctunnel.edge.cli;

public final class EdgeMain {
    public static void main(String[] args) {
    }
}
