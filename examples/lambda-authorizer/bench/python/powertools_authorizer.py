"""The cold start benchmark's Python peer: a REST TOKEN authorizer on Powertools for AWS Lambda
(Python) `auth_alpha`, written as its documentation shows (verifier built at init, outside the
handler). Powertools' Cognito verifier takes resource-bound access tokens only (AUDIENCE) and
fetches keys from the pool's HTTPS endpoint only, so it is measured with the bundled key set
(JWKS_FILE) alone."""

import json
import os

from aws_lambda_powertools.utilities.auth_alpha.jwt import JWTVerifier

with open(os.environ["JWKS_FILE"]) as f:
    _jwks = json.load(f)

verifier = JWTVerifier.cognito(
    user_pool_id=os.environ["USER_POOL_ID"],
    client_id=os.environ["CLIENT_IDS"],
    audience=os.environ["AUDIENCE"],
    jwks=_jwks,
)


def handler(event, context):
    token = event.get("authorizationToken") or ""
    if token[:7].lower() == "bearer ":
        token = token[7:]
    try:
        claims = verifier.verify(token)
    except Exception:
        raise Exception("Unauthorized") from None
    api, stage = event["methodArn"].split("/")[:2]
    return {
        "principalId": claims["sub"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": ["execute-api:Invoke"],
                "Effect": "Allow",
                "Resource": [f"{api}/{stage}/*"],
            }],
        },
    }
