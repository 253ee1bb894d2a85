// The subset of ClickHouse's HTTP interface that schemas' ClickHouseHttp uses, served by chdb (current
// ClickHouse in-process) for ChdbClickHouse: GET /ping; POST /?query=INSERT ... FORMAT f with the data as body;
// POST /?default_format=f with the SQL as body. Errors answer 500 with the server's exception text.
// Credentials are ignored (chdb has no users). Queries run one at a time: chdb calls block the event loop.
// Usage: node chdb-http.js <port> <data dir>
"use strict";
const http = require("http");
const fs = require("fs");
const path = require("path");
const { Session } = require("chdb");

const [port, dataDir] = process.argv.slice(2);
const session = new Session(dataDir);
const insertFormat = /^(\s*INSERT\b[\s\S]*)\sFORMAT\s+(\w+)\s*;?\s*$/i;
let bodies = 0;

function run(params, body) {
  const format = params.get("default_format") || "TabSeparated";
  const query = params.get("query");
  if (query === null) {
    return session.query(body.toString("utf8"), format);
  }
  const insert = insertFormat.exec(query);
  if (insert === null || body.length === 0) {
    return session.query(body.length === 0 ? query : query + "\n" + body.toString("utf8"), format);
  }
  // chdb takes no data stream: the body goes through a file, read by the same input format parser.
  const file = path.join(dataDir, "insert-" + process.pid + "-" + bodies++ + ".data");
  fs.writeFileSync(file, body);
  try {
    return session.query(insert[1] + " FROM INFILE '" + file + "' FORMAT " + insert[2], format);
  } finally {
    fs.unlinkSync(file);
  }
}

http
  .createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url, "http://localhost");
      if (url.pathname === "/ping") {
        response.writeHead(200, { "Content-Type": "text/plain; charset=UTF-8" }).end("Ok.\n");
        return;
      }
      try {
        const result = run(url.searchParams, Buffer.concat(chunks));
        response.writeHead(200, { "Content-Type": "text/plain; charset=UTF-8" }).end(result || "");
      } catch (e) {
        const message = String(e.message).replace(/^Query failed: /, "");
        response.writeHead(500, { "Content-Type": "text/plain; charset=UTF-8" }).end(message + "\n");
      }
    });
  })
  .listen(Number(port), "127.0.0.1", () => console.log("chdb " + session.query("SELECT version()", "TSV").trim()
    + " listening on 127.0.0.1:" + port));

process.on("SIGTERM", () => process.exit(0));
