#!/usr/bin/python3
# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""Builds the Python client's wheel: python3 build_wheel.py OUTDIR.

The wheel holds devenv_client (this folder) and the packages generated into
gen/python from the project's own protos (modelarts.devenv.v1,
modelarts.notebook.v1, devenvfacade.rpc.v1, devenvfacade.watch.v1), so that
a project of one's own installs it without this repository on its path. The
generated packages of protos that are not the project's are left out: other
distributions own those files, and the wheel depends on them instead
(pyproject.toml), so that installing it overwrites none of their files and
uninstalling it deletes none (THEIRS below says which). It is built
offline, with the setuptools and wheel of the interpreter that runs this
(Debian's python3-setuptools and python3-wheel for /usr/bin/python3): the
sources are copied into a staging directory next to pyproject.toml, and
setuptools' PEP 517 backend builds the wheel there. Prints the wheel's
path; setuptools' own output is shown only when the build fails.
"""

import contextlib
import io
import os
import pathlib
import shutil
import sys
import tempfile
from typing import Callable

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
GEN_PYTHON = REPO_ROOT / "gen" / "python"

# THEIRS maps the top-level packages of gen/python that the wheel leaves
# out to the distribution on PyPI that owns them, which the wheel depends
# on: googleapis-common-protos (google.api, google.rpc) and
# protoc-gen-openapiv2 (protoc_gen_openapiv2.options, the grpc-gateway
# annotations devenv_pb2 imports).
THEIRS = {
    "google": "googleapis-common-protos",
    "protoc_gen_openapiv2": "protoc-gen-openapiv2",
}

IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def build_in_stage(outdir: pathlib.Path, stage_sources: Callable[[pathlib.Path], None]) -> pathlib.Path:
    """Builds a wheel into outdir from a staging directory that
    stage_sources fills (a pyproject.toml, and the packages under src/),
    offline with setuptools; returns the wheel's path."""
    outdir = outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="devenv-wheel-") as tmp:
        stage = pathlib.Path(tmp)
        stage_sources(stage)
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


def stage_client(stage: pathlib.Path) -> None:
    """Stages the client: pyproject.toml, LICENSE, devenv_client and the
    project's own generated packages."""
    shutil.copy(HERE / "pyproject.toml", stage)
    shutil.copy(REPO_ROOT / "LICENSE", stage)
    src = stage / "src"
    src.mkdir()
    for pkg in sorted(GEN_PYTHON.iterdir()):
        if pkg.is_dir() and pkg.name not in THEIRS:
            shutil.copytree(pkg, src / pkg.name, ignore=IGNORE)
    shutil.copytree(HERE / "devenv_client", src / "devenv_client", ignore=IGNORE)


def build(outdir: pathlib.Path) -> pathlib.Path:
    """Builds the client's wheel into outdir; returns its path."""
    return build_in_stage(outdir, stage_client)


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: build_wheel.py OUTDIR", file=sys.stderr)
        return 2
    sys.dont_write_bytecode = True
    print(build(pathlib.Path(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
