"""Portway's Chalice app: wiring only."""

from chalice.app import Chalice

from chalicelib.handlers import assets, customers, docs, tenant

app = Chalice(app_name="portway")

for module in (tenant, customers, assets, docs):
    app.register_blueprint(module.blueprint)
