'use strict';

// A small HTTP API: GET / says hello, GET /healthz answers ok.
const express = require('express');
const { greeting } = require('./lib/greeting');

const app = express();
app.disable('x-powered-by');

app.get('/', (req, res) => {
  res.json({ message: greeting(req.query.name), node: process.version, uid: process.getuid() });
});

app.get('/healthz', (req, res) => {
  res.type('text/plain').send('ok');
});

// --port=N overrides PORT, so the port can be chosen without changing the image's env.
const flag = process.argv.find((a) => a.startsWith('--port='));
const port = Number(flag ? flag.slice('--port='.length) : process.env.PORT || 8080);
const server = app.listen(port, () => {
  console.log(`listening on :${port}`);
});

// Stop cleanly on docker stop / Kubernetes termination.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
