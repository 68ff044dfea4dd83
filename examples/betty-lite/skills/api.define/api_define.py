"""api/define: write an OpenAPI skeleton to stdout."""

import sys

from betty.config import SPEC_VERSION


def main() -> int:
    title = sys.argv[1] if len(sys.argv) > 1 else "example"
    print(f"openapi: {SPEC_VERSION}\ninfo:\n  title: {title}\n  version: 0.1.0\npaths: {{}}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
