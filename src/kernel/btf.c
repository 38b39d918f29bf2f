/* btf.c: the kernel's BTF, read by hand (see btf.h). The layout is the kernel's
 * Documentation/bpf/btf.rst: a header, then types (each a 12-byte btf_type and a
 * kind-specific tail), then NUL-terminated names. */
#include "btf.h"

#define BTF_MAGIC 0xeB9F
#define BTF_MAX (64UL << 20)	/* address space reserved for the file; pages only as read */
enum { K_INT = 1, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF, K_VOLATILE,
       K_CONST, K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC, K_FLOAT, K_DECL_TAG,
       K_TYPE_TAG, K_ENUM64 };

struct btf_type { uint32_t name_off, info, size_or_type; };
struct btf_member { uint32_t name_off, type, offset; };
struct btf_array { uint32_t type, index_type, nelems; };

static const struct btf_type *type(const struct btf *b, uint32_t id)
{
	return id && id <= b->n ? (const void *)(b->types + b->index[id]) : 0;
}

static int kind(const struct btf_type *t) { return (t->info >> 24) & 0x1f; }
static int vlen(const struct btf_type *t) { return t->info & 0xffff; }
static const char *name(const struct btf *b, uint32_t off) { return off < b->strs_len ? b->strs + off : ""; }

/* The bytes after the 12-byte btf_type, by kind; -1 for an unknown kind. */
static long tail(const struct btf_type *t)
{
	switch (kind(t)) {
	case K_INT: case K_VAR: case K_DECL_TAG: return 4;
	case K_ARRAY: return 12;
	case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64: return 12L * vlen(t);
	case K_ENUM: case K_FUNC_PROTO: return 8L * vlen(t);
	case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT:
	case K_FUNC: case K_FLOAT: case K_TYPE_TAG: return 0;
	}
	return -1;
}

/* Walk the type section: count the types, or fill the index. -1 if malformed. */
static long walk(struct btf *b, uint32_t *index)
{
	uint32_t off = 0, id = 0;
	while (off + sizeof(struct btf_type) <= b->types_len) {
		long t = tail((const void *)(b->types + off));
		if (t < 0)
			return -1;
		if (index)
			index[id + 1] = off;
		id++;
		off += sizeof(struct btf_type) + (uint32_t)t;
	}
	return off == b->types_len ? (long)id : -1;
}

static long read_all(const char *path, uint8_t *buf, size_t size)
{
	long fd = SYS4(openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0), r = 0;
	size_t len = 0;
	if (cl_is_err(fd))
		return fd;
	while (len < size && (r = SYS3(read, fd, buf + len, size - len)) > 0)
		len += (size_t)r;
	SYS1(close, fd);
	return r < 0 ? r : len == size ? -E2BIG : (long)len;
}

long btf_load(struct btf *b, const char *path)
{
	memset(b, 0, sizeof *b);
	long m = cl_map(BTF_MAX);
	if (cl_is_err(m))
		return m;
	b->map = (void *)m, b->map_len = BTF_MAX;
	long len = read_all(path, b->map, BTF_MAX / 2);
	const uint32_t *h = b->map;	/* magic|version|flags, hdr_len, type_off, type_len, str_off, str_len */
	if (len < 24 || (h[0] & 0xffff) != BTF_MAGIC || h[1] < 24 ||
	    (uint64_t)h[1] + h[2] + h[3] > (uint64_t)len || (uint64_t)h[1] + h[4] + h[5] > (uint64_t)len) {
		btf_free(b);
		return len < 0 ? len : -EINVAL;
	}
	b->types = (const uint8_t *)b->map + h[1] + h[2], b->types_len = h[3];
	b->strs = (const char *)b->map + h[1] + h[4], b->strs_len = h[5];
	long n = walk(b, 0);
	/* the index goes in the reserved space after the file, 8-aligned */
	uintptr_t at = ((uintptr_t)b->map + (size_t)len + 7) & ~(uintptr_t)7;
	if (n < 0 || at + 4 * ((size_t)n + 1) > (uintptr_t)b->map + BTF_MAX) {
		btf_free(b);
		return -EINVAL;
	}
	b->index = (uint32_t *)at, b->n = (uint32_t)n;
	walk(b, b->index);
	return 0;
}

void btf_free(struct btf *b)
{
	if (b->map)
		SYS2(munmap, b->map, b->map_len);
	memset(b, 0, sizeof *b);
}

/* Through typedefs and qualifiers to the type itself. */
static uint32_t resolve(const struct btf *b, uint32_t id)
{
	const struct btf_type *t;
	for (int hops = 0; (t = type(b, id)) && hops < 32; hops++) {
		int k = kind(t);
		if (k != K_TYPEDEF && k != K_VOLATILE && k != K_CONST && k != K_RESTRICT && k != K_TYPE_TAG)
			break;
		id = t->size_or_type;
	}
	return id;
}

static long size_of(const struct btf *b, uint32_t id)
{
	const struct btf_type *t = type(b, id = resolve(b, id));
	if (!t)
		return -1;
	switch (kind(t)) {
	case K_PTR: return sizeof(void *);	/* the kernel's pointer size is ours */
	case K_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);
		long e = size_of(b, a->type);
		return e < 0 ? -1 : e * (long)a->nelems;
	}
	case K_INT: case K_STRUCT: case K_UNION: case K_ENUM: case K_ENUM64: case K_FLOAT:
		return t->size_or_type;
	}
	return -1;
}

/* A struct or union called name (a complete one, not a forward declaration). */
static uint32_t find_struct(const struct btf *b, const char *nm)
{
	for (uint32_t id = 1; id <= b->n; id++) {
		const struct btf_type *t = type(b, id);
		if ((kind(t) == K_STRUCT || kind(t) == K_UNION) && cl_streq(name(b, t->name_off), nm))
			return id;
	}
	return 0;
}

/* Member nm (len bytes of it) of struct id, looking into anonymous members: its bit
 * offset, or -1; *mtype gets its type. */
static long member(const struct btf *b, uint32_t id, const char *nm, size_t len, uint32_t *mtype)
{
	const struct btf_type *t = type(b, id = resolve(b, id));
	if (!t || (kind(t) != K_STRUCT && kind(t) != K_UNION))
		return -1;
	const struct btf_member *m = (const void *)(t + 1);
	int bitfields = t->info >> 31;	/* kind_flag: offset holds bitfield size << 24 */
	for (int i = 0; i < vlen(t); i++) {
		long bits = bitfields ? m[i].offset & 0xffffff : m[i].offset;
		const char *mn = name(b, m[i].name_off);
		if (!*mn) {
			long in = member(b, m[i].type, nm, len, mtype);
			if (in >= 0)
				return bits + in;
		} else if (cl_strlen(mn) == len && memcmp(mn, nm, len) == 0) {
			*mtype = m[i].type;
			return bits;
		}
	}
	return -1;
}

long btf_offset(const struct btf *b, const char *nm, const char *path, long *size)
{
	uint32_t id = find_struct(b, nm);
	long bits = 0;
	if (!id)
		return -1;
	while (*path) {
		size_t len = 0;
		while (path[len] && path[len] != '.' && path[len] != '[')
			len++;
		long at = member(b, id, path, len, &id);
		if (at < 0)
			return -1;
		bits += at;
		path += len;
		if (*path == '[') {	/* an element of an array member */
			unsigned long k = 0;
			const struct btf_type *t = type(b, resolve(b, id));
			if (!t || kind(t) != K_ARRAY)
				return -1;
			while (*++path >= '0' && *path <= '9')
				k = k * 10 + (unsigned long)(*path - '0');
			if (*path++ != ']')
				return -1;
			id = ((const struct btf_array *)(t + 1))->type;
			bits += 8 * size_of(b, id) * (long)k;
		}
		if (*path == '.')
			path++;
	}
	if (size)
		*size = size_of(b, id);
	return bits / 8;
}

long btf_sizeof(const struct btf *b, const char *nm)
{
	uint32_t id = find_struct(b, nm);
	return id ? size_of(b, id) : -1;
}

uint32_t btf_func_id(const struct btf *b, const char *nm)
{
	for (uint32_t id = 1; id <= b->n; id++) {
		const struct btf_type *t = type(b, id);
		if (kind(t) == K_FUNC && cl_streq(name(b, t->name_off), nm))
			return id;
	}
	return 0;
}
