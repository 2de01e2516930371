"""No activation link and no bearer token reaches a notebook's stored output: a notebook runs the review and a
rotation campaign (the cells proposed for tutorial 03's end, verbatim in ``CLOSING_CELLS``) in a real kernel with
nbclient, and every output it keeps (text, HTML, images, streams) is searched for the secrets it handled."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.test_notebooks import execute

PRELUDE = [
    '''import json
from pathlib import Path

import delta_sharing
import sharekit
from databricks.sdk.service import sharing as S
from sharekit.config.expiry import parse_expires
from sharekit.sharing import current_workspace

home = HOME
%load_ext sharekit
%config ShareMagics.short_errors = False
%sharekit connect local --home {home} --demo''',
    '''ws = current_workspace()
ws.client.shares.create("orders_by_region")
ws.client.shares.update("orders_by_region", updates=[S.SharedDataObjectUpdate(
    action=S.SharedDataObjectUpdateAction.ADD, data_object=S.SharedDataObject(name="main.sales.orders"))])
sharekit.recipients.create_recipient(ws, "globex", properties={"region": "US"})
sharekit.recipients.grant(ws, "globex", "orders_by_region")


def read_as(profile_file):
    try:
        return len(delta_sharing.load_as_pandas(f"{profile_file}#orders_by_region.sales.orders", limit=5))
    except OSError as err:
        return f"refused: {err.response.status_code}"


profile = sharekit.sharing.activate(ws, "globex", Path(home) / "globex.share")
read_as(profile)''',
    # tutorial 03's story in short: an IP allow list that locks globex out, a rotation, a revoke, a trial partner
    '''sharekit.recipients.update_recipient(ws, "globex", ip_access_list=["10.0.0.0/8"])
locked_out = read_as(profile)
sharekit.recipients.update_recipient(ws, "globex", ip_access_list=[])
sharekit.recipients.rotate_token(ws, "globex", expire_existing_in=0)
new_profile = sharekit.sharing.activate(ws, "globex", Path(home) / "globex-new.share")
old_token = read_as(profile)
sharekit.recipients.revoke(ws, "globex", "orders_by_region")
revoked = read_as(new_profile)
sharekit.recipients.create_recipient(ws, "trial_partner", properties={"region": "APAC"}, expires=parse_expires("10d"))
sharekit.recipients.grant(ws, "trial_partner", "orders_by_region")
locked_out, old_token, revoked''',
]

# The proposed closing cells of tutorial 03 (section "8. Every credential at a glance, and a rotation campaign").
CLOSING_CELLS = [
    '''%recipient review''',
    '''metastore = ws.client.metastores.current().metastore_id
ws.client.metastores.update(metastore, delta_sharing_recipient_token_lifetime_in_seconds=90 * 86_400)
ws.client.metastores.summary().delta_sharing_recipient_token_lifetime_in_seconds''',
    '''%recipient rotate --never-expires --expiring-within 30d --grace 7d''',
    '''links_file = Path(home) / "new-links.jsonl"  # the new links go here (or to webhook_notifier(url)), never to a cell


def notify(notice):
    with open(links_file, "a") as handle:
        handle.write(json.dumps(notice.to_json()) + "\\n")''',
    '''%recipient rotate --never-expires --expiring-within 30d --grace 7d --notify notify --yes''',
    '''[json.loads(line)["recipient"] for line in links_file.read_text().splitlines()]''',
    '''%recipient rotate --never-expires --expiring-within 30d --grace 7d''',
    '''%recipient review''',
]
EPILOGUE = ['''ws.close()''']


def _texts(notebook: Any) -> list[str]:
    """Every stored output as text: streams, errors, every MIME bundle (base64 images decoded)."""
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(json.dumps(output))
            for mime, value in output.get("data", {}).items():
                text = "".join(value) if isinstance(value, list) else str(value)
                texts.append(text)
                if mime.startswith("image/") and mime != "image/svg+xml":
                    texts.append(base64.b64decode(text).decode("latin-1"))
                if "base64," in text:  # a chart as a data URI inside HTML
                    for chunk in text.split("base64,")[1:]:
                        texts.append(base64.b64decode(chunk.split('"')[0] + "==").decode("latin-1", "replace"))
    return texts


@pytest.mark.timeout(600)
def test_no_link_or_token_reaches_the_stored_output(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cells = [c.replace("HOME", repr(str(home))) for c in PRELUDE] + CLOSING_CELLS + EPILOGUE
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = tmp_path / "campaign.ipynb"
    nbformat.write(notebook, path)
    ran, _ = execute(path, tmp_path)

    notices = [json.loads(line) for line in (home / "new-links.jsonl").read_text().splitlines()]
    assert [n["recipient"] for n in notices] == ["globex"]  # the campaign rotated globex, once
    bearers = [json.loads((home / f).read_text())["bearerToken"] for f in ("globex.share", "globex-new.share")]
    secrets = [n["activation_url"] for n in notices] + bearers
    secrets += [n["activation_url"].split("?", 1)[1] for n in notices]  # the link's token alone
    stored = "\n".join(_texts(ran))
    for secret in secrets:
        assert secret not in stored
    assert "retrieve_config.html" not in stored and "bearerToken" not in stored

    outputs = {i: "\n".join(_texts(nbformat.from_dict({"cells": [cell]})))
               for i, cell in enumerate(ran.cells)}
    first = len(PRELUDE)
    assert "refused: 403" in outputs[first - 1] and "refused: 401" in outputs[first - 1]
    review = outputs[first]
    for finding in ("token_never_expires", "refused_attempts", "token_expiring", "link_unused", "oidc_candidate"):
        assert finding in review
    assert "IP_ACCESS_LIST" in review and "Credential timeline" in review + stored
    assert "1 to rotate, 1 blocked" in outputs[first + 2]  # trial_partner: its own expiry ends any new token
    assert "rotated 1 of 1" in outputs[first + 4]
    assert "0 to rotate" in outputs[first + 6]  # the campaign again: converged
    assert "token_never_expires" not in outputs[first + 7]
