"""The streaming job's fast path: Spark's own Avro reader takes the trips that are certainly good.

A record is taken only when its schema id is the reader schema's, it passes every validation rule (written here
as a conservative Spark SQL twin of lab.data's) and it re-encodes to exactly its bytes. Everything else goes, in
the same query, to lab.decode in a pandas UDF (`rescue`), which stays the judge and writes the quarantine.
"""

from __future__ import annotations

import functools
import operator

import pandas as pd

from lab.pipeline import data, schemas
from lab.pipeline.decode import READER_SCHEMA, TRIP_FIELDS, decode_batches, raw_schema, reader_schema

MAX_PANDAS_US = 9_223_372_036_854_775  # pandas' datetime64[ns] range in micro-seconds (years 1677-2262)


def fast_ids(subject: str, reader_id: int | None = None, url: str | None = None) -> list[int]:
    """The schema ids whose schema is the reader schema: Spark itself can decode their records.

    The registry gives one id to one schema (content), whatever the subject: `reader_id`, the id the reader
    schema got under the job's own subject (config.READER_SUBJECT, registered by the job at start), is known
    before any producer has written; the topic's subject adds any other id it lists for the same schema.
    """
    ids = {reader_id} if reader_id is not None else set()
    return sorted(
        ids
        | {
            v["id"]
            for v in (schemas.get(subject, n, url) for n in schemas.versions(subject, url))
            if raw_schema(v["schema"]) == reader_schema()
        }
    )


def certainly_good(t, body, zone_ids):
    """True where the decoded struct `t` passes every rule of `validate`, and re-encodes to exactly `body`.

    Conservative by construction: anything it does not accept goes to `decode_values` and `validate`,
    which decide (and quarantine with a reason). Spark SQL sorts NaN above every number, hence the isnan.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.avro.functions import to_avro

    pu, do = F.unix_micros(t["pickup_ts"]), F.unix_micros(t["dropoff_ts"])
    zones = sorted(int(z) for z in zone_ids)
    rules = [
        t["trip_id"].isNotNull(),  # decoded at all (PERMISSIVE gives a row of nulls)
        pu.between(-MAX_PANDAS_US, MAX_PANDAS_US) & do.between(-MAX_PANDAS_US, MAX_PANDAS_US),
        t["pu_location_id"].isin(zones) & t["do_location_id"].isin(zones),
        *[(t[c] >= 0) & ~F.isnan(t[c]) for c in ("trip_distance", *data.AMOUNTS)],
        *[t[c].isNull() | F.isnan(t[c]) | (t[c] >= 0) for c in data.OPTIONAL_AMOUNTS],
        do >= pu,
        t["trip_distance"] <= data.MAX_DISTANCE_MI,
        (do - pu) <= int(data.MAX_DURATION / pd.Timedelta(microseconds=1)),
        t["fare_amount"] <= data.MAX_FARE_USD,
        # fastavro reads strings as strict UTF-8; Spark keeps the raw bytes: re-encoding shows a bad sequence
        *[
            t[c].isNull() | (F.encode(t[c], "UTF-8") == t[c].cast("binary"))
            for c in ("trip_id", "service", "store_and_fwd_flag")
        ],
    ]
    ok = functools.reduce(operator.and_, rules)
    # trailing bytes (or a body of another schema that happens to parse): the record must re-encode to itself
    exact = F.when(ok, to_avro(t, READER_SCHEMA.read_text()) == body)
    return F.coalesce(ok & exact, F.lit(False))


def spark_trips(src, ids: list[int], zone_ids):
    """Kafka rows (value, …) plus `t`, Spark's decoding of the value, and `fast`: t is a certainly good trip.

    Only frames with one of `ids` (see fast_ids) are tried; `fast` is False for everything else.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.avro.functions import from_avro

    value = F.col("value")
    body = F.expr("substring(value, 6)")
    sid = F.conv(F.hex(F.substring(value, 2, 4)), 16, 10).cast("long")
    framed = (F.length(value) >= 5) & (F.substring(value, 1, 1) == F.lit(bytearray(b"\x00"))) & sid.isin(ids)
    t = F.when(framed, from_avro(body, READER_SCHEMA.read_text(), {"mode": "PERMISSIVE"}))
    return src.withColumn("t", t).withColumn(
        "fast", certainly_good(F.col("t"), body, zone_ids) if ids else F.lit(False)
    )


def rescue(url: str, zone_ids: set[int], quarantine=None, ready_url: str | None = None):
    """A function for a pandas UDF: the records the fast path left (value …, null elsewhere) → TRIP_FIELDS.

    Arguments are the pandas Series of value, topic, partition, offset and kafka_us; rows whose offset
    is null were taken by the fast path and come back as nulls. Records with a reason go to `quarantine`
    (a lab.sink.Quarantine) and come back as nulls too; so do they when there is no quarantine. `ready_url`:
    the registry's /health/ready, so a 404 from a registry still loading is not taken for an unknown id.
    """
    dtypes = {c: "Float64" if kind == "double" else "Int64" for c, kind in TRIP_FIELDS.items()}

    def run(
        value: pd.Series, topic: pd.Series, partition: pd.Series, offset: pd.Series, kafka_us: pd.Series
    ) -> pd.DataFrame:
        out = pd.DataFrame(
            {c: pd.array([None] * len(offset), dtype=dt) for c, dt in dtypes.items()}, index=offset.index
        )
        todo = offset.notna()
        if not todo.any():
            return out
        pdf = pd.DataFrame(
            {
                "value": value[todo],
                "topic": topic[todo],
                "partition": partition[todo],
                "offset": offset[todo],
                "kafka_us": kafka_us[todo],
            }
        )
        for res in decode_batches(iter([pdf]), url, zone_ids, ready_url):
            bad = res["reason"].notna()
            if quarantine is not None and bad.any():
                quarantine.write(res[bad])
            good = res[~bad]
            for c in TRIP_FIELDS:
                out.loc[good.index, c] = good[c]
        return out

    return run
