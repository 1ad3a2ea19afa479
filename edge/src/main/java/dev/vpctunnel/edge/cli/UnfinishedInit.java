package dev.vpctunnel.edge.cli;

import dev.vpctunnel.edge.directory.ApiTokenRecord;
import dev.vpctunnel.edge.directory.CreatedToken;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.InitResult;
import dev.vpctunnel.edge.directory.Role;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an 'edge init' stopped half-way leaves, and how the next one finishes it. The first init stores the account
 * and its API token, then puts the certificates in place and prints the token: stopped in between (Ctrl-C, SIGTERM, a
 * full disk; a window of a few hundred ms while the store closes), the account was there and its token shown to no
 * one, and a later init said it was printed. So {@link #FILE} is written before a new account is stored (then names
 * its token) and removed once the token was printed, or by 'edge token recover': an init that finds it replaces that
 * unseen token by a new one and prints it (no one can hold the old one). It also removes the certificate files staged by an init process that is gone.
 */
final class UnfinishedInit {
    static final String FILE = "init.unfinished";
    static final String TOKEN_NAME = "init";
    private static final Pattern STAGED = Pattern.compile(".+\\.init-(\\d{1,10})");

    private final Path marker;
    private final boolean leftOver;

    UnfinishedInit(Path data) {
        this.marker = data.resolve(FILE);
        this.leftOver = Files.exists(marker);
    }

    /** Before a new account is stored: until {@link #done}, it counts as unseen. */
    void begin() throws IOException {
        Files.writeString(marker, "");
    }

    /** The new account's token, by id: the one a later init revokes if this one stops before printing it. */
    void unseen(String tokenId) throws IOException {
        Files.writeString(marker, tokenId + "\n");
    }

    /** The store had an account: whether an earlier init stopped before printing its token. */
    boolean leftOver() {
        return leftOver;
    }

    /**
     * The earlier init's token, never shown, replaced by a new one with every role, which the caller prints. The marker
     * names it; one without a name (that init stopped within ms of storing the account) means the tokens named "init".
     */
    InitResult reissue(Directory d, String account) throws IOException {
        String id = Files.readString(marker).strip();
        CreatedToken fresh = d.createApiToken(account, TOKEN_NAME, EnumSet.allOf(Role.class));
        List<ApiTokenRecord> unseen = d.data().apiTokens(account).stream()
                .filter(t -> id.isEmpty() ? t.name().equals(TOKEN_NAME) : t.id().equals(id))
                .filter(t -> !t.id().equals(fresh.record().id())).toList();
        for (ApiTokenRecord t : unseen) {
            d.deleteApiToken(account, t.id());
        }
        return new InitResult(account, fresh.secret());
    }

    /** The token was printed (or there was none to print). Best effort: left behind, it only costs a new token. */
    void done() {
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            // as above
        }
    }

    /** Removes FILE.init-PID files (staged certificates, private keys among them) of init processes that are gone. */
    static void removeStaleStaged(Path data) {
        try (var files = Files.list(data)) {
            for (Path p : files.toList()) {
                Matcher m = STAGED.matcher(p.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort: a left-over file is never read
        }
    }
}
