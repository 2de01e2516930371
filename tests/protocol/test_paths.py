"""A client that joins the profile's ``endpoint`` (which ends with ``/``) and ``/shares`` sends
``…/delta-sharing//shares``: such paths are served like the single-slash ones (issue 16), and the unmodified
``delta-sharing`` client keeps working with the same profile."""

from __future__ import annotations

import json

import delta_sharing
import requests

from tests.protocol.conftest import Provider


def test_doubled_slash_after_the_prefix_is_served(provider: Provider) -> None:
    shared = provider.setup({"name": "main.sales.orders"})
    profile = json.loads(shared.profile.read_text())
    endpoint = profile["endpoint"]
    assert endpoint.endswith("/delta-sharing/")
    headers = {"Authorization": f"Bearer {profile['bearerToken']}"}

    shares = requests.get(endpoint + "/shares", headers=headers, timeout=10)
    assert shares.status_code == 200, shares.text
    assert [s["name"] for s in shares.json()["items"]] == [shared.share]
    table = f"/shares/{shared.share}/schemas/sales/tables/orders"
    version = requests.get(endpoint + table + "/version", headers=headers, timeout=10)
    assert version.status_code == 200 and version.headers["Delta-Table-Version"] == "0"
    query = requests.post(endpoint + "/" + table + "//query", headers=headers, json={}, timeout=10)
    assert query.status_code == 200, query.text
    lines = [json.loads(line) for line in query.text.splitlines()]
    assert [next(iter(line)) for line in lines[:2]] == ["protocol", "metaData"]
    assert len([line for line in lines if "file" in line]) == 4
    # the same answer as the single slash for a share the recipient may not read, and no way around the token
    doubled = requests.get(endpoint + "/shares/nope", headers=headers, timeout=10)
    single = requests.get(endpoint + "shares/nope", headers=headers, timeout=10)
    assert (doubled.status_code, doubled.json()["errorCode"]) == (single.status_code, single.json()["errorCode"])
    assert single.status_code in (403, 404)
    assert requests.get(endpoint + "/shares", timeout=10).status_code == 401

    client = delta_sharing.SharingClient(str(shared.profile))
    assert [s.name for s in client.list_shares()] == [shared.share]
    assert len(delta_sharing.load_as_pandas(shared.url("sales.orders"))) == 2000
