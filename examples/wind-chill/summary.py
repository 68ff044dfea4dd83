"""SQL for the daily summary."""


def daily_summary_sql(table: str) -> str:
    return (
        f"SELECT station, min(wind_chill) AS min_chill, max(wind_chill) AS max_chill "
        f"FROM {table} WHERE time > now() - INTERVAL '1 day' GROUP BY station"
    )
