"""`lerconnect learners show ID` and the one way every command turns a person's id into a learner."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from connector_core.cli_options import db_option, echo_fields, echo_json, json_option, plural

if TYPE_CHECKING:
    from connector_core.cli_app import App
    from connector_core.store import Store

learner_option = click.option(
    "--learner", help="Any id of the learner: internal key (or prefix), institution id, a source's id, email."
)


def find_learner(store: Store, ident: str) -> str:
    """The learner key `ident` names, or a usage error saying why none (or several) do."""
    from connector_core.store.learners import LearnerNotFound
    from connector_core.store.learners import find_learner as lookup

    try:
        return lookup(store, ident)
    except LearnerNotFound as exc:
        raise click.UsageError(str(exc)) from None


@click.group()
def learners() -> None:
    """Learners: everything the store knows of one person."""


@learners.command("show")
@click.argument("ident", metavar="ID")
@db_option
@json_option
@click.pass_obj
def learners_show(app: App, ident: str, db: str | None, as_json: bool) -> None:
    """One learner by any id: their ids in each system, holds, records and credentials."""
    from connector_core.store.learners import learner_view

    store = app.store(db)
    view = learner_view(store, find_learner(store, ident))
    row = view.learner
    records = [
        {
            "id": r.id,
            "source": r.source,
            "stream": r.stream,
            "source_record_id": r.source_record_id,
            "status": r.status,
            "achievement": r.data["achievement"]["title"],
            "result": r.result_status,
            "grade": r.data["result"].get("grade"),
            "term": r.term,
        }
        for r in view.records
    ]
    credentials = [
        {
            "id": c.id,
            "kind": c.kind,
            "status": c.status,
            "name": c.document.get("name"),
            "issued_at": c.issued_at,
            "record_id": c.record_id,
        }
        for c in view.credentials
    ]
    data = {
        "key": row.key,
        "name": view.name or None,
        "email": row.email,
        "email_verified": row.email_verified,
        "institution_id": row.institution_id,
        "ids": view.ids,
        "hold": view.hold,
        "records": records,
        "credentials": credentials,
    }
    if as_json:
        echo_json(data)
        return
    echo_fields(
        [
            ("learner", row.key),
            ("name", view.name),
            ("email", f"{row.email} ({'verified' if row.email_verified else 'not verified'})" if row.email else None),
            ("institution id", row.institution_id),
            *((f"id in {source}", source_id) for source, source_id in sorted(view.ids.items())),
            ("hold", view.hold or "none"),
        ]
    )
    click.echo(f"\n{plural(len(records), 'record')}:")
    for r in records:
        grade = f" {r['grade']}" if r["grade"] else ""
        click.echo(
            f"  {r['source']}/{r['stream']} {r['source_record_id']}: {r['achievement']} — {r['result']}{grade}"
            f"{' (' + r['term'] + ')' if r['term'] else ''} [{r['status']}]"
        )
    click.echo(f"\n{plural(len(credentials), 'credential')}:")
    for c in credentials:
        click.echo(f"  {c['id']} {c['kind']:<11} {c['status']:<7} {c['issued_at']:%Y-%m-%d} {c['name'] or ''}")


@click.group()
def identities() -> None:
    """Learners the matching rule could not place: review and resolve."""


def _review_data(store: Store, review) -> dict:
    from connector_core.store.learners import describe

    people = describe(store, [review.learner_key, *review.candidates])
    matched_by = review.matched_by or {}
    return {
        "id": review.id,
        "source": review.source,
        "source_id": review.source_id,
        "reason": review.reason,
        "created_at": review.created_at,
        "learner": people.get(review.learner_key, {"key": review.learner_key}),
        "candidates": [{**people.get(c, {"key": c}), "matched_by": matched_by.get(c, [])} for c in review.candidates],
    }


def _person(d: dict) -> str:
    ids = ", ".join(f"{source} {source_id}" for source, source_id in sorted(d.get("ids", {}).items()))
    parts = [d.get("name") or "(no name)", d.get("email") or "(no email)"]
    if d.get("institution_id"):
        parts.append(f"institution id {d['institution_id']}")
    return f"{d['key'][:12]}  {' · '.join(parts)}  [ids: {ids or 'none'}]"


@identities.command("review")
@db_option
@json_option
@click.pass_obj
def identities_review(app: App, db: str | None, as_json: bool) -> None:
    """Open identity reviews: the new learner, each candidate, and the rule that pointed at it."""
    from connector_core.store import identities as identity_store

    store = app.store(db)
    reviews = [_review_data(store, r) for r in identity_store.open_reviews(store)]
    if as_json:
        echo_json(reviews)
        return
    if not reviews:
        click.echo("No identities awaiting review.")
    for r in reviews:
        click.echo(f"#{r['id']} {r['source']} id {r['source_id']}: {r['reason']}")
        click.echo(f"    new learner  {_person(r['learner'])}")
        for c in r["candidates"]:
            rules = ", ".join(c["matched_by"]) or "see reason"
            click.echo(f"    candidate    {_person(c)}  ← matched by {rules}")
        click.echo(
            f"    resolve: lerconnect identities merge {r['id']} --into {r['candidates'][0]['key'][:12]} "
            f"| lerconnect identities separate {r['id']}"
        )


@identities.command("merge")
@click.argument("review_id", type=int)
@click.option("--into", required=True, help="The candidate learner (any of their ids) to merge into.")
@db_option
@json_option
@click.pass_obj
def identities_merge(app: App, review_id: int, into: str, db: str | None, as_json: bool) -> None:
    """Resolve a review: the learner is the candidate INTO."""
    from connector_core.store import identities as identity_store

    store = app.store(db)
    key = find_learner(store, into)
    identity_store.merge(store, review_id, key)
    if as_json:
        echo_json({"review": review_id, "resolution": "merged", "into": key})
    else:
        click.echo(f"Review #{review_id} merged into {key}.")


@identities.command("separate")
@click.argument("review_id", type=int)
@db_option
@json_option
@click.pass_obj
def identities_separate(app: App, review_id: int, db: str | None, as_json: bool) -> None:
    """Resolve a review: the learner is a different person from every candidate."""
    from connector_core.store import identities as identity_store

    identity_store.keep_separate(app.store(db), review_id)
    if as_json:
        echo_json({"review": review_id, "resolution": "kept_separate"})
    else:
        click.echo(f"Review #{review_id} kept as a separate learner.")
