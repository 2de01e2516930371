"""The activation link: an HTML page with a download button that hands out the profile exactly once."""

from __future__ import annotations

import json
import re
import stat

import delta_sharing
import pytest
import requests

from sharekit.activation import ActivationError, activate
from tests.protocol.conftest import Provider


def activation_url(provider: Provider, recipient: str) -> str:
    info = provider.ws.client.recipients.get(recipient)
    assert info.tokens and info.tokens[0].activation_url
    return info.tokens[0].activation_url


def test_page_download_once(provider: Provider) -> None:
    share = provider.share({"name": "main.sales.orders"})
    name = provider.recipient()
    provider.grant(share, name)
    url = activation_url(provider, name)
    assert "/delta_sharing/retrieve_config.html?" in url

    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Download credential file" in page.text and name in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    base = url.split("/delta_sharing/")[0]
    download = requests.post(base + action.group(1).replace("&amp;", "&"), timeout=10)
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    profile = download.json()
    assert profile["shareCredentialsVersion"] == 1 and profile["endpoint"] == base + "/delta-sharing/"
    path = provider.folder / "downloaded.share"
    path.write_text(json.dumps(profile))
    assert [s.name for s in delta_sharing.SharingClient(str(path)).list_shares()] == [share]

    again = requests.post(base + action.group(1), timeout=10)
    assert again.status_code == 404 and "already used" in again.text
    reopened = requests.get(url, timeout=10)
    assert reopened.status_code == 404 and "already used" in reopened.text
    assert provider.ws.client.recipients.get(name).activated
    with pytest.raises(ActivationError):
        activate(provider.ws, name)

    opened = provider.audit("deltaSharingRecipientOpenedActivationLink", recipient_name=name)
    assert opened and opened[0]["response"]["status_code"] == 200
    retrieved = provider.audit("retrieveRecipientToken", recipient_name=name)
    assert retrieved and retrieved[0]["response"]["status_code"] == 200
    spent = [e for e in provider.audit("retrieveRecipientToken") if e["response"]["status_code"] == 404]
    assert spent and "already used" in spent[-1]["response"]["error_message"]
    assert profile["bearerToken"] not in json.dumps([*opened, *retrieved], default=str)


def test_activate_helper_writes_private_profile(provider: Provider) -> None:
    share = provider.share({"name": "main.sales.orders"})
    name = provider.recipient()
    provider.grant(share, name)
    path = activate(provider.ws, name, provider.folder / "sub" / "p.share")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    profile = json.loads(path.read_text())
    assert set(profile) >= {"shareCredentialsVersion", "endpoint", "bearerToken"}
    assert len(delta_sharing.load_as_pandas(f"{path}#{share}.sales.orders")) == 2000
    bogus = activation_url(provider, provider.recipient()).split("?")[0] + "?not-a-token"
    response = requests.get(bogus, timeout=10)
    assert response.status_code == 404 and "Download credential file" not in response.text
