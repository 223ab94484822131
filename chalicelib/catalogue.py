"""What a portal can offer: the apps and the home page layouts, with their names."""

from __future__ import annotations

from typing import Literal

AppId = Literal["equipment", "activity", "reports", "billing", "support", "tracking"]
APPS: dict[str, dict[str, str]] = {
    "equipment": {"en": "Equipment", "de": "Ausrüstung", "da": "Udstyr"},
    "activity": {"en": "Activity", "de": "Aktivität", "da": "Aktivitet"},
    "reports": {"en": "Reports", "de": "Berichte", "da": "Rapporter"},
    "billing": {"en": "Billing", "de": "Abrechnung", "da": "Fakturering"},
    "support": {"en": "Support", "de": "Support", "da": "Support"},
    "tracking": {"en": "Tracking", "de": "Ortung", "da": "Sporing"},
}

# What a portal without a template (or a template without apps) offers.
BUILT_IN_APPS = ("equipment", "activity")

HomePage = Literal["overview", "equipment", "map", "reports"]
SectionKey = Literal["equipment", "activity", "map", "reports", "documents", "support"]

# Each section belongs to an app: a section of an app the template leaves out cannot show.
SECTION_APPS: dict[str, str] = {
    "equipment": "equipment",
    "activity": "activity",
    "map": "tracking",
    "reports": "reports",
    "documents": "billing",
    "support": "support",
}
