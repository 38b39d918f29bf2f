; Recording clone trampolines (x86_64, NASM): clone and clone3 that photograph the whole
; integer register file on both sides of the syscall. clonelab's lab commands use these.
;
;   long cl_clone_snap(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
;                      int *parent_tid, void *tls, int *child_tid, struct cl_snap *snap)
;   long cl_clone3_snap(struct cl_clone_args *args, unsigned long size,
;                       int (*fn)(void *), void *arg, struct cl_snap *snap)
;
; The frame. Parent and child both store their registers relative to their own rsp, with
; plain stores that change no register and no flag. So the parent first builds a frame at
; its rsp and, given a new stack, an identical one at the child's new rsp:
;   [rsp+0] fn   [rsp+8] arg   [rsp+16] snap   [rsp+24] child's counter   [rsp+32..] registers
; Without a new stack (stack_top = 0, the fork shape) the child wakes on a copy of the
; parent's own frame, which already holds fn, arg and snap.
;
; Contract:
;   - snap may be 0. If not, it must be memory both sides can reach afterwards (the same
;     memory for CLONE_VM; a MAP_SHARED page otherwise). Filled in: t_clone (counter read
;     in the parent just before the syscall), t_child (counter read by the child after
;     saving only the registers the read overwrites), parent[] and child[] in regs.h order.
;   - fn = 0 with stack_top = 0: the child returns 0 from this call, like fork.
;     Otherwise the child zeroes rbp, calls fn(arg) and exits with its result.
;   - clone3 rewrites args->stack_size so that the kernel starts the child at its frame,
;     FRAME_SIZE bytes below the 16-aligned top. A NULL args, or a stack (non-zero)
;     whose stack + stack_size ends past the address space or leaves no room below the
;     frame (a stack_size of 0 among them, which the kernel refuses too), returns
;     -EINVAL before anything is stored: clone3 stores only inside the given stack.
;   - Both sides resume at cl_snap_child (clone) or cl_snap3_child (clone3): the child's
;     first instruction, and a name for `break *cl_snap_child`.
;   - The parent returns the child's tid or -errno. Clobbers the caller-saved registers.

SYS_clone	equ 56
SYS_exit	equ 60
SYS_arch_prctl	equ 158
SYS_clone3	equ 435
EINVAL		equ 22
ARCH_GET_FS	equ 0x1003

; The frame (FRAME_*), struct cl_snap (SNAP_*) and struct cl_clone_args (CLA_*)
; offsets, and NREGS, come from the C definitions (src/lib/asm-offsets.c).
%include "offsets.inc"
%define F_FN	FRAME_FN
%define F_ARG	FRAME_ARG
%define F_SNAP	FRAME_SNAP
%define F_T	FRAME_T_CHILD
%define F_REGS	FRAME_REGS
%define FRAME	FRAME_SIZE
%define S_T0	SNAP_T_CLONE
%define S_T1	SNAP_T_CHILD
%define S_PARENT SNAP_PARENT
%define S_CHILD	SNAP_CHILD

%define R(n) (F_REGS + (n)*8)		; the slot of register n, in regs.h order

; Record every register at rsp, then jump to the shared tail. %1 is the address the
; syscall returns to, which is also this macro's own address.
%macro SNAPSHOT 1
	mov	[rsp+R(0)], rax
	mov	[rsp+R(3)], rdx
	rdtsc				; the child's first act: edx:eax = time stamp counter
	mov	[rsp+F_T], eax
	mov	[rsp+F_T+4], edx
	mov	[rsp+R(1)], rbx
	mov	[rsp+R(2)], rcx
	mov	[rsp+R(4)], rsi
	mov	[rsp+R(5)], rdi
	mov	[rsp+R(6)], rbp
	mov	[rsp+R(7)], rsp
	mov	[rsp+R(8)], r8
	mov	[rsp+R(9)], r9
	mov	[rsp+R(10)], r10
	mov	[rsp+R(11)], r11
	mov	[rsp+R(12)], r12
	mov	[rsp+R(13)], r13
	mov	[rsp+R(14)], r14
	mov	[rsp+R(15)], r15
	lea	rax, [rel %1]
	mov	[rsp+R(16)], rax	; rip: where the kernel resumed us
	pushfq				; no instruction so far has touched the flags
	pop	rax
	mov	[rsp+R(17)], rax
	jmp	snap_tail
%endmacro

section .text progbits alloc exec nowrite align=16
global cl_clone_snap:function (cl_clone_snap.end - cl_clone_snap)
global cl_clone3_snap:function (cl_clone3_snap.end - cl_clone3_snap)
global cl_snap_child:function (cl_snap_child.end - cl_snap_child)
global cl_snap3_child:function (cl_snap3_child.end - cl_snap3_child)
global cl_counter:function (cl_counter.end - cl_counter)
global cl_counter_hz:function (cl_counter_hz.end - cl_counter_hz)
static stamp_t0:function (stamp_t0.end - stamp_t0)
static snap_tail:function (snap_tail.end - snap_tail)
static get_fs:function (get_fs.end - get_fs)
static snap3_einval:function (snap3_einval.end - snap3_einval)

cl_clone_snap:
	; in: rdi fn, rsi stack_top, rdx flags, rcx arg, r8 parent_tid, r9 tls,
	;     [rsp+8] child_tid, [rsp+16] snap
	push	rbp
	mov	rbp, rsp		; rbp: the way back for the parent (and a fork-shaped child)
	sub	rsp, FRAME
	and	rsp, -16
	mov	rax, [rbp+24]		; rax = snap
	mov	[rsp+F_FN], rdi
	mov	[rsp+F_ARG], rcx
	mov	[rsp+F_SNAP], rax
	mov	rdi, rdx		; kernel a1: flags
	mov	rdx, r8			; kernel a3: parent_tid
	mov	r10, [rbp+16]		; kernel a4: child_tid
	mov	r8, r9			; kernel a5: tls
	test	rsi, rsi
	jz	.go			; no new stack: the child inherits this frame
	and	rsi, -16
	sub	rsi, FRAME		; kernel a2: the child's rsp, at its own frame
	mov	r9, [rsp+F_FN]
	mov	[rsi+F_FN], r9
	mov	r9, [rsp+F_ARG]
	mov	[rsi+F_ARG], r9
	mov	[rsi+F_SNAP], rax
.go:
	call	stamp_t0
	mov	eax, SYS_clone
	syscall
.end:					; both sides resume at the next instruction
cl_snap_child:
	SNAPSHOT cl_snap_child
.end:

; cl_clone3_snap's refusal, before anything is stored: rax = -EINVAL.
snap3_einval:
	mov	rax, -EINVAL
	ret
.end:

cl_clone3_snap:
	; in: rdi args, rsi size, rdx fn, rcx arg, r8 snap
	test	rdi, rdi
	jz	snap3_einval		; no args
	mov	r11, [rdi+CLA_STACK]	; r11 = args->stack
	test	r11, r11
	jz	.checked		; no stack: the fork shape, the child on a copy of our frame
	mov	r9, [rdi+CLA_STACK_SIZE] ; r9 = args->stack_size
	mov	rax, r11
	add	rax, r9			; rax = top = stack + stack_size
	jc	snap3_einval		; past the end of the address space
	and	eax, 15
	add	eax, FRAME		; rax = what we take off: the alignment, then the frame
	sub	r9, rax			; r9 = the new stack_size: the child's rsp - stack
	jbe	snap3_einval		; <= 0: the frame would land below the stack (and the
					; kernel refuses a stack_size of 0)
.checked:
	push	rbp
	mov	rbp, rsp
	sub	rsp, FRAME
	and	rsp, -16
	mov	[rsp+F_FN], rdx
	mov	[rsp+F_ARG], rcx
	mov	[rsp+F_SNAP], r8
	test	r11, r11
	jz	.go
	lea	rax, [r11+r9]		; rax = the child's rsp, FRAME below the aligned top
	mov	[rax+F_FN], rdx
	mov	[rax+F_ARG], rcx
	mov	[rax+F_SNAP], r8
	mov	[rdi+CLA_STACK_SIZE], r9 ; the kernel will start the child at its frame
.go:
	mov	rax, r8
	call	stamp_t0
	mov	eax, SYS_clone3
	syscall
.end:
cl_snap3_child:
	SNAPSHOT cl_snap3_child
.end:

; stamp_t0: if rax (snap) is non-zero, store the time stamp counter in snap->t_clone.
; Clobbers r9, r11 and the flags; keeps every syscall argument register.
stamp_t0:
	test	rax, rax
	jz	.none
	mov	r11, rax
	mov	r9, rdx			; rdtsc overwrites rdx (an argument): keep it in r9
	rdtsc
	mov	[r11+S_T0], eax
	mov	[r11+S_T0+4], edx
	mov	rdx, r9
.none:
	ret
.end:

; Both sides arrive here with their registers saved at [rsp+R(n)]. Each copies them
; into its own half of snap (the child also its counter), then goes its own way.
snap_tail:
	mov	rdi, [rsp+F_SNAP]	; rdi = snap (or 0)
	test	rdi, rdi
	jz	.side
	lea	rsi, [rsp+R(18)]
	call	get_fs			; the FS base completes the register set
	mov	rdi, [rsp+F_SNAP]
	lea	rdx, [rdi+S_PARENT]
	cmp	qword [rsp+R(0)], 0
	jne	.copy
	mov	rax, [rsp+F_T]		; the child: its counter, and its own half
	mov	[rdi+S_T1], rax
	lea	rdx, [rdi+S_CHILD]
.copy:
	mov	rdi, rdx
	lea	rsi, [rsp+F_REGS]
	mov	ecx, NREGS
	rep	movsq
.side:
	cmp	qword [rsp+R(0)], 0
	je	.run
.ret:					; the parent: return the syscall's value
	mov	rax, [rsp+R(0)]
	mov	rsp, rbp
	pop	rbp
	ret
.run:					; rsp: the frame the parent placed 16-aligned
	mov	rax, [rsp+F_FN]
	test	rax, rax
	jz	.ret			; fork shape: return 0 through the parent's epilogue copy
	xor	ebp, ebp		; outermost frame of the new task
	mov	rdi, [rsp+F_ARG]
	call	rax
	mov	edi, eax
	mov	eax, SYS_exit
	syscall
	ud2				; exit does not return
.end:

; uint64_t cl_counter(void): the counter the snapshots use (the time stamp counter).
; Clobbers rdx.
cl_counter:
	rdtsc
	shl	rdx, 32
	or	rax, rdx
	ret
.end:

; uint64_t cl_counter_hz(void): its frequency, or 0 when the architecture does not say:
; x86 has no portable way to ask for the TSC's rate, so the caller measures it.
cl_counter_hz:
	xor	eax, eax
	ret
.end:

; get_fs: store the FS base (the thread pointer) at [rsi]. Clobbers rax, rcx, r11, rdi.
get_fs:
	mov	edi, ARCH_GET_FS
	mov	eax, SYS_arch_prctl
	syscall
	ret
.end:

section .note.GNU-stack noalloc noexec nowrite progbits
