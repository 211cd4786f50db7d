// The Node.js peer of the Rust authorizer for bench/coldstart.py: aws-jwt-verify's documented
// API Gateway authorizer usage (the verifier created once, outside the handler; `verify` in
// it), answering a REST TOKEN event with the same policy. JWKS_FILE: the key set bundled with
// the function (`cacheJwks`, no fetch). JWKS_URI: fetched over plain HTTP from a loopback
// server (aws-jwt-verify fetches over HTTPS only, so a fetcher of our own makes the request).
"use strict";
const fs = require("fs");
const http = require("http");
const { CognitoJwtVerifier } = require("aws-jwt-verify");
const { SimpleJwksCache } = require("aws-jwt-verify/jwk");

const loopbackFetcher = {
  fetch: () =>
    new Promise((resolve, reject) => {
      http
        .get(process.env.JWKS_URI, (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            const body = Buffer.concat(chunks);
            resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
          });
        })
        .on("error", reject);
    }),
};

const verifier = CognitoJwtVerifier.create(
  {
    userPoolId: process.env.USER_POOL_ID,
    tokenUse: process.env.TOKEN_USE || "access",
    clientId: process.env.CLIENT_IDS.split(","),
  },
  process.env.JWKS_URI ? { jwksCache: new SimpleJwksCache({ fetcher: loopbackFetcher }) } : undefined,
);
if (process.env.JWKS_FILE) {
  verifier.cacheJwks(JSON.parse(fs.readFileSync(process.env.JWKS_FILE, "utf8")));
}

exports.handler = async (event) => {
  const token = event.authorizationToken.replace(/^Bearer /, "");
  let payload;
  try {
    payload = await verifier.verify(token);
  } catch {
    throw new Error("Unauthorized");
  }
  const [arn, stage] = event.methodArn.split("/");
  return {
    principalId: payload.sub,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: `${arn}/${stage}/*` }],
    },
    context: { sub: payload.sub, username: payload.username, client_id: payload.client_id },
  };
};
