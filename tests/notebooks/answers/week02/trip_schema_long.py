"""Wrong (long for int): pu_location_id as long — the same bytes, another type for every reader."""

EXERCISE = "trip_schema"
EXPECT = "❌"
KEYWORDS = ("pu_location_id", "long", "not the same type")

NAMES = (
    "trip_id service vendor_id pickup_ts dropoff_ts passenger_count trip_distance ratecode_id store_and_fwd_flag "
    "pu_location_id do_location_id payment_type fare_amount extra mta_tax tip_amount tolls_amount "
    "improvement_surcharge total_amount congestion_surcharge airport_fee cbd_congestion_fee"
).split()
TIMESTAMP = {"type": "long", "logicalType": "timestamp-micros"}
TYPES = {"trip_id": "string", "service": "string", "pickup_ts": TIMESTAMP, "dropoff_ts": TIMESTAMP}
TYPES |= {"pu_location_id": "long", "do_location_id": "int"}
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
    return {"type": "record", "name": "nyc.tlc.TaxiTrip", "fields": fields}
