"""api/validate: check the top-level keys of an OpenAPI document."""

import sys

import yaml
from betty.errors import SkillError

REQUIRED = ("openapi", "info", "paths")


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    missing = [key for key in REQUIRED if key not in document]
    if missing:
        raise SkillError(f"missing keys: {', '.join(missing)}")
    print("valid")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
