"""Amounts and periods as people read them, in the languages pages are rendered in."""

from __future__ import annotations

import re
from decimal import Decimal

_PERIOD = re.compile(r"^P([0-9]{1,3})([DWMY])$")

# unit: (one, many) per language; then how "per one" and "every n" read.
_UNITS = {
    "en": {
        "D": ("day", "days"),
        "W": ("week", "weeks"),
        "M": ("month", "months"),
        "Y": ("year", "years"),
    },
    "de": {
        "D": ("Tag", "Tage"),
        "W": ("Woche", "Wochen"),
        "M": ("Monat", "Monate"),
        "Y": ("Jahr", "Jahre"),
    },
    "da": {
        "D": ("dag", "dage"),
        "W": ("uge", "uger"),
        "M": ("måned", "måneder"),
        "Y": ("år", "år"),
    },
}
_PER = {"en": "per {one}", "de": "pro {one}", "da": "pr. {one}"}
_EVERY = {"en": "every {n} {many}", "de": "alle {n} {many}", "da": "hver {n}. {one}"}
_NONE = {"en": "none", "de": "keine", "da": "ingen"}


def money(amount: str, currency: str, language: str) -> str:
    """`EUR 1,234.50` in English, `1.234,50 EUR` in German and Danish."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    whole, _, cents = f"{value:,.2f}".partition(".")
    if language == "en":
        return f"{currency} {whole}.{cents}"
    return f"{whole.replace(',', '.')},{cents} {currency}"


def billing_period(text: str, language: str) -> str:
    """`per month`, `every 3 months`."""
    count, unit = _parse(text)
    one, many = _UNITS[language][unit]
    if count == 1:
        return _PER[language].format(one=one)
    return _EVERY[language].format(n=count, one=one, many=many)


def duration(text: str, language: str) -> str:
    """`1 month`, `14 days`, `none`."""
    count, unit = _parse(text)
    if count == 0:
        return _NONE[language]
    one, many = _UNITS[language][unit]
    return f"{count} {one if count == 1 else many}"


def unit_names(language: str) -> dict[str, tuple[str, str]]:
    """Names of period units (one, many) for a page's script: D, W, M, Y."""
    return dict(_UNITS[language])


def _parse(text: str) -> tuple[int, str]:
    match = _PERIOD.fullmatch(text)
    if match is None:
        raise ValueError(f"not a period: {text!r}")
    return int(match.group(1)), match.group(2)
