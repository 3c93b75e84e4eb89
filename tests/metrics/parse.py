"""Reads what /metrics answered from standard input with the Prometheus client library's own
parser (the Prometheus text format, or OpenMetrics with --openmetrics) and prints the metric
families as JSON: [{"name", "type", "samples": [{"name", "labels", "value"}]}]. A text the
parser refuses ends the program with its error, and a non-zero status."""

import json
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families


def main() -> None:
    text = sys.stdin.read()
    parse = openmetrics_families if "--openmetrics" in sys.argv else text_string_to_metric_families
    families = [
        {
            "name": family.name,
            "type": family.type,
            "samples": [
                {"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples
            ],
        }
        for family in parse(text)
    ]
    json.dump(families, sys.stdout)


if __name__ == "__main__":
    main()
