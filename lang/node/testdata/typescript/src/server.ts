// A small HTTP service: the page comes from views/, read at run time relative to the compiled file.
declare function require(name: string): any;
declare const __dirname: string;
declare const process: { env: Record<string, string | undefined> };

const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");

const page: string = fs.readFileSync(path.join(__dirname, "..", "views", "index.html"), "utf8");
const port = Number(process.env.PORT ?? "8080");

http
  .createServer((req: { url?: string }, res: any) => {
    if (req.url === "/env") {
      res.end(String(process.env.NODE_ENV));
      return;
    }
    res.setHeader("content-type", "text/html");
    res.end(page);
  })
  .listen(port, () => console.log(`listening on ${port}`));
