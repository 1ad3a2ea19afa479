package dev.vpctunnel.edge.directory;

import java.util.Properties;

/**
 * How long the directory waits for its store. PostgreSQL's driver waits forever by default for an answer
 * (socketTimeout 0): a server that stopped answering (a network partition, a paused VM, a lock held by a stuck
 * session) kept the directory's lock forever, and every admin API write hung instead of getting its 503. These bound
 * each wait; parameters given in the store URL win.
 */
final class StoreTimeouts {
    static final int PG_CONNECT_TIMEOUT_S = 5;
    static final int PG_LOGIN_TIMEOUT_S = 10;
    static final int PG_SOCKET_TIMEOUT_S = 10;

    private StoreTimeouts() {
    }

    /** Connection properties for url: the timeouts above for PostgreSQL, none for H2 (its LOCK_TIMEOUT bounds waits). */
    static Properties forUrl(String url) {
        Properties p = new Properties();
        if (url.startsWith("jdbc:postgresql:")) {
            p.setProperty("connectTimeout", String.valueOf(PG_CONNECT_TIMEOUT_S));
            p.setProperty("loginTimeout", String.valueOf(PG_LOGIN_TIMEOUT_S));
            p.setProperty("socketTimeout", String.valueOf(PG_SOCKET_TIMEOUT_S));
        }
        return p;
    }
}
