# Sourced by ./dev: Debian packages and cross builds (docs/packaging.md).
#   ./dev deb [amd64|arm64|armhf]   build/deb/lifeline_<version>_<arch>.deb (default amd64)
#   ./dev cross arm64|armhf         cross build in build/cross-ARCH, unit tests under qemu-user
PACKAGES+=(lintian mmdebstrap qemu-user dpkg-dev binutils)

# The cross toolchains and the target architectures' -dev packages (multiarch), installed
# by ./dev cross, ./dev deb ARCH and ./dev test (package_cross_setup below). Package
# installs never start services (policy-rc.d answers 101).
package_cross_deps() {  # arch
  local arch=$1 triplet
  case $arch in
    arm64) triplet=aarch64-linux-gnu ;;
    armhf) triplet=arm-linux-gnueabihf ;;
    *) log "unknown architecture '$arch' (arm64, armhf)"; return 2 ;;
  esac
  local wanted=(crossbuild-essential-"$arch" qemu-user
    libsystemd-dev:"$arch" libgpiod-dev:"$arch" libserialport-dev:"$arch"
    libcivetweb-dev:"$arch" libtomlplusplus-dev:"$arch" libcrypt-dev:"$arch" libgtest-dev:"$arch" libgmock-dev:"$arch")
  local overlay=$ROOT/.cache/package/overlay-$arch
  local missing=() p
  for p in "${wanted[@]}"; do
    # libsystemd may live in the overlay (below) instead of multiarch.
    [[ $p == libsystemd-dev:* && -f $overlay/usr/lib/$triplet/pkgconfig/libsystemd.pc ]] && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    log "dpkg --add-architecture $arch"
    "${sudo[@]}" dpkg --add-architecture "$arch"
  fi
  local policy=/usr/sbin/policy-rc.d created=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    created=1
  fi
  log "installing for $arch ($triplet): ${missing[*]}"
  # An index that fails to download (a mirror mid-sync) must not stop the install of what
  # the other indexes provide; apt-get install fails by itself if something is missing.
  # A mirror mid-sync ("File has unexpected size ... Mirror sync in progress?") usually
  # heals within a minute: retry each file, then the whole update, before giving up.
  local try
  for try in 1 2 3; do
    "${sudo[@]}" apt-get update -qq -o Acquire::Retries=3 && break
    log "apt-get update reported errors (attempt $try of 3)"
    ((try == 3)) || sleep 30
  done
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
    --no-install-recommends)
  if ! "${apt[@]}" "${missing[@]}" >/dev/null; then
    # Seen with bookworm-security's armhf index failing to download: the host's liblzma5
    # comes from -security, :armhf only from main, and Multi-Arch: same forbids the skew,
    # so libsystemd0:armhf cannot be installed. Install the rest, and unpack libsystemd
    # (with liblzma5) into an overlay root that toolchain/*.cmake and cross-unit.sh use.
    log "multiarch cannot install libsystemd-dev:$arch; unpacking it into $overlay"
    local rest=()
    for p in "${missing[@]}"; do [[ $p == libsystemd-dev:* ]] || rest+=("$p"); done
    "${apt[@]}" "${rest[@]}" libzstd1:"$arch" liblz4-1:"$arch" libgcrypt20:"$arch" \
      libcap2:"$arch" >/dev/null
    # The .debs stay next to the overlay: build.sh gives their symbols files to
    # dpkg-shlibdeps.
    rm -rf "$overlay" "$overlay.debs"
    mkdir -p "$overlay" "$overlay.debs"
    (cd "$overlay.debs" && apt-get download -q libsystemd0:"$arch" libsystemd-dev:"$arch" \
      liblzma5:"$arch" >/dev/null 2>&1)
    for p in "$overlay.debs"/*.deb; do dpkg-deb -x "$p" "$overlay"; done
  fi
  ((created)) && "${sudo[@]}" rm -f "$policy"
  return 0
}

cmd_deb() {
  local arch=${1:-amd64}
  deps
  [[ $arch == amd64 ]] || package_cross_deps "$arch"
  local deb
  deb=$(tests/package/build.sh deb "$arch" "$ROOT/build/deb")
  log "built $deb"
  dpkg-deb --field "$deb" Package Version Architecture Depends >&2
  log "lintian"
  tests/package/lintian.sh "$deb" >&2
}

cmd_cross() {
  local arch=${1:-}
  [[ $arch == arm64 || $arch == armhf ]] || { sed -n '2,4p' tests/package/dev-package.sh; return 2; }
  deps
  package_cross_deps "$arch"
  tests/package/build.sh compile "$arch" "$ROOT/build/cross-$arch" --tests
  local triplet=aarch64-linux-gnu bin=build/cross-$arch/lifeline stripped
  [[ $arch == armhf ]] && triplet=arm-linux-gnueabihf
  stripped=$(mktemp)
  "$triplet-strip" -o "$stripped" "$bin"
  log "$bin: $(stat -c %s "$stripped") bytes stripped; NEEDED: $(readelf -d "$bin" |
    sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ')"
  rm -f "$stripped"
  log "unit tests under qemu-user"
  tests/package/cross-unit.sh "$arch" "build/cross-$arch"
}

# The cross label (cross_build_*, cross_unit_*) runs in ./dev test, so in CI: before the
# suite, ./dev test installs both toolchains and the :arm64/:armhf -dev packages here
# (non-interactive, service starts refused, apt-get update retried, the overlay when
# multiarch cannot co-install libsystemd). Only ./dev test: ./dev demo and ./dev build do
# not need them. `./dev cross ARCH` installs one and runs its build and unit tests alone.
package_cross_setup() {
  package_cross_deps arm64
  package_cross_deps armhf
}
TEST_HOOKS+=(package_cross_setup)
