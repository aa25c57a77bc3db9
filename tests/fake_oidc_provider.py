"""A hand-built OpenID Connect provider for fast tests, served on loopback: discovery, authorization code
with PKCE (S256 required), client_secret_basic at the token endpoint, RS256 ID tokens, userinfo and a JWKS.

It signs in whoever ``provider.person`` says, without a login page, and can be told to misbehave in ways
a real provider never would (another audience, another signing key, a wrong nonce, userinfo about someone
else) to prove the app refuses such answers. The real provider (tests/real_oidc_provider.py) decides the rest.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "due-regard-test"
CLIENT_SECRET = "test-client-secret"


class Provider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "provider-key"})
        self.person = {"sub": "user-1", "email": "author@example.org", "email_verified": True, "amr": ["pwd", "mfa"]}
        # issuer / audience / azp / expired / wrong_key / nonce for the next tokens; userinfo_subject;
        # claims_at_userinfo (the email claims only there, as a conformant provider gives them)
        self.misbehave: dict = {}
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.app = self._build()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)

    def _id_token(self, grant: dict) -> str:
        now = int(time.time())
        expires = now - 600 if self.misbehave.get("expired") else now + 300
        claims = {
            "iss": self.misbehave.get("issuer", self.issuer),
            "aud": self.misbehave.get("audience", CLIENT_ID),
            "iat": now - 900 if self.misbehave.get("expired") else now,
            "exp": expires,
            "auth_time": now,
            "nonce": self.misbehave.get("nonce", grant["nonce"]),
            **grant["person"],
        }
        if self.misbehave.get("claims_at_userinfo"):
            claims = {k: v for k, v in claims.items() if k not in ("email", "email_verified")}
        if "azp" in self.misbehave:
            claims["azp"] = self.misbehave["azp"]
        key = (
            RSAKey.generate_key(2048, parameters={"kid": "provider-key"})
            if self.misbehave.get("wrong_key")
            else self.key
        )
        return jwt.encode({"alg": "RS256", "kid": "provider-key"}, claims, key)

    def _build(self) -> Flask:
        app = Flask("oidc-provider")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "userinfo_endpoint": f"{self.issuer}/userinfo",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                }
            )

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [self.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize():
            args = request.args
            if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
                abort(400)
            if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
                abort(400)  # PKCE is required
            if "openid" not in args.get("scope", "").split() or not args.get("nonce"):
                abort(400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "challenge": args["code_challenge"],
                "nonce": args["nonce"],
                "redirect_uri": args["redirect_uri"],
                "person": dict(self.person),
            }
            return redirect(f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args.get('state', '')})}")

        @app.post("/token")
        def token():
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                return jsonify({"error": "invalid_client"}), 401
            grant = self.codes.pop(request.form.get("code", ""), None)  # a code works once
            if grant is None or request.form.get("redirect_uri") != grant["redirect_uri"]:
                return jsonify({"error": "invalid_grant"}), 400
            verifier = request.form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != grant["challenge"]:
                return jsonify({"error": "invalid_grant", "error_description": "PKCE check failed"}), 400
            access_token = secrets.token_urlsafe(16)
            self.access_tokens[access_token] = grant["person"]
            return jsonify(
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": self._id_token(grant),
                }
            )

        @app.get("/userinfo")
        def userinfo():
            person = self.access_tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
            if person is None:
                return jsonify({"error": "invalid_token"}), 401
            return jsonify({**person, "sub": self.misbehave.get("userinfo_subject", person["sub"])})

        return app
