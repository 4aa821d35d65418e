#!/bin/bash
# The files the package installs, checked against the binary they go with:
#   check_files.sh BINARY SOURCE_DIR
# 1. systemd-analyze verify accepts the unit (with ExecStart pointing at BINARY) and says nothing;
# 2. the conffile names every setting of `streamrelay serve`;
# 3. the binary starts with the conffile (its paths moved into a scratch folder).
set -euo pipefail
binary=$1
source_dir=$2
source "$(dirname "$0")/common.sh"

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

if serves_with_settings "$binary" "$conf"; then
  echo "ok: the unit verifies, the conffile names every setting and serves"
  exit 0
fi
echo "the binary did not serve with the conffile"
exit 1
