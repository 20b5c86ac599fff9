# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""The client's wheel (build_wheel.py, make client-packages) holds only the
project's own packages: the generated packages of protos it does not own
come from the distributions that own them, which the wheel depends on, so
installing it overwrites none of another distribution's files and
uninstalling it deletes none. (examples/test-outside.sh installs it with
those dependencies, then uninstalls it.)"""

from __future__ import annotations

import email.parser
import pathlib
import re
import sys
import tempfile
import unittest
import zipfile

import build_wheel

# The distribution that provides an imported module, by the module's
# name or the start of it, for the modules the wheel does not hold.
PROVIDERS = {
    "google.protobuf": "protobuf",
    "grpc": "grpcio",
    "google.api": "googleapis-common-protos",
    "google.rpc": "googleapis-common-protos",
    "protoc_gen_openapiv2": "protoc-gen-openapiv2",
}

IMPORT = re.compile(r"^(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)


def requirement_name(requirement: str) -> str:
    """The distribution a Requires-Dist names: "grpcio (>=1.51.1)" is grpcio."""
    return re.split(r"[\s(<>=!~;\[]", requirement, maxsplit=1)[0].lower()


class WheelTest(unittest.TestCase):
    names: list[str]
    files: dict[str, str]
    requires: set[str]

    @classmethod
    def setUpClass(cls) -> None:
        with tempfile.TemporaryDirectory(prefix="devenv-wheel-test-") as tmp:
            wheel = build_wheel.build(pathlib.Path(tmp))
            with zipfile.ZipFile(wheel) as z:
                cls.names = z.namelist()
                cls.files = {n: z.read(n).decode() for n in cls.names if n.endswith(".py")}
                metadata = next(n for n in cls.names if n.endswith(".dist-info/METADATA"))
                meta = email.parser.Parser().parsestr(z.read(metadata).decode())
        cls.requires = {requirement_name(r) for r in meta.get_all("Requires-Dist") or []}

    def test_holds_no_file_of_another_distribution(self) -> None:
        for name in self.names:
            top = name.split("/", 1)[0]
            self.assertNotIn(top, build_wheel.THEIRS, f"the wheel holds {name}, a file of {build_wheel.THEIRS.get(top)}")

    def test_holds_the_projects_packages(self) -> None:
        for want in ("devenv_client/__init__.py", "modelarts/devenv/v1/devenv_pb2.py",
                     "modelarts/devenv/v1/devenv_pb2_grpc.py", "devenvfacade/rpc/v1/declaration_pb2.py",
                     "devenvfacade/watch/v1/watch_pb2.py"):
            self.assertIn(want, self.names)

    def test_depends_on_what_it_leaves_out(self) -> None:
        for owner in set(build_wheel.THEIRS.values()) | {"grpcio", "protobuf"}:
            self.assertIn(owner, self.requires, f"the wheel does not depend on {owner}")

    def test_every_import_is_held_or_a_dependency(self) -> None:
        held = {name.split("/", 1)[0] for name in self.names if "/" in name and ".dist-info/" not in name}
        for path, text in self.files.items():
            for match in IMPORT.finditer(text):
                module = match.group(1) or match.group(2)
                top = module.split(".", 1)[0]
                if top in held or top in sys.stdlib_module_names or top == "__future__":
                    continue
                provider = next((d for prefix, d in PROVIDERS.items() if module == prefix or module.startswith(prefix + ".")), None)
                self.assertIsNotNone(provider, f"{path} imports {module}, which neither the wheel nor a known dependency provides")
                self.assertIn(provider, self.requires, f"{path} imports {module} of {provider}, which the wheel does not depend on")


if __name__ == "__main__":
    unittest.main()
