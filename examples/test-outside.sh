#!/usr/bin/env bash
# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Runs docs/clients.md's "From a project of your own" as written, for Go,
# TypeScript and Python: each in a fresh directory outside the repository,
# each calling a facade (DEVENV_FACADE_BIN, else bin/devenv-facade, with
# its embedded emulator, on a free loopback port) with the example program
# from examples/, whose output must be what the docs say. `make
# test-examples` runs it.
#
# The docs' command lines appear here verbatim (examples/examples_test.go
# checks that), with the facade's address for 127.0.0.1:9090. It needs no
# network beyond what `make client-packages` needs: Go takes the modules
# from the module cache (GOPROXY=off), npm the dependencies' tarballs from
# its cache (npm ci filled both caches; npm still asks the registry for
# their metadata), pip no index (PIP_NO_INDEX): the wheel's dependencies
# on the common protos, which a user's pip takes from PyPI, resolve to
# test-only stand-ins built from gen/python
# (clients/python/build_standin_wheels.py) in a directory pip is pointed at
# (PIP_FIND_LINKS); grpcio and protobuf are Debian's.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
FACADE=${DEVENV_FACADE_BIN:-$REPO/bin/devenv-facade}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/devenv-examples.XXXXXX")
case "$WORK" in "$REPO"/*) echo "test-outside: $WORK is inside the repository" >&2; exit 1 ;; esac

facade_pid=
cleanup() {
	if [ -n "$facade_pid" ]; then
		kill -TERM "$facade_pid" 2>/dev/null || true
		wait "$facade_pid" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$FACADE" ] || { echo "test-outside: $FACADE is missing (make facade-binary)" >&2; exit 1; }
echo "== make -C \$REPO client-packages"
if ! make -C $REPO client-packages >"$WORK/make.log" 2>&1; then
	cat "$WORK/make.log" >&2; exit 1
fi

# The facade, its log in $WORK/facade.log; the "serving" line names the
# gRPC address it bound.
env -u DEVENV_FACADE_CONFIG "$FACADE" --grpc-addr 127.0.0.1:0 --http-addr "" --admin-addr "" --log-format text \
	</dev/null >/dev/null 2>"$WORK/facade.log" &
facade_pid=$!
ADDR=
for _ in $(seq 300); do
	ADDR=$(sed -n 's/.*msg=serving.* grpc_addr=\([^ ]*\).*/\1/p' "$WORK/facade.log")
	[ -n "$ADDR" ] && break
	kill -0 "$facade_pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$ADDR" ]; then
	echo "test-outside: the facade did not serve:" >&2; cat "$WORK/facade.log" >&2; exit 1
fi

failed=0
# check NAME OUTPUT_FILE EXPECTED_LINES...: the program printed exactly these lines.
check() {
	local name=$1 out=$2; shift 2
	if [ "$(cat "$out")" = "$(printf '%s\n' "$@")" ]; then
		echo "ok   $name"
	else
		echo "FAIL $name: printed"; sed 's/^/     /' "$out"; echo "     want"; printf '     %s\n' "$@"
		failed=1
	fi
}

echo "== Go (replace directive to the clone)"
# The module cache gets every module of the facade's go.mod (a no-op once
# make test or a build has run); the project of one's own then resolves
# offline.
(cd "$REPO" && go mod download)
cd "$WORK" && (
	export GOPROXY=off
	mkdir notebooks && cd notebooks
	go mod init example.com/notebooks 2>/dev/null
	go mod edit -require=github.com/devenv-facade/devenv-facade@v0.0.0 -replace=github.com/devenv-facade/devenv-facade=$REPO
	cp $REPO/go.sum .
	cp $REPO/examples/go/main.go .
	go mod tidy
	go run . $ADDR
) >"$WORK/go.out" 2>&1 || true
check go "$WORK/go.out" "notebooks_test RUNNING" "NotFound ModelArts.6309 400"

echo "== TypeScript (npm tarball)"
cd "$WORK" && (
	export npm_config_prefer_offline=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
	mkdir notebooks-js && cd notebooks-js
	npm init -y >/dev/null
	npm install $REPO/bin/clients/devenv-facade-client-0.1.0.tgz >/dev/null
	cp $REPO/examples/node/example.mjs .
	node example.mjs http://$ADDR
) >"$WORK/node.out" 2>&1 || true
check typescript "$WORK/node.out" "notebooks_test RUNNING" "NOT_FOUND ModelArts.6309 400 my-request-1"

echo "== Python (wheel, its common protos from stand-ins)"
/usr/bin/python3 -B "$REPO/clients/python/build_standin_wheels.py" "$WORK/pypi-standins" >"$WORK/standins.log" 2>&1 ||
	{ cat "$WORK/standins.log" >&2; exit 1; }
export PIP_NO_INDEX=1 PIP_FIND_LINKS=$WORK/pypi-standins PIP_DISABLE_PIP_VERSION_CHECK=1
cd "$WORK" && (
	mkdir notebooks-py && cd notebooks-py
	/usr/bin/python3 -m venv --system-site-packages .venv
	.venv/bin/pip install $REPO/bin/clients/devenv_facade_client-0.1.0-py3-none-any.whl >/dev/null
	cp $REPO/examples/python/example.py .
	.venv/bin/python example.py $ADDR
) >"$WORK/python.out" 2>&1 || true
check python "$WORK/python.out" "notebooks_test RUNNING" "NOT_FOUND ModelArts.6309 400"
# pip installed the stand-ins as the wheel's dependencies; uninstalling
# the wheel leaves their modules, which it never held.
(
	cd "$WORK/notebooks-py"
	.venv/bin/pip list 2>/dev/null | grep -E '^(googleapis-common-protos|protoc-gen-openapiv2) ' | sed 's/  */ /g'
	.venv/bin/pip uninstall -y devenv-facade-client >/dev/null
	.venv/bin/python -c 'import google.api.annotations_pb2, google.rpc.error_details_pb2, protoc_gen_openapiv2.options.annotations_pb2; print("common protos intact")'
) >"$WORK/python-uninstall.out" 2>&1 || true
check python_dependencies "$WORK/python-uninstall.out" "googleapis-common-protos 1.56.2+standin" "protoc-gen-openapiv2 0.0.1+standin" "common protos intact"

if [ "$failed" -ne 0 ]; then
	echo "== the facade's log"; cat "$WORK/facade.log"
	exit 1
fi
echo "examples: 4 passed"
