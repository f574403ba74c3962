#!/bin/sh
# tls_certs.sh DIR -- the TLS tests' certificates, made now with the
# openssl command (EC P-256 keys: quick): a test CA (ca.pem), a server
# certificate for localhost, 127.0.0.1 and ::1 (server.pem, server.key),
# an expired one (expired.pem/.key), one for another name (other.pem/.key),
# a client certificate (client.pem/.key) and a CA nobody trusts
# (rogue.pem, with rogue-server.pem/.key for localhost).
set -eu
d=$1
mkdir -p "$d"
cd "$d"
exec 3>&2 2>openssl.log
trap 'cat openssl.log >&3' EXIT
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

ca() {	# ca NAME CN
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 \
	-addext basicConstraints=critical,CA:true \
	-addext keyUsage=critical,keyCertSign,cRLSign -out "$1.pem"
}

# leaf NAME CA CN SAN EKU [START END]
leaf() {
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
    printf 'basicConstraints=CA:false\nsubjectAltName=%s\nextendedKeyUsage=%s\n' \
	"$4" "$5" > "$1.ext"
    if [ $# -ge 7 ]; then
	# A validity in the past needs openssl ca (x509 has no -not_after).
	mkdir -p "$1.db"
	: > "$1.db/index.txt"
	echo 1000 > "$1.db/serial"
	cat > "$1.db/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $1.db/index.txt
new_certs_dir = $1.db
serial = $1.db/serial
default_md = sha256
policy = p
[p]
commonName = supplied
CNF
	openssl ca -batch -config "$1.db/ca.cnf" -cert "$2.pem" -keyfile "$2.key" \
	    -startdate "$6" -enddate "$7" -extfile "$1.ext" -notext \
	    -in "$1.csr" -out "$1.pem"
    else
	openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
	    -CAcreateserial -days 30 -sha256 -extfile "$1.ext" -out "$1.pem"
    fi
}

ca ca "sockchan test CA"
ca rogue "nobody's CA"
leaf server ca localhost "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth
leaf expired ca localhost "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth \
    20200101000000Z 20200201000000Z
leaf other ca other.example "DNS:other.example" serverAuth
leaf client ca "sockchan client" "DNS:client.example" clientAuth
leaf rogue-server rogue localhost "DNS:localhost,IP:127.0.0.1" serverAuth
trap - EXIT
