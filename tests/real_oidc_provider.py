"""A real OpenID provider for tests: oidc-provider from the npm registry (tests/oidc, pinned; `make test`
installs it with `npm ci`), run by the machine's node on a free loopback port.

The test gives it clients and accounts. ``sign_in`` plays the person at the provider's sign-in page, with
or without a second factor; ``sign_out`` answers its sign-out page; ``hang`` makes endpoints accept
requests and never answer.
"""

from __future__ import annotations

import json
import select
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.pages import Element, _TreeBuilder

HERE = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "due-regard"
CLIENT_SECRET = "a-client-secret-for-the-tests-only"
STARTUP_SECONDS = 20
CALL_SECONDS = 10


def client(base_url: str) -> dict:
    """Our app as the provider registers it: the redirect and post-logout URIs an administrator registers."""
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "client_name": "Due Regard",
        "redirect_uris": [f"{base_url}/sign-in/sso/callback"],
        "post_logout_redirect_uris": [f"{base_url}/sign-in"],
        "token_endpoint_auth_method": "client_secret_basic",
    }


class RealProvider:
    def __init__(self, *, clients: list[dict], accounts: dict[str, dict], conform_id_token_claims: bool = True) -> None:
        self.settings = {"clients": clients, "accounts": accounts, "conformIdTokenClaims": conform_id_token_claims}
        self.issuer = ""
        self.process: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()

    def __enter__(self) -> RealProvider:
        node = shutil.which("node")
        if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
            pytest.fail(
                "The test OpenID provider is not installed: run `make test`, or `bash scripts/ensure-test-tools.sh`"
            )
        self.process = subprocess.Popen(
            [node, str(HERE / "provider.mjs")], cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log
        )
        self.process.stdin.write(json.dumps(self.settings).encode())
        self.process.stdin.close()
        ready, _, _ = select.select([self.process.stdout], [], [], STARTUP_SECONDS)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.__exit__()
            pytest.fail(f"The test OpenID provider did not start: {self.output()}")
        self.issuer = json.loads(line)["issuer"]
        return self

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.process:
            self.process.stdout.close()
        self.log.close()

    def output(self) -> str:
        """What the provider wrote to stderr (its warnings and errors)."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def hang(self, *paths: str) -> None:
        """Requests to these path prefixes are accepted and never answered (none: back to normal)."""
        requests.post(f"{self.issuer}/test-control", data={"hang": json.dumps(list(paths))}, timeout=CALL_SECONDS)

    def control(self) -> dict:
        """How many requests hung, and how many of those the client gave up on (closed its connection)."""
        return requests.get(f"{self.issuer}/test-control", timeout=CALL_SECONDS).json()

    def follow(self, browser: requests.Session, url: str, data: dict | None = None) -> requests.Response:
        """Follow the provider's redirects the way a browser would, stopping at the first response that is
        not a redirect or that leaves the provider (our callback)."""
        response = (
            browser.post(url, data=data, allow_redirects=False, timeout=CALL_SECONDS)
            if data is not None
            else browser.get(url, allow_redirects=False, timeout=CALL_SECONDS)
        )
        while response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if not target.startswith(self.issuer + "/"):
                return response
            response = browser.get(target, allow_redirects=False, timeout=CALL_SECONDS)
        return response

    def sign_in(
        self, browser: requests.Session, authorization_url: str, account: str | None, *, second_factor: bool = True
    ) -> str:
        """From our redirect to the provider until it sends the browser back; returns that callback URL.

        With ``account`` None the provider must not ask (a session it still has); otherwise it must ask,
        and the person signs in as that account, confirming a second factor or not.
        """
        response = self.follow(browser, authorization_url)
        if account is not None:
            assert response.status_code == 200 and "/interaction/" in response.url, (
                f"the provider did not ask the person to sign in: {response.status_code} {response.url}"
            )
            form = _html(response.text).find("form")
            fields = {"account": account, **({"mfa": "yes"} if second_factor else {})}
            response = self.follow(browser, urljoin(response.url, form.attrs["action"]), data=fields)
        assert response.is_redirect, (
            f"the provider did not send the browser back: {response.status_code} {response.text[:300]}"
        )
        return response.headers["Location"]

    def sign_out(self, browser: requests.Session, end_session_url: str) -> str:
        """Confirm sign-out at the provider's page; returns where the provider sends the browser next."""
        response = self.follow(browser, end_session_url)
        assert response.status_code == 200, response.text[:300]
        form = _html(response.text).find("form", id="op.logoutForm")
        fields = {
            field.attrs["name"]: field.attrs.get("value", "")
            for field in form.find_all("input")
            if "name" in field.attrs
        }
        response = self.follow(browser, urljoin(response.url, form.attrs["action"]), data={**fields, "logout": "yes"})
        assert response.is_redirect, response.text[:300]
        return response.headers["Location"]


def _html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    return builder.root


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
