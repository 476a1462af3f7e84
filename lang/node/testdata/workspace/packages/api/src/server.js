'use strict';

// The app of the monorepo: it requires its sibling workspace package and one from the registry.
const http = require('node:http');
const ms = require('ms');
const { greet } = require('@demo/shared');

const flag = process.argv.find((a) => a.startsWith('--port='));
const port = Number(flag ? flag.slice('--port='.length) : process.env.PORT || 8080);

http
  .createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ uid: process.getuid(), nodeEnv: process.env.NODE_ENV, greeting: greet('workspace'), timeout: ms('2m') }));
  })
  .listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
