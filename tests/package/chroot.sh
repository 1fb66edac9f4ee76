#!/usr/bin/env bash
# A minimal Debian bookworm root file system for the package tests, built with mmdebstrap
# and cached as a tarball under .cache/package/, keyed by this script and the package list.
#   tests/package/chroot.sh [PACKAGES...]   prints the tarball's path (as root)
# The packages are the .deb's runtime dependencies (so `dpkg -i` works offline) plus
# systemd (for systemd-analyze and a realistic /lib/systemd tree). No systemd runs in it.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
CACHE=${LIFELINE_PACKAGE_CACHE:-$ROOT/.cache/package}
[[ $(id -u) -eq 0 ]] || { echo "chroot.sh: needs root (mmdebstrap --mode=root)" >&2; exit 1; }

packages=$(printf '%s\n' systemd "$@" | LC_ALL=C sort -u | paste -sd, -)
mirror=$(grep -rhs '^URIs:' /etc/apt/sources.list.d/debian.sources | head -n1 | awk '{print $2}')
mirror=${mirror:-http://deb.debian.org/debian}
key=$({ sha256sum "$0" | cut -d' ' -f1; echo "$packages $mirror"; } | sha256sum | cut -c1-16)
tarball=$CACHE/bookworm-$key.tar
if [[ ! -s $tarball ]]; then
  mkdir -p "$CACHE"
  echo "chroot.sh: mmdebstrap bookworm minbase + $packages" >&2
  tmp=$(mktemp "$CACHE/.bookworm-XXXXXX.tar")
  trap 'rm -f "$tmp"' EXIT
  mmdebstrap --mode=root --variant=minbase --quiet --format=tar \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include="$packages" \
    bookworm "$tmp" "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >&2
  mv "$tmp" "$tarball"
  trap - EXIT
  # Older tarballs (other keys) are no longer used.
  find "$CACHE" -maxdepth 1 -name 'bookworm-*.tar' ! -name "bookworm-$key.tar" -delete
fi
echo "$tarball"
