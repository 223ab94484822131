"""Partner platforms allowed to sign their users into a customer's portal (SSO)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import PortwayModel, TableMeta


class SsoIssuer(PortwayModel):
    """One issuer (`iss`) of a tenant, bound to one customer, with its fixed algorithm and
    key: an HS256 secret (DynamoDB encrypts it at rest) or an RS256/ES256 public key."""

    class Meta(metaclass=TableMeta):
        base_name = "sso-issuers"

    tenant_id = UnicodeAttribute(hash_key=True)
    issuer = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute()
    algorithm = UnicodeAttribute()
    audience = UnicodeAttribute()
    secret = UnicodeAttribute(null=True)
    public_key = UnicodeAttribute(null=True)
    key_id = UnicodeAttribute(null=True)
    # New each time the issuer is registered afresh (not when its key is replaced): sessions
    # carry it, so removing an issuer ends them even if it is registered again later.
    registration_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
