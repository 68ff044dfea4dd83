from chill import wind_chill_celsius


def test_calm_air_is_the_temperature():
    assert wind_chill_celsius(-5.0, 2.0) == -5.0
