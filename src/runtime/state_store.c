/*-------------------------------------------------------------------------
 *
 * state_store.c
 *	  Window state of running stream processors in shared memory: the
 *	  engine's state store (engine/state_store.h) over a DSA area and a
 *	  dshash table.
 *
 * The area is created in place, in a fixed block of the main shared
 * memory (ASP_STATE_INPLACE bytes, so small states need no DSM segment),
 * from shmem_startup_hook in the postmaster, with the hash table in it;
 * the block keeps the hash table's handle and the LWLock tranche of both.
 * A worker attaches once (in TopMemoryContext, mapping pinned) when its
 * processor has a window.  As in core's pgstat_shmem.c.
 *
 * Entries: (processor id, worker pid, window start, 64-bit key) -> a value
 * in the area (the engine's BSON, see state_store.h).  Only the worker of
 * a processor reads and writes its entries; the hash table's partition
 * locks make that safe next to the other workers.  The worker keeps, in
 * its own memory, the keys of each open window, so that closing a window
 * finds its entries without scanning the table, and the bytes it holds:
 * its values plus a fixed overhead per entry (ASP_STATE_ENTRY_OVERHEAD).
 *
 * The bound: a put that would take the processor's bytes over
 * asp.max_state_memory is refused with an error naming the processor and
 * the setting (asp_state_limit_hit() then says so, and the worker makes
 * the processor FAILED at once); so is one the area cannot allocate
 * (DSA_ALLOC_NO_OOM: out of memory is an error of that processor, never
 * of the server).
 *
 * Entries go away when their window closes, and all of a processor's when
 * its worker exits (before_shmem_exit, for its own pid) and when a worker
 * of the processor starts (leftovers of any earlier worker of it, e.g.
 * one that exited on an error).  The state is then restored from the
 * checkpoint, which the worker writes, with the whole state, in the
 * transaction of its sink rows.  A server crash reinitialises shared
 * memory, and the area with it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/dshash.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/dsa.h"
#include "utils/memutils.h"

#include "engine/state_store.h"
#include "runtime/runtime.h"

/* bytes of the area inside the main shared memory */
#define ASP_STATE_INPLACE (256 * 1024)

/* what the bound counts per entry beyond its value: the hash entry and its header */
#define ASP_STATE_ENTRY_OVERHEAD (sizeof(AspStateEntry) + 16)

typedef struct AspStateShared
{
	int			tranche;
	dshash_table_handle hash;
	/* the area itself follows, MAXALIGNed */
} AspStateShared;

typedef struct AspStateKey
{
	int64		processor_id;
	int32		pid;			/* the worker that wrote it */
	int32		pad;			/* zero: keys are compared as bytes */
	int64		wstart;
	uint64		key;
} AspStateKey;

typedef struct AspStateEntry
{
	AspStateKey key;
	dsa_pointer val;
	uint32		len;
} AspStateEntry;

/* a window's keys, in the worker's memory */
typedef struct state_window
{
	int64		wstart;
	uint64	   *keys;
	int			n;
	int			cap;
} state_window;

static AspStateShared *state_shared = NULL;
static dsa_area *state_dsa = NULL;
static dshash_table *state_hash = NULL;

/* the worker's store: one processor */
static struct
{
	bool		open;
	int64		processor_id;
	char	   *name;
	size_t		bytes;
	bool		limit_hit;
	state_window *wins;
	int			nwins;
	int			capwins;
	uint8	   *buf;			/* a copy of the last value read */
	size_t		bufcap;
	asp_state_store ops;
}			st;

static const dshash_parameters state_params = {
	sizeof(AspStateKey),
	sizeof(AspStateEntry),
	dshash_memcmp,
	dshash_memhash,
	0							/* tranche_id: set from the shared block */
};

/* asp_state_shmem_size: the shared memory state_store.c needs */
Size
asp_state_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(AspStateShared)), ASP_STATE_INPLACE);
}

static void *
state_area_place(void)
{
	return (char *) state_shared + MAXALIGN(sizeof(AspStateShared));
}

/*
 * asp_state_shmem_startup: find, or in the postmaster create, the area and
 * its hash table (shmem_startup_hook, AddinShmemInitLock held)
 */
void
asp_state_shmem_startup(void)
{
	bool		found;

	state_shared = ShmemInitStruct("asp window state", asp_state_shmem_size(), &found);
	if (!found && !IsUnderPostmaster)
	{
		dsa_area   *dsa;
		dshash_table *h;
		dshash_parameters params = state_params;

		state_shared->tranche = LWLockNewTrancheId();
		params.tranche_id = state_shared->tranche;
		dsa = dsa_create_in_place(state_area_place(), ASP_STATE_INPLACE,
								  state_shared->tranche, NULL);
		dsa_pin(dsa);
		/* the hash table inside the in-place part: no DSM segment in the postmaster */
		dsa_set_size_limit(dsa, ASP_STATE_INPLACE);
		h = dshash_create(dsa, &params, NULL);
		state_shared->hash = dshash_get_hash_table_handle(h);
		dsa_set_size_limit(dsa, -1);
		dshash_detach(h);
		dsa_detach(dsa);
	}
}

/* state_attach: attach to the area and the hash table, once per process */
static void
state_attach(void)
{
	MemoryContext old;
	dshash_parameters params = state_params;

	if (state_hash != NULL)
		return;
	if (state_shared == NULL)
		elog(ERROR, "asp: window state shared memory is not set up");
	LWLockRegisterTranche(state_shared->tranche, "asp_window_state");
	params.tranche_id = state_shared->tranche;
	old = MemoryContextSwitchTo(TopMemoryContext);
	state_dsa = dsa_attach_in_place(state_area_place(), NULL);
	dsa_pin_mapping(state_dsa);
	state_hash = dshash_attach(state_dsa, &params, state_shared->hash, NULL);
	MemoryContextSwitchTo(old);
}

/* state_key: the hash key of (window, key) of this worker's processor */
static void
state_key(AspStateKey *k, int64 wstart, uint64 key)
{
	memset(k, 0, sizeof(*k));
	k->processor_id = st.processor_id;
	k->pid = MyProcPid;
	k->wstart = wstart;
	k->key = key;
}

/* state_copy: keep a copy of a value (valid until the next call) */
static const uint8 *
state_copy(const AspStateEntry *e)
{
	if (e->len > st.bufcap)
	{
		size_t		cap = Max((size_t) e->len, st.bufcap * 2);

		st.buf = st.buf ? repalloc_huge(st.buf, cap) :
			MemoryContextAllocHuge(TopMemoryContext, cap);
		st.bufcap = cap;
	}
	memcpy(st.buf, dsa_get_address(state_dsa, e->val), e->len);
	return st.buf;
}

/* state_window_of: the key list of a window (create: add it if missing), or NULL */
static state_window *
state_window_of(int64 wstart, bool create)
{
	for (int i = 0; i < st.nwins; i++)
		if (st.wins[i].wstart == wstart)
			return &st.wins[i];
	if (!create)
		return NULL;
	if (st.nwins == st.capwins)
	{
		st.capwins = Max(st.capwins * 2, 8);
		st.wins = st.wins ? repalloc(st.wins, sizeof(state_window) * st.capwins) :
			MemoryContextAlloc(TopMemoryContext, sizeof(state_window) * st.capwins);
	}
	st.wins[st.nwins].wstart = wstart;
	st.wins[st.nwins].keys = NULL;
	st.wins[st.nwins].n = 0;
	st.wins[st.nwins].cap = 0;
	return &st.wins[st.nwins++];
}

/* state_window_drop: forget a window's key list */
static void
state_window_drop(state_window *sw)
{
	if (sw->keys)
		pfree(sw->keys);
	*sw = st.wins[--st.nwins];
}

/* state_get: asp_state_store.get */
static bool
state_get(void *ud, int64_t wstart, uint64_t key, const uint8_t **val, uint32_t *len)
{
	AspStateKey k;
	AspStateEntry *e;

	(void) ud;
	state_key(&k, wstart, key);
	e = dshash_find(state_hash, &k, false);
	if (e == NULL)
		return false;
	*val = state_copy(e);
	*len = e->len;
	dshash_release_lock(state_hash, e);
	return true;
}

/* format_kb: a setting in kB as PostgreSQL shows it ("64MB", "100kB") */
static void
format_kb(int kb, char *out, size_t outlen)
{
	if (kb % (1024 * 1024) == 0)
		snprintf(out, outlen, "%dGB", kb / (1024 * 1024));
	else if (kb % 1024 == 0)
		snprintf(out, outlen, "%dMB", kb / 1024);
	else
		snprintf(out, outlen, "%dkB", kb);
}

/* state_put: asp_state_store.put, within asp.max_state_memory */
static bool
state_put(void *ud, int64_t wstart, uint64_t key, const uint8_t *val, uint32_t len,
		  asp_error *err)
{
	AspStateKey k;
	AspStateEntry *e;
	bool		found;
	int64		delta;
	dsa_pointer dp;
	size_t		limit = (size_t) asp_max_state_memory * 1024;

	(void) ud;
	state_key(&k, wstart, key);
	e = dshash_find_or_insert(state_hash, &k, &found);
	if (!found)
	{
		e->val = InvalidDsaPointer;
		e->len = 0;
	}
	delta = found ? (int64) len - (int64) e->len : (int64) len + (int64) ASP_STATE_ENTRY_OVERHEAD;
	dp = InvalidDsaPointer;
	if ((int64) st.bytes + delta <= (int64) limit)
		dp = dsa_allocate_extended(state_dsa, Max(len, 1), DSA_ALLOC_HUGE | DSA_ALLOC_NO_OOM);
	if (!DsaPointerIsValid(dp))
	{
		char		setting[32];
		bool		over = (int64) st.bytes + delta > (int64) limit;

		if (found)
			dshash_release_lock(state_hash, e);
		else
			dshash_delete_entry(state_hash, e);
		st.limit_hit = true;
		format_kb(asp_max_state_memory, setting, sizeof(setting));
		if (over)
		{
			asp_error_set(err, ASP_ERR_LIMIT,
						  "window state of processor \"%s\" exceeds asp.max_state_memory (%s)",
						  st.name, setting);
			asp_error_detail(err, "It holds %zu bytes and needed %lld more.",
							 st.bytes, (long long) delta);
		}
		else
			asp_error_set(err, ASP_ERR_LIMIT,
						  "out of shared memory for the window state of processor \"%s\"",
						  st.name);
		asp_error_hint(err, "Raise asp.max_state_memory (now %s) and reload, or keep less "
					   "state: fewer groups, shorter windows or fewer documents kept per window.",
					   setting);
		return false;
	}
	memcpy(dsa_get_address(state_dsa, dp), val, len);
	if (found)
		dsa_free(state_dsa, e->val);
	e->val = dp;
	e->len = len;
	dshash_release_lock(state_hash, e);
	st.bytes = (size_t) ((int64) st.bytes + delta);
	if (!found)
	{
		state_window *sw = state_window_of(wstart, true);

		if (sw->n == sw->cap)
		{
			sw->cap = Max(sw->cap * 2, 16);
			sw->keys = sw->keys ? repalloc_huge(sw->keys, sizeof(uint64) * sw->cap) :
				MemoryContextAllocHuge(TopMemoryContext, sizeof(uint64) * sw->cap);
		}
		sw->keys[sw->n++] = key;
	}
	return true;
}

/* state_scan: asp_state_store.scan */
static void
state_scan(void *ud, int64_t wstart, bool take, asp_state_scan_fn fn, void *arg)
{
	state_window *sw = state_window_of(wstart, false);

	(void) ud;
	if (sw == NULL)
		return;
	for (int i = 0; i < sw->n; i++)
	{
		AspStateKey k;
		AspStateEntry *e;
		const uint8 *val;
		uint32		len;

		state_key(&k, wstart, sw->keys[i]);
		e = dshash_find(state_hash, &k, take);
		if (e == NULL)
			continue;
		val = state_copy(e);
		len = e->len;
		if (take)
		{
			dsa_free(state_dsa, e->val);
			st.bytes -= len + ASP_STATE_ENTRY_OVERHEAD;
			dshash_delete_entry(state_hash, e);
		}
		else
			dshash_release_lock(state_hash, e);
		fn(arg, sw->keys[i], val, len);
	}
	if (take)
		state_window_drop(state_window_of(wstart, false));
}

/* state_bytes: asp_state_store.bytes */
static size_t
state_bytes(void *ud)
{
	(void) ud;
	return st.bytes;
}

/*
 * state_remove: remove the processor's entries, of this process only
 * (mine) or of any worker of it
 */
static void
state_remove(int64 processor_id, bool mine)
{
	dshash_seq_status s;
	AspStateEntry *e;

	dshash_seq_init(&s, state_hash, true);
	while ((e = dshash_seq_next(&s)) != NULL)
	{
		if (e->key.processor_id == processor_id && (!mine || e->key.pid == MyProcPid))
		{
			dsa_free(state_dsa, e->val);
			dshash_delete_current(&s);
		}
	}
	dshash_seq_term(&s);
}

/* state_exit: before_shmem_exit: remove this worker's entries */
static void
state_exit(int code, Datum arg)
{
	(void) code;
	(void) arg;
	asp_state_close();
}

/*
 * asp_state_open: the state store of this worker's processor, attached
 * and empty (entries left by an earlier worker of it are removed)
 */
const asp_state_store *
asp_state_open(int64 processor_id, const char *name)
{
	static bool exit_registered = false;

	state_attach();
	st.processor_id = processor_id;
	st.name = MemoryContextStrdup(TopMemoryContext, name);
	st.bytes = 0;
	st.limit_hit = false;
	state_remove(processor_id, false);
	st.open = true;
	if (!exit_registered)
	{
		before_shmem_exit(state_exit, (Datum) 0);
		exit_registered = true;
	}
	st.ops.ud = NULL;
	st.ops.get = state_get;
	st.ops.put = state_put;
	st.ops.scan = state_scan;
	st.ops.bytes = state_bytes;
	return &st.ops;
}

/* asp_state_close: remove this worker's entries (at exit) */
void
asp_state_close(void)
{
	if (!st.open)
		return;
	st.open = false;
	/* an error may have left a partition lock held; nothing else runs now */
	LWLockReleaseAll();
	state_remove(st.processor_id, true);
	while (st.nwins > 0)
		state_window_drop(&st.wins[0]);
	st.bytes = 0;
}

/* asp_state_limit_hit: a put was refused (the bound, or out of memory) */
bool
asp_state_limit_hit(void)
{
	return st.limit_hit;
}
