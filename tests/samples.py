"""Sample ids and bodies for tests that walk every route (authorization and scope matrices).

A route that takes an id or a body nobody has a sample for fails those tests with a message
saying what to add here, so a new route cannot slip through uncovered.
"""

from __future__ import annotations

import secrets
import struct
import zlib
from datetime import UTC, datetime

import pytest

from chalicelib.operations import OPERATIONS
from portway_ops.pdf import simple_pdf

# Which kind of object a path's {id} names, by the path's start (first match wins).
ID_KINDS = {
    "/v1/customers/{id}/portal": "portal_customer",
    "/v1/customers/{id}/support": "portal_customer",
    "/v1/customers/{id}/ticket-tags": "portal_customer",
    "/v1/customers/{id}/board-queries": "portal_customer",
    "/v1/customers/{id}/exclusion-rules": "portal_customer",
    "/v1/portal/assets/{id}": "asset",
    "/v1/portal/users/{id}": "portal_user",
    "/v1/customers/{id}": "customer",
    "/v1/assets/{id}": "asset",
    "/v1/api-keys/{id}": "api_key",
    "/v1/themes/{id}": "theme",
    "/v1/portal-templates/{id}": "template",
    "/v1/plans/{id}": "plan",
    "/v1/plan-variants/{id}": "variant",
    "/v1/components/{id}": "component",
    "/v1/coupons/{id}": "coupon",
    "/v1/contracts/{id}": "contract",
    "/v1/shares/{id}": "share",
    "/v1/received-shares/{id}": "received_share",
    "/v1/tracking/sessions/{id}": "tracking_session",
    "/v1/webhook-endpoints/{id}": "webhook_endpoint",
    "/v1/team/members/{id}": "member",
    "/v1/customer-imports/{id}": "customer_import",
    "/v1/ticket-areas/{id}": "ticket_area",
    "/v1/ticket-types/{id}": "ticket_type",
    "/v1/plan-boards/{id}": "plan_board",
    "/v1/portal/plan-boards/{id}": "plan_board",
    "/v1/tickets/{id}/approval": "awaiting_ticket",
    "/v1/portal/tickets/{id}/approval": "awaiting_ticket",
    "/v1/tickets/{id}": "ticket",
    "/v1/portal/tickets/{id}": "ticket",
    "/v1/exclusion-rules/{id}": "exclusion_rule",
    "/v1/mail/suppressions/{id}": "mail_suppression",
    "/v1/exports/{id}": "export",
}
# Where to read an object of each kind, given its id.
READ_PATHS = {kind: prefix.replace("{id}", "{}") for prefix, kind in ID_KINDS.items()}
# Routes anyone may call: what they serve is public by design.
PUBLIC = {
    ("GET", "/"),
    ("GET", "/favicon.ico"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/console"),
    ("GET", "/console/assets/{name}"),
    ("GET", "/v1/page-previews/{id}"),
    ("GET", "/p/{slug}/logos/{theme_id}/{name}"),
    ("GET", "/p/{slug}/{page}"),
    ("GET", "/site/p/{slug}/{page}/{variant}/{language}"),  # the CDN's fallback
    ("GET", "/v1/blob-links"),  # a signed token in the query is the only key
    ("PUT", "/v1/blob-links"),
    ("GET", "/p/{slug}/signup/{variant_id}"),
    ("GET", "/page-assets/{name}"),
    ("GET", "/page-assets/map/{name}"),
}
# Routes without credentials that act (sign in, accept a link): they refuse bad secrets.
ANONYMOUS = {
    ("POST", "/v1/portal/invitations/accept"),
    ("POST", "/v1/portal/invitations/check"),
    ("POST", "/v1/portal/sessions"),
    ("POST", "/v1/portal/sessions/refresh"),
    ("POST", "/v1/portal/password-resets"),
    ("POST", "/v1/portal/password-resets/confirm"),
    ("POST", "/v1/team/invitations/accept"),
    ("POST", "/v1/team/sessions"),
    ("POST", "/v1/team/sessions/refresh"),
    ("POST", "/v1/team/password-resets"),
    ("POST", "/v1/team/password-resets/confirm"),
    ("GET", "/sso/{slug}/jwt"),
    ("POST", "/sso/{slug}/jwt"),
    ("POST", "/v1/hosted/{slug}/signup"),
    ("POST", "/v1/hosted/{slug}/signup/quote"),
    ("POST", "/v1/self-service/link-requests"),
}
# Anonymous routes that need no secret at all (a public signup, asking for a reset link):
# limited per address.
OPEN = {
    ("POST", "/v1/hosted/{slug}/signup"),
    ("POST", "/v1/hosted/{slug}/signup/quote"),
    ("POST", "/v1/self-service/link-requests"),
    ("POST", "/v1/portal/password-resets"),
    ("POST", "/v1/team/password-resets"),
}
# Creations whose body names other objects: another tenant's ids are unknown (422).
REFERENCING = {
    ("POST", "/v1/components"),
    ("POST", "/v1/contracts"),
    ("POST", "/v1/shares"),
    ("POST", "/v1/tickets"),
    ("POST", "/v1/plan-boards"),
    ("POST", "/v1/exclusion-rules"),
}
# Values of other path parameters than {id}.
PATH_VALUES = {"{kind}": "invoice", "{language}": "de"}

# A valid body per route, so that only tenancy or scope can refuse the request.
BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/v1/customers"): {"name": "New customer"},
    ("POST", "/v1/uploads"): {"content_type": "application/pdf", "size": 1000},
    ("PATCH", "/v1/customers/{id}"): {"name": "renamed"},
    ("POST", "/v1/customers/{id}/business-units"): {"name": "unit"},
    ("PUT", "/v1/customers/{id}/assets"): {"asset_ids": []},
    ("POST", "/v1/assets"): {"name": "New asset"},
    ("PATCH", "/v1/assets/{id}"): {"name": "renamed"},
    ("POST", "/v1/assets/{id}/events"): {"time": "NOW"},
    ("POST", "/v1/api-keys"): {"name": "New key", "scopes": ["read"]},
    ("POST", "/v1/themes"): {"name": "New theme", "colors": {"primary": "#123456"}},
    ("PATCH", "/v1/themes/{id}"): {"name": "renamed"},
    ("PUT", "/v1/settings/embedding"): {"allowed_origins": ["https://shop.example.com"]},
    ("POST", "/v1/portal-templates"): {"name": "New template", "apps": ["equipment"]},
    ("PATCH", "/v1/portal-templates/{id}"): {"name": "renamed"},
    ("PUT", "/v1/customers/{id}/portal"): {},
    ("POST", "/v1/customers/{id}/portal/invitations"): {"email": "someone@example.com"},
    ("POST", "/v1/portal/invitations/accept"): {
        "token": "pwi_not-a-real-link",
        "email": "someone@example.com",
        "name": "Someone",
        "password": "a long and uncommon passphrase",
        "accept_terms": True,
    },
    ("POST", "/v1/portal/invitations/check"): {"token": "pwi_not-a-real-link"},
    ("PATCH", "/v1/portal/me"): {"name": "Renamed person"},
    # The same password again: the sample person keeps signing in with it.
    ("POST", "/v1/portal/me/password"): {
        "current_password": "a long and uncommon passphrase",
        "password": "a long and uncommon passphrase",
    },
    ("POST", "/v1/portal/sessions"): {
        "tenant": "nobody",
        "email": "someone@example.com",
        "password": "a long and uncommon passphrase",
    },
    ("POST", "/v1/portal/sessions/refresh"): {"refresh_token": "pwr_not-a-real-token"},
    ("POST", "/v1/portal/password-resets"): {"tenant": "nobody", "email": "someone@example.com"},
    ("POST", "/v1/portal/password-resets/confirm"): {
        "token": "pwp_not-a-real-link",
        "password": "a long and uncommon passphrase",
    },
    ("POST", "/v1/portal/users"): {"email": "colleague@example.com"},
    ("POST", "/v1/team/members"): {"email": "new-member@example.com", "role": "viewer"},
    ("PATCH", "/v1/team/members/{id}"): {"name": "Renamed member"},
    ("PUT", "/v1/team/settings"): {"require_second_factor": True},
    ("POST", "/v1/customer-imports/{id}/commit"): {"rows": "valid"},
    ("POST", "/v1/settings/self-service/preview"): {"allow_cancellation": True},
    ("POST", "/v1/team/invitations/accept"): {
        "token": "pwi_not-a-real-link",
        "name": "Someone",
        "password": "a long and uncommon passphrase",
    },
    ("POST", "/v1/team/sessions"): {
        "tenant": "nobody",
        "email": "someone@example.com",
        "password": "a long and uncommon passphrase",
    },
    ("POST", "/v1/team/sessions/refresh"): {"refresh_token": "pwr_not-a-real-token"},
    ("POST", "/v1/team/password-resets"): {"tenant": "nobody", "email": "someone@example.com"},
    ("POST", "/v1/team/password-resets/confirm"): {
        "token": "pwp_not-a-real-link",
        "password": "a long and uncommon passphrase",
    },
    ("POST", "/v1/team/me/mfa/totp/confirm"): {"code": "123456"},
    ("DELETE", "/v1/team/me/mfa/totp"): {"password": "a long and uncommon passphrase"},
    ("PUT", "/v1/customers/{id}/portal/sso"): {
        "issuer": "https://erp.example.com",
        "algorithm": "HS256",
        "secret": "Jq3v9K-fX2mWb7LpT0sYc4RnZ8hUe1AdGi6oPk5NwQ",
    },
    ("POST", "/v1/plans"): {"name": "New plan"},
    ("PATCH", "/v1/plans/{id}"): {"name": "renamed"},
    ("POST", "/v1/plans/{id}/variants"): {"name": "Yearly", "price": "490.00"},
    ("PATCH", "/v1/plan-variants/{id}"): {"name": "renamed"},
    ("POST", "/v1/components"): {
        "plan_id": "<plan>",
        "name": "Seats",
        "kind": "quantity",
        "price": "5.00",
        "max_quantity": 10,
    },
    ("PATCH", "/v1/components/{id}"): {"name": "renamed"},
    ("POST", "/v1/coupons"): {"code": "NEWCODE", "discount_percent": 5},
    ("POST", "/v1/contracts"): {"customer_id": "<customer>", "plan_variant_id": "<variant>"},
    ("POST", "/v1/contracts/{id}/self-service-token"): {"validity_minutes": 30},
    ("POST", "/v1/contracts/{id}/emails"): {"kind": "reminder"},
    ("PUT", "/v1/settings/self-service"): {"token_validity_minutes": 120},
    ("PUT", "/v1/email-templates/{kind}/{language}"): {
        "subject": "Erinnerung",
        "body": "Bitte hier: {SelfServicePortalUrl}?language=de",
    },
    ("POST", "/v1/hosted/{slug}/signup"): {
        "plan_variant_id": "var_none",
        "customer": {"email": "someone@example.com"},
    },
    ("POST", "/v1/hosted/{slug}/signup/quote"): {"plan_variant_id": "var_none"},
    ("PATCH", "/v1/self-service/customer"): {"phone": "+49 40 1234"},
    ("PUT", "/v1/self-service/payment"): {"method": "invoice"},
    ("POST", "/v1/self-service/link-requests"): {"token": "pws_not-a-real-link"},
    ("POST", "/v1/shares"): {
        "partner_tenant_id": "<partner>",
        "name": "Tour Hamburg",
        "asset_ids": ["<asset>"],
    },
    ("PUT", "/v1/received-shares/{id}/assets/{asset_id}/shipment-number"): {
        "shipment_number": "SN-4711"
    },
    ("POST", "/v1/tracking/sessions"): {},
    # Loopback is allowed in the test stage; nothing listens on port 9 (discard).
    ("POST", "/v1/webhook-endpoints"): {
        "url": "http://127.0.0.1:9/webhook",
        "events": ["customer.*"],
    },
    ("PATCH", "/v1/webhook-endpoints/{id}"): {"events": ["*"]},
    ("POST", "/v1/ticket-areas"): {"name": "Service", "names": {"de": "Kundendienst"}},
    ("PATCH", "/v1/ticket-areas/{id}"): {"name": "renamed"},
    ("POST", "/v1/ticket-types"): {"name": "Repair", "names": {"da": "Reparation"}},
    ("PATCH", "/v1/ticket-types/{id}"): {"name": "renamed"},
    ("PUT", "/v1/customers/{id}/support"): {
        "active": False,
        "areas": [],
        "ticket_types": [],
    },
    ("POST", "/v1/customers/{id}/ticket-tags"): {"name": "Hydraulics"},
    ("PATCH", "/v1/customers/{id}/ticket-tags/{tag_id}"): {"description": "Oil and hoses"},
    ("POST", "/v1/customers/{id}/board-queries"): {
        "name": "Open tickets",
        "filter": {"statuses": ["open"]},
    },
    ("PATCH", "/v1/customers/{id}/board-queries/{query_id}"): {"name": "renamed"},
    ("POST", "/v1/exclusion-rules"): {"name": "No billing", "area_ids": ["<ticket_area>"]},
    ("POST", "/v1/customers/{id}/exclusion-rules"): {
        "name": "No orders",
        "type_ids": ["<ticket_type>"],
    },
    ("POST", "/v1/plan-boards"): {"name": "Visits", "customer_ids": ["<portal_customer>"]},
    ("PATCH", "/v1/plan-boards/{id}"): {"name": "renamed"},
    ("POST", "/v1/tickets"): {
        "customer_id": "<portal_customer>",
        "area_id": "<ticket_area>",
        "type_id": "<ticket_type>",
        "title": "Hydraulic leak",
    },
    ("PATCH", "/v1/tickets/{id}"): {"priority": "high"},
    ("POST", "/v1/tickets/{id}/transitions"): {"to": "in_progress"},
    ("POST", "/v1/tickets/{id}/approval"): {"decision": "approve"},
    ("POST", "/v1/tickets/{id}/positions"): {"text": "Checked the hoses"},
    ("POST", "/v1/portal/tickets"): {
        "area_id": "<portal_area>",
        "type_id": "<portal_type>",
        "title": "Leak at the boom",
    },
    ("POST", "/v1/portal/tickets/{id}/positions"): {"text": "Thank you"},
    ("POST", "/v1/portal/tickets/{id}/approval"): {"decision": "approve"},
}


def tiny_png(width: int = 16, height: int = 16) -> bytes:
    """A valid, complete PNG (white, 8-bit greyscale)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def tiny_pdf(text: str = "Invoice 1") -> bytes:
    """A small, valid one-page PDF."""
    return simple_pdf(text)


# Routes that take a raw upload: (query string, bytes, content type).
UPLOADS = {
    ("PUT", "/v1/themes/{id}/logo"): ("?size=small", tiny_png(), "image/png"),
    ("POST", "/v1/contracts/{id}/documents"): (
        "?kind=invoice&number=R-1",
        tiny_pdf(),
        "application/pdf",
    ),
    ("POST", "/v1/customer-imports"): (
        "?file_name=customers.csv",
        b"name;email\nImported customer;imported@example.com\n",
        "text/csv",
    ),
    ("POST", "/v1/tickets/{id}/attachments"): (
        "?file_name=report.pdf",
        tiny_pdf(),
        "application/pdf",
    ),
    ("POST", "/v1/portal/tickets/{id}/attachments"): (
        "?file_name=leak.png",
        tiny_png(),
        "image/png",
    ),
}
# Query strings routes need besides their body.
QUERIES = {("DELETE", "/v1/customers/{id}/portal/sso"): "?issuer=https://erp.example.com"}


_BILLING_KINDS = frozenset({"plan", "variant", "component", "coupon", "contract"})
_SHARE_KINDS = frozenset({"share", "received_share", "export"})
_TICKET_KINDS = frozenset(
    {"ticket_area", "ticket_type", "ticket", "awaiting_ticket", "plan_board", "exclusion_rule"}
)
_EVERY_KIND = frozenset(
    {"customer", "asset", "api_key", "theme", "template", "portal_customer", "portal_user"}
    | {"tracking_session", "webhook_endpoint", "member", "customer_import", "mail_suppression"}
    | _BILLING_KINDS
    | _SHARE_KINDS
    | _TICKET_KINDS
)


def kinds_for(method: str, path: str) -> tuple[frozenset[str], bool]:
    """The sample kinds one route needs (the object its path names, what its body names,
    the basics a snapshot reads), and whether it needs a portal user."""
    kinds = {"customer", "asset", "api_key", object_kind(path) or "customer"}
    if (method, path) in REFERENCING:  # the body names other objects
        kinds |= {"contract", "share", "portal_customer", "ticket"}
    if any(p in path for p in ("{tag_id}", "{query_id}", "{rule_id}", "{attachment_id}")):
        kinds |= {"portal_customer", "ticket"}
    if "<ticket" in str(BODIES.get((method, path))) or "<portal_" in str(
        BODIES.get((method, path))
    ):
        kinds |= {"portal_customer", "ticket"}
    portal_user = "{user_id}" in path
    if portal_user:
        kinds.add("portal_user")
    return frozenset(kinds), portal_user


def make_objects(
    api,
    *,
    assigned: bool = True,
    portal_user: bool = True,
    kinds: frozenset[str] = _EVERY_KIND,
) -> dict[str, str]:
    """One object of each kind a path can name (all kinds unless `kinds` says which), for
    the caller's tenant; ids by kind."""
    ids: dict[str, str] = {}
    if kinds & {"customer", "asset"}:
        ids["customer"] = api.post("/v1/customers", {"name": "Sample customer"}).json_body["id"]
        ids["asset"] = api.post("/v1/assets", {"name": "Sample asset"}).json_body["id"]
        if assigned:
            api.put(f"/v1/customers/{ids['customer']}/assets", {"asset_ids": [ids["asset"]]})
    if "api_key" in kinds:
        key = api.post("/v1/api-keys", {"name": "Sample key", "scopes": ["read"]})
        ids["api_key"] = key.json_body["id"]
    if "theme" in kinds:
        ids["theme"] = api.post("/v1/themes", {"name": "Sample theme"}).json_body["id"]
    if "template" in kinds:
        template = api.post(
            "/v1/portal-templates", {"name": "Sample template", "apps": ["equipment"]}
        )
        ids["template"] = template.json_body["id"]
    if kinds & {"portal_customer", "portal_user"}:
        ids.update(_portal_objects(api, portal_user and "portal_user" in kinds))
    if kinds & _BILLING_KINDS:
        ids.update(_billing_objects(api))
    if kinds & _SHARE_KINDS:
        ids.update(_share_objects(api))
    if kinds & _TICKET_KINDS:
        ids.update(_ticket_objects(api, ids.get("portal_customer"), ids.get("portal_user")))
    ids.update(_key_objects(api, kinds))
    return ids


def _ticket_objects(api, customer: str | None, approver: str | None) -> dict[str, str]:
    """An area and a type, the portal customer's integration (with a tag, a board query and
    a rule), a cross-customer rule, a plan board and a ticket the portal's person sees, with
    an attachment. The portal customer's ticket options: the area and the type."""
    if customer is None:
        customer = api.post("/v1/customers", {"name": "Ticket customer"}).json_body["id"]
    area = api.post("/v1/ticket-areas", {"name": "Service"}).json_body["id"]
    kind = api.post("/v1/ticket-types", {"name": "Repair"}).json_body["id"]
    # The samples any route may delete: used by tickets, but not by an integration.
    spare_area = api.post("/v1/ticket-areas", {"name": "Spare"}).json_body["id"]
    spare_type = api.post("/v1/ticket-types", {"name": "Spare"}).json_body["id"]
    order = api.post("/v1/ticket-types", {"name": "Order"}).json_body["id"]
    integrated = api.put(
        f"/v1/customers/{customer}/support",
        {
            "active": True,
            "areas": [area],
            "ticket_types": [{"type_id": kind}, {"type_id": order, "requires_approval": True}],
            "visibility": "customer",
            "approvers": [approver] if approver and approver != "usr_none" else [],
        },
    )
    assert integrated.status_code == 200, integrated.body
    tag = api.post(f"/v1/customers/{customer}/ticket-tags", {"name": "Hoses"}).json_body["id"]
    query = api.post(f"/v1/customers/{customer}/board-queries", {"name": "All"}).json_body["id"]
    unused = api.post("/v1/ticket-types", {"name": "Unused"}).json_body["id"]
    rule = api.post(
        f"/v1/customers/{customer}/exclusion-rules", {"name": "Nothing", "type_ids": [unused]}
    ).json_body["id"]
    tenant_rule = api.post(
        "/v1/exclusion-rules", {"name": "Nothing", "type_ids": [unused]}
    ).json_body["id"]
    board = api.post("/v1/plan-boards", {"name": "Visits", "customer_ids": [customer]})
    ticket = api.post(
        "/v1/tickets",
        {"customer_id": customer, "area_id": area, "type_id": kind, "title": "Sample ticket"},
    ).json_body["id"]
    awaiting = api.post(
        "/v1/tickets",
        {"customer_id": customer, "area_id": area, "type_id": order, "title": "Quote"},
    ).json_body
    assert awaiting["status"] == "awaiting_approval", awaiting
    attachment = api.request(
        "POST",
        f"/v1/tickets/{ticket}/attachments?internal=false",
        raw=tiny_png(),
        headers={"Content-Type": "image/png"},
    ).json_body["id"]
    return {
        "ticket_area": spare_area,
        "ticket_type": spare_type,
        "portal_area": area,
        "portal_type": kind,
        "ticket": ticket,
        "awaiting_ticket": awaiting["id"],
        "tag": tag,
        "board_query": query,
        "customer_rule": rule,
        "exclusion_rule": tenant_rule,
        "plan_board": board.json_body["id"],
        "attachment": attachment,
    }


def _key_objects(api, kinds: frozenset[str]) -> dict[str, str]:
    """A tracking session and a webhook endpoint, where asked for."""
    ids: dict[str, str] = {}
    if "tracking_session" in kinds:
        assert api.post("/v1/tracking/sessions", {}).status_code == 201
        ids["tracking_session"] = api.get("/v1/tracking/sessions").json_body["items"][-1]["id"]
    if "webhook_endpoint" in kinds:
        endpoint = api.post("/v1/webhook-endpoints", BODIES[("POST", "/v1/webhook-endpoints")])
        ids["webhook_endpoint"] = endpoint.json_body["id"]
    if "customer_import" in kinds:
        query, data, content_type = UPLOADS[("POST", "/v1/customer-imports")]
        checked = api.request(
            "POST", "/v1/customer-imports" + query, raw=data, headers={"Content-Type": content_type}
        )
        ids["customer_import"] = checked.json_body["id"]
    if "member" in kinds:
        invited = api.post("/v1/team/members", {"email": "member@example.com", "role": "editor"})
        ids["member"] = invited.json_body["id"]
    if "mail_suppression" in kinds:
        ids["mail_suppression"] = suppress_for(api.get("/v1/tenant").json_body["id"])
    return ids


def suppress_for(tenant_id: str, reason: str = "bounce", address: str | None = None) -> str:
    """An address of the tenant's mail that bounced for good (or complained), as SES's report
    suppresses it: a new one unless given (suppressions are global); the suppression's id."""
    from chalicelib.services.platform import suppressions

    finding = suppressions.Finding(
        address=address or f"bounced-{secrets.token_hex(6)}@example.com",
        reason=reason,
        detail="Permanent/General" if reason == "bounce" else "abuse",
        tenant_id=tenant_id,
        feedback_id=None,
        at=None,
    )
    stored = suppressions.record(finding)
    assert stored is not None, finding
    return stored.suppression_id


def _share_objects(api) -> dict[str, str]:
    """A share this tenant grants to a partner, and one a third tenant grants to it."""
    from tests.conftest import Api, make_tenant

    partner = make_tenant("Sample partner")
    device = api.post("/v1/assets", {"name": "Shared truck", "kind": "gps_device"}).json_body["id"]
    granted = api.post(
        "/v1/shares",
        {"partner_tenant_id": partner.public_id, "name": "Granted", "asset_ids": [device]},
    ).json_body["id"]
    sender = Api(api.client, make_tenant("Sample sender").key)
    theirs = sender.post("/v1/assets", {"name": "Their truck", "kind": "gps_device"}).json_body
    me = api.get("/v1/tenant").json_body["public_id"]
    received = sender.post(
        "/v1/shares", {"partner_tenant_id": me, "name": "Received", "asset_ids": [theirs["id"]]}
    ).json_body["id"]
    export = api.post(f"/v1/shares/{granted}/access-log/exports").json_body["id"]
    return {
        "share": granted,
        "received_share": received,
        "export": export,
        "shared_asset": theirs["id"],
        "partner": partner.public_id,
        "asset": api.post("/v1/assets", {"name": "Unshared"}).json_body["id"],
    }


def _billing_objects(api) -> dict[str, str]:
    # A customer of its own (with an e-mail, for the contract's mails): the sample
    # customer must stay deletable.
    plan = api.post("/v1/plans", {"name": "Sample plan"}).json_body["id"]
    variant = api.post(f"/v1/plans/{plan}/variants", {"name": "Monthly", "price": "9.90"})
    component = api.post(
        "/v1/components", {"plan_id": plan, "name": "Extra", "kind": "on_off", "price": "1.00"}
    )
    coupon = api.post("/v1/coupons", {"code": "SAMPLE5", "discount_percent": 5})
    customer = api.post(
        "/v1/customers", {"name": "Contract customer", "email": "buyer@example.com"}
    ).json_body["id"]
    contract = api.post(
        "/v1/contracts", {"customer_id": customer, "plan_variant_id": variant.json_body["id"]}
    ).json_body["id"]
    document = api.request(
        "POST",
        f"/v1/contracts/{contract}/documents?kind=invoice&number=R-0",
        raw=tiny_pdf(),
        headers={"Content-Type": "application/pdf"},
    ).json_body["id"]
    return {
        "plan": plan,
        "variant": variant.json_body["id"],
        "component": component.json_body["id"],
        "coupon": coupon.json_body["code"],
        "contract": contract,
        "document": document,
    }


def _portal_objects(api, with_user: bool) -> dict[str, str]:
    # A customer of its own for the portal: the sample customer must stay deletable.
    customer = api.post("/v1/customers", {"name": "Portal customer"}).json_body["id"]
    api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment", "support"]})
    session = portal_session(api, customer) if with_user else None
    invitation = api.post(
        f"/v1/customers/{customer}/portal/invitations", {"email": "x@example.com"}
    ).json_body
    api.put(
        f"/v1/customers/{customer}/portal/sso", BODIES[("PUT", "/v1/customers/{id}/portal/sso")]
    )
    return {
        "portal_customer": customer,
        "portal_user": session["user"]["id"] if session else "usr_none",
        "invitation": invitation["id"],
    }


def portal_session(
    api, customer_id: str, email: str = "first@example.com", name: str = "Portal person"
) -> dict:
    """Invite someone into the customer's portal and accept: the new user and tokens."""
    invitation = api.post(
        f"/v1/customers/{customer_id}/portal/invitations", {"email": email}
    ).json_body
    accepted = api.as_key(None).post(
        "/v1/portal/invitations/accept",
        {
            "token": invitation["url"].split("#token=")[1],
            "email": email,
            "name": name,
            "password": "a long and uncommon passphrase",
            "accept_terms": True,
        },
    )
    assert accepted.status_code == 201, accepted.body
    return accepted.json_body


def call(api, method: str, path: str, ids: dict[str, str]):
    """Call a route with the sample object of its kind and a valid body or upload."""
    kind = object_kind(path)
    concrete = path if kind is None else path.replace("{id}", ids[kind])
    concrete = concrete.replace("{invitation_id}", ids.get("invitation", ""))
    concrete = concrete.replace("{document_id}", ids.get("document", ""))
    concrete = concrete.replace("{asset_id}", ids.get("shared_asset", ""))
    concrete = concrete.replace("{user_id}", ids.get("portal_user", ""))
    concrete = concrete.replace("{tag_id}", ids.get("tag", ""))
    concrete = concrete.replace("{query_id}", ids.get("board_query", ""))
    concrete = concrete.replace("{rule_id}", ids.get("customer_rule", ""))
    concrete = concrete.replace("{attachment_id}", ids.get("attachment", ""))
    for name, value in PATH_VALUES.items():
        concrete = concrete.replace(name, value)
    if (method, path) in UPLOADS:
        query, data, content_type = UPLOADS[(method, path)]
        return api.request(
            method, concrete + query, raw=data, headers={"Content-Type": content_type}
        )
    body = body_for(method, path)
    if body is not None:  # references to other objects: `<kind>` is the sample of that kind
        body = {k: _sample(v, ids) for k, v in body.items()}
    produces = next((o.produces for o in OPERATIONS if (o.method, o.path) == (method, path)), ())
    # Binary answers (PDF) are sent only to a client that accepts them (as API Gateway does).
    headers = {"Accept": produces[0]} if produces else None
    return api.request(method, concrete + QUERIES.get((method, path), ""), body, headers=headers)


def _sample(value: object, ids: dict[str, str]) -> object:
    if isinstance(value, list):
        return [_sample(v, ids) for v in value]
    if isinstance(value, str) and value.startswith("<"):
        return ids.get(value[1:-1], value)
    return value


def object_kind(path: str) -> str | None:
    """The kind of object the path's {id} names, None for a path without one."""
    if "{id}" not in path:
        return None
    for prefix, kind in ID_KINDS.items():
        if path.startswith(prefix):
            return kind
    pytest.fail(f"no sample id for {path}: add its prefix to tests/samples.py ID_KINDS")


def body_for(method: str, path: str) -> dict[str, object] | None:
    """A valid body for the route, or None when it takes none."""
    if not any(o.method == method and o.path == path and o.body for o in OPERATIONS):
        return None
    if (method, path) not in BODIES:
        pytest.fail(f"add a valid sample body for {method} {path} to tests/samples.py BODIES")
    body = dict(BODIES[(method, path)])
    if body.get("time") == "NOW":
        body["time"] = datetime.now(UTC).isoformat()
    return body
