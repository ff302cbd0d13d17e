"""Wrong (full name): the right fields in another namespace."""

EXERCISE = "trip_schema"
EXPECT = "❌"
KEYWORDS = ("full name", "nyc.taxi.TaxiTrip")

NAMES = (
    "trip_id service vendor_id pickup_ts dropoff_ts passenger_count trip_distance ratecode_id store_and_fwd_flag "
    "pu_location_id do_location_id payment_type fare_amount extra mta_tax tip_amount tolls_amount "
    "improvement_surcharge total_amount congestion_surcharge airport_fee cbd_congestion_fee"
).split()
TIMESTAMP = {"type": "long", "logicalType": "timestamp-micros"}
TYPES = {"trip_id": "string", "service": "string", "pickup_ts": TIMESTAMP, "dropoff_ts": TIMESTAMP}
TYPES |= {n: "int" for n in ("pu_location_id", "do_location_id")}
OPTIONAL = {n: "int" for n in ("vendor_id", "passenger_count", "ratecode_id", "payment_type")}
OPTIONAL |= {"store_and_fwd_flag": "string", "congestion_surcharge": "double", "airport_fee": "double"}
OPTIONAL |= {"cbd_congestion_fee": "double"}


def trip_schema():
    fields = []
    for name in NAMES:
        if name in OPTIONAL:
            fields.append({"name": name, "type": ["null", OPTIONAL[name]], "default": None})
        else:
            fields.append({"name": name, "type": TYPES.get(name, "double")})
    return {"type": "record", "name": "TaxiTrip", "namespace": "nyc.taxi", "fields": fields}
