#!/usr/bin/env bash
# Run the cross build's unit tests under user-mode emulation (Debian's qemu-user, no
# binfmt): qemu-aarch64 / qemu-arm with -L pointing at the cross toolchain's libc.
#   tests/package/cross-unit.sh arm64|armhf BUILD_DIR [gtest args...]
# Fails unless the test binary really is a target ELF (so a host binary can never pass
# for it) and every unit test passes; prints how long the suite took.
set -euo pipefail
arch=${1:?arch} dir=${2:?build dir}
shift 2
case $arch in
  arm64) qemu=qemu-aarch64 prefix=/usr/aarch64-linux-gnu machine=AArch64 class=ELF64 ;;
  armhf) qemu=qemu-arm prefix=/usr/arm-linux-gnueabihf machine=ARM class=ELF32 ;;
  *) echo "cross-unit.sh: arm64 or armhf" >&2; exit 2 ;;
esac
bin=$dir/tests/unit_tests
[[ -x $bin ]] || { echo "FAIL: no $bin (./dev cross $arch builds it)" >&2; exit 1; }
header=$(readelf -h "$bin")
grep -Eq "Machine:\s+$machine\$" <<<"$header" && grep -q "Class:\s*$class" <<<"$header" ||
  { echo "FAIL: $bin is not an $arch ($class $machine) binary" >&2; exit 1; }
# Target libraries unpacked outside multiarch (build.sh's LIFELINE_CROSS_OVERLAY).
env=()
overlay=$(sed -n 's/^LIFELINE_CROSS_OVERLAY:[A-Z]*=//p' "$dir/CMakeCache.txt" 2>/dev/null || true)
if [[ -n $overlay ]]; then
  triplet=${prefix#/usr/}
  env=(-E "LD_LIBRARY_PATH=$overlay/usr/lib/$triplet:$overlay/lib/$triplet")
fi
start=$(date +%s.%N)
rc=0
# Tests that cannot run under user-mode emulation, each with its reason (printed).
excluded=$(sed -n 's/^\([A-Za-z0-9_]*\.[A-Za-z0-9_/]*\)\s.*/\1/p' "$(dirname "$0")/qemu-excluded.txt" | paste -sd:)
[[ -n $excluded ]] && echo "not run under $qemu (tests/package/qemu-excluded.txt): $excluded"
timeout --signal=TERM 3000 "$qemu" -L "$prefix" "${env[@]}" "$bin" --gtest_brief=1 \
  ${excluded:+"--gtest_filter=-$excluded"} "$@" || rc=$?
end=$(date +%s.%N)
printf '%s unit tests under %s: exit %d in %.1f s\n' "$arch" "$qemu" "$rc" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
exit "$rc"
