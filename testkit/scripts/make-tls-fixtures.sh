#!/usr/bin/env bash
# Generates throwaway TLS material for tests into the directory given as the only argument:
#   ca.pem                               test CA (its key is deleted once everything is signed)
#   server.pem / server-key.pem          server cert for localhost, 127.0.0.1 and ::1, signed by the CA
#   client.pem / client-key.pem          client cert (CN otsdb-test-client) for mutual TLS
#   untrusted-ca.pem                     a second, unrelated CA (key deleted likewise)
#   untrusted-server.pem / -key.pem      server cert for the same names, signed by the untrusted CA
#   untrusted-client.pem / -key.pem      client cert signed by the untrusted CA
# Keys are EC P-256 (fast to make). Nothing here is ever committed; tests call this per run.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 <output-dir>" >&2
  exit 2
fi
out="$1"
mkdir -p "$out"
cd "$out"
days=30

new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

make_ca() { # name subject
  new_key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -sha256 -days "$days" -subj "$2" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
}

sign() { # name subject ca extfile-content
  new_key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -subj "$2" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial -sha256 \
    -days "$days" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

server_ext='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'
client_ext='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'

make_ca ca "/CN=otsdb test CA"
sign server "/CN=localhost" ca "$server_ext"
sign client "/CN=otsdb-test-client" ca "$client_ext"

make_ca untrusted-ca "/CN=otsdb untrusted test CA"
sign untrusted-server "/CN=localhost" untrusted-ca "$server_ext"
sign untrusted-client "/CN=otsdb-untrusted-client" untrusted-ca "$client_ext"

# The CA keys are only needed to sign; do not leave them lying around.
rm -f ca-key.pem untrusted-ca-key.pem ./*.srl
openssl verify -CAfile ca.pem server.pem client.pem >/dev/null
