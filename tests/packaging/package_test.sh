#!/bin/bash
# The Debian package as a host gets it:  package_test.sh PACKAGE.deb SOURCE_DIR
# lintian reports no errors; unpacked into a throwaway root, it holds the binary, the unit, the
# conffiles (marked so, credentials 0600) and the rules; the unit verifies; the packaged binary
# serves the API with the packaged settings file; the runtime dependencies are declared.
set -euo pipefail
deb=$(readlink -f "$1")
source_dir=$2
root=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$root"
}
trap cleanup EXIT
fail() {
  echo "package test: $*"
  exit 1
}

if lintian_said=$(lintian --fail-on error "$deb" 2>&1); then :; else
  echo "$lintian_said"
  fail "lintian reports errors"
fi
echo "lintian: $(echo "$lintian_said" | grep -c '^[EW]:' || true) tags, no errors"

depends=$(dpkg-deb -f "$deb" Depends)
for library in libavformat libavcodec libsqlite3 libpq libcurl adduser; do
  [[ "$depends" == *"$library"* ]] || fail "Depends lacks $library: $depends"
done
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | sort | tr '\n' ' ')" = \
  "/etc/streamrelay/credentials.json /etc/streamrelay/streamrelay.conf " ] || fail "conffiles"

dpkg-deb -x "$deb" "$root"
for file in usr/bin/streamrelay usr/lib/systemd/system/streamrelay.service \
  etc/streamrelay/streamrelay.conf etc/streamrelay/credentials.json \
  usr/share/streamrelay/prometheus/streamrelay.rules.yml usr/share/doc/streamrelay/copyright; do
  [ -e "$root/$file" ] || fail "missing /$file"
done
[ "$(stat -c %a "$root/etc/streamrelay/credentials.json")" = 600 ] || fail "credentials mode"

sed "s|/usr/bin/streamrelay|$root/usr/bin/streamrelay|" \
  "$root/usr/lib/systemd/system/streamrelay.service" >"$root/streamrelay.service"
if ! said=$(systemd-analyze verify "$root/streamrelay.service" 2>&1) || [ -n "$said" ]; then
  fail "systemd-analyze verify: $said"
fi

# The packaged binary with the packaged settings, its paths moved into the throwaway root.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo '{"tokens": [{"token": "t", "projects": ["*"]}]}' >"$root/etc/streamrelay/credentials.json"
sed -i -e "s|^data-dir = .*|data-dir = $root/var/lib/streamrelay|" \
  -e "s|^credentials = .*|credentials = $root/etc/streamrelay/credentials.json|" \
  -e "s|^#listen = .*|listen = 127.0.0.1:$port|" "$root/etc/streamrelay/streamrelay.conf"
"$root/usr/bin/streamrelay" serve --config "$root/etc/streamrelay/streamrelay.conf" \
  >"$root/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  if answer=$(curl -sf -H 'X-Auth-Token: t' "http://127.0.0.1:$port/v1/p/pull/stream/task"); then
    [[ "$answer" == *'"total":0'* ]] || fail "unexpected answer: $answer"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/p/pull/stream/task")" = 401 ] ||
      fail "a request without the token was not refused"
    echo "ok: $(basename "$deb") installs, verifies and serves"
    exit 0
  fi
  sleep 0.1
done
cat "$root/server.log"
fail "the packaged binary did not serve"
