/*
 * wg.h - what the overlay's three parts (the agent, the hook, vnode-privd)
 * check and make alike: WireGuard keys in their text form, and the IPv4
 * networks and addresses of the overlay.
 *
 * A key is 32 bytes in standard base64: 44 characters, the last '=', and
 * the one before it from the characters whose low bits are zero (the
 * canonical form "wg genkey" and "wg pubkey" print).  Anything else is
 * refused, not repaired.
 */
#ifndef VNODE_WG_H
#define VNODE_WG_H

#include <stddef.h>
#include <stdint.h>

#define WG_KEY_LEN	44		/* the text, without its NUL */
#define WG_KEY_FILE_MAX	128		/* a key file's size, at most */

/* 1 when s is a key in canonical base64 and not all zero. */
int wg_key_valid(const char *s);
/* A new private key, clamped as X25519 wants it (RFC 7748), in base64.
 * 0, or -1 when the kernel gives no random numbers
 * (getrandom).  The caller wipes out. */
int wg_key_make(char out[WG_KEY_LEN + 1]);

/* An IPv4 network "a.b.c.d/n": addr in host order.  wg_net_parse takes
 * host bits as given ("10.99.0.1/16": an interface's address and its
 * network); wg_net_parse_strict refuses them ("10.99.0.0/16"). */
struct wg_net {
	uint32_t addr;
	int prefix;			/* 0..32 */
};

int wg_net_parse(const char *s, struct wg_net *n);
int wg_net_parse_strict(const char *s, struct wg_net *n);
uint32_t wg_net_mask(int prefix);
uint32_t wg_net_first(const struct wg_net *n);	/* the network's address */
uint32_t wg_net_last(const struct wg_net *n);	/* its broadcast address */
int wg_net_contains(const struct wg_net *n, uint32_t a);
/* 1 when the two networks share an address. */
int wg_net_overlap(const struct wg_net *a, const struct wg_net *b);
/* "a.b.c.d/n", the network's own address (host bits off) */
void wg_net_format(const struct wg_net *n, char *out, size_t outsz);

/* A dotted IPv4 address: 0, or -1. */
int wg_addr_parse(const char *s, uint32_t *a);
void wg_addr_format(uint32_t a, char *out, size_t outsz);

#endif
