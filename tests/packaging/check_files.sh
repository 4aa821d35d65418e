#!/bin/bash
# The files the package installs, checked against the binary they go with:
#   check_files.sh BINARY SOURCE_DIR
# 1. systemd-analyze verify accepts the unit (with ExecStart pointing at BINARY) and says nothing;
# 2. the conffile names every setting of `streamrelay serve`;
# 3. the binary starts with the conffile (its paths moved into a scratch folder).
set -euo pipefail
binary=$1
source_dir=$2
scratch=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

sed "s|/usr/bin/streamrelay|$binary|" "$source_dir/packaging/systemd/streamrelay.service" \
  >"$scratch/streamrelay.service"
if ! said=$(systemd-analyze verify "$scratch/streamrelay.service" 2>&1) || [ -n "$said" ]; then
  echo "systemd-analyze verify: $said"
  exit 1
fi

conf="$source_dir/packaging/streamrelay.conf"
missing=0
for name in $("$binary" serve --help | grep -o '^  --[a-z0-9-]*' | sed 's/^  --//'); do
  case "$name" in help | config) continue ;; esac
  if ! grep -Eq "^#?$name = " "$conf"; then
    echo "the conffile does not name --$name"
    missing=1
  fi
done
[ "$missing" -eq 0 ]

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo '{"tokens": [{"token": "t", "projects": ["*"]}]}' >"$scratch/credentials.json"
sed -e "s|^data-dir = .*|data-dir = $scratch/data|" \
  -e "s|^credentials = .*|credentials = $scratch/credentials.json|" \
  -e "s|^#listen = .*|listen = 127.0.0.1:$port|" "$conf" >"$scratch/streamrelay.conf"
"$binary" serve --config "$scratch/streamrelay.conf" >"$scratch/log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  if curl -sf -H 'X-Auth-Token: t' "http://127.0.0.1:$port/v1/p/pull/stream/task" >/dev/null; then
    echo "ok: the unit verifies, the conffile names every setting and serves"
    exit 0
  fi
  sleep 0.1
done
echo "the binary did not serve with the conffile:"
cat "$scratch/log"
exit 1
