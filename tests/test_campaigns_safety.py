"""Hostile campaign input: Markdown that tries to run script or load from elsewhere, and images that
are not what they claim, too large, or carry where they were taken."""
from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser

import pytest
from PIL import Image
from sqlalchemy import select

from outreach.audit.models import AuditEntry
from outreach.campaigns import images
from outreach.campaigns.markdown import link_scheme, render
from outreach.campaigns.models import Campaign
from outreach.extensions import db
from tests.campaign_fixtures import (  # noqa: F401  (fixtures)
    campaign_world,
    clock,
    jpeg_with_gps,
    make_campaign,
    png_bytes,
    png_claiming_size,
    signed_in,
    staff_app,
)

pytestmark = pytest.mark.db


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def elements(markup: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(markup)
    return parser.found


HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    "Hello <script>alert(1)</script> there",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<iframe src="https://evil.example/"></iframe>',
    "<svg onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](<java\tscript:alert(1)>)",
    "[click](<java\nscript:alert(1)>)",
    "[click](jav&#x09;ascript:alert(1))",
    "[click](jav&#9;ascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](%6A%61vascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,<script>alert(1)</script>)",
    "<javascript:alert(1)>",
    "[click][evil]\n\n[evil]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![tracker](https://tracker.example/pixel.gif)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[x](https://example.org/ "title" onmouseover="alert(1)")',
    "<style>body{display:none}</style>",
    "<!-- <script>alert(1)</script> -->",
]


@pytest.mark.parametrize("text", HOSTILE_MARKDOWN)
def test_hostile_markdown_is_neutralised(text):
    output = str(render(text))
    for tag, attributes in elements(output):
        assert tag in {"p", "a", "strong", "em", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "code", "pre",
                       "hr", "br"}, (tag, output)
        assert not any(name.startswith("on") for name in attributes), output
        assert set(attributes) <= {"href", "title", "rel"}, output
        if "href" in attributes:
            assert link_scheme(attributes["href"]) in (None, "http", "https", "mailto", "tel"), output
    assert "<script" not in output.lower() and "<img" not in output.lower() and "<iframe" not in output.lower()
    assert "<style" not in output.lower() and "<svg" not in output.lower()


def test_raw_html_is_shown_as_text_not_run():
    output = str(render("<b>bold</b> & <script>alert(1)</script>"))
    assert "&lt;b&gt;bold&lt;/b&gt;" in output and "&lt;script&gt;" in output and "<b>" not in output


def test_links_headings_and_lists_survive():
    output = str(render("# Signs\n\n## What to do\n\n- Call **911**\n- [Directory](/en/categories/naloxone)\n"
                        "- [SAMHSA](https://www.samhsa.gov/)\n- [Call us](tel:+15035550100)"))
    found = elements(output)
    assert [tag for tag, _a in found if tag.startswith("h")] == ["h2", "h2"]  # the page's <h1> is the title
    links = {attrs["href"]: attrs for tag, attrs in found if tag == "a"}
    assert links["https://www.samhsa.gov/"]["rel"] == "noopener noreferrer"  # external
    assert "rel" not in links["/en/categories/naloxone"] and "rel" not in links["tel:+15035550100"]
    assert "<strong>911</strong>" in output


@pytest.mark.parametrize("href", ["java\tscript:alert(1)", "java\nscript:x", " javascript:x", "&#x6A;avascript:x",
                                  "jav%0Aascript:x", "%256Aavascript:x", "DaTa:text/html,x", "vbscript:x"])
def test_link_scheme_sees_through_hiding(href):
    assert link_scheme(href) in {"javascript", "data", "vbscript"}


# -- images -----------------------------------------------------------------------------------------


def test_non_image_named_png_is_refused():
    with pytest.raises(images.ImageRefused) as refused:
        images.clean_image(b"<html><script>alert(1)</script></html>")
    assert refused.value.code == images.NOT_AN_IMAGE


def test_svg_is_refused():
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'
    with pytest.raises(images.ImageRefused) as refused:
        images.clean_image(svg)
    assert refused.value.code == images.NOT_AN_IMAGE


def test_gif_and_truncated_png_are_refused():
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    for data in (gif.getvalue(), png_bytes()[:60], b"\x89PNG\r\n\x1a\n" + b"garbage" * 20):
        with pytest.raises(images.ImageRefused) as refused:
            images.clean_image(data)
        assert refused.value.code == images.NOT_AN_IMAGE


def test_polyglot_keeps_only_the_pixels():
    """A real PNG with an HTML page glued after it: the stored file is a fresh PNG/JPEG without it."""
    polyglot = png_bytes(size=(30, 20)) + b"<html><body><script>alert(document.cookie)</script></body></html>"
    encoded, extension, width, height = images.clean_image(polyglot)
    assert b"<script" not in encoded and b"<html" not in encoded
    assert (width, height) == (30, 20) and extension == "jpg"
    assert Image.open(io.BytesIO(encoded)).format == "JPEG"


def test_huge_dimensions_are_refused_before_decoding():
    with pytest.raises(images.ImageRefused) as refused:
        images.clean_image(png_claiming_size(100_000, 100_000))
    assert refused.value.code == images.TOO_MANY_PIXELS


def test_exif_gps_and_comments_are_stripped():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test file really has GPS
    encoded, extension, _w, _h = images.clean_image(original)
    cleaned = Image.open(io.BytesIO(encoded))
    assert extension == "jpg"
    assert dict(cleaned.getexif()) == {} and not cleaned.getexif().get_ifd(0x8825)
    assert "exif" not in cleaned.info and "comment" not in cleaned.info and "icc_profile" not in cleaned.info
    assert b"Example Camera" not in encoded and b"1200 SE Example" not in encoded and b"Exif" not in encoded


def test_png_text_chunks_are_stripped_and_transparency_kept():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address 1200 SE Example St")
    output = io.BytesIO()
    Image.new("RGBA", (10, 10), (255, 0, 0, 128)).save(output, format="PNG", pnginfo=info)
    encoded, extension, _w, _h = images.clean_image(output.getvalue())
    assert extension == "png" and b"home address" not in encoded
    assert Image.open(io.BytesIO(encoded)).mode == "RGBA"


def test_webp_is_accepted_and_re_encoded():
    output = io.BytesIO()
    Image.new("RGB", (20, 10), (1, 2, 3)).save(output, format="WEBP")
    encoded, extension, width, height = images.clean_image(output.getvalue())
    assert extension == "jpg" and (width, height) == (20, 10)


def test_large_images_are_scaled_down():
    encoded, _extension, width, height = images.clean_image(png_bytes(size=(4000, 2000)))
    assert (width, height) == (images.MAX_SIDE, images.MAX_SIDE // 2)


# -- uploads through the staff page ---------------------------------------------------------------


def _upload(client, campaign_id, data: bytes, name: str, alt: str = "A volunteer holds a naloxone kit"):
    return client.post(f"/staff/campaigns/{campaign_id}/image",
                       data={"image": (io.BytesIO(data), name), "image_alt": alt},
                       content_type="multipart/form-data")


def test_upload_refusals_change_nothing_and_say_why(campaign_world):
    campaign_id = make_campaign(campaign_world)
    client = signed_in(campaign_world)
    cases = [
        (b"<html>not an image</html>", "photo.png", "must be a JPEG, PNG or WebP"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg", "must be a JPEG, PNG or WebP"),
        (png_claiming_size(50_000, 50_000), "bomb.png", "too large"),
    ]
    for data, name, message in cases:
        response = _upload(client, campaign_id, data, name)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "<title>Error:" in page and message in page, name
        assert 'href="#image"' in page  # the error summary links to the field
        assert "A volunteer holds a naloxone kit" in page  # what was typed is kept
    missing_alt = _upload(client, campaign_id, png_bytes(), "ok.png", alt="")
    assert missing_alt.status_code == 200 and 'href="#image_alt"' in missing_alt.get_data(as_text=True)
    with campaign_world.app.app_context():
        assert db.session.get(Campaign, campaign_id).image_file is None
        assert not list((images.folder()).iterdir())


def test_uploaded_image_is_served_cleaned_with_a_fixed_type(campaign_world):
    campaign_id = make_campaign(campaign_world)
    client = signed_in(campaign_world)
    response = _upload(client, campaign_id, jpeg_with_gps(), "IMG_0042 home.jpg")
    assert response.status_code == 302
    with campaign_world.app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        name = campaign.image_file
        assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name) and "IMG" not in name
        assert campaign.image_alt == "A volunteer holds a naloxone kit"
        audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign_image_set")).all()
        assert len(audit) == 1 and audit[0].actor_id == campaign_world.publisher.id
    resident = campaign_world.app.test_client()
    served = resident.get(f"/campaign-images/{name}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers.getlist("Set-Cookie") == []
    cleaned = Image.open(io.BytesIO(served.data))
    assert not cleaned.getexif().get_ifd(0x8825) and dict(cleaned.getexif()) == {}
    page = resident.get(f"/en/campaigns/{campaign_id}").get_data(as_text=True)
    assert f'src="/campaign-images/{name}"' in page and 'alt="A volunteer holds a naloxone kit"' in page
    for probe in ("../outreach.sqlite3", "..%2Foutreach.sqlite3", name.upper(), name.replace(".jpg", ".png")):
        assert resident.get(f"/campaign-images/{probe}").status_code == 404


def test_images_of_campaigns_not_live_are_not_served_to_residents(campaign_world):
    from datetime import timedelta

    campaign_id = make_campaign(campaign_world, starts_in=timedelta(days=3))
    client = signed_in(campaign_world)
    assert _upload(client, campaign_id, png_bytes(), "x.png").status_code == 302
    with campaign_world.app.app_context():
        name = db.session.get(Campaign, campaign_id).image_file
    assert campaign_world.app.test_client().get(f"/campaign-images/{name}").status_code == 404
    preview = client.get(f"/staff/campaigns/{campaign_id}/image/preview")
    assert preview.status_code == 200 and preview.headers["Content-Type"] == "image/jpeg"


def test_replacing_and_removing_the_image_deletes_old_files(campaign_world):
    campaign_id = make_campaign(campaign_world)
    client = signed_in(campaign_world)
    _upload(client, campaign_id, png_bytes(color=(1, 1, 1)), "a.png")
    _upload(client, campaign_id, png_bytes(color=(2, 2, 2)), "b.png")
    with campaign_world.app.app_context():
        files = list(images.folder().iterdir())
        assert [f.name for f in files] == [db.session.get(Campaign, campaign_id).image_file]
    assert client.post(f"/staff/campaigns/{campaign_id}/image/remove").status_code == 302
    with campaign_world.app.app_context():
        assert db.session.get(Campaign, campaign_id).image_file is None
        assert list(images.folder().iterdir()) == []


def test_markdown_in_a_campaign_page_is_sanitized_end_to_end(campaign_world):
    body = ("[win](javascript:alert(1)) <img src=x onerror=alert(1)> ![t](https://tracker.example/p.gif) "
            "[ok](https://www.samhsa.gov/)")
    campaign_id = make_campaign(campaign_world, body=body)
    page = campaign_world.app.test_client().get(f"/en/campaigns/{campaign_id}").get_data(as_text=True)
    main = page[page.index("<main"):page.index("</main>")]
    assert "onerror" not in html.unescape(re.sub(r"&lt;.*?&gt;", "", main))
    assert 'href="javascript' not in main.lower() and "<img src=\"x\"" not in main
    assert 'src="https://tracker' not in main
    assert '<a href="https://www.samhsa.gov/" rel="noopener noreferrer">ok</a>' in main


def test_a_photo_larger_than_the_site_limit_uploads_with_csrf_on(make_app, clock):
    """The site refuses bodies over 1 MB; the image form alone takes a phone photo (CSRF protection reads
    the body before any view, so the larger limit must be set before it)."""
    import os

    from outreach.campaigns.services import CampaignInput, create_campaign
    from outreach.accounts.models import User
    from tests.staff_fixtures import PASSWORD, csrf_token, make_staff, staff_config
    from datetime import timedelta

    app = make_app(**staff_config(WTF_CSRF_ENABLED=True))
    with app.app_context():
        staff = make_staff("publisher@example.org", [{"role": "outreach_publisher"}])
        start = clock.now() - timedelta(days=1)
        campaign_id = create_campaign(db.session.get(User, staff.id), CampaignInput(
            title="Big photo", summary="S.", body="", starts_at=start, ends_at=start + timedelta(days=9),
            time_zone="UTC")).id
    client = app.test_client()
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))
    client.post("/staff/login", data={"email": staff.email, "password": PASSWORD, "csrf_token": token})
    token = csrf_token(client.get("/staff/login/code").get_data(as_text=True))
    client.post("/staff/login/code", data={"code": clock.code(staff.secret), "csrf_token": token})
    photo = io.BytesIO()
    Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3)).save(photo, format="PNG")
    assert 1024 * 1024 < len(photo.getvalue()) < images.MAX_BYTES
    token = csrf_token(client.get(f"/staff/campaigns/{campaign_id}/image").get_data(as_text=True))
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    # Encoded here in memory: the test client would spool a body this large to a file it never closes.
    boundary, body = encode_multipart(MultiDict({
        "image": FileStorage(io.BytesIO(photo.getvalue()), "photo.png", content_type="image/png"),
        "image_alt": "Noise", "csrf_token": token}))
    response = client.post(f"/staff/campaigns/{campaign_id}/image", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).image_file
    # Anywhere else the site-wide limit still holds.
    token = csrf_token(client.get(f"/staff/campaigns/{campaign_id}").get_data(as_text=True))
    response = client.post(f"/staff/campaigns/{campaign_id}", data={"title": "x" * (2 * 1024 * 1024), "csrf_token": token})
    assert response.status_code == 413
