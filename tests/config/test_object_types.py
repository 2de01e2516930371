"""The document names every SharedDataObjectDataObjectType and recipient type, with the fields each takes
(databricks-sdk service/sharing.py docstrings), and the wire form sends each alias in its own field."""

from __future__ import annotations

from typing import get_args

import pytest
from databricks.sdk.service import sharing

from sharekit import names, recipients
from sharekit.config import object_types
from sharekit.config.comparable import ObjectState
from sharekit.config.loader import ConfigError, loads
from sharekit.config.model import ObjectSpec, RecipientSpec


def test_the_document_names_every_type_the_sdk_knows() -> None:
    assert set(object_types.OBJECT_TYPES) == {t.value for t in sharing.SharedDataObjectDataObjectType}


def test_one_definition_of_the_types_for_document_client_and_server() -> None:
    """The document's Literal types spell out sharekit.names (the shared base); nothing else defines them."""
    assert get_args(ObjectSpec.model_fields["type"].annotation) == names.OBJECT_TYPES
    assert get_args(RecipientSpec.model_fields["authentication_type"].annotation) == names.RECIPIENT_TYPES
    assert recipients.AUTHENTICATION_TYPES is names.RECIPIENT_TYPES
    assert object_types.PARTITION_TYPES is names.PARTITION_TYPES == {"TABLE"}
    assert object_types.HISTORY_TYPES is names.HISTORY_TYPES
    sdk_auth = {t.value for t in sharing.AuthenticationType}
    assert set(names.RECIPIENT_TYPES) == sdk_auth - {"OAUTH_CLIENT_CREDENTIALS"}  # that one: provider imports only


EVERY_KIND = """
shares:
  - name: every_kind
    owner: data-team
    storage_root: s3://bucket/root
    objects_mode: MERGE
    tables:
      - {name: m.s.t, shared_as: s.t2, partitions: [{region: EU}], history: true, start_version: 3}
      - {name: m.s.v, type: view, shared_as: s.v2}
      - {name: m.s.mv, type: MATERIALIZED_VIEW, history: true}
      - {name: m.s.st, type: STREAMING_TABLE}
      - {name: m.s.ft, type: FOREIGN_TABLE, comment: from postgres}
      - {name: m.s, type: SCHEMA, history: true}
      - {name: m.s.vol, type: VOLUME, string_shared_as: s.files}
      - {name: m.s.model, type: MODEL, shared_as: s.churn}
      - {name: m.s.fn, type: FUNCTION}
      - {name: m.s.nb, type: NOTEBOOK_FILE, shared_as: Report.py}
      - {name: m.s.fs, type: FEATURE_SPEC}
"""


def test_every_kind_loads_with_its_fields() -> None:
    [share] = loads(EVERY_KIND).config.shares
    assert share.merge and share.owner == "data-team" and share.storage_root == "s3://bucket/root"
    kinds = {obj.name: (obj.type, obj.shared_as) for obj in share.tables}
    assert kinds["m.s.vol"] == ("VOLUME", "s.files") and kinds["m.s.nb"] == ("NOTEBOOK_FILE", "Report.py")
    assert len({t for t, _ in kinds.values()}) == 11


def test_aliases_go_in_their_own_wire_field_and_history_never_with_cdf() -> None:
    [share] = loads(EVERY_KIND).config.shares
    sent = {obj.name: ObjectState.from_spec(obj).to_sdk().as_dict() for obj in share.tables}
    assert sent["m.s.vol"]["string_shared_as"] == "s.files" and "shared_as" not in sent["m.s.vol"]
    assert sent["m.s.v"]["shared_as"] == "s.v2" and "string_shared_as" not in sent["m.s.v"]
    assert "shared_as" not in sent["m.s"] and "string_shared_as" not in sent["m.s"]
    assert sent["m.s.t"]["history_data_sharing_status"] == "ENABLED" and "cdf_enabled" not in sent["m.s.t"]
    assert all("cdf_enabled" not in body for body in sent.values())
    assert "history_data_sharing_status" not in sent["m.s.vol"] and "partitions" not in sent["m.s.vol"]


@pytest.mark.parametrize(("entry", "message"), [
    ("{name: m.s.vol, type: VOLUME, partitions: [{a: 1}]}", "takes no partitions"),
    ("{name: m.s.fn, type: FUNCTION, history: true}", "shared without history"),
    ("{name: m.s.v, type: VIEW, history: true}", "shared without history"),
    ("{name: m.s.t, string_shared_as: s.t}", "aliased with shared_as"),
    ("{name: m.s.fs, type: FEATURE_SPEC, shared_as: s.f}", "takes no shared_as"),
    ("{name: m.s.vol, type: VOLUME, shared_as: a.b.c}", "must be <schema>.<name>"),
    ("{name: m.s.nb, type: NOTEBOOK_FILE, shared_as: a/b.py}", "must be a file name"),
    ("{name: m.s.t, content_file: x.py}", "only for NOTEBOOK_FILE"),
    ("{name: m.s.t, type: WIDGET}", "is not allowed here"),
])
def test_fields_that_do_not_belong_to_the_type_are_refused_naming_the_line(entry: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        loads(f"shares:\n  - name: s\n    tables:\n      - {entry}\n")
    assert message in str(err.value) and "line 4" in str(err.value)


@pytest.mark.parametrize(("recipient", "message"), [
    ("{name: r, federation_policies: []}", "only to OIDC_FEDERATION"),
    (("{name: r, authentication_type: OIDC_FEDERATION, federation_policies: [{name: Bad_Name, issuer: 'https://i', "
     "subject_claim: sub, subject: s}]}"), "lowercase letters"),
    (("{name: r, authentication_type: OIDC_FEDERATION, federation_policies: [{name: p, issuer: 'https://i', "
     "subject_claim: email, subject: s}]}"), "subject claim 'email' is not supported"),
    ("{name: r, authentication_type: OIDC_FEDERATION, sharing_id: x}", "only to DATABRICKS"),
    (("{name: r, authentication_type: OIDC_FEDERATION, federation_policies: [{name: p, issuer: 'https://i', "
     "subject_claim: sub, subject: s}]}"), "required field is missing"),
    ("{name: r, authentication_type: DATABRICKS, sharing_id: 'aws:us:1', ip_access_list: [10.0.0.0/8]}",
     "only for open-sharing recipients"),
    # one definition (sharekit.names) for the document, the client and the embedded server
    ("{name: r, authentication_type: DATABRICKS, sharing_id: 'aws:us:1'}", "<cloud>:<region>:<metastore-uuid>"),
    (("{name: r, authentication_type: OIDC_FEDERATION, federation_policies: [{name: p, issuer: not-a-url, "
      "audiences: [a], subject_claim: sub, subject: s}]}"), "issuer URL"),
])
def test_recipient_types_and_policies_are_checked(recipient: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        loads(f"recipients:\n  - {recipient}\n")
    assert message in str(err.value) and "line 2" in str(err.value)


def test_an_oidc_recipient_with_policies_loads() -> None:
    [recipient] = loads("""
recipients:
  - name: oidc_partner
    authentication_type: oidc_federation
    owner: data-team
    federation_policies:
      - {name: nightly-job, issuer: "https://idp.example.com", audiences: api://x, subject_claim: azp, subject: c1}
""").config.recipients
    assert recipient.manages_policies and recipient.federation_policies[0].audiences == ["api://x"]


def test_errors_under_objects_name_the_object_line() -> None:
    with pytest.raises(ConfigError) as err:
        loads("shares:\n  - name: s\n    objects:\n      - m.s.t\n      - {name: m.s.v, type: VOLUME, history: true}\n")
    assert "line 5" in str(err.value) and "shared without history" in str(err.value)


def test_aliases_are_unique_per_group_as_the_sdk_says() -> None:
    # SharedDataObject docstrings: shared_as unique in the share; string_shared_as unique for objects of one type
    loads("shares:\n  - name: s\n    tables:\n      - {name: m.s.v, type: VOLUME, shared_as: a.b}\n"
          "      - {name: m.s.m, type: MODEL, shared_as: a.b}\n      - {name: m.s.t, shared_as: a.b}\n")
    with pytest.raises(ConfigError) as err:
        loads("shares:\n  - name: s\n    tables:\n      - {name: m.s.v, type: VOLUME, shared_as: a.b}\n"
              "      - {name: m.s.w, type: VOLUME, shared_as: a.b}\n")
    assert "line 5" in str(err.value) and "two objects named 'a.b'" in str(err.value)


def test_a_notebook_keeps_its_name_as_given_and_partitions_are_for_tables() -> None:
    [share] = loads("shares:\n  - name: s\n    tables:\n      - {name: m.s.Weekly_Report, type: NOTEBOOK_FILE}\n"
                    ).config.shares
    assert share.tables[0].name == "m.s.Weekly_Report"
    with pytest.raises(ConfigError, match="takes no partitions"):
        loads("shares:\n  - name: s\n    tables:\n      - {name: m.s.mv, type: MATERIALIZED_VIEW, partitions: [{a: 1}]}\n")
