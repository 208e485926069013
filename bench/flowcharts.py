"""Benchmark: drawing an escalation policy's flowchart (10 rules by default).

    .venv/bin/python bench/flowcharts.py [--rules 10] [--rounds 30]

Prints milliseconds per flowchart for, in interleaved rounds:

1. build: the policy rows to a ``graphviz.Digraph`` (``policy_flowchart``), pure Python;
2. cold: that plus ``dot -Tsvg`` in a subprocess (``svg_render`` with an empty cache);
3. warm: the same with the drawing already kept (what most page views cost);

as median, p90 and min–max over the rounds. No database: the policy is built in memory
(rules with a schedule, two people and a whole-team target; every third rule for high
urgency only; two repeats). Bounded: --rounds × 3 renders.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from common.graphs import svg_cache_clear, svg_render
from oncall.policies.flowchart import policy_flowchart, policy_flowchart_title


class Rows(list):
    """What ``rule.targets.all()`` returns after the prefetch."""

    def all(self):
        return self


def policy_in_memory(rules: int) -> SimpleNamespace:
    def person(name):
        return SimpleNamespace(get_full_name=lambda: name, get_username=lambda: name.lower())

    made = Rows()
    for index in range(rules):
        made.append(
            SimpleNamespace(
                delay_minutes=5 + index,
                high_urgency_only=index % 3 == 2,
                targets=Rows(
                    [
                        SimpleNamespace(
                            type="schedule",
                            user=None,
                            schedule=SimpleNamespace(name=f"Primary {index}"),
                            team=None,
                        ),
                        SimpleNamespace(
                            type="user", user=person(f"Person {index}a"), schedule=None, team=None
                        ),
                        SimpleNamespace(
                            type="user", user=person(f"Person {index}b"), schedule=None, team=None
                        ),
                        SimpleNamespace(
                            type="team",
                            user=None,
                            schedule=None,
                            team=SimpleNamespace(name="Payments"),
                        ),
                    ]
                ),
            )
        )
    return SimpleNamespace(name="Bench policy", repeat=2, rules=made)


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def summary(name: str, figures: list[float]) -> str:
    ordered = sorted(figures)
    p90 = ordered[max(0, round(len(ordered) * 0.9) - 1)]
    return (
        f"{name:>6}: median {statistics.median(ordered):7.2f} ms   p90 {p90:7.2f} ms   "
        f"min–max {ordered[0]:.2f}–{ordered[-1]:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    policy = policy_in_memory(args.rules)
    title = policy_flowchart_title(policy)
    build, cold, warm = [], [], []
    svg = ""
    for _round in range(args.rounds):
        build.append(timed(lambda: policy_flowchart(policy)))
        svg_cache_clear()
        cold.append(timed(lambda: svg_render(policy_flowchart(policy), title=title)))
        warm.append(timed(lambda: svg_render(policy_flowchart(policy), title=title)))
        svg = svg_render(policy_flowchart(policy), title=title)
    print(f"A {args.rules}-rule policy, {args.rounds} rounds; SVG {len(svg) / 1024:.1f} KiB")
    print(summary("build", build))
    print(summary("cold", cold))
    print(summary("warm", warm))


if __name__ == "__main__":
    main()
