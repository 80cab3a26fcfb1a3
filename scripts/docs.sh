#!/usr/bin/env bash
# Build the documentation site into site/, strictly: a warning, a broken link, a missing page
# or an unresolved reference fails the build. Needs the `docs` extra (pip install -e ".[torch,docs]").
#   bash scripts/docs.sh            # then open site/index.html
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$PWD/.venv/bin/python}"
# mkdocstrings reads the package's source; the API pages import it to list every public name.
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"

# Build output, not committed: the API pages (one per public module, every name of __all__)
# and the Performance charts (from the benches' --json output in docs/data/).
"$PY" scripts/api_pages.py docs/api
"$PY" scripts/charts.py docs/data/*.json --out docs/charts
# mkdocs-material prints a banner about MkDocs 2.0 (pyproject pins mkdocs<2); not a build warning.
NO_MKDOCS_2_WARNING=1 "$PY" -m mkdocs build --strict --site-dir site
