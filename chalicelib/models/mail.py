"""Addresses Portway no longer sends mail to: they bounced for good or complained."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import PortwayModel, TableMeta

# No address is longer than 254 characters; a key of more is no address (DynamoDB would take
# up to 2048 bytes).
MAX_ADDRESS_LENGTH = 320


class ByTenant(GlobalSecondaryIndex["MailSuppression"]):  # type: ignore[no-untyped-call]
    """The suppressions a tenant's mail caused, newest first by id; sparse (an address whose
    mail named no tenant is in no tenant's list)."""

    class Meta:
        index_name = "by_tenant"
        projection = AllProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    suppression_id = UnicodeAttribute(range_key=True)


class MailSuppression(PortwayModel):
    """One suppressed address. Hash key: the address, lower-case and stripped (`key_for`).

    Not tenant-owned: whoever sends to the address next, the answer is the same, since a
    mailbox that does not exist or a person who calls our mail spam is so for every tenant
    (and SES judges the whole account by both). `tenant_id` names the tenant whose mail
    bounced or was complained about: only that tenant lists it and may lift a bounce.
    """

    class Meta(metaclass=TableMeta):
        base_name = "mail-suppressions"

    address = UnicodeAttribute(hash_key=True)
    # Time-ordered (`sup_...`): how the tenant's list sorts, and the id its API paths use.
    suppression_id = UnicodeAttribute()
    reason = UnicodeAttribute()  # "bounce" (a permanent one) or "complaint"
    # SES's bounce type and subtype (`Permanent/General`), or the complaint's feedback type.
    detail = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    tenant_id = UnicodeAttribute(null=True)
    # SES's id of the bounce or complaint report, for whoever traces it back.
    feedback_id = UnicodeAttribute(null=True)

    by_tenant = ByTenant()

    @staticmethod
    def key_for(address: str) -> str:
        """The key of an address: the address alone (of `Name <a@b>` too), stripped and
        lower-case, as Portway stores addresses it is given."""
        text = address.strip()
        if text.endswith(">") and "<" in text:
            text = text[text.rindex("<") + 1 : -1]
        return text.strip().lower()
