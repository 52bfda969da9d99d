#!/bin/bash
# https with a pinned controller: vnode-hookd makes its own key and
# certificate (tls = on, the default), vnodectl pin prints the pin (as
# openssl computes it from the certificate), vnodectl token create
# --user-data carries it, and a node joins over https from that user data
# on a config drive and runs a job.  Refused, each with its line and
# nothing sent to the hook: a wrong pin (naming the key the hook has), no
# pin (no CA vouches for the hook's own certificate), an expired
# certificate (the site's, with the pinned key: the hook says so too).
# The site's certificate with the pinned key is served; hookd.conf errors
# are named; plain http still works where tls = off.
. "$(dirname "$0")/test.common"
vt_init
command -v openssl >/dev/null || skip "openssl (to check the pin and make certificates) is not installed"
command -v genisoimage >/dev/null || skip "genisoimage is not installed"
HOOK_TLS=on
ctl_start
S=$T/sb/ctl
MKCD=$(dirname "$0")/../../cloud-init/make-config-drive

# 1. the hook's own pair, 0600 key, and the pin three ways
[ "$(stat -c %a:%U "$S/var/lib/vnode/hook.key")" = 600:slurm ] ||
    fail "hook.key: $(stat -c %a:%U "$S/var/lib/vnode/hook.key")"
ossl=sha256:$(openssl x509 -in "$S/var/lib/vnode/hook.crt" -pubkey -noout |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -r | cut -d' ' -f1)
[ "$HOOK_PIN" = "$ossl" ] || fail "vnodectl pin $HOOK_PIN, openssl $ossl"
grep -q "tls: /var/lib/vnode/hook.crt, pin $HOOK_PIN" "$T/hookd.log" ||
    fail "hookd's log does not name its pin: $(grep tls: "$T/hookd.log")"
grep -q "listening on $CTL_IP:$HOOK_PORT (https)" "$T/hookd.log" ||
    fail "hookd's log does not say https"
# TLS 1.2 and 1.3 only
sb ctl openssl s_client -connect "$CTL_IP:$HOOK_PORT" -tls1_1 </dev/null \
    >/dev/null 2>&1 && fail "the hook accepted TLS 1.1"

# 2. a node joins from the user data vnodectl prints, on a config drive
node_create n1
vnodectl token create --uses 1 --user-data --template \
    "$(cd "$(dirname "$0")/../.." && pwd)/cloud-init/user-data.yaml" \
    >"$T/ud" 2>"$T/ud.err" ||
    fail "token create --user-data: $(cat "$T/ud.err")"
grep -q "^  hook_url: \"https://$CTL_IP:$HOOK_PORT\"$" "$T/ud" ||
    fail "user data's hook_url: $(grep hook_url "$T/ud")"
grep -q "^  hook_pin: \"$HOOK_PIN\"$" "$T/ud" ||
    fail "user data's hook_pin: $(grep hook_pin "$T/ud")"
grep -q "the hook's pin: $HOOK_PIN" "$T/ud.err" ||
    fail "token create does not say the pin: $(cat "$T/ud.err")"
"$MKCD" --uuid 7d4e5f60-0000-4000-8000-0000000000c1 --name n1 \
    --meta cpus=1 --meta time_timeout=20 --user-data "$T/ud" "$T/n1.iso" \
    2>/dev/null || fail "make-config-drive"
: >"$T/sb/n1/etc/vnode/agent.conf"
agent n1 -C "$T/n1.iso" check 2>/dev/null || fail "check"
grep -q "^hook_pin *= $HOOK_PIN # config drive" "$T/n1.agent.log" ||
    fail "check does not show the pin"
agent n1 -C "$T/n1.iso" join || fail "join over https with the pin"
vm=$(sed -n 's/.*ready: \(vm-[0-9]*\) is.*/\1/p' "$T/n1.agent.log")
[ -n "$vm" ] || fail "n1 not ready"
reach "$vm"
grep -q "\"hook_pin\":\"$HOOK_PIN\"" "$T/sb/n1/var/lib/vnode/node.json" ||
    fail "the node's state does not keep the pin"
# its heartbeat and leave go the same way
agent n1 -C "$T/n1.iso" leave || fail "leave over https"

# 3. a wrong pin: refused at once, naming the hook's key; the token unused
node_create n2
tok=$(token 1)
wrong=sha256:$(printf '%064d' 7)
agent_conf n2 "$tok" "hook_pin = $wrong" "join_timeout = 60"
start=$(date +%s)
agent n2 join && fail "joined a hook whose key is not the pinned one"
grep -q "the hook's public key is $HOOK_PIN, not hook_pin $wrong: this is not the controller the pin names" \
    "$T/n2.agent.log" || fail "wrong pin: $(tail -n 3 "$T/n2.agent.log")"
[ $(($(date +%s) - start)) -lt 30 ] || fail "a wrong pin was retried"
vnodectl token list | grep -q "^${tok%%.*} *1 *0 " ||
    fail "the token was used: $(vnodectl token list)"

# 4. no pin: the machine's CAs do not vouch for the hook's own certificate
agent_conf n2 "$tok" "hook_pin = none" "join_timeout = 4"
agent n2 join && fail "joined without a pin or a CA"
grep -q "no CA of this machine vouches for it.*hook_pin, which vnodectl pin prints" \
    "$T/n2.agent.log" || fail "no pin: $(tail -n 3 "$T/n2.agent.log")"

# 5. the site's certificate for the same key, expired: the hook says so at
# start, the node refuses it before sending anything
cat >"$T/ca.cnf" <<-EOF
[ca]
default_ca = d
[d]
database = $T/ca.index
new_certs_dir = $T
serial = $T/ca.serial
default_md = sha256
unique_subject = no
policy = p
[p]
commonName = supplied
EOF
: >"$T/ca.index"
echo 01 >"$T/ca.serial"
openssl req -new -key "$S/var/lib/vnode/hook.key" -subj "/CN=vnode-ctl" \
    -out "$T/site.csr" 2>/dev/null || fail "openssl req"
openssl ca -batch -config "$T/ca.cnf" -selfsign -keyfile "$S/var/lib/vnode/hook.key" \
    -in "$T/site.csr" -startdate 20200101000000Z -enddate 20200201000000Z \
    -out "$S/etc/vnode/expired.crt" >/dev/null 2>&1 || fail "openssl ca"
install -o slurm -m 0600 "$S/var/lib/vnode/hook.key" "$S/etc/vnode/site.key"
hookd_stop
cp "$S/etc/vnode/hookd.conf" "$T/hookd.conf.own"
printf 'tls_cert = /etc/vnode/expired.crt\ntls_key = /etc/vnode/site.key\n' \
    >>"$S/etc/vnode/hookd.conf"
hookd_start
grep -q "tls: /etc/vnode/expired.crt expired on 2020-02-01 00:00:00 UTC: nodes refuse it; renew it" \
    "$T/hookd.log" || fail "hookd does not say its certificate expired"
[ "$(vnodectl pin)" = "$HOOK_PIN" ] || fail "the site's certificate, another pin"
agent_conf n2 "$tok" "hook_pin = $HOOK_PIN" "join_timeout = 4"
agent n2 join && fail "joined a hook with an expired certificate"
grep -q "the hook's certificate expired on 2020-02-01 00:00:00 UTC; refused" \
    "$T/n2.agent.log" || fail "expired: $(tail -n 3 "$T/n2.agent.log")"
vnodectl token list | grep -q "^${tok%%.*} *1 *0 " ||
    fail "the token was used: $(vnodectl token list)"

# 6. the site's valid certificate for that key: the node joins
openssl ca -batch -config "$T/ca.cnf" -selfsign -keyfile "$S/var/lib/vnode/hook.key" \
    -in "$T/site.csr" -days 30 -out "$S/etc/vnode/site.crt" >/dev/null 2>&1 ||
    fail "openssl ca"
hookd_stop
sed -i 's|^tls_cert = .*|tls_cert = /etc/vnode/site.crt|' "$S/etc/vnode/hookd.conf"
hookd_start
grep -q "tls: /etc/vnode/site.crt expires on .*: nodes refuse it from then; renew it with the same key" \
    "$T/hookd.log" || fail "hookd does not warn of the end in 30 days"
agent_conf n2 "$tok" "hook_pin = $HOOK_PIN" "join_timeout = 30"
agent n2 join || fail "join with the site's certificate"

# 7. hookd.conf errors, each named (vnode-hookd -n)
# hookd_n LINE...: vnode-hookd -n on the first configuration (its tls line
# left out) with the lines given
hookd_n() {
	grep -v '^tls = ' "$T/hookd.conf.own" >"$S/etc/vnode/t.conf"
	printf '%s\n' "$@" >>"$S/etc/vnode/t.conf"
	sb ctl "$VNODE_BIN/vnode-hookd" -n -f /etc/vnode/t.conf 2>&1
}
hookd_n "tls_cert = /etc/vnode/site.crt" | grep -q "tls_cert is set without tls_key" ||
    fail "tls_cert alone accepted"
hookd_n "tls = maybe" | grep -q "tls: \"maybe\" is not on or off" ||
    fail "tls = maybe accepted"
hookd_n "tls = off" "tls_cert = /etc/vnode/site.crt" "tls_key = /etc/vnode/site.key" |
    grep -q "tls = off, and tls_cert and tls_key are set" ||
    fail "tls = off with a certificate accepted"
hookd_n "tls = off" "hook_url = https://$CTL_IP:$HOOK_PORT" |
    grep -q "hook_url is https://$CTL_IP:$HOOK_PORT, and the hook serves plain http (tls = off)" ||
    fail "an https hook_url with tls = off accepted"
hookd_n "hook_url = http://$CTL_IP:$HOOK_PORT" |
    grep -q "hook_url is http://$CTL_IP:$HOOK_PORT, and the hook serves https (tls = on)" ||
    fail "an http hook_url with tls = on accepted"
# a key every user can read: the hook does not start
chmod 644 "$S/etc/vnode/site.key"
hookd_stop
out=$(sb ctl setpriv --reuid=slurm --regid=slurm --init-groups \
    timeout 20 "$VNODE_BIN/vnode-hookd" -f /etc/vnode/hookd.conf 2>&1) &&
    fail "hookd started with a key every user can read"
echo "$out" | grep -q "/etc/vnode/site.key: a private key that every user can read (mode 0644)" ||
    fail "readable key: $out"
chmod 600 "$S/etc/vnode/site.key"

# 8. plain http where the site chose it
sed 's/^tls = on$/tls = off/' "$T/hookd.conf.own" >"$S/etc/vnode/hookd.conf"
HOOK_TLS=off HOOK_PIN=
hookd_start
grep -q "listening on $CTL_IP:$HOOK_PORT (plain http: tls = off)" "$T/hookd.log" ||
    fail "hookd's log does not say plain http"
vnodectl pin 2>&1 | grep -q "tls = off: the hook serves plain http" ||
    fail "vnodectl pin with tls = off"
node_create n3
agent_conf n3 "$(token 1)"
agent n3 join || fail "join over plain http"
exit 0
