"""Portway's Chalice app: wiring only."""

from chalice.app import Chalice

from chalicelib.handlers import (
    assets,
    billing,
    console,
    consumers,
    customers,
    docs,
    events,
    pages,
    portal,
    portal_access,
    portal_templates,
    portals,
    self_service,
    shares,
    sso,
    team,
    tenant,
    themes,
    tickets,
    webhooks,
)
from chalicelib.settings import get_settings

# A deployed stage without its public address, mail sender or keys stops at its cold start,
# naming the missing setting, instead of sending people to localhost a request later.
get_settings()

app = Chalice(app_name="portway")
# Documents go in and out as bytes (API Gateway passes them through unencoded).
app.api.binary_types.extend(
    [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.pmtiles",  # the hosted pages' base map (read by Range requests)
    ]
)

for module in (
    tenant,
    customers,
    assets,
    themes,
    portal_templates,
    portals,
    portal_access,
    portal,
    billing,
    self_service,
    shares,
    tickets,
    sso,
    events,
    webhooks,
    team,
    pages,
    docs,
    console,
    consumers,  # Lambda functions fed by the events stream, and a schedule (no routes)
):
    app.register_blueprint(module.blueprint)
