"""Keeping the page store current.

Every change that shows on a hosted page (a theme, a portal template, a portal, the
embedding settings, the catalogue) records its event, and the page consumer
(`services.pages.consumer`) renders the pages the event reaches, and only those, outside the
request; a page view then reads one stored blob and never renders. Templates and themes are
read once per change, however many portals use them. No other service imports this module.

A page must stay within MAX_PAGE_BYTES. That is checked where its data is saved (`check_budget`
renders the pages a change touches, as if it were saved, and refuses it with a 422 that says
what makes the page too big); publishing never refuses a page for its size, and a page that
fails to render does not keep the tenant's other pages from being updated: a change of the
embedding origins reaches every page that can be rendered.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib import branding, credentials
from chalicelib.blobs import BlobStore, Served, blob_store
from chalicelib.catalogue import APPS, BUILT_IN_APPS, SECTION_APPS
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound, Unavailable
from chalicelib.models import Component, Plan, PlanVariant, Portal, PortalTemplate, Tenant, Theme
from chalicelib.pages import formats, maps, modules, store
from chalicelib.services.billing import self_service_settings
from chalicelib.services.billing.drafts import PageDraft
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import Transaction
from chalicelib.tenancy import OfTenant, TenantContext

_log = logging.getLogger("portway")

# What a portal shows when the tenant has no default template and none was chosen.
MAX_PAGE_BYTES = 30 * 1024
_HEX = re.compile(r"^#[0-9a-f]{6}$")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
_INLINE_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_LOADED_SCRIPT = re.compile(r'<script src="/page-assets/([\w.-]+)"')
_WRITERS = 8


class PagesNotUpdated(Unavailable):
    """A change was saved but (some of) its pages could not be rendered or stored."""


class Site(msgspec.Struct, frozen=True):
    """What every page of a tenant needs to know about the tenant."""

    tenant_id: str
    slug: str
    name: str
    default_language: str
    origins: tuple[str, ...]
    default_template_id: str | None

    @classmethod
    def of(cls, tenant: Tenant) -> Site:
        """The site of a stored tenant."""
        language = tenant.default_language
        return cls(
            tenant_id=tenant.tenant_id,
            slug=tenant.slug,
            name=tenant.name,
            default_language=language if language in store.LANGUAGES else store.LANGUAGES[0],
            origins=tuple(cast("list[str] | None", tenant.allowed_origins) or ()),
            default_template_id=tenant.default_template_id,
        )


class PageLogo(msgspec.Struct, frozen=True):
    """A logo as a page shows it: always with width and height."""

    url: str
    width: int
    height: int


class PageTheme(msgspec.Struct, frozen=True):
    """The theme values a page's CSS receives, checked once more before they get there."""

    colors: dict[str, str]
    border_width: int
    border_radius: int
    logo: PageLogo | None
    # The tab's icon: the theme's small logo (else its large one).
    favicon: str | None = None

    def __post_init__(self) -> None:
        for key, value in self.colors.items():
            if key not in branding.COLOR_KEYS or not _HEX.fullmatch(value):
                raise ValueError(f"theme colour {key}={value!r} is not #rrggbb")
        if not (0 <= self.border_width <= 8 and 0 <= self.border_radius <= 32):
            raise ValueError("theme border out of range")


DEFAULT_THEME = PageTheme(dict(branding.DEFAULT_COLORS), 1, 4, None)


class Look(msgspec.Struct, frozen=True):
    """What a portal page shows: apps, home page, sections (visible ones) and theme."""

    apps: tuple[str, ...]
    home_page: str
    sections: tuple[dict[str, Any], ...]
    theme: PageTheme


def _favicon(slug: str, theme: Theme) -> str | None:
    for logo in (theme.logo_small, theme.logo_large):
        if logo is not None:
            return f"/p/{slug}/logos/{theme.theme_id}/{logo.blob_key.rsplit('/', 1)[-1]}"
    return None


def _page_logo(slug: str, theme: Theme) -> PageLogo | None:
    for logo in (theme.logo_large, theme.logo_small):
        if logo is not None and logo.width and logo.height:
            name = logo.blob_key.rsplit("/", 1)[-1]
            # Shown 32 px high; the width keeps the logo's proportions.
            width = max(1, round(int(logo.width) * 32 / int(logo.height)))
            return PageLogo(f"/p/{slug}/logos/{theme.theme_id}/{name}", width, 32)
    return None


def _sections(apps: Iterable[str], stored: Iterable[Any] | None) -> tuple[dict[str, Any], ...]:
    apps = set(apps)
    if stored is None:  # no choice made: one section per enabled app that has one
        return tuple(
            {"key": key, "headings": {}} for key, app in SECTION_APPS.items() if app in apps
        )
    return tuple(
        {"key": s.key, "headings": dict(s.headings.as_dict()) if s.headings else {}}
        for s in stored
        if s.visible and SECTION_APPS[s.key] in apps
    )


class _Sources:
    """Templates and themes of one tenant, each read at most once per change."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._templates: dict[str, PortalTemplate | None] = {}
        self._themes: dict[str | None, PageTheme] = {None: DEFAULT_THEME}

    def template(self, template_id: str) -> PortalTemplate | None:
        if template_id not in self._templates:
            try:
                found = PortalTemplate.get(self.site.tenant_id, template_id, consistent_read=True)
            except DoesNotExist:
                found = None
            self._templates[template_id] = found
        return self._templates[template_id]

    def add_template(self, template: PortalTemplate) -> None:
        """A template the caller has already read."""
        self._templates[template.template_id] = template

    def theme(self, theme_id: str | None) -> PageTheme:
        if theme_id not in self._themes:
            try:
                item = Theme.get(self.site.tenant_id, theme_id, consistent_read=True)
            except DoesNotExist:
                self._themes[theme_id] = DEFAULT_THEME
            else:
                colors = {**branding.DEFAULT_COLORS, **item.colors.as_dict()}  # type: ignore[no-untyped-call]
                self._themes[theme_id] = PageTheme(
                    {k: colors[k] for k in branding.COLOR_KEYS},
                    int(item.border_width),
                    int(item.border_radius),
                    _page_logo(self.site.slug, item),
                    _favicon(self.site.slug, item),
                )
        return self._themes[theme_id]

    def template_look(self, template: PortalTemplate | None) -> Look:
        if template is None:
            return Look(BUILT_IN_APPS, "overview", _sections(BUILT_IN_APPS, None), DEFAULT_THEME)
        apps = tuple(str(app) for app in template.apps)
        return Look(
            apps,
            template.home_page,
            _sections(apps, template.sections),
            self.theme(template.theme_id),
        )

    def default_look(self) -> Look:
        template_id = self.site.default_template_id
        return self.template_look(self.template(template_id) if template_id else None)

    def portal_look(self, portal: Portal) -> Look:
        if portal.template_id:
            return self.template_look(self.template(portal.template_id))
        apps = tuple(str(app) for app in portal.apps or BUILT_IN_APPS)
        return Look(
            apps,
            portal.home_page or "overview",
            _sections(apps, portal.sections),
            self.theme(portal.theme_id),
        )


def loaded_scripts(html: str) -> list[bytes]:
    """The scripts a page loads from our origin right away (the shared page script)."""
    return [modules.served(name) or b"" for name in _LOADED_SCRIPT.findall(html)]


def weight(html: str) -> int:
    """What a page costs on its first view: its HTML (with inline style and script) and the
    scripts it loads from our origin right away (the shared page script). Modules a page
    loads only when it shows them (support, map) are not part of it."""
    return len(html.encode()) + sum(len(script) for script in loaded_scripts(html))


def _hashes(pattern: re.Pattern[str], html: str) -> str:
    digests = [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in pattern.findall(html)
    ]
    return " ".join(digests) or "'none'"


def _modules_from_self(html: str) -> str:
    """`'self'` for a page that loads one of its modules from our origin (/page-assets/)."""
    return " 'self'" if 'src="/page-assets/' in html else ""


def frame_ancestors(origins: Iterable[str]) -> str:
    """The CSP `frame-ancestors` value: the allowed origins, or `'none'`."""
    return " ".join(origins) or "'none'"


def _map_sources(html: str) -> tuple[str, str, str, tuple[str, ...]]:
    """What a page that shows a map needs beyond the rest (style-src, img-src, connect-src
    additions and a worker-src): the map's stylesheet from our origin, its control icons
    (data: SVGs in that stylesheet), the tiles' origin when the operator's archive is
    elsewhere, and MapLibre's worker (a module worker from our origin, never a blob:)."""
    if maps.MARKER not in html:
        return "", "", "", ()
    tiles = maps.tiles_origin()
    return " 'self'", " data:", f" {tiles}" if tiles else "", ("worker-src 'self'",)


def headers_for(html: str, site: Site, *, cacheable: bool) -> dict[str, str]:
    """The headers a page is served with: a CSP that allows its own inline style and
    script by hash and nothing from elsewhere, framing only by the tenant's origins."""
    style, image, connect, worker = _map_sources(html)
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src {_hashes(_INLINE_SCRIPT, html)}{_modules_from_self(html)}",
            f"style-src {_hashes(_INLINE_STYLE, html)}{style}",
            f"img-src 'self'{image}",
            f"connect-src 'self'{connect}",
            *worker,
            "form-action 'none'",
            "base-uri 'none'",
            f"frame-ancestors {frame_ancestors(site.origins)}",
        )
    )
    return {
        "Content-Type": store.PAGE_CONTENT_TYPE,
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        # Short enough that a re-rendered page shows within a minute; the ETag makes the
        # revalidation cheap.
        "Cache-Control": "public, max-age=60" if cacheable else "no-store",
    }


# Link pages carry a secret in their fragment: never stored by a cache on the way.
_LINK_PAGES = frozenset({"invite", "self-service", "tracking"})


class _Page(msgspec.Struct, frozen=True):
    """One page of one variant (a portal, a plan variant, or the tenant's own), rendered in
    every language when it is published or its size is checked."""

    site: Site
    page: str
    variant: str
    theme: PageTheme
    # The template's variables and the page's JSON settings, per language.
    context: Callable[[str], tuple[dict[str, Any], dict[str, Any]]]
    # What grows the page, for the person whose change would make it too big.
    note: str = ""

    @property
    def name(self) -> str:
        """`signup/var_123`, `portal/_`: the page and its variant."""
        return f"{self.page}/{self.variant}"

    def html(self, language: str) -> str:
        """The page in `language`."""
        from chalicelib.pages.render import render_page  # Jinja2 only on the write path

        variables, config = self.context(language)
        return render_page(
            f"pages/{self.page.replace('-', '_')}.html",
            language,
            site=self.site,
            theme=self.theme,
            logo=self.theme.logo,
            config={
                "page": self.page,
                "tenant": self.site.slug,
                "language": language,
                **config,
            },
            **variables,
        )

    def blobs(self) -> list[Write]:
        """The stored forms in every language, plus their copies under `default`: the
        function's (headers and HTML) and the CDN's (HTML, headers as metadata; removed
        when they do not fit there)."""
        out = []
        for language in store.LANGUAGES:
            html = self.html(language)
            if weight(html) > MAX_PAGE_BYTES:
                # Refused where its data is saved; data stored before that rule still gets a
                # current page (its framing policy above all) rather than a stale one.
                _log.warning("page %s of %s is over budget", self.name, self.site.slug)
            headers = headers_for(html, self.site, cacheable=self.page not in _LINK_PAGES)
            data = store.encode(headers, html)
            served = store.served(headers)
            names = [language]
            if language == self.site.default_language:
                names.append(store.DEFAULT)
            for name in names:
                out.append(
                    Write(store.page_key(self.site.slug, self.page, self.variant, name), data)
                )
                site_key = store.site_key(self.site.slug, self.page, self.variant, name)
                out.append(Write(site_key, html.encode(), served))
        return out

    def over_budget(self) -> tuple[str, int] | None:
        """The first language whose page is over MAX_PAGE_BYTES, with its size."""
        for language in store.LANGUAGES:
            size = weight(self.html(language))
            if size > MAX_PAGE_BYTES:
                return language, size
        return None


def _emit(
    site: Site,
    page: str,
    variant: str,
    theme: PageTheme,
    context: Callable[[str], tuple[dict[str, Any], dict[str, Any]]],
    note: str = "",
) -> Iterator[_Page]:
    """One page, to be rendered in every language. `context(language)` gives the
    template's variables and the page's JSON settings."""
    yield _Page(site, page, variant, theme, context, note)


def _render(
    site: Site, page: str, variant: str, look: Look, portal_id: str | None
) -> Iterator[_Page]:
    """A portal page (or the tenant's own portal sign-in and not-found pages)."""

    def context(language: str) -> tuple[dict[str, Any], dict[str, Any]]:
        variables = {
            "apps": [{"id": a, "name": APPS[a][language]} for a in look.apps],
            "home_page": look.home_page,
            "sections": look.sections,
        }
        config = {"portal": portal_id, "apps": list(look.apps), "home_page": look.home_page}
        return variables, config

    yield from _emit(site, page, variant, look.theme, context)


class Write(msgspec.Struct, frozen=True):
    """One object to store (for the CDN when `served` is given; removed when the CDN's form
    is wanted but its headers do not fit)."""

    key: str
    data: bytes
    served: Served | None = None

    def apply(self, target: BlobStore) -> None:
        """Store it, or take the CDN's copy away."""
        if not self.key.startswith("site/"):
            target.put(self.key, self.data, store.PAGE_CONTENT_TYPE)
        elif self.served is not None:
            target.put(self.key, self.data, store.PAGE_CONTENT_TYPE, self.served)
        else:  # the CDN then asks the function, which has every header
            target.delete(self.key)


def _publish(pages: Iterable[_Page], blobs: BlobStore | None = None) -> int:
    """Render and store the pages; the number of pages (per language) written. A page that
    cannot be rendered is left out and named in the 503 that follows: the others are
    stored first, so one page never keeps the rest of the tenant's pages stale."""
    target = blobs or blob_store()
    rendered: list[Write] = []
    failed: list[str] = []
    try:
        for page in pages:
            try:
                rendered += page.blobs()
            except Exception:  # a bug in one page: the others must still be published
                _log.exception("page %s of %s could not be rendered", page.name, page.site.slug)
                failed.append(page.name)
        with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
            list(pool.map(lambda write: write.apply(target), rendered))
    except Exception as exc:
        _log.exception("pages could not be published")
        raise PagesNotUpdated(
            "The change is saved, but its pages could not be updated; "
            "POST /v1/pages/render to try again."
        ) from exc
    if failed:
        raise PagesNotUpdated(
            f"The change is saved and its other pages are updated, but {', '.join(failed)} "
            "could not be rendered; POST /v1/pages/render to try again."
        )
    return sum(
        1
        for write in rendered
        if write.key.startswith("pages/") and not write.key.endswith(f"/{store.DEFAULT}.html")
    )


def _site(tenant_id: str) -> Site:
    return Site.of(Tenant.get(tenant_id, consistent_read=True))


def _site_pages(site: Site, sources: _Sources) -> Iterator[_Page]:
    yield from _render(site, "portal", store.TENANT_VARIANT, sources.default_look(), None)
    yield from _render(
        site, store.NOT_FOUND_PAGE, store.TENANT_VARIANT, sources.template_look(None), None
    )
    yield from _hosted_pages(site, sources)
    yield from _render(site, "tracking", store.TENANT_VARIANT, sources.default_look(), None)


# -- signup and self-service pages -----------------------------------------------------------

_TERMS_PLACEHOLDER = re.compile(r"(\{(?:tac|dpp|withdrawal)\})")
SELF_SERVICE_SECTIONS = (
    "contract",
    "customer",
    "payment",
    "account",
    "documents",
    "additional_data",
)


class _Hosted:
    """What signup and self-service pages read, each at most once per change."""

    def __init__(self, site: Site, sources: _Sources, draft: PageDraft | None = None) -> None:
        self.site = site
        self.sources = sources
        self.draft = draft or PageDraft()
        if self.draft.settings is not None:
            self.settings = self.draft.settings
        else:
            self.settings, _ = self_service_settings.load(site)
        self._plans: dict[str, Plan | None] = {}
        self._components: dict[str, list[Component]] = {}

    def theme(self) -> PageTheme:
        if self.settings.theme_id is not None:
            return self.sources.theme(self.settings.theme_id)
        return self.sources.default_look().theme

    def plan(self, plan_id: str) -> Plan | None:
        if self.draft.plan is not None and self.draft.plan.plan_id == plan_id:
            return self.draft.plan
        if plan_id not in self._plans:
            try:
                self._plans[plan_id] = Plan.get(self.site.tenant_id, plan_id, consistent_read=True)
            except DoesNotExist:
                self._plans[plan_id] = None
        return self._plans[plan_id]

    def components(self, plan_id: str) -> list[Component]:
        # The base table, read consistently: a component made a moment ago is on the page.
        if plan_id not in self._components:
            self._components[plan_id] = list(
                Component.query(
                    self.site.tenant_id,
                    filter_condition=Component.plan_id == plan_id,
                    consistent_read=True,
                )
            )
        drafted = self.draft.component
        if drafted is None or drafted.plan_id != plan_id:
            return self._components[plan_id]
        others = [c for c in self._components[plan_id] if c.component_id != drafted.component_id]
        return [*others, drafted]

    def open_variants(self) -> list[PlanVariant]:
        """The variants open for signup, the drafted one as it would be saved."""
        drafted = self.draft.variant
        found = [
            v
            for v in _open_variants(self.site.tenant_id)
            if drafted is None or v.variant_id != drafted.variant_id
        ]
        return [*found, drafted] if drafted is not None and drafted.allow_signup else found


def _in_language(texts: Mapping[Any, str] | None, language: str, site: Site) -> str | None:
    """The text in the language, else in the tenant's, else English, else any."""
    if not texts:
        return None
    for candidate in (language, site.default_language, "en"):
        if candidate in texts:
            return texts[candidate]
    return next(iter(texts.values()))


def _headings(headings: Any, language: str) -> dict[str, str | None]:
    # Only the provider's own headings in this language; the template has the defaults.
    return {
        name: (getattr(headings, name) or {}).get(language) for name in headings.__struct_fields__
    }


# What a line whose text the provider did not write in the page's language says instead,
# by the links it names (the page's own sentence, never another language's words around a
# translated link); the signup template holds the sentences.
_DEFAULT_SENTENCES = (
    (frozenset({"tac", "dpp"}), "tac_dpp"),
    (frozenset({"tac"}), "tac"),
    (frozenset({"dpp"}), "dpp"),
    (frozenset({"withdrawal"}), "withdrawal"),
)


def _default_line(names: set[str]) -> str | None:
    for needed, sentence in _DEFAULT_SENTENCES:
        if needed <= names:
            return sentence
    return None


def _terms(settings: Any, language: str, site: Site) -> list[dict[str, Any]]:
    """The terms lines above the order button in `language`. A line without text in it says
    the page's own sentence for the links it names; without any lines, the provider's terms
    and privacy addresses (if set) make two lines of information, with nothing to tick."""
    urls = settings.urls
    visible = self_service_settings.visible_terms(settings)
    if not settings.terms_lines:
        shown = [name for name in ("tac", "dpp") if getattr(urls, name)]
        return [
            {
                "index": None,
                "mandatory": False,
                "sentence": f"{name}_info",
                "links": {name: getattr(urls, name)},
            }
            for name in shown
        ]
    lines = []
    for index in visible:
        line = settings.terms_lines[index]
        names = {n[1:-1] for t in line.text.values() for n in _TERMS_PLACEHOLDER.findall(t)}
        sentence = _default_line(names) if language not in line.text else None
        if sentence is not None:
            links = {name: getattr(urls, name) for name in names}
            lines.append(
                {"index": index, "mandatory": line.mandatory, "sentence": sentence, "links": links}
            )
            continue
        text = _in_language(line.text, language, site) or ""
        parts = []
        for piece in _TERMS_PLACEHOLDER.split(text):
            name = piece[1:-1] if _TERMS_PLACEHOLDER.fullmatch(piece) else None
            if name is not None:
                parts.append({"link": name, "url": getattr(settings.urls, name)})
            elif piece:
                parts.append({"text": piece})
        lines.append({"index": index, "mandatory": line.mandatory, "parts": parts})
    return lines


def _signup_pages(site: Site, hosted: _Hosted, variant: PlanVariant) -> Iterator[_Page]:
    plan = hosted.plan(variant.plan_id)
    if plan is None:
        return
    settings = hosted.settings
    components = sorted(hosted.components(plan.plan_id), key=lambda c: c.component_id)
    orderable = [c for c in components if c.kind != "metered" and c.show_in_signup]
    metered = [c for c in components if c.kind == "metered" and c.show_as_price_info]
    error_url = self_service_settings.allowed_redirect(settings.urls.error, site.origins)

    def context(language: str) -> tuple[dict[str, Any], dict[str, Any]]:
        currency = plan.currency
        variables = {
            "plan": {"name": plan.name, "description": plan.description},
            "variant": {
                "id": variant.variant_id,
                "name": variant.name,
                "external_id": variant.external_id if settings.signup.show_external_id else None,
                "price": formats.money(variant.price, currency, language),
                "period": formats.billing_period(variant.billing_period, language),
                "notice": formats.duration(variant.notice_period, language),
            },
            "components": [
                {
                    "id": c.component_id,
                    "name": c.name,
                    "kind": c.kind,
                    "price": formats.money(c.price, currency, language),
                    "unit": c.unit,
                    "min": int(c.min_quantity),
                    "max": int(c.max_quantity),
                }
                for c in orderable
            ],
            "metered": [
                {
                    "name": c.name,
                    "amount": str(c.price),
                    "price": formats.money(c.price, currency, language),
                    "unit": c.unit,
                }
                for c in metered
            ],
            "fields": msgspec.structs.asdict(settings.fields),
            "ask_coupon": settings.signup.ask_coupon,
            "ask_payment": settings.signup.ask_payment,
            "headings": _headings(settings.headings, language),
            "terms": _terms(settings, language, site),
        }
        config = {
            "variant": variant.variant_id,
            "error_url": error_url,
            "currency": currency,
            "price": variant.price,
            "prices": {c.component_id: c.price for c in orderable},
        }
        return variables, config

    note = (
        f"it shows {len(orderable) + len(metered)} components of plan {plan.plan_id}: shorten "
        "their names and units or show fewer of them, or shorten the plan's description"
    )
    yield from _emit(site, "signup", variant.variant_id, hosted.theme(), context, note)


def _self_service_pages(site: Site, hosted: _Hosted) -> Iterator[_Page]:
    settings = hosted.settings

    def context(language: str) -> tuple[dict[str, Any], dict[str, Any]]:
        shown = [
            {
                "key": key,
                "heading": _in_language_only(getattr(settings.sections, key).headings, language),
            }
            for key in SELF_SERVICE_SECTIONS
            if getattr(settings.sections, key).visible
        ]
        variables = {
            "sections": shown,
            "fields": msgspec.structs.asdict(settings.fields),
            "page_title": _in_language_only(settings.headings.page_title, language),
        }
        config = {"sections": [s["key"] for s in shown], "units": formats.unit_names(language)}
        return variables, config

    yield from _emit(site, "self-service", store.TENANT_VARIANT, hosted.theme(), context)


def _in_language_only(texts: Mapping[Any, str] | None, language: str) -> str | None:
    return texts.get(language) if texts else None


def _open_variants(tenant_id: str) -> Iterator[PlanVariant]:
    return PlanVariant.query(
        tenant_id,
        filter_condition=PlanVariant.allow_signup == True,  # noqa: E712 - a condition
        consistent_read=True,
    )


def _hosted_pages(site: Site, sources: _Sources) -> Iterator[_Page]:
    hosted = _Hosted(site, sources)
    yield from _self_service_pages(site, hosted)
    for variant in _open_variants(site.tenant_id):
        yield from _signup_pages(site, hosted, variant)


def refresh_hosted(tenant_id: str) -> int:
    """The self-service page and every signup page (the self-service settings changed)."""
    site = _site(tenant_id)
    return _publish(_hosted_pages(site, _Sources(site)))


def _remove_signup(slug: str, variant_id: str) -> None:
    target = blob_store()
    for language in (*store.LANGUAGES, store.DEFAULT):
        target.delete(store.page_key(slug, "signup", variant_id, language))
        target.delete(store.site_key(slug, "signup", variant_id, language))


def refresh_variant(tenant_id: str, variant: PlanVariant) -> str:
    """A variant's signup page: rendered while it allows signup, taken down when it stops.
    Answers the tenant's slug."""
    site = _site(tenant_id)
    if variant.allow_signup:
        _publish(_signup_pages(site, _Hosted(site, _Sources(site)), variant))
    else:
        _remove_signup(site.slug, variant.variant_id)
    return site.slug


def refresh_plan(tenant_id: str, plan_id: str) -> int:
    """The signup pages of a plan's variants (the plan or one of its components changed)."""
    site = _site(tenant_id)
    hosted = _Hosted(site, _Sources(site))

    def pages() -> Iterator[_Page]:
        for variant in _open_variants(tenant_id):
            if variant.plan_id == plan_id:
                yield from _signup_pages(site, hosted, variant)

    return _publish(pages())


def render_all(ctx: TenantContext) -> int:
    """Render every page of the tenant again, in the request (after a release, or when a
    page could not be stored), and record it: the consumer does not render again."""
    count = refresh_site(ctx.tenant_id, with_portals=True)
    with Transaction() as tx:
        events.record(tx, ctx, "tenant.pages_rendered", ctx.tenant_id, data={"pages": count})
    return count


def check_budget(owner: OfTenant, draft: PageDraft, field: str) -> None:
    """422 on `field` when a signup or self-service page the unsaved `draft` touches would be
    over MAX_PAGE_BYTES once saved. Nothing is written either way. The embedding origins
    travel in the CSP header only, so no later change of them makes a page bigger."""
    site = _site(owner.tenant_id)
    hosted = _Hosted(site, _Sources(site), draft)
    touched = draft.plan or draft.component or draft.variant
    pages: list[_Page] = []
    if draft.settings is not None:
        pages += _self_service_pages(site, hosted)
    for variant in hosted.open_variants():
        if draft.settings is not None or (
            touched is not None and variant.plan_id == touched.plan_id
        ):
            pages += _signup_pages(site, hosted, variant)
    for page in pages:
        over = page.over_budget()
        if over is not None:
            language, size = over
            note = f"; {page.note}" if page.note else ""
            raise Invalid.field(
                field,
                f"the page {page.name} would be {size} bytes in {language} (with its "
                f"scripts), over the {MAX_PAGE_BYTES}-byte budget of a page{note}. "
                "Nothing was saved.",
            )


def _portal_pages(site: Site, look: Look, portal_id: str) -> Iterator[_Page]:
    for page in store.PORTAL_PAGES:
        yield from _render(site, page, portal_id, look, portal_id)


def refresh_site(tenant_id: str, *, with_portals: bool = False) -> int:
    """The tenant's own pages (portal sign-in, not found); with_portals, every portal's
    pages too (the embedding settings or the page design changed)."""
    site = _site(tenant_id)
    sources = _Sources(site)

    def pages() -> Iterator[_Page]:
        yield from _site_pages(site, sources)
        if with_portals:
            for portal in Portal.query(tenant_id):
                yield from _portal_pages(site, sources.portal_look(portal), portal.portal_id)

    return _publish(pages())


def refresh_portal(tenant_id: str, portal: Portal) -> int:
    """One portal's pages, after the portal was made or changed."""
    site = _site(tenant_id)
    return _publish(_portal_pages(site, _Sources(site).portal_look(portal), portal.portal_id))


def _template_portal_pages(site: Site, sources: _Sources, template_id: str) -> Iterator[_Page]:
    look = sources.template_look(sources.template(template_id))
    key = Portal.template_key_for(site.tenant_id, template_id)
    for portal in Portal.by_template.query(key):
        yield from _portal_pages(site, look, portal.portal_id)


def refresh_template(tenant_id: str, template_id: str, *, with_site: bool) -> int:
    """The pages of every portal made from the template; with_site, the tenant's own
    pages too (the template is, or just stopped being, the default)."""
    site = _site(tenant_id)
    sources = _Sources(site)

    def pages() -> Iterator[_Page]:
        yield from _template_portal_pages(site, sources, template_id)
        if with_site:
            yield from _site_pages(site, sources)

    return _publish(pages())


def refresh_theme(tenant_id: str, theme_id: str) -> int:
    """The pages of every portal that shows the theme: through its template or its own
    choice; the tenant's own pages when the default template uses it."""
    site = _site(tenant_id)
    sources = _Sources(site)

    def pages() -> Iterator[_Page]:
        for portal in Portal.by_theme.query(Portal.theme_key_for(tenant_id, theme_id)):
            yield from _portal_pages(site, sources.portal_look(portal), portal.portal_id)
        for template in PortalTemplate.query(
            tenant_id, filter_condition=PortalTemplate.theme_id == theme_id
        ):
            sources.add_template(template)
            yield from _template_portal_pages(site, sources, template.template_id)
        default = sources.template(site.default_template_id) if site.default_template_id else None
        if default is not None and default.theme_id == theme_id:
            yield from _site_pages(site, sources)
        elif self_service_settings.load(site)[0].theme_id == theme_id:
            yield from _hosted_pages(site, sources)

    return _publish(pages())


def remove_portal(slug: str, portal_id: str) -> None:
    """Take a deleted portal's pages out of the store."""
    target = blob_store()
    for page in store.PORTAL_PAGES:
        for language in (*store.LANGUAGES, store.DEFAULT):
            target.delete(store.page_key(slug, page, portal_id, language))
            target.delete(store.site_key(slug, page, portal_id, language))


# -- previews of unsaved settings ------------------------------------------------------------

PREVIEW_TTL = timedelta(minutes=10)


def _previewed(site: Site, hosted: _Hosted, kind: str) -> _Page:
    if kind == "self_service":
        return next(_self_service_pages(site, hosted))
    variants = hosted.open_variants()
    page = next(_signup_pages(site, hosted, variants[0]), None) if variants else None
    if page is None:
        raise Conflict(
            "No plan variant allows signup yet: there is no signup page to preview.",
            extra={"reason": "no_signup_page"},
        )
    return page


def preview_hosted(
    ctx: TenantContext, draft: PageDraft, kind: str, language: str, *, clock: Clock = utcnow
) -> tuple[str, datetime]:
    """The signup or self-service page (`kind`) as `draft` would make it, stored for
    PREVIEW_TTL under an unguessable address that only this origin may frame (the console).
    It cannot send anything: its script may connect nowhere. Its path and expiry."""
    site = _site(ctx.tenant_id)
    page = _previewed(site, _Hosted(site, _Sources(site), draft), kind)
    html = page.html(language)
    headers = headers_for(html, site, cacheable=False)
    policy = headers["Content-Security-Policy"]
    policy = re.sub(r"frame-ancestors [^;]*", "frame-ancestors 'self'", policy)
    headers["Content-Security-Policy"] = policy.replace("connect-src 'self'", "connect-src 'none'")
    expires = clock() + PREVIEW_TTL
    headers["Expires"] = expires.strftime("%a, %d %b %Y %H:%M:%S GMT")
    preview_id = credentials.mint(credentials.PREVIEW_PREFIX)
    blob_store().put(
        store.preview_key(preview_id), store.encode(headers, html), store.PAGE_CONTENT_TYPE
    )
    with Transaction() as tx:  # the preview stores no data of the tenant's: its event
        events.record(
            tx,
            ctx,
            "self_service.previewed",
            page.name,
            object_type="hosted_page",
            data={"language": language},
        )
    return f"/v1/page-previews/{preview_id}", expires


def stored_preview(preview_id: str, *, clock: Clock = utcnow) -> store.StoredPage:
    """A preview while it lasts; 404 before and after."""
    if not credentials.well_formed(preview_id, credentials.PREVIEW_PREFIX):
        raise NotFound("No such preview.")
    blob = blob_store().get(store.preview_key(preview_id))
    if blob is None:
        raise NotFound("No such preview.")
    from email.utils import parsedate_to_datetime  # only when a preview is looked at

    page = store.decode(blob)
    expires = parsedate_to_datetime(str(page.headers.get("Expires", "")))
    if expires <= clock():
        raise NotFound("This preview has ended; preview again.")
    return page
