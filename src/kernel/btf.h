/* btf.h: a small reader of the kernel's BTF (Documentation/bpf/btf.rst), enough to find
 * where a member sits in a kernel struct on the running kernel: offsets move between
 * kernels and configurations, so clonelab never compiles one in. */
#ifndef CL_BTF_H
#define CL_BTF_H
#include "rt.h"

struct btf {
	const uint8_t *types;	/* the type section */
	const char *strs;	/* the string section */
	uint32_t types_len, strs_len;
	uint32_t n;		/* type ids are 1..n */
	uint32_t *index;	/* index[id]: offset of type id in types */
	void *map;		/* what to unmap */
	size_t map_len;
};

/* Read the BTF file at path (a raw BTF blob: /sys/kernel/btf/vmlinux). 0 or -errno;
 * -EINVAL if it is not BTF. */
long btf_load(struct btf *b, const char *path);
void btf_free(struct btf *b);
/* The byte offset of member path in struct (or union) name: "mm", "thread.fsbase",
 * "regs[3]". Anonymous unions and structs are looked through, as C does. -1 if absent.
 * size (may be NULL) gets the member's size in bytes. */
long btf_offset(const struct btf *b, const char *name, const char *path, long *size);
/* sizeof(struct name), or -1. */
long btf_sizeof(const struct btf *b, const char *name);
/* The type id of the function called name (what fentry attaches to), or 0. */
uint32_t btf_func_id(const struct btf *b, const char *name);
#endif
