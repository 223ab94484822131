"""One PynamoDB model per table; key formats live here and nowhere else."""

from chalicelib.models.api_keys import ApiKey
from chalicelib.models.assets import Asset, AssetEvent
from chalicelib.models.base import TABLE_MODELS, PortwayModel, connection
from chalicelib.models.billing import (
    Component,
    Contract,
    Coupon,
    Document,
    EmailTemplate,
    Plan,
    PlanVariant,
    SelfServiceSettings,
)
from chalicelib.models.customers import BusinessUnit, Customer, CustomerImport
from chalicelib.models.events import Event
from chalicelib.models.mail import MailSuppression
from chalicelib.models.portal_templates import PortalTemplate
from chalicelib.models.portal_users import Invitation, PortalUser
from chalicelib.models.portals import Portal
from chalicelib.models.shares import AccessLogEntry, ProtocolExport, ReceivedShare, Share
from chalicelib.models.sso import SsoIssuer
from chalicelib.models.team import TeamMember
from chalicelib.models.tenants import DirectoryEntry, Tenant
from chalicelib.models.themes import Theme
from chalicelib.models.tickets import Ticket, TicketEntry, TicketSetting
from chalicelib.models.tokens import Token
from chalicelib.models.webhooks import WebhookAttempt, WebhookEndpoint, WebhookMessage

__all__ = [
    "TABLE_MODELS",
    "AccessLogEntry",
    "ApiKey",
    "Asset",
    "AssetEvent",
    "BusinessUnit",
    "Component",
    "Contract",
    "Coupon",
    "Customer",
    "CustomerImport",
    "DirectoryEntry",
    "Document",
    "EmailTemplate",
    "Event",
    "Invitation",
    "MailSuppression",
    "Plan",
    "PlanVariant",
    "Portal",
    "PortalTemplate",
    "PortalUser",
    "PortwayModel",
    "ProtocolExport",
    "ReceivedShare",
    "SelfServiceSettings",
    "Share",
    "SsoIssuer",
    "TeamMember",
    "Tenant",
    "Theme",
    "Ticket",
    "TicketEntry",
    "TicketSetting",
    "Token",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookMessage",
    "connection",
]
