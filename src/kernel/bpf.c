/* bpf.c: eBPF programs built, shown and loaded by hand (see bpf.h). The attributes of
 * bpf(2) are the kernel's union bpf_attr (include/uapi/linux/bpf.h), written here as
 * 64-bit words at the offsets of its members: the union only grows, at its end. */
#include "bpf.h"

enum { CMD_MAP_CREATE = 0, CMD_MAP_LOOKUP_ELEM = 1, CMD_MAP_UPDATE_ELEM = 2, CMD_PROG_LOAD = 5, CMD_PROG_TEST_RUN = 10,
       CMD_PROG_GET_NEXT_ID = 11, CMD_PROG_GET_FD_BY_ID = 13, CMD_OBJ_GET_INFO_BY_FD = 15,
       CMD_RAW_TRACEPOINT_OPEN = 17 };
#define BPF_MAP_TYPE_ARRAY 2

/* union bpf_attr is at most a few hundred bytes; 128 covers every command used here,
 * and the kernel wants the bytes past what it knows to be zero. */
union attr { uint64_t q[16]; uint32_t w[32]; char c[128]; };

static long sys_bpf(int cmd, union attr *a) { return SYS3(bpf, cmd, a, sizeof *a); }

static void set_name(char *dst, const char *name)
{
	for (int i = 0; i < 15 && name[i]; i++)
		dst[i] = name[i];
}

void kbpf_init(struct kbpf_prog *p, const char *name, int type, const char *attach)
{
	memset(p, 0, sizeof *p);
	set_name(p->name, name);
	p->type = type, p->attach = attach, p->fd = -1;
}

void kbpf_emit(struct kbpf_prog *p, struct bpf_insn i, const char *note)
{
	if (p->n == KBPF_MAXINSN) {
		p->overflow = 1;
		return;
	}
	p->note[p->n] = note;
	p->insn[p->n++] = i;
}

/* The next instruction jumps to the exit: kbpf_out fills in its offset. */
static void mark_out(struct kbpf_prog *p)
{
	if (p->nfix < 64)
		p->fix[p->nfix++] = p->n;
	else
		p->overflow = 1;
}

void kbpf_jmp_out(struct kbpf_prog *p, int op, int reg, int32_t imm, const char *note)
{
	mark_out(p);
	kbpf_emit(p, BPF_JMP_IMM(op, reg, imm, 0), note);
}

void kbpf_jmp_out_reg(struct kbpf_prog *p, int op, int reg, int src, const char *note)
{
	mark_out(p);
	kbpf_emit(p, BPF_JMP_REG(op, reg, src, 0), note);
}

void kbpf_out(struct kbpf_prog *p)
{
	for (int k = 0; k < p->nfix; k++)	/* off counts from the next instruction */
		p->insn[p->fix[k]].off = (int16_t)(p->n - p->fix[k] - 1);
	p->nfix = 0;
	kbpf_emit(p, BPF_MOV64_IMM(0, 0), 0);
	kbpf_emit(p, BPF_EXIT_INSN(), 0);
}

long kbpf_map_array(const char *name, uint32_t value_size)
{
	union attr a = { 0 };
	a.w[0] = BPF_MAP_TYPE_ARRAY, a.w[1] = 4, a.w[2] = value_size, a.w[3] = 1;
	set_name(a.c + 28, name);	/* map_name, after map_flags, inner_map_fd, numa_node */
	return sys_bpf(CMD_MAP_CREATE, &a);
}

long kbpf_map_update(int map, uint32_t key, const void *value)
{
	union attr a = { 0 };	/* flags 0: BPF_ANY */
	a.w[0] = (uint32_t)map, a.q[1] = (uintptr_t)&key, a.q[2] = (uintptr_t)value;
	return sys_bpf(CMD_MAP_UPDATE_ELEM, &a);
}

long kbpf_map_lookup(int map, uint32_t key, void *value)
{
	union attr a = { 0 };
	a.w[0] = (uint32_t)map, a.q[1] = (uintptr_t)&key, a.q[2] = (uintptr_t)value;
	return sys_bpf(CMD_MAP_LOOKUP_ELEM, &a);
}

/* The verifier's verdict: the last lines of its log (the reason is at the end; the
 * kernel's log rotates, keeping the end, when it overflows), moved to the start. */
static void last_lines(char *log, size_t size)
{
	size_t n = 0, from;
	while (n + 1 < size && log[n])
		n++;
	while (n > 0 && (log[n - 1] == '\n' || log[n - 1] == ' '))
		n--;
	log[n] = 0;
	from = n;
	for (int lines = 0; from > 0; from--)
		if (log[from - 1] == '\n' && ++lines == 4)
			break;
	for (size_t k = 0; from && k <= n - from; k++)	/* overlapping: byte by byte, forward */
		log[k] = log[from + k];
}

long kbpf_load(struct kbpf_prog *p, char *log, size_t log_size)
{
	static const char license[] = "GPL";	/* the helpers used are GPL-only */
	if (p->overflow)
		return -E2BIG;
	union attr a;
	long r = -EINVAL;
	for (int verbose = 0; verbose < 2; verbose++) {	/* the log only when it failed */
		memset(&a, 0, sizeof a);
		a.w[0] = (uint32_t)p->type, a.w[1] = (uint32_t)p->n;
		a.q[1] = (uintptr_t)p->insn, a.q[2] = (uintptr_t)license;
		if (verbose && log && log_size > 1) {
			log[0] = 0;
			a.w[6] = 1, a.w[7] = (uint32_t)log_size, a.q[4] = (uintptr_t)log;
		}
		set_name(a.c + 48, p->name);	/* prog_name */
		if (p->fentry)
			a.w[17] = BPF_TRACE_FENTRY, a.w[27] = p->btf_id;	/* expected_attach_type, attach_btf_id */
		r = sys_bpf(CMD_PROG_LOAD, &a);
		if (r >= 0) {
			p->fd = (int)r;
			return 0;
		}
		if (!verbose && r != -EACCES && r != -EINVAL)	/* not the verifier's verdict */
			break;
	}
	if (log && log_size > 1) {
		if (r == -EACCES || r == -EINVAL || r == -ENOSPC)
			last_lines(log, log_size);
		else
			log[0] = 0;
	}
	return r;
}

long kbpf_attach(const struct kbpf_prog *p)
{
	union attr a = { 0 };
	/* fentry attaches through the same command, with no name (Linux 5.5 on) */
	a.q[0] = p->fentry ? 0 : (uintptr_t)p->attach, a.w[2] = (uint32_t)p->fd;
	return sys_bpf(CMD_RAW_TRACEPOINT_OPEN, &a);
}

long kbpf_test_run(const struct kbpf_prog *p)
{
	uint64_t ctx[1] = { 0 };
	union attr a = { 0 };
	a.w[0] = (uint32_t)p->fd;
	a.w[10] = sizeof ctx, a.q[6] = (uintptr_t)ctx;	/* ctx_size_in, ctx_in */
	long r = sys_bpf(CMD_PROG_TEST_RUN, &a);
	return r < 0 ? r : (long)a.w[1];	/* retval */
}

long kbpf_prog_next(uint32_t id, uint32_t *next, char name[16])
{
	union attr a = { 0 };
	a.w[0] = id;
	long r = sys_bpf(CMD_PROG_GET_NEXT_ID, &a);
	if (r < 0)
		return r;
	*next = a.w[1];
	memset(name, 0, 16);
	memset(&a, 0, sizeof a);
	a.w[0] = *next;
	long fd = sys_bpf(CMD_PROG_GET_FD_BY_ID, &a);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;	/* gone meanwhile: nameless */
	uint8_t info[256] = { 0 };	/* struct bpf_prog_info: its name at 64 */
	memset(&a, 0, sizeof a);
	a.w[0] = (uint32_t)fd, a.w[1] = sizeof info, a.q[1] = (uintptr_t)info;
	r = sys_bpf(CMD_OBJ_GET_INFO_BY_FD, &a);
	SYS1(close, fd);
	if (r == 0)
		memcpy(name, info + 64, 15);
	return r;
}

/* ---- the disassembler: bpftool's syntax (kernel/bpf/disasm.c) ---- */
static const char *size_name(int code)
{
	switch (code & 0x18) {
	case BPF_W: return "u32";
	case BPF_H: return "u16";
	case BPF_B: return "u8";
	}
	return "u64";
}

static const char *helper_name(int id)
{
	switch (id) {
	case BPF_FUNC_map_lookup_elem: return "bpf_map_lookup_elem";
	case BPF_FUNC_ktime_get_ns: return "bpf_ktime_get_ns";
	case BPF_FUNC_get_smp_processor_id: return "bpf_get_smp_processor_id";
	case BPF_FUNC_get_current_pid_tgid: return "bpf_get_current_pid_tgid";
	case BPF_FUNC_get_current_task: return "bpf_get_current_task";
	case BPF_FUNC_probe_read_kernel: return "bpf_probe_read_kernel";
	}
	return "helper";
}

/* "+8", "-4": an offset with its sign, as bpftool writes it */
static void signed_off(struct cl_out *o, long v) { cl_printf(o, "%s%ld", v < 0 ? "" : "+", v); }

int kbpf_disasm(const struct bpf_insn *i, char *buf, size_t size)
{
	struct cl_out o = { -1, 0, size - 1, buf };
	int cls = i->code & 7, op = i->code & 0xf0, dst = i->regs & 15, src = i->regs >> 4;
	int slots = 1;
	static const char *const alu[16] = { "+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
		"neg", "%=", "^=", "=", "s>>=", "endian", 0, 0 };
	static const char *const jmp[16] = { "goto", "==", ">", ">=", "&", "!=", "s>", "s>=",
		"call", "exit", "<", "<=", "s<", "s<=", 0, 0 };
	if (cls == BPF_ALU64 || cls == BPF_ALU) {
		const char *r = cls == BPF_ALU64 ? "r" : "w";
		if (i->code & BPF_X)
			cl_printf(&o, "%s%d %s %s%d", r, dst, alu[op >> 4], r, src);
		else
			cl_printf(&o, "%s%d %s %d", r, dst, alu[op >> 4], i->imm);
	} else if (cls == BPF_LDX) {
		cl_printf(&o, "r%d = *(%s *)(r%d ", dst, size_name(i->code), src);
		signed_off(&o, i->off);
		cl_printf(&o, ")");
	} else if (cls == BPF_STX || cls == BPF_ST) {
		cl_printf(&o, "*(%s *)(r%d ", size_name(i->code), dst);
		signed_off(&o, i->off);
		if (cls == BPF_STX)
			cl_printf(&o, ") = r%d", src);
		else
			cl_printf(&o, ") = %d", i->imm);
	} else if (cls == BPF_LD && i->code == (BPF_LD | BPF_DW | BPF_IMM)) {
		slots = 2;
		if (src == BPF_PSEUDO_MAP_FD)
			cl_printf(&o, "r%d = map[fd:%d]", dst, i->imm);
		else
			cl_printf(&o, "r%d = 0x%lx", dst, (unsigned long)(uint32_t)i->imm |
				  (unsigned long)(uint32_t)i[1].imm << 32);
	} else if (cls == BPF_JMP && op == BPF_CALL) {
		cl_printf(&o, "call %s#%d", helper_name(i->imm), i->imm);
	} else if (cls == BPF_JMP && op == BPF_EXIT) {
		cl_printf(&o, "exit");
	} else if (cls == BPF_JMP && op == BPF_JA) {
		cl_printf(&o, "goto pc");
		signed_off(&o, i->off);
	} else if (cls == BPF_JMP && jmp[op >> 4]) {
		if (i->code & BPF_X)
			cl_printf(&o, "if r%d %s r%d goto pc", dst, jmp[op >> 4], src);
		else
			cl_printf(&o, "if r%d %s 0x%x goto pc", dst, jmp[op >> 4], (unsigned)i->imm);
		signed_off(&o, i->off);
	} else {
		cl_printf(&o, "(%02x) unknown", i->code);
	}
	buf[o.len] = 0;
	return slots;
}

void kbpf_print(const struct kbpf_prog *p, struct cl_out *out)
{
	char line[96];
	for (int k = 0; k < p->n;) {
		int slots = kbpf_disasm(&p->insn[k], line, sizeof line);
		if (p->note[k])
			cl_printf(out, "  %4d: %-40s ; %s\n", k, line, p->note[k]);
		else
			cl_printf(out, "  %4d: %s\n", k, line);
		k += slots;
	}
}
