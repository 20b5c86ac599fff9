# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""Tests of the Python client; run them with run_tests.py (make test-python)."""
