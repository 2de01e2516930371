"""Day-to-day recipient operations on a ``Workspace`` or a bare ``WorkspaceClient``: list, show, create,
update, rotate, grant, revoke, delete — for every recipient type (TOKEN, DATABRICKS with a sharing identifier,
OIDC_FEDERATION with its federation policies).

Only SDK calls, so the same code runs against Databricks and the embedded server; settings are validated
exactly as a configuration document validates them. ``%recipient``, the recipient form and
``sharekit.sharing`` use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sharekit import names
from sharekit.config.comparable import RecipientState, activation_url
from sharekit.config.live import follow_pages, list_share_names, read_grants
from sharekit.config.model import FederationPolicySpec, RecipientSpec
from sharekit.connect import WorkspaceLike, client_of

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.sharing import FederationPolicy, RecipientInfo

AUTHENTICATION_TYPES = names.RECIPIENT_TYPES
_Spec = TypeVar("_Spec", RecipientSpec, FederationPolicySpec)
# The embedded server's Delta Sharing endpoint (``server.paths.PROTOCOL``): what an OIDC recipient's profile names.
PROTOCOL_PATH = "/delta-sharing/"


@dataclass(frozen=True)
class PolicySummary:
    """One federation policy of an OIDC_FEDERATION recipient."""

    name: str
    issuer: str
    audiences: tuple[str, ...]
    subject_claim: str
    subject: str
    comment: str | None = None

    @classmethod
    def from_sdk(cls, policy: FederationPolicy) -> PolicySummary:
        oidc = policy.oidc_policy
        return cls(policy.name or "", oidc.issuer if oidc else "", tuple(oidc.audiences or []) if oidc else (),
                   oidc.subject_claim if oidc else "", oidc.subject if oidc else "", policy.comment)


@dataclass(frozen=True)
class RecipientSummary:
    name: str
    authentication_type: str
    activated: bool
    activation_url: str | None
    token_expires: int | None  # epoch ms of the newest token; None = never
    expires: int | None
    comment: str | None
    properties: dict[str, str] = field(default_factory=dict)
    ip_access_list: tuple[str, ...] = ()
    shares: tuple[str, ...] = ()
    owner: str | None = None
    sharing_id: str | None = None  # DATABRICKS: the recipient metastore's sharing identifier
    policies: tuple[PolicySummary, ...] = ()  # OIDC_FEDERATION (read by get_recipient only)
    denied: tuple[str, ...] = ()  # "share: object" entries whose status is PERMISSION_DENIED (get_recipient only)

    @property
    def has_activation_link(self) -> bool:
        """Only TOKEN recipients are activated through a link; the other types never show "not activated"."""
        return self.authentication_type == "TOKEN"


def _summary(info: RecipientInfo, shares: Sequence[str], policies: Sequence[PolicySummary] = (),
             denied: Sequence[str] = ()) -> RecipientSummary:
    state = RecipientState.from_sdk(info)
    return RecipientSummary(state.name, state.authentication_type, state.activated,
                            None if state.activated else state.activation_url, state.token_expires, state.expires,
                            state.comment, state.properties, state.ip_access_list, tuple(sorted(shares)),
                            info.owner, info.data_recipient_global_metastore_id, tuple(policies), tuple(denied))


def _validated(model: type[_Spec], **fields: Any) -> _Spec:
    """Validate settings exactly as a configuration document does (``RecipientSpec``, ``FederationPolicySpec``:
    the rules are ``sharekit.names``, which the embedded server enforces too); a ValueError with one short
    message."""
    from pydantic import ValidationError

    try:
        return model(**fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        text = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ValueError(f"{where}: {text}" if where else text) from None


def _recipient_spec(**fields: Any) -> RecipientSpec:
    return _validated(RecipientSpec, **fields)


def recipient_shares(target: WorkspaceLike, name: str) -> list[str]:
    client = client_of(target)
    pages = follow_pages(lambda token: client.recipients.share_permissions(name, page_token=token))
    return sorted(p.share_name for page in pages for p in page.permissions_out or [] if p.share_name)


def list_recipients(target: WorkspaceLike) -> list[RecipientSummary]:
    """Every recipient with activation state, token expiry and granted shares (the fewer of one permissions
    read per share or per recipient)."""
    client = client_of(target)
    infos = list(client.recipients.list())
    shares: dict[str, list[str]] = {(i.name or "").lower(): [] for i in infos}
    share_names = list_share_names(client) if infos else set()
    if len(share_names) <= len(infos):
        for share in sorted(share_names):
            for holder in read_grants(client, share):
                shares.setdefault(holder, []).append(share)
    else:
        for name in shares:
            shares[name] = recipient_shares(client, name)
    return [_summary(info, shares.get((info.name or "").lower(), [])) for info in
            sorted(infos, key=lambda i: i.name or "")]


def get_recipient(target: WorkspaceLike, name: str) -> RecipientSummary:
    """One recipient with its shares, its federation policies (OIDC_FEDERATION) and the objects of its shares that
    it cannot read (``status: PERMISSION_DENIED``: the share owner lost access to them)."""
    client = client_of(target)
    info = client.recipients.get(name)
    shares = recipient_shares(client, name)
    kind = info.authentication_type.value if info.authentication_type else ""
    policies = list_federation_policies(client, name) if kind == "OIDC_FEDERATION" else []
    return _summary(info, shares, policies, denied_objects(client, shares))


def denied_objects(client: WorkspaceClient, shares: Sequence[str]) -> list[str]:
    """``share: object`` for each shared object whose ``status`` is PERMISSION_DENIED (read tolerantly: a
    workspace or an SDK without the field shows none)."""
    found = []
    for share in shares:
        for obj in client.shares.get(share, include_shared_data=True).objects or []:
            status = getattr(obj, "status", None)
            if str(getattr(status, "value", status) or "").upper() == "PERMISSION_DENIED":
                found.append(f"{share}: {obj.name}")
    return found


def create_recipient(target: WorkspaceLike, name: str, *, comment: str | None = None,
                     properties: Mapping[str, str] | None = None, ip_access_list: Sequence[str] | None = None,
                     expires: int | None = None, authentication_type: str = "TOKEN", sharing_id: str | None = None,
                     owner: str | None = None, policies: Sequence[Mapping[str, Any]] = ()) -> RecipientInfo:
    """Create a recipient: TOKEN (the activation link is in ``tokens[0].activation_url``), DATABRICKS (give
    ``sharing_id``) or OIDC_FEDERATION (``policies``: keyword arguments of ``add_federation_policy``). Everything
    is checked before the first write; a policy the workspace refuses removes the new recipient again."""
    from databricks.sdk.service import sharing

    kind = authentication_type.strip().upper()
    extra = {"federation_policies": [{"subject_claim": "sub", **p} for p in policies]} if policies else {}
    spec = _recipient_spec(name=name, comment=comment, properties=dict(properties or {}), authentication_type=kind,
                           sharing_id=sharing_id or None, owner=owner or None,
                           ip_access_list=list(ip_access_list or []), expires=expires, **extra)
    checked = [_policy_sdk(p) for p in spec.federation_policies]
    client = client_of(target)
    info = client.recipients.create(
        spec.name, sharing.AuthenticationType(spec.authentication_type), comment=spec.comment, owner=spec.owner,
        data_recipient_global_metastore_id=spec.sharing_id,
        properties_kvpairs=sharing.SecurablePropertiesKvPairs(properties=spec.properties) if spec.properties else None,
        ip_access_list=sharing.IpAccessList(allowed_ip_addresses=spec.ip_access_list) if spec.ip_access_list else None,
        expiration_time=spec.expires)
    try:
        for policy in checked:
            client.recipient_federation_policies.create(spec.name, policy)
    except Exception:
        client.recipients.delete(spec.name)  # created a moment ago, granted nothing: nothing is lost
        raise
    return info


def _policy(name: str, *, issuer: str, audiences: Sequence[str], subject: str, subject_claim: str = "sub",
            comment: str | None = None) -> FederationPolicy:
    """A federation policy checked exactly as a document's."""
    spec = _validated(FederationPolicySpec, name=name, issuer=issuer, audiences=list(audiences or []),
                      subject_claim=subject_claim, subject=subject, comment=comment or None)
    return _policy_sdk(spec)


def _policy_sdk(spec: FederationPolicySpec) -> FederationPolicy:
    from databricks.sdk.service import sharing

    return sharing.FederationPolicy(name=spec.name, comment=spec.comment, oidc_policy=sharing.OidcFederationPolicy(
        issuer=spec.issuer, audiences=list(spec.audiences), subject_claim=spec.subject_claim, subject=spec.subject))


def add_federation_policy(target: WorkspaceLike, recipient: str, name: str, *, issuer: str, audiences: Sequence[str],
                          subject: str, subject_claim: str = "sub", comment: str | None = None) -> PolicySummary:
    """Let tokens of ``issuer`` whose ``aud`` is one of ``audiences`` and whose ``subject_claim`` is ``subject``
    read as the OIDC_FEDERATION recipient."""
    policy = _policy(name, issuer=issuer, audiences=audiences, subject=subject, subject_claim=subject_claim,
                     comment=comment)
    return PolicySummary.from_sdk(client_of(target).recipient_federation_policies.create(recipient, policy))


def list_federation_policies(target: WorkspaceLike, recipient: str) -> list[PolicySummary]:
    policies = client_of(target).recipient_federation_policies.list(recipient)
    return sorted((PolicySummary.from_sdk(p) for p in policies), key=lambda p: p.name)


def remove_federation_policy(target: WorkspaceLike, recipient: str, name: str) -> None:
    client_of(target).recipient_federation_policies.delete(recipient, name)


def sharing_endpoint(target: WorkspaceLike) -> str:
    """The Delta Sharing endpoint an OIDC recipient's profile names: the embedded server's protocol URL. (On a
    Databricks workspace the recipient downloads its profile from the provider's OIDC profile portal instead.)"""
    client = client_of(target)
    return str(client.config.host).rstrip("/") + PROTOCOL_PATH


def update_recipient(target: WorkspaceLike, name: str, *, comment: str | None = None,
                     set_properties: Mapping[str, str] | None = None, remove_properties: Sequence[str] = (),
                     ip_access_list: Sequence[str] | None = None, expires: int | None = None,
                     owner: str | None = None) -> RecipientInfo:
    """Change the given fields only. Properties are read-modify-write: the API replaces the whole map (the
    workspace's reserved ``databricks.*`` keys are never sent back: it keeps them itself)."""
    from databricks.sdk.service import sharing

    client = client_of(target)
    kwargs: dict[str, Any] = {}
    if comment is not None:
        kwargs["comment"] = comment
    if owner:
        kwargs["owner"] = owner
    if set_properties or remove_properties:
        current = client.recipients.get(name)
        props = dict(current.properties_kvpairs.properties or {}) if current.properties_kvpairs else {}
        props = {k: v for k, v in props.items() if not names.is_reserved_property(k, strict=True)}
        for key in remove_properties:
            props.pop(key, None)
        props.update(set_properties or {})
        _recipient_spec(name=name, properties=props)  # same validation as the config
        kwargs["properties_kvpairs"] = sharing.SecurablePropertiesKvPairs(properties=props)
    if ip_access_list is not None:
        _recipient_spec(name=name, ip_access_list=list(ip_access_list))
        kwargs["ip_access_list"] = sharing.IpAccessList(allowed_ip_addresses=list(ip_access_list))
    if expires is not None:
        kwargs["expiration_time"] = expires
    if kwargs:
        client.recipients.update(name, **kwargs)
    return client.recipients.get(name)


def rotate_token(target: WorkspaceLike, name: str, *, expire_existing_in: int = 0) -> RecipientInfo:
    """New token (and activation link); the current one expires in ``expire_existing_in`` s (0 = now)."""
    if expire_existing_in < 0:
        raise ValueError("expire_existing_in must be 0 or more seconds")
    return client_of(target).recipients.rotate_token(name, expire_existing_in)


def activation_link(target: WorkspaceLike, name: str) -> str | None:
    """The activation URL of the recipient's newest token, or None once it has been used."""
    return activation_url(client_of(target).recipients.get(name))


def grant(target: WorkspaceLike, recipient: str, share: str) -> None:
    _change_permission(target, share, recipient, add=True)


def revoke(target: WorkspaceLike, recipient: str, share: str) -> None:
    _change_permission(target, share, recipient, add=False)


def _change_permission(target: WorkspaceLike, share: str, recipient: str, *, add: bool) -> None:
    from databricks.sdk.service import sharing

    change = sharing.PermissionsChange(principal=recipient, add=["SELECT"]) if add else \
        sharing.PermissionsChange(principal=recipient, remove=["SELECT"])
    client_of(target).shares.update_permissions(share, changes=[change])


def delete_recipient(target: WorkspaceLike, name: str) -> None:
    client_of(target).recipients.delete(name)
