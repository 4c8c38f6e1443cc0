"""Pages escape what they print, refuse a name they were not given, and turn a service's
error into a page with its status and message."""

from __future__ import annotations

import httpx
import pytest
from jinja2 import UndefinedError

from pixlake.web.templating import PAGE_POLICY, _env
from tests.web.conftest import Person


def test_what_a_template_prints_is_escaped_and_a_missing_name_is_an_error() -> None:
    template = _env.from_string("<p>{{ text }}</p>")
    assert template.render(text="<b>&</b>") == "<p>&lt;b&gt;&amp;&lt;/b&gt;</p>"
    with pytest.raises(UndefinedError):
        template.render()


def test_a_services_error_is_a_page_with_its_status(
    signed_in: httpx.Client, person: Person
) -> None:
    answer = signed_in.get(
        f"/o/{person.organization}/pictures/00000000-0000-0000-0000-000000000000"
    )
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert "no picture" in answer.text and answer.headers["content-security-policy"] == PAGE_POLICY
    bad = signed_in.get(f"/o/{person.organization}/pictures/not-an-id")
    assert bad.status_code == 422 and "picture_id" in bad.text
