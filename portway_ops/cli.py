"""The `portway` command: operate a stage (local by default) from a terminal.

portway tenant create --name "Acme Rental" [--slug acme] [--owner-email EMAIL] [--json]
portway api-key create --tenant acme [--scopes read write]  (e.g. after a lockout)
portway --stage prod --stack portway-prod tenant create --name ...  (your AWS credentials;
                                                    the stack's own settings)
portway --stage prod keys init|rotate|retire KEY_ID|show|origin-header   (the key ring)
portway --stage prod assets publish                 (the CDN's files, after a release)
portway tables create                               (local setup and tests only)
portway infra render [--check]
portway local run                                   (what `make run` calls)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime

from chalicelib.errors import PortwayError
from portway_ops import stages


def _tenant_create(args: argparse.Namespace) -> int:
    from chalicelib.services.platform import tenants

    created = tenants.create_tenant(args.name, slug=args.slug, language=args.language)
    fields = {
        "tenant_id": created.tenant.id,
        "public_id": created.tenant.public_id,
        "slug": created.tenant.slug,
        "name": created.tenant.name,
        "api_key_id": created.api_key_id,
        "api_key": created.api_key,
    }
    if args.owner_email:
        from chalicelib.services.team import members
        from chalicelib.tenancy import Actor

        fields["owner_invitation"] = members.invite_owner(
            Actor(created.tenant.id, "operator"), args.owner_email
        )
    if args.json:
        print(json.dumps(fields, indent=2))
    else:
        for name, value in fields.items():
            print(f"{name}: {value}")
        print("# The API key is shown once. Store it now.", file=sys.stderr)
        if args.owner_email:
            print(
                f"# Give the owner's invitation to {args.owner_email}: it works once, for 7 "
                "days, and makes them the team's owner in the console.",
                file=sys.stderr,
            )
    return 0


def _api_key_create(args: argparse.Namespace) -> int:
    from chalicelib.services.platform import api_keys, tenants
    from chalicelib.tenancy import Actor

    tenant_id = tenants.tenant_id_for_slug(args.tenant)
    if tenant_id is None:
        print(f"error: no tenant with the slug '{args.tenant}'", file=sys.stderr)
        return 1
    created = api_keys.issue(Actor(tenant_id, "operator"), args.name, sorted(set(args.scopes)))
    print(f"api_key_id: {created.id}\napi_key: {created.key}")
    print("# The API key is shown once. Store it now.", file=sys.stderr)
    return 0


def _pages_render(args: argparse.Namespace) -> int:
    from chalicelib.services.pages import pages
    from chalicelib.services.platform import tenants

    tenant_id = tenants.tenant_id_for_slug(args.tenant)
    if tenant_id is None:
        print(f"error: no tenant with the slug '{args.tenant}'", file=sys.stderr)
        return 1
    print(f"rendered {pages.refresh_site(tenant_id, with_portals=True)} pages")
    return 0


def _tables_create(args: argparse.Namespace) -> int:
    import boto3

    from chalicelib.settings import get_settings
    from portway_ops.tables import create_tables

    settings = get_settings()
    if not settings.dynamodb_endpoint and not args.aws:
        print(
            "Tables in AWS belong to infra/ (CloudFormation); pass --aws to force.", file=sys.stderr
        )
        return 2
    client = boto3.client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.dynamodb_endpoint,
        aws_access_key_id="local" if settings.dynamodb_endpoint else None,
        aws_secret_access_key="local" if settings.dynamodb_endpoint else None,
    )
    for name in create_tables(client, settings.table_prefix):
        print(f"created {name}")
    return 0


def _keys(args: argparse.Namespace) -> int:
    from chalicelib.keyring import KeyRingError
    from portway_ops import keys

    name = keys.parameter_name(args.stage)
    client = keys._client()
    try:
        if args.action == "init":
            current = os.environ.get("PORTWAY_SECRET_KEY") if args.keep_current_key else None
            if args.keep_current_key and not current:
                print(
                    "error: --keep-current-key reads PORTWAY_SECRET_KEY, which is not set",
                    file=sys.stderr,
                )
                return 2
            print(f"{name}: key {keys.init(name, client, current=current)} signs")
        elif args.action == "rotate":
            print(f"{name}: key {keys.rotate(name, client)} signs; the older keys verify")
            print(
                "# Retire the previous key after the overlap (docs/operations.md, Keys).",
                file=sys.stderr,
            )
        elif args.action == "origin-header":
            from chalicelib.keyring import origin_header

            print(origin_header(keys.read(name, client)))
        elif args.action == "retire":
            keys.retire(name, client, args.key_id)
            print(f"{name}: key {args.key_id} retired")
        else:
            print("\n".join(keys.show(name, client)))
    except KeyRingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _assets_publish(args: argparse.Namespace) -> int:
    from portway_ops import assets

    print(f"published {assets.publish()} files for the CDN")
    return 0


def _restore(args: argparse.Namespace) -> int:
    import boto3

    from chalicelib.settings import get_settings
    from portway_ops import restore

    region = get_settings().region
    if args.action == "blobs":
        bucket = get_settings().blob_bucket
        if not bucket:
            print(
                "error: PORTWAY_BLOB_BUCKET is not set (the stack's BlobBucketName)",
                file=sys.stderr,
            )
            return 2
        print(restore.restore_blobs(boto3.client("s3", region_name=region), bucket, args.at))
        return 0
    client = boto3.client("dynamodb", region_name=region)
    if args.action == "tables":
        source = get_settings().table_prefix
        for name in restore.restore_tables(client, source, args.staging, args.at):
            print(f"restored {name}")
    else:
        for name, count in restore.copy_tables(client, args.source, args.target).items():
            print(f"{name}: {count} items")
    return 0


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time with its zone, e.g. 2026-12-01T08:00:00Z")
    return moment


def _infra_render(args: argparse.Namespace) -> int:
    from portway_ops import edge, tables

    stale = []
    for path, text in (
        (tables.TEMPLATE_PATH, tables.render_text()),
        (edge.EDGE_PATH, edge.render_text()),
    ):
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(path.name)
            continue
        path.write_text(text)
        print(f"wrote {path}")
    if stale:
        print(f"{', '.join(stale)} stale: run `portway infra render`", file=sys.stderr)
        return 1
    return 0


def _local_run(args: argparse.Namespace) -> int:
    from portway_ops.localrun import run

    return run(port=args.port)


def build_parser() -> argparse.ArgumentParser:
    """The command line of `portway`."""
    parser = argparse.ArgumentParser(
        prog="portway", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stage", default="local", help="stage of .chalice/config.json")
    parser.add_argument(
        "--stack",
        default=os.environ.get("PORTWAY_STACK"),
        help="the deployed stack whose settings to use (tables, bucket, address, keys)",
    )
    areas = parser.add_subparsers(dest="area", required=True)

    tenant = areas.add_parser("tenant").add_subparsers(dest="action", required=True)
    create = tenant.add_parser("create", help="create a tenant and print its first API key")
    create.add_argument("--name", required=True)
    create.add_argument("--slug", help="URL slug (default: from the name)")
    create.add_argument("--language", default="en")
    create.add_argument("--owner-email", help="invite the team's owner: prints their link")
    create.add_argument("--json", action="store_true", help="print JSON instead of lines")
    create.set_defaults(run=_tenant_create)

    keys = areas.add_parser("api-key").add_subparsers(dest="action", required=True)
    key_create = keys.add_parser("create", help="issue a key for an existing tenant")
    key_create.add_argument("--tenant", required=True, metavar="SLUG")
    key_create.add_argument("--name", default="operator key")
    key_create.add_argument(
        "--scopes", nargs="+", choices=["read", "write", "admin"], default=["admin"]
    )
    key_create.set_defaults(run=_api_key_create)

    tables = areas.add_parser("tables").add_subparsers(dest="action", required=True)
    tables_create = tables.add_parser("create", help="create missing tables (local)")
    tables_create.add_argument("--aws", action="store_true", help=argparse.SUPPRESS)
    tables_create.set_defaults(run=_tables_create)

    pages = areas.add_parser("pages").add_subparsers(dest="action", required=True)
    pages_render = pages.add_parser("render", help="render every page of a tenant again")
    pages_render.add_argument("--tenant", required=True, metavar="SLUG")
    pages_render.set_defaults(run=_pages_render)

    ring = areas.add_parser("keys", help="the stage's key ring in SSM Parameter Store")
    ring_actions = ring.add_subparsers(dest="action", required=True)
    init_ring = ring_actions.add_parser("init", help="write the first key (never twice)")
    init_ring.add_argument(
        "--keep-current-key",
        action="store_true",
        help="keep the stage's PORTWAY_SECRET_KEY (from the environment) as key k0",
    )
    ring_actions.add_parser("rotate", help="a new key signs; older keys still verify")
    retire = ring_actions.add_parser("retire", help="remove a key that no longer signs")
    retire.add_argument("key_id")
    ring_actions.add_parser("show", help="the key ids and which one signs")
    ring_actions.add_parser(
        "origin-header", help="the CDN's proof of origin (the stack's OriginHeader parameter)"
    )
    ring.set_defaults(run=_keys)

    published = areas.add_parser("assets").add_subparsers(dest="action", required=True)
    publish = published.add_parser("publish", help="put the CDN's static files in the bucket")
    publish.set_defaults(run=_assets_publish)

    restoring = areas.add_parser("restore", help="bring tables and blobs back to a moment")
    steps = restoring.add_subparsers(dest="action", required=True)
    tables_step = steps.add_parser("tables", help="each table at --at into --staging tables")
    tables_step.add_argument("--at", type=_moment, required=True)
    tables_step.add_argument("--staging", required=True, help="prefix of the restored tables")
    blobs_step = steps.add_parser("blobs", help="each object of the bucket as it was at --at")
    blobs_step.add_argument("--at", type=_moment, required=True)
    copy_step = steps.add_parser("copy", help="the restored items into the stack's new tables")
    copy_step.add_argument("--from", dest="source", required=True)
    copy_step.add_argument("--to", dest="target", required=True)
    restoring.set_defaults(run=_restore)

    infra = areas.add_parser("infra").add_subparsers(dest="action", required=True)
    render = infra.add_parser("render", help="write infra/template.json from the models")
    render.add_argument("--check", action="store_true", help="fail if the file is stale")
    render.set_defaults(run=_infra_render)

    local = areas.add_parser("local").add_subparsers(dest="action", required=True)
    local_run = local.add_parser("run", help="DynamoDB Local + tables + demo + chalice local")
    local_run.add_argument("--port", type=int, default=8000)
    local_run.set_defaults(run=_local_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    stages.use_stage(args.stage, args.stack)
    try:
        result: int = args.run(args)
        return result
    except PortwayError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
