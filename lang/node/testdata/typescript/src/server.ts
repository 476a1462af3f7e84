// A small HTTP service: the page comes from views/, read at run time relative to the compiled file.
declare function require(name: string): any;
declare const __dirname: string;
declare const process: { env: Record<string, string | undefined>; argv: string[]; getuid(): number };

const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");

const page: string = fs.readFileSync(path.join(__dirname, "..", "views", "index.html"), "utf8");
const flag = process.argv.find((a) => a.startsWith("--port="));
const port = Number(flag ? flag.slice("--port=".length) : process.env.PORT ?? "8080");

http
  .createServer((_req: unknown, res: any) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ uid: process.getuid(), nodeEnv: process.env.NODE_ENV, page }));
  })
  .listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
