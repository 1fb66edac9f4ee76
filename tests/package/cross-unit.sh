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
  arm64) qemu=qemu-aarch64 triplet=aarch64-linux-gnu loader=/lib/ld-linux-aarch64.so.1
    machine=AArch64 class=ELF64 ;;
  armhf) qemu=qemu-arm triplet=arm-linux-gnueabihf loader=/lib/ld-linux-armhf.so.3
    machine=ARM class=ELF32 ;;
  *) echo "cross-unit.sh: arm64 or armhf" >&2; exit 2 ;;
esac
bin=$dir/tests/unit_tests
[[ -x $bin ]] || { echo "FAIL: no $bin (./dev cross $arch builds it)" >&2; exit 1; }
header=$(readelf -h "$bin")
grep -Eq "Machine:\s+$machine\$" <<<"$header" && grep -q "Class:\s*$class" <<<"$header" ||
  { echo "FAIL: $bin is not an $arch ($class $machine) binary" >&2; exit 1; }
# The target's runtime is the multiarch libc6:ARCH (the -dev packages the build needs
# depend on it): its loader, $loader, and /lib/$triplet. No `-L /usr/$triplet`: that
# prefix's loader is the cross toolchain's libc6-ARCH-cross (2.36-8cross1 in bookworm)
# while /etc/ld.so.cache still resolves libc.so.6 to the multiarch copy (2.36-9+deb12uN),
# and a loader with another glibc build's libc hangs (arm64) or crashes (armhf) in the
# first pthread_create: every AsyncWriter test "hung under qemu" for exactly that reason.
[[ -e $loader ]] || { echo "FAIL: no $loader: install libc6:$arch (./dev cross $arch)" >&2; exit 1; }
env=()
overlay=$(sed -n 's/^LIFELINE_CROSS_OVERLAY:[A-Z]*=//p' "$dir/CMakeCache.txt" 2>/dev/null || true)
if [[ -n $overlay ]]; then
  # Target libraries unpacked outside multiarch (build.sh's LIFELINE_CROSS_OVERLAY).
  env=(-E "LD_LIBRARY_PATH=$overlay/usr/lib/$triplet:$overlay/lib/$triplet")
fi
# Refuse a skewed runtime instead of hanging in it: the loader and the libc.so.6 it will
# load must be the same glibc build (both print their version when run).
glibc_build() { "$qemu" "$@" 2>&1 | sed -n '1s/.*(\(.*\)).*/\1/p'; }
loader_build=$(glibc_build "$loader" --version)
libc_build=$(glibc_build "/lib/$triplet/libc.so.6")
if [[ -z $loader_build || $loader_build != "$libc_build" ]]; then
  echo "FAIL: $loader is '$loader_build' but /lib/$triplet/libc.so.6 is '$libc_build'" >&2
  exit 1
fi
echo "runtime: $loader_build ($loader, /lib/$triplet)"
start=$(date +%s.%N)
rc=0
# Tests that cannot run under user-mode emulation, each with its reason (printed).
excluded=$(sed -n 's/^\([A-Za-z0-9_]*\.[A-Za-z0-9_/]*\)\s.*/\1/p' "$(dirname "$0")/qemu-excluded.txt" | paste -sd:)
[[ -n $excluded ]] && echo "not run under $qemu (tests/package/qemu-excluded.txt): $excluded"
timeout --signal=TERM 3000 "$qemu" "${env[@]}" "$bin" --gtest_brief=1 \
  ${excluded:+"--gtest_filter=-$excluded"} "$@" || rc=$?
end=$(date +%s.%N)
printf '%s unit tests under %s: exit %d in %.1f s\n' "$arch" "$qemu" "$rc" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
exit "$rc"
