#!/usr/bin/env python3
"""Writes deploy/k8s/components/monitoring/prometheusrule.yaml from deploy/prometheus/prunelab-alerts.yml
(the same alert rules as a Prometheus operator PrometheusRule). Needs PyYAML. Run: python3 deploy/prometheus/to-prometheusrule.py"""
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)

rules = yaml.safe_load((DEPLOY / "prometheus" / "prunelab-alerts.yml").read_text())
rule = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": "prunelab-alerts"}, "spec": rules}
header = ("# Generated from deploy/prometheus/prunelab-alerts.yml (the same rules for the Prometheus operator).\n"
          "# Regenerate after editing that file: python3 deploy/prometheus/to-prometheusrule.py\n")
(DEPLOY / "k8s" / "components" / "monitoring" / "prometheusrule.yaml").write_text(
    header + yaml.dump(rule, Dumper=_Dumper, sort_keys=False, width=120))
