// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_bugs: does one bad thing on purpose, so that make check can show
 * that the debug kernel's detectors fire and that selftests/testvm/run fails
 * the run on their reports.  A harness that never fails is not a test.
 *
 *	bug=abba	takes two mutexes in one order, then in the other
 *			(lockdep: "possible circular locking dependency")
 *	bug=uaf		reads a kmalloc()ed object after kfree()
 *			(KASAN: "use-after-free")
 *	bug=sleep	takes a mutex under a spinlock: it need not really
 *			sleep for DEBUG_ATOMIC_SLEEP to see that it may
 *			("BUG: sleeping function called from invalid context")
 *	bug=leak	loses the only pointer to a kmalloc()ed object
 *			(kmemleak, after the scan init.sh runs at the end)
 *	bug=vmwarn	a DEBUG_VM check that fails (VM_WARN_ON)
 *
 * Each runs once, at load; the module then loads as if nothing happened.
 * Never loaded outside the test VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mmdebug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *bug = "";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "abba, uaf, sleep, leak or vmwarn");

static DEFINE_MUTEX(bug_a);
static DEFINE_MUTEX(bug_b);
static DEFINE_SPINLOCK(bug_lock);

/* A then B, and later B then A: no deadlock now, but one is possible. */
static void bug_abba(void)
{
	mutex_lock(&bug_a);
	mutex_lock(&bug_b);
	mutex_unlock(&bug_b);
	mutex_unlock(&bug_a);

	mutex_lock(&bug_b);
	mutex_lock(&bug_a);
	mutex_unlock(&bug_a);
	mutex_unlock(&bug_b);
}

static noinline void bug_uaf(void)
{
	u64 *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	WRITE_ONCE(p[0], 1);
	kfree(p);
	pr_info("read after free: %llu\n", READ_ONCE(p[1]));
}

static void bug_sleep(void)
{
	spin_lock(&bug_lock);
	mutex_lock(&bug_a);
	mutex_unlock(&bug_a);
	spin_unlock(&bug_lock);
}

/* The pointer dies with this frame: nothing refers to the object. */
static noinline void bug_leak(void)
{
	char *p = kmalloc(128, GFP_KERNEL);

	if (p)
		strscpy(p, "resmem_bugs: leaked on purpose", 128);
}

static int __init bugs_init(void)
{
	if (!strcmp(bug, "abba"))
		bug_abba();
	else if (!strcmp(bug, "uaf"))
		bug_uaf();
	else if (!strcmp(bug, "sleep"))
		bug_sleep();
	else if (!strcmp(bug, "leak"))
		bug_leak();
	else if (!strcmp(bug, "vmwarn"))
		VM_WARN_ON(1);
	else
		return -EINVAL;
	pr_info("did '%s' on purpose\n", bug);
	return 0;
}

static void __exit bugs_exit(void)
{
}

module_init(bugs_init);
module_exit(bugs_exit);

MODULE_DESCRIPTION("resmem selftest: does one bad thing on purpose");
MODULE_LICENSE("GPL");
