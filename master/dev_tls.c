/* The self-signed CA and localhost certificate of `sealpost dev`, made with
 * OpenSSL directly so no openssl(1) command line is needed. */
#include "dev.h"
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static char tls_error[512];

static int tls_fail(const char **error_r, const char *what)
{
	snprintf(tls_error, sizeof(tls_error), "creating the dev certificate: %s",
		 what);
	*error_r = tls_error;
	return -1;
}

static int tls_add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* A certificate valid from now for ten years, signed by `ca_key` (itself
 * when `issuer` is NULL). */
static X509 *tls_make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
			   EVP_PKEY *ca_key, long serial)
{
	X509 *cert = X509_new();
	X509_NAME *name;
	int ok = cert != NULL;

	ok = ok && X509_set_version(cert, 2);
	ok = ok && ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != NULL;
	ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert),
				   10L * 365 * 86400) != NULL;
	ok = ok && X509_set_pubkey(cert, key);
	if (!ok) {
		X509_free(cert);
		return NULL;
	}
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
				   (const unsigned char *)"sealpost dev", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(cert, issuer != NULL ?
			     X509_get_subject_name(issuer) : name);
	if (issuer == NULL) {
		ok = tls_add_ext(cert, cert, NID_basic_constraints,
				 "critical,CA:TRUE") == 0 &&
		     tls_add_ext(cert, cert, NID_key_usage,
				 "critical,keyCertSign,cRLSign") == 0 &&
		     tls_add_ext(cert, cert, NID_subject_key_identifier,
				 "hash") == 0;
	} else {
		ok = tls_add_ext(cert, issuer, NID_basic_constraints,
				 "critical,CA:FALSE") == 0 &&
		     tls_add_ext(cert, issuer, NID_subject_alt_name,
				 "DNS:localhost,IP:127.0.0.1,IP:::1") == 0 &&
		     tls_add_ext(cert, issuer, NID_ext_key_usage,
				 "serverAuth") == 0 &&
		     tls_add_ext(cert, issuer, NID_authority_key_identifier,
				 "keyid:always") == 0;
	}
	if (!ok || X509_sign(cert, ca_key, EVP_sha256()) == 0) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static int tls_write_pem(const char *path, mode_t mode, X509 *cert,
			 EVP_PKEY *key)
{
	FILE *f;
	int ok;

	(void)unlink(path);
	f = fopen(path, "w");
	if (f == NULL || chmod(path, mode) < 0) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	ok = cert != NULL ? PEM_write_X509(f, cert) :
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	return fclose(f) == 0 && ok ? 0 : -1;
}

int dev_tls_prepare(const char *dir, const char **error_r)
{
	struct buf path = BUF_INIT;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	int ret = -1;

	buf_printf(&path, "%s/tls", dir);
	if (mkdir(buf_cstr(&path), 0755) < 0 && errno != EEXIST) {
		buf_free(&path);
		return tls_fail(error_r, strerror(errno));
	}
	buf_printf(&path, "/server.pem");
	if (access(buf_cstr(&path), R_OK) == 0) {
		buf_free(&path);
		return 0;
	}
	ca_key = EVP_EC_gen("P-256");
	key = EVP_EC_gen("P-256");
	if (ca_key == NULL || key == NULL)
		goto out;
	ca = tls_make_cert(ca_key, "sealpost dev CA", NULL, ca_key, 1);
	if (ca == NULL)
		goto out;
	cert = tls_make_cert(key, DEV_HOST, ca, ca_key, 2);
	if (cert == NULL)
		goto out;
	buf_clear(&path);
	buf_printf(&path, "%s/tls/ca.pem", dir);
	if (tls_write_pem(buf_cstr(&path), 0644, ca, NULL) < 0)
		goto out;
	buf_clear(&path);
	buf_printf(&path, "%s/tls/server.key", dir);
	if (tls_write_pem(buf_cstr(&path), 0600, NULL, key) < 0)
		goto out;
	/* Written last: its presence says the set is complete. */
	buf_clear(&path);
	buf_printf(&path, "%s/tls/server.pem", dir);
	if (tls_write_pem(buf_cstr(&path), 0644, cert, NULL) < 0)
		goto out;
	ret = 0;
out:
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	buf_free(&path);
	return ret == 0 ? 0 : tls_fail(error_r, "OpenSSL error");
}
