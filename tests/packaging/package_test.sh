#!/bin/bash
# The Debian package as a host gets it:  package_test.sh PACKAGE.deb SOURCE_DIR
# lintian reports no errors; unpacked into a throwaway root, it holds the binary, the unit, the
# conffiles (marked so, credentials 0600) and the rules; the unit verifies; the packaged binary
# serves the API with the packaged settings file; the runtime dependencies are declared.
set -euo pipefail
deb=$(readlink -f "$1")
source_dir=$2
source "$(dirname "$0")/common.sh"
root="$scratch/root"
mkdir -p "$root"
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

# The packaged binary with the packaged settings, its paths moved into the scratch folder.
serves_with_settings "$root/usr/bin/streamrelay" "$root/etc/streamrelay/streamrelay.conf" ||
  fail "the packaged binary did not serve with its settings"
[[ "$answer" == *'"total":0'* ]] || fail "unexpected answer: $answer"

# Installed for real (as root, where no streamrelay package is installed yet): the maintainer
# scripts add the user and set the modes, start nothing, and a purge takes it all away again.
if [ "$(id -u)" -eq 0 ] && ! dpkg -s streamrelay >/dev/null 2>&1; then
  trap 'dpkg --purge streamrelay >/dev/null 2>&1 || true; cleanup' EXIT
  dpkg -i "$deb" >"$scratch/dpkg.log" 2>&1 || fail "dpkg -i: $(cat "$scratch/dpkg.log")"
  getent passwd streamrelay >/dev/null || fail "no streamrelay user"
  [ "$(stat -c '%U %a' /etc/streamrelay/credentials.json)" = "streamrelay 600" ] ||
    fail "installed credentials: $(stat -c '%U %a' /etc/streamrelay/credentials.json)"
  [ "$(stat -c '%U %a' /var/lib/streamrelay)" = "streamrelay 750" ] || fail "state folder"
  ! pgrep -f '^/usr/bin/streamrelay' >/dev/null || fail "installing started the service"
  dpkg --purge streamrelay >"$scratch/dpkg.log" 2>&1 || fail "dpkg --purge: $(cat "$scratch/dpkg.log")"
  ! getent passwd streamrelay >/dev/null || fail "the purge left the user"
  [ ! -e /var/lib/streamrelay ] && [ ! -e /etc/streamrelay ] || fail "the purge left files"
  echo "dpkg -i and --purge: user, modes, nothing started, nothing left"
fi
echo "ok: $(basename "$deb") installs, verifies and serves"
