// Creates a blob container on an Azurite (or Azure) account with Shared Key auth, for benchmarks/targets-compare.sh.
// Usage: node azure-create-container.js BLOB_ENDPOINT ACCOUNT KEY CONTAINER   (endpoint like http://127.0.0.1:10000/devstoreaccount1)
'use strict';
const crypto = require('crypto');
const http = require('http');
const [endpoint, account, key, container] = process.argv.slice(2);
const url = new URL(`${endpoint.replace(/\/$/, '')}/${container}?restype=container`);
const date = new Date().toUTCString();
const version = '2021-12-02';
const stringToSign = ['PUT', '', '', '', '', '', '', '', '', '', '', '',
  `x-ms-date:${date}`, `x-ms-version:${version}`, `/${account}${url.pathname}`, 'restype:container'].join('\n');
const signature = crypto.createHmac('sha256', Buffer.from(key, 'base64')).update(stringToSign, 'utf8').digest('base64');
const req = http.request(url, { method: 'PUT', headers: { 'x-ms-date': date, 'x-ms-version': version, 'Content-Length': 0, Authorization: `SharedKey ${account}:${signature}` } }, (res) => {
  res.resume();
  res.on('end', () => { if (res.statusCode !== 201 && res.statusCode !== 409) { console.error(`create container: HTTP ${res.statusCode}`); process.exit(1); } });
});
req.on('error', (err) => { console.error(String(err)); process.exit(1); });
req.end();
