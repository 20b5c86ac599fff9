#!/usr/bin/python3
# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""Builds the Python client's wheel: python3 build_wheel.py OUTDIR.

The wheel holds devenv_client (this folder) and the stubs generated into
gen/python, so that a project of one's own installs it without this
repository on its path. It is built offline, with the setuptools and wheel
of the interpreter that runs this (Debian's python3-setuptools and
python3-wheel for /usr/bin/python3): the sources are copied into a staging
directory next to pyproject.toml, and setuptools' PEP 517 backend builds
the wheel there. Prints the wheel's path; setuptools' own output is shown
only when the build fails.
"""

import contextlib
import io
import os
import pathlib
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


def build(outdir: pathlib.Path) -> pathlib.Path:
    outdir = outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="devenv-client-wheel-") as tmp:
        stage = pathlib.Path(tmp)
        shutil.copy(HERE / "pyproject.toml", stage)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(REPO_ROOT / "gen" / "python", stage / "src", ignore=ignore)
        shutil.copytree(HERE / "devenv_client", stage / "src" / "devenv_client", ignore=ignore)
        shutil.copy(REPO_ROOT / "LICENSE", stage)
        cwd = os.getcwd()
        os.chdir(stage)
        try:
            from setuptools import build_meta  # pylint: disable=import-outside-toplevel

            # setuptools narrates every file it copies; that is shown
            # only when the build fails.
            narration = io.StringIO()
            try:
                with contextlib.redirect_stdout(narration), contextlib.redirect_stderr(narration):
                    name = build_meta.build_wheel(str(outdir))
            except BaseException:
                sys.stderr.write(narration.getvalue())
                raise
        finally:
            os.chdir(cwd)
    return outdir / name


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: build_wheel.py OUTDIR", file=sys.stderr)
        return 2
    sys.dont_write_bytecode = True
    print(build(pathlib.Path(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
