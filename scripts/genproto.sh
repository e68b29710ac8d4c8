#!/usr/bin/env bash
# Regenerates the committed Go code of proto/ with pinned generators, using
# only Go: the .proto files are compiled by scripts/protogen (bufbuild's
# protocompile) and fed to protoc-gen-go and protoc-gen-go-grpc as protoc
# would. With --check it generates into a temporary tree and fails if the
# committed code differs (stale).
set -euo pipefail
cd "$(dirname "$0")/.."
PROTOC_GEN_GO=v1.36.10
PROTOC_GEN_GO_GRPC=v1.5.1
tools="$PWD/.tools/bin"
mkdir -p "$tools"
if [ ! -x "$tools/protoc-gen-go" ] || [ "$("$tools/protoc-gen-go" --version)" != "protoc-gen-go $PROTOC_GEN_GO" ]; then
  GOBIN="$tools" GOWORK=off go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO"
fi
if [ ! -x "$tools/protoc-gen-go-grpc" ] || [ "$("$tools/protoc-gen-go-grpc" --version)" != "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC#v}" ]; then
  GOBIN="$tools" GOWORK=off go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC"
fi
(cd scripts/protogen && GOWORK=off go build -o "$tools/protogen" .)

out=proto
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
fi
files=$(cd proto && find . -name '*.proto' | sed 's|^\./||' | sort)
# shellcheck disable=SC2086
"$tools/protogen" -I proto -out "$out" \
  -plugin "protoc-gen-go=$tools/protoc-gen-go" \
  -plugin "protoc-gen-go-grpc=$tools/protoc-gen-go-grpc" \
  $files
if [ "${1:-}" = "--check" ]; then
  stale=0
  while read -r f; do
    rel=${f#"$out"/}
    if ! cmp -s "$f" "proto/$rel"; then
      echo "proto/$rel is stale: run 'make proto' and commit it" >&2; stale=1
    fi
  done < <(find "$out" -name '*.go')
  [ $stale -eq 0 ] && echo "generated proto code is up to date"
  exit $stale
fi
