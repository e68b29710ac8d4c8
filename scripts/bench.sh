#!/usr/bin/env bash
# The benchmark suite (`make bench`): every Go benchmark of every module,
# then the sync fleet benchmark at full size, printed as one table.
#
#   BENCH_QUICK=1        a fleet of 2,000 accounts at a 6 s interval (about
#                        40 s) instead of 10,000 at 30 s (about 3 minutes),
#                        and 100 streamed accounts (about 7 minutes) instead
#                        of 10,000 (hours: Binance's limits are not scaled,
#                        see host/e2e/streams_bench_test.go)
#   BENCH_FILTER=regexp  only the benchmarks matching it (default: all)
#   GAHOST_BENCH_*       sizes of the fleet benchmark, see
#                        host/internal/scheduler/fleet_bench_test.go
#
# Raw `go test -bench` output is kept in $BENCH_OUT (default a temp file).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
filter=${BENCH_FILTER:-.}
out=${BENCH_OUT:-$(mktemp -t gahost-bench.XXXXXX)}
: >"$out"

if [ "${BENCH_QUICK:-}" = 1 ]; then
  export GAHOST_BENCH_ACCOUNTS=${GAHOST_BENCH_ACCOUNTS:-2000}
  export GAHOST_BENCH_INTERVAL=${GAHOST_BENCH_INTERVAL:-6s}
  export GAHOST_BENCH_STREAM_ACCOUNTS=${GAHOST_BENCH_STREAM_ACCOUNTS:-100}
fi

# The workspace's modules (go.work), as directories relative to here.
modules=()
while read -r dir; do
  modules+=("${dir#"$PWD"/}")
done < <($GO list -m -f '{{.Dir}}')

# The ccxt side of BenchmarkBinanceSync (host/e2e), where node and npm are
# here: ccxt at the version its lock file pins, into an ignored folder.
# Without them that benchmark measures gahost alone.
if command -v node >/dev/null && command -v npm >/dev/null &&
  [ ! -f scripts/bench/ccxt/node_modules/ccxt/package.json ]; then
  echo "== npm ci scripts/bench/ccxt" >&2
  (cd scripts/bench/ccxt && npm ci --no-audit --no-fund --ignore-scripts >&2) ||
    echo "npm ci failed: BenchmarkBinanceSync runs without ccxt" >&2
fi

# Micro benchmarks: each for its default time. The fleet benchmark runs
# once, on its own, below.
for m in "${modules[@]}"; do
  echo "== go test -bench $m" >&2
  (cd "$m" && $GO test -run '^$' -bench "$filter" -skip '^Benchmark(Fleet|Streams)$' -benchmem ./... 2>&1) |
    tee -a "$out" | grep -E '^(Benchmark|FAIL|---)' >&2 || true
done

if [[ "BenchmarkFleet" =~ $filter ]] || [ "$filter" = . ]; then
  echo "== go test -bench Fleet host/internal/scheduler (accounts=${GAHOST_BENCH_ACCOUNTS:-10000} interval=${GAHOST_BENCH_INTERVAL:-30s})" >&2
  (cd host && $GO test -run '^$' -bench '^BenchmarkFleet$' -benchtime 1x -timeout 30m ./internal/scheduler/ 2>&1) |
    tee -a "$out" | grep -E '^(Benchmark|FAIL|---|\s+fleet)' >&2 || true
fi

if [[ "BenchmarkStreams" =~ $filter ]] || [ "$filter" = . ]; then
  echo "== go test -bench Streams host/e2e (accounts=${GAHOST_BENCH_STREAM_ACCOUNTS:-10000})" >&2
  (cd host && $GO test -run '^$' -bench '^BenchmarkStreams$' -benchtime 1x -timeout 12h ./e2e/ 2>&1) |
    tee -a "$out" | grep -E '^(Benchmark|FAIL|---|\s+streams_bench)' >&2 || true
fi

if grep -qE '^(FAIL|--- FAIL)' "$out"; then
  echo "some benchmarks failed; raw output in $out" >&2
  status=1
else
  status=0
fi

# One row per reported figure: "pkg:" lines name the package of the
# benchmark lines after them.
echo
awk '
  /^pkg: / { pkg = $2; sub(/^github.com\/globalautomation\/gahost\//, "", pkg) }
  /^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name)
    for (i = 3; i + 1 <= NF; i += 2) printf "%s\t%s\t%s\t%s\n", pkg, name, $(i + 1), $i
  }' "$out" |
  { printf 'PACKAGE\tBENCHMARK\tMETRIC\tVALUE\n'; cat; } | column -t -s "$(printf '\t')"

# The targets of the sync scheduler (issue #5), from the fleet run.
awk '
  /^BenchmarkFleet/ {
    for (i = 3; i + 1 <= NF; i += 2) v[$(i + 1)] = $i
    found = 1
  }
  END {
    if (!found) exit
    cores = v["host-cores"] + v["plugin-cores"]
    printf "\nTARGET\tWANT\tGOT\tOK\n"
    printf "accounts synced per interval\t%d\t%d\t%s\n", v["accounts"], v["synced/interval"], (v["synced/interval"] >= v["accounts"]) ? "yes" : "NO"
    printf "host + plugin cores\t<= 0.5\t%.2f\t%s\n", cores, (cores <= 0.5) ? "yes" : "NO"
    printf "cpu seconds per 1000 syncs\t-\t%.2f\t-\n", v["cpu-s/1000syncs"]
    printf "host RSS MB\t<= 150\t%.0f\t%s\n", v["host-peak-rss-MB"], (v["host-peak-rss-MB"] <= 150) ? "yes" : "NO"
    printf "calls over the exchange limit\t0\t%d\t%s\n", v["calls-over-limit"], (v["calls-over-limit"] == 0) ? "yes" : "NO"
    printf "dashboard req/s (50 clients)\t>= 20000\t%.0f\t%s\n", v["dashboard-req/s"], (v["dashboard-req/s"] >= 20000) ? "yes" : "NO"
    printf "dashboard p99 ms\t-\t%.1f\t-\n", v["dashboard-p99-ms"]
  }' "$out" | column -t -s "$(printf '\t')"

# The targets of cheaper syncs (issue #16), from BenchmarkBinanceSync: CPU
# per 1,000 Binance syncs of gahost (host + plugin) over ccxt's (reused
# instances), against the same fake at the same pace, in one run: at most a
# fifth paced, and not worse than ccxt back to back.
awk '
  /^BenchmarkBinanceSync/ {
    for (i = 3; i + 1 <= NF; i += 2) v[$(i + 1)] = $i
    found = 1
  }
  END {
    if (!found) exit
    printf "\nTARGET\tWANT\tGOT\tOK\n"
    printf "paced cpu-s/1000 syncs (gahost / ccxt)\t-\t%.2f / %s\t-\n", v["paced-cpu-s/1000syncs"], ("ccxt-paced-cpu-s/1000syncs" in v) ? sprintf("%.2f", v["ccxt-paced-cpu-s/1000syncs"]) : "n/a"
    printf "back to back cpu-s/1000 syncs (gahost / ccxt)\t-\t%.2f / %s\t-\n", v["b2b-cpu-s/1000syncs"], ("ccxt-b2b-cpu-s/1000syncs" in v) ? sprintf("%.2f", v["ccxt-b2b-cpu-s/1000syncs"]) : "n/a"
    if ("paced-ratio" in v) {
      printf "paced cpu ratio gahost/ccxt\t<= 0.20\t%.2f\t%s\n", v["paced-ratio"], (v["paced-ratio"] <= 0.2) ? "yes" : "NO"
      printf "back to back cpu ratio gahost/ccxt (not worse)\t<= 1\t%.2f\t%s\n", v["b2b-ratio"], (v["b2b-ratio"] <= 1) ? "yes" : "NO"
    }
    printf "requests per Binance sync\t<= 3\t%.2f\t%s\n", v["requests/sync"], (v["requests/sync"] <= 3.05) ? "yes" : "NO"
  }' "$out" | column -t -s "$(printf '\t')"


# The targets of private streams (issue #13), from the streams run.
awk '
  /^BenchmarkStreams/ {
    for (i = 3; i + 1 <= NF; i += 2) v[$(i + 1)] = $i
    found = 1
  }
  END {
    if (!found) exit
    cores = v["host-cores"] + v["plugin-cores"]
    rss = v["host-peak-rss-MB"] + v["plugin-peak-rss-MB"]
    printf "\nSTREAMS (%d accounts)\tWANT\tGOT\tOK\n", v["accounts"]
    printf "change to dashboard p99 ms\t<= 2000\t%d\t%s\n", v["lag-p99-ms"], (v["lag-p99-ms"] <= 2000) ? "yes" : "NO"
    printf "change to store p99 ms (host)\t-\t%d\t-\n", v["host-lag-p99-ms"]
    printf "REST spot weight, steady %%\t<= 20\t%.1f\t%s\n", v["rest-spot-%"], (v["rest-spot-%"] <= 20) ? "yes" : "NO"
    printf "REST futures weight, steady %%\t<= 20\t%.1f\t%s\n", v["rest-futures-%"], (v["rest-futures-%"] <= 20) ? "yes" : "NO"
    printf "host + plugin cores\t<= 0.3\t%.3f\t%s\n", cores, (cores <= 0.3) ? "yes" : "NO"
    printf "host + plugin peak RSS MB\t<= 300\t%.0f\t%s\n", rss, (rss <= 300) ? "yes" : "NO"
    printf "all streamed from start s\t-\t%.0f\t-\n", v["connect-s"]
    printf "all back after a cut s\t-\t%.0f\t-\n", v["recover-s"]
    printf "mismatches\t-\t%d\t-\n", v["mismatches"]
  }' "$out" | column -t -s "$(printf '\t')"


# The targets of several hosts on one PostgreSQL database (issue #14), from
# BenchmarkCluster (host/e2e; absent without PostgreSQL): accounts synced
# per interval by one, two and three hosts with a budget each, and the
# takeover after a host is killed.
awk '
  /^BenchmarkCluster/ {
    for (i = 3; i + 1 <= NF; i += 2) v[$(i + 1)] = $i
    found = 1
  }
  END {
    if (!found) exit
    printf "\nTARGET\tWANT\tGOT\tOK\n"
    printf "accounts synced per interval, 1 / 2 / 3 hosts\t-\t%d / %d / %d\t-\n", v["synced/interval-1host"], v["synced/interval-2hosts"], v["synced/interval-3hosts"]
    printf "3 hosts over 1 host\t>= 2.7\t%.2f\t%s\n", v["scale-3hosts"], (v["scale-3hosts"] >= 2.7) ? "yes" : "NO"
    printf "takeover after kill -9 (s)\t<= %.0f\t%.1f\t%s\n", v["takeover-bound-s"], v["takeover-s"], (v["takeover-s"] <= v["takeover-bound-s"]) ? "yes" : "NO"
  }' "$out" | column -t -s "$(printf '\t')"

# The dashboard targets of issue #16, from BenchmarkDashboardBalances:
# gahost's server CPU per request over a static gin handler's serving the
# same bytes behind a token check, and the p99 while syncs are written.
awk '
  /^BenchmarkDashboardBalances/ {
    for (i = 3; i + 1 <= NF; i += 2) v[$(i + 1)] = $i
    found = 1
  }
  END {
    if (!found) exit
    printf "\nTARGET\tWANT\tGOT\tOK\n"
    printf "dashboard server cpu-µs/req (gahost / static gin)\t-\t%.1f / %.1f\t-\n", v["cpu-µs/req"], v["static-cpu-µs/req"]
    printf "dashboard cpu ratio gahost/static\t<= 1.25\t%.2f\t%s\n", v["cpu-ratio"], (v["cpu-ratio"] <= 1.25) ? "yes" : "NO"
    printf "dashboard p99 ms while syncs run (static: %.1f)\t<= 10\t%.1f\t%s\n", v["static-p99-ms"], v["syncing-p99-ms"], (v["syncing-p99-ms"] <= 10) ? "yes" : "NO"
  }' "$out" | column -t -s "$(printf '\t')"

echo
echo "raw output: $out"
exit "$status"
