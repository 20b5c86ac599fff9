#!/usr/bin/python3
# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""Builds TEST-ONLY stand-ins for the PyPI distributions the client's
wheel depends on for the common protos: python3 build_standin_wheels.py
OUTDIR.

The client's wheel (build_wheel.py) leaves out the generated packages that
other distributions own and depends on those distributions instead:
googleapis-common-protos (google.api, google.rpc) and protoc-gen-openapiv2
(protoc_gen_openapiv2.options). PyPI cannot be reached where the project
is built and tested, and Debian packages neither for bookworm's Python, so
examples/test-outside.sh installs the wheel from a directory holding these
stand-ins instead (pip --no-index --find-links, through PIP_NO_INDEX and
PIP_FIND_LINKS), which exercises pip's resolution of the wheel's
dependencies as PyPI would serve them.

Each stand-in has the name of the distribution it stands in for, the
lowest version the client accepts with the local label "+standin"
(googleapis-common-protos 1.56.2+standin), and the packages of gen/python
that the distribution owns, generated here from the same protos. They are
never shipped: `make client-packages` does not build them, and nothing
publishes them. Prints the wheels' paths.
"""

import pathlib
import shutil
import subprocess
import sys

import build_wheel

# The version each stand-in carries: the lowest the client's
# pyproject.toml accepts, marked as a stand-in.
VERSIONS = {
    "googleapis-common-protos": "1.56.2+standin",
    "protoc-gen-openapiv2": "0.0.1+standin",
}

PYPROJECT = """\
# TEST-ONLY stand-in for the PyPI distribution {name}, built by
# clients/python/build_standin_wheels.py from gen/python. Never ship it.
[build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
description = "TEST-ONLY stand-in for {name}, built from devenv-facade's gen/python for offline tests; not the PyPI distribution"
requires-python = ">=3.11"
dependencies = ["protobuf>=4.21.12"]

[tool.setuptools.packages.find]
where = ["src"]
namespaces = true

[tool.setuptools.package-data]
"*" = ["*.pyi"]
"""


def build_standin(outdir: pathlib.Path, name: str) -> pathlib.Path:
    """Builds the stand-in for the distribution name into outdir."""
    packages = [pkg for pkg, owner in build_wheel.THEIRS.items() if owner == name]

    def stage(stage: pathlib.Path) -> None:
        (stage / "pyproject.toml").write_text(PYPROJECT.format(name=name, version=VERSIONS[name]))
        for pkg in packages:
            shutil.copytree(build_wheel.GEN_PYTHON / pkg, stage / "src" / pkg, ignore=build_wheel.IGNORE)

    return build_wheel.build_in_stage(outdir, stage)


def main() -> int:
    if len(sys.argv) == 3:  # OUTDIR NAME: one stand-in, in this process
        sys.dont_write_bytecode = True
        print(build_standin(pathlib.Path(sys.argv[1]), sys.argv[2]))
        return 0
    if len(sys.argv) != 2:
        print("usage: build_standin_wheels.py OUTDIR", file=sys.stderr)
        return 2
    # One process per wheel: setuptools keeps state from one build to the
    # next in a process (a second build there lands in another folder).
    for name in sorted(set(build_wheel.THEIRS.values())):
        subprocess.run([sys.executable, "-B", __file__, sys.argv[1], name], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
