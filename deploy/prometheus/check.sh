#!/usr/bin/env bash
# Checks the Prometheus configuration and alert rules of deploy/prometheus with promtool (Debian package
# `prometheus`; .ci/run installs it when missing):
#   promtool check config   prometheus.yml (and the rule files it loads)
#   promtool check rules    prunelab-alerts.yml
#   promtool test rules     tests/*.yml (every alert firing, and quiet in the cases that look alike)
# deploy-check's tests check that deploy/k8s/components/monitoring/prometheusrule.yaml holds the same rules.
set -euo pipefail
cd "$(dirname "$0")"
command -v promtool >/dev/null || { echo "check.sh: promtool not found (apt-get install prometheus)" >&2; exit 1; }
promtool --version 2>&1 | sed -n 1p
promtool check config prometheus.yml
promtool check rules prunelab-alerts.yml
promtool test rules tests/*.yml
