#!/usr/bin/env bash
# Install everything lbkit builds and tests with, from Debian 12's packages
# (scripts/apt-install.sh: no Debian service is started, and those the
# packages enable are disabled again), and the npm packages of the browser
# test (tests/integration/lab_failover: playwright-core, from its lockfile,
# driving Debian's chromium). Idempotent: what is present is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
# the lab's packages (deploy/lab/packages), then the test toolchain's
mapfile -t PKGS < <(grep -v '^#' deploy/lab/packages | grep .)
PKGS+=(
  clang libclang-rt-14-dev libnl-3-dev libnl-route-3-dev
  haproxy keepalived nginx-light frr
  redis-server python3-aiosmtpd postgresql python3-dnslib
  wrk tshark apache2-utils iperf3 psmisc valgrind linux-perf nftables
  prometheus prometheus-haproxy-exporter hatop tmux
  mmdebstrap systemd systemd-container man-db
  chromium
)
# Node.js: the machine's own when it has one, else the distribution's
command -v node >/dev/null && command -v npm >/dev/null || PKGS+=(nodejs npm)
./scripts/apt-install.sh "${PKGS[@]}"
web=tests/integration/lab_failover
want=$(node -p "require('./$web/package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "require('./$web/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  echo "deps: npm ci in $web (playwright-core $want)"
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: the test uses /usr/bin/chromium
  (cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
