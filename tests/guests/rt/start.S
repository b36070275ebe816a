/* Entry of the bare-metal guest test programs: an arm64 Image header (so
 * avmm and qemu-system-aarch64 -kernel load it the same way), a stack, the
 * EL1 vector table, then main(); the result goes out through PSCI. */
	.section .text.head, "ax"
	.globl _start
_start:
	b	entry			/* code0 */
	.long	0			/* code1 */
	.quad	0x80000			/* text_offset */
	.quad	_end - _start		/* image_size */
	.quad	0xa			/* flags: LE, 4K pages, anywhere */
	.quad	0, 0, 0			/* res2-4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 */
entry:
	adrp	x1, stack_top
	add	x1, x1, :lo12:stack_top
	mov	sp, x1
	adrp	x1, rt_vectors
	add	x1, x1, :lo12:rt_vectors
	msr	vbar_el1, x1
	mov	x1, #(3 << 20)		/* CPACR_EL1.FPEN: FP/SIMD usable (the bench workloads use it) */
	msr	cpacr_el1, x1
	isb
	bl	main
	bl	rt_exit
1:	b	1b

	.globl rt_psci
rt_psci:
	hvc	#0
	ret

/* uint64_t rt_call_el0(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t sp_el0):
 * run fn at EL0t; fn returns to rt_el0_exit, whose SVC brings rt_exception()
 * to resume EL1h at rt_el0_return with SP_EL1 as it was at the ERET. */
	.globl rt_call_el0
rt_call_el0:
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	msr	elr_el1, x0
	msr	sp_el0, x2
	msr	spsr_el1, xzr		/* EL0t, DAIF clear */
	mov	x0, x1
	adr	x30, rt_el0_exit
	eret
rt_el0_exit:
	svc	#0xe10
1:	b	1b
	.globl rt_el0_return
rt_el0_return:
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret

/* The vector table: every entry saves the state and calls rt_exception(). */
	.macro vec kind
	.balign 0x80
	sub	sp, sp, #(34 * 8)
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mov	x0, #\kind
	mov	x1, sp
	b	vec_common
	.endm

	.balign 0x800
	.globl rt_vectors
rt_vectors:
	vec 0
	vec 1
	vec 2
	vec 3
	vec 4
	vec 5
	vec 6
	vec 7
	vec 8
	vec 9
	vec 10
	vec 11
	vec 12
	vec 13
	vec 14
	vec 15

vec_common:
	bl	rt_exception		/* may change ELR/SPSR through the frame */
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	add	sp, sp, #(34 * 8)
	eret

	.bss
	.balign 16
	.space	0x10000
stack_top:
