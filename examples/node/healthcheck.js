'use strict';

// The image's health check: distroless has no curl or shell, so node asks the server itself.
const http = require('http');

const port = Number(process.env.PORT || 8080);
const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('error', () => process.exit(1));
req.on('timeout', () => req.destroy());
