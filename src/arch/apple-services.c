/* Apple's CPU-service and OEM hypercalls (see apple-services.h). What each
 * call does, and where that comes from:
 *  - IDs, the UID string, OEM revision 1.0: XNU osfmk/arm64/hv_hvc.h.
 *  - UID word order, REVISION in w0/w1, FEATURES(w1 = FID) >= 0 when
 *    supported, GET_BOOTSESSIONUUID in x1..x4 (same word order as the UID),
 *    GET_MABS_OFFSET taking the guest's abstime offset in x1 and answering
 *    in x1, VCPU_KICK(x1 = target phys_id), VCPU_WFK(x1 = ien): XNU
 *    osfmk/arm64/arm64_hypercall.c.
 *  - GET_DEFAULT_KEYS: x2 = default ROP pid (B key), x3 = default JOP pid
 *    (EL0 diversifier): XNU machine_routines_apple.c; x1 = A and x4 = G key
 *    arguments: Apple's hypervisor (HvDecompile deliver_pac_trap).
 *  - Key layout (k, k+1 / k+2, k+3), SET_EL0_DIVERSIFIER_AT_EL1 (x1 =
 *    enable 0/1, x2 = diversifier), x0 = 0 on success and 0xFFFFFFFF for
 *    unknown 0xC1 functions: HvDecompile.
 *  - Inferred: GET_MABS_OFFSET's value (host mach_absolute_time minus the
 *    guest's: CNTVOFF minus the guest's own offset), VCPU_WFK/KICK as a
 *    WFI-like idle and its wake-up, NOP = 0 (newer hosts; 12.5.1's HVF
 *    answered -1), FEATURES for the CPU range. */
#include <errno.h>
#include <string.h>

#include "accel/accel.h"
#include "arch/apple-services.h"
#include "host/host.h"

#define RET_NOT_SUPPORTED 0xffffffffffffffffull
#define HVF_REFUSED 0xffffffffull /* what HVF writes for 0xC1 calls it refuses */

const struct apple_pac_defaults apple_pac_hvf_defaults = {
	.a = 0xfeedfacefeedfacfull, .b = 0xfeedfacefeedfad5ull,
	.g = 0xfeedfacefeedfad9ull, .el0_div = 0xfeedfacefeedfad3ull,
};

static uint64_t nonzero64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v ? v : 0x5eed5eed5eed5eedull;
}

int apple_svc_init(struct apple_svc *s)
{
	uint8_t r[48];
	int e = host_random(r, sizeof(r));
	if (e)
		return e;
	/* Non-zero: XNU treats a zero JOP pid as "no key" and skips signing
	 * (facts/vmapple.md §4.3: launchd dies without them). */
	s->pac.a = nonzero64(r);
	s->pac.b = nonzero64(r + 8);
	s->pac.g = nonzero64(r + 16);
	s->pac.el0_div = nonzero64(r + 24);
	memcpy(s->boot_uuid, r + 32, 16);
	s->boot_uuid[6] = (uint8_t)((s->boot_uuid[6] & 0x0f) | 0x40); /* version 4 */
	s->boot_uuid[8] = (uint8_t)((s->boot_uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	return 0;
}

static void set_key(struct apple_svc_cpu *cpu, const struct apple_svc_env *env, uint16_t lo, uint64_t k)
{
	if (env->set_sysreg(env->ctx, lo, k) || env->set_sysreg(env->ctx, (uint16_t)(lo + 1), k + 1))
		cpu->key_errors++;
}

/* A key argument k: instruction key (k, k+1), data key (k+2, k+3). */
static void set_pair(struct apple_svc_cpu *cpu, const struct apple_svc_env *env, uint16_t ilo, uint16_t dlo,
		     uint64_t k)
{
	set_key(cpu, env, ilo, k);
	set_key(cpu, env, dlo, k + 2);
}

unsigned apple_pac_call(const struct apple_pac_defaults *d, struct apple_svc_cpu *cpu,
			const struct apple_svc_env *env, uint64_t x[5])
{
	if ((x[0] & 0xff000000u) != APPLE_HVC_CPU_SERVICE)
		return 0;
	cpu->calls++;
	switch ((uint32_t)x[0]) {
	case APPLE_PAC_SET_INITIAL_STATE:
		set_pair(cpu, env, SYSREG_APIAKEYLO_EL1, SYSREG_APDAKEYLO_EL1, d->a);
		set_pair(cpu, env, SYSREG_APIBKEYLO_EL1, SYSREG_APDBKEYLO_EL1, d->b);
		set_key(cpu, env, SYSREG_APGAKEYLO_EL1, d->g);
		cpu->el0_div = d->el0_div;
		cpu->el0_div_at_el1 = false;
		break;
	case APPLE_PAC_GET_DEFAULT_KEYS:
		x[1] = d->a;
		x[2] = d->b;
		x[3] = d->el0_div;
		x[4] = d->g;
		x[0] = 0;
		return 0x1f;
	case APPLE_PAC_SET_A_KEYS:
		set_pair(cpu, env, SYSREG_APIAKEYLO_EL1, SYSREG_APDAKEYLO_EL1, x[1]);
		break;
	case APPLE_PAC_SET_B_KEYS:
		set_pair(cpu, env, SYSREG_APIBKEYLO_EL1, SYSREG_APDBKEYLO_EL1, x[1]);
		break;
	case APPLE_PAC_SET_EL0_DIVERSIFIER:
		/* Frequent (every context switch): state only, no key writes. */
		cpu->el0_div = x[1];
		break;
	case APPLE_PAC_SET_EL0_DIVERSIFIER_AT_EL1:
		cpu->el0_div = x[2];
		if (x[1] <= 1)
			cpu->el0_div_at_el1 = x[1] == 1;
		break;
	case APPLE_PAC_SET_G_KEY:
		set_key(cpu, env, SYSREG_APGAKEYLO_EL1, x[1]);
		break;
	case APPLE_PAC_NOP:
		break;
	default:
		x[0] = HVF_REFUSED;
		return 1;
	}
	x[0] = 0;
	return 1;
}

bool apple_hvf_answers_hvc(uint64_t esr, uint64_t x0)
{
	return (esr >> 26 & 0x3f) == 0x16 /* HVC64 */ && (esr & 0xffff) == 0 &&
	       (x0 & 0xff000000u) == APPLE_HVC_CPU_SERVICE;
}

static bool oem_implemented(uint32_t fid)
{
	return fid >= APPLE_GET_MABS_OFFSET && fid <= APPLE_VCPU_KICK;
}

static bool cpu_implemented(uint32_t fid)
{
	return (fid >= APPLE_PAC_SET_INITIAL_STATE && fid <= APPLE_PAC_SET_G_KEY) || fid == APPLE_PAC_NOP;
}

/* UID words in x[first..first+3]: the UUID's bytes 12..15, 8..11, 4..7,
 * 0..3, each word's low byte the highest-numbered UUID byte (XNU's
 * regs_to_uuid reverses the 16 bytes). */
static void uuid_words(const uint8_t u[16], uint64_t *out)
{
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *b = u + 12 - 4 * i;
		out[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	}
}

unsigned apple_svc_call(const struct apple_svc *s, struct apple_svc_cpu *cpu, const struct apple_svc_env *env,
			uint64_t x[5])
{
	unsigned m = apple_pac_call(&s->pac, cpu, env, x);
	if (m)
		return m;
	uint32_t fn = (uint32_t)x[0];
	uint32_t range = fn & 0xffff0000u;
	if (x[0] >> 32)
		return 0;
	if (range == APPLE_HVC32_CPU || range == APPLE_HVC32_OEM) {
		bool oem = range == APPLE_HVC32_OEM;
		switch (fn & 0xffff) {
		case APPLE_FID_UID:
			x[0] = APPLE_HVC_UID_W0;
			x[1] = APPLE_HVC_UID_W1;
			x[2] = APPLE_HVC_UID_W2;
			x[3] = APPLE_HVC_UID_W3;
			break;
		case APPLE_FID_REVISION: /* OEM service version 1.0 (hv_hvc.h) */
			x[0] = 1;
			x[1] = 0;
			return 0x3;
		case APPLE_FID_FEATURES: {
			uint32_t q = (uint32_t)x[1];
			x[0] = (oem ? oem_implemented(q) : cpu_implemented(q)) ? 0 : 0xffffffffu;
			return 0x1;
		}
		default:
			return 0; /* not ours: the caller's usual answer */
		}
		cpu->calls++;
		return 0xf;
	}
	switch (fn) {
	case APPLE_GET_MABS_OFFSET: {
		uint64_t off = 0;
		if (env->get_vtimer_offset(env->ctx, &off)) {
			x[0] = RET_NOT_SUPPORTED;
			return 1;
		}
		x[1] = off - x[1];
		x[0] = 0;
		cpu->calls++;
		return 0x3;
	}
	case APPLE_GET_BOOTSESSIONUUID:
		uuid_words(s->boot_uuid, &x[1]);
		x[0] = 0;
		cpu->calls++;
		return 0x1f;
	case APPLE_VCPU_WFK:
		env->wait_for_kick(env->ctx, x[1]);
		x[0] = 0;
		cpu->calls++;
		return 1;
	case APPLE_VCPU_KICK:
		x[0] = env->kick(env->ctx, x[1]) ? RET_NOT_SUPPORTED - 2 /* INVALID_PARAMETER */ : 0;
		cpu->calls++;
		return 1;
	default:
		return 0;
	}
}
