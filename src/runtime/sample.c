/*-------------------------------------------------------------------------
 *
 * sample.c
 *	  The sample of a running processor: its most recent output documents,
 *	  kept in shared memory for asp.sample (like sp.<name>.sample()).
 *
 * Every slot owns a ring buffer of asp.sample_buffer_size bytes of shared
 * memory (placed after the slot array, see shmem.c) holding the last
 * output documents as BSON, each record a uint32 length followed by the
 * document's bytes.  A record may wrap around the end of the buffer.
 * The slot's worker appends every output document (one copy, under the
 * slot's own LWLock of the tranche "asp_sample", dropping the oldest
 * records to make room); a document bigger than the buffer is not kept,
 * only counted.  asp.sample copies the whole buffer out under the same
 * lock and converts the documents to JSON after releasing it.
 *
 * Lock order: AspShared->lock before a slot's sample_lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "storage/lwlock.h"

#include "runtime/runtime.h"

/* bytes of a record's length header */
#define SAMPLE_HDR ((uint32) sizeof(uint32))

/* ring_write: copy n bytes into the slot's ring at pos, wrapping */
static inline void
ring_write(AspSlot *slot, uint32 pos, const void *src, uint32 n)
{
	uint32		first = Min(n, slot->sample_cap - pos);

	memcpy(slot->sample_buf + pos, src, first);
	if (first < n)
		memcpy(slot->sample_buf, (const char *) src + first, n - first);
}

/* ring_read: copy n bytes out of the slot's ring from pos, wrapping */
static inline void
ring_read(AspSlot *slot, uint32 pos, void *dst, uint32 n)
{
	uint32		first = Min(n, slot->sample_cap - pos);

	memcpy(dst, slot->sample_buf + pos, first);
	if (first < n)
		memcpy((char *) dst + first, slot->sample_buf, n - first);
}

/*
 * asp_sample_shmem_size: bytes of shared memory of all slots' sample
 * buffers
 */
Size
asp_sample_shmem_size(void)
{
	return mul_size((Size) asp_sample_buffer_size, (Size) asp_max_processors);
}

/*
 * asp_sample_init_slot: set up the sample of slot number i, its buffer at
 * buf (asp_sample_buffer_size bytes), when shared memory is created
 */
void
asp_sample_init_slot(AspSlot *slot, int i, char *buf)
{
	slot->sample_lock = &(GetNamedLWLockTranche("asp_sample"))[i].lock;
	slot->sample_buf = buf;
	slot->sample_cap = (uint32) asp_sample_buffer_size;
	slot->sample_head = 0;
	slot->sample_used = 0;
	slot->sample_ndocs = 0;
	pg_atomic_init_u64(&slot->sample_skipped, 0);
}

/* asp_sample_clear: empty the slot's sample (for a new run) */
void
asp_sample_clear(AspSlot *slot)
{
	LWLockAcquire(slot->sample_lock, LW_EXCLUSIVE);
	slot->sample_head = 0;
	slot->sample_used = 0;
	slot->sample_ndocs = 0;
	pg_atomic_write_u64(&slot->sample_skipped, 0);
	LWLockRelease(slot->sample_lock);
}

/*
 * asp_sample_push: keep the output document doc[0..len) in the slot's
 * sample, dropping the oldest documents to make room.  A document that
 * cannot fit the buffer is only counted.  Called by the slot's worker.
 */
void
asp_sample_push(AspSlot *slot, const uint8 *doc, uint32 len)
{
	uint32		cap = slot->sample_cap;
	uint32		need;

	if (cap == 0)
		return;					/* asp.sample_buffer_size = 0: no sample */
	if (len > cap - SAMPLE_HDR)
	{
		pg_atomic_fetch_add_u64(&slot->sample_skipped, 1);
		return;
	}
	need = SAMPLE_HDR + len;

	LWLockAcquire(slot->sample_lock, LW_EXCLUSIVE);
	while (cap - slot->sample_used < need)
	{
		uint32		oldest;

		ring_read(slot, slot->sample_head, &oldest, SAMPLE_HDR);
		slot->sample_head = (slot->sample_head + SAMPLE_HDR + oldest) % cap;
		slot->sample_used -= SAMPLE_HDR + oldest;
		slot->sample_ndocs--;
	}
	{
		uint32		pos = (slot->sample_head + slot->sample_used) % cap;

		ring_write(slot, pos, &len, SAMPLE_HDR);
		ring_write(slot, (pos + SAMPLE_HDR) % cap, doc, len);
	}
	slot->sample_used += need;
	slot->sample_ndocs++;
	LWLockRelease(slot->sample_lock);
}

/*
 * asp_sample_copy: copy the slot's sample into dst, which has room for
 * asp.sample_buffer_size bytes: its records, oldest first, each a uint32
 * length (native byte order) and the BSON document.  Sets *used to the
 * bytes copied and *skipped to the documents of this run that were too big
 * to keep; returns the number of records.  The caller holds
 * AspShared->lock (so the slot stays the processor's).
 */
int
asp_sample_copy(AspSlot *slot, char *dst, uint32 *used, uint64 *skipped)
{
	int			ndocs;

	*skipped = pg_atomic_read_u64(&slot->sample_skipped);
	if (slot->sample_cap == 0)
	{
		*used = 0;
		return 0;
	}
	LWLockAcquire(slot->sample_lock, LW_SHARED);
	ring_read(slot, slot->sample_head, dst, slot->sample_used);
	*used = slot->sample_used;
	ndocs = slot->sample_ndocs;
	LWLockRelease(slot->sample_lock);
	return ndocs;
}
