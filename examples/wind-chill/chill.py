"""The North American / UK wind chill index (Environment Canada, 2001)."""


def wind_chill_celsius(temp_c: float, wind_kmh: float) -> float:
    if temp_c > 10.0 or wind_kmh < 4.8:
        return temp_c
    v = wind_kmh**0.16
    return round(13.12 + 0.6215 * temp_c - 11.37 * v + 0.3965 * temp_c * v, 2)
