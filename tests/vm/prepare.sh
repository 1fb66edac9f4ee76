#!/usr/bin/env bash
# The vm tier's setup (ctest fixture vm_image, ./dev vm image): builds the guest's lifeline
# without sanitizers in build/vm (installed as /usr/bin/lifeline, so prefix /usr), then the
# cached VM image. LIFELINE_VM_BINARY=PATH uses a binary built elsewhere instead.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
binary=${LIFELINE_VM_BINARY:-}
if [[ -z $binary ]]; then
  cmake -S "$ROOT" -B "$ROOT/build/vm" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_INSTALL_PREFIX=/usr -DLIFELINE_TESTS=OFF -DLIFELINE_BENCH=OFF >/dev/null
  cmake --build "$ROOT/build/vm" --target lifeline -j "$(nproc)"
  binary=$ROOT/build/vm/lifeline
fi
exec "$ROOT/tests/vm/build-image.sh" "$binary" "${LIFELINE_VM_CACHE:-$ROOT/.cache/vm}"
