"""The demo tenant `make run` seeds, with its key kept in an ignored file between runs."""

from __future__ import annotations

from pathlib import Path

from chalicelib.clock import utcnow
from chalicelib.errors import Unauthorized
from chalicelib.operations import Upload
from chalicelib.schemas import billing
from chalicelib.schemas.assets import AssetCreate, AssetEventCreate, AssetKind, AssignmentSet
from chalicelib.schemas.customers import BusinessUnitCreate, CustomerCreate
from chalicelib.schemas.portal_templates import TemplateCreate
from chalicelib.schemas.portals import PortalPut
from chalicelib.schemas.themes import Colors, ThemeCreate
from chalicelib.services.billing import catalogue, contracts, documents, self_service_settings
from chalicelib.services.branding import themes
from chalicelib.services.fleet import assets, assignments, customers
from chalicelib.services.pages import pages
from chalicelib.services.platform import api_keys, tenants
from chalicelib.services.portals import portal_templates, portals
from chalicelib.settings import get_settings
from chalicelib.tenancy import Actor, TenantContext, authenticate_api_key, expand_scopes
from portway_ops.pdf import simple_pdf

DEMO_SLUG = "demo"
# The demo's console sign-in (a local machine's demo only; `make run` prints it).
DEMO_PERSON = "owner@demo.example"
DEMO_PASSWORD = "portway demo console"  # noqa: S105 - printed for the local demo
DEMO_ASSETS: list[tuple[str, str, AssetKind]] = [
    ("Excavator 320", "EX320-0042", "machine"),
    ("Wheel loader 950", "WL950-0007", "machine"),
    ("Tracker T-12", "GPS-T12-5531", "gps_device"),
]


def _context(tenant_id: str) -> TenantContext:
    return TenantContext(tenant_id, "operator:demo-seed", expand_scopes({"admin"}))


def _seed_data(ctx: TenantContext) -> None:
    dealer = customers.create(
        ctx, CustomerCreate(name="Nordbau GmbH", language="de", customer_type="end_customer")
    )
    customers.create(ctx, CustomerCreate(name="Fjord Entreprenør A/S", language="da"))
    site = customers.add_business_unit(ctx, dealer.id, BusinessUnitCreate(name="Site Hamburg"))
    made = [
        assets.create(ctx, AssetCreate(name=name, serial_number=serial, kind=kind))
        for name, serial, kind in DEMO_ASSETS
    ]
    assets.add_event(
        ctx,
        made[0].id,
        AssetEventCreate(
            time=utcnow(), lat=53.5511, lon=9.9937, operating_hours=1234.5, status="running"
        ),
    )
    assignments.set_customer_assets(
        ctx, dealer.id, AssignmentSet(asset_ids=[made[0].id, made[1].id], business_unit_id=site.id)
    )
    brand = themes.create(
        ctx,
        ThemeCreate(
            name="Demo Rental",
            colors=Colors(
                menu="#17324d", section_header_background="#1f6f5c", action_button="#b4461b"
            ),
            border_radius=6,
        ),
    )
    template = portal_templates.create(
        ctx,
        TemplateCreate(
            name="Standard",
            apps=["equipment", "activity", "reports"],
            theme_id=brand.id,
            is_default=True,
        ),
    )
    portals.put(ctx, dealer.id, PortalPut(template_id=template.id))


def _seed_billing(ctx: TenantContext) -> None:
    """A plan open for signup, a contract with an invoice, and self-service settings."""
    plan = catalogue.create_plan(
        ctx, billing.PlanCreate(name="Fleet Tracking", description="GPS tracking for your fleet")
    )
    variant = catalogue.create_variant(
        ctx,
        plan.id,
        billing.VariantCreate(name="Monthly", price="29.00", allow_signup=True, external_id="FT-M"),
        check_pages=pages.check_budget,
    )
    made = [
        catalogue.create_component(ctx, component, check_pages=pages.check_budget)
        for component in (
            billing.ComponentCreate(
                plan_id=plan.id,
                name="Trackers",
                kind="quantity",
                price="4.50",
                unit="tracker",
                min_quantity=1,
                max_quantity=200,
                show_in_signup=True,
            ),
            billing.ComponentCreate(
                plan_id=plan.id,
                name="Geofence alerts",
                kind="on_off",
                price="9.00",
                show_in_signup=True,
            ),
            billing.ComponentCreate(
                plan_id=plan.id,
                name="SMS alerts",
                kind="metered",
                price="0.09",
                unit="SMS",
                show_as_price_info=True,
            ),
        )
    ]
    catalogue.create_coupon(ctx, billing.CouponCreate(code="WELCOME10", discount_percent=10))
    terms = [
        billing.TermsLine(
            text={
                "en": "I accept the {tac}.",
                "de": "Ich akzeptiere die {tac}.",
                "da": "Jeg accepterer {tac}.",
            },
            mandatory=True,
        ),
        billing.TermsLine(
            text={
                "en": "How we handle your data: {dpp}.",
                "de": "Zum Datenschutz: {dpp}.",
                "da": "Om dine data: {dpp}.",
            },
        ),
    ]
    self_service_settings.put(
        ctx,
        billing.SelfServiceSettings(
            signup=billing.SignupOptions(ask_coupon=True),
            urls=billing.Urls(tac="https://example.com/terms", dpp="https://example.com/privacy"),
            terms_lines=terms,
            allow_cancellation=True,
        ),
        check_pages=pages.check_budget,
    )
    customer = customers.create(
        ctx, CustomerCreate(name="Nordbau Logistik", language="de", email="buero@nordbau.example")
    )
    contract = contracts.create(
        ctx,
        billing.ContractCreate(
            customer_id=customer.id,
            plan_variant_id=variant.id,
            components=[billing.ComponentOrder(component_id=made[0].id, quantity=3)],
            payment=billing.PaymentData(
                method="sepa_debit",
                sepa=billing.Iban(iban="DE89370400440532013000", account_holder="Nordbau Logistik"),
            ),
        ),
    )
    documents.upload(
        ctx,
        contract.id,
        billing.DocumentQuery(kind="invoice", number="2026-0001"),
        Upload(simple_pdf("Invoice 2026-0001"), documents.PDF_CONTENT_TYPE),
    )


def page_urls(tenant_id: str, base: str) -> list[str]:
    """The demo tenant's hosted pages: its sign-in page, each portal's page, each signup
    page, and a fresh self-service link (one day) of its first contract."""
    from chalicelib.models import Contract, PlanVariant, Portal, Tenant

    urls = [f"{base}/p/{DEMO_SLUG}/portal"]
    urls += [f"{base}/p/{DEMO_SLUG}/portal?portal={p.portal_id}" for p in Portal.query(tenant_id)]
    urls += [
        f"{base}/p/{DEMO_SLUG}/signup/{v.variant_id}"
        for v in PlanVariant.query(tenant_id)
        if v.allow_signup
    ]
    contract = next(iter(Contract.query(tenant_id, limit=1)), None)
    if contract is not None:
        _, url, _ = contracts.issue_link(
            Tenant.get(tenant_id), contract, 24 * 60, utcnow(), language="de"
        )
        urls.append(url.replace(get_settings().public_base_url, base, 1))
    return urls


def ensure_demo(key_file: Path) -> tuple[str, str]:
    """The demo tenant's id and a working API key, creating what is missing."""
    if key_file.exists():
        key = key_file.read_text().strip()
        try:
            return authenticate_api_key(f"Bearer {key}").tenant_id, key
        except Unauthorized:
            pass
    tenant_id = tenants.tenant_id_for_slug(DEMO_SLUG)
    if tenant_id is None:
        created = tenants.create_tenant("Demo Rental", slug=DEMO_SLUG)
        tenant_id, key = created.tenant.id, created.api_key
        _seed_data(_context(tenant_id))
        _seed_billing(_context(tenant_id))
    else:
        key = api_keys.issue(
            Actor(tenant_id, "operator"), "demo key", list(api_keys.ALL_SCOPES)
        ).key
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return tenant_id, key


def ensure_demo_person(tenant_id: str) -> tuple[str, str]:
    """The demo team's owner, able to sign in to the console with the demo password (set
    again each run, in case it was changed)."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models import TeamMember
    from chalicelib.services.platform import events, passwords
    from chalicelib.services.platform.storage import Transaction

    member_id = TeamMember.member_id_for(tenant_id, DEMO_PERSON)
    try:
        member = TeamMember.get(tenant_id, member_id, consistent_read=True)
    except DoesNotExist:
        member = None
    live = member is not None and member.status == "active" and member.role == "owner"
    if live and passwords.verify(member.password_hash, DEMO_PASSWORD):  # type: ignore[union-attr]
        return DEMO_PERSON, DEMO_PASSWORD
    now = utcnow()
    item = TeamMember(
        tenant_id,
        member_id,
        email=DEMO_PERSON,
        name="Demo Owner",
        role="owner",
        status="active",
        session_epoch=int(member.session_epoch or 0) + 1 if member is not None else 0,
        password_hash=passwords.hash_password(DEMO_PASSWORD),
        password_changed_at=now,
        invited_by="operator:demo-seed",
        created_at=member.created_at if member is not None else now,
        joined_at=now,
    )
    if member is not None:
        item.version = member.version
    with Transaction() as tx:
        tx.save(
            item, condition=None if member is not None else TeamMember.member_id.does_not_exist()
        )
        events.record(
            tx,
            Actor(tenant_id, "operator:demo-seed"),
            "team.member_joined" if member is None else "team.password_reset",
            member_id,
            object_type="member",
            data={"role": "owner"} if member is None else {},
            now=now,
        )
    return DEMO_PERSON, DEMO_PASSWORD


def refresh_pages(tenant_id: str) -> int:
    """Render the demo tenant's pages with this checkout's templates."""
    return pages.refresh_site(tenant_id, with_portals=True)
