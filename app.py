"""Portway's Chalice app: wiring only."""

import gc

# Importing the app makes tens of thousands of objects that all stay alive, so the
# collector's passes during the import free nothing: pause it for the import (a cold start
# about 15 ms shorter), then put what was imported out of its sight (`gc.freeze`).
gc.disable()

from chalice.app import Chalice

from chalicelib import observability
from chalicelib.handlers import (
    assets,
    billing,
    console,
    consumers,
    customers,
    docs,
    events,
    mail_events,
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
    uploads,
    webhooks,
)
from chalicelib.settings import get_settings

# A deployed stage without its public address, mail sender or keys stops at its cold start,
# naming the missing setting, instead of sending people to localhost a request later.
get_settings()

# Powertools owns the `portway` logger (JSON lines); Chalice's own set-up would add a plain
# text handler on it and drop everything below ERROR.
app = Chalice(app_name="portway", configure_logs=False)
app.register_middleware(observability.http_middleware, "http")
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
    uploads,
    sso,
    events,
    webhooks,
    team,
    pages,
    docs,
    console,
    consumers,  # Lambda functions fed by the events stream, and a schedule (no routes)
    mail_events,  # SES's bounces and complaints (through SNS), and the suppressions
):
    app.register_blueprint(module.blueprint)

gc.freeze()
gc.enable()
