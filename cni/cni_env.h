/*
 * berth-cni: the CNI environment (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
 * CNI_IFNAME, CNI_ARGS, CNI_PATH) and BERTH_STATE_DIR, validated per verb as
 * CNI 1.1.0 requires. Failures are code 4 and name the variable.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "cni/cni_error.h"

enum cni_cmd {
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_GC,
	CNI_CMD_STATUS,
	CNI_CMD_VERSION,
};

/* Container ids: the spec's [A-Za-z0-9][A-Za-z0-9_.-]*, at most the engine's ENG_ID_MAX bytes. */
#define CNI_CONTAINERID_MAX 128

/* CNI_ARGS: "K=V;K=V". Only IP, MAC, K8S_POD_NAME and IgnoreUnknown mean something to berth-cni. */
struct cni_args {
	bool has_ip;
	uint32_t ip; /* host byte order */
	bool has_ip6;
	struct in6_addr ip6;
	bool has_mac;
	uint8_t mac[6];
	bool ignore_unknown;
	char pod_name[254]; /* K8S_POD_NAME: the name netd's DNS answers for the container; "" when absent */
};

struct cni_env {
	enum cni_cmd cmd;
	const char *command;	  /* as given */
	const char *container_id; /* NULL when absent (GC, STATUS, VERSION) */
	const char *netns;	  /* NULL when absent or empty (DEL may have none) */
	const char *ifname;	  /* NULL when absent (GC, STATUS, VERSION) */
	const char *path;	  /* CNI_PATH, NULL when absent */
	const char *state_dir;	  /* BERTH_STATE_DIR, NULL when absent */
	int lock_timeout_ms;	  /* BERTH_LOCK_TIMEOUT_MS; 0: the engine's default */
	struct cni_args args;
	char *const *envp; /* the whole environment, passed on to a delegated plugin */
};

/* The value of NAME in envp (NULL when absent). */
const char *cni_getenv(char *const *envp, const char *name);

/* "ADD" -> CNI_CMD_ADD; -EINVAL for anything else. */
int cni_cmd_parse(const char *s, enum cni_cmd *ret);
const char *cni_cmd_name(enum cni_cmd cmd);

/* Parse CNI_ARGS (the string s, NULL or "" meaning none). */
int cni_args_parse(const char *s, struct cni_args *ret, struct cni_err *ce);

/*
 * Read and validate the environment for its command. The strings point into
 * envp, which must outlive ret.
 */
int cni_env_parse(char *const *envp, struct cni_env *ret, struct cni_err *ce);
