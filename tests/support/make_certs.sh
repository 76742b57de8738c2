#!/usr/bin/env bash
# Generates the TLS test material into $1 with the openssl command line, at
# test time (no private key is ever committed):
#   ca.pem/ca.key             test CA
#   server.pem/.key           signed by the CA, for localhost and 127.0.0.1
#   wronghost.pem/.key        signed by the CA, for wrong.example and 10.9.9.9
#   expired.pem/.key          signed by the CA, for localhost/127.0.0.1, expired in 2020
#   selfsigned.pem/.key       self-signed, for localhost/127.0.0.1 (untrusted)
#   client.pem/.key           client certificate signed by the CA
#   other-ca.pem              an unrelated CA (for "unknown issuer")
set -euo pipefail
out="$1"
mkdir -p "$out"
cd "$out"
[ -f done.stamp ] && exit 0

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=wsc test CA" -days 3650 -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
key other-ca.key
openssl req -x509 -new -key other-ca.key -subj "/CN=unrelated CA" -days 3650 -out other-ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# sign NAME CN SAN EXTENDED_USAGE [openssl-ca date args...]
sign() {
  local name="$1" cn="$2" san="$3" usage="$4"
  shift 4
  key "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr"
  cat >"$name.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=$usage
subjectAltName=$san
EXT
  if [ $# -eq 0 ]; then
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
      -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  else
    # openssl x509 cannot backdate; the `ca` command can, with a minimal config.
    mkdir -p ca-db && : >ca-db/index.txt && [ -f ca-db/serial ] || echo 1000 >ca-db/serial
    cat >ca.cnf <<CNF
[ca]
default_ca=test
[test]
database=ca-db/index.txt
serial=ca-db/serial
new_certs_dir=ca-db
default_md=sha256
policy=any
copy_extensions=none
[any]
commonName=supplied
CNF
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in "$name.csr" \
      -extfile "$name.ext" -out "$name.pem" -notext "$@" 2>/dev/null
  fi
}

sign server localhost "DNS:localhost,IP:127.0.0.1" serverAuth
sign wronghost wrong.example "DNS:wrong.example,IP:10.9.9.9" serverAuth
sign expired localhost "DNS:localhost,IP:127.0.0.1" serverAuth \
  -startdate 20200101000000Z -enddate 20200102000000Z
sign client "wsc test client" "DNS:client.test" clientAuth

key selfsigned.key
openssl req -x509 -new -key selfsigned.key -subj "/CN=localhost" -days 365 -out selfsigned.pem \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
touch done.stamp
