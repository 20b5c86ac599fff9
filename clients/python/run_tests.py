#!/usr/bin/python3
# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""Runs the Python client's tests (tests/test_*.py) with unittest.

Run it with Debian's /usr/bin/python3, which sees python3-grpcio and
python3-protobuf (make test-python does). It puts gen/python and this
folder on sys.path, writes no bytecode into the tree, and ends with one
line of counts, "python: N passed, N failed, N skipped"; it fails when a
test failed or none ran.
"""

import pathlib
import sys
import unittest

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


class CountingResult(unittest.TextTestResult):
    """Counts the tests that passed; unittest counts only those that ran."""

    passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main() -> int:
    sys.dont_write_bytecode = True
    sys.path[:0] = [str(REPO_ROOT / "gen" / "python"), str(HERE)]
    suite = unittest.defaultTestLoader.discover(str(HERE / "tests"), top_level_dir=str(HERE))
    result = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult).run(suite)
    # Errors include those of module fixtures (the facade that did not
    # start or stop), which are no test of their own.
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"python: {result.passed} passed, {failed} failed, {len(result.skipped)} skipped")
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
