/**
 * The admin REST API (CONTRACT.md's table), served by {@link dev.vpctunnel.edge.api.AdminApiServer}.
 *
 * <p>Every response is Cloudflare's envelope {@code {"success","errors":[{"code","message"}],"messages":[],"result"}}
 * (lists add {@code result_info}). Under {@code /client/v4/accounts/{account_id}}:
 * {@code connectivity/directory/services[/{id}]}, {@code cfd_tunnel[/{id}[/token|/connections]]},
 * {@code teamnet/routes[/{id}]}, {@code zerotrust/routes/hostname[/{id}]}, {@code tokens[/{id}]},
 * {@code workers/scripts/{name}}. Also {@code GET /client/v4/user/tokens/verify} (any valid token: id, status,
 * account_id, roles) and {@code GET /client/v4/accounts} (the token's account): the CLI finds its account there.
 *
 * <p>Status and error codes: 400/1001 invalid body (the message starts with the field's JSON path), 400/1014 a limit
 * (10,000 services per account), 401/10000 no or unknown token, 403/10001 missing role or another account, 404/7000
 * unknown path, 404/7003 unknown id, 405/7001 wrong method, 409/1009 conflict (tunnel in use, duplicate name or
 * route), 413/1013 body over 1 MiB, 503/1503 store unavailable, 500/1500 a bug.
 *
 * <p>Requests run on the caller's blocking executor (JDBC); the event loop only decodes and writes.
 */
package dev.vpctunnel.edge.api;
