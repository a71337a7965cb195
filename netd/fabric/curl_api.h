/* libcurl, loaded the first time the fabric needs it (dlopen), called through one table. */
#pragma once

#include <curl/curl.h>

#include "err.h"

/*
 * netd without a fabric never maps libcurl: linked directly, curl and the ~25
 * libraries it pulls in (TLS, Kerberos, LDAP, IDN...) were half of netd's
 * resident memory at start, for a plain-HTTP client only the fabric uses.
 */
struct curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *h);
	void (*easy_reset)(CURL *h);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd extra[], unsigned n, int timeout_ms, int *ret);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
};

/* Filled by curl_api_load. */
extern struct curl_api curl_api;

/* Load libcurl and run curl_global_init, once per process (thread-safe); 0 or -ELIBACC/-EIO with e set. */
int curl_api_load(struct berr *e);
