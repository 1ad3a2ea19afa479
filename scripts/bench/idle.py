#!/usr/bin/env python3
"""Idle-stream test helpers for scripts/bench.sh (stdlib only).

  idle.py origin PORT STATUSFILE        an HTTP origin that reads each request and never answers (holds it);
                                        writes the number of requests it holds to STATUSFILE twice a second
  idle.py clients HOST:PORT N HOLD_S HEADER...   opens N HTTP/1.1 connections to the gateway, sends one GET each,
                                        keeps them open HOLD_S seconds (or until killed); prints progress;
                                        the gateway token comes from IDLE_GATEWAY_TOKEN
"""
import asyncio, os, sys, time

async def origin(port, status):
    held = 0
    async def handle(r, w):
        nonlocal held
        try:
            await r.readuntil(b"\r\n\r\n")
            held += 1
            try:
                while await r.read(65536):  # whatever else comes (e.g. an empty chunked body), until the peer closes
                    pass
            finally:
                held -= 1
        except Exception as e:
            print("origin: connection ended:", repr(e)[:200], flush=True)
        finally:
            w.close()
    srv = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096, limit=65536)
    async def report():
        while True:
            tmp = status + ".tmp"
            with open(tmp, "w") as f:
                f.write(str(held))
            os.replace(tmp, status)
            await asyncio.sleep(0.5)
    asyncio.get_running_loop().create_task(report())
    async with srv:
        await srv.serve_forever()

async def clients(target, n, hold_s, headers):
    host, port = target.rsplit(":", 1)
    token = os.environ.get("IDLE_GATEWAY_TOKEN")  # from the environment: a command line shows in ps
    if token:
        headers = list(headers) + ["Proxy-Authorization: Bearer " + token]
    req = ("GET /hold HTTP/1.1\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode()
    sem = asyncio.Semaphore(256)
    conns, failed, answered = [], 0, 0
    async def one():
        nonlocal failed
        async with sem:
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 10)
                w.write(req)
                await w.drain()
                conns.append((r, w))
            except Exception:
                failed += 1
    t0 = time.time()
    await asyncio.gather(*(one() for _ in range(n)))
    print(f"idle clients: {len(conns)} connected and sent, {failed} failed, in {time.time()-t0:.1f} s", flush=True)
    deadline = time.time() + hold_s
    while time.time() < deadline:
        await asyncio.sleep(1)
        early = sum(1 for r, _ in conns if r.at_eof() or len(r._buffer) > 0)
        if early:
            answered = early
    print(f"idle clients: {answered} got an answer or were closed while held", flush=True)
    for _, w in conns:
        w.close()

def main():
    if sys.argv[1] == "origin":
        asyncio.run(origin(int(sys.argv[2]), sys.argv[3]))
    else:
        asyncio.run(clients(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]))

if __name__ == "__main__":
    main()
