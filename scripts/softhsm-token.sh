#!/usr/bin/env bash
# A SoftHSM2 token for signing through PKCS#11 (tests and trying it out): a token directory and its
# configuration under DIR, one initialised token. Prints the environment to use it.
#   bash scripts/softhsm-token.sh DIR [TOKEN_LABEL] [USER_PIN]
# Keys and certificates go on the token with `softhsm2-util --import` (a PKCS#8 PEM key) and any
# PKCS#11 tool; in production the token is the HSM or managed key store itself (docs/seals.md).
set -euo pipefail
dir=$(realpath -m "$1"); label=${2:-due-regard}; pin=${3:-123456}
mkdir -p "$dir/tokens"
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF="$dir/softhsm2.conf"
softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$pin$pin" >/dev/null
echo "SOFTHSM2_CONF=$dir/softhsm2.conf"
echo "EIA_SIGNING_PKCS11_MODULE=$(ls /usr/lib/softhsm/libsofthsm2.so 2>/dev/null || ls /usr/lib/*/softhsm/libsofthsm2.so | head -1)"
echo "EIA_SIGNING_PKCS11_TOKEN=$label"
