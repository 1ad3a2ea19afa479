#!/usr/bin/env node
// A sample private origin for the quickstart and the workerd test: answers every request with JSON describing what
// it received (the Host header, the TLS SNI on https, method, path and body), so a caller can see what reached it.
//   node sample-origin.js --http 127.0.0.1:28006 [--https 127.0.0.1:28007 --cert cert.pem --key key.pem]
// Prints "sample-origin ready" on stdout once every listener is up. Stops on SIGTERM / SIGINT.
"use strict";
const fs = require("fs");
const http = require("http");
const https = require("https");

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}
if (!args.http && !args.https) {
  console.error("usage: sample-origin.js --http HOST:PORT [--https HOST:PORT --cert FILE --key FILE]");
  process.exit(2);
}

function handler(scheme) {
  return (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const answer = {
        message: "hello from the private origin",
        scheme,
        host: req.headers.host || null,
        sni: scheme === "https" ? req.socket.servername || null : null,
        method: req.method,
        path: req.url,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      const body = JSON.stringify(answer) + "\n";
      res.writeHead(200, { "content-type": "application/json", "x-sample-origin": scheme });
      res.end(body);
    });
  };
}

function listen(server, spec) {
  const i = spec.lastIndexOf(":");
  const host = spec.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(spec.slice(i + 1));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
}

const servers = [];
const pending = [];
if (args.http) {
  const s = http.createServer(handler("http"));
  servers.push(s);
  pending.push(listen(s, args.http));
}
if (args.https) {
  const s = https.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) }, handler("https"));
  servers.push(s);
  pending.push(listen(s, args.https));
}
Promise.all(pending).then(
  () => console.log("sample-origin ready"),
  (e) => {
    console.error(`sample-origin: ${e.message}`);
    process.exit(1);
  },
);
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    servers.forEach((s) => s.close());
    process.exit(0);
  });
}
