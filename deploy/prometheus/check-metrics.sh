#!/usr/bin/env bash
# Checks what running services serve at /q/metrics with promtool check metrics, one URL after the other:
#   deploy/prometheus/check-metrics.sh [--all] URL...
#   deploy/prometheus/check-metrics.sh http://localhost:8080 http://localhost:8081 http://localhost:8082 http://localhost:8083
# A URL without a path gets /q/metrics. Fails when a page cannot be fetched, does not parse, or when promtool's lint
# finds a problem in one of the lab's own metrics (prunelab_*: names, units, _total suffixes, help text). Lint
# findings in the libraries' metrics (Kafka clients, Netty, JVM: names such as kafka_producer_io_time_ns_avg that
# are not ours to change) are listed and do not fail, unless --all is given.
#
# The page is requested in Prometheus' text format 0.0.4 (Accept header), the one promtool check metrics parses;
# Quarkus answers a plain request, and Prometheus' own scrapes, in OpenMetrics 1.0 with the same metrics.
set -euo pipefail
all=0
if [ "${1:-}" = --all ]; then all=1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--all] URL..." >&2; exit 2; }
command -v promtool >/dev/null || { echo "check-metrics: promtool not found (apt-get install prometheus)" >&2; exit 1; }
command -v curl >/dev/null || { echo "check-metrics: curl not found" >&2; exit 1; }

failed=0
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
for url in "$@"; do
  case "$url" in
    */metrics) ;;
    *) url="${url%/}/q/metrics" ;;
  esac
  if ! curl -sf --max-time 30 -H 'Accept: text/plain; version=0.0.4' "$url" -o "$body"; then
    echo "check-metrics: $url: cannot fetch" >&2
    failed=1
    continue
  fi
  families="$(grep -c '^# TYPE' "$body" || true)"
  set +e
  findings="$(promtool check metrics < "$body" 2>&1)"
  rc=$?
  set -e
  # promtool: 0 = clean, 3 = lint findings (one "name problem" per line), anything else = the page did not parse.
  if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
    echo "check-metrics: $url: not valid Prometheus text format (promtool exit $rc):" >&2
    echo "$findings" | sed 's/^/  /' >&2
    failed=1
    continue
  fi
  ours="$(echo "$findings" | grep '^prunelab_' || true)"
  theirs="$(echo "$findings" | grep -v '^prunelab_' | grep . || true)"
  if [ -n "$ours" ] || { [ "$all" = 1 ] && [ -n "$theirs" ]; }; then
    echo "check-metrics: $url: $families metric families; lint problems:" >&2
    [ -z "$ours" ] || echo "$ours" | sed 's/^/  /' >&2
    [ "$all" = 0 ] || [ -z "$theirs" ] || echo "$theirs" | sed 's/^/  /' >&2
    failed=1
  else
    echo "check-metrics: $url: $families metric families parse; prunelab_* metrics lint clean"
  fi
  if [ "$all" = 0 ] && [ -n "$theirs" ]; then
    echo "  ignored: $(echo "$theirs" | wc -l) lint findings in library metrics (--all lists them), e.g.:"
    # not `echo | head`: under pipefail, head leaving early can kill echo with SIGPIPE and end this script
    # silently before the next URL (seen in CI)
    sed -n '1,3s/^/    /p' <<< "$theirs"
  fi
done
exit "$failed"
