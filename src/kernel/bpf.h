/* bpf.h: eBPF by hand, for --kernel where kprobes are missing (doc/kernel.md): an
 * instruction encoder (the kernel's Documentation/bpf/standardization/instruction-set.rst,
 * the macros named as in the kernel's include/linux/filter.h), a program builder with a
 * note per instruction (the BTF name of the offset it uses, for --show-bpf), a
 * disassembler in bpftool's syntax, and a loader over the raw bpf(2) syscall. No libbpf,
 * no compiler: a program is built at run time from the offsets the BTF reader found. */
#ifndef CL_BPF_H
#define CL_BPF_H
#include "rt.h"

struct bpf_insn { uint8_t code, regs; int16_t off; int32_t imm; };	/* regs: dst | src << 4 */

/* instruction classes, sizes, modes, operations, sources */
enum { BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04,
       BPF_JMP = 0x05, BPF_ALU64 = 0x07,
       BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10, BPF_DW = 0x18,
       BPF_IMM = 0x00, BPF_MEM = 0x60,
       BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_OR = 0x40, BPF_AND = 0x50, BPF_LSH = 0x60,
       BPF_RSH = 0x70, BPF_MOV = 0xb0,
       BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JNE = 0x50, BPF_CALL = 0x80, BPF_EXIT = 0x90,
       BPF_K = 0x00, BPF_X = 0x08 };
#define BPF_PSEUDO_MAP_FD 1

#define BPF_RAW(c, d, s, o, i) ((struct bpf_insn){ (uint8_t)(c), (uint8_t)((d) | (s) << 4), \
	(int16_t)(o), (int32_t)(i) })
#define BPF_MOV64_IMM(d, i) BPF_RAW(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define BPF_MOV64_REG(d, s) BPF_RAW(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define BPF_ALU64_IMM(op, d, i) BPF_RAW(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define BPF_LDX_MEM(sz, d, s, o) BPF_RAW(BPF_LDX | (sz) | BPF_MEM, d, s, o, 0)
#define BPF_STX_MEM(sz, d, s, o) BPF_RAW(BPF_STX | (sz) | BPF_MEM, d, s, o, 0)
#define BPF_ST_MEM(sz, d, o, i) BPF_RAW(BPF_ST | (sz) | BPF_MEM, d, 0, o, i)
#define BPF_JMP_IMM(op, d, i, o) BPF_RAW(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define BPF_JMP_REG(op, d, s, o) BPF_RAW(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define BPF_JMP_A(o) BPF_RAW(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define BPF_CALL_HELPER(id) BPF_RAW(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define BPF_EXIT_INSN() BPF_RAW(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* A 64-bit load of a map's fd, which the kernel replaces by the map: two slots. */
#define BPF_LD_MAP_FD_1(d, fd) BPF_RAW(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd)
#define BPF_LD_MAP_FD_2() BPF_RAW(0, 0, 0, 0, 0)

/* the helpers used (include/uapi/linux/bpf.h, ___BPF_FUNC_MAPPER: stable numbers) */
enum { BPF_FUNC_map_lookup_elem = 1, BPF_FUNC_ktime_get_ns = 5, BPF_FUNC_get_smp_processor_id = 8,
       BPF_FUNC_get_current_pid_tgid = 14, BPF_FUNC_get_current_task = 35,
       BPF_FUNC_probe_read_kernel = 113 };
/* program types and attach types */
enum { BPF_PROG_TYPE_RAW_TRACEPOINT = 17, BPF_PROG_TYPE_TRACING = 26 };
enum { BPF_TRACE_FENTRY = 24 };

#define KBPF_MAXINSN 1024
struct kbpf_prog {
	char name[16];		/* BPF_OBJ_NAME_LEN, with its NUL: "clonelab_fork" */
	const char *attach;	/* the raw tracepoint's or the function's name */
	int type, fentry;
	uint32_t btf_id;	/* fentry: the function's BTF id in vmlinux */
	int n, overflow;
	int nfix, fix[64];	/* jumps to the exit label, patched by kbpf_out() */
	struct bpf_insn insn[KBPF_MAXINSN];
	const char *note[KBPF_MAXINSN];	/* what an instruction's offset or constant is */
	int fd;			/* once loaded; -1 before */
};

void kbpf_init(struct kbpf_prog *p, const char *name, int type, const char *attach);
/* Append one instruction, with a note for --show-bpf (may be NULL). */
void kbpf_emit(struct kbpf_prog *p, struct bpf_insn i, const char *note);
/* A conditional jump (op BPF_JEQ/BPF_JNE, against imm) to the exit label. */
void kbpf_jmp_out(struct kbpf_prog *p, int op, int reg, int32_t imm, const char *note);
void kbpf_jmp_out_reg(struct kbpf_prog *p, int op, int reg, int src, const char *note);
/* The exit label: "r0 = 0; exit", every jump to it patched. */
void kbpf_out(struct kbpf_prog *p);

/* bpf(2) by its commands. Each returns an fd or 0, or -errno. */
long kbpf_map_array(const char *name, uint32_t value_size);
long kbpf_map_lookup(int map, uint32_t key, void *value);
long kbpf_map_update(int map, uint32_t key, const void *value);
/* Load p: its fd in p->fd, or -errno and the verifier's first lines in log (NUL-ended). */
long kbpf_load(struct kbpf_prog *p, char *log, size_t log_size);
/* Attach p: a raw tracepoint by name, or fentry by its BTF id. The link's fd. */
long kbpf_attach(const struct kbpf_prog *p);
/* Run p once in this task (BPF_PROG_TEST_RUN): its return value, or -errno. */
long kbpf_test_run(const struct kbpf_prog *p);
/* The id and name of the loaded program after id (BPF_PROG_GET_NEXT_ID and its info):
 * 0 and the next id in *next, or -errno (-ENOENT: no more). */
long kbpf_prog_next(uint32_t id, uint32_t *next, char name[16]);

/* One instruction as bpftool prints it ("r1 = *(u64 *)(r6 +8)"), into buf; the number
 * of slots it takes (2 for a 64-bit load). */
int kbpf_disasm(const struct bpf_insn *i, char *buf, size_t size);
/* The whole program, a line an instruction with its note, to out. */
void kbpf_print(const struct kbpf_prog *p, struct cl_out *out);
#endif
