/* netd's configuration: the built-in defaults and the JSON file over them. */
#include "netd/daemon/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "log.h"
#include "netd/daemon/request.h"
#include "netd/protocol.h"

#define CFG_MAX_SIZE (1024 * 1024)

static int set_str(char **dst, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

void cfg_free(struct cfg *c)
{
	free(c->socket);
	free(c->state_dir);
	free(c->run_dir);
	free(c->log_level);
	free(c->log_file);
	free(c->default_network);
	free(c->networks);
	free(c->dns.domain);
	free(c->dns.resolv_conf);
	fabric_cfg_free(c->fabric);
	free(c->fabric);
	memset(c, 0, sizeof(*c));
}

int cfg_defaults(struct cfg *c, struct berr *e)
{
	memset(c, 0, sizeof(*c));
	if (set_str(&c->socket, NETD_DEFAULT_SOCKET) < 0 || set_str(&c->state_dir, ENG_DEFAULT_STATE_DIR) < 0 ||
	    set_str(&c->run_dir, CFG_DEFAULT_RUN_DIR) < 0 || set_str(&c->log_level, "info") < 0 ||
	    set_str(&c->default_network, "berth0") < 0 || set_str(&c->dns.resolv_conf, CFG_DEFAULT_RESOLV_CONF) < 0)
		goto fail;
	c->dns.enabled = true;
	c->dns.ttl = 2;
	c->dns.upstream_timeout_ms = 1800;
	c->dns.port = 53;
	c->lock_timeout_ms = ENG_DEFAULT_LOCK_TIMEOUT_MS;
	c->max_clients = 128;
	c->client_timeout_ms = 30000;
	c->max_line = NETD_MAX_LINE;
	c->networks = calloc(1, sizeof(*c->networks));
	if (!c->networks)
		goto fail;
	eng_network_init(&c->networks[0], "berth0");
	baddr_parse_cidr4("10.66.0.0/16", false, &c->networks[0].subnet, NULL);
	c->networks[0].gateway = c->networks[0].subnet.addr + 1;
	c->n_networks = 1;
	return 0;
fail:
	cfg_free(c);
	return berr_oom(e);
}

/* Drop "//" comment keys, recursively, so the strict key checks see only real keys. */
static void strip_comments(json_t *j)
{
	const char *key;
	json_t *v;
	void *tmp;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach_safe (j, tmp, key, v) {
			if (strncmp(key, "//", 2) == 0)
				json_object_del(j, key);
			else
				strip_comments(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach (j, i, v)
			strip_comments(v);
	}
}

static int get_string(json_t *j, const char *key, char **dst, bool nullable, struct berr *e)
{
	json_t *v = json_object_get(j, key);
	const char *s;
	int r;

	if (nullable && json_is_null(v))
		return set_str(dst, NULL);
	r = bjson_get_str(j, key, "config", &s, e);
	if (r <= 0)
		return r;
	if (!*s && !nullable)
		return berr_set(e, -EINVAL, "config.%s: empty", key);
	return set_str(dst, *s ? s : NULL) < 0 ? berr_oom(e) : 0;
}

/* The "dns" object. */
static int apply_dns(struct cfg_dns *d, json_t *j, struct berr *e)
{
	static const char *const keys[] = {"enabled", "domain", "ttl", "resolv_conf", "upstream_timeout_ms",
					   "port",    NULL};
	int64_t n;
	int r;

	if ((r = bjson_check_keys(j, keys, "config.dns", e)) < 0 ||
	    (r = bjson_get_bool(j, "enabled", "config.dns", &d->enabled, e)) < 0 ||
	    (r = get_string(j, "domain", &d->domain, true, e)) < 0 ||
	    (r = get_string(j, "resolv_conf", &d->resolv_conf, false, e)) < 0)
		return r;
	if (d->domain && (!bdns_name_valid(d->domain) || strlen(d->domain) > 128))
		return berr_set(e, -EINVAL, "config.dns.domain: invalid domain '%s'", d->domain);
	n = d->ttl;
	if ((r = bjson_get_int(j, "ttl", "config.dns", 0, 3600, &n, e)) < 0)
		return r;
	d->ttl = (unsigned)n;
	n = d->upstream_timeout_ms;
	if ((r = bjson_get_int(j, "upstream_timeout_ms", "config.dns", 100, 10000, &n, e)) < 0)
		return r;
	d->upstream_timeout_ms = (int)n;
	n = d->port;
	if ((r = bjson_get_int(j, "port", "config.dns", 1, 65535, &n, e)) < 0)
		return r;
	d->port = (unsigned)n;
	return 0;
}

static int apply(struct cfg *c, json_t *j, struct berr *e)
{
	static const char *const keys[] = {"socket",	  "state_dir",
					   "run_dir",	  "log_level",
					   "log_file",	  "lock_timeout_ms",
					   "max_clients", "client_timeout_ms",
					   "max_line",	  "default_network",
					   "networks",	  "dns",
					   "fabric",	  NULL};
	json_t *dns;
	enum blog_level lvl;
	json_t *arr, *v;
	int64_t n;
	size_t i;
	int r;

	strip_comments(j);
	if ((r = bjson_check_keys(j, keys, "config", e)) < 0)
		return r;
	if ((r = get_string(j, "socket", &c->socket, false, e)) < 0 ||
	    (r = get_string(j, "state_dir", &c->state_dir, false, e)) < 0 ||
	    (r = get_string(j, "run_dir", &c->run_dir, false, e)) < 0 ||
	    (r = get_string(j, "log_level", &c->log_level, false, e)) < 0 ||
	    (r = get_string(j, "log_file", &c->log_file, true, e)) < 0 ||
	    (r = get_string(j, "default_network", &c->default_network, true, e)) < 0)
		return r;
	if (blog_parse_level(c->log_level, &lvl) < 0)
		return berr_set(e, -EINVAL, "config.log_level: '%s' is not error, warn, info or debug", c->log_level);
	n = c->lock_timeout_ms;
	if ((r = bjson_get_int(j, "lock_timeout_ms", "config", 1, 3600000, &n, e)) < 0)
		return r;
	c->lock_timeout_ms = (int)n;
	n = c->max_clients;
	if ((r = bjson_get_int(j, "max_clients", "config", 1, 65536, &n, e)) < 0)
		return r;
	c->max_clients = (unsigned)n;
	n = c->client_timeout_ms;
	if ((r = bjson_get_int(j, "client_timeout_ms", "config", 100, 3600000, &n, e)) < 0)
		return r;
	c->client_timeout_ms = (int)n;
	n = (int64_t)c->max_line;
	if ((r = bjson_get_int(j, "max_line", "config", 1024, NETD_MAX_LINE, &n, e)) < 0)
		return r;
	c->max_line = (size_t)n;
	r = bjson_get_arr(j, "networks", "config", &arr, e);
	if (r < 0)
		return r;
	if (r > 0) {
		struct eng_network *nets = calloc(json_array_size(arr) + 1, sizeof(*nets));

		if (!nets)
			return berr_oom(e);
		json_array_foreach (arr, i, v) {
			static const char *const nkeys[] = {
				"name",	     "bridge",	   "subnet",	  "gateway",	  "range_start",
				"range_end", "subnet6",	   "gateway6",	  "range6_start", "range6_end",
				"mtu",	     "masquerade", "masquerade6", "internal",	  "gateway_on_bridge",
				"hairpin",   "promisc",	   NULL};
			char where[48];

			snprintf(where, sizeof(where), "config.networks[%zu]", i);
			if ((r = bjson_check_keys(v, nkeys, where, e)) < 0 ||
			    (r = req_parse_network(v, where, &nets[i], e)) < 0) {
				free(nets);
				return r;
			}
		}
		free(c->networks);
		c->networks = nets;
		c->n_networks = json_array_size(arr);
	}
	{
		json_t *fab = json_object_get(j, "fabric");

		if (fab && !json_is_null(fab) && (r = cfg_parse_fabric(fab, &c->fabric, e)) < 0)
			return r;
	}
	if (c->default_network && !bname_valid(c->default_network, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "config.default_network: invalid name '%s'", c->default_network);
	r = bjson_get_obj(j, "dns", "config", &dns, e);
	if (r < 0)
		return r;
	return r > 0 ? apply_dns(&c->dns, dns, e) : 0;
}

static int get_uint(const json_t *j, const char *key, int64_t min, int64_t max, unsigned *dst, struct berr *e)
{
	int64_t n = *dst;
	int r = bjson_get_int(j, key, "config.fabric", min, max, &n, e);

	if (r > 0)
		*dst = (unsigned)n;
	return r < 0 ? r : 0;
}

int cfg_parse_fabric(const json_t *j, struct fabric_cfg **ret, struct berr *e)
{
	static const char *const keys[] = {"etcd",	 "node",      "underlay",	 "underlay_family",
					   "vxlan_port", "mode",      "node_ttl",	 "block_ttl",
					   "grace_ms",	 "resync_ms", "etcd_timeout_ms", NULL};
	const char *fam;
	struct fabric_cfg *c = *ret;
	json_t *arr, *v;
	size_t i;
	int r;

	if (!json_is_object(j))
		return berr_set(e, -EINVAL, "config.fabric: expected an object");
	if ((r = bjson_check_keys(j, keys, "config.fabric", e)) < 0)
		return r;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return berr_oom(e);
		*ret = c;
	}
	r = bjson_get_arr(j, "etcd", "config.fabric", &arr, e);
	if (r < 0)
		return r;
	if (r > 0) {
		if (json_array_size(arr) == 0)
			return berr_set(e, -EINVAL, "config.fabric.etcd: give at least one endpoint");
		json_array_foreach (arr, i, v) {
			const char *s = json_string_value(v);
			char **nv;

			if (!s || strncmp(s, "http://", 7) != 0)
				return berr_set(e, -EINVAL, "config.fabric.etcd[%zu]: give \"http://ADDR:PORT\"", i);
			nv = realloc(c->etcd, (c->n_etcd + 2) * sizeof(*nv));
			if (!nv)
				return berr_oom(e);
			c->etcd = nv;
			if (!(c->etcd[c->n_etcd] = strdup(s)))
				return berr_oom(e);
			c->etcd[++c->n_etcd] = NULL;
		}
	}
	if ((r = get_string((json_t *)j, "node", &c->node, false, e)) < 0 ||
	    (r = get_string((json_t *)j, "underlay", &c->underlay, false, e)) < 0 ||
	    (r = get_string((json_t *)j, "mode", &c->mode, false, e)) < 0)
		return r;
	if (c->node && !bname_valid(c->node, ENG_NAME_MAX))
		return berr_set(e, -EINVAL, "config.fabric.node: invalid name '%s'", c->node);
	if (c->mode && strcmp(c->mode, "vxlan") != 0 && strcmp(c->mode, "host-gw") != 0)
		return berr_set(e, -EINVAL, "config.fabric.mode: '%s' is not vxlan or host-gw", c->mode);
	r = bjson_get_str(j, "underlay_family", "config.fabric", &fam, e);
	if (r < 0)
		return r;
	if (r > 0) {
		if (strcmp(fam, "ipv4") != 0 && strcmp(fam, "ipv6") != 0)
			return berr_set(e, -EINVAL, "config.fabric.underlay_family: '%s' is not ipv4 or ipv6", fam);
		c->underlay_family = fam[3] == '4' ? 4 : 6;
	}
	if ((r = get_uint(j, "vxlan_port", 1, 65535, &c->vxlan_port, e)) < 0 ||
	    (r = get_uint(j, "node_ttl", 2, 3600, &c->node_ttl_s, e)) < 0 ||
	    (r = get_uint(j, "block_ttl", 2, 365 * 86400, &c->block_ttl_s, e)) < 0 ||
	    (r = get_uint(j, "grace_ms", 1, 86400000, &c->grace_ms, e)) < 0 ||
	    (r = get_uint(j, "resync_ms", 100, 86400000, &c->resync_ms, e)) < 0 ||
	    (r = get_uint(j, "etcd_timeout_ms", 100, 60000, &c->etcd_timeout_ms, e)) < 0)
		return r;
	return 0;
}

int cfg_parse(struct cfg *c, const char *text, size_t len, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	int r;

	r = bjson_parse(text, len, &j, e);
	if (r < 0)
		return r;
	return apply(c, j, e);
}

int cfg_load(struct cfg *c, const char *path, bool required, struct berr *e)
{
	_cleanup_json_ json_t *j = NULL;
	int r;

	r = bjson_load_file(path, CFG_MAX_SIZE, &j, e);
	if (r == -ENOENT && !required) {
		berr_clear(e);
		return 0;
	}
	if (r < 0)
		return r;
	r = apply(c, j, e);
	return r < 0 ? berr_wrap(e, r, "%s", path) : 0;
}
