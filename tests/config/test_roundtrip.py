"""Round-trip as a property: for generated workspace states, created on the embedded server through the real SDK
(not through sharekit), ``export`` → load → ``plan`` is "no changes", also with ``--prune``. The states hold
every shared object type (aliases, partitions, history), recipients of every type (properties, IP lists, expiry,
a DATABRICKS sharing identifier, OIDC federation policies), owners and grants."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from databricks.sdk.service import sharing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharekit import names
from sharekit.config.export import export
from sharekit.config.loader import loads
from sharekit.config.plan import make_plan
from sharekit.connect import Workspace
from tests.config.conftest import CATALOG_OBJECTS

# The object and recipient kinds the generator uses: every kind the embedded server has (the catalog objects are
# registered by the ``every_kind_ws`` fixture, tests/config/conftest.py). Each kind maps to the names it may take.
OBJECT_KINDS: dict[str, tuple[str, ...]] = {
    "TABLE": ("main.sales.orders", "main.sales.customers", "main.analytics.customer_metrics",
              "main.analytics.product_sales", "main.inventory.stock_levels"),
    "SCHEMA": ("main.analytics", "main.inventory"),
    "NOTEBOOK_FILE": ("onboarding", "guide.v2"),  # a notebook's name is kept as given, dots and case included
    **{kind: (name,) for kind, name in CATALOG_OBJECTS.items()},
}
RECIPIENT_TYPES: tuple[str, ...] = ("TOKEN", "DATABRICKS", "OIDC_FEDERATION")
PARTITIONED = {"main.sales.orders": "region"}  # the demo table partitioned by region
SHARES = ("rt_alpha", "rt_beta")
RECIPIENTS = ("rt_one", "rt_two", "rt_three")
DAY_MS = 86_400_000
NOTEBOOK = base64.b64encode(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode())


def _alias(obj: sharing.SharedDataObject, kind: str, index: int) -> None:
    leaf = (obj.name or "").split(".")[-1]
    if kind in names.TABLE_LIKE_TYPES:
        obj.shared_as = f"alias_{index}.{leaf}"
    elif kind == "NOTEBOOK_FILE":
        obj.string_shared_as = f"nb_{index}.ipynb"
    elif kind in names.STRING_ALIAS_TYPES:
        obj.string_shared_as = f"alias_{index}.{leaf}"


@st.composite
def shared_objects(draw: st.DrawFn) -> list[sharing.SharedDataObject]:
    out = []
    for kind, candidates in OBJECT_KINDS.items():
        for name in draw(st.lists(st.sampled_from(candidates), unique=True, max_size=2)):
            obj = sharing.SharedDataObject(name=name, data_object_type=sharing.SharedDataObjectDataObjectType(kind))
            if kind == "NOTEBOOK_FILE":
                obj.content = NOTEBOOK.decode()
            if draw(st.booleans()):
                _alias(obj, kind, len(out))
            if name in PARTITIONED and draw(st.booleans()):
                value = draw(st.sampled_from([{"value": "EU"}, {"recipient_property_key": "region"}]))
                obj.partitions = [sharing.Partition(values=[sharing.PartitionValue(
                    name=PARTITIONED[name], op=sharing.PartitionValueOp.EQUAL, **value)])]
            if kind in names.HISTORY_TYPES and draw(st.booleans()):
                obj.history_data_sharing_status = sharing.SharedDataObjectHistoryDataSharingStatus.ENABLED
                if kind != "SCHEMA" and draw(st.booleans()):
                    obj.start_version = 0
            if draw(st.booleans()):
                obj.comment = draw(st.sampled_from(["shared for partners", "nightly"]))
            out.append(obj)
    return out


@st.composite
def federation_policies(draw: st.DrawFn) -> list[sharing.FederationPolicy]:
    """0-2 policies in the SDK's FederationPolicy / OidcFederationPolicy shape (databricks-sdk service/sharing.py)."""
    out = []
    for name in draw(st.lists(st.sampled_from(["nightly-job", "m2m"]), unique=True, max_size=2)):
        out.append(sharing.FederationPolicy(
            name=name, comment=draw(st.sampled_from([None, "partner job"])),
            oidc_policy=sharing.OidcFederationPolicy(
                issuer=draw(st.sampled_from(["https://login.microsoftonline.com/tenant-1/v2.0",
                                             "https://idp.example.com"])),
                audiences=draw(st.lists(st.sampled_from(["api://share", "api://other"]), unique=True, min_size=1)),
                subject_claim=draw(st.sampled_from(names.SUBJECT_CLAIMS)), subject=f"app-{name}")))
    return out


OWNERS = (None, "data-team", "sharing-admins")  # None: the creator stays the owner


@st.composite
def workspace_states(draw: st.DrawFn) -> dict[str, Any]:
    shares = {name: draw(shared_objects()) for name in draw(st.lists(st.sampled_from(SHARES), unique=True))}
    owners = {name: draw(st.sampled_from(OWNERS)) for name in SHARES + RECIPIENTS}
    recipients, policies = {}, {}
    for index, name in enumerate(draw(st.lists(st.sampled_from(RECIPIENTS), unique=True))):
        kind = draw(st.sampled_from(RECIPIENT_TYPES))
        spec: dict[str, Any] = {"authentication_type": sharing.AuthenticationType(kind)}
        if kind == "OIDC_FEDERATION":
            policies[name] = draw(federation_policies())
        if kind == "DATABRICKS":
            spec["data_recipient_global_metastore_id"] = f"aws:us-west-2:00000000-0000-4000-8000-00000000000{index}"
        else:
            spec["ip_access_list"] = sharing.IpAccessList(allowed_ip_addresses=draw(st.lists(
                st.sampled_from(["10.0.0.0/8", "192.168.1.0/24"]), unique=True, min_size=1)))
            if draw(st.booleans()):
                spec["expiration_time"] = (int(time.time()) // 86_400 + draw(st.integers(30, 400))) * DAY_MS
        properties = draw(st.dictionaries(st.sampled_from(["region", "tier", "email"]), st.sampled_from(["EU", "1"]),
                                          max_size=2))
        if properties.get("email"):
            properties["email"] = f"{name}@example.com"
        if properties:
            spec["properties_kvpairs"] = sharing.SecurablePropertiesKvPairs(properties=properties)
        if draw(st.booleans()):
            spec["comment"] = "partner"
        recipients[name] = spec
    pairs = [(s, r) for s in shares for r in recipients]
    grants = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    return {"shares": shares, "recipients": recipients, "grants": grants, "owners": owners, "policies": policies}


def reset(ws: Workspace) -> None:
    for share in list(ws.client.shares.list_shares()):
        ws.client.shares.delete(share.name)
    for recipient in list(ws.client.recipients.list()):
        ws.client.recipients.delete(recipient.name)


def create(ws: Workspace, state: dict[str, Any]) -> None:
    client = ws.client
    for name, objects in state["shares"].items():
        notebooks = any(o.data_object_type == sharing.SharedDataObjectDataObjectType.NOTEBOOK_FILE for o in objects)
        client.shares.create(name, comment=f"share {name}", storage_root="file:///notebooks" if notebooks else None)
        if objects:
            client.shares.update(name, updates=[sharing.SharedDataObjectUpdate(
                action=sharing.SharedDataObjectUpdateAction.ADD, data_object=obj) for obj in objects])
    for name, spec in state["recipients"].items():
        client.recipients.create(name, **spec)
        for policy in state["policies"].get(name, []):
            client.recipient_federation_policies.create(name, policy)
    for name in state["shares"]:
        if state["owners"][name]:
            client.shares.update(name, owner=state["owners"][name])
    for name in state["recipients"]:
        if state["owners"][name]:
            client.recipients.update(name, owner=state["owners"][name])
    for share, recipient in state["grants"]:
        client.shares.update_permissions(share, changes=[sharing.PermissionsChange(principal=recipient,
                                                                                   add=["SELECT"])])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(state=workspace_states())
def test_export_load_plan_is_no_change(every_kind_ws: Workspace, state: dict[str, Any]) -> None:
    module_ws = every_kind_ws
    reset(module_ws)
    create(module_ws, state)
    text = export(module_ws)
    document = loads(text)
    owners = {s.name: s.owner for s in document.config.shares} | {r.name: r.owner for r in document.config.recipients}
    for name in [*state["shares"], *state["recipients"]]:
        assert owners[name] and owners[name] == (state["owners"][name] or owners[name])  # owner round-trips
    for prune in (False, True):
        plan = make_plan(module_ws.client, document, prune=prune)
        assert not plan.has_changes, (text, [str(a) for a in plan.actions])
