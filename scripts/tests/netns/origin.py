#!/usr/bin/env python3
"""Private-LAN origins for the netns gateway suite: one asyncio process serving several HTTP/1.1 origins.

    origin.py --serve ID,ADDR,PORT[,CERT,KEY] [--serve ...] [--log FILE]

Every origin answers with its identity so a test can tell which host, port and connector a fetch reached:
  GET|POST|... /anything   JSON echo: id, method, path, host (the Host header), sni (https), peer (the connector's
                           source address), local (address:port that accepted), headers, body_len
  /big?bytes=N             N bytes of body (Content-Length), streamed from one reused buffer
  /upload                  reads the whole request body (Content-Length or chunked) and answers its length
  ?pause=S                 (any path) waits S seconds before reading the request body
  /slow?secs=S&chunks=K    chunked body, K chunks over S seconds (headers first, with x-origin-peer;
                           &head_delay=D holds the headers back D seconds)
  /status/NNN              the echo with status NNN (origin errors must come back as they are; 204/304 bodiless)
  /truncate                Content-Length 100000, 1000 bytes sent, then the connection closes
  /drop                    the connection closes without an answer
  HEAD                     the echo's headers (with its Content-Length), no body
Response headers x-origin-id and x-origin-peer are set on every answer. One log line per request goes to --log.
"""
import argparse
import asyncio
import json
import ssl
import sys
import time
import urllib.parse

CHUNK = memoryview(b"\x5a" * (1 << 20))
LOG = None


def log(line):
    if LOG:
        LOG.write(line + "\n")
        LOG.flush()


class BadRequest(Exception):
    pass


async def read_body(reader, headers):
    """Yields the request body in pieces (Content-Length or chunked)."""
    te = headers.get("transfer-encoding", "").lower()
    if "chunked" in te:
        while True:
            line = await reader.readuntil(b"\r\n")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return
            left = size
            while left:
                b = await reader.read(min(left, 1 << 20))
                if not b:
                    raise BadRequest("eof in chunk")
                left -= len(b)
                yield b
            await reader.readexactly(2)
    else:
        left = int(headers.get("content-length", "0") or "0")
        while left:
            b = await reader.read(min(left, 1 << 20))
            if not b:
                raise BadRequest("eof in body")
            left -= len(b)
            yield b


def make_handler(ident, ssl_on):
    async def handle(reader, writer):
        peer = writer.get_extra_info("peername")
        sock = writer.get_extra_info("sockname")
        peer_s = peer[0] if peer else "?"
        local_s = ("[%s]:%d" if ":" in sock[0] else "%s:%d") % (sock[0], sock[1])
        sni = None
        if ssl_on:
            so = writer.get_extra_info("ssl_object")
            sni = getattr(so, "vpcgw_sni", None)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ", 2)
                headers = {}
                hlist = []
                for l in lines[1:]:
                    if not l:
                        continue
                    k, v = l.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
                    hlist.append([k.strip().lower(), v.strip()])
                u = urllib.parse.urlsplit(target)
                q = urllib.parse.parse_qs(u.query)
                n = 0
                if "pause" in q:  # a slow origin: reads nothing of the body for a while
                    await asyncio.sleep(float(q["pause"][0]))
                async for b in read_body(reader, headers):
                    n += len(b)
                keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
                log("%s %s %s %s host=%s peer=%s sni=%s body=%d" % (time.strftime("%H:%M:%S"), ident, method, target,
                                                                     headers.get("host"), peer_s, sni, n))
                base = "x-origin-id: %s\r\nx-origin-peer: %s\r\n" % (ident, peer_s)
                conn = "" if keep else "connection: close\r\n"
                if u.path == "/big":
                    size = int(q.get("bytes", ["0"])[0])
                    writer.write(("HTTP/1.1 200 OK\r\n%scontent-type: application/octet-stream\r\ncontent-length: %d\r\n%s\r\n"
                                  % (base, size, conn)).encode())
                    left = size
                    try:
                        while left:
                            k = min(left, len(CHUNK))
                            writer.write(CHUNK[:k])
                            left -= k
                            await writer.drain()
                    except ConnectionError:
                        log("%s big aborted %s after %d bytes" % (ident, target, size - left))
                        raise
                    log("%s big complete %s" % (ident, target))
                elif u.path == "/slow":
                    secs = float(q.get("secs", ["5"])[0])
                    chunks = int(q.get("chunks", ["10"])[0])
                    await asyncio.sleep(float(q.get("head_delay", ["0"])[0]))
                    writer.write(("HTTP/1.1 200 OK\r\n%scontent-type: text/plain\r\ntransfer-encoding: chunked\r\n%s\r\n"
                                  % (base, conn)).encode())
                    await writer.drain()
                    try:
                        for i in range(chunks):
                            await asyncio.sleep(secs / chunks)
                            data = ("chunk %d from %s\n" % (i, ident)).encode()
                            writer.write(b"%x\r\n%s\r\n" % (len(data), data))
                            await writer.drain()
                        writer.write(b"0\r\n\r\n")
                        await writer.drain()
                    except ConnectionError:
                        log("%s slow aborted %s after %d chunks" % (ident, target, i))
                        raise
                    log("%s slow complete %s" % (ident, target))
                elif u.path == "/truncate":
                    # promises 100000 bytes, sends 1000, closes: the gateway must not make it look complete
                    writer.write(("HTTP/1.1 200 OK\r\n%scontent-length: 100000\r\n\r\n" % base).encode() + b"t" * 1000)
                    await writer.drain()
                    await asyncio.sleep(0.2)
                    return
                elif u.path == "/drop":
                    return  # closes without any answer
                else:
                    status = 200
                    if u.path.startswith("/status/"):
                        status = int(u.path[len("/status/"):])
                    body = json.dumps({"id": ident, "method": method, "path": target, "host": headers.get("host"),
                                       "sni": sni, "peer": peer_s, "local": local_s, "headers": hlist,
                                       "body_len": n}).encode() + b"\n"
                    if status in (204, 304):
                        writer.write(("HTTP/1.1 %d X\r\n%s%s\r\n" % (status, base, conn)).encode())
                    else:
                        writer.write(("HTTP/1.1 %d X\r\n%scontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n"
                                      % (status, base, len(body), conn)).encode() + (b"" if method == "HEAD" else body))
                await writer.drain()
                if not keep:
                    return
        except (BadRequest, ValueError, asyncio.IncompleteReadError, ConnectionError, ssl.SSLError) as e:
            log("%s connection from %s ended: %r" % (ident, peer_s, e))
        finally:
            try:
                writer.close()
            except Exception:
                pass
    return handle


async def main():
    global LOG
    p = argparse.ArgumentParser()
    p.add_argument("--serve", action="append", required=True)
    p.add_argument("--log")
    a = p.parse_args()
    if a.log:
        LOG = open(a.log, "a")
    servers = []
    for spec in a.serve:
        parts = spec.split(",")
        ident, addr, port = parts[0], parts[1], int(parts[2])
        ctx = None
        if len(parts) >= 5:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(parts[3], parts[4])

            def sni_cb(so, name, _ctx):
                so.vpcgw_sni = name
            ctx.sni_callback = sni_cb
        servers.append(await asyncio.start_server(make_handler(ident, ctx is not None), addr, port, ssl=ctx,
                                                  backlog=4096, limit=1 << 16))
    print("origins ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
