/* The `virt` machine: QEMU's virt memory map (facts/qemu-virt.md) with a
 * user-space GICv3, PL011, PL031, PSCI over HVC and a generated device tree. */
#ifndef AVMM_MACHINE_VIRT_H
#define AVMM_MACHINE_VIRT_H

#include "vmm/vm.h"

#define VIRT_FLASH_BASE 0x00000000ull
#define VIRT_FLASH_SIZE 0x04000000ull /* the first bank: -bios goes here */
#define VIRT_UART_BASE 0x09000000ull
#define VIRT_RTC_BASE 0x09010000ull
#define VIRT_GPIO_BASE 0x09030000ull
#define VIRT_GPIO_SPI 7
#define VIRT_GPIO_POWER_LINE 3 /* gpio-keys: KEY_POWER */
#define VIRT_RAM_BASE 0x40000000ull
/* RAM ends by 256 GiB, where QEMU's virt map puts the high redistributors,
 * then the high PCIe ECAM and MMIO (facts/qemu-virt.md): QEMU's 255 GiB. */
#define VIRT_RAM_MAX (0x4000000000ull - VIRT_RAM_BASE)
#define VIRT_UART_SPI 1
#define VIRT_RTC_SPI 2

/* Build the machine from the options: RAM, devices, the guest images and
 * the device tree. 0, or -1 after printing one clear error; 1 when there is
 * nothing to run (-M virt,dumpdtb=FILE wrote the device tree). */
int virt_create(struct vm *vm, const struct vm_opts *o);
/* System reset, with every vCPU stopped and joined (vm_run returned
 * VM_RESET): the accelerator's VM (in-kernel GIC), every device, and memory
 * (the boot images copied back, a new rng-seed in the device tree). 0, or
 * -1 after a message. */
int virt_reset(struct vm *vm);
/* Orderly teardown: devices quiesced, console flushed and synced, terminal
 * restored, everything freed. */
void virt_destroy(struct vm *vm);
void virt_print_stats(struct vm *vm);
/* Press the power button (QMP system_powerdown): GPIO line 3 high, low
 * again 100 ms later (QEMU's gpio-key) on the main loop. Main thread. 0,
 * or -ENODEV without the button (a -dtb of the user's, no main loop). */
int virt_powerdown(struct vm *vm);

#endif
