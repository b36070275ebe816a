/* Arm PrimeCell RTC PL031 (DDI0224); the model is described in pl031.h. */
#include "hw/pl031.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/device.h"
#include "machine/fdt.h"

#define NS 1000000000ll

static const uint8_t pl031_id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static int64_t now_ns(const struct pl031 *d)
{
	if (d->cfg.now_ns)
		return d->cfg.now_ns(d->cfg.clock_opaque);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int64_t floor_sec(int64_t ns) { return ns >= 0 ? ns / NS : -((-ns + NS - 1) / NS); }

static uint32_t counter_at(const struct pl031 *d, int64_t t)
{
	if (!(d->r.cr & 1))
		return d->r.held;
	return (uint32_t)((uint64_t)floor_sec(t) + (uint64_t)d->r.offset);
}

/* Set the counter to v (running or not). */
static void load(struct pl031 *d, uint32_t v, int64_t t)
{
	if (d->r.cr & 1)
		d->r.offset = (int64_t)((uint64_t)v - (uint64_t)floor_sec(t));
	else
		d->r.held = v;
}

static void update_irq(struct pl031 *d)
{
	bool level = (d->r.ris & d->r.imsc & 1) != 0;
	if (level != d->irq_level) {
		d->irq_level = level;
		irq_set(&d->cfg.irq, level);
	}
}

/* Has the counter moved onto MR since the last evaluation? */
static void check(struct pl031 *d, int64_t t)
{
	uint32_t now = counter_at(d, t), delta = now - d->r.last_dr;
	if (delta && delta < 0x80000000u && d->r.mr - d->r.last_dr - 1 < delta)
		d->r.ris |= 1;
	d->r.last_dr = now; /* a backward step (host clock, LR) only moves the reference */
}

static void changed(struct pl031 *d)
{
	update_irq(d);
	if (d->thread_running)
		pthread_cond_signal(&d->wake);
}

static int64_t deadline_locked(struct pl031 *d, int64_t t)
{
	if (!(d->r.cr & 1) || !(d->r.imsc & 1) || (d->r.ris & 1))
		return INT64_MAX;
	/* Seconds until the counter next moves onto MR: if it is there now
	 * (matched and cleared this second), it comes back after 2^32 s. */
	uint64_t dist = (uint32_t)(d->r.mr - counter_at(d, t));
	if (dist == 0)
		dist = 1ull << 32;
	int64_t s = floor_sec(t);
	if (s > INT64_MAX / NS - (int64_t)dist)
		return INT64_MAX;
	return (s + (int64_t)dist) * NS;
}

static void *timer_main(void *opaque)
{
	struct pl031 *d = opaque;
	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		if (d->paused) {
			pthread_cond_wait(&d->wake, &d->lock);
			continue;
		}
		int64_t t = now_ns(d);
		check(d, t);
		update_irq(d);
		int64_t dl = deadline_locked(d, t);
		if (dl == INT64_MAX) {
			pthread_cond_wait(&d->wake, &d->lock);
			continue;
		}
		/* Sleep until the deadline on the host's real-time clock (at most a
		 * minute at a time, so host clock steps are noticed). */
		int64_t wait = dl - t;
		if (wait > 60 * NS)
			wait = 60 * NS;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t abs = (int64_t)ts.tv_sec * NS + ts.tv_nsec + wait;
		ts.tv_sec = abs / NS;
		ts.tv_nsec = abs % NS;
		pthread_cond_timedwait(&d->wake, &d->lock, &ts);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int pl031_init(struct pl031 *d, const struct pl031_config *cfg)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	if (cfg)
		d->cfg = *cfg;
	pl031_reset(d);
	if (d->cfg.timer_thread) {
		int r = pthread_create(&d->thread, NULL, timer_main, d);
		if (r) { /* nothing to destroy afterwards */
			pthread_cond_destroy(&d->wake);
			pthread_mutex_destroy(&d->lock);
			return -r;
		}
		d->thread_running = true;
	}
	return 0;
}

void pl031_destroy(struct pl031 *d)
{
	if (d->thread_running) {
		pthread_mutex_lock(&d->lock);
		d->stop = true;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->thread, NULL);
		d->thread_running = false;
	}
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
}

void pl031_reset(struct pl031 *d)
{
	pthread_mutex_lock(&d->lock);
	int64_t t = now_ns(d);
	memset(&d->r, 0, sizeof(d->r));
	d->r.cr = 1; /* running at host time: offset 0 */
	d->r.last_dr = counter_at(d, t);
	changed(d);
	pthread_mutex_unlock(&d->lock);
}

uint64_t pl031_read(void *opaque, uint64_t off, unsigned size)
{
	struct pl031 *d = opaque;
	if (size != 4 || (off & 3) || off >= PL031_MMIO_SIZE)
		return 0;
	pthread_mutex_lock(&d->lock);
	int64_t t = now_ns(d);
	check(d, t);
	uint32_t v = 0;
	switch (off) {
	case PL031_DR: v = counter_at(d, t); break;
	case PL031_MR: v = d->r.mr; break;
	case PL031_LR: v = d->r.lr; break;
	case PL031_CR: v = d->r.cr; break;
	case PL031_IMSC: v = d->r.imsc; break;
	case PL031_RIS: v = d->r.ris; break;
	case PL031_MIS: v = d->r.ris & d->r.imsc; break;
	default:
		if (off >= PL031_PERIPHID0)
			v = pl031_id[(off - PL031_PERIPHID0) / 4];
		break; /* ICR is write-only; reserved offsets read as zero */
	}
	changed(d);
	pthread_mutex_unlock(&d->lock);
	return v;
}

void pl031_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pl031 *d = opaque;
	uint32_t v = (uint32_t)val;
	if (size != 4 || (off & 3) || off >= PL031_MMIO_SIZE)
		return;
	pthread_mutex_lock(&d->lock);
	int64_t t = now_ns(d);
	check(d, t);
	switch (off) {
	case PL031_MR:
		d->r.mr = v;
		if (v == counter_at(d, t))
			d->r.ris |= 1;
		break;
	case PL031_LR:
		d->r.lr = v;
		load(d, v, t);
		d->r.last_dr = v - 1; /* the counter moved onto v: matches if MR == v */
		check(d, t);
		break;
	case PL031_CR:
		if ((v & 1) && !(d->r.cr & 1)) {
			d->r.cr = 1;
			load(d, d->r.held, t);
			d->r.last_dr = d->r.held;
		}
		break;
	case PL031_IMSC: d->r.imsc = v & 1; break;
	case PL031_ICR: d->r.ris &= ~(v & 1); break;
	default: break; /* DR, RIS, MIS, IDs: read-only */
	}
	changed(d);
	pthread_mutex_unlock(&d->lock);
}

const struct mmio_ops pl031_mmio_ops = {
	.read = pl031_read,
	.write = pl031_write,
	.widths = MMIO_W32,
};

void pl031_poll(struct pl031 *d)
{
	pthread_mutex_lock(&d->lock);
	check(d, now_ns(d));
	update_irq(d);
	pthread_mutex_unlock(&d->lock);
}

int64_t pl031_deadline_ns(struct pl031 *d)
{
	pthread_mutex_lock(&d->lock);
	int64_t t = now_ns(d);
	check(d, t);
	update_irq(d);
	int64_t dl = deadline_locked(d, t);
	pthread_mutex_unlock(&d->lock);
	return dl;
}

void pl031_quiesce(struct pl031 *d)
{
	/* The thread works only under the lock: once paused is set it does
	 * nothing more until resume. */
	pthread_mutex_lock(&d->lock);
	d->paused = true;
	pthread_mutex_unlock(&d->lock);
}

void pl031_resume(struct pl031 *d)
{
	pthread_mutex_lock(&d->lock);
	d->paused = false;
	if (d->thread_running)
		pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
}

void pl031_save(struct pl031 *d, struct pl031_state *s)
{
	memset(s, 0, sizeof(*s));
	s->version = PL031_STATE_VERSION;
	s->size = sizeof(*s);
	pthread_mutex_lock(&d->lock);
	s->regs = d->r;
	pthread_mutex_unlock(&d->lock);
}

int pl031_restore(struct pl031 *d, const struct pl031_state *s)
{
	const struct pl031_regs *r = &s->regs;
	if (s->version != PL031_STATE_VERSION || s->size != sizeof(*s))
		return -EINVAL;
	if (r->cr > 1 || r->imsc > 1 || r->ris > 1)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	d->r = *r;
	check(d, now_ns(d));
	changed(d);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

const char *pl031_fdt_node(struct fdt_builder *b, uint64_t base, uint32_t spi, uint32_t clk_phandle)
{
	const char *n = fdtb_node(b, "/", "pl031@%" PRIx64, base);
	fdtb_prop_strs(b, n, "compatible", "arm,pl031", "arm,primecell", NULL);
	fdtb_prop_reg(b, n, base, PL031_MMIO_SIZE);
	fdtb_prop_irq(b, n, FDT_IRQ_SPI, spi, FDT_IRQ_LEVEL_HIGH);
	fdtb_prop_u32(b, n, "clocks", clk_phandle);
	fdtb_prop_str(b, n, "clock-names", "apb_pclk");
	return b->err ? NULL : n;
}

/* ---- the device interface (hw/device.h) ---- */

static void dev_reset(void *o) { pl031_reset(o); }
static void dev_quiesce(void *o) { pl031_quiesce(o); }
static void dev_resume(void *o) { pl031_resume(o); }
static size_t dev_state_size(void *o) { (void)o; return sizeof(struct pl031_state); }

static int dev_save(void *o, void *buf, size_t len)
{
	struct pl031_state s;
	if (len != sizeof(s))
		return -EINVAL;
	pl031_save(o, &s);
	memcpy(buf, &s, sizeof(s));
	return 0;
}

static int dev_load(void *o, const void *buf, size_t len, uint32_t version)
{
	struct pl031_state s;
	if (len != sizeof(s) || version != PL031_STATE_VERSION)
		return -EINVAL;
	memcpy(&s, buf, sizeof(s)); /* buf may be unaligned */
	return pl031_restore(o, &s);
}

static void dev_destroy(void *o)
{
	pl031_destroy(o);
	free(o);
}

const struct device_ops pl031_device_ops = {
	.type = "pl031",
	.state_version = PL031_STATE_VERSION,
	.reset = dev_reset,
	.quiesce = dev_quiesce,
	.resume = dev_resume,
	.state_size = dev_state_size,
	.save = dev_save,
	.load = dev_load,
	.destroy = dev_destroy,
};
