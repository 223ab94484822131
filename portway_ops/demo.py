"""The demo tenant `make run` seeds, with its key kept in an ignored file between runs."""

from __future__ import annotations

from pathlib import Path

from chalicelib.clock import utcnow
from chalicelib.errors import Unauthorized
from chalicelib.schemas.assets import AssetCreate, AssetEventCreate, AssetKind, AssignmentSet
from chalicelib.schemas.customers import BusinessUnitCreate, CustomerCreate
from chalicelib.schemas.portal_templates import TemplateCreate
from chalicelib.schemas.portals import PortalPut
from chalicelib.schemas.themes import Colors, ThemeCreate
from chalicelib.services import (
    api_keys,
    assets,
    assignments,
    customers,
    pages,
    portal_templates,
    portals,
    tenants,
    themes,
)
from chalicelib.tenancy import TenantContext, authenticate_api_key, expand_scopes

DEMO_SLUG = "demo"
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


def page_urls(tenant_id: str, base: str) -> list[str]:
    """The demo tenant's hosted pages: its sign-in page and each portal's page."""
    from chalicelib.models import Portal

    urls = [f"{base}/p/{DEMO_SLUG}/portal"]
    urls += [f"{base}/p/{DEMO_SLUG}/portal?portal={p.portal_id}" for p in Portal.query(tenant_id)]
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
    else:
        key = api_keys.issue(tenant_id, "demo key", list(api_keys.ALL_SCOPES), "operator").key
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return tenant_id, key


def refresh_pages(tenant_id: str) -> int:
    """Render the demo tenant's pages with this checkout's templates."""
    return pages.refresh_site(tenant_id, with_portals=True)
