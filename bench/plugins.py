"""Generate realistic plugin directories for the benchmarks (deterministic)."""

from __future__ import annotations

import random
from pathlib import Path

MANIFEST = """\
manifest_schema_version = "1.3"

[plugin]
name = "{name}"
version = "{version}"
description = "Generated plugin {index}: transforms writes and answers requests."
triggers = {triggers}
homepage = "https://github.com/example/{name}"
exclude = ["tests/", "*.pyc", "__pycache__/", ".*"]

[dependencies]
database_version = ">=3.2.0, <4.0.0"
python = ["requests>=2.31", "pyyaml>=6.0; python_version >= '3.10'"]
"""

_CLASS = '''
class {cls}:
    """Keeps running statistics for {table} rows."""

    THRESHOLD = {threshold}

    def __init__(self, window: int = {window}, label: str = "{table}") -> None:
        self.window = window
        self.label = label
        self.values: list[float] = []

    def push(self, value: float) -> None:
        self.values.append(value)
        if len(self.values) > self.window:
            del self.values[0]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values) if self.values else 0.0

    def summary(self) -> dict[str, object]:
        return {{"label": self.label, "mean": round(self.mean, 3), "n": len(self.values)}}
'''

_FUNC = '''
@functools.lru_cache(maxsize=128)
def {name}(value: float, factor: float = {factor}) -> float:
    """Scale and clamp a reading ({name})."""
    scaled = value * factor
    if scaled > {limit}:
        return float({limit})
    elif scaled < -{limit}:
        return -float({limit})
    return scaled


def {name}_rows(rows, field="{field}"):
    out = []
    for i, row in enumerate(rows):
        try:
            reading = float(row[field])
        except (KeyError, TypeError, ValueError) as exc:
            out.append({{"row": i, "error": f"{{type(exc).__name__}}: {{exc}}"}})
            continue
        tags = [t for t in row.get("tags", [])]
        out.append({{"row": i, "{field}": {name}(reading), "tags": tags}})
    return out
'''

_TRIGGERS = """

def process_writes(influxdb3_local, table_batches, args=None):
    stats = {{}}
    for batch in table_batches:
        table = batch["table_name"]
        stats.setdefault(table, {cls}())
        for row in batch["rows"]:
            value = row.get("value")
            if value is not None:
                stats[table].push(float(value))
    for table, stat in stats.items():
        influxdb3_local.info(json.dumps(stat.summary()))


def process_request(influxdb3_local, query_parameters, request_headers, request_body, args=None):
    return {{"status": "ok", "params": dict(query_parameters or {{}})}}
"""


def entry_source(rng: random.Random, lines: int) -> str:
    parts = ['"""Generated entry point."""\n\nimport functools\nimport json\n']
    n = 0
    first_class = ""
    while sum(p.count("\n") for p in parts) < lines:
        n += 1
        table = rng.choice(["cpu", "mem", "disk", "net", "weather", "power"])
        if n % 3 == 0:
            cls = f"Stats{n}"
            first_class = first_class or cls
            parts.append(
                _CLASS.format(
                    cls=cls, table=table, threshold=rng.randint(1, 999), window=rng.randint(5, 50)
                )
            )
        else:
            parts.append(
                _FUNC.format(
                    name=f"scale_{table}_{n}",
                    factor=round(rng.uniform(0.1, 9.9), 2),
                    limit=rng.randint(10, 10_000),
                    field=rng.choice(["value", "usage", "temp", "rate"]),
                )
            )
    parts.append(_TRIGGERS.format(cls=first_class or "dict"))
    return "".join(parts)


def generate(root: Path, count: int = 50, lines: int = 3000, seed: int = 7) -> list[Path]:
    """``count`` multi-file plugins with ``lines``-line entry points, under ``root``."""
    rng = random.Random(seed)
    plugins = []
    for index in range(count):
        name = f"bench-plugin-{index:02d}"
        plugin = root / name
        (plugin / "tests").mkdir(parents=True, exist_ok=True)
        (plugin / "manifest.toml").write_text(
            MANIFEST.format(
                name=name,
                version=f"1.{index}.0",
                index=index,
                triggers='["process_writes", "process_request"]',
            )
        )
        (plugin / "__init__.py").write_text(entry_source(rng, lines))
        (plugin / "helpers.py").write_text(entry_source(rng, 200))
        (plugin / "README.md").write_text(f"# {name}\n\nGenerated for benchmarks.\n")
        (plugin / "tests" / "test_it.py").write_text("def test_it():\n    assert True\n")
        plugins.append(plugin)
    return plugins
