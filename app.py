"""Portway's Chalice app: wiring only."""

from chalice.app import Chalice

from chalicelib.handlers import (
    assets,
    customers,
    docs,
    pages,
    portal,
    portal_access,
    portal_templates,
    portals,
    sso,
    tenant,
    themes,
)

app = Chalice(app_name="portway")

for module in (
    tenant,
    customers,
    assets,
    themes,
    portal_templates,
    portals,
    portal_access,
    portal,
    sso,
    pages,
    docs,
):
    app.register_blueprint(module.blueprint)
