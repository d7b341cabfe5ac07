// Counting HTTP reverse proxy for benchmarks/targets-compare.sh: forwards every request unchanged (Host header
// included, so S3 signatures still verify) to 127.0.0.1:UPSTREAM and counts one request per HTTP request received,
// by method. GET /__counts returns the counts as JSON; GET /__counts?reset=1 returns them and starts again.
// Usage: node count-proxy.js LISTEN_PORT UPSTREAM_PORT [CERT_PEM KEY_PEM]   (with a certificate it listens on TLS)
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const [listenPort, upstreamPort] = process.argv.slice(2, 4).map(Number);
const [certFile, keyFile] = process.argv.slice(4);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let counts = {};
let bytesIn = 0;
let bytesOut = 0;

const handler = (req, res) => {
  if (req.url.startsWith('/__counts')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...counts, total: Object.values(counts).reduce((a, b) => a + b, 0), bytesIn, bytesOut }));
    if (req.url.includes('reset=1')) { counts = {}; bytesIn = 0; bytesOut = 0; }
    return;
  }
  counts[req.method] = (counts[req.method] || 0) + 1;
  const headers = { ...req.headers };
  delete headers.expect; // this proxy already answered 100-continue; the body follows at once
  const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent }, (upRes) => {
    res.writeHead(upRes.statusCode, upRes.statusMessage, upRes.headers);
    upRes.on('data', (chunk) => { bytesOut += chunk.length; });
    upRes.pipe(res);
  });
  up.on('error', (err) => { if (!res.headersSent) { res.writeHead(502); } res.end(String(err)); });
  req.on('data', (chunk) => { bytesIn += chunk.length; });
  req.pipe(up);
};

(certFile ? https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, handler) : http.createServer(handler))
  .listen(listenPort, '127.0.0.1');
