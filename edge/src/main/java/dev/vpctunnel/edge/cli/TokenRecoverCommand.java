package dev.vpctunnel.edge.cli;

import dev.vpctunnel.edge.directory.CreatedToken;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.FileAccess;
import dev.vpctunnel.edge.directory.H2Store;
import dev.vpctunnel.edge.directory.Role;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ObjectNode;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * edge token recover: a new all-roles API token written straight into the store, for an operator who lost every
 * Admin token (or whose first 'edge init' failed after creating the account, before it could print one). No API and no
 * token: whoever may write the data dir (or reach the --store database) controls the edge anyway. The embedded store
 * can be opened by one process only, so the edge must be stopped; with PostgreSQL it may run (it sees the token within
 * its refresh interval).
 */
@Command(name = "recover", mixinStandardHelpOptions = true,
        description = "Issue a new API token with every role directly in a stopped edge's store (when every Admin token"
                + " is lost); its secret is printed once.")
final class TokenRecoverCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", required = true, description = "The edge's data directory.")
    Path data;

    @Option(names = "--store", paramLabel = "JDBC_URL",
            description = "Directory store, as given to 'edge serve' (default: embedded H2 in DIR).")
    String store;

    @Option(names = "--json", description = "Print exactly one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean embedded = store == null || store.isBlank();
        java.util.Optional<String> denied = embedded ? FileAccess.unreadable(data, H2Store.FILE)
                .or(() -> FileAccess.unwritable(data.resolve(H2Store.FILE))) : java.util.Optional.empty();
        if (denied.isPresent()) { // else an unreadable dir looks like no store, an unreadable store like a damaged one
            err.println("edge token recover: " + denied.get() + "; nothing changed");
            err.flush();
            return 1;
        }
        if (embedded && !Files.isRegularFile(data.resolve(H2Store.FILE))) {
            // opening it would create an empty store there
            err.println("edge token recover: " + data + " holds no directory store (" + H2Store.FILE + "): not an edge's"
                    + " data directory, or never initialised ('edge init --data " + data + "')");
            err.flush();
            return 2;
        }
        try (Directory d = Directory.open(data, store)) {
            List<String> accounts = d.data().accounts();
            if (accounts.isEmpty()) {
                err.println("edge token recover: the store " + (embedded ? "in " + data : "at --store")
                        + " holds no account: run 'edge init' first");
                err.flush();
                return 2;
            }
            String account = accounts.get(0);
            CreatedToken t = d.createApiToken(account,
                    "recovered " + LocalDate.now(ZoneOffset.UTC), EnumSet.allOf(Role.class));
            new UnfinishedInit(data).done(); // a token is out now: a later init has none to reissue
            if (json) {
                ObjectNode o = ApiClient.JSON.createObjectNode().put("account_id", account).put("id", t.record().id())
                        .put("name", t.record().name()).put("value", t.secret());
                out.println(ApiClient.JSON.writeValueAsString(o));
            } else {
                out.println("Created token '" + t.record().name() + "' (id " + t.record().id() + ") with every role in"
                        + " account " + account);
                out.println("token: " + t.secret());
                out.println("(shown once: only a hash is kept; revoke lost tokens with 'edge token list' and"
                        + " 'edge token delete')");
            }
            out.flush();
            return 0;
        } catch (SQLException e) {
            String m = String.valueOf(e.getMessage());
            err.println("edge token recover: " + (m.contains("locked") || m.contains("already in use")
                    ? "the store in " + data + " is in use by a running edge: stop it first (the embedded store"
                    + " opens in one process at a time); nothing changed"
                    : "cannot open the directory store: " + m.lines().findFirst().orElse(m) + "; nothing changed"));
        } catch (RuntimeException e) {
            err.println("edge token recover: " + e.getMessage());
        }
        err.flush();
        return 1;
    }
}
