"""Wind chill for weather measurements (InfluxDB 3 processing-engine plugin).

process_writes adds a ``wind_chill`` field to every ``weather`` row that has a
temperature and a wind speed; process_scheduled_call writes a daily summary.
"""

from .chill import wind_chill_celsius
from .summary import daily_summary_sql


def process_writes(influxdb3_local, table_batches, args=None):
    table = (args or {}).get("table", "weather")
    for batch in table_batches:
        if batch["table_name"] != table:
            continue
        for row in batch["rows"]:
            temp, wind = row.get("temp_c"), row.get("wind_kmh")
            if temp is None or wind is None:
                continue
            line = LineBuilder(table)  # LineBuilder is provided by the runtime
            line.tag("station", row.get("station", "unknown"))
            line.float64_field("wind_chill", wind_chill_celsius(temp, wind))
            influxdb3_local.write(line)


def process_scheduled_call(influxdb3_local, call_time, args=None):
    table = (args or {}).get("table", "weather")
    rows = influxdb3_local.query(daily_summary_sql(table))
    influxdb3_local.info(f"wind-chill summary at {call_time}: {len(rows)} stations")
