"""Recipients, tokens and activation through the real databricks-sdk against the real server process."""

from __future__ import annotations

import time

import pytest
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceConflict
from databricks.sdk.service import sharing

from sharekit.connect import Workspace

TOKEN = sharing.AuthenticationType.TOKEN


def test_recipient_lifecycle(mws: Workspace, unique: str) -> None:
    w = mws.client
    expires = int(time.time() * 1000) + 86_400_000
    created = w.recipients.create(
        unique, TOKEN, comment="ACME corp", expiration_time=expires,
        ip_access_list=sharing.IpAccessList(allowed_ip_addresses=["10.0.0.0/8", "192.168.1.7"]),
        properties_kvpairs=sharing.SecurablePropertiesKvPairs(properties={"region": "EU", "tier": "gold"}))
    assert created.authentication_type == TOKEN and created.activated is False and created.id
    assert created.activation_url and created.activation_url.startswith(f"{mws.host}/delta_sharing/retrieve_config.html?")
    assert created.tokens and len(created.tokens) == 1 and created.tokens[0].expiration_time == expires
    assert created.tokens[0].activation_url == created.activation_url
    assert created.ip_access_list and created.ip_access_list.allowed_ip_addresses == ["10.0.0.0/8", "192.168.1.7"]
    assert created.properties_kvpairs and created.properties_kvpairs.properties == {"region": "EU", "tier": "gold"}
    assert created.created_by == created.owner == "admin@sharekit.local" and created.expiration_time == expires

    got = w.recipients.get(unique.upper())
    assert got.name == unique and got.comment == "ACME corp"
    w.recipients.update(unique, comment="ACME", properties_kvpairs=sharing.SecurablePropertiesKvPairs(properties={"region": "US"}))
    updated = w.recipients.get(unique)
    assert updated.comment == "ACME" and updated.properties_kvpairs
    assert updated.properties_kvpairs.properties == {"region": "US"}, "properties are replaced, not merged"
    assert updated.ip_access_list and updated.ip_access_list.allowed_ip_addresses == ["10.0.0.0/8", "192.168.1.7"]
    w.recipients.update(unique, ip_access_list=sharing.IpAccessList(allowed_ip_addresses=[]))
    assert w.recipients.get(unique).ip_access_list is None

    w.recipients.update(unique, new_name=unique + "_x")
    with pytest.raises(NotFound):
        w.recipients.get(unique)
    w.recipients.delete(unique + "_x")
    with pytest.raises(NotFound) as err:
        w.recipients.get(unique + "_x")
    assert err.value.error_code == "RECIPIENT_DOES_NOT_EXIST"


def test_recipient_errors(mws: Workspace, unique: str) -> None:
    w = mws.client
    w.recipients.create(unique, TOKEN)
    with pytest.raises(ResourceConflict) as conflict:
        w.recipients.create(unique, TOKEN)
    assert conflict.value.error_code == "RECIPIENT_ALREADY_EXISTS"
    with pytest.raises(InvalidParameterValue):
        w.recipients.create(unique + "_b", TOKEN, ip_access_list=sharing.IpAccessList(allowed_ip_addresses=["nope"]))
    with pytest.raises(InvalidParameterValue):
        w.recipients.create(unique + "_b", TOKEN, expiration_time=1000)
    with pytest.raises(InvalidParameterValue):
        w.recipients.create(unique + "_b", sharing.AuthenticationType.DATABRICKS,
                            data_recipient_global_metastore_id="aws:us-west-2:abc")
    with pytest.raises(NotFound):
        w.recipients.update(unique + "_missing", comment="x")
    with pytest.raises(NotFound):
        w.recipients.rotate_token(unique + "_missing", 0)
    with pytest.raises(InvalidParameterValue):
        w.recipients.rotate_token(unique, -5)


def test_activation_is_single_use(mws: Workspace, unique: str) -> None:
    w = mws.client
    created = w.recipients.create(unique, TOKEN)
    link = (created.activation_url or "").split("?")[-1]
    w.recipient_activation.get_activation_url_info(link)
    profile = w.recipient_activation.retrieve_token(link)
    assert profile.share_credentials_version == 1 and profile.bearer_token
    assert profile.endpoint == f"{mws.host}/delta-sharing/" and profile.expiration_time is None
    after = w.recipients.get(unique)
    assert after.activated is True and not after.activation_url
    assert after.tokens and after.tokens[0].activation_url is None
    with pytest.raises(NotFound):
        w.recipient_activation.retrieve_token(link)
    with pytest.raises(NotFound):
        w.recipient_activation.get_activation_url_info(link)


def test_full_activation_url_is_accepted_and_expiry_is_a_string(mws: Workspace, unique: str) -> None:
    w = mws.client
    expires = int(time.time() * 1000) + 3_600_000
    created = w.recipients.create(unique, TOKEN, expiration_time=expires)
    profile = w.recipient_activation.retrieve_token(created.activation_url or "")
    assert profile.expiration_time == str(expires) and profile.bearer_token


def test_rotation_keeps_at_most_two_live_tokens(mws: Workspace, unique: str) -> None:
    w = mws.client
    created = w.recipients.create(unique, TOKEN)
    rotated = w.recipients.rotate_token(unique, 3600)
    assert rotated.tokens and len(rotated.tokens) == 2
    old, new = rotated.tokens
    assert old.id == (created.tokens or [])[0].id and old.expiration_time and new.activation_url
    assert abs(old.expiration_time - (time.time() * 1000 + 3_600_000)) < 60_000
    with pytest.raises(InvalidParameterValue, match=f"There are already two active tokens for recipient {unique}"):
        w.recipients.rotate_token(unique, 600)
    final = w.recipients.rotate_token(unique, 0)
    assert final.tokens and len(final.tokens) == 1 and final.tokens[0].id not in (old.id, new.id)
    assert final.activation_url and final.activation_url == final.tokens[0].activation_url
