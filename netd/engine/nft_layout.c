/* berth's tables in the kernel: create, check and upgrade (ensure), rebuild, delete. */
/*
 * What the tables hold (sets, chains, rules) is nft_rules.c's; networks and
 * published ports are elements (nft_elems.c). A rebuild or a delete keeps
 * the elements of other state stores.
 */
#include <netinet/in.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "netd/engine/nft_int.h"

BERTH_DEFINE_PTR_CLEANUP(nftnl_table_freep, struct nftnl_table, nftnl_table_free)
BERTH_DEFINE_PTR_CLEANUP(nftnl_chain_freep, struct nftnl_chain, nftnl_chain_free)
BERTH_DEFINE_PTR_CLEANUP(nftnl_set_freep, struct nftnl_set, nftnl_set_free)
BERTH_DEFINE_PTR_CLEANUP(nftnl_rule_freep, struct nftnl_rule, nftnl_rule_free)

/* Sets of NFT_SET_CONCAT: each field's length in bytes (the kernel's pipapo backend needs them). */
static const struct {
	const char *set;
	uint8_t fields[4];
} concat_fields[] = {
	{NFT_SET_FABRIC4, {4, NFT_IFNAME_LEN}},
	{NFT_SET_FABRIC6, {16, NFT_IFNAME_LEN}},
};

/* ------------------------------------------------------------------ messages */

/* A message to td's table in b, named for errors by the printf-style fmt; NULL: out of memory. */
__attribute__((format(printf, 5, 6))) static struct nlmsghdr *
batch_msg(struct nft_batch *b, const struct nft_tabledef *td, uint16_t type, uint16_t flags, const char *fmt, ...)
{
	char what[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return nft_batch_msg(b, td->family, type, flags, what);
}

static int add_table(struct nft_batch *b, const struct nft_tabledef *td, uint16_t type, struct berr *e)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();
	bool create = type == NFT_MSG_NEWTABLE;
	struct nlmsghdr *nlh = t ? batch_msg(b, td, type, create ? NLM_F_CREATE : 0, "%s table %s %s",
					     create ? "create" : "delete", td->family_name, NFT_TABLE_NAME)
				 : NULL;

	if (!nlh)
		return berr_oom(e);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME);
	nftnl_table_nlmsg_build_payload(nlh, t);
	return 0;
}

/* Every table: NEWTABLE then DELTABLE removes it in the batch whether or not it exists. */
static int add_tables(struct nft_batch *b, uint16_t type, struct berr *e)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < NFT_N_TABLES; i++)
		r = add_table(b, &nft_tables[i], type, e);
	return r;
}

static int add_set(struct nft_batch *b, const struct nft_tabledef *td, const struct nft_setdef *d, struct berr *e)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);
	struct nlmsghdr *nlh;

	if (!s || !ud) {
		nftnl_udata_buf_free(ud);
		return berr_oom(e);
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, d->name);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
	/* The kernel requires an id unique within the transaction. */
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)(td - nft_tables) * 64 + (uint32_t)(d - td->sets) + 1);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
	for (size_t i = 0; (d->flags & NFT_SET_CONCAT) && i < ARRAY_SIZE(concat_fields); i++)
		if (strcmp(concat_fields[i].set, d->name) == 0)
			nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, concat_fields[i].fields,
					   (uint32_t)strnlen((const char *)concat_fields[i].fields,
							     sizeof(concat_fields[i].fields)));
	if (d->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, d->data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, d->data_len);
	}
	/* Only for `nft list`, which prints keys by these byte-order marks. */
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, d->key_bo);
	if (d->flags & NFT_SET_MAP)
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, d->data_bo);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	nlh = batch_msg(b, td, NFT_MSG_NEWSET, NLM_F_CREATE, "create %s %s", d->flags & NFT_SET_MAP ? "map" : "set",
			d->name);
	if (!nlh)
		return berr_oom(e);
	nftnl_set_nlmsg_build_payload(nlh, s);
	return 0;
}

static int add_chain(struct nft_batch *b, const struct nft_tabledef *td, const struct nft_chaindef *d, struct berr *e)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh =
		c ? batch_msg(b, td, NFT_MSG_NEWCHAIN, NLM_F_CREATE, "create chain %s %s", td->family_name, d->name)
		  : NULL;

	if (!nlh)
		return berr_oom(e);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE_NAME);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, d->name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, d->type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, d->hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, d->prio);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	return 0;
}

/* A rule of chain d, without expressions yet; NULL: out of memory. */
static struct nftnl_rule *chain_rule(const struct nft_chaindef *d)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r) {
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, d->name);
	}
	return r;
}

/* Every rule of the chain goes (DELRULE without a handle), elements stay. */
static int flush_chain(struct nft_batch *b, const struct nft_tabledef *td, const struct nft_chaindef *d, struct berr *e)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = chain_rule(d);
	struct nlmsghdr *nlh =
		r ? batch_msg(b, td, NFT_MSG_DELRULE, 0, "flush chain %s %s", td->family_name, d->name) : NULL;

	if (!nlh)
		return berr_oom(e);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	return 0;
}

static int add_rules(struct nft_batch *b, const struct nft_tabledef *td, const struct nft_chaindef *d, struct berr *e)
{
	for (unsigned i = 0; i < d->n_rules; i++) {
		_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = chain_rule(d);
		struct nlmsghdr *nlh = NULL;

		if (r && nft_rule_build(r, d, i) == 0)
			nlh = batch_msg(b, td, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
					"add rule %u to chain %s %s", i + 1, td->family_name, d->name);
		if (!nlh)
			return berr_oom(e);
		nftnl_rule_nlmsg_build_payload(nlh, r);
	}
	return 0;
}

static int table_layout_add(struct nft_batch *b, const struct nft_tabledef *td, struct berr *e)
{
	int r = add_table(b, td, NFT_MSG_NEWTABLE, e);

	for (size_t i = 0; r == 0 && i < td->n_sets; i++)
		r = add_set(b, td, &td->sets[i], e);
	for (size_t i = 0; r == 0 && i < td->n_chains; i++) {
		r = add_chain(b, td, &td->chains[i], e);
		if (r == 0)
			r = add_rules(b, td, &td->chains[i], e);
	}
	return r;
}

int nft_layout_add(struct nft_batch *b, struct berr *e)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < NFT_N_TABLES; i++)
		r = table_layout_add(b, &nft_tables[i], e);
	return r;
}

/* ------------------------------------------------------------------ reading the table */

struct seen_set {
	char name[32];
	uint32_t flags, key_type, key_len, data_type, data_len;
};

struct seen_chain {
	char name[32];
	char type[16];
	uint32_t hook;
	int32_t prio;
	unsigned n_rules;
};

struct seen {
	bool table;
	struct seen_set sets[32];
	size_t n_sets;
	struct seen_chain chains[32];
	size_t n_chains;
};

static int table_cb(const struct nlmsghdr *nlh, void *arg)
{
	((struct seen *)arg)->table = true;
	return 0;
}

static int set_cb(const struct nlmsghdr *nlh, void *arg)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	struct seen *st = arg;
	struct seen_set *x;
	const char *table;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0)
		return -EBADMSG;
	table = nftnl_set_get_str(s, NFTNL_SET_TABLE);
	if (!table || strcmp(table, NFT_TABLE_NAME) != 0 || st->n_sets == ARRAY_SIZE(st->sets))
		return 0;
	x = &st->sets[st->n_sets++];
	snprintf(x->name, sizeof(x->name), "%s", nftnl_set_get_str(s, NFTNL_SET_NAME));
	x->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	x->key_type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
	x->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	x->data_type = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
	x->data_len = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
	return 0;
}

static int chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	struct seen *st = arg;
	struct seen_chain *x;
	const char *table, *type;

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		return -EBADMSG;
	table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	if (!table || strcmp(table, NFT_TABLE_NAME) != 0 || st->n_chains == ARRAY_SIZE(st->chains))
		return 0;
	x = &st->chains[st->n_chains++];
	snprintf(x->name, sizeof(x->name), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
	snprintf(x->type, sizeof(x->type), "%s", type ? type : "");
	x->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
	x->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
	return 0;
}

static int rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	const char *table = NULL, *chain = NULL;
	struct seen *st = arg;
	const struct nlattr *a;

	/* Only where the rule is: its expressions are not needed to count rules. */
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_RULE_TABLE && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			table = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == NFTA_RULE_CHAIN && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			chain = mnl_attr_get_str(a);
	}
	if (!table || !chain || strcmp(table, NFT_TABLE_NAME) != 0)
		return 0;
	for (size_t i = 0; i < st->n_chains; i++)
		if (strcmp(st->chains[i].name, chain) == 0)
			st->chains[i].n_rules++;
	return 0;
}

static int read_table(struct nft_ctx *ctx, const struct nft_tabledef *td, struct seen *st, struct berr *e)
{
	/* the table, then its sets, chains and rules (attr: the table's name, for the kernel to filter on) */
	static const struct {
		uint16_t type, flags, attr;
		nft_reply_fn cb;
		const char *what;
	} queries[] = {
		{NFT_MSG_GETTABLE, 0, NFTA_TABLE_NAME, table_cb, "read table"},
		{NFT_MSG_GETSET, NLM_F_DUMP, NFTA_SET_TABLE, set_cb, "list sets of table"},
		{NFT_MSG_GETCHAIN, NLM_F_DUMP, 0, chain_cb, "list chains of table"},
		{NFT_MSG_GETRULE, NLM_F_DUMP, NFTA_RULE_TABLE, rule_cb, "list rules of table"},
	};
	char buf[NFT_REQ_SIZE];

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < ARRAY_SIZE(queries); i++) {
		struct nlmsghdr *nlh = nft_req(ctx, buf, queries[i].type, td->family, queries[i].flags);
		int r;

		if (queries[i].attr)
			mnl_attr_put_strz(nlh, queries[i].attr, NFT_TABLE_NAME);
		r = nft_query(ctx, nlh, queries[i].cb, st, e);
		if (r == -ENOENT && i == 0) {
			berr_clear(e);
			return 0;
		}
		if (r < 0)
			return berr_wrap(e, r, "%s %s %s", queries[i].what, td->family_name, NFT_TABLE_NAME);
	}
	return 0;
}

static const struct seen_set *seen_set(const struct seen *st, const char *name)
{
	for (size_t i = 0; i < st->n_sets; i++)
		if (strcmp(st->sets[i].name, name) == 0)
			return &st->sets[i];
	return NULL;
}

static const struct seen_chain *seen_chain(const struct seen *st, const char *name)
{
	for (size_t i = 0; i < st->n_chains; i++)
		if (strcmp(st->chains[i].name, name) == 0)
			return &st->chains[i];
	return NULL;
}

/* ------------------------------------------------------------------ API */

/*
 * Only what is missing goes into the batch; the batch is pinned to the
 * generation the table was read at, so two processes ensuring at once
 * cannot both add the same rules (the second gets ERESTART, reads again
 * and finds nothing to do).
 */
/* A chain of n rules is the chain of one of berth's previous layouts. */
static bool was_berths(const struct nft_chaindef *d, unsigned n)
{
	for (size_t i = 0; i < ARRAY_SIZE(d->old_n_rules) && d->old_n_rules[i]; i++)
		if (d->old_n_rules[i] == n)
			return true;
	return false;
}

static int ensure_table(struct nft_batch *b, const struct nft_tabledef *td, struct berr *e)
{
	struct seen st;
	int r;

	r = read_table(b->ctx, td, &st, e);
	if (r < 0)
		return r;
	if (!st.table)
		return table_layout_add(b, td, e);
	for (size_t i = 0; i < td->n_sets; i++) {
		const struct nft_setdef *d = &td->sets[i];
		const struct seen_set *s = seen_set(&st, d->name);

		if (!s) {
			r = add_set(b, td, d, e);
			if (r < 0)
				return r;
			continue;
		}
		if ((s->flags & (NFT_SET_MAP | NFT_SET_INTERVAL | NFT_SET_CONCAT)) != d->flags ||
		    s->key_len != d->key_len || ((d->flags & NFT_SET_MAP) && s->data_len != d->data_len))
			return berr_set(e, -EEXIST,
					"set %s of table %s %s has another type than berth's; "
					"rebuilding the table replaces it",
					d->name, td->family_name, NFT_TABLE_NAME);
	}
	for (size_t i = 0; i < td->n_chains; i++) {
		const struct nft_chaindef *d = &td->chains[i];
		const struct seen_chain *c = seen_chain(&st, d->name);

		if (c && (strcmp(c->type, d->type) != 0 || c->hook != d->hook || c->prio != d->prio))
			return berr_set(e, -EEXIST,
					"chain %s of table %s %s is not berth's (type %s hook %u priority %d); "
					"rebuilding the table replaces it",
					d->name, td->family_name, NFT_TABLE_NAME, c->type, c->hook, c->prio);
		/* berth's previous layout: its rules are replaced, the elements stay (an upgrade) */
		if (c && c->n_rules != 0 && c->n_rules != d->n_rules && was_berths(d, c->n_rules)) {
			r = flush_chain(b, td, d, e);
			if (r < 0)
				return r;
		} else if (c && c->n_rules != 0 && c->n_rules != d->n_rules) {
			return berr_set(e, -EEXIST,
					"chain %s of table %s %s holds %u rules, berth's layout has %u; "
					"rebuilding the table replaces them",
					d->name, td->family_name, NFT_TABLE_NAME, c->n_rules, d->n_rules);
		}
		if (!c) {
			r = add_chain(b, td, d, e);
			if (r < 0)
				return r;
		}
		if (!c || c->n_rules != d->n_rules) {
			r = add_rules(b, td, d, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int build_ensure(struct nft_batch *b, const void *arg, struct berr *e)
{
	int r;

	r = nft_batch_pin(b, e);
	for (size_t i = 0; r == 0 && i < NFT_N_TABLES; i++)
		r = ensure_table(b, &nft_tables[i], e);
	return r;
}

int nft_ensure(struct nft_ctx *ctx, struct berr *e)
{
	int r = nft_transact(ctx, build_ensure, NULL, NULL, e);

	if (r < 0)
		return berr_wrap(e, r, "ensure nftables tables %s", NFT_TABLE_NAME);
	return 0;
}

/* ------------------------------------------------------------------ other stores' elements */

/* The last owner asked about: elements come in runs of one owner, and asking may cost a stat(2). */
struct alive_cache {
	char owner[NFT_OWNER_LEN];
	bool alive;
};

/* Another owner's element, and that owner still exists (a store whose directory is gone left it). */
static bool is_foreign(const struct nft_ctx *ctx, struct alive_cache *c, const struct nft_elem *el)
{
	if (!el->owner[0] || strcmp(el->owner, ctx->owner) == 0)
		return false;
	if (!ctx->owner_alive)
		return true;
	if (strcmp(c->owner, el->owner) != 0) {
		memcpy(c->owner, el->owner, sizeof(c->owner));
		c->alive = ctx->owner_alive(el->owner);
	}
	return c->alive;
}

static int key_cmp(const void *a, const void *b)
{
	const struct nft_elem *x = a, *y = b;

	return memcmp(x->key, y->key, NFT_KEY_MAX);
}

/* The map elements of ports in set, sorted by key (published ports win over another store's). */
static int port_keys(const char *set, const struct nft_port *ports, size_t n, struct nft_elem **ret, size_t *ret_n)
{
	struct nft_elem *v = calloc(n + 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (strcmp(nft_port_elem(&ports[i], &v[k]), set) == 0)
			k++;
	qsort(v, k, sizeof(*v), key_cmp);
	*ret = v;
	*ret_n = k;
	return 0;
}

/* Interval sets: the subnets whose start element another owner wrote, start and end again. */
static int foreign_intervals(struct nft_batch *b, struct alive_cache *c, const struct nft_setdef *d,
			     const struct nft_elem *el, size_t n, struct berr *e)
{
	_cleanup_free_ struct nft_prefix *subnets = NULL;
	struct nft_elem *out;
	size_t ns = 0, k = 0;

	/* a set berth did not write cannot be told apart: its other owners' part is lost with it */
	if (nft_intervals_read(el, n, d->key_len, &subnets, &ns, NULL) < 0)
		return 0;
	out = calloc(2 * ns + 1, sizeof(*out));
	if (!out || nft_batch_own(b, out) < 0)
		return berr_oom(e);
	for (size_t i = 0; i < ns; i++) {
		const struct nft_elem *start = subnets[i].start;
		size_t m;

		if (!is_foreign(b->ctx, c, start))
			continue;
		m = nft_interval_elems(start->key, d->key_len, subnets[i].prefix, out + k);
		memcpy(out[k].data, start->data, sizeof(out[k].data));
		out[k].data_len = start->data_len;
		memcpy(out[k].owner, start->owner, sizeof(out[k].owner));
		k += m;
	}
	return nft_batch_elems(b, NFT_ELEMS_ADD, d->name, out, k, NULL, NULL, e);
}

/*
 * Read every element other owners (other state stores) wrote and append
 * them to b as they were, into tables created earlier in b; the batch is
 * pinned, so nothing added meanwhile is lost. ports: this owner's, which
 * take a host port another owner's element holds. *ret_n counts them.
 */
static int add_foreign(struct nft_batch *b, const struct nft_port *ports, size_t n_ports, size_t *ret_n, struct berr *e)
{
	struct alive_cache cache = {.alive = false};
	size_t total = 0;
	int r;

	r = nft_batch_pin(b, e);
	for (size_t t = 0; r == 0 && t < NFT_N_TABLES; t++) {
		for (size_t i = 0; r == 0 && i < nft_tables[t].n_sets; i++) {
			const struct nft_setdef *d = &nft_tables[t].sets[i];
			_cleanup_free_ struct nft_elem *el = NULL, *own = NULL;
			struct nft_elem *keep;
			size_t n = 0, n_own = 0, k = 0;

			r = nft_elems_dump(b->ctx, d->name, &el, &n, e);
			if (r == -ENOENT) {
				berr_clear(e);
				r = 0;
				continue;
			}
			if (r < 0)
				break;
			/* (a concatenation of ranges has whole elements, start and end in one, as a plain set) */
			if ((d->flags & (NFT_SET_INTERVAL | NFT_SET_CONCAT)) == NFT_SET_INTERVAL) {
				for (size_t j = 0; j < n; j++)
					total += is_foreign(b->ctx, &cache, &el[j]);
				r = foreign_intervals(b, &cache, d, el, n, e);
				continue;
			}
			if ((d->flags & NFT_SET_MAP) && port_keys(d->name, ports, n_ports, &own, &n_own) < 0)
				return berr_oom(e);
			keep = calloc(n + 1, sizeof(*keep));
			if (!keep || nft_batch_own(b, keep) < 0)
				return berr_oom(e);
			for (size_t j = 0; j < n; j++) {
				if (!is_foreign(b->ctx, &cache, &el[j]) ||
				    (n_own && bsearch(&el[j], own, n_own, sizeof(*own), key_cmp)))
					continue;
				keep[k] = el[j];
				keep[k].tag = k;
				k++;
			}
			total += k;
			r = nft_batch_elems(b, NFT_ELEMS_ADD, d->name, keep, k, NULL, NULL, e);
		}
	}
	if (r == 0 && ret_n)
		*ret_n = total;
	return r;
}

/* ------------------------------------------------------------------ rebuild, delete */

struct rebuild_args {
	const struct nft_network *nets;
	size_t n_nets;
	const struct nft_endpoint *eps;
	size_t n_eps;
	const struct nft_port *ports;
	size_t n_ports;
};

static int build_rebuild(struct nft_batch *b, const void *arg, struct berr *e)
{
	const struct rebuild_args *a = arg;
	int r;

	/* create-if-missing then delete: removes the old tables whether or not they exist, in this same batch */
	r = add_tables(b, NFT_MSG_NEWTABLE, e);
	if (r == 0)
		r = add_tables(b, NFT_MSG_DELTABLE, e);
	if (r == 0)
		r = nft_layout_add(b, e);
	if (r == 0)
		r = nft_network_msgs(b, a->nets, a->n_nets, NFT_NET_ADD_FRESH, e);
	if (r == 0)
		r = nft_endpoint_msgs(b, a->eps, a->n_eps, NFT_ELEMS_ADD, e);
	if (r == 0)
		r = nft_port_msgs(b, a->ports, a->n_ports, NFT_ELEMS_ADD_EXCL, e);
	if (r == 0)
		r = add_foreign(b, a->ports, a->n_ports, NULL, e);
	return r;
}

int nft_rebuild(struct nft_ctx *ctx, const struct nft_network *nets, size_t n_nets, const struct nft_endpoint *eps,
		size_t n_eps, const struct nft_port *ports, size_t n_ports, struct berr *e)
{
	struct rebuild_args a = {nets, n_nets, eps, n_eps, ports, n_ports};
	struct nft_fail f = {0};
	int r;

	if ((n_nets && !nets) || (n_eps && !eps) || (n_ports && !ports))
		return berr_set(e, -EINVAL, "rebuild: no array given for %zu networks / %zu endpoints / %zu ports",
				n_nets, n_eps, n_ports);
	r = nft_check(nets, n_nets, eps, n_eps, ports, n_ports, e);
	if (r < 0)
		return r;
	r = nft_transact(ctx, build_rebuild, &a, &f, e);
	if (r == -EEXIST && f.elem && f.set && strncmp(f.set, "pub_", 4) == 0 && f.tag < n_ports) {
		char buf[96];

		return berr_set(e, -EEXIST, "rebuild nftables tables %s: host port of %s is given twice",
				NFT_TABLE_NAME, nft_port_fmt(&ports[f.tag], buf, sizeof(buf)));
	}
	if (r < 0)
		return berr_wrap(e, r, "rebuild nftables tables %s", NFT_TABLE_NAME);
	return 0;
}

static int build_delete(struct nft_batch *b, const void *arg, struct berr *e)
{
	/* NEWTABLE first makes the DELTABLE succeed when the table is already gone (kernels before DESTROYTABLE) */
	int r = add_tables(b, NFT_MSG_NEWTABLE, e);
	size_t n_foreign = 0;

	uint32_t genid;

	if (r == 0)
		r = add_tables(b, NFT_MSG_DELTABLE, e);
	/* other stores' elements stay, in the tables made again around them */
	if (r == 0)
		r = nft_layout_add(b, e);
	if (r == 0)
		r = add_foreign(b, NULL, 0, &n_foreign, e);
	if (r < 0 || n_foreign)
		return r;
	/* nothing of anybody else's: the tables go (still pinned to the generation read) */
	genid = b->genid;
	nft_batch_free(b);
	nft_batch_init(b, b->ctx);
	b->pinned = true;
	b->genid = genid;
	r = add_tables(b, NFT_MSG_NEWTABLE, e);
	return r < 0 ? r : add_tables(b, NFT_MSG_DELTABLE, e);
}

int nft_delete_table(struct nft_ctx *ctx, struct berr *e)
{
	int r = nft_transact(ctx, build_delete, NULL, NULL, e);

	if (r < 0)
		return berr_wrap(e, r, "delete nftables tables %s", NFT_TABLE_NAME);
	return 0;
}
