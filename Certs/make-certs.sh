#!/usr/bin/env bash
# Test PKI for swift-tls13: a root and an intermediate CA (ECDSA P-256), server leaves for
# localhost / 127.0.0.1 / ::1 in four key types, and deliberately bad leaves.
# TEST ONLY: the private keys are committed on purpose. See README.md for the file list.
#
# Usage: Certs/make-certs.sh            create missing files, then verify everything
#        Certs/make-certs.sh --force    regenerate every file (new keys), then verify
#        Certs/make-certs.sh --verify   verify only
# Runs from any directory; writes only into the folder that holds this script.
# Needs bash and the openssl CLI (1.1.1 or 3.x).
set -euo pipefail

CERTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$CERTS"

MODE="${1:-}"
case "$MODE" in
  "" | --force | --verify) ;;
  *) echo "usage: $0 [--force | --verify]" >&2; exit 2 ;;
esac

# Validity: CAs from 2000 (so the expired leaf is wrong only in its dates), good leaves from 2024,
# everything good until the end of 2099.
CA_START=20000101000000Z
LEAF_START=20240101000000Z
END=20991231235959Z
SAN_GOOD="DNS:localhost,IP:127.0.0.1,IP:::1"

GOOD_TYPES=(ecdsa-p256 ecdsa-p384 rsa2048 ed25519)
BAD_TYPES=(expired not-yet-valid wrong-host self-signed unknown-ca)

OUTPUTS=(ca.pem ca.key intermediate.pem intermediate.key
         unknown-ca-root.pem unknown-ca-root.key unknown-ca-intermediate.pem unknown-ca-intermediate.key)
for t in "${GOOD_TYPES[@]}" "${BAD_TYPES[@]}"; do
  OUTPUTS+=("leaf-$t.pem" "leaf-$t.key" "leaf-$t-chain.pem")
done

# Client certificates (extendedKeyUsage clientAuth) for mutual TLS, issued by the same intermediate.
CLIENT_TYPES=(ecdsa-p256 rsa2048 ed25519)
CLIENT_OUTPUTS=()
for t in "${CLIENT_TYPES[@]}"; do
  CLIENT_OUTPUTS+=("client-$t.pem" "client-$t.key" "client-$t-chain.pem")
done

# Extra leaves and OCSP material, added later by their own generation step (so every file above stays as
# it is): leaves in the remaining TLS 1.3 key types, a leaf whose certificate is signed with RSA PKCS#1 v1.5
# by an RSA intermediate, a leaf that OCSP says is revoked, an OCSP responder and stapled OCSP responses.
EXTRA_TYPES=(ecdsa-p521 ed448 rsa-pss)
EXTRA_OUTPUTS=(intermediate-rsa.pem intermediate-rsa.key ocsp-responder.pem ocsp-responder.key ocsp-index.txt
               ocsp-good.der ocsp-good-by-ca.der ocsp-revoked.der ocsp-unknown.der ocsp-unauthorized.der)
for t in "${EXTRA_TYPES[@]}" rsa-pkcs1 revoked; do
  EXTRA_OUTPUTS+=("leaf-$t.pem" "leaf-$t.key" "leaf-$t-chain.pem")
done

extras_present() {
  local f
  for f in "${EXTRA_OUTPUTS[@]}"; do [[ -s "$f" ]] || return 1; done
}

all_present() {
  local f
  for f in "${OUTPUTS[@]}"; do [[ -s "$f" ]] || return 1; done
}

clients_present() {
  local f
  for f in "${CLIENT_OUTPUTS[@]}"; do [[ -s "$f" ]] || return 1; done
}

# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------

WORK=""
cleanup() { if [[ -n "$WORK" ]]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

write_config() {
  cat > "$WORK/openssl.cnf" <<'EOF'
# `openssl ca` is used for every certificate because it takes explicit -startdate/-enddate
# (OpenSSL 3.0's `x509 -req` has only -days). CA_DIR selects the signing CA's database.
[ ca ]
default_ca = CA_default

[ CA_default ]
dir            = $ENV::CA_DIR
database       = $dir/index.txt
new_certs_dir  = $dir/newcerts
serial         = $dir/serial
default_md     = sha256
policy         = policy_any
unique_subject = no
copy_extensions = none
email_in_dn    = no
preserve       = yes

[ policy_any ]
organizationName = optional
commonName       = supplied

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder

[ v3_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_leaf ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_leaf_rsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_leaf_wrong_host ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:other.example
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_client ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_ocsp_responder ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = OCSPSigning
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_leaf_self_signed ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier   = hash

# ---- ECH and certificate compression (generate_p12) ----

[ v3_leaf_ech_public ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:ech-public.example
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_realworld_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ v3_realworld_intermediate_1 ]
basicConstraints       = critical, CA:TRUE, pathlen:1
keyUsage               = critical, digitalSignature, keyCertSign, cRLSign
certificatePolicies    = 2.5.29.32.0
authorityInfoAccess    = caIssuers;URI:http://crt.realworld-root.example/root.der
crlDistributionPoints  = URI:http://crl.realworld-root.example/root.crl
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_realworld_intermediate_2 ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, digitalSignature, keyCertSign, cRLSign
extendedKeyUsage       = serverAuth, clientAuth
certificatePolicies    = 2.23.140.1.2.1
authorityInfoAccess    = caIssuers;URI:http://crt.realworld-ca1.example/ca1.der, OCSP;URI:http://ocsp.realworld-ca1.example
crlDistributionPoints  = URI:http://crl.realworld-ca1.example/ca1.crl
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# ---- edge/: certificate edge cases (README.md, "Edge cases") ----

[ v3_edge_nc_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
nameConstraints        = critical, permitted;DNS:allowed.example, excluded;DNS:secret.allowed.example
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_edge_ca_false_intermediate ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_edge_no_bc_intermediate ]
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_edge_client_eku_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_edge_sub_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# The edge leaves' sections are appended by edge_leaf.
EOF
}

# new_key <file> <type>
new_key() {
  local out="$1" type="$2"
  case "$type" in
    ecdsa-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$out" ;;
    ecdsa-p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out "$out" ;;
    rsa2048)    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out" 2>/dev/null ;;
    rsa1024)    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$out" 2>/dev/null ;;
    ed25519)    openssl genpkey -algorithm ED25519 -out "$out" ;;
    ecdsa-p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -pkeyopt ec_param_enc:named_curve -out "$out" ;;
    ed448)      openssl genpkey -algorithm ED448 -out "$out" ;;
    rsa-pss)    openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$out" 2>/dev/null ;;
    *) echo "unknown key type $type" >&2; exit 1 ;;
  esac
  chmod 600 "$out"
}

# new_ca_db <name>: an empty `openssl ca` database with a random positive 128-bit serial.
new_ca_db() {
  local d="$WORK/$1"
  mkdir -p "$d/newcerts"
  : > "$d/index.txt"
  echo "unique_subject = no" > "$d/index.txt.attr"
  # Clear the top bit so the serial is a positive 16-byte integer.
  printf '%02X%s\n' $(( 0x$(openssl rand -hex 1) & 0x7f )) "$(openssl rand -hex 15)" > "$d/serial"
}

# sign <ca-db> <ca-cert or "self"> <ca-key> <csr> <out> <extensions> <start> <end> [digest]
sign() {
  local db="$1" cacert="$2" cakey="$3" csr="$4" out="$5" ext="$6" start="$7" end="$8" md="${9:-sha256}"
  local certarg=(-cert "$cacert")
  [[ "$cacert" == self ]] && certarg=(-selfsign)
  CA_DIR="$WORK/$db" openssl ca -batch -notext -config "$WORK/openssl.cnf" \
    "${certarg[@]}" -keyfile "$cakey" -in "$csr" -out "$out" -md "$md" \
    -extensions "$ext" -startdate "$start" -enddate "$end" 2>"$WORK/ca.log" \
    || { cat "$WORK/ca.log" >&2; exit 1; }
}

# csr <key> <subject> <out>
csr() {
  openssl req -new -config "$WORK/openssl.cnf" -key "$1" -subj "$2" -out "$3"
}

generate() {
  WORK="$(mktemp -d)"
  export CA_DIR="$WORK"  # the config names $ENV::CA_DIR, so `openssl req` needs it set too
  write_config
  local O="/O=swift-tls13 tests"

  echo "== generating CAs"
  new_key ca.key ecdsa-p256
  new_ca_db root
  csr ca.key "$O/CN=swift-tls13 Test Root CA" "$WORK/ca.csr"
  sign root self ca.key "$WORK/ca.csr" ca.pem v3_root "$CA_START" "$END"

  new_key intermediate.key ecdsa-p256
  new_ca_db intermediate
  csr intermediate.key "$O/CN=swift-tls13 Test Intermediate CA" "$WORK/intermediate.csr"
  sign root ca.pem ca.key "$WORK/intermediate.csr" intermediate.pem v3_intermediate "$CA_START" "$END"

  new_key unknown-ca-root.key ecdsa-p256
  new_ca_db unknown-root
  csr unknown-ca-root.key "$O/CN=swift-tls13 Untrusted Root CA" "$WORK/unknown-root.csr"
  sign unknown-root self unknown-ca-root.key "$WORK/unknown-root.csr" unknown-ca-root.pem v3_root "$CA_START" "$END"

  new_key unknown-ca-intermediate.key ecdsa-p256
  new_ca_db unknown-intermediate
  csr unknown-ca-intermediate.key "$O/CN=swift-tls13 Untrusted Intermediate CA" "$WORK/unknown-int.csr"
  sign unknown-root unknown-ca-root.pem unknown-ca-root.key "$WORK/unknown-int.csr" \
    unknown-ca-intermediate.pem v3_intermediate "$CA_START" "$END"

  echo "== generating leaves"
  local t ext
  for t in "${GOOD_TYPES[@]}"; do
    new_key "leaf-$t.key" "$t"
    csr "leaf-$t.key" "$O/CN=localhost" "$WORK/leaf-$t.csr"
    ext=v3_leaf; [[ "$t" == rsa2048 ]] && ext=v3_leaf_rsa
    sign intermediate intermediate.pem intermediate.key "$WORK/leaf-$t.csr" "leaf-$t.pem" "$ext" "$LEAF_START" "$END"
    cat "leaf-$t.pem" intermediate.pem > "leaf-$t-chain.pem"
  done

  for t in "${BAD_TYPES[@]}"; do
    new_key "leaf-$t.key" ecdsa-p256
  done
  csr leaf-expired.key "$O/CN=localhost (expired)" "$WORK/expired.csr"
  sign intermediate intermediate.pem intermediate.key "$WORK/expired.csr" leaf-expired.pem v3_leaf \
    20000101000000Z 20010101000000Z
  cat leaf-expired.pem intermediate.pem > leaf-expired-chain.pem

  csr leaf-not-yet-valid.key "$O/CN=localhost (not yet valid)" "$WORK/nyv.csr"
  sign intermediate intermediate.pem intermediate.key "$WORK/nyv.csr" leaf-not-yet-valid.pem v3_leaf \
    20900101000000Z "$END"
  cat leaf-not-yet-valid.pem intermediate.pem > leaf-not-yet-valid-chain.pem

  csr leaf-wrong-host.key "$O/CN=other.example" "$WORK/wrong-host.csr"
  sign intermediate intermediate.pem intermediate.key "$WORK/wrong-host.csr" leaf-wrong-host.pem \
    v3_leaf_wrong_host "$LEAF_START" "$END"
  cat leaf-wrong-host.pem intermediate.pem > leaf-wrong-host-chain.pem

  new_ca_db self-signed
  csr leaf-self-signed.key "$O/CN=localhost" "$WORK/self.csr"
  sign self-signed self leaf-self-signed.key "$WORK/self.csr" leaf-self-signed.pem v3_leaf_self_signed \
    "$LEAF_START" "$END"
  cp leaf-self-signed.pem leaf-self-signed-chain.pem

  csr leaf-unknown-ca.key "$O/CN=localhost" "$WORK/unknown-leaf.csr"
  sign unknown-intermediate unknown-ca-intermediate.pem unknown-ca-intermediate.key "$WORK/unknown-leaf.csr" \
    leaf-unknown-ca.pem v3_leaf "$LEAF_START" "$END"
  cat leaf-unknown-ca.pem unknown-ca-intermediate.pem > leaf-unknown-ca-chain.pem
}

# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------

PASSED=0
FAILED=0

# check <label> <expected: OK | "error N at DEPTH"> <openssl verify args...>
check() {
  local label="$1" expected="$2"; shift 2
  local out rc=0
  out="$(openssl verify "$@" 2>&1)" || rc=$?
  local ok=0
  if [[ "$expected" == OK ]]; then
    [[ $rc -eq 0 && "$out" == *": OK"* ]] && ok=1
  else
    [[ $rc -ne 0 && "$out" == *"$expected depth lookup"* ]] && ok=1
  fi
  if [[ $ok -eq 1 ]]; then
    PASSED=$((PASSED + 1))
    printf '  pass  %-44s %s\n' "$label" "$expected"
  else
    FAILED=$((FAILED + 1))
    printf '  FAIL  %-44s expected %s, got (rc %d):\n%s\n' "$label" "$expected" "$rc" "$out"
  fi
}

# check_pair <cert> <key>: the key is the cert's private key.
check_pair() {
  local a b
  a="$(openssl x509 -in "$1" -noout -pubkey)"
  b="$(openssl pkey -in "$2" -pubout)"
  if [[ "$a" == "$b" ]]; then
    PASSED=$((PASSED + 1)); printf '  pass  %-44s key matches\n' "$1"
  else
    FAILED=$((FAILED + 1)); printf '  FAIL  %-44s key does not match %s\n' "$1" "$2"
  fi
}

verify_all() {
  echo "== verifying ($(openssl version))"
  local V=(-CAfile ca.pem -untrusted intermediate.pem -purpose sslserver)
  check "intermediate.pem" OK -CAfile ca.pem intermediate.pem
  local t
  for t in "${GOOD_TYPES[@]}"; do
    check "leaf-$t localhost" OK "${V[@]}" -verify_hostname localhost "leaf-$t.pem"
    check "leaf-$t 127.0.0.1" OK "${V[@]}" -verify_ip 127.0.0.1 "leaf-$t.pem"
    check "leaf-$t ::1" OK "${V[@]}" -verify_ip ::1 "leaf-$t.pem"
    check "leaf-$t-chain (chain file only)" OK -CAfile ca.pem -untrusted "leaf-$t-chain.pem" \
      -purpose sslserver -verify_hostname localhost "leaf-$t.pem"
  done
  # X509_V_ERR_* numbers: 10 expired, 9 not yet valid, 62 hostname mismatch, 64 IP mismatch,
  # 18 self-signed leaf, 20 unable to get local issuer certificate.
  check "leaf-expired" "error 10 at 0" "${V[@]}" leaf-expired.pem
  check "leaf-expired inside its validity" OK "${V[@]}" -attime 946771200 leaf-expired.pem  # 2000-01-02
  check "leaf-not-yet-valid" "error 9 at 0" "${V[@]}" leaf-not-yet-valid.pem
  check "leaf-wrong-host chain itself" OK "${V[@]}" leaf-wrong-host.pem
  check "leaf-wrong-host for localhost" "error 62 at 0" "${V[@]}" -verify_hostname localhost leaf-wrong-host.pem
  check "leaf-wrong-host for 127.0.0.1" "error 64 at 0" "${V[@]}" -verify_ip 127.0.0.1 leaf-wrong-host.pem
  check "leaf-self-signed" "error 18 at 0" "${V[@]}" leaf-self-signed.pem
  check "leaf-unknown-ca" "error 20 at 0" "${V[@]}" leaf-unknown-ca.pem
  check "leaf-unknown-ca with its own chain" "error 20 at 1" -CAfile ca.pem -untrusted leaf-unknown-ca-chain.pem \
    leaf-unknown-ca.pem
  check "leaf-unknown-ca under its own root" OK -CAfile unknown-ca-root.pem \
    -untrusted unknown-ca-intermediate.pem leaf-unknown-ca.pem

  check_pair ca.pem ca.key
  check_pair intermediate.pem intermediate.key
  for t in "${GOOD_TYPES[@]}" "${BAD_TYPES[@]}"; do check_pair "leaf-$t.pem" "leaf-$t.key"; done

  local end
  for f in ca.pem intermediate.pem unknown-ca-*.pem leaf-*.pem; do
    [[ "$f" == *-chain.pem || "$f" == leaf-expired.pem ]] && continue
    end="$(openssl x509 -in "$f" -noout -enddate)"
    if [[ "$end" == "notAfter=Dec 31 23:59:59 2099 GMT" ]]; then
      PASSED=$((PASSED + 1))
    else
      FAILED=$((FAILED + 1)); printf '  FAIL  %-44s %s\n' "$f" "$end"
    fi
  done

  echo "== summary: $PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}

# Client leaves only, from the existing intermediate (so adding them leaves every other file as it is).
generate_clients() {
  [[ -n "$WORK" ]] || { WORK="$(mktemp -d)"; export CA_DIR="$WORK"; write_config; }
  local O="/O=swift-tls13 tests" t
  echo "== generating client certificates"
  new_ca_db intermediate-clients
  for t in "${CLIENT_TYPES[@]}"; do
    new_key "client-$t.key" "$t"
    csr "client-$t.key" "$O/CN=swift-tls13 test client ($t)" "$WORK/client-$t.csr"
    sign intermediate-clients intermediate.pem intermediate.key "$WORK/client-$t.csr" "client-$t.pem" v3_client \
      "$LEAF_START" "$END"
    cat "client-$t.pem" intermediate.pem > "client-$t-chain.pem"
  done
}

verify_clients() {
  local t
  for t in "${CLIENT_TYPES[@]}"; do
    check "client-$t (clientAuth)" OK -CAfile ca.pem -untrusted intermediate.pem -purpose sslclient "client-$t.pem"
    check "client-$t is no server" "error 26 at 0" -CAfile ca.pem -untrusted intermediate.pem -purpose sslserver \
      "client-$t.pem"
    check_pair "client-$t.pem" "client-$t.key"
  done
}

# The extras, from the existing root and intermediate (so adding them leaves every other file as it is).
generate_extras() {
  [[ -n "$WORK" ]] || { WORK="$(mktemp -d)"; export CA_DIR="$WORK"; write_config; }
  local O="/O=swift-tls13 tests" t
  echo "== generating extra leaves (P-521, Ed448, RSA-PSS, PKCS#1-signed, revoked) and OCSP responses"
  new_ca_db intermediate-extras
  for t in "${EXTRA_TYPES[@]}" revoked; do
    new_key "leaf-$t.key" "$( [[ $t == revoked ]] && echo ecdsa-p256 || echo "$t" )"
    csr "leaf-$t.key" "$O/CN=localhost" "$WORK/leaf-$t.csr"
    sign intermediate-extras intermediate.pem intermediate.key "$WORK/leaf-$t.csr" "leaf-$t.pem" v3_leaf \
      "$LEAF_START" "$END"
    cat "leaf-$t.pem" intermediate.pem > "leaf-$t-chain.pem"
  done

  # An RSA intermediate signs with sha256WithRSAEncryption (PKCS#1 v1.5): rsa_pkcs1_sha256 in the chain.
  new_key intermediate-rsa.key rsa2048
  new_ca_db root-extras
  csr intermediate-rsa.key "$O/CN=swift-tls13 Test RSA Intermediate CA" "$WORK/intermediate-rsa.csr"
  sign root-extras ca.pem ca.key "$WORK/intermediate-rsa.csr" intermediate-rsa.pem v3_intermediate "$CA_START" "$END"
  new_key leaf-rsa-pkcs1.key ecdsa-p256
  new_ca_db intermediate-rsa
  csr leaf-rsa-pkcs1.key "$O/CN=localhost" "$WORK/leaf-rsa-pkcs1.csr"
  sign intermediate-rsa intermediate-rsa.pem intermediate-rsa.key "$WORK/leaf-rsa-pkcs1.csr" leaf-rsa-pkcs1.pem \
    v3_leaf "$LEAF_START" "$END"
  cat leaf-rsa-pkcs1.pem intermediate-rsa.pem > leaf-rsa-pkcs1-chain.pem

  # The OCSP responder: delegated by the intermediate (extendedKeyUsage OCSPSigning).
  new_key ocsp-responder.key ecdsa-p256
  csr ocsp-responder.key "$O/CN=swift-tls13 Test OCSP Responder" "$WORK/ocsp-responder.csr"
  sign intermediate-extras intermediate.pem intermediate.key "$WORK/ocsp-responder.csr" ocsp-responder.pem \
    v3_ocsp_responder "$LEAF_START" "$END"

  # The responder's database: leaf-ecdsa-p256 valid, leaf-revoked revoked (keyCompromise, 2025-01-01).
  index_line() {  # <V|R> <cert> <revocation field>
    local serial subject
    serial="$(openssl x509 -in "$2" -noout -serial)"; serial="${serial#serial=}"
    subject="$(openssl x509 -in "$2" -noout -subject -nameopt compat)"; subject="${subject#subject=}"
    printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$1" 20991231235959Z "$3" "$serial" "$subject"
  }
  { index_line V leaf-ecdsa-p256.pem ""; index_line R leaf-revoked.pem "250101000000Z,keyCompromise"; } \
    > ocsp-index.txt

  # respond <cert> <signer> <signer key> <out>: a response from the index, valid for 100 years from now.
  respond() {
    openssl ocsp -index ocsp-index.txt -CA intermediate.pem -rsigner "$2" -rkey "$3" -issuer intermediate.pem \
      -cert "$1" -respout "$4" -ndays 36500 -noverify > "$WORK/ocsp.log" 2>&1 \
      || { cat "$WORK/ocsp.log" >&2; exit 1; }
  }
  respond leaf-ecdsa-p256.pem ocsp-responder.pem ocsp-responder.key ocsp-good.der
  respond leaf-ecdsa-p256.pem intermediate.pem intermediate.key ocsp-good-by-ca.der
  respond leaf-revoked.pem ocsp-responder.pem ocsp-responder.key ocsp-revoked.der
  respond leaf-ecdsa-p384.pem ocsp-responder.pem ocsp-responder.key ocsp-unknown.der
  # Signed by a certificate the intermediate issued without OCSPSigning: not an authorized responder.
  respond leaf-ecdsa-p256.pem leaf-ecdsa-p384.pem leaf-ecdsa-p384.key ocsp-unauthorized.der
}

# check_ocsp <response> <expected status line>
check_ocsp() {
  local out
  out="$(openssl ocsp -respin "$1" -CAfile ca.pem -verify_other intermediate.pem -issuer intermediate.pem \
    -no_nonce -cert "$3" 2>&1)" || true
  if [[ "$out" == *"$2"* ]]; then
    PASSED=$((PASSED + 1)); printf '  pass  %-44s %s\n' "$1" "$2"
  else
    FAILED=$((FAILED + 1)); printf '  FAIL  %-44s expected %s, got:\n%s\n' "$1" "$2" "$out"
  fi
}

verify_extras() {
  local V=(-CAfile ca.pem -untrusted intermediate.pem -purpose sslserver -verify_hostname localhost) t
  for t in "${EXTRA_TYPES[@]}" revoked; do
    check "leaf-$t localhost" OK "${V[@]}" "leaf-$t.pem"
    check_pair "leaf-$t.pem" "leaf-$t.key"
  done
  check "intermediate-rsa.pem" OK -CAfile ca.pem intermediate-rsa.pem
  check "leaf-rsa-pkcs1 localhost" OK -CAfile ca.pem -untrusted intermediate-rsa.pem -purpose sslserver \
    -verify_hostname localhost leaf-rsa-pkcs1.pem
  check_pair leaf-rsa-pkcs1.pem leaf-rsa-pkcs1.key
  check "ocsp-responder" OK -CAfile ca.pem -untrusted intermediate.pem ocsp-responder.pem
  check_ocsp ocsp-good.der "leaf-ecdsa-p256.pem: good" leaf-ecdsa-p256.pem
  check_ocsp ocsp-good-by-ca.der "leaf-ecdsa-p256.pem: good" leaf-ecdsa-p256.pem
  check_ocsp ocsp-revoked.der "leaf-revoked.pem: revoked" leaf-revoked.pem
  check_ocsp ocsp-unknown.der "leaf-ecdsa-p384.pem: unknown" leaf-ecdsa-p384.pem
  check_ocsp ocsp-unauthorized.der "Response Verify Failure" leaf-ecdsa-p256.pem
}

# ---------------------------------------------------------------------------------------------
# Edge cases (edge/): one deliberate property per certificate, for CertificateEdgeCaseTests.
# Issued by ca.pem / intermediate.pem (which stay as they are) or by the edge intermediates.
# ---------------------------------------------------------------------------------------------

# name|key type|issuer (root, intermediate or an edge intermediate)|subject CN|digest|extension section
EDGE_INTERMEDIATES=(
  "nc-intermediate|ecdsa-p256|root|swift-tls13 Edge Name-Constrained CA|sha256|v3_edge_nc_intermediate"
  "ca-false-intermediate|ecdsa-p256|root|swift-tls13 Edge CA:FALSE Intermediate|sha256|v3_edge_ca_false_intermediate"
  "no-bc-intermediate|ecdsa-p256|root|swift-tls13 Edge No-basicConstraints Intermediate|sha256|v3_edge_no_bc_intermediate"
  "client-eku-intermediate|ecdsa-p256|root|swift-tls13 Edge clientAuth-only Intermediate|sha256|v3_edge_client_eku_intermediate"
  "pathlen-sub-ca|ecdsa-p256|intermediate|swift-tls13 Edge Sub-CA below pathlen 0|sha256|v3_edge_sub_ca"
  "sha1-intermediate|ecdsa-p256|root|swift-tls13 Edge SHA-1-signed Intermediate|sha1|v3_intermediate"
  "rsa1024-intermediate|rsa1024|root|swift-tls13 Edge RSA-1024 Intermediate|sha256|v3_intermediate"
)

SAN_LOCAL="subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1"
EKU_SERVER="extendedKeyUsage = serverAuth"
TEST_OID="1.3.6.1.4.1.55555.1.1"
# name|key type|issuer|subject CN|digest|extension lines (';'-separated, added to the leaf defaults)
EDGE_LEAVES=(
  "nc-inside|ecdsa-p256|nc-intermediate|www.allowed.example|sha256|$EKU_SERVER;subjectAltName = DNS:www.allowed.example, DNS:allowed.example"
  "nc-outside|ecdsa-p256|nc-intermediate|www.forbidden.example|sha256|$EKU_SERVER;subjectAltName = DNS:www.forbidden.example"
  "nc-suffix|ecdsa-p256|nc-intermediate|notallowed.example|sha256|$EKU_SERVER;subjectAltName = DNS:notallowed.example"
  "nc-mixed|ecdsa-p256|nc-intermediate|www.allowed.example|sha256|$EKU_SERVER;subjectAltName = DNS:www.allowed.example, DNS:www.forbidden.example"
  "nc-excluded|ecdsa-p256|nc-intermediate|www.secret.allowed.example|sha256|$EKU_SERVER;subjectAltName = DNS:www.secret.allowed.example"
  "wildcard|ecdsa-p256|intermediate|wildcard|sha256|$EKU_SERVER;subjectAltName = DNS:*.example.com, DNS:*, DNS:*.com, DNS:*.*.example.net, DNS:a.*.example.org"
  "ip-lookalike|ecdsa-p256|intermediate|127.0.0.1|sha256|$EKU_SERVER;subjectAltName = DNS:127.0.0.1, DNS:*.0.0.1, DNS:::1"
  "ip-only|ecdsa-p256|intermediate|localhost|sha256|$EKU_SERVER;subjectAltName = IP:127.0.0.1, IP:::1"
  "cn-ignored|ecdsa-p256|intermediate|localhost|sha256|$EKU_SERVER;subjectAltName = DNS:other.example"
  "critical-ext|ecdsa-p256|intermediate|localhost|sha256|$EKU_SERVER;$SAN_LOCAL;$TEST_OID = critical, ASN1:UTF8String:swift-tls13 test extension"
  "noncritical-ext|ecdsa-p256|intermediate|localhost|sha256|$EKU_SERVER;$SAN_LOCAL;$TEST_OID = ASN1:UTF8String:swift-tls13 test extension"
  "client-auth|ecdsa-p256|intermediate|localhost|sha256|extendedKeyUsage = clientAuth;$SAN_LOCAL"
  "eku-both|ecdsa-p256|intermediate|localhost|sha256|extendedKeyUsage = serverAuth, clientAuth;$SAN_LOCAL"
  "no-eku|ecdsa-p256|intermediate|localhost|sha256|$SAN_LOCAL"
  "ca-false-leaf|ecdsa-p256|ca-false-intermediate|localhost|sha256|$EKU_SERVER;$SAN_LOCAL"
  "no-bc-leaf|ecdsa-p256|no-bc-intermediate|localhost|sha256|$EKU_SERVER;$SAN_LOCAL"
  "client-eku-int-leaf|ecdsa-p256|client-eku-intermediate|localhost|sha256|$EKU_SERVER;$SAN_LOCAL"
  "pathlen-leaf|ecdsa-p256|pathlen-sub-ca|localhost|sha256|$EKU_SERVER;$SAN_LOCAL"
  "sha1-leaf|ecdsa-p256|intermediate|localhost|sha1|$EKU_SERVER;$SAN_LOCAL"
  "sha1-int-leaf|ecdsa-p256|sha1-intermediate|localhost|sha256|$EKU_SERVER;$SAN_LOCAL"
  "rsa1024-leaf|rsa1024|intermediate|localhost|sha256|$EKU_SERVER;$SAN_LOCAL"
  "rsa1024-int-leaf|ecdsa-p256|rsa1024-intermediate|localhost|sha256|$EKU_SERVER;$SAN_LOCAL"
)

EDGE_OUTPUTS=()
for row in "${EDGE_INTERMEDIATES[@]}" "${EDGE_LEAVES[@]}"; do
  n="${row%%|*}"
  EDGE_OUTPUTS+=("edge/$n.pem" "edge/$n.key" "edge/$n-chain.pem")
done

edge_present() {
  local f
  for f in "${EDGE_OUTPUTS[@]}"; do [[ -s "$f" ]] || return 1; done
}

# edge_issuer_files <issuer>: prints "<cert> <key> <chain>" for root, intermediate or an edge CA.
# <chain> is what a server sends above its leaf (never the root).
edge_issuer_files() {
  case "$1" in
    root) echo "ca.pem ca.key /dev/null" ;;
    intermediate) echo "intermediate.pem intermediate.key intermediate.pem" ;;
    *) echo "edge/$1.pem edge/$1.key edge/$1-chain.pem" ;;
  esac
}

# edge_make <row> <is-leaf>
edge_make() {
  local name type issuer cn md ext
  IFS='|' read -r name type issuer cn md ext <<< "$1"
  local cacert cakey cachain section
  read -r cacert cakey cachain <<< "$(edge_issuer_files "$issuer")"
  if [[ "$2" == leaf ]]; then
    section="v3_edge_leaf_${name//-/_}"
    {
      echo
      echo "[ $section ]"
      echo "basicConstraints       = critical, CA:FALSE"
      echo "keyUsage               = critical, digitalSignature"
      echo "subjectKeyIdentifier   = hash"
      echo "authorityKeyIdentifier = keyid:always"
      tr ';' '\n' <<< "$ext"
    } >> "$WORK/openssl.cnf"
  else
    section="$ext"
  fi
  [[ -d "$WORK/edge-$issuer" ]] || new_ca_db "edge-$issuer"
  new_key "edge/$name.key" "$type"
  csr "edge/$name.key" "/O=swift-tls13 tests/CN=$cn" "$WORK/edge-$name.csr"
  sign "edge-$issuer" "$cacert" "$cakey" "$WORK/edge-$name.csr" "edge/$name.pem" "$section" \
    "$LEAF_START" "$END" "$md"
  cat "edge/$name.pem" "$cachain" > "edge/$name-chain.pem"
}

generate_edge() {
  [[ -n "$WORK" ]] || { WORK="$(mktemp -d)"; export CA_DIR="$WORK"; write_config; }
  echo "== generating edge-case certificates (edge/)"
  mkdir -p edge
  local row
  for row in "${EDGE_INTERMEDIATES[@]}"; do edge_make "$row" intermediate; done
  for row in "${EDGE_LEAVES[@]}"; do edge_make "$row" leaf; done
}

# X509_V_ERR_* numbers (OpenSSL 3.x): 79 invalid CA, 25 path length exceeded, 26 invalid purpose, 34 unhandled critical
# extension, 47 permitted subtree violation, 48 excluded subtree violation, 62 hostname mismatch,
# 64 IP address mismatch, 66 EE key too small, 67 CA key too small, 68 CA md too weak.
verify_edge() {
  echo "== verifying edge/"
  # -auth_level 2 is the library's security level; `openssl verify` has none by default.
  local V=(-CAfile ca.pem -purpose sslserver -auth_level 2)
  e() { echo "-untrusted edge/$1-chain.pem edge/$1.pem"; }
  # shellcheck disable=SC2046
  {
  check "nc-intermediate" OK -CAfile ca.pem edge/nc-intermediate.pem
  check "nc-inside www.allowed.example" OK "${V[@]}" -verify_hostname www.allowed.example $(e nc-inside)
  check "nc-inside allowed.example" OK "${V[@]}" -verify_hostname allowed.example $(e nc-inside)
  check "nc-outside" "error 47 at 0" "${V[@]}" -verify_hostname www.forbidden.example $(e nc-outside)
  check "nc-suffix (label boundary)" "error 47 at 0" "${V[@]}" -verify_hostname notallowed.example $(e nc-suffix)
  check "nc-mixed for the allowed name" "error 47 at 0" "${V[@]}" -verify_hostname www.allowed.example $(e nc-mixed)
  check "nc-excluded" "error 48 at 0" "${V[@]}" -verify_hostname www.secret.allowed.example $(e nc-excluded)
  check "wildcard a.example.com" OK "${V[@]}" -verify_hostname a.example.com $(e wildcard)
  check "wildcard example.com" "error 62 at 0" "${V[@]}" -verify_hostname example.com $(e wildcard)
  check "wildcard a.b.example.com" "error 62 at 0" "${V[@]}" -verify_hostname a.b.example.com $(e wildcard)
  check "wildcard: '*' alone, localhost" "error 62 at 0" "${V[@]}" -verify_hostname localhost $(e wildcard)
  check "ip-lookalike for IP 127.0.0.1" "error 64 at 0" "${V[@]}" -verify_ip 127.0.0.1 $(e ip-lookalike)
  check "ip-lookalike for IP ::1" "error 64 at 0" "${V[@]}" -verify_ip ::1 $(e ip-lookalike)
  check "ip-only for IP 127.0.0.1" OK "${V[@]}" -verify_ip 127.0.0.1 $(e ip-only)
  # With no DNS SAN, `openssl verify` falls back to the subject CN (CN=localhost): accepted here, but
  # OpenSSLCertificateVerifier sets X509_CHECK_FLAG_NEVER_CHECK_SUBJECT and rejects it.
  check "ip-only for localhost (CLI uses the CN)" OK "${V[@]}" -verify_hostname localhost $(e ip-only)
  check "cn-ignored for localhost" "error 62 at 0" "${V[@]}" -verify_hostname localhost $(e cn-ignored)
  check "critical-ext" "error 34 at 0" "${V[@]}" -verify_hostname localhost $(e critical-ext)
  check "noncritical-ext" OK "${V[@]}" -verify_hostname localhost $(e noncritical-ext)
  check "client-auth" "error 26 at 0" "${V[@]}" -verify_hostname localhost $(e client-auth)
  check "eku-both" OK "${V[@]}" -verify_hostname localhost $(e eku-both)
  check "no-eku" OK "${V[@]}" -verify_hostname localhost $(e no-eku)
  check "client-eku-int-leaf" "error 26 at 1" "${V[@]}" -verify_hostname localhost $(e client-eku-int-leaf)
  check "ca-false-leaf" "error 79 at 1" "${V[@]}" -verify_hostname localhost $(e ca-false-leaf)
  # RFC 5280 §4.2.1.9: no basicConstraints (even with keyUsage keyCertSign) means not a CA.
  check "no-bc-leaf" "error 79 at 1" "${V[@]}" -verify_hostname localhost $(e no-bc-leaf)
  check "pathlen-leaf" "error 25 at 2" "${V[@]}" -verify_hostname localhost $(e pathlen-leaf)
  check "sha1-leaf" "error 68 at 0" "${V[@]}" -verify_hostname localhost $(e sha1-leaf)
  check "sha1-leaf without -auth_level" OK -CAfile ca.pem -purpose sslserver $(e sha1-leaf)
  check "sha1-int-leaf" "error 68 at 1" "${V[@]}" -verify_hostname localhost $(e sha1-int-leaf)
  check "rsa1024-leaf" "error 66 at 0" "${V[@]}" -verify_hostname localhost $(e rsa1024-leaf)
  check "rsa1024-int-leaf" "error 67 at 1" "${V[@]}" -verify_hostname localhost $(e rsa1024-int-leaf)
  }
  local row n
  for row in "${EDGE_INTERMEDIATES[@]}" "${EDGE_LEAVES[@]}"; do
    n="${row%%|*}"
    check_pair "edge/$n.pem" "edge/$n.key"
  done
}

# ---------------------------------------------------------------------------------------------
# keyUsage without digitalSignature (edge/no-digital-signature): a leaf that cannot sign CertificateVerify
# (RFC 8446 §4.4.2.2), for the option x bad-certificate matrix (Docs/Security.md). Made on its own when missing,
# so nothing else changes.
# ---------------------------------------------------------------------------------------------
nods_present() { [[ -s edge/no-digital-signature.pem && -s edge/no-digital-signature.key && -s edge/no-digital-signature-chain.pem ]]; }

generate_nods() {
  [[ -n "$WORK" ]] || { WORK="$(mktemp -d)"; export CA_DIR="$WORK"; write_config; }
  echo "== generating edge/no-digital-signature"
  mkdir -p edge
  cat >> "$WORK/openssl.cnf" <<'CNF'

[ v3_edge_no_digital_signature ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, keyAgreement
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1, IP:::1
CNF
  [[ -d "$WORK/nods-intermediate" ]] || new_ca_db "nods-intermediate"
  new_key edge/no-digital-signature.key ecdsa-p256
  csr edge/no-digital-signature.key "/O=swift-tls13 tests/CN=localhost" "$WORK/nods.csr"
  sign nods-intermediate intermediate.pem intermediate.key "$WORK/nods.csr" edge/no-digital-signature.pem \
    v3_edge_no_digital_signature "$LEAF_START" "$END" sha256
  cat edge/no-digital-signature.pem intermediate.pem > edge/no-digital-signature-chain.pem
}

verify_nods() {
  echo "== verifying edge/no-digital-signature"
  # The chain and names are fine (openssl verify has no TLS 1.3 keyUsage rule): only a TLS 1.3 client rejects it.
  check "no-digital-signature" OK -CAfile ca.pem -purpose sslserver -verify_hostname localhost \
    -untrusted edge/no-digital-signature-chain.pem edge/no-digital-signature.pem
  openssl x509 -in edge/no-digital-signature.pem -noout -ext keyUsage | grep -q "Key Agreement" \
    || { echo "no-digital-signature: keyUsage is not keyAgreement only" >&2; exit 1; }
  check_pair edge/no-digital-signature.pem edge/no-digital-signature.key
}

# ---------------------------------------------------------------------------------------------
# Web PKI profile cases (edge/, README.md "Web PKI profile"): one rule of WebPKIProfile / PathValidation per
# certificate, made by their own step when any is missing, so every file above stays as it is. Each row spells
# out its whole extension section (no defaults are added), so a row can leave out, duplicate or mark critical
# what it needs to.
# ---------------------------------------------------------------------------------------------

W_CA="basicConstraints = critical, CA:TRUE, pathlen:0^keyUsage = critical, keyCertSign, cRLSign^subjectKeyIdentifier = hash^authorityKeyIdentifier = keyid:always"
W_ROOT="basicConstraints = critical, CA:TRUE^keyUsage = critical, keyCertSign, cRLSign"
W_KEYIDS="subjectKeyIdentifier = hash^authorityKeyIdentifier = keyid:always"
W_LEAF="basicConstraints = critical, CA:FALSE^keyUsage = critical, digitalSignature"
W_EKU="extendedKeyUsage = serverAuth"
W_SAN="subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1"
# name|key (a type, or same:<name> to reuse that certificate's key)|issuer (self, root, intermediate,
# unknown-root, or an edge CA)|subject (a CN, or EMPTY)|serial (hex, or - for random)|extension lines ('^'-separated)
WEBPKI_CAS=(
  "root-eku|ecdsa-p256|self|swift-tls13 Edge Root with extendedKeyUsage|-|$W_ROOT^$W_KEYIDS^$W_EKU"
  "root-aki-issuer|ecdsa-p256|self|swift-tls13 Edge Root with AKI issuer and serial|-|$W_ROOT^subjectKeyIdentifier = hash^authorityKeyIdentifier = keyid:always, issuer:always"
  "root-no-bc|ecdsa-p256|self|swift-tls13 Edge Root without basicConstraints|-|keyUsage = critical, keyCertSign, cRLSign^$W_KEYIDS"
  "root-no-ski|ecdsa-p256|self|swift-tls13 Edge Root without subjectKeyIdentifier|-|$W_ROOT^subjectKeyIdentifier = none^authorityKeyIdentifier = none"
  # An authorityKeyIdentifier naming another issuer and serial (and a keyIdentifier that is not its own).
  "root-aki-foreign|ecdsa-p256|self|swift-tls13 Edge Root with a foreign AKI|-|$W_ROOT^subjectKeyIdentifier = hash^2.5.29.35 = DER:30:43:80:14:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:a1:27:a4:25:30:23:31:21:30:1f:06:03:55:04:03:0c:18:73:77:69:66:74:2d:74:6c:73:31:33:20:53:6f:6d:65:6f:6e:65:20:45:6c:73:65:82:02:04:d2"
  "root-noncritical-bc|ecdsa-p256|self|swift-tls13 Edge Root with non-critical basicConstraints|-|basicConstraints = CA:TRUE^keyUsage = critical, keyCertSign, cRLSign^$W_KEYIDS"
  "noncritical-bc-intermediate|ecdsa-p256|root|swift-tls13 Edge Non-critical basicConstraints Intermediate|-|basicConstraints = CA:TRUE, pathlen:0^keyUsage = critical, keyCertSign, cRLSign^$W_KEYIDS"
  "no-ski-intermediate|ecdsa-p256|root|swift-tls13 Edge No-SKI Intermediate|-|basicConstraints = critical, CA:TRUE, pathlen:0^keyUsage = critical, keyCertSign, cRLSign^subjectKeyIdentifier = none^authorityKeyIdentifier = keyid:always"
  "no-aki-intermediate|ecdsa-p256|root|swift-tls13 Edge No-AKI Intermediate|-|basicConstraints = critical, CA:TRUE, pathlen:0^keyUsage = critical, keyCertSign, cRLSign^subjectKeyIdentifier = hash^authorityKeyIdentifier = none"
  "pc-noncritical-intermediate|ecdsa-p256|root|swift-tls13 Edge Non-critical policyConstraints Intermediate|-|$W_CA^policyConstraints = inhibitPolicyMapping:1"
  "nc-leading-dot-intermediate|ecdsa-p256|root|swift-tls13 Edge Leading-dot Name Constraint CA|-|$W_CA^nameConstraints = critical, permitted;DNS:.allowed.example"
  "nc-empty-intermediate|ecdsa-p256|root|swift-tls13 Edge Empty Name Constraints CA|-|$W_CA^2.5.29.30 = critical, DER:30:00"
  "cross-ca-untrusted|ecdsa-p256|unknown-root|swift-tls13 Edge Cross-Signed CA|-|$W_CA"
  "cross-ca|same:cross-ca-untrusted|root|swift-tls13 Edge Cross-Signed CA|-|$W_CA"
)
WEBPKI_LEAVES=(
  "ca-true-leaf|ecdsa-p256|intermediate|localhost|-|basicConstraints = critical, CA:TRUE^keyUsage = critical, digitalSignature^$W_KEYIDS^$W_EKU^$W_SAN"
  "keycertsign-leaf|ecdsa-p256|intermediate|localhost|-|basicConstraints = critical, CA:FALSE^keyUsage = critical, digitalSignature, keyCertSign^$W_KEYIDS^$W_EKU^$W_SAN"
  "anyeku-leaf|ecdsa-p256|intermediate|localhost|-|$W_LEAF^$W_KEYIDS^extendedKeyUsage = serverAuth, anyExtendedKeyUsage^$W_SAN"
  "critical-eku-leaf|ecdsa-p256|intermediate|localhost|-|$W_LEAF^$W_KEYIDS^extendedKeyUsage = critical, serverAuth^$W_SAN"
  "nc-leaf|ecdsa-p256|intermediate|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN^nameConstraints = permitted;DNS:localhost"
  "no-san-leaf|ecdsa-p256|intermediate|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU"
  "critical-san-leaf|ecdsa-p256|intermediate|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^subjectAltName = critical, DNS:localhost, IP:127.0.0.1, IP:::1"
  "empty-subject-leaf|ecdsa-p256|intermediate|EMPTY|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "underscore-san|ecdsa-p256|intermediate|underscore-san|-|$W_LEAF^$W_KEYIDS^$W_EKU^subjectAltName = DNS:under_score.example, DNS:localhost"
  "psl-wildcard|ecdsa-p256|intermediate|psl-wildcard|-|$W_LEAF^$W_KEYIDS^$W_EKU^subjectAltName = DNS:*.co.uk, DNS:*.example.co.uk, DNS:*.s3.amazonaws.com"
  "cn-case|ecdsa-p256|intermediate|LocalHost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "cn-ip-notation|ecdsa-p256|intermediate|127.000.000.001|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "cn-unicode|ecdsa-p256|intermediate|bücher.example|-|$W_LEAF^$W_KEYIDS^$W_EKU^subjectAltName = DNS:xn--bcher-kva.example"
  "serial-zero|ecdsa-p256|intermediate|localhost|00|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "serial-too-long|ecdsa-p256|intermediate|localhost|7F0102030405060708090A0B0C0D0E0F1011121314|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "rsa2052-leaf|rsa2052|intermediate|localhost|-|basicConstraints = critical, CA:FALSE^keyUsage = critical, digitalSignature, keyEncipherment^$W_KEYIDS^$W_EKU^$W_SAN"
  "dsa-leaf|dsa2048|intermediate|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "no-aki-leaf|ecdsa-p256|intermediate|localhost|-|$W_LEAF^subjectKeyIdentifier = hash^authorityKeyIdentifier = none^$W_EKU^$W_SAN"
  "malformed-aia-leaf|ecdsa-p256|intermediate|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN^1.3.6.1.5.5.7.1.1 = DER:30:00"
  "nc-wildcard|ecdsa-p256|nc-intermediate|nc-wildcard|-|$W_LEAF^$W_KEYIDS^$W_EKU^subjectAltName = DNS:*.allowed.example"
  "nc-invalid-san|ecdsa-p256|nc-intermediate|www.allowed.example|-|$W_LEAF^$W_KEYIDS^$W_EKU^subjectAltName = DNS:.allowed.example, DNS:www.allowed.example"
  "noncritical-bc-int-leaf|ecdsa-p256|noncritical-bc-intermediate|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  # Its issuer has no subjectKeyIdentifier to copy, so the keyIdentifier is given (any value matches then).
  "no-ski-int-leaf|ecdsa-p256|no-ski-intermediate|localhost|-|$W_LEAF^subjectKeyIdentifier = hash^2.5.29.35 = DER:30:0a:80:08:00:01:02:03:04:05:06:07^$W_EKU^$W_SAN"
  "no-aki-int-leaf|ecdsa-p256|no-aki-intermediate|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "pc-noncritical-int-leaf|ecdsa-p256|pc-noncritical-intermediate|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "nc-leading-dot-leaf|ecdsa-p256|nc-leading-dot-intermediate|www.allowed.example|-|$W_LEAF^$W_KEYIDS^$W_EKU^subjectAltName = DNS:www.allowed.example"
  "nc-empty-leaf|ecdsa-p256|nc-empty-intermediate|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "root-eku-leaf|ecdsa-p256|root-eku|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "root-aki-issuer-leaf|ecdsa-p256|root-aki-issuer|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "root-aki-foreign-leaf|ecdsa-p256|root-aki-foreign|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "root-no-bc-leaf|ecdsa-p256|root-no-bc|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "root-no-ski-leaf|ecdsa-p256|root-no-ski|localhost|-|$W_LEAF^subjectKeyIdentifier = hash^2.5.29.35 = DER:30:0a:80:08:00:01:02:03:04:05:06:07^$W_EKU^$W_SAN"
  "root-noncritical-bc-leaf|ecdsa-p256|root-noncritical-bc|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
  "cross-leaf|ecdsa-p256|cross-ca|localhost|-|$W_LEAF^$W_KEYIDS^$W_EKU^$W_SAN"
)

WEBPKI_OUTPUTS=()
for row in "${WEBPKI_CAS[@]}" "${WEBPKI_LEAVES[@]}"; do
  n="${row%%|*}"
  WEBPKI_OUTPUTS+=("edge/$n.pem" "edge/$n.key" "edge/$n-chain.pem")
done

webpki_present() {
  local f
  for f in "${WEBPKI_OUTPUTS[@]}"; do [[ -s "$f" ]] || return 1; done
}

# webpki_key <file> <type>: the key types edge_make does not have, else new_key's.
webpki_key() {
  case "$2" in
    rsa2052) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2052 -out "$1" 2>/dev/null; chmod 600 "$1" ;;
    dsa2048)
      openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$WORK/dsa-params.pem" 2>/dev/null
      openssl genpkey -paramfile "$WORK/dsa-params.pem" -out "$1"; chmod 600 "$1" ;;
    same:*) cp "edge/${2#same:}.key" "$1"; chmod 600 "$1" ;;
    *) new_key "$1" "$2" ;;
  esac
}

# webpki_make <row>
webpki_make() {
  local name key issuer cn serial ext
  IFS='|' read -r name key issuer cn serial ext <<< "$1"
  local cacert cakey cachain
  case "$issuer" in
    self) cacert=self; cakey="edge/$name.key"; cachain=/dev/null ;;
    unknown-root) cacert=unknown-ca-root.pem; cakey=unknown-ca-root.key; cachain=/dev/null ;;
    root-*) cacert="edge/$issuer.pem"; cakey="edge/$issuer.key"; cachain=/dev/null ;;  # roots are never sent
    *) read -r cacert cakey cachain <<< "$(edge_issuer_files "$issuer")" ;;
  esac
  local section="v3_webpki_${name//-/_}"
  { echo; echo "[ $section ]"; tr '^' '\n' <<< "$ext"; } >> "$WORK/openssl.cnf"
  local db="webpki-$issuer"
  [[ "$issuer" == self ]] && db="webpki-self-$name"
  [[ -d "$WORK/$db" ]] || new_ca_db "$db"
  [[ "$serial" == - ]] || echo "$serial" > "$WORK/$db/serial"
  webpki_key "edge/$name.key" "$key"
  local subject="/O=swift-tls13 tests/CN=$cn"
  [[ "$cn" == EMPTY ]] && subject="/"
  openssl req -new -utf8 -config "$WORK/openssl.cnf" -key "edge/$name.key" -subj "$subject" -out "$WORK/w-$name.csr"
  local certarg=(-cert "$cacert")
  [[ "$cacert" == self ]] && certarg=(-selfsign)
  CA_DIR="$WORK/$db" openssl ca -batch -notext -utf8 -config "$WORK/openssl.cnf" -policy policy_loose \
    "${certarg[@]}" -keyfile "$cakey" -in "$WORK/w-$name.csr" -out "edge/$name.pem" -md sha256 \
    -extensions "$section" -startdate "$LEAF_START" -enddate "$END" 2>"$WORK/ca.log" \
    || { cat "$WORK/ca.log" >&2; exit 1; }
  # A random serial for the next certificate of this CA (a fixed one was only for this row).
  printf '%02X%s\n' $(( 0x$(openssl rand -hex 1) & 0x7f )) "$(openssl rand -hex 15)" > "$WORK/$db/serial"
  cat "edge/$name.pem" "$cachain" > "edge/$name-chain.pem"
}

generate_webpki() {
  [[ -n "$WORK" ]] || { WORK="$(mktemp -d)"; export CA_DIR="$WORK"; write_config; }
  grep -q '^\[ policy_loose \]' "$WORK/openssl.cnf" \
    || printf '\n[ policy_loose ]\norganizationName = optional\ncommonName = optional\n' >> "$WORK/openssl.cnf"
  echo "== generating Web PKI profile certificates (edge/)"
  mkdir -p edge
  # Rows added later are made on their own: a row whose files exist is left as it is (unless --force).
  local row n
  for row in "${WEBPKI_CAS[@]}" "${WEBPKI_LEAVES[@]}"; do
    n="${row%%|*}"
    if [[ "$MODE" != --force && -s "edge/$n.pem" && -s "edge/$n.key" && -s "edge/$n-chain.pem" ]]; then continue; fi
    webpki_make "$row"
  done
}

# What `openssl verify` says. Most are OK: the profile rules are the library's own (WebPKIProfile); libcrypto
# checks none of them. The library's verdicts are in README.md and CertificateWebPKIProfileTests.
verify_webpki() {
  echo "== verifying the Web PKI profile certificates (edge/)"
  local V=(-CAfile ca.pem -purpose sslserver -auth_level 2)
  w() { echo "-untrusted edge/$1-chain.pem edge/$1.pem"; }
  local row n
  # shellcheck disable=SC2046
  {
  for n in ca-true-leaf keycertsign-leaf anyeku-leaf critical-eku-leaf nc-leaf critical-san-leaf empty-subject-leaf \
           cn-case cn-ip-notation serial-zero serial-too-long rsa2052-leaf dsa-leaf no-aki-leaf \
           malformed-aia-leaf noncritical-bc-int-leaf no-ski-int-leaf no-aki-int-leaf pc-noncritical-int-leaf \
           nc-empty-leaf; do
    check "$n" OK "${V[@]}" -verify_ip 127.0.0.1 $(w "$n")
  done
  check "no-san-leaf (no name checked)" OK "${V[@]}" $(w no-san-leaf)
  check "underscore-san under_score.example" OK "${V[@]}" -verify_hostname under_score.example $(w underscore-san)
  check "psl-wildcard example.co.uk" OK "${V[@]}" -verify_hostname example.co.uk $(w psl-wildcard)
  check "cn-unicode xn--bcher-kva.example" OK "${V[@]}" -verify_hostname xn--bcher-kva.example $(w cn-unicode)
  # libcrypto compares the string *.allowed.example with each constraint (CVE-2025-61727).
  check "nc-wildcard secret.allowed.example" OK "${V[@]}" -verify_hostname secret.allowed.example $(w nc-wildcard)
  check "nc-invalid-san www.allowed.example" OK "${V[@]}" -verify_hostname www.allowed.example $(w nc-invalid-san)
  check "nc-leading-dot-leaf" OK "${V[@]}" -verify_hostname www.allowed.example $(w nc-leading-dot-leaf)
  for n in root-eku root-aki-issuer root-no-ski root-noncritical-bc; do
    check "$n-leaf under its root" OK -CAfile "edge/$n.pem" -purpose sslserver -auth_level 2 -verify_ip 127.0.0.1 \
      "edge/$n-leaf.pem"
  done
  # Its AKI does not point at itself, so libcrypto does not take it as self-signed: an anchor only with
  # -partial_chain (the library's X509_V_FLAG_PARTIAL_CHAIN).
  check "root-aki-foreign-leaf under its root" "error 2 at 1" -CAfile edge/root-aki-foreign.pem -purpose sslserver \
    -auth_level 2 edge/root-aki-foreign-leaf.pem
  check "root-aki-foreign-leaf, -partial_chain" OK -CAfile edge/root-aki-foreign.pem -purpose sslserver \
    -auth_level 2 -partial_chain edge/root-aki-foreign-leaf.pem
  # A trust anchor without basicConstraints is still an anchor to libcrypto.
  check "root-no-bc-leaf under its root" OK -CAfile edge/root-no-bc.pem -purpose sslserver -auth_level 2 \
    edge/root-no-bc-leaf.pem
  # X509_verify_cert builds one path: through the first candidate issuer, here the untrusted one.
  check "cross-leaf via the untrusted CA first" "error 20 at 1" "${V[@]}" \
    -untrusted edge/cross-ca-untrusted.pem -untrusted edge/cross-ca.pem edge/cross-leaf.pem
  check "cross-leaf via the trusted CA" OK "${V[@]}" -untrusted edge/cross-ca.pem edge/cross-leaf.pem
  }
  for row in "${WEBPKI_CAS[@]}" "${WEBPKI_LEAVES[@]}"; do
    n="${row%%|*}"
    check_pair "edge/$n.pem" "edge/$n.key"
  done
}

# ECH and certificate compression (Docs/Interop.md): the ECH test server's public-name leaf (ech-public.example), and
# a chain of real-world size for the compression measurements — leaf + two intermediates, RSA-2048 throughout under an
# RSA-2048 root of its own, with the extensions a public CA's certificates carry (AIA, CRL distribution point,
# policies) and, in the leaf, a stand-in for two SCTs (238 random bytes: real SCTs are signatures and do not compress).
P12_OUTPUTS=(leaf-ech-public.pem leaf-ech-public.key leaf-ech-public-chain.pem
             realworld-root.pem realworld-root.key realworld-intermediate-1.pem realworld-intermediate-1.key
             realworld-intermediate-2.pem realworld-intermediate-2.key
             leaf-realworld-rsa2048.pem leaf-realworld-rsa2048.key leaf-realworld-rsa2048-chain.pem)
p12_present() {
  local f
  for f in "${P12_OUTPUTS[@]}"; do [[ -s "$f" ]] || return 1; done
}

generate_p12() {
  [[ -n "$WORK" ]] || { WORK="$(mktemp -d)"; export CA_DIR="$WORK"; write_config; }
  local O="/O=swift-tls13 tests"
  echo "== generating the ECH public-name leaf and the real-world-size RSA chain"
  new_ca_db intermediate-p12
  new_key leaf-ech-public.key ecdsa-p256
  csr leaf-ech-public.key "$O/CN=ech-public.example" "$WORK/leaf-ech-public.csr"
  sign intermediate-p12 intermediate.pem intermediate.key "$WORK/leaf-ech-public.csr" leaf-ech-public.pem \
    v3_leaf_ech_public "$LEAF_START" "$END"
  cat leaf-ech-public.pem intermediate.pem > leaf-ech-public-chain.pem

  local R="/C=US/O=swift-tls13 Real-World Test PKI"
  new_key realworld-root.key rsa2048
  new_ca_db realworld-root
  csr realworld-root.key "$R/CN=swift-tls13 Real-World Test Root R1" "$WORK/realworld-root.csr"
  sign realworld-root self realworld-root.key "$WORK/realworld-root.csr" realworld-root.pem v3_realworld_root \
    "$CA_START" "$END"
  new_key realworld-intermediate-1.key rsa2048
  csr realworld-intermediate-1.key "$R/CN=swift-tls13 Real-World Test Intermediate CA 1" "$WORK/rw1.csr"
  sign realworld-root realworld-root.pem realworld-root.key "$WORK/rw1.csr" realworld-intermediate-1.pem \
    v3_realworld_intermediate_1 "$CA_START" "$END"
  new_key realworld-intermediate-2.key rsa2048
  new_ca_db realworld-1
  csr realworld-intermediate-2.key "$R/CN=swift-tls13 Real-World Test Issuing CA 2" "$WORK/rw2.csr"
  sign realworld-1 realworld-intermediate-1.pem realworld-intermediate-1.key "$WORK/rw2.csr" \
    realworld-intermediate-2.pem v3_realworld_intermediate_2 "$CA_START" "$END"
  # The leaf's section: localhost names, AIA, CRL, policies, and 238 random bytes where the SCT list would be.
  cat >> "$WORK/openssl.cnf" <<EOF2

[ v3_realworld_leaf ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, DNS:www.localhost, DNS:api.localhost, IP:127.0.0.1, IP:::1
certificatePolicies    = 2.23.140.1.2.1
authorityInfoAccess    = caIssuers;URI:http://crt.realworld-ca2.example/ca2.der, OCSP;URI:http://ocsp.realworld-ca2.example
crlDistributionPoints  = URI:http://crl.realworld-ca2.example/ca2.crl
1.3.6.1.4.1.11129.2.4.2 = DER:0481F000EE$(openssl rand -hex 238)
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF2
  new_key leaf-realworld-rsa2048.key rsa2048
  new_ca_db realworld-2
  csr leaf-realworld-rsa2048.key "$R/CN=localhost" "$WORK/rwleaf.csr"
  sign realworld-2 realworld-intermediate-2.pem realworld-intermediate-2.key "$WORK/rwleaf.csr" \
    leaf-realworld-rsa2048.pem v3_realworld_leaf "$LEAF_START" "$END"
  cat leaf-realworld-rsa2048.pem realworld-intermediate-2.pem realworld-intermediate-1.pem \
    > leaf-realworld-rsa2048-chain.pem
}

verify_p12() {
  check "leaf-ech-public ech-public.example" OK -CAfile ca.pem -untrusted intermediate.pem -purpose sslserver \
    -verify_hostname ech-public.example leaf-ech-public.pem
  check "leaf-ech-public is not localhost" "error 62 at 0" -CAfile ca.pem -untrusted intermediate.pem \
    -verify_hostname localhost leaf-ech-public.pem
  check_pair leaf-ech-public.pem leaf-ech-public.key
  check "leaf-realworld-rsa2048 localhost" OK -CAfile realworld-root.pem -untrusted leaf-realworld-rsa2048-chain.pem \
    -purpose sslserver -verify_hostname localhost leaf-realworld-rsa2048.pem
  check_pair leaf-realworld-rsa2048.pem leaf-realworld-rsa2048.key
}

if [[ "$MODE" == --force ]] || { [[ "$MODE" != --verify ]] && ! all_present; }; then
  generate
  generate_clients
  generate_extras
elif [[ "$MODE" != --verify ]] && ! clients_present; then
  generate_clients
elif [[ "$MODE" != --verify ]] && ! extras_present; then
  generate_extras
elif [[ "$MODE" != --verify ]]; then
  echo "== all files present (use --force to regenerate)"
fi
if [[ "$MODE" != --verify ]] && { [[ "$MODE" == --force ]] || ! edge_present; }; then
  generate_edge
fi
if [[ "$MODE" != --verify ]] && { [[ "$MODE" == --force ]] || ! nods_present; }; then
  generate_nods
fi
if [[ "$MODE" != --verify ]] && { [[ "$MODE" == --force ]] || ! webpki_present; }; then
  generate_webpki
fi
if [[ "$MODE" != --verify ]] && { [[ "$MODE" == --force ]] || ! p12_present; }; then
  generate_p12
fi
verify_clients
verify_extras
verify_edge
verify_nods
verify_webpki
verify_p12
verify_all
