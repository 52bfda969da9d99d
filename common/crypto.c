/*
 * crypto.c - NSS without a certificate database.  Keys are imported as
 * session objects for one operation and destroyed right after.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <nss.h>
#include <pk11pub.h>
#include <pkcs11n.h>
#include <prerror.h>

#include "crypto.h"
#include "util.h"

int
crypto_init(char *err, size_t errlen)
{
	if (NSS_IsInitialized())
		return 0;
	if (NSS_NoDB_Init(NULL) != SECSuccess)
		return errf(err, errlen, "NSS initialisation failed (error %d)",
		    PR_GetError());
	return 0;
}

void
crypto_shutdown(void)
{
	if (NSS_IsInitialized())
		NSS_Shutdown();
}

int
crypto_random(void *buf, size_t len)
{
	if (len > INT_MAX)
		return -1;
	return PK11_GenerateRandom(buf, (int)len) == SECSuccess ? 0 : -1;
}

int
crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
	static const unsigned char empty;

	if (len > INT_MAX)
		return -1;
	if (data == NULL)
		data = &empty;
	return PK11_HashBuf(SEC_OID_SHA256, out, data, (PRInt32)len) ==
	    SECSuccess ? 0 : -1;
}

static PK11SymKey *
import_key(CK_MECHANISM_TYPE mech, CK_ATTRIBUTE_TYPE op,
    const unsigned char *key, size_t keylen)
{
	PK11SlotInfo *slot;
	PK11SymKey *sym;
	SECItem item;

	if (keylen == 0 || keylen > UINT_MAX)
		return NULL;
	if ((slot = PK11_GetInternalSlot()) == NULL)
		return NULL;
	item.type = siBuffer;
	item.data = (unsigned char *)(uintptr_t)key;
	item.len = (unsigned int)keylen;
	sym = PK11_ImportSymKey(slot, mech, PK11_OriginUnwrap, op, &item, NULL);
	PK11_FreeSlot(slot);
	return sym;
}

int
crypto_hmac_sha256(const unsigned char *key, size_t keylen, const void *data,
    size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
	static const unsigned char empty;
	PK11SymKey *sym;
	PK11Context *ctx = NULL;
	SECItem noparam = { siBuffer, NULL, 0 };
	unsigned int outlen = 0;
	int rc = -1;

	if (len > UINT_MAX)
		return -1;
	if (data == NULL)
		data = &empty;
	if ((sym = import_key(CKM_SHA256_HMAC, CKA_SIGN, key, keylen)) == NULL)
		return -1;
	ctx = PK11_CreateContextBySymKey(CKM_SHA256_HMAC, CKA_SIGN, sym,
	    &noparam);
	if (ctx == NULL)
		goto out;
	if (PK11_DigestBegin(ctx) != SECSuccess ||
	    PK11_DigestOp(ctx, data, (unsigned int)len) != SECSuccess ||
	    PK11_DigestFinal(ctx, out, &outlen, CRYPTO_SHA256_LEN) != SECSuccess ||
	    outlen != CRYPTO_SHA256_LEN)
		goto out;
	rc = 0;
out:
	if (ctx != NULL)
		PK11_DestroyContext(ctx, PR_TRUE);
	PK11_FreeSymKey(sym);
	return rc;
}

static int
gcm(int seal, const unsigned char key[CRYPTO_KEY_LEN],
    const unsigned char iv[CRYPTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t inlen, unsigned char *out, size_t outmax)
{
	PK11SymKey *sym;
	CK_NSS_GCM_PARAMS p;
	SECItem param;
	unsigned int outlen = 0;
	SECStatus st;

	if (inlen > UINT_MAX - CRYPTO_GCM_TAG_LEN || aadlen > UINT_MAX ||
	    outmax > UINT_MAX)
		return -1;
	sym = import_key(CKM_AES_GCM, seal ? CKA_ENCRYPT : CKA_DECRYPT, key,
	    CRYPTO_KEY_LEN);
	if (sym == NULL)
		return -1;
	memset(&p, 0, sizeof(p));
	p.pIv = (CK_BYTE_PTR)(uintptr_t)iv;
	p.ulIvLen = CRYPTO_GCM_IV_LEN;
	p.pAAD = (CK_BYTE_PTR)(uintptr_t)aad;
	p.ulAADLen = (CK_ULONG)aadlen;
	p.ulTagBits = CRYPTO_GCM_TAG_LEN * 8;
	param.type = siBuffer;
	param.data = (unsigned char *)&p;
	param.len = sizeof(p);
	if (seal)
		st = PK11_Encrypt(sym, CKM_AES_GCM, &param, out, &outlen,
		    (unsigned int)outmax, in, (unsigned int)inlen);
	else
		st = PK11_Decrypt(sym, CKM_AES_GCM, &param, out, &outlen,
		    (unsigned int)outmax, in, (unsigned int)inlen);
	PK11_FreeSymKey(sym);
	if (st != SECSuccess || outlen != outmax)
		return -1;
	return 0;
}

int
crypto_gcm_seal(const unsigned char key[CRYPTO_KEY_LEN],
    const unsigned char iv[CRYPTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *pt, size_t ptlen, unsigned char *out)
{
	return gcm(1, key, iv, aad, aadlen, pt, ptlen, out,
	    ptlen + CRYPTO_GCM_TAG_LEN);
}

int
crypto_gcm_open(const unsigned char key[CRYPTO_KEY_LEN],
    const unsigned char iv[CRYPTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *ct, size_t ctlen, unsigned char *out)
{
	if (ctlen < CRYPTO_GCM_TAG_LEN)
		return -1;
	return gcm(0, key, iv, aad, aadlen, ct, ctlen, out,
	    ctlen - CRYPTO_GCM_TAG_LEN);
}
