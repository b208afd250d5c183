"""Great-circle distance for click-and-collect ordering."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

from domain.errors import BadUserInput
from domain.records import GeoPoint

EARTH_RADIUS_KM = 6371.0088


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    lat1, lat2 = radians(a.latitude), radians(b.latitude)
    dlat, dlon = lat2 - lat1, radians(b.longitude - a.longitude)
    h = sin(dlat / 2) ** 2 + cos(lat1) * cos(lat2) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))


def validate_point(point: GeoPoint) -> GeoPoint:
    if not (-90 <= point.latitude <= 90 and -180 <= point.longitude <= 180):
        raise BadUserInput("`near` needs latitude within -90..90 and longitude within -180..180")
    return point
