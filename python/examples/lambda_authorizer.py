"""An API Gateway Lambda authorizer in Python: the Rust authorizer package
(``examples/lambda-authorizer``) as a Python function, with its environment variables and its
answers (both run the crate's ``aws_lambda`` module).

Deploy with the handler ``lambda_authorizer.handler`` on a Python 3.10+ runtime, with the
``cognito-verifier`` wheel (manylinux_2_34 x86_64: ``scripts/build-python``) in the package,
and set at least::

    USER_POOL_ID=eu-west-1_AbCdEf123
    CLIENT_IDS=3u4p8example
    AUTHORIZER_TYPE=rest-token        # rest-request, http-simple, http-iam

Optional: ``TOKEN_USE`` (``access``), ``REQUIRED_GROUPS``, ``REQUIRED_SCOPES``, ``RESOURCES``,
``PRINCIPAL_CLAIM``, ``POLICY_SCOPE``, ``TOKEN_HEADER``, ``JWKS_FILE`` with
``JWKS_FILE_MODE``, ``JWKS_URI``, ``FETCH_TIMEOUT_MS``, ``FETCH_DEADLINE_MS``. A bad setting
fails the init with its name.
"""

from cognito_verifier.aws_lambda import LambdaAuthorizer

# At init, once per cold start: the settings read and the first key fetch made.
authorizer = LambdaAuthorizer.from_env()


def handler(event, context):
    """The response for API Gateway; ``Unauthorized`` raised for a bad token (REST APIs)."""
    return authorizer(event, context)
