#!/usr/bin/env bash
# Regenerates the committed Go code for proto/ with pinned generators.
# With --check it generates into a temporary tree and fails if the committed
# code differs (stale). protoc comes from the system (Debian protobuf-compiler).
set -euo pipefail
cd "$(dirname "$0")/.."
PROTOC_GEN_GO=v1.36.10
PROTOC_GEN_GO_GRPC=v1.5.1
tools="$PWD/.tools/bin"
mkdir -p "$tools"
if ! command -v protoc >/dev/null; then
  echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1
fi
want_go="protoc-gen-go $PROTOC_GEN_GO"
if [ ! -x "$tools/protoc-gen-go" ] || [ "$("$tools/protoc-gen-go" --version)" != "$want_go" ]; then
  GOBIN="$tools" GOWORK=off go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO"
fi
if [ ! -x "$tools/protoc-gen-go-grpc" ] || [ "$("$tools/protoc-gen-go-grpc" --version)" != "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC#v}" ]; then
  GOBIN="$tools" GOWORK=off go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC"
fi
out=proto
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
fi
PATH="$tools:$PATH" protoc -I proto \
  --go_out="$out" --go_opt=paths=source_relative \
  --go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
  proto/exchange/v1/*.proto
if [ "${1:-}" = "--check" ]; then
  for f in "$out"/exchange/v1/*.go; do
    if ! cmp -s "$f" "proto/exchange/v1/$(basename "$f")"; then
      echo "proto/exchange/v1/$(basename "$f") is stale: run 'make proto' and commit" >&2; exit 1
    fi
  done
  echo "generated proto code is up to date"
fi
