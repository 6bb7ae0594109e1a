from pathlib import Path

import pytest

from outreach.geo.services import Point, centroid_count, distance_miles, locate_zip

CENTROIDS = Path(__file__).resolve().parent.parent / "content" / "geo" / "us-zcta-centroids.csv"


@pytest.mark.db
def test_real_centroids_load_and_resolve_a_portland_zip(app, runner):
    result = runner.invoke(args=["outreach", "geo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert centroid_count() > 33_000
        point = locate_zip("97201")
        assert point is not None
        assert 45.4 < point.latitude < 45.6 and -122.8 < point.longitude < -122.6
        assert locate_zip("97201-1234") == point  # ZIP+4 uses its five-digit ZIP
        assert locate_zip("00000") is None  # no centroid: a clear "not found", not an error
        assert locate_zip("abcde") is None


@pytest.mark.db
def test_if_empty_skips_a_second_load(app, runner):
    assert runner.invoke(args=["outreach", "geo", "load"]).exit_code == 0
    result = runner.invoke(args=["outreach", "geo", "load", "--if-empty"])
    assert "present" in result.output


@pytest.mark.db
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_loaded(app, runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ZIP,LAT,LNG\n97201,45.5,-122.7\n97202,north,-122.6\n")
    result = runner.invoke(args=["outreach", "geo", "load", "--path", str(bad)])
    assert result.exit_code == 1
    assert "line 3" in result.output
    with app.app_context():
        assert centroid_count() == 0


def test_distance_portland_to_seattle_is_about_145_miles():
    portland, seattle = Point(45.5152, -122.6784), Point(47.6062, -122.3321)
    assert 140 < distance_miles(portland, seattle) < 150
    assert distance_miles(portland, portland) == 0
