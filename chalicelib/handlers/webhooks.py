"""Webhook endpoints, their signing secrets, test events and delivery log (admin keys only:
an endpoint's URL may carry the receiver's own token)."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import webhooks as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.webhooks import endpoints
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="webhooks")


# Not idempotent on purpose: a replayed answer would have to store the secret.
@api.post(
    "/v1/webhook-endpoints",
    body=schemas.WebhookEndpointCreate,
    response=schemas.WebhookEndpointCreated,
    status=201,
    scope="admin",  # webhook_endpoint.created, recorded by the service
)
def create_webhook_endpoint(
    ctx: TenantContext, body: schemas.WebhookEndpointCreate
) -> schemas.WebhookEndpointCreated:
    """Add a webhook endpoint (public https); the signing secret is in this answer only."""
    return endpoints.create(ctx, body)


@api.get(
    "/v1/webhook-endpoints",
    response=page_of(schemas.WebhookEndpoint),
    paginated=True,
    scope="admin",
)
def list_webhook_endpoints(ctx: TenantContext, page: PageRequest) -> Page[schemas.WebhookEndpoint]:
    """List the tenant's webhook endpoints, oldest first (never their secrets)."""
    return endpoints.list_endpoints(ctx, page)


@api.get("/v1/webhook-endpoints/{id}", response=schemas.WebhookEndpoint, scope="admin")
def get_webhook_endpoint(ctx: TenantContext, id: str) -> schemas.WebhookEndpoint:
    """One webhook endpoint."""
    return endpoints.get(ctx, id)


@api.patch(
    "/v1/webhook-endpoints/{id}",
    body=schemas.WebhookEndpointUpdate,
    response=schemas.WebhookEndpoint,
    versioned=True,
    scope="admin",  # webhook_endpoint.updated
)
def update_webhook_endpoint(
    ctx: TenantContext, id: str, body: schemas.WebhookEndpointUpdate, if_match: int | None
) -> schemas.WebhookEndpoint:
    """Change a webhook endpoint's URL (checked again), event types or description."""
    return endpoints.update(ctx, id, body, if_match=if_match)


@api.delete("/v1/webhook-endpoints/{id}", versioned=True, scope="admin")
def delete_webhook_endpoint(ctx: TenantContext, id: str, if_match: int | None) -> None:
    """Remove a webhook endpoint: nothing more is sent to it (webhook_endpoint.deleted)."""
    endpoints.delete(ctx, id, if_match=if_match)


@api.post(
    "/v1/webhook-endpoints/{id}/secret",
    response=schemas.WebhookSecret,
    scope="admin",  # webhook_endpoint.secret_rotated
)
def rotate_webhook_secret(ctx: TenantContext, id: str) -> schemas.WebhookSecret:
    """Rotate the signing secret: the new one is in this answer only; for a day deliveries
    are signed with the previous one too."""
    return endpoints.rotate_secret(ctx, id)


@api.post(
    "/v1/webhook-endpoints/{id}/test",
    response=schemas.WebhookTestSent,
    status=202,
    scope="admin",  # webhook_endpoint.tested: the test event itself
)
def send_webhook_test(ctx: TenantContext, id: str) -> schemas.WebhookTestSent:
    """Send a test event (webhook_endpoint.tested) to this endpoint; its attempts appear in
    the endpoint's deliveries under the webhook_id answered."""
    return endpoints.send_test(ctx, id)


@api.get(
    "/v1/webhook-endpoints/{id}/deliveries",
    response=page_of(schemas.WebhookDelivery),
    paginated=True,
    query=schemas.DeliveryQuery,
    scope="admin",
)
def list_webhook_deliveries(
    ctx: TenantContext, id: str, page: PageRequest, query: schemas.DeliveryQuery
) -> Page[schemas.WebhookDelivery]:
    """Every delivery attempt to the endpoint, newest first: event, webhook-id, status,
    response code, why it failed, when the next retry is (`?event_id=` for one event)."""
    return endpoints.list_deliveries(ctx, id, page, query)
