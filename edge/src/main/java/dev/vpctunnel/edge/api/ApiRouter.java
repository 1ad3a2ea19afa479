package dev.vpctunnel.edge.api;

import dev.vpctunnel.edge.directory.ApiTokenRecord;
import dev.vpctunnel.edge.directory.Directory;
import dev.vpctunnel.edge.directory.DirectoryData;
import dev.vpctunnel.edge.directory.DirectoryException;
import dev.vpctunnel.edge.directory.StoreErrors;
import dev.vpctunnel.edge.routing.LinkRegistry;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Authenticates, checks the account and dispatches /client/v4 paths to the resources. Runs on the blocking
 * executor (the directory writes through JDBC). Every outcome is an envelope; nothing escapes.
 *
 * Besides the contract's paths: GET /client/v4/user/tokens/verify (any valid token) returns the token's id,
 * status, account_id and roles, and GET /client/v4/accounts lists the token's account: the CLI finds the account there.
 */
final class ApiRouter {
    static final long CATCH_UP_EVERY_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(250);
    /** When an unknown token may make the directory catch up with the store (see {@link #route}). */
    private final dev.vpctunnel.core.net.OncePer catchUp;
    private static final Logger LOG = Logger.getLogger(ApiRouter.class.getName());

    private final Directory directory;
    private final ServicesResource services;
    private final TunnelsResource tunnels;
    private final RoutesResource routes;
    private final TokensResource tokens;
    private final WorkersResource workers;

    ApiRouter(Directory directory, LinkRegistry links) {
        this(directory, links, CATCH_UP_EVERY_NANOS);
    }

    /** {@code catchUpEveryNanos}: how often an unknown token may make the directory catch up with the store. */
    ApiRouter(Directory directory, LinkRegistry links, long catchUpEveryNanos) {
        this.catchUp = new dev.vpctunnel.core.net.OncePer(catchUpEveryNanos);
        this.directory = directory;
        this.services = new ServicesResource(directory);
        this.tunnels = new TunnelsResource(directory, links);
        this.routes = new RoutesResource(directory);
        this.tokens = new TokensResource(directory);
        this.workers = new WorkersResource(directory);
    }

    ApiResponse handle(ApiRequest req) {
        return guarded(req, () -> route(req));
    }

    /**
     * Whether a request's body is worth reading: null when its token is valid, else the answer {@link #handle} would
     * give without its body (404 for a path outside /client/v4, 401, or 503 when the store cannot be asked), so that a
     * client without a valid token cannot make the API hold bodies. Blocking, as {@link #handle}: it may catch up with
     * the store.
     */
    ApiResponse refusalBeforeBody(ApiRequest head) {
        return guarded(head, () -> {
            apiSegments(head);
            token(head);
            return null;
        });
    }

    private ApiResponse guarded(ApiRequest req, java.util.function.Supplier<ApiResponse> work) {
        try {
            return work.get();
        } catch (ApiException e) {
            return Envelope.error(e);
        } catch (DirectoryException e) {
            if (e.kind() == DirectoryException.Kind.UNAVAILABLE) {
                // the client only sees 503 "directory store unavailable": the operator needs the store's reason
                LOG.warning(() -> "admin API: " + req + ": " + storeReason(e));
            }
            return Envelope.error(map(e));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "admin API: " + req + " failed", e);
            return Envelope.error(500, ApiException.CODE_INTERNAL, "internal error");
        }
    }

    /** The first line of the store's message, and the root cause's when it says more (No space left on device). */
    static String storeReason(DirectoryException e) {
        String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("").replaceFirst("; SQL statement:$", "");
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String rootWhy = root == e || root.getMessage() == null ? ""
                : StoreErrors.redact(root.getMessage().lines().findFirst().orElse(""));
        return rootWhy.isEmpty() || why.contains(rootWhy) ? why : why + " (" + rootWhy + ")";
    }

    static ApiException map(DirectoryException e) {
        return switch (e.kind()) {
            case NOT_FOUND -> ApiException.notFound(e.getMessage());
            case CONFLICT -> new ApiException(409, ApiException.CODE_CONFLICT, e.getMessage());
            case INVALID -> ApiException.invalid(e.getMessage());
            case LIMIT -> new ApiException(400, ApiException.CODE_LIMIT, e.getMessage());
            case UNAVAILABLE -> new ApiException(503, ApiException.CODE_UNAVAILABLE, "directory store unavailable");
        };
    }

    /** The path's segments; 404 for a path outside /client/v4 (its answer needs no token). */
    private static List<String> apiSegments(ApiRequest req) {
        List<String> seg = segments(req.path());
        if (seg.size() < 3 || !seg.get(0).equals("client") || !seg.get(1).equals("v4")) {
            throw noRoute(req);
        }
        return seg;
    }

    private static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    private ApiResponse route(ApiRequest req) {
        List<String> seg = apiSegments(req);
        ApiTokenRecord token = token(req);
        DirectoryData data = directory.data();
        if (seg.equals(List.of("client", "v4", "user", "tokens", "verify"))) {
            requireGet(req);
            return Envelope.ok(verify(token));
        }
        if (!seg.get(2).equals("accounts")) {
            throw noRoute(req);
        }
        if (seg.size() == 3) {
            requireGet(req);
            ArrayNode list = Json.MAPPER.createArrayNode();
            list.addObject().put("id", token.accountId()).put("name", "account " + token.accountId());
            return Envelope.list(list);
        }
        String account = seg.get(3);
        if (!account.equals(token.accountId())) {
            throw ApiException.forbidden("this token is not valid for account " + account);
        }
        List<String> rest = seg.subList(4, seg.size());
        Call call = new Call(req.method(), List.copyOf(rest), token, account, req.body(), data, req.query());
        if (rest.size() >= 3 && rest.get(0).equals("connectivity") && rest.get(1).equals("directory")
                && rest.get(2).equals("services")) {
            return services.handle(call, rest.subList(3, rest.size()));
        }
        if (!rest.isEmpty() && rest.get(0).equals("cfd_tunnel")) {
            return tunnels.handle(call, rest.subList(1, rest.size()));
        }
        if (rest.size() >= 2 && rest.get(0).equals("teamnet") && rest.get(1).equals("routes")) {
            return routes.handleNetworks(call, rest.subList(2, rest.size()));
        }
        if (rest.size() >= 3 && rest.get(0).equals("zerotrust") && rest.get(1).equals("routes")
                && rest.get(2).equals("hostname")) {
            return routes.handleHostnames(call, rest.subList(3, rest.size()));
        }
        if (!rest.isEmpty() && rest.get(0).equals("tokens")) {
            return tokens.handle(call, rest.subList(1, rest.size()));
        }
        if (rest.size() >= 2 && rest.get(0).equals("workers") && rest.get(1).equals("scripts")) {
            return workers.handle(call, rest.subList(2, rest.size()));
        }
        throw noRoute(req);
    }

    static ApiException noRoute(ApiRequest req) {
        return new ApiException(404, ApiException.CODE_NO_ROUTE, "no route for " + req.method() + " " + req.path());
    }

    private static void requireGet(ApiRequest req) {
        if (!req.method().equals("GET")) {
            throw Call.methodNotAllowed(req.method(), "GET");
        }
    }

    /** The request's token: 401 when absent, malformed or unknown (after one catch-up), 503 when the store is down. */
    private ApiTokenRecord token(ApiRequest req) {
        DirectoryData data = directory.data();
        ApiTokenRecord token = authenticate(req, data);
        if (token == null && directory.storeDown()) {
            // the store does not answer: looking the token up there would hold an API thread for the driver's timeouts
            throw new DirectoryException(DirectoryException.Kind.UNAVAILABLE,
                    "directory store unavailable: a token this edge has not seen cannot be checked now");
        }
        if (token == null && catchUp.now()) {
            // a token made on another edge sharing the store: catch up once (cheap when nothing changed); at most once
            // per period (250 ms), so requests with made-up tokens cannot keep the store busy and its lock taken
            directory.refresh();
            token = authenticate(req, directory.data());
        }
        if (token == null) {
            throw new ApiException(401, ApiException.CODE_UNAUTHENTICATED, "invalid API token");
        }
        return token;
    }

    /** The token, null when unknown; 401 when the header is absent or malformed. */
    private static ApiTokenRecord authenticate(ApiRequest req, DirectoryData data) {
        String h = req.authorization();
        if (h == null || h.isBlank()) {
            throw new ApiException(401, ApiException.CODE_UNAUTHENTICATED,
                    "authentication required: send Authorization: Bearer API_TOKEN");
        }
        String v = h.trim();
        if (v.length() < 7 || !v.substring(0, 7).equalsIgnoreCase("Bearer ")) {
            throw new ApiException(401, ApiException.CODE_UNAUTHENTICATED, "Authorization must be 'Bearer API_TOKEN'");
        }
        return data.apiToken(v.substring(7).trim()).orElse(null);
    }

    private static ObjectNode verify(ApiTokenRecord t) {
        ObjectNode o = Json.object();
        o.put("id", t.id());
        o.put("status", "active");
        o.put("account_id", t.accountId());
        Render.putRoles(o, t);
        return o;
    }
}
