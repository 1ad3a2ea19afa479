package dev.vpctunnel.connector.cli;

public final class ConnectorMain {
    public static void main(String[] args) {
    }
}
