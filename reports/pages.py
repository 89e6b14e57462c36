"""HTML pages from the Jinja2 templates in ``templates/``: one environment, built on first use.

Every value is escaped by the template engine (autoescape) and a name the template uses but the caller did not
pass is an error (StrictUndefined), so a page never shows raw markup from the data nor a silently blank cell.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2


@functools.cache
def environment() -> jinja2.Environment:
    """The environment of the report pages (templates ship as package data of piiscan.reports)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("piiscan.reports", "templates"),
        autoescape=True,  # every template here is HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(template: str, **context: Any) -> str:
    """``templates/<template>`` rendered with ``context``."""
    return environment().get_template(template).render(**context)
