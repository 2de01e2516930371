"""``sharekit oidc-issuer``: run the local OIDC issuer in the foreground with one registered client.

The client's secret is written only into the profile file (mode 0600), never printed: the terminal shows the
issuer URL (a federation policy's ``issuer``), the client id (its ``subject`` for ``azp`` or ``sub``) and the file.
"""

from __future__ import annotations

import argparse
import sys
import threading

from sharekit.cli.common import UsageFailure
from sharekit.oidc import LocalIssuer, oauth_profile, write_profile


def oidc_issuer(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    if bool(args.profile) != bool(args.endpoint):
        raise UsageFailure("--profile and --endpoint go together: the profile names the sharing endpoint")
    with LocalIssuer(port=args.port, token_lifetime_s=args.lifetime) as issuer:
        client = issuer.register_client(args.client_id, audience=args.audience)
        print(f"issuer: {issuer.url}", flush=True)
        print(f"token endpoint: {issuer.token_endpoint}", flush=True)
        print(f"client id: {client.client_id} (audience {client.audience})", flush=True)
        if args.profile:
            path = write_profile(oauth_profile(args.endpoint, issuer, client), args.profile)
            print(f"profile: {path} (holds the client secret; readable by you only)", flush=True)
        print("press Ctrl-C to stop", file=sys.stderr, flush=True)
        (stop or threading.Event()).wait()
    return 0
