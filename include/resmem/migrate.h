/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: The migration of one block: its ops
 *
 * The migration of one movable buddy block (src/core/migrate.c): the
 * order of its steps, with the reverse map and the client behind an ops
 * table so that the userspace unit test can fail each fallible step.
 */
#ifndef _RESMEM_MIGRATE_H
#define _RESMEM_MIGRATE_H

#include <resmem/core.h>

/**
 * struct rm_mv_ops - the owner's side of moving one block
 * @reserve:	make room in the reverse map for the new block at @to, so
 *		that @commit cannot fail; 0 or -ENOMEM
 * @cancel:	give that room back (the move failed)
 * @migrate:	the client switches every pointer from @from to @to (the
 *		data is copied); 0, or an error to keep the block where it
 *		is.  NULL when the owner switches by itself once
 *		rm_mv_move() returns (it holds its own lock meanwhile).
 * @commit:	point the reverse map at @to and drop @from; cannot fail
 */
struct rm_mv_ops {
	int (*reserve)(void *arg, u64 to);
	void (*cancel)(void *arg, u64 to);
	int (*migrate)(void *arg, u64 from, u64 to);
	void (*commit)(void *arg, u64 from, u64 to);
};

u64 rm_mv_move(struct rm_buddy *b, u64 from, unsigned int order, int nid,
	       unsigned int flags, const struct rm_mv_ops *ops, void *arg,
	       int *err);

/*
 * Most pins of one block: one more is refused, never wrapped.  The same
 * for kernel blocks and for RESMEM_IOC_PIN (RESMEM_PIN_MAX, asserted
 * equal in src/dev.c): deep enough for any real nesting, small enough
 * that a test reaches it.
 */
#define RM_PIN_MAX	65535

int rm_pin_add(unsigned int *pinned);
int rm_pin_sub(unsigned int *pinned);

#endif /* _RESMEM_MIGRATE_H */
