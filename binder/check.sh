#!/usr/bin/env bash
# The Binder environment, checked without Docker: build a fresh virtual environment from binder/requirements.txt
# ALONE (as repo2docker does, from the repository root), run binder/postBuild in it, then run every tutorial
# notebook on a kernel of that environment. Catches unresolvable pins, a missing "-e .", notebooks importing
# what the environment lacks, and a broken postBuild. It does not test the Ubuntu image or the conda base env.
#
#   binder/check.sh [PYTHON]      (default python3; `make test` runs it)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${1:-python3}
WORK=$(mktemp -d -t sharekit-binder-check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ENV_DIR="$WORK/venv"
cd "$REPO"   # like repo2docker: "-e ." in binder/requirements.txt is the repository root
started=$(date +%s)

wanted=$(sed -n 's/^python-\([0-9]*\.[0-9]*\).*/\1/p' binder/runtime.txt)
have=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
if [ "$wanted" != "$have" ]; then
    echo "binder check: WARNING: binder/runtime.txt asks for Python $wanted, this check runs $have" >&2
fi

"$PYTHON" -m venv "$ENV_DIR"
"$ENV_DIR/bin/python" -m pip install --quiet --upgrade pip
"$ENV_DIR/bin/python" -m pip install --quiet -r binder/requirements.txt
"$ENV_DIR/bin/python" -m pip check
echo "binder check: environment built from binder/requirements.txt in $(( $(date +%s) - started )) s"

# postBuild writes the demo home; point it at the scratch folder instead of this user's ~/.sharekit
SHAREKIT_HOME="$WORK/home" PATH="$ENV_DIR/bin:$PATH" bash binder/postBuild
test -d "$WORK/home/tables/main/sales/orders/_delta_log"

# the test runner only (not part of the Binder image): nbval, and pytest-timeout for the project's pytest settings
"$ENV_DIR/bin/python" -m pip install --quiet pytest nbval pytest-timeout
SHAREKIT_HOME="$WORK/home" "$ENV_DIR/bin/python" -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env notebooks/
echo "binder check: passed in $(( $(date +%s) - started )) s"
