"""The evaluation harness: question sets, metrics, runner, reports, baselines and gate."""
