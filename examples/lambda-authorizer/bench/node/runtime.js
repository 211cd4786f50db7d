// A minimal Lambda Runtime API client (the loop aws-lambda-ric runs, which needs cmake and a
// libcurl build to install): GET .../invocation/next, call the handler, POST the response or
// the error. bench/coldstart.py drives it exactly as it drives the Rust binary.
"use strict";
const http = require("http");
const { handler } = require("./index.js");

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true });

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (body !== undefined) req.setHeader("content-type", "application/json");
    req.end(body);
  });
}

(async () => {
  for (;;) {
    const next = await request("GET", "/2018-06-01/runtime/invocation/next");
    const id = next.headers["lambda-runtime-aws-request-id"];
    try {
      const result = await handler(JSON.parse(next.body));
      await request("POST", `/2018-06-01/runtime/invocation/${id}/response`, JSON.stringify(result));
    } catch (e) {
      const error = JSON.stringify({ errorType: "Error", errorMessage: e.message });
      await request("POST", `/2018-06-01/runtime/invocation/${id}/error`, error);
    }
  }
})();
