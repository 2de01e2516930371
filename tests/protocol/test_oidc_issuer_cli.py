"""``sharekit oidc-issuer`` as a real process: it prints the issuer and the client id (never the secret), writes the
recipient's profile, and the unmodified ``delta-sharing`` client reads with it as an OIDC recipient."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import delta_sharing
import pytest
from databricks.sdk.service import sharing as S

from tests.protocol.conftest import Provider, unique


def test_the_cli_issuer_serves_an_oidc_recipient(provider: Provider, tmp_path: Path) -> None:
    profile = tmp_path / "partner.share"
    share = provider.share({"name": "main.sales.orders"})
    process = subprocess.Popen(
        [sys.executable, "-m", "sharekit", "oidc-issuer", "--audience", "api://cli", "--client-id", "nightly-job",
         "--endpoint", f"{provider.ws.host}/delta-sharing/", "--profile", str(profile)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
        issuer = lines[0].removeprefix("issuer: ")
        assert issuer.startswith("http://127.0.0.1:") and lines[2].startswith("client id: nightly-job")
        assert lines[3].startswith(f"profile: {profile}")
        written = json.loads(profile.read_text())
        assert written["clientId"] == "nightly-job" and written["tokenEndpoint"] == issuer + "/oauth2/token"
        assert all(written["clientSecret"] not in line for line in lines)
        name = unique("cli")
        provider.ws.client.recipients.create(name, S.AuthenticationType.OIDC_FEDERATION)
        provider.ws.client.recipient_federation_policies.create(name, S.FederationPolicy(
            name="job", oidc_policy=S.OidcFederationPolicy(issuer=issuer, audiences=["api://cli"],
                                                           subject_claim="sub", subject="nightly-job")))
        provider.grant(share, name)
        assert len(delta_sharing.load_as_pandas(f"{profile}#{share}.sales.orders")) > 0
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert written["clientSecret"] not in err


def test_profile_needs_an_endpoint(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "sharekit", "oidc-issuer", "--audience", "a", "--profile",
                           str(tmp_path / "p.share")], check=False, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and "--endpoint" in done.stderr
    assert not (tmp_path / "p.share").exists()


@pytest.mark.parametrize("argv", [["oidc-issuer"], ["oidc-issuer", "--audience", "a", "--port", "x"]])
def test_bad_arguments(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "sharekit", *argv], check=False, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
