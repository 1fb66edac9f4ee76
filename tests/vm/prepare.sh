#!/usr/bin/env bash
# The vm tier's setup (ctest fixture vm_image, ./dev vm image): the cached VM image, with
# lifeline installed as it ships, from its amd64 .deb (dpkg -i in the image's chroot, so
# the maintainer scripts enable the service as on a robot). The .deb is
#   LIFELINE_VM_DEB=FILE, else the newest lifeline_*_amd64.deb in LIFELINE_VM_DEB_DIR
#   (ctest: the package tests' fixture package_debs built it), else built here
#   (tests/package/build.sh, in build/deb).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
deb=${LIFELINE_VM_DEB:-}
if [[ -z $deb && -n ${LIFELINE_VM_DEB_DIR:-} ]]; then
  deb=$(ls -t "$LIFELINE_VM_DEB_DIR"/lifeline_*_amd64.deb 2>/dev/null | head -n1 || true)
fi
if [[ -z $deb ]]; then
  deb=$("$ROOT/tests/package/build.sh" deb amd64 "$ROOT/build/vm-deb" | tail -n1)
fi
exec "$ROOT/tests/vm/build-image.sh" "$deb" "${LIFELINE_VM_CACHE:-$ROOT/.cache/vm}"
