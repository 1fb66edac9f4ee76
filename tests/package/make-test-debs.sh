#!/usr/bin/env bash
# The two packages the package tests use, built from this tree into OUT_DIR:
#   v1: lifeline_<version>_amd64.deb, as `./dev deb` makes it;
#   v2: lifeline_<version>+pkgtest2_amd64.deb, identical but for a newer version and one
#       more comment line in the default configuration (so the upgrade test meets a
#       changed conffile). Prints both paths.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
out=${1:?usage: make-test-debs.sh OUT_DIR}
rm -rf "$out"
mkdir -p "$out/v1" "$out/v2"
v1=$("$HERE/build.sh" deb amd64 "$out/v1")
version=$(dpkg-deb -f "$v1" Version)
v2=$(LIFELINE_DEB_VERSION="$version+pkgtest2" \
  LIFELINE_DEB_CONFFILE_NOTE="shipped by the upgrade test's second version" \
  "$HERE/build.sh" deb amd64 "$out/v2")
echo "$v1"
echo "$v2"
