/* The helper's pinned copy of DingTalk's JSAPI for flow C's page
 * (jsapi/dingtalk-jsapi.js, built by scripts/build-jsapi from the npm
 * package dingtalk-jsapi; docs/dingtalk-api.md says why it is served here
 * rather than loaded from DingTalk's CDN). The page loads it with a
 * Subresource Integrity hash computed from the very bytes served, so a
 * proxy or cache that changes them makes the browser refuse the script. */
#ifndef CBD_JSAPI_H
#define CBD_JSAPI_H

#include <stddef.h>

#include <microhttpd.h>

/* Where the public listener serves it, under public_url. The version is
 * in the name: a new build is a new address. */
#define CBD_JSAPI_PATH "/jsapi/dingtalk-jsapi-3.2.9.js"

/* The file's bytes (jsapi_bytes.c, generated from the .js at build time). */
extern const unsigned char cbd_jsapi_bytes[];
extern const size_t cbd_jsapi_size;

/* "sha384-<base64>" of the bytes, for the script's integrity attribute;
 * computed once, thread-safe. NULL if OpenSSL failed (the page then is
 * not served: no script without its hash). */
const char *cbd_jsapi_integrity(void);

/* Answers GET CBD_JSAPI_PATH. */
enum MHD_Result cbd_jsapi_send(struct MHD_Connection *conn);

#endif
