from tests import factories


def test_home_renders_in_english(client):
    response = client.get("/en/")
    assert response.status_code == 200
    assert b"Leave this site quickly" in response.data


def test_service_page_from_factory(app, client):
    with app.app_context():
        service_id = factories.service(name="Naloxone kits").id
    response = client.get(f"/en/services/{service_id}")
    assert response.status_code == 200
    assert b"Naloxone kits" in response.data


def test_demo_content_home(demo_client):
    assert demo_client.get("/es/").status_code == 200
