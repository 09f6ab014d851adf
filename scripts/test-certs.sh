#!/usr/bin/env bash
# Makes throwaway TLS credentials for tests and benchmarks in DIR (PEM, keys in PKCS#8):
#   ca-cert.pem ca-key.pem          the test CA (what --tls-ca names)
#   node-cert.pem node-key.pem      for every daemon: server and client use, SAN IP:127.0.0.1 and DNS:localhost
#   client-cert.pem client-key.pem  for NBD clients; with ca-cert.pem this is the layout qemu's tls-creds-x509
#                                   (dir=DIR,endpoint=client) and libnbd's tls-certificates=DIR expect
#   rogue-cert.pem rogue-key.pem    a node certificate signed by another CA (rogue-ca-cert.pem), to be refused
set -euo pipefail
dir=${1:?usage: test-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # NAME SUBJECT
  key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -subj "/CN=$2" -days 2 -out "$1-cert.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() { # NAME CA SUBJECT EXTENDED-KEY-USAGE
  key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -subj "/CN=$3" -out "$1.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=$4" "subjectAltName=IP:127.0.0.1,DNS:localhost" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2-cert.pem" -CAkey "$2-key.pem" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1-cert.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "brmr test CA"
ca rogue-ca "another CA"
leaf node ca "brmr node" "serverAuth,clientAuth"
leaf client ca "brmr NBD client" "clientAuth"
leaf rogue rogue-ca "rogue node" "serverAuth,clientAuth"
rm -f ./*.srl
chmod 600 ./*-key.pem
