/* libcurl, loaded the first time the fabric needs it (dlopen), called through one table. */
#include "netd/fabric/curl_api.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

struct curl_api curl_api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_rc;
static char load_msg[256];

#define SYM(field, name)                                                                                               \
	do {                                                                                                           \
		void *p_ = dlsym(h, name);                                                                             \
		if (!p_) {                                                                                             \
			snprintf(load_msg, sizeof(load_msg), "libcurl.so.4 has no %s", name);                          \
			load_rc = -ELIBACC;                                                                            \
			return;                                                                                        \
		}                                                                                                      \
		*(void **)&curl_api.field = p_;                                                                        \
	} while (0)

static void load(void)
{
	/* never unloaded: handles and threads may use it until exit */
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	CURLcode rc;

	if (!h) {
		snprintf(load_msg, sizeof(load_msg), "cannot load libcurl.so.4 (Debian: libcurl4): %s", dlerror());
		load_rc = -ELIBACC;
		return;
	}
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_reset, "curl_easy_reset");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
	SYM(multi_init, "curl_multi_init");
	SYM(multi_add_handle, "curl_multi_add_handle");
	SYM(multi_remove_handle, "curl_multi_remove_handle");
	SYM(multi_cleanup, "curl_multi_cleanup");
	SYM(multi_poll, "curl_multi_poll");
	SYM(multi_perform, "curl_multi_perform");
	SYM(multi_info_read, "curl_multi_info_read");
	rc = curl_api.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		snprintf(load_msg, sizeof(load_msg), "libcurl: %s", curl_api.easy_strerror(rc));
		load_rc = -EIO;
	}
}

int curl_api_load(struct berr *e)
{
	pthread_once(&once, load);
	if (load_rc < 0)
		return berr_set(e, load_rc, "%s", load_msg);
	return 0;
}
