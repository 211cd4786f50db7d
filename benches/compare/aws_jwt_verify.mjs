// Times aws-jwt-verify's verifySync on the shared fixture; prints the median ns/op of 7 batches.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [fixturePath, modules] = process.argv.slice(2);
const require = createRequire(path.join(modules, "noop.js"));
const { CognitoJwtVerifier } = require("aws-jwt-verify");
const f = JSON.parse(readFileSync(fixturePath, "utf8"));

const verifier = CognitoJwtVerifier.create({
  userPoolId: f.user_pool_id,
  tokenUse: "access",
  clientId: f.client_id,
});
verifier.cacheJwks(f.jwks);
verifier.verifySync(f.token); // must accept, or the timing means nothing

const batch = 2000;
for (let i = 0; i < batch; i++) verifier.verifySync(f.token); // warm up the JIT
const results = [];
for (let b = 0; b < 7; b++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) verifier.verifySync(f.token);
  results.push(Number(process.hrtime.bigint() - start) / batch);
}
results.sort((a, b) => a - b);
console.log(results[3].toFixed(0));
