"""Warn when a field crosses a threshold (single-file InfluxDB 3 plugin)."""

import json

DEFAULT_FIELD = "value"
DEFAULT_LIMIT = 100.0


def _limits(args):
    args = args or {}
    return args.get("field", DEFAULT_FIELD), float(args.get("limit", DEFAULT_LIMIT))


def process_writes(influxdb3_local, table_batches, args=None):
    field, limit = _limits(args)
    for batch in table_batches:
        for row in batch["rows"]:
            value = row.get(field)
            if value is not None and value > limit:
                influxdb3_local.warn(f"{batch['table_name']}.{field}={value} exceeds {limit}")


def process_request(influxdb3_local, query_parameters, request_headers, request_body, args=None):
    field, limit = _limits(args)
    return json.dumps({"field": field, "limit": limit})
