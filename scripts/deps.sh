#!/usr/bin/env bash
# Installs the Debian packages avmm needs to build, run and test, if missing.
set -euo pipefail
pkgs=(meson ninja-build gcc pkg-config python3 libfdt-dev zlib1g-dev
      gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user qemu-system-arm bc
      clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "avmm: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
