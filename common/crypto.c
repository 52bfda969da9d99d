/*
 * crypto.c - NSS's software token (softoken, libsoftokn3), spoken to
 * through its PKCS#11 interface.  Not libnss3's PK11 layer above it: that
 * layer, its OID tables and its certificate machinery cost a process
 * 1.3 MB of resident memory (measured: NSS_NoDB_Init 5.0 MB peak, this
 * 3.7 MB, for one HMAC), which the boot agent cannot spare, and vnode uses
 * none of it.  The algorithms are softoken's (freebl) either way.
 *
 * Every operation opens a session of its own, so threads need no lock of
 * ours (softoken is initialised with CKF_OS_LOCKING_OK); keys are session
 * objects, destroyed with the session right after the one operation.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <pkcs11.h>
#include <pkcs11n.h>

#include "crypto.h"
#include "util.h"

/* softoken without any database: nothing is read from or written to disk */
#define SOFTOKEN_PARAMS "configdir='' certPrefix='' keyPrefix='' " \
	"secmod='' flags=readOnly,noCertDB,noModDB,forceOpen,optimizeSpace"

static CK_FUNCTION_LIST_PTR p11;
static CK_SLOT_ID slot;
static int initialised;		/* by us: C_Finalize at shutdown */

int
crypto_init(char *err, size_t errlen)
{
	CK_C_INITIALIZE_ARGS args;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slots[4];
	CK_ULONG n = sizeof(slots) / sizeof(slots[0]);
	CK_RV rv;

	if (p11 != NULL)
		return 0;
	/* C_GetFunctionList: softoken's FIPS token when the system is in
	 * FIPS mode, its ordinary one otherwise */
	if ((rv = C_GetFunctionList(&f)) != CKR_OK)
		return errf(err, errlen, "NSS softoken: no function list "
		    "(PKCS#11 error 0x%lx)", (unsigned long)rv);
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	args.LibraryParameters = (CK_CHAR_PTR *)(uintptr_t)SOFTOKEN_PARAMS;
	rv = f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return errf(err, errlen, "NSS softoken: initialisation "
		    "failed (PKCS#11 error 0x%lx)", (unsigned long)rv);
	initialised = rv == CKR_OK;
	/* the first slot with a token is the one for plain crypto
	 * ("NSS Generic Crypto Services"; the key store comes after it) */
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK || n == 0) {
		if (initialised)
			f->C_Finalize(NULL);
		initialised = 0;
		return errf(err, errlen, "NSS softoken: no token (PKCS#11 "
		    "error 0x%lx)", (unsigned long)rv);
	}
	slot = slots[0];
	p11 = f;
	return 0;
}

void
crypto_shutdown(void)
{
	if (p11 != NULL && initialised)
		p11->C_Finalize(NULL);
	p11 = NULL;
	initialised = 0;
}

static int
session_open(CK_SESSION_HANDLE *s)
{
	if (p11 == NULL)
		return -1;
	return p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, s) ==
	    CKR_OK ? 0 : -1;
}

int
crypto_random(void *buf, size_t len)
{
	CK_SESSION_HANDLE s;
	CK_RV rv;

	if (len > ULONG_MAX || session_open(&s) != 0)
		return -1;
	rv = p11->C_GenerateRandom(s, buf, (CK_ULONG)len);
	p11->C_CloseSession(s);
	return rv == CKR_OK ? 0 : -1;
}

int
crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
	static const unsigned char empty;
	CK_MECHANISM mech = { CKM_SHA256, NULL, 0 };
	CK_SESSION_HANDLE s;
	CK_ULONG outlen = CRYPTO_SHA256_LEN;
	CK_RV rv;

	if (len > ULONG_MAX || session_open(&s) != 0)
		return -1;
	if (data == NULL)
		data = &empty;
	rv = p11->C_DigestInit(s, &mech);
	if (rv == CKR_OK)
		rv = p11->C_Digest(s, (CK_BYTE_PTR)(uintptr_t)data,
		    (CK_ULONG)len, out, &outlen);
	p11->C_CloseSession(s);
	return rv == CKR_OK && outlen == CRYPTO_SHA256_LEN ? 0 : -1;
}

/* key as a session object of s that may do op (CKA_SIGN, CKA_ENCRYPT or
 * CKA_DECRYPT) */
static int
key_import(CK_SESSION_HANDLE s, CK_KEY_TYPE type, CK_ATTRIBUTE_TYPE op,
    const unsigned char *key, size_t keylen, CK_OBJECT_HANDLE *k)
{
	CK_OBJECT_CLASS class = CKO_SECRET_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE attrs[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_KEY_TYPE, &type, sizeof(type) },
		{ op, &yes, sizeof(yes) },
		{ CKA_VALUE, (CK_VOID_PTR)(uintptr_t)key, (CK_ULONG)keylen },
	};

	if (keylen == 0 || keylen > ULONG_MAX)
		return -1;
	return p11->C_CreateObject(s, attrs, sizeof(attrs) / sizeof(attrs[0]),
	    k) == CKR_OK ? 0 : -1;
}

int
crypto_hmac_sha256(const unsigned char *key, size_t keylen, const void *data,
    size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
	static const unsigned char empty;
	CK_MECHANISM mech = { CKM_SHA256_HMAC, NULL, 0 };
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE k;
	CK_ULONG outlen = CRYPTO_SHA256_LEN;
	CK_RV rv = CKR_GENERAL_ERROR;

	if (len > ULONG_MAX || session_open(&s) != 0)
		return -1;
	if (data == NULL)
		data = &empty;
	if (key_import(s, CKK_GENERIC_SECRET, CKA_SIGN, key, keylen, &k) == 0 &&
	    (rv = p11->C_SignInit(s, &mech, k)) == CKR_OK)
		rv = p11->C_Sign(s, (CK_BYTE_PTR)(uintptr_t)data,
		    (CK_ULONG)len, out, &outlen);
	p11->C_CloseSession(s);		/* destroys k */
	return rv == CKR_OK && outlen == CRYPTO_SHA256_LEN ? 0 : -1;
}

static int
gcm(int seal, const unsigned char key[CRYPTO_KEY_LEN],
    const unsigned char iv[CRYPTO_GCM_IV_LEN], const void *aad, size_t aadlen,
    const void *in, size_t inlen, unsigned char *out, size_t outmax)
{
	CK_NSS_GCM_PARAMS p;
	CK_MECHANISM mech = { CKM_AES_GCM, &p, sizeof(p) };
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE k;
	CK_ULONG outlen = (CK_ULONG)outmax;
	CK_RV rv = CKR_GENERAL_ERROR;

	if (inlen > ULONG_MAX - CRYPTO_GCM_TAG_LEN || aadlen > ULONG_MAX ||
	    session_open(&s) != 0)
		return -1;
	memset(&p, 0, sizeof(p));
	p.pIv = (CK_BYTE_PTR)(uintptr_t)iv;
	p.ulIvLen = CRYPTO_GCM_IV_LEN;
	p.pAAD = (CK_BYTE_PTR)(uintptr_t)aad;
	p.ulAADLen = (CK_ULONG)aadlen;
	p.ulTagBits = CRYPTO_GCM_TAG_LEN * 8;
	if (key_import(s, CKK_AES, seal ? CKA_ENCRYPT : CKA_DECRYPT, key,
	    CRYPTO_KEY_LEN, &k) == 0)
		rv = seal ? p11->C_EncryptInit(s, &mech, k) :
		    p11->C_DecryptInit(s, &mech, k);
	if (rv == CKR_OK && seal)
		rv = p11->C_Encrypt(s, (CK_BYTE_PTR)(uintptr_t)in,
		    (CK_ULONG)inlen, out, &outlen);
	else if (rv == CKR_OK)
		rv = p11->C_Decrypt(s, (CK_BYTE_PTR)(uintptr_t)in,
		    (CK_ULONG)inlen, out, &outlen);
	p11->C_CloseSession(s);		/* destroys k */
	return rv == CKR_OK && outlen == (CK_ULONG)outmax ? 0 : -1;
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
