"""The cold start benchmark's floor for Python: the runtime interface client (awslambdaric) and
a handler that allows every request without looking at it. No authorizer in Python can start
faster; the difference to it is what an authorizer's imports, init and first verdict cost."""


def handler(event, context):
    api, stage = event["methodArn"].split("/")[:2]
    return {
        "principalId": "anyone",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": ["execute-api:Invoke"],
                "Effect": "Allow",
                "Resource": [f"{api}/{stage}/*"],
            }],
        },
    }
