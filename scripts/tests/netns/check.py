#!/usr/bin/env python3
"""Assertions on one gateway answer (curl -D HEADERS -o BODY, status in STATUS_FILE) for the netns suite.

    check.py STATUS_FILE HEADERS BODY ASSERTION...

ASSERTION is one of
  status=N            the HTTP status
  err=CODE            header cf-vpc-error: CODE and JSON body {"error":{"code":CODE,"message":non-empty}}
  err=none            no cf-vpc-error header (the origin's own answer)
  json.KEY=VALUE      a field of the origin's JSON echo (id, host, sni, peer, local, method, path, body_len)
  hdr.NAME=VALUE      a response header
  nohdr=PREFIX        no request header starting with PREFIX reached the origin (from the echo's header list)
  originhdr.NAME=VAL  the origin received request header NAME with value VAL
Prints one line per failed assertion; exit 1 when any failed.
"""
import json
import sys


def main():
    status_file, head_file, body_file = sys.argv[1:4]
    status = open(status_file).read().strip()
    headers = {}
    for line in open(head_file, encoding="latin-1", newline="").read().splitlines():
        if ":" in line and not line.startswith("HTTP/"):
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    raw = open(body_file, "rb").read()
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    fails = []

    def echo():
        if not isinstance(body, dict) or "id" not in body:
            fails.append("body is not an origin echo: %r" % raw[:200])
            return None
        return body

    for a in sys.argv[4:]:
        k, _, v = a.partition("=")
        if k == "status":
            if status != v:
                fails.append("status %s, want %s (cf-vpc-error=%s, body %r)" % (status, v, headers.get("cf-vpc-error"), raw[:200]))
        elif k == "err":
            got = headers.get("cf-vpc-error")
            if v == "none":
                if got is not None:
                    fails.append("cf-vpc-error: %s, want none (body %r)" % (got, raw[:200]))
                continue
            if got != v:
                fails.append("cf-vpc-error %r, want %s (status %s, body %r)" % (got, v, status, raw[:200]))
            err = body.get("error") if isinstance(body, dict) else None
            if not isinstance(err, dict) or err.get("code") != v or not err.get("message"):
                fails.append("body %r is not {\"error\":{\"code\":\"%s\",\"message\":...}}" % (raw[:200], v))
        elif k.startswith("json."):
            e = echo()
            if e is not None and str(e.get(k[5:])) != v:
                fails.append("origin saw %s=%r, want %r" % (k[5:], e.get(k[5:]), v))
        elif k.startswith("hdr."):
            if headers.get(k[4:].lower()) != v:
                fails.append("response header %s=%r, want %r" % (k[4:], headers.get(k[4:].lower()), v))
        elif k == "nohdr":
            e = echo()
            if e is not None:
                bad = [h for h in e["headers"] if h[0].startswith(v.lower())]
                if bad:
                    fails.append("origin received %r" % bad)
        elif k.startswith("originhdr."):
            e = echo()
            if e is not None:
                vals = [h[1] for h in e["headers"] if h[0] == k[10:].lower()]
                if vals != [v]:
                    fails.append("origin received %s=%r, want [%r]" % (k[10:], vals, v))
        else:
            fails.append("unknown assertion " + a)
    for f in fails:
        print(f)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
