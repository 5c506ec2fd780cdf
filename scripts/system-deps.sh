#!/usr/bin/env bash
# Installs the Debian packages the integration tests run for real: VictoriaMetrics (the TSD),
# PostgreSQL (the Django user store) and Django with its hashers (to make real fixtures).
# Only missing packages are installed; nothing happens when everything is present.
set -euo pipefail
need=()
command -v victoria-metrics >/dev/null 2>&1 || [ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
python3 -c 'import django' >/dev/null 2>&1 || /usr/bin/python3 -c 'import django' >/dev/null 2>&1 || need+=(python3-django)
/usr/bin/python3 -c 'import argon2' >/dev/null 2>&1 || need+=(python3-argon2)
/usr/bin/python3 -c 'import bcrypt' >/dev/null 2>&1 || need+=(python3-bcrypt)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]}; install them with your package manager (Debian: apt-get install ${need[*]})" >&2
  exit 1
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
