"""JSON, exactly the DESIGN.md contract (other tools read it).

``{"publications": [...], "talks": [...], "generated_at": ISO-8601}``; text is
plain Unicode (no LaTeX, no emphasis markers). Fields beyond the contract
(``kind``, ``month``, ``day``, ``selected``, ``status``, ``authors_detail``, ``type``,
``location``) are additions, never renamings.
"""

from __future__ import annotations

import json
from typing import Any

from pubtrack.models import plain
from pubtrack.render.context import PublicationView, RenderContext, TalkView


def publication(p: PublicationView) -> dict[str, Any]:
    work = p.work
    return {
        "key": p.key,
        "title": plain(p.title),
        # Every author, untruncated: consumers truncate as they like.
        "authors": [a.display for a in work.authors],
        "year": p.year,
        "venue": plain(p.venue) or None,
        "award": p.award,
        "ids": p.ids,
        # "bib" or the source a sync learned the id from.
        "id_sources": p.id_sources,
        "links": [{"label": k.label, "url": k.url} for k in p.links],
        "citations": {s: {"count": c.count, "as_of": c.as_of} for s, c in p.citations.items()},
        "kind": p.kind,
        "month": p.month,
        "day": p.day,
        "selected": p.selected,
        "status": p.status,
        "authors_detail": [
            {"name": a.display, "marks": list(a.marks), "owner": owner}
            for a, owner in zip(work.authors, p.owner_flags, strict=True)
        ],
    }


def talk(t: TalkView) -> dict[str, Any]:
    return {
        "key": t.key,
        "title": plain(t.title),
        "event": plain(t.event) or None,
        "date": t.iso_date,
        "links": [{"label": k.label, "url": k.url} for k in t.links],
        "publication": t.publication,
        "location": t.location or None,
        "type": t.talk_type or None,
    }


def render_json(ctx: RenderContext) -> str:
    data = {
        "publications": [publication(p) for p in ctx.publications]
        if "publications" in ctx.sections
        else [],
        "talks": [talk(t) for t in ctx.talks] if "talks" in ctx.sections else [],
        "generated_at": ctx.generated_at,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
