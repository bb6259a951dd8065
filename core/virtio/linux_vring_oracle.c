/* Linux's uapi vring helpers are C (vring_init assigns from void*), so the
 * oracle that reports their layout is compiled as C. */
#include <linux/virtio_ring.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets of ring fields as Linux's vring_init places them, in the order:
 * desc[0], desc[num-1], avail->flags, avail->idx, avail->ring[0], used_event,
 * used->flags, used->idx, used->ring[num-1], avail_event. */
void LinuxVringOffsets(unsigned num, unsigned long align, size_t out[10]) {
  struct vring vr;
  unsigned char* base = (unsigned char*)0x100000; /* never dereferenced */
  vring_init(&vr, num, base, align);
#define OFF(p) ((size_t)((unsigned char*)(p)-base))
  out[0] = OFF(vr.desc);
  out[1] = OFF(&vr.desc[num - 1]);
  out[2] = OFF(&vr.avail->flags);
  out[3] = OFF(&vr.avail->idx);
  out[4] = OFF(&vr.avail->ring[0]);
  out[5] = OFF(&vr.avail->ring[num]);
  out[6] = OFF(&vr.used->flags);
  out[7] = OFF(&vr.used->idx);
  out[8] = OFF(&vr.used->ring[num - 1]);
  out[9] = OFF(&vr.used->ring[num]);
#undef OFF
}

unsigned LinuxVringSize(unsigned num, unsigned long align) { return vring_size(num, align); }

int LinuxVringNeedEvent(uint16_t event, uint16_t new_idx, uint16_t old_idx) {
  return vring_need_event(event, new_idx, old_idx);
}

/* sizeof/offsetof of struct vring_desc and vring_used_elem, and flag values:
 * desc size, addr, len, flags, next, used_elem size, F_NEXT, F_WRITE,
 * F_INDIRECT, USED_F_NO_NOTIFY, AVAIL_F_NO_INTERRUPT. */
void LinuxVringStructFacts(size_t out[11]) {
  out[0] = sizeof(struct vring_desc);
  out[1] = offsetof(struct vring_desc, addr);
  out[2] = offsetof(struct vring_desc, len);
  out[3] = offsetof(struct vring_desc, flags);
  out[4] = offsetof(struct vring_desc, next);
  out[5] = sizeof(struct vring_used_elem);
  out[6] = VRING_DESC_F_NEXT;
  out[7] = VRING_DESC_F_WRITE;
  out[8] = VRING_DESC_F_INDIRECT;
  out[9] = VRING_USED_F_NO_NOTIFY;
  out[10] = VRING_AVAIL_F_NO_INTERRUPT;
}
