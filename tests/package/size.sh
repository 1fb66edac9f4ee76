#!/usr/bin/env bash
# Issue 8's goal: the all-in-one lifeline binary (libgpiod and libserialport linked in) is at
# most 1.5 MB on every architecture the package ships. Checks the binary as the robot gets
# it and fails above the goal (docs/packaging.md#binary-size).
#   tests/package/size.sh ARCH FILE
# FILE is a .deb (its /usr/bin/lifeline is checked as shipped) or a build's unstripped
# `lifeline` (stripped with the target's strip and without .comment, as build.sh does for
# the package, so the number is the one the .deb would carry).
# LIFELINE_SIZE_GOAL overrides the limit in bytes (default 1,500,000: "1.5 MB" read as
# decimal, the stricter reading; 1.5 MiB would be 1,572,864).
set -euo pipefail
arch=${1:?usage: size.sh ARCH FILE}
file=${2:?usage: size.sh ARCH FILE}
goal=${LIFELINE_SIZE_GOAL:-1500000}
case $arch in
  amd64) prefix= ;;
  arm64) prefix=aarch64-linux-gnu- ;;
  armhf) prefix=arm-linux-gnueabihf- ;;
  *) echo "size.sh: unknown architecture '$arch'" >&2; exit 2 ;;
esac
[[ -f $file ]] || { echo "size.sh: $file: no such file" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/lifeline
if [[ $file == *.deb ]]; then
  dpkg-deb --fsys-tarfile "$file" | tar -x -C "$tmp" ./usr/bin/lifeline
  mv "$tmp/usr/bin/lifeline" "$bin"
else
  "${prefix}strip" -o "$bin" "$file"
  "${prefix}objcopy" --remove-section=.comment "$bin"
fi
readelf -h "$bin" >/dev/null  # an ELF file, or fail here

bytes=$(stat -c %s "$bin")
# Where the bytes are, largest sections first. On arm64 the file also holds up to 64 KiB of
# zeros before the RW segment (binutils 2.40 ends RELRO on a 64 KiB page), which no
# section shows: the size moves in steps when the layout shifts.
echo "sections above 4 KiB, bytes:"
"${prefix}size" -A "$bin" | awk 'NR > 2 && $1 != "Total" && $2 > 4096 {print "  " $1, $2}' |
  sort -k2 -nr
echo "$arch lifeline stripped: $bytes B (goal <= $goal B, margin $((goal - bytes)) B)"
if ((bytes > goal)); then
  echo "FAIL: $arch binary is $((bytes - goal)) B over the goal" >&2
  exit 1
fi
