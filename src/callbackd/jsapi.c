#include "config.h"

#include "jsapi.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "pages.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char integrity[8 + 64 + 1]; /* "sha384-" and 64 characters of base64 */

static void compute(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(cbd_jsapi_bytes, cbd_jsapi_size, md, &n, EVP_sha384(), NULL) != 1 || n != 48)
		return;
	memcpy(integrity, "sha384-", 7);
	if (EVP_EncodeBlock((unsigned char *)integrity + 7, md, (int)n) != 64)
		integrity[0] = '\0';
}

const char *cbd_jsapi_integrity(void)
{
	pthread_once(&once, compute);
	return integrity[0] != '\0' ? integrity : NULL;
}

enum MHD_Result cbd_jsapi_send(struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* PERSISTENT: libmicrohttpd only reads the buffer (the API predates
	 * const, hence the cast through an integer). */
	resp = MHD_create_response_from_buffer(cbd_jsapi_size, (void *)(uintptr_t)cbd_jsapi_bytes,
					       MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, "Content-Type", "text/javascript; charset=utf-8") !=
		MHD_YES ||
	    cbd_add_security_headers(resp) != 0) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}
