"""Racing portal template writes: at most one default, losers get a Conflict, and a theme
is never deleted while a template names it.

Only on DynamoDB Local: moto's in-memory store is not thread-safe (see test_concurrency).
"""

from __future__ import annotations

import contextlib

import pytest

from chalicelib.errors import Conflict, Invalid
from chalicelib.models import PortalTemplate, Tenant, Theme
from chalicelib.schemas.portal_templates import TemplateCreate, TemplateUpdate
from chalicelib.schemas.themes import ThemeCreate
from chalicelib.services.branding import themes
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.portals import portal_templates
from chalicelib.tenancy import TenantContext, authenticate_api_key
from tests.races import race

RACERS = 10
pytestmark = pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)


@pytest.fixture
def ctx(tenant) -> TenantContext:
    return authenticate_api_key(f"Bearer {tenant.key}")


def _all(ctx):
    return portal_templates.list_templates(ctx, PageRequest(limit=100, cursor=None)).items


def _check_one_default(ctx):
    """The flags and the tenant's pointer agree: at most one default, the one pointed at."""
    templates = _all(ctx)
    flagged = [t.id for t in templates if t.is_default]
    assert len(flagged) <= 1, flagged
    pointer = Tenant.get(ctx.tenant_id, consistent_read=True).default_template_id
    assert pointer == (flagged[0] if flagged else None)
    for template_id in flagged:
        assert portal_templates.get(ctx, template_id).is_default is True
    return templates, flagged


def test_concurrent_default_creates_leave_at_most_one_default_and_losers_conflict(ctx):
    calls = [
        (ctx, TemplateCreate(name=f"Racer {i}", apps=["equipment"], is_default=True))
        for i in range(RACERS)
    ]
    outcomes = race(portal_templates.create, calls)
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert winners, outcomes
    assert all(w.is_default for w in winners)
    assert all(isinstance(o, Conflict) for o in losers), [repr(o) for o in losers]

    templates, flagged = _check_one_default(ctx)
    # a loser stored nothing; every winner was stored
    assert {t.id for t in templates} == {w.id for w in winners}
    assert len(flagged) == 1
    assert flagged[0] in {w.id for w in winners}


def test_concurrent_make_default_patches_leave_exactly_one_default(ctx):
    ids = [
        portal_templates.create(ctx, TemplateCreate(name=f"T{i}", apps=["equipment"])).id
        for i in range(RACERS)
    ]
    calls = [(ctx, template_id, TemplateUpdate(is_default=True)) for template_id in ids]
    outcomes = race(portal_templates.update, calls)
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert winners, outcomes
    assert all(isinstance(o, Conflict) for o in losers), [repr(o) for o in losers]

    templates, flagged = _check_one_default(ctx)
    assert len(templates) == RACERS
    assert len(flagged) == 1
    assert flagged[0] in {w.id for w in winners}


def test_deleting_the_default_while_others_become_default_keeps_at_most_one(ctx):
    first = portal_templates.create(
        ctx, TemplateCreate(name="First", apps=["equipment"], is_default=True)
    )
    creates = [
        (ctx, TemplateCreate(name=f"New {i}", apps=["equipment"], is_default=True))
        for i in range(RACERS - 1)
    ]
    outcomes = race(
        lambda *args: (
            portal_templates.create(*args) if args else portal_templates.delete(ctx, first.id)
        ),
        [*creates, ()],
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(o, Conflict) for o in errors), [repr(o) for o in errors]
    _check_one_default(ctx)


def _templates_naming(ctx, theme_id):
    return [
        t.template_id
        for t in PortalTemplate.query(ctx.tenant_id, consistent_read=True)
        if t.theme_id == theme_id
    ]


def _theme_exists(ctx, theme_id):
    return Theme.count(ctx.tenant_id, Theme.theme_id == theme_id, consistent_read=True) == 1


@pytest.mark.parametrize("write", ["create", "patch"])
def test_a_theme_deleted_between_the_template_check_and_its_write_is_not_left_dangling(
    ctx, monkeypatch, write
):
    """The theme delete lands after the template write checked the theme, before it writes."""
    theme = themes.create(ctx, ThemeCreate(name="Contested"))
    existing = portal_templates.create(ctx, TemplateCreate(name="Plain", apps=["equipment"]))
    check_theme = portal_templates._check_theme

    def check_then_lose_the_theme(ctx_, theme_id):
        check_theme(ctx_, theme_id)
        themes.delete(ctx, theme.id)  # another request, in the window

    monkeypatch.setattr(portal_templates, "_check_theme", check_then_lose_the_theme)
    with contextlib.suppress(Conflict, Invalid):
        if write == "create":
            portal_templates.create(
                ctx, TemplateCreate(name="Late", apps=["equipment"], theme_id=theme.id)
            )
        else:
            portal_templates.update(ctx, existing.id, TemplateUpdate(theme_id=theme.id))
    holders = _templates_naming(ctx, theme.id)
    assert _theme_exists(ctx, theme.id) or not holders, (
        f"theme {theme.id} is gone but templates {holders} still name it"
    )


def test_a_template_created_between_the_theme_delete_check_and_the_delete_keeps_its_theme(
    ctx, monkeypatch
):
    """The template create lands after themes.delete() read the theme, before it deletes."""
    theme = themes.create(ctx, ThemeCreate(name="Contested"))
    load_theme = themes.load

    def read_then_gain_a_user(ctx_, theme_id):
        found = load_theme(ctx_, theme_id)
        portal_templates.create(  # another request, in the window
            ctx, TemplateCreate(name="Early", apps=["equipment"], theme_id=theme.id)
        )
        return found

    monkeypatch.setattr(themes, "load", read_then_gain_a_user)
    with pytest.raises(Conflict):
        themes.delete(ctx, theme.id)
    holders = _templates_naming(ctx, theme.id)
    assert holders, "the racing create was not stored"
    assert _theme_exists(ctx, theme.id), (
        f"theme {theme.id} was deleted although template {holders} names it"
    )


def test_theme_deletes_racing_template_creates_never_leave_a_dangling_theme(ctx):
    """Free-running threads: the delete starts first, the creates right behind it."""
    for round_ in range(5):
        theme = themes.create(ctx, ThemeCreate(name=f"Contested {round_}"))
        creates = [
            (ctx, TemplateCreate(name=f"R{round_}-{i}", apps=["equipment"], theme_id=theme.id))
            for i in range(RACERS - 1)
        ]
        outcomes = race(
            lambda *args, theme_id=theme.id: (
                portal_templates.create(*args) if args else themes.delete(ctx, theme_id)
            ),
            [(), *creates],
        )
        errors = [o for o in outcomes if isinstance(o, Exception)]
        assert all(isinstance(o, (Conflict, Invalid)) for o in errors), [repr(o) for o in errors]
        holders = _templates_naming(ctx, theme.id)
        assert _theme_exists(ctx, theme.id) or not holders, (
            f"round {round_}: theme {theme.id} is gone but templates {holders} still name it"
        )
