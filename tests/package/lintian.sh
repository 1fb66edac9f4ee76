#!/usr/bin/env bash
# lintian on a lifeline .deb: fails on any error, and on any warning not listed (with the
# reason it is kept) in tests/package/lintian-allowed.txt. Prints lintian's full output.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
deb=${1:?usage: lintian.sh FILE.deb}
out=$(lintian --no-cfg --display-info --tag-display-limit 0 "$deb" 2>&1) || true
echo "$out"
errors=$(grep -c '^E: ' <<<"$out" || true)
allowed=$(sed -n 's/^\([a-z0-9-]*\)\s.*/\1/p' "$HERE/lintian-allowed.txt")
unexpected=$(grep '^W: ' <<<"$out" | awk '{print $3}' | grep -vxF -f <(echo "$allowed") || true)
if ((errors)); then echo "FAIL: lintian reported $errors error(s)" >&2; exit 1; fi
if [[ -n $unexpected ]]; then
  echo "FAIL: warnings not in lintian-allowed.txt: $(sort -u <<<"$unexpected" | paste -sd' ')" >&2
  exit 1
fi
# lintian must have looked at the package: an unreadable .deb is an error, never silence.
lintian --no-cfg --print-version >/dev/null
dpkg-deb --info "$deb" >/dev/null
echo "PASS: no lintian errors; warnings all listed in lintian-allowed.txt"
