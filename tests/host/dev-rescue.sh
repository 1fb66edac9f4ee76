# Sourced by ./dev: what the rescue page (issue 9) needs beyond the core packages.
#   libcrypt-dev      yescrypt hashes for `lifeline passwd` (libxcrypt)
#   prometheus        promtool check metrics, and a real server scraping /metrics in a test
#   wrk               load for bench/rescue_bench.py
#   chromium, nodejs  the browser test (tests/browser/rescue_page.mjs, driven by Playwright)
#   curl              handy for people poking the page; the tests use their own client
PACKAGES+=(libcrypt-dev libcivetweb-dev prometheus wrk chromium curl)

# playwright-core from npm (the project uses Debian's chromium, never a downloaded browser),
# under the git-ignored .cache/; nothing to do when it is already there, so offline runs
# keep working once it was installed.
RESCUE_PLAYWRIGHT_VERSION=1.65.1
rescue_setup_playwright() {
  local dir=$ROOT/.cache/playwright
  if [[ -f $dir/node_modules/playwright-core/package.json ]] &&
     grep -q "\"version\": \"$RESCUE_PLAYWRIGHT_VERSION\"" "$dir/node_modules/playwright-core/package.json"; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    # Debian's node and npm; a machine that already has a node with npm keeps its own.
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      nodejs npm >/dev/null || { log "npm unavailable: the browser test will be skipped"; return 0; }
  fi
  log "installing playwright-core $RESCUE_PLAYWRIGHT_VERSION into .cache/playwright"
  mkdir -p "$dir"
  [[ -f $dir/package.json ]] || echo '{"private": true}' >"$dir/package.json"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent \
     "playwright-core@$RESCUE_PLAYWRIGHT_VERSION" >/dev/null 2>&1) ||
    log "playwright-core could not be installed (offline?): the browser test will be skipped"
}
SETUP_HOOKS+=(rescue_setup_playwright)

rescue_bench() { python3 bench/rescue_bench.py build/bench; }
BENCH_HOOKS+=(rescue_bench)
