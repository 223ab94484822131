"""Portway's Chalice app: wiring only."""

from chalice.app import Chalice

from chalicelib.handlers import assets, customers, docs, portal_templates, tenant, themes

app = Chalice(app_name="portway")

for module in (tenant, customers, assets, themes, portal_templates, docs):
    app.register_blueprint(module.blueprint)
