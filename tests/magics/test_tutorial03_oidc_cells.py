"""The cells proposed for tutorial 03 ("OIDC federation"), run as written in a real InteractiveShell: an
OIDC_FEDERATION recipient with a federation policy, the local issuer as its identity provider, and the unmodified
``delta-sharing`` client reading with an ``oauth_client_credentials`` profile. ``CELLS`` is what the tutorial gets;
``SETUP`` stands for the tutorial's earlier cells (the share and ``read_as``)."""

from __future__ import annotations

from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell

SETUP = [
    """%%share
shares:
  - name: orders_by_region
    comment: Orders, each recipient sees its region
    tables:
      - name: main.sales.orders
        partitions: [{region: {recipient_property: region}}]
""",
    '''import atexit
from pathlib import Path

import delta_sharing
from requests import HTTPError

from sharekit.sharing import current_workspace

ws = current_workspace()


def read_as(profile_file):
    """What the recipient gets: rows per region, or the HTTP status the server answered."""
    try:
        frame = delta_sharing.load_as_pandas(f"{profile_file}#orders_by_region.sales.orders")
    except HTTPError as err:
        return f"refused: HTTP {err.response.status_code}"
    return frame.groupby("region").size().to_dict()
''',
]

CELLS = [
    # 1: the partner's identity provider (here a local stand-in) and the partner's registered application
    '''from sharekit.oidc import LocalIssuer

idp = LocalIssuer().start()  # stands in for the partner's Entra ID or Okta, on 127.0.0.1
atexit.register(idp.stop)
app = idp.register_client(audience="api://sharekit-tutorial")  # the partner's nightly job: a client id and secret''',
    # 2: the recipient: no token, no activation link
    '%recipient create initech --type oidc --property region=EU --comment "Initech, signs in with its own IdP"',
    # 3: its federation policy: tokens of that issuer, for that audience, whose azp claim is the app's client id
    """%recipient policy add initech nightly-job --issuer {idp.url} --audience api://sharekit-tutorial --subject-claim azp --subject {app.client_id}
%recipient grant initech orders_by_region""",
    # 4: the recipient's profile file and a read with the unmodified delta-sharing client
    '''from sharekit import recipients
from sharekit.oidc import oauth_profile, write_profile

oidc_profile = write_profile(oauth_profile(recipients.sharing_endpoint(ws), idp, app), Path(home) / "initech.share")
read_as(oidc_profile)  # the client gets a token from the issuer, then reads as initech''',
    # 5: an application the policy does not name is refused
    '''intruder = idp.register_client(audience="api://somewhere-else")
read_as(write_profile(oauth_profile(recipients.sharing_endpoint(ws), idp, intruder), Path(home) / "intruder.share"))''',
    # 6: the audit log attributes the reads to the recipient
    '''from sharekit.analytics import SharingAnalytics

SharingAnalytics(ws).recipient_activity("initech", days=1).df[["requests", "failed"]].sum().to_dict()''',
]


def test_the_proposed_tutorial_cells_read_as_the_oidc_recipient(ip: InteractiveShell, tmp_path: Path) -> None:
    ip.user_ns["home"] = str(tmp_path)
    for cell in SETUP:
        assert ip.run_cell(cell).success
    results = []
    for cell in CELLS:
        outcome = ip.run_cell(cell)
        assert outcome.success, outcome.error_in_exec or outcome.error_before_exec
        results.append(outcome.result)
    assert results[0] is None, "no output that changes from run to run (the port, the client id)"
    assert ip.user_ns["idp"].url.startswith("http://127.0.0.1:")
    card = results[1]
    assert card.title == "created recipient initech" and not card.links
    assert results[3] == {"EU": 500}
    assert results[4] == "refused: HTTP 403"
    activity = results[5]
    assert activity["requests"] >= 1
    ip.user_ns["idp"].stop()
