#!/bin/bash
# The Debian package made from this build tree by CPack, checked as package_test.sh checks the
# release one (`make package-test`):  build_and_check.sh BUILD_DIR SOURCE_DIR
# In `make test` the binary packaged is the test build's (sanitizers linked, so Depends also
# names libasan and libubsan); the package's rules, files, scripts and unit are the release's.
set -euo pipefail
build_dir=$1
source_dir=$2
out="$build_dir/package-check"
rm -rf "$out"
mkdir -p "$out"
if ! cpack --config "$build_dir/CPackConfig.cmake" -G DEB -B "$out" >"$out/cpack.log" 2>&1; then
  cat "$out/cpack.log"
  exit 1
fi
"$(dirname "$0")/package_test.sh" "$(ls "$out"/streamrelay_*.deb)" "$source_dir"
