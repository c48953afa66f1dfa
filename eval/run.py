"""Run the gold-set evaluation from a checkout: `python eval/run.py --pdfs DIR [flags]`.

The same as `screener eval` (the code lives in screener/evaluate*.py so the installed command
has it too); reports land in eval/results/ by default.
"""

from __future__ import annotations

import argparse
import sys

from screener.evaluate_command import add_eval_arguments


def main(argv: list[str] | None = None) -> int:
    parser = add_eval_arguments(
        argparse.ArgumentParser(prog="eval/run.py", description="Evaluate against the gold set.")
    )
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
