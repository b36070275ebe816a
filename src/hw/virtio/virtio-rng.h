/* virtio-rng (virtio 1.2 §5.4): one queue of device-writable buffers,
 * filled from the host's random source (host_random: getentropy) on the
 * device's request thread, rate-unlimited. */
#ifndef AVMM_HW_VIRTIO_VIRTIO_RNG_H
#define AVMM_HW_VIRTIO_VIRTIO_RNG_H

#include "hw/virtio/virtio.h"

#define VIRTIO_RNG_ID 4

struct vrng;
int vrng_create(struct guest_mem *gm, struct vrng **out);
struct virtio_dev *vrng_virtio(struct vrng *r);
void vrng_destroy(struct vrng *r);

#endif
